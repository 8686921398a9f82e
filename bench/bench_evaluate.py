"""Benchmark `derm-onto evaluate` against a pyarrow read of the same table (same run).

Run: python bench/bench_evaluate.py [--rows 1000000] [--score-rows 100000] [--classes 400]
[--bootstrap 200] [--out bench/out]

In one run:

* predictions: a CSV of ``--rows`` rows with a truth and a prediction column, drawn from the
  bundled ontology's names and synonyms (Zipf-like frequencies; 60% of predictions right,
  the rest a random name). Floor: a streaming pyarrow read of the same file, every column as
  strings (what `evaluate` itself reads through). Then `evaluate_table` (library, levels 1-4,
  hierarchical, severity, confusions), and the same with ``--bootstrap`` resamples;
* scores: a ``--score-rows`` x ``--classes`` float32 matrix (.npy) over the classes of a
  2x synthetic ontology (the bundled one has fewer than 400 conditions), truth ids in a
  CSV. Floor: ``np.load`` + row softmax + argmax of the same matrix. Then `evaluate_table`
  with ``softmax``, top-k 1 and 5, and hierarchical zero-shot (summed and top-down).

The file cache is warmed before timing; each timing is the best of ``--repeat`` runs.
Results print as a table and are saved to OUT/evaluate.json.

``--example DIR`` instead writes the README's example run into DIR: the real HAM10000
diagnoses (shared data) as the truth, and the scores of a simulated zero-shot model over the
seven HAM10000 prompt classes whose logits fall with tree distance to the truth
(``-0.6 * distance + N(0, 1)``), i.e. a model that confuses near classes more than far ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


CPU: dict[int, float] = {}  # id(function) -> best CPU seconds of the last best_of


def best_of(repeat: int, function: Callable[[], Any]) -> float:
    """Best wall-clock seconds of ``repeat`` runs (CPU seconds, all threads, go to CPU)."""
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[id(function)] = min(cpu)
    return min(times)


def make_predictions(path: Path, rows: int, seed: int = 0) -> None:
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path

    onto = load(bundled_ontology_path())
    names = np.array(sorted({n for c in onto.conditions for n in c.names}), dtype=object)
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(names) + 1) ** 0.8
    truth_idx = rng.choice(len(names), size=rows, p=weights / weights.sum())
    right = rng.random(rows) < 0.6
    pred_idx = np.where(right, truth_idx, rng.integers(0, len(names), rows))
    table = pa.table({"truth": names[truth_idx].tolist(), "pred": names[pred_idx].tolist()})
    pa_csv.write_csv(table, str(path))


def make_scores(folder: Path, rows: int, n_classes: int, seed: int = 0) -> tuple[Path, ...]:
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    from bench.synthetic import scaled
    from derm_onto.jsonio import dump, load
    from derm_onto.resources import bundled_ontology_path

    onto = scaled(load(bundled_ontology_path()), 2)
    onto_path = folder / "onto2x.json"
    dump(onto, onto_path)
    rng = np.random.default_rng(seed)
    ids = sorted(c.id for c in onto.conditions)
    classes = sorted(rng.choice(len(ids), size=n_classes, replace=False).tolist())
    class_ids = [ids[i] for i in classes]
    (folder / "classes.txt").write_text("\n".join(class_ids) + "\n", encoding="utf-8")
    truth_col = rng.integers(0, n_classes, rows)
    scores = rng.normal(size=(rows, n_classes)).astype(np.float32)
    scores[np.arange(rows), truth_col] += 2.0  # a model that is right about half the time
    np.save(folder / "scores.npy", scores)
    table = pa.table({"truth": [class_ids[i] for i in truth_col]})
    pa_csv.write_csv(table, str(folder / "truth.csv"))
    return onto_path, folder / "classes.txt", folder / "scores.npy", folder / "truth.csv"


HAM_CLASSES = {
    "akiec": "actinic keratosis",
    "bcc": "basal cell carcinoma",
    "bkl": "benign keratosis",
    "df": "dermatofibroma",
    "mel": "melanoma",
    "nv": "nevus",
    "vasc": "vascular",
}


def write_example(folder: Path, seed: int = 0) -> None:
    """HAM10000 truth + simulated scores + class list, ready for `derm-onto evaluate`."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    from derm_onto import prompts
    from derm_onto.evaluation.space import HierarchySpace
    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path

    folder.mkdir(parents=True, exist_ok=True)
    relative = "shared/data/ham10000/HAM10000_metadata.csv"
    found = [p / relative for p in (ROOT.parent, ROOT.parent.parent) if (p / relative).is_file()]
    if not found:
        raise SystemExit(f"{relative} not found beside the checkout")
    metadata = pa_csv.read_csv(found[0])
    truth = [HAM_CLASSES[d] for d in metadata.column("dx").to_pylist()]
    classes = list(prompts.DATASETS["ham10000"])
    space = HierarchySpace(load(bundled_ontology_path()))
    class_codes = np.array([space.code(c) for c in classes])
    truth_codes = np.array([space.code(t) for t in truth])
    rng = np.random.default_rng(seed)
    logits = -0.6 * space.distance[truth_codes[:, None], class_codes[None, :]]
    logits = logits + rng.normal(size=logits.shape)
    np.save(folder / "scores.npy", logits.astype(np.float32))
    (folder / "classes.txt").write_text("\n".join(classes) + "\n", encoding="utf-8")
    table = pa.table({"image_id": metadata.column("image_id"), "dx": pa.array(truth)})
    pa_csv.write_csv(table, str(folder / "ham10000.csv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--score-rows", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=400)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--example", type=Path, help="Write the README example run here.")
    args = parser.parse_args()
    if args.example is not None:
        write_example(args.example)
        return

    import numpy as np

    from derm_onto.evaluation import evaluate_table
    from derm_onto.evaluation.scores import softmax
    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path
    from derm_onto.tables import read_batches

    results: dict[str, Any] = {"load_average": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = folder / "preds.csv"
        make_predictions(table, args.rows)
        onto = load(bundled_ontology_path())

        def floor() -> None:
            for _batch in read_batches(table):
                pass

        floor()  # warm the file cache
        results["rows"] = args.rows
        results["csv_mib"] = round(table.stat().st_size / 2**20, 1)
        results["floor_s"] = best_of(args.repeat, floor)
        results["floor_cpu_s"] = CPU[id(floor)]
        last: dict[str, Any] = {}

        def run() -> None:
            last["r"] = evaluate_table(onto, table, "truth", "pred", unknown="drop")

        results["evaluate_s"] = best_of(args.repeat, run)
        results["evaluate_cpu_s"] = CPU[id(run)]
        results["evaluate_ratio"] = results["evaluate_s"] / results["floor_s"]
        results["evaluate_cpu_ratio"] = results["evaluate_cpu_s"] / results["floor_cpu_s"]
        results["accuracy"] = last["r"].figures["accuracy"]

        def run_boot() -> None:
            evaluate_table(onto, table, "truth", "pred", unknown="drop", bootstrap=args.bootstrap)

        results["bootstrap"] = args.bootstrap
        results["bootstrap_s"] = best_of(1, run_boot)
        results["bootstrap_cpu_s"] = CPU[id(run_boot)]

        onto2, classes, scores, truth = make_scores(folder, args.score_rows, args.classes)
        onto_2x = load(onto2)

        def score_floor() -> None:
            matrix = np.load(scores)
            for start in range(0, len(matrix), 8192):
                softmax(matrix[start : start + 8192], 1.0).argmax(axis=1)

        score_floor()
        results["score_shape"] = [args.score_rows, args.classes]
        results["score_floor_s"] = best_of(args.repeat, score_floor)
        results["score_floor_cpu_s"] = CPU[id(score_floor)]

        def run_scores() -> None:
            last["s"] = evaluate_table(
                onto_2x,
                truth,
                "truth",
                scores_path=scores,
                classes_path=classes,
                softmax=True,
                top_k=(1, 5),
            )

        results["scores_s"] = best_of(args.repeat, run_scores)
        results["scores_cpu_s"] = CPU[id(run_scores)]
        results["scores_ratio"] = results["scores_s"] / results["score_floor_s"]
        results["scores_cpu_ratio"] = results["scores_cpu_s"] / results["score_floor_cpu_s"]
        results["top1"] = last["s"].figures["top_k.1.accuracy"]
        results["top5"] = last["s"].figures["top_k.5.accuracy"]
    results["load_average_after"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "evaluate.json").write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:22} {shown}")


if __name__ == "__main__":
    main()
