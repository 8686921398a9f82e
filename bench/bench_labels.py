"""Benchmark `derm-onto labels` at Derm1M scale against a floor and a per-row baseline.

Run: python bench/bench_labels.py [--rows 1029761] [--baseline-rows 100000] [--out bench/out]

In one run, on one generated Derm1M-shaped CSV (the sample's columns; labels drawn from the
ontology's names and synonyms, ~10% multi-label, 25% 'no definitive diagnosis', a few
unknowns; captions from the real sample rows), each in its own process:

* floor: a pyarrow streaming read + write of the same file (no labelling);
* stress: a quarter-size file whose multi-label pairs are all random (~26k distinct labels
  instead of Derm1M's 1,212), labels against its own floor;
* derm-onto labels: the real command, levels 1-4;
* per-row walk: csv.DictReader, for each row search the nodes for the name and walk up its
  parents to build the label path, csv.DictWriter - the straightforward per-row way the
  published Derm1M tooling works; and a stronger per-row variant that finds the name with a
  dict lookup (still walking the tree per row). Both are timed on the first --baseline-rows
  rows and reported in rows/s.

Peak memory (max RSS) is read from each child process; `labels` also runs on a quarter of
the rows to show that memory stays flat as rows grow. Results print as a table and are saved
to OUT/labels.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "derm1m" / "pretrain_sample_100.csv"


DISTINCT_LABELS = 1_212  # distinct disease_label strings in the full Derm1M table


def generate(path: Path, rows: int, seed: int = 0, distinct: int | None = DISTINCT_LABELS) -> None:
    """A Derm1M-shaped CSV of ``rows`` rows, deterministic for a seed.

    Labels come from a pool of ``distinct`` strings (Derm1M has 1,212): ontology names and
    synonyms, multi-label pairs and a few unknown strings, drawn with Zipf-like frequencies;
    25% of rows are 'no definitive diagnosis' and about 10% multi-label. ``distinct=None``
    draws every multi-label pair at random instead (a high-cardinality stress case).
    """
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path

    onto = load(bundled_ontology_path())
    names = np.array(sorted({n for c in onto.conditions for n in c.names}), dtype=object)
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        sample = list(csv.DictReader(handle))
    rng = np.random.default_rng(seed)
    kind = rng.random(rows)
    labels = np.empty(rows, dtype=object)
    single, multi = kind >= 0.35, (kind >= 0.25) & (kind < 0.35)
    if distinct is None:
        labels[single] = names[rng.integers(0, len(names), int(single.sum()))]
        a = names[rng.integers(0, len(names), int(multi.sum()))]
        b = names[rng.integers(0, len(names), int(multi.sum()))]
        labels[multi] = [f"{x}, {y}" for x, y in zip(a, b, strict=True)]
    else:
        n_unknown = 40
        n_single = min(len(names), distinct - n_unknown - distinct // 10)
        n_multi = distinct - n_unknown - n_single
        singles = rng.choice(names, n_single, replace=False)
        pairs = np.array(
            [
                f"{x}, {y}"
                for x, y in zip(rng.choice(names, n_multi), rng.choice(names, n_multi), strict=True)
            ],
            dtype=object,
        )
        unknowns = np.array([f"unlisted condition {i}" for i in range(n_unknown)], dtype=object)

        def zipf(pool: np.ndarray, n: int) -> np.ndarray:
            weights = 1.0 / np.arange(1, len(pool) + 1)
            return pool[rng.choice(len(pool), n, p=weights / weights.sum())]

        labels[single] = zipf(np.concatenate([singles, unknowns]), int(single.sum()))
        labels[multi] = zipf(pairs, int(multi.sum()))
    labels[kind < 0.25] = "no definitive diagnosis"
    pick = rng.integers(0, len(sample), rows)
    columns = {}
    for column in sample[0]:
        values = np.array([r[column] for r in sample], dtype=object)
        columns[column] = pa.array(values[pick], pa.string())
    columns["disease_label"] = pa.array(labels, pa.string())
    columns["filename"] = pa.array([f"img/{i:07d}.jpg" for i in range(rows)], pa.string())
    pa_csv.write_csv(pa.table(columns), str(path))


FLOOR = """
import sys
from derm_onto.tables import TableWriter, read_batches, read_columns
import pyarrow as pa
src, dst = sys.argv[1], sys.argv[2]
schema = pa.schema([(c, pa.string()) for c in read_columns(src)])
with TableWriter(dst, schema) as w:
    for b in read_batches(src):
        w.write(b)
"""

PER_ROW_SETUP = """
import csv, sys, itertools
from derm_onto.jsonio import load
from derm_onto.resources import bundled_ontology_path
onto = load(bundled_ontology_path())
nodes = list(onto.conditions)
src, dst, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
def search(name):  # as the published scripts: search the nodes for the name ...
    key = name.strip().lower()
    for node in nodes:
        if key == node.label.lower() or any(key == s.text.lower() for s in node.synonyms):
            return node
    return None
def walk(node):  # ... then walk up the tree, for every row
    path = []
    while node is not None:
        path.append(node.provenance[0].lower() if node.provenance else node.label)
        node = onto.term(node.parents[0]) if node.parents else None
    return list(reversed(path))
find = search
"""

PER_ROW = (
    PER_ROW_SETUP
    + """
if sys.argv[4] == "dict":  # a stronger per-row baseline: a dict lookup of the name
    by_name = {}
    for node in nodes:
        for name in node.names:
            by_name.setdefault(name.lower(), node)
    def find(name):
        return by_name.get(name.strip().lower())
csv.field_size_limit(1 << 30)
with open(src, newline="", encoding="utf-8") as fin, \
        open(dst, "w", newline="", encoding="utf-8") as fout:
    reader = csv.DictReader(fin)
    writer = csv.DictWriter(fout, fieldnames=reader.fieldnames + ["onto_path"])
    writer.writeheader()
    for row in itertools.islice(reader, limit):
        found = [find(p) for p in row["disease_label"].split(",")]
        paths = [walk(n) for n in found if n is not None]
        row["onto_path"] = ", ".join(paths[0]) if paths else ""
        writer.writerow(row)
"""
)


def run(cmd: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(
            f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}"
        )
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_029_761)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--generate", nargs=3, metavar=("PATH", "ROWS", "DISTINCT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.generate:
        path, n, distinct = args.generate
        generate(Path(path), int(n), distinct=int(distinct) or None)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / f"derm1m_{args.rows}.csv"
    quarter = args.out / f"derm1m_{args.rows // 4}.csv"
    stress = args.out / f"derm1m_random_pairs_{args.rows // 4}.csv"
    for path, n, distinct in (
        (data, args.rows, DISTINCT_LABELS),
        (quarter, args.rows // 4, DISTINCT_LABELS),
        (stress, args.rows // 4, None),
    ):
        if not path.exists():  # in a child, so this process stays small (see run())
            print(f"generating {path.name} ...", file=sys.stderr)
            subprocess.run(
                [sys.executable, __file__, "--generate", str(path), str(n), str(distinct or 0)],
                check=True,
            )
    py = sys.executable
    floor_s, floor_mb = run([py, "-c", FLOOR, str(data), str(args.out / "floor.csv")])
    labels_cmd = [py, "-m", "derm_onto", "labels", "--column", "disease_label", "--prefix", "onto_"]
    labels_s, labels_mb = run([*labels_cmd, str(data), "-o", str(args.out / "labels.csv")])
    _, quarter_mb = run([*labels_cmd, str(quarter), "-o", str(args.out / "labels_q.csv")])
    walk_s, walk_mb = run(
        [
            py,
            "-c",
            PER_ROW,
            str(data),
            str(args.out / "walk.csv"),
            str(args.baseline_rows),
            "search",
        ]
    )
    dict_s, _ = run(
        [
            py,
            "-c",
            PER_ROW,
            str(data),
            str(args.out / "walk_dict.csv"),
            str(args.baseline_rows),
            "dict",
        ]
    )
    stress_floor_s, _ = run([py, "-c", FLOOR, str(stress), str(args.out / "floor_s.csv")])
    stress_s, _ = run([*labels_cmd, str(stress), "-o", str(args.out / "labels_s.csv")])
    labels_rate = args.rows / labels_s
    walk_rate = args.baseline_rows / walk_s
    dict_rate = args.baseline_rows / dict_s
    result = {
        "rows": args.rows,
        "file_mb": round(data.stat().st_size / 2**20, 1),
        "floor_s": round(floor_s, 2),
        "floor_peak_mb": round(floor_mb),
        "labels_s": round(labels_s, 2),
        "labels_peak_mb": round(labels_mb),
        "labels_peak_mb_quarter_rows": round(quarter_mb),
        "labels_rows_per_s": round(labels_rate),
        "per_row_walk_rows_per_s": round(walk_rate),
        "per_row_walk_peak_mb": round(walk_mb),
        "labels_vs_floor": round(labels_s / floor_s, 2),
        "speedup_vs_per_row_walk": round(labels_rate / walk_rate, 1),
        "per_row_dict_walk_rows_per_s": round(dict_rate),
        "speedup_vs_per_row_dict_walk": round(labels_rate / dict_rate, 1),
        "floor_vs_per_row_dict_walk": round((args.rows / floor_s) / dict_rate, 1),
        "stress_random_pairs_rows": args.rows // 4,
        "stress_labels_vs_floor": round(stress_s / stress_floor_s, 2),
    }
    (args.out / "labels.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"rows                        {args.rows:,} ({result['file_mb']} MiB CSV)")
    print(f"pyarrow read+write (floor)  {floor_s:7.2f} s   peak {floor_mb:6.0f} MiB   1.00x")
    print(
        f"derm-onto labels            {labels_s:7.2f} s   peak {labels_mb:6.0f} MiB   "
        f"{labels_s / floor_s:.2f}x floor  ({labels_rate:,.0f} rows/s)"
    )
    print(f"derm-onto labels, 1/4 rows             peak {quarter_mb:6.0f} MiB")
    print(
        f"per-row walk (name search)  {walk_rate:,.0f} rows/s on {args.baseline_rows:,} rows "
        f"-> labels is {labels_rate / walk_rate:.0f}x faster"
    )
    print(
        f"per-row walk (dict lookup)  {dict_rate:,.0f} rows/s on {args.baseline_rows:,} rows "
        f"-> labels is {labels_rate / dict_rate:.1f}x faster (the floor itself is "
        f"{(args.rows / floor_s) / dict_rate:.1f}x)"
    )
    print(
        f"stress: {args.rows // 4:,} rows, every multi-label pair random (~26k distinct): "
        f"labels {stress_s:.2f} s = {stress_s / stress_floor_s:.2f}x its floor"
    )


if __name__ == "__main__":
    main()
