"""Benchmark `derm-onto captions` on the Derm1M-shaped table of bench_labels.py.

Run: python bench/bench_captions.py [--rows 1029761] [--baseline-rows 100000]
Generates the table if bench_labels.py has not (same generator, same seed). In one run, each
in its own process, on the CSV and on the same rows as Parquet: the pyarrow read+write
floor and `derm-onto captions` (derm1m and natural styles); and a per-row implementation
that, for each row, searches the nodes for the label, walks up the tree to build the path
and formats the captions (timed on --baseline-rows rows, reported in rows/s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_labels import DISTINCT_LABELS, FLOOR, PER_ROW_SETUP, ROOT, run

PER_ROW = (
    PER_ROW_SETUP
    + """
csv.field_size_limit(1 << 30)
with open(src, newline="", encoding="utf-8") as fin, \\
        open(dst, "w", newline="", encoding="utf-8") as fout:
    reader = csv.DictReader(fin)
    writer = csv.DictWriter(fout, fieldnames=reader.fieldnames + ["ontology_caption",
                            "visual_concept_caption", "augmented_caption"])
    writer.writeheader()
    for row in itertools.islice(reader, limit):
        found = [find(p) for p in row["disease_label"].split(",")]
        paths = [walk(n) for n in found if n is not None]
        onto_caption = f"This is a skin photo diagnosed as {', '.join(paths[0])}." if paths else ""
        concepts = [c.strip() for c in row["skin_concept"].split(",")
                    if c.strip() != "No visual concepts"]
        concept_caption = f"This skin photo shows {', '.join(dict.fromkeys(concepts))}." \\
            if concepts else ""
        row.update(ontology_caption=onto_caption, visual_concept_caption=concept_caption,
                   augmented_caption=row["caption"] + onto_caption + concept_caption)
        writer.writerow(row)
"""
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_029_761)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / f"derm1m_{args.rows}.csv"
    if not data.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "bench_labels.py"),
                "--generate",
                str(data),
                str(args.rows),
                str(DISTINCT_LABELS),
            ],
            check=True,
        )
    parquet = data.with_suffix(".parquet")
    if not parquet.exists():  # the same rows as Parquet, written by derm-onto's writer
        subprocess.run([sys.executable, "-c", FLOOR, str(data), str(parquet)], check=True)
    py = sys.executable
    results = {}
    for source, ext in ((data, "csv"), (parquet, "parquet")):
        floor = run([py, "-c", FLOOR, str(source), str(args.out / f"floor.{ext}")])
        cmd = [py, "-m", "derm_onto", "captions", str(source)]
        derm1m = run([*cmd, "-o", str(args.out / f"captions.{ext}")])
        natural = run(
            [*cmd, "--style", "natural", "--seed", "1", "-o", str(args.out / f"natural.{ext}")]
        )
        results[ext] = (floor, derm1m, natural)
    walk_s, _ = run(
        [py, "-c", PER_ROW, str(data), str(args.out / "captions_walk.csv"), str(args.baseline_rows)]
    )
    walk_rate = args.baseline_rows / walk_s
    print(f"rows                          {args.rows:,}")
    for ext, ((floor_s, floor_mb), *styles) in results.items():
        print(
            f"{ext}: pyarrow read+write (floor) {floor_s:7.2f} s   peak {floor_mb:5.0f} MiB   1.00x"
        )
        for name, (secs, mb) in zip(("derm1m", "natural"), styles, strict=True):
            rate = args.rows / secs
            print(
                f"{ext}: captions --style {name:8} {secs:7.2f} s   peak {mb:5.0f} MiB   "
                f"{secs / floor_s:.2f}x floor  ({rate:,.0f} rows/s, "
                f"{rate / walk_rate:.0f}x the per-row walk)"
            )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cpus")
    print(f"per-row walk                  {walk_rate:,.0f} rows/s on {args.baseline_rows:,} rows")


if __name__ == "__main__":
    main()
