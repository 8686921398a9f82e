"""Benchmark `derm-onto associations mine` against a pyarrow read of the same tables.

Run: python bench/bench_associations.py [--rows 1000000] [--repeat 3] [--out bench/out]

In one run, each in its own process (wall time and peak RSS of the child):

* SkinCon + Fitzpatrick17k (3,690 + 16,577 rows, the real files in ../shared/data):
  `associations mine` vs a streaming pyarrow read of both files (derm_onto.tables);
* a generated Derm1M-shaped CSV (--rows rows; the Derm1M columns with captions from the
  real sample rows; disease labels drawn from the ontology's names with Zipf-like
  frequencies, 25% 'no definitive diagnosis'; `skin_concept`, `body_location` and
  `symptoms` comma lists of 0-4 names drawn from the ontology's concept and finding names
  and synonyms, so there are tens of thousands of distinct cells), and the same at a quarter
  of the rows to show that memory stays flat: `associations mine` vs a pyarrow read.

With ``--compare DIR`` (another checkout, e.g. ``git -C ../main archive HEAD | tar -x -C
DIR``) that checkout's ``associations mine`` runs too, alternating with this one and the
read, and the two output files must be byte-identical: before/after ratios from one run.

Target (issue #12): mine <= 3x the read. CPU seconds are reported beside wall seconds
because the machine is shared (the wall ratio moves with the load): each command runs once
to warm the page cache, then reads and mines alternate --repeat times and the best of each
is kept; the load average before and after is printed. Results print as a table and are
saved to OUT/associations.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
SAMPLE = DATA / "derm1m" / "pretrain_sample_100.csv"
SKINCON = DATA / "skincon" / "annotations_fitzpatrick17k.csv"
FITZ = DATA / "fitzpatrick17k" / "fitzpatrick17k.csv"

READ = """
import sys
from derm_onto.tables import read_batches
rows = 0
for path in sys.argv[1:]:
    for batch in read_batches(path):
        rows += batch.num_rows
print(rows)
"""


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """A Derm1M-shaped CSV, deterministic for a seed."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path

    onto = load(bundled_ontology_path())
    rng = np.random.default_rng(seed)

    def zipf(pool: list[str], n: int) -> Any:
        weights = 1.0 / np.arange(1, len(pool) + 1)
        return np.array(pool, dtype=object)[rng.choice(len(pool), n, p=weights / weights.sum())]

    def lists(pool: list[str], sentinel: str) -> Any:
        counts = rng.integers(0, 5, rows)
        picks = zipf(pool, int(counts.sum()))
        out = np.empty(rows, dtype=object)
        start = 0
        for i, k in enumerate(counts.tolist()):
            out[i] = ", ".join(picks[start : start + k]) if k else sentinel
            start += k
        return out

    conditions = sorted({n for c in onto.conditions for n in c.names})
    rng.shuffle(conditions)
    concepts = sorted({n for c in onto.concepts for n in c.names})
    rng.shuffle(concepts)
    sites = sorted({n for f in onto.findings if f.category == "body_site" for n in f.names})
    symptoms = sorted({n for f in onto.findings if f.category != "body_site" for n in f.names})
    labels = zipf(conditions[:1000], rows)
    labels[rng.random(rows) < 0.25] = "no definitive diagnosis"
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        sample = list(csv.DictReader(handle))
    pick = rng.integers(0, len(sample), rows)
    columns = {
        c: pa.array(np.array([r[c] for r in sample], dtype=object)[pick], pa.string())
        for c in sample[0]
    }
    columns["filename"] = pa.array([f"img/{i:07d}.jpg" for i in range(rows)], pa.string())
    columns["disease_label"] = pa.array(labels, pa.string())
    columns["skin_concept"] = pa.array(lists(concepts, "No visual concepts"), pa.string())
    columns["body_location"] = pa.array(lists(sites, "No body location information"), pa.string())
    columns["symptoms"] = pa.array(lists(symptoms, "No symptom information"), pa.string())
    pa_csv.write_csv(pa.table(columns), str(path))


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of a child process (``cwd``: run from
    that checkout, first on ``python -m``'s path)."""
    env = {**os.environ, "PYTHONPATH": str(cwd)} if cwd else None
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{cmd} failed: {err.read().decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per command (best kept).")
    parser.add_argument(
        "--compare", type=Path, help="Another checkout whose mine runs too (PYTHONPATH=DIR)."
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env_python = [sys.executable]
    mine = [*env_python, "-m", "derm_onto", "associations", "mine"]
    results: list[dict[str, object]] = []

    args.out = args.out.resolve()  # the --compare runs start in their checkout
    other = args.compare.resolve() if args.compare else None

    def measure(name: str, tables: list[str], rows: int) -> None:
        slug = name.replace(" ", "_").replace("+", "_")
        reads: list[tuple[float, float, float]] = []
        mines: list[tuple[float, float, float]] = []
        others: list[tuple[float, float, float]] = []
        out = [*tables, "-o", str(args.out / f"{slug}.json")]
        other_out = [*tables, "-o", str(args.out / f"{slug}.compare.json")]
        run([*mine, *out])  # warm: page cache, caches
        if other:
            run([*mine, *other_out], other)
        for _ in range(args.repeat):  # alternating, so all see the same load on the machine
            reads.append(run([*env_python, "-c", READ, *tables]))
            mines.append(run([*mine, *out]))
            if other:
                others.append(run([*mine, *other_out], other))
        # the best of --repeat runs: the least disturbed by other work on the machine
        read_s, read_cpu, read_mb = (min(x[i] for x in reads) for i in range(3))
        mine_s, mine_cpu, mine_mb = (min(x[i] for x in mines) for i in range(3))
        result: dict[str, object] = {
            "case": name,
            "rows": rows,
            "read_s": round(read_s, 2),
            "mine_s": round(mine_s, 2),
            "ratio": round(mine_s / read_s, 2),
            "read_cpu_s": round(read_cpu, 2),
            "mine_cpu_s": round(mine_cpu, 2),
            "cpu_ratio": round(mine_cpu / read_cpu, 2),
            "read_rss_mib": round(read_mb),
            "mine_rss_mib": round(mine_mb),
        }
        if others:
            other_s, other_cpu, other_mb = (min(x[i] for x in others) for i in range(3))
            same = (args.out / f"{slug}.json").read_bytes() == (
                args.out / f"{slug}.compare.json"
            ).read_bytes()
            result.update(
                {
                    "compare_s": round(other_s, 2),
                    "compare_ratio": round(other_s / read_s, 2),
                    "compare_cpu_s": round(other_cpu, 2),
                    "compare_cpu_ratio": round(other_cpu / read_cpu, 2),
                    "compare_rss_mib": round(other_mb),
                    "identical_output": same,
                }
            )
        results.append(result)

    load_before = os.getloadavg()
    measure("skincon+fitzpatrick17k", [str(SKINCON), str(FITZ)], 3690 + 16577)
    for rows in (args.rows // 4, args.rows):
        path = args.out / f"derm1m_shaped_{rows}.csv"
        if not path.exists():
            # in a child: a forked child inherits its parent's peak RSS on Linux, so a
            # table generated in this process would inflate every RSS figure below
            code = (
                f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"from pathlib import Path; import bench_associations as b; "
                f"b.generate(Path({str(path)!r}), {rows})"
            )
            subprocess.run([sys.executable, "-c", code], check=True)
        measure(f"derm1m-shaped {rows}", [str(path)], rows)
    header = f"{'case':26} {'rows':>9} {'read s':>7} {'mine s':>7} {'ratio':>6} "
    print(header + f"{'cpu ratio':>9} {'RSS read':>9} {'RSS mine':>9}")
    for r in results:
        if "case" not in r:
            continue
        print(
            f"{r['case']!s:26} {r['rows']:>9} {r['read_s']:>7} {r['mine_s']:>7} "
            f"{r['ratio']:>6} {r['cpu_ratio']:>9} {r['read_rss_mib']:>8}M {r['mine_rss_mib']:>8}M"
        )
        if "compare_s" in r:
            print(
                f"{'  --compare':26} {'':>9} {'':>7} {r['compare_s']!s:>7} "
                f"{r['compare_ratio']!s:>6} {r['compare_cpu_ratio']!s:>9} {'':>9} "
                f"{r['compare_rss_mib']!s:>8}M  identical output: {r['identical_output']}"
            )
    load_after = os.getloadavg()
    # the machine's 1-minute load average before and after (2 cores: above 2, the wall
    # ratio also measures the other work)
    load = f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    print(f"{load} ({os.cpu_count()} cores)")
    results.append({"load_before": load_before[0], "load_after": load_after[0]})
    (args.out / "associations.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
