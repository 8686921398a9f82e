"""Benchmark `derm-onto kg` at Derm1M scale: N-Triples build, Oxigraph bulk load, queries.

Run: python bench/bench_kg.py [--rows 1029761] [--virtuoso-rows 100000,1029761] [--out bench/out]
     [--sample ../shared/data/derm1m/pretrain_sample_100.csv]

On one generated Derm1M-shaped CSV (bench_labels.generate: the sample's columns, labels from
the ontology's names and synonyms, ~10% multi-label, 25% 'no definitive diagnosis'), each
step in its own process:

* floor: a pyarrow streaming read of the table (derm_onto.tables.read_batches), nothing else;
* kg build: the real command writing N-Triples, timed against the floor (target <= 3x), and
  once more on a quarter of the rows to show that peak memory stays flat in rows;
* Oxigraph: bulk load of the N-Triples and the ontology into an on-disk store (triples/s);
* queries on the loaded store, each in a fresh process, first run and best of 3 (wall clock,
  and the CPU time of the query, which a shared machine inflates less): the roll-up
  "images under malignant, per level-2 class" (target < 1 s), images per class at level 2,
  and the concept + site + class count (target < 2 s);
* Virtuoso (when virtuoso-t and isql-vt are installed): `kg publish` (ld_dir +
  rdf_loader_run) of each --virtuoso-rows table into a throwaway server (tests/virtuoso.py,
  its default buffers), the time including isql, the checkpoint and the count.

Results print as a table and are saved to OUT/kg.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FLOOR = """
import sys
from derm_onto.tables import read_batches
rows = 0
for batch in read_batches(sys.argv[1]):
    rows += batch.num_rows
print(rows)
"""

LOAD = """
import json, sys
from derm_onto.jsonio import load
from derm_onto.kg import load_store
from derm_onto.resources import bundled_ontology_path
result = load_store(load(bundled_ontology_path()), sys.argv[1], sys.argv[2])
print(json.dumps({"quads": result.quads, "seconds": result.seconds}))
"""

QUERY = """
import json, sys, time
from derm_onto.jsonio import load
from derm_onto.kg import open_store, run_store
from derm_onto.resources import bundled_ontology_path
onto = load(bundled_ontology_path())
store = open_store(sys.argv[1], onto)
params = json.loads(sys.argv[3])
times, cpu = [], []
for _ in range(3):
    start, start_cpu = time.perf_counter(), time.process_time()
    result = run_store(onto, sys.argv[1], sys.argv[2], params, store=store)
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
print(json.dumps({"first_s": times[0], "best_s": min(times), "best_cpu_s": min(cpu),
                  "rows": result.rows[:3]}))
"""

QUERIES = {
    "roll-up: images under malignant per level-2 class": (
        "images-under-class",
        {"term": "malignant"},
        1.0,
    ),
    "images per class at level 2 (projection)": (
        "images-per-class-at-level",
        {"level": "2"},
        None,
    ),
    "concept + site + class: inflammatory, red, face": (
        "images-of-class-with-concept-at-site",
        {"class": "inflammatory", "concept": "red", "site": "face"},
        2.0,
    ),
}


CPU: dict[str, float] = {}  # CPU seconds (user + system, all threads) of the last child


def child(cmd: list[str]) -> tuple[float, float, str]:
    """Seconds, peak RSS (MiB) and stdout of a child, peak read with wait4 (its CPU
    seconds go to CPU["last"]: on a shared machine wall time inflates, CPU time less)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        CPU["last"] = usage.ru_utime + usage.ru_stime
        if status != 0:
            errors.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd)}\n{errors.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out.decode()


def generate(path: Path, rows: int, sample: Path) -> None:
    if path.exists():
        return
    print(f"generating {path.name} ...", file=sys.stderr)
    code = (
        "import sys; from pathlib import Path; import bench_labels as b; "
        "b.SAMPLE = Path(sys.argv[3]); b.generate(Path(sys.argv[1]), int(sys.argv[2]))"
    )
    env = dict(os.environ, PYTHONPATH=f"{ROOT}:{ROOT / 'bench'}")
    subprocess.run(
        [sys.executable, "-c", code, str(path), str(rows), str(sample)], check=True, env=env
    )


def virtuoso_load(table: Path, out: Path, built: Path | None = None) -> dict[str, float]:
    """Build N-Triples for ``table`` (or link ``built``), publish into a throwaway
    Virtuoso, time the load."""
    from tests.virtuoso import Virtuoso

    if not Virtuoso.available():
        return {}
    folder = out / "virtuoso"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    server = Virtuoso(folder)
    server.start()
    try:
        (folder / "load").mkdir()
        graph = folder / "load" / "graph.nt"
        py = sys.executable
        if built is not None:
            graph.hardlink_to(built)
        else:
            child([py, "-m", "derm_onto", "kg", "build", str(table), "-o", str(graph)])
        seconds, _, stdout = child(
            [
                py,
                "-m",
                "derm_onto",
                "kg",
                "publish",
                str(graph),
                "--isql",
                f"127.0.0.1:{server.sql_port}",
            ]
        )
        counts = [int(line.split("\t")[1]) for line in stdout.splitlines() if "\t" in line]
        return {"seconds": seconds, "triples": sum(counts)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_029_761)
    parser.add_argument(
        "--virtuoso-rows",
        default="100000",
        help="Comma-separated table sizes to bulk-load into Virtuoso ('' to skip); the "
        "--rows size reuses the benchmark's N-Triples.",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--sample",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "derm1m" / "pretrain_sample_100.csv",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["PYTHONPATH"] = str(ROOT)
    data = args.out / f"derm1m_{args.rows}.csv"
    quarter = args.out / f"derm1m_{args.rows // 4}.csv"
    generate(data, args.rows, args.sample)
    generate(quarter, args.rows // 4, args.sample)
    py = sys.executable
    floor_s, floor_mb, _ = child([py, "-c", FLOOR, str(data)])
    floor_cpu = CPU["last"]
    graph = args.out / "kg.nt"
    build = [py, "-m", "derm_onto", "kg", "build"]
    build_s, build_mb, _ = child([*build, str(data), "-o", str(graph)])
    build_cpu = CPU["last"]
    _, quarter_mb, _ = child([*build, str(quarter), "-o", str(args.out / "kg_q.nt")])
    (args.out / "kg_q.nt").unlink()
    triples = sum(1 for _ in graph.open("rb"))
    store = args.out / "kg.store"
    load_s, load_mb, load_out = child([py, "-c", LOAD, str(graph), str(store)])
    load_cpu = CPU["last"]
    loaded = json.loads(load_out)
    queries = {}
    for title, (name, params, target) in QUERIES.items():
        _, _, out = child([py, "-c", QUERY, str(store), name, json.dumps(params)])
        queries[title] = {**json.loads(out), "target_s": target}
    virtuoso = {}
    for size in [int(v) for v in args.virtuoso_rows.split(",") if v.strip()]:
        table = args.out / f"derm1m_{size}.csv"
        generate(table, size, args.sample)
        virtuoso[size] = virtuoso_load(table, args.out, graph if size == args.rows else None)
    result = {
        "rows": args.rows,
        "file_mb": round(data.stat().st_size / 2**20, 1),
        "nt_mb": round(graph.stat().st_size / 2**20, 1),
        "triples": triples,
        "triples_per_row": round(triples / args.rows, 2),
        "floor_read_s": round(floor_s, 2),
        "floor_peak_mb": round(floor_mb),
        "floor_cpu_s": round(floor_cpu, 2),
        "build_cpu_s": round(build_cpu, 2),
        "oxigraph_load_cpu_s": round(load_cpu, 2),
        "build_nt_s": round(build_s, 2),
        "build_vs_floor": round(build_s / floor_s, 2),
        "build_peak_mb": round(build_mb),
        "build_peak_mb_quarter_rows": round(quarter_mb),
        "oxigraph_load_s": round(load_s, 2),
        "oxigraph_bulk_load_s": round(loaded["seconds"], 2),
        "oxigraph_quads": loaded["quads"],
        "oxigraph_triples_per_s": round(loaded["quads"] / loaded["seconds"]),
        "oxigraph_load_peak_mb": round(load_mb),
        "queries": queries,
        "virtuoso_rows": args.virtuoso_rows,
        "virtuoso": virtuoso,
        "load_average": os.getloadavg(),
    }
    (args.out / "kg.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"rows                      {args.rows:,} ({result['file_mb']} MiB CSV)")
    print(
        f"pyarrow read (floor)      {floor_s:7.2f} s   peak {floor_mb:6.0f} MiB   "
        f"(CPU {floor_cpu:.1f} s)"
    )
    print(
        f"kg build -> N-Triples     {build_s:7.2f} s   peak {build_mb:6.0f} MiB   "
        f"{build_s / floor_s:.2f}x floor; {triples:,} triples ({triples / args.rows:.1f}/row, "
        f"{result['nt_mb']} MiB); CPU {build_cpu:.1f} s = {build_cpu / floor_cpu:.2f}x the floor's"
    )
    print(f"kg build, 1/4 rows                  peak {quarter_mb:6.0f} MiB")
    print(
        f"Oxigraph bulk load        {loaded['seconds']:7.2f} s   peak {load_mb:6.0f} MiB   "
        f"{result['oxigraph_triples_per_s']:,} quads/s ({loaded['quads']:,} quads); "
        f"process CPU {load_cpu:.1f} s"
    )
    for title, q in queries.items():
        target = f" (target < {q['target_s']:g} s)" if q["target_s"] else ""
        print(
            f"query {title}: first {q['first_s']:.3f} s, best {q['best_s']:.3f} s "
            f"(CPU {q['best_cpu_s']:.3f} s){target}"
        )
    for size, v in virtuoso.items():
        if v:
            print(
                f"Virtuoso bulk load ({size:,} rows): {v['seconds']:.1f} s for "
                f"{v['triples']:,} triples on the server "
                f"({v['triples'] / v['seconds']:,.0f} triples/s with isql and checkpoint)"
            )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
