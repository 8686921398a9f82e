"""Compare two checkouts of derm-onto on the same table, in one run, against their floors.

Run: python bench/bench_revisions.py BEFORE TABLE [--repeat 3] [--out bench/out] [--command ...]

BEFORE is another checkout (``git archive <commit> | tar -x -C /tmp/before``). For each of
the two checkouts, interleaved, best of ``--repeat``, each in its own process: the pyarrow
streaming read+write floor (that checkout's ``TableWriter``), ``labels``, ``captions`` and
``captions --style natural`` on TABLE (``--command`` replaces the list: a quoted command line
with ``{table}`` and ``{out}``). Prints wall and CPU (user+sys) seconds, each as a ratio to its
own checkout's floor, the user CPU alone, the 1-minute load average seen during the run,
and whether the two checkouts wrote byte-identical outputs (or, for Parquet, the same
values). ``--fresh`` deletes each output before its run, so that no run pays the kernel
for dropping the previous run's file (noise that grows with the output's size).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_labels import FLOOR  # noqa: E402  (a sibling script, not a package)

COMMANDS = (
    "labels --column disease_label --prefix onto_ {table} -o {out}",
    "captions {table} -o {out}",
    "captions --style natural --seed 1 {table} -o {out}",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before", type=Path)
    parser.add_argument("table", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--command", action="append", help="a derm-onto command line")
    parser.add_argument("--fresh", action="store_true", help="delete outputs before runs")
    args = parser.parse_args()
    args.out = args.out.resolve()
    args.table = args.table.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "".join(args.table.suffixes[-1:])
    trees = {"after": ROOT, "before": args.before.resolve()}
    runs: dict[tuple[str, str], list[str]] = {}
    outputs: dict[tuple[str, str], Path] = {}
    for tree in trees:
        floor_out = args.out / f"rev_{tree}_floor{suffix}"
        outputs[(tree, "floor")] = floor_out
        runs[(tree, "floor")] = [sys.executable, "-c", FLOOR, str(args.table), str(floor_out)]
        for k, line in enumerate(args.command or COMMANDS):
            out = args.out / f"rev_{tree}_{k}{suffix}"
            outputs[(tree, line)] = out
            words = line.format(table=args.table, out=out).split()
            runs[(tree, line)] = [sys.executable, "-m", "derm_onto", *words]
    times: dict[tuple[str, str], list[tuple[float, float, float]]] = {key: [] for key in runs}
    loads: list[float] = []
    for _ in range(args.repeat):
        for (tree, name), cmd in runs.items():
            env = {**os.environ, "PYTHONPATH": str(trees[tree])}
            if args.fresh:
                outputs[(tree, name)].unlink(missing_ok=True)
                os.sync()
            start = time.perf_counter()
            proc = subprocess.Popen(  # not in a checkout: python -m would import from there
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=args.out
            )
            _, status, usage = os.wait4(proc.pid, 0)
            if status:
                raise SystemExit(f"failed: {' '.join(cmd)}")
            wall = time.perf_counter() - start
            times[(tree, name)].append((wall, usage.ru_utime + usage.ru_stime, usage.ru_utime))
            loads.append(os.getloadavg()[0])
    print(
        f"{args.table} (best of {args.repeat}; 1-min load {min(loads):.1f}-{max(loads):.1f} "
        f"on {os.cpu_count()} cpus)"
    )
    for (tree, name), values in times.items():
        floor = times[(tree, "floor")]
        wall, cpu, user = (min(v[i] for v in values) for i in range(3))
        floor_wall, floor_cpu, floor_user = (min(v[i] for v in floor) for i in range(3))
        label = " ".join(w for w in name.split() if "{" not in w and w != "-o")
        print(
            f"{tree:6} {label[:40]:40} wall {wall:6.2f} s {wall / floor_wall:5.2f}x   "
            f"cpu {cpu:6.2f} s {cpu / floor_cpu:5.2f}x   user {user:6.2f} s "
            f"{user / floor_user:5.2f}x"
        )
    for line in args.command or COMMANDS:
        after, before = outputs[("after", line)], outputs[("before", line)]
        same = filecmp.cmp(after, before, shallow=False)
        values = same or (suffix == ".parquet" and _same_values(after, before))
        print(f"byte-identical outputs: {same}, same values: {values}  ({line.split()[0]} ...)")


def _same_values(a: Path, b: Path) -> bool:
    """Whether two Parquet files read back as the same table (schema and values)."""
    import pyarrow.parquet as pq

    return bool(pq.read_table(a).equals(pq.read_table(b)))


if __name__ == "__main__":
    main()
