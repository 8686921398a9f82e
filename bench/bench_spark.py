"""Throughput of labels and captions on Spark local[N] beside the single-process commands.

Run: python bench/bench_spark.py [--rows 1000000] [--master local[2]] [--out bench/out]

One Derm1M-shaped table (bench_labels.generate, written as Parquet) goes, each in its own
process and in the same run, through:

* floor: a pyarrow streaming read + write of the table (no labelling);
* derm-onto labels / derm-onto captions (one process);
* spark floor: Spark reads the table and writes it back as Parquet (JVM start included);
* derm-onto spark labels / spark captions on --master.

Reported: seconds, rows/s, and ratios to the floor of the same engine (the Spark figures
include the JVM and session start, a fixed ~10-20 s that a cluster job pays once). The load
average is printed with the figures: on a shared machine only same-run ratios mean much.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_labels
from bench_labels import generate

ROOT = Path(__file__).resolve().parent.parent
if not bench_labels.SAMPLE.exists():  # a git worktree sits one folder deeper than main
    for parent in ROOT.parents:
        candidate = parent / "shared" / "data" / "derm1m" / bench_labels.SAMPLE.name
        if candidate.exists():
            bench_labels.SAMPLE = candidate
            break

FLOOR = """
import sys
import pyarrow.parquet as pq
src, dst = sys.argv[1], sys.argv[2]
reader = pq.ParquetFile(src)
with pq.ParquetWriter(dst, reader.schema_arrow) as writer:
    for batch in reader.iter_batches():
        writer.write_batch(batch)
"""

SPARK_FLOOR = """
import sys
from derm_onto.spark import read_table, session
spark = session(sys.argv[3])
read_table(spark, sys.argv[1]).write.parquet(sys.argv[2])
"""


def run(cmd: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    py, cli = sys.executable, [sys.executable, "-m", "derm_onto"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path, source = folder / "table.csv", folder / "table.parquet"
        generate(csv_path, args.rows)
        import pyarrow.csv as pa_csv
        import pyarrow.parquet as pq

        pq.write_table(pa_csv.read_csv(csv_path), source, row_group_size=100_000)
        csv_path.unlink()
        out = folder / "out"

        def fresh(name: str) -> str:
            target = out / name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            out.mkdir(exist_ok=True)
            return str(target)

        src = str(source)
        timings = {
            "floor (pyarrow read+write)": run([py, "-c", FLOOR, src, fresh("floor.parquet")]),
            "derm-onto labels": run(
                [*cli, "labels", src, "-o", fresh("l.parquet"), "--column", "disease_label"]
            ),
            "derm-onto captions": run([*cli, "captions", src, "-o", fresh("c.parquet")]),
            f"spark floor ({args.master})": run(
                [py, "-c", SPARK_FLOOR, src, fresh("sf"), args.master]
            ),
            f"spark labels ({args.master})": run(
                [*cli, "spark", "labels", src, "-o", fresh("sl"), "--master", args.master]
            ),
            f"spark captions ({args.master})": run(
                [*cli, "spark", "captions", src, "-o", fresh("sc"), "--master", args.master]
            ),
        }
    load = os.getloadavg()[0]
    print(f"{args.rows:,} rows; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'run':34}{'seconds':>9}{'rows/s':>12}{'x floor':>9}")
    names = list(timings)
    for name, seconds in timings.items():
        floor = timings[names[3]] if name.startswith("spark") else timings[names[0]]
        print(f"{name:34}{seconds:9.2f}{args.rows / seconds:12,.0f}{seconds / floor:9.2f}")


if __name__ == "__main__":
    main()
