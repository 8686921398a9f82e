"""Benchmark the matcher on a table with ~100k distinct label strings, against a floor.

Run: python bench/bench_matcher.py [--rows 1029761] [--repeat 1] [--out bench/out]

One generated Derm1M-shaped CSV of ``--rows`` rows whose multi-label cells are random pairs
of ontology names (~10% of rows, so ~100k distinct strings at Derm1M's 1,029,761 rows; the
generator of bench/bench_labels.py). In one run, each in its own process:

* floor: a pyarrow streaming read + write of the same file (no labelling);
* ``derm-onto labels`` with the current matcher;
* the same command with the previous matcher (tests/matching_reference.py: difflib fuzzy
  search, no cached keys, no fast path), and a byte comparison of the two outputs;
* in-process: ``Matcher.match_cell`` over the distinct cells, current and previous,
  ``Matcher.match`` over distinct unknown names (the fuzzy search), ``LabelPlan.resolve``
  with the matches already cached (the per-row path), and ``LabelPlan.codes.lookup`` in
  batch-sized slices with a fresh matcher (what ``labels`` does per distinct cell now:
  "name, name" cells split and checked by Arrow kernels, the rest one by one).

Prints a table (ratios against the floor measured in the same run, and the load average)
and saves OUT/matcher.json.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import bench_labels  # noqa: E402  (a sibling script, not a package)

PREVIOUS = """
import dataclasses
import sys
import derm_onto.labels
from tests import matching_reference


class Previous(matching_reference.Matcher):
    # the previous matcher knew no obsolete terms: it sees the live ones only
    def __init__(self, ontology, *args, **kwargs):
        live = tuple(c for c in ontology.conditions if not c.obsolete)
        super().__init__(dataclasses.replace(ontology, conditions=live), *args, **kwargs)


derm_onto.labels.Matcher = Previous
derm_onto.labels._MANY = float("inf")  # no match_pairs in the previous matcher: cell by cell
from derm_onto.cli import main
main(sys.argv[1:])
"""


def sample_csv() -> Path:
    """Derm1M's sample rows in the shared data, from a checkout or a worktree."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "data" / "derm1m" / "pretrain_sample_100.csv"
        if path.is_file():
            return path
    raise SystemExit("shared/data/derm1m/pretrain_sample_100.csv not found")


def in_process(data: Path) -> dict[str, float]:
    """Per-cell cost of match_cell (current vs previous) and of a fuzzy search."""
    import pyarrow.csv as pa_csv

    from derm_onto.jsonio import load
    from derm_onto.matching import Matcher
    from derm_onto.resources import bundled_ontology_path
    from tests import matching_reference

    onto = load(bundled_ontology_path())
    options = pa_csv.ConvertOptions(include_columns=["disease_label"])
    cells = sorted(set(pa_csv.read_csv(data, convert_options=options)[0].to_pylist()))
    out: dict[str, float] = {"distinct_cells": len(cells)}
    unknown = [f"{c[: len(c) // 2]}x unlisted" for c in cells[:2000]]
    import dataclasses

    live = dataclasses.replace(onto, conditions=tuple(c for c in onto.conditions if not c.obsolete))
    for name, cls in (("current", Matcher), ("previous", matching_reference.Matcher)):
        matcher = cls(live)
        start = time.perf_counter()
        for cell in cells:
            matcher.match_cell(cell)
        out[f"{name}_match_cell_us"] = (time.perf_counter() - start) / len(cells) * 1e6
        start = time.perf_counter()
        for text in unknown:
            matcher.match(text)
        out[f"{name}_unknown_match_us"] = (time.perf_counter() - start) / len(unknown) * 1e6
        if name == "current":  # what labels does per distinct cell beyond matching it
            from derm_onto.arrays import strings
            from derm_onto.labels import LabelPlan

            plan = LabelPlan(onto, matcher=matcher)
            start = time.perf_counter()
            for cell in cells:
                plan.resolve(cell)
            out["label_plan_resolve_warm_us"] = (time.perf_counter() - start) / len(cells) * 1e6
            # what labels does now: new cells of a batch numbered at once, "name, name"
            # cells matched by Arrow kernels (a fresh matcher: matching included)
            plan = LabelPlan(onto)
            array = strings(cells)
            start = time.perf_counter()
            for first in range(0, len(cells), 2048):  # batch-sized slices, as a table streams
                plan.codes.lookup(cells[first : first + 2048], array.slice(first, 2048))
            out["labels_codes_cold_us"] = (time.perf_counter() - start) / len(cells) * 1e6
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_029_761)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs of each")
    parser.add_argument("--generate", nargs=2, metavar=("PATH", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    bench_labels.SAMPLE = sample_csv()
    if args.generate:
        bench_labels.generate(Path(args.generate[0]), int(args.generate[1]), distinct=None)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / f"random_pairs_{args.rows}.csv"
    if not data.exists():  # in a child, so this process stays small
        print(f"generating {data.name} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, __file__, "--generate", str(data), str(args.rows)], check=True
        )
    py = sys.executable
    env_path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    os.environ["PYTHONPATH"] = env_path
    labels_args = ["labels", "--column", "disease_label", "--prefix", "onto_", str(data), "-o"]
    current_out, previous_out = args.out / "matcher_current.csv", args.out / "matcher_previous.csv"
    floor_cmd = [py, "-c", bench_labels.FLOOR, str(data), str(args.out / "floor.csv")]
    runs: dict[str, list[tuple[float, float]]] = {"floor": [], "current": [], "previous": []}
    for _ in range(args.repeat):  # interleaved, best of each: the machine is shared
        runs["floor"].append(bench_labels.run(floor_cmd))
        runs["current"].append(
            bench_labels.run([py, "-m", "derm_onto", *labels_args, str(current_out)])
        )
        runs["previous"].append(
            bench_labels.run([py, "-c", PREVIOUS, *labels_args, str(previous_out)])
        )
    floor_s = min(t for t, _ in runs["floor"])
    labels_s, labels_mb = min(runs["current"])
    previous_s = min(t for t, _ in runs["previous"])
    identical = filecmp.cmp(current_out, previous_out, shallow=False) and filecmp.cmp(
        current_out.with_suffix(".classes.json"),
        previous_out.with_suffix(".classes.json"),
        shallow=False,
    )
    micro = in_process(data)
    load = os.getloadavg()
    result = {
        "rows": args.rows,
        "repeat": args.repeat,
        "file_mb": round(data.stat().st_size / 2**20, 1),
        "distinct_cells": int(micro["distinct_cells"]),
        "floor_s": round(floor_s, 2),
        "labels_s": round(labels_s, 2),
        "labels_peak_mb": round(labels_mb),
        "labels_vs_floor": round(labels_s / floor_s, 2),
        "previous_labels_s": round(previous_s, 2),
        "previous_labels_vs_floor": round(previous_s / floor_s, 2),
        "outputs_identical": identical,
        **{k: round(v, 1) for k, v in micro.items() if k.endswith("_us")},
        "load_average_1_5_15": [round(x, 2) for x in load],
        "cpus": os.cpu_count(),
    }
    (args.out / "matcher.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"rows                         {args.rows:,} ({result['file_mb']} MiB CSV, "
        f"{result['distinct_cells']:,} distinct labels)"
    )
    print(f"pyarrow read+write (floor)   {floor_s:7.2f} s   1.00x")
    print(f"labels, current matcher      {labels_s:7.2f} s   {labels_s / floor_s:.2f}x floor")
    print(f"labels, previous matcher     {previous_s:7.2f} s   {previous_s / floor_s:.2f}x floor")
    print(f"outputs byte-identical       {identical}")
    for name in ("current", "previous"):
        print(
            f"{name:9} match_cell {micro[f'{name}_match_cell_us']:8.1f} us/distinct cell, "
            f"unknown name {micro[f'{name}_unknown_match_us']:8.1f} us"
        )
    print(
        f"per distinct cell, one by one (LabelPlan.resolve, matches cached) "
        f"{micro['label_plan_resolve_warm_us']:.1f} us; as labels numbers them per batch "
        f"(matching included) {micro['labels_codes_cold_us']:.1f} us"
    )
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
