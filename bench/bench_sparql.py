"""Latency of every library query with rdflib and with Oxigraph, on the curated ontology and
on a synthetic one 100x larger.

Run: python bench/bench_sparql.py [--factor 100] [--repeat 3] [--cap 60] [--engines ...]
Graphs and stores are built once (load time reported apart); each latency is the best of
--repeat runs. On the large ontology each query runs in a forked child, once to warm up and
once timed, both within --cap seconds ("> cap" when they do not finish). Ratios are
rdflib / Oxigraph. ``--engines oxigraph`` skips rdflib (whose graph alone takes minutes to
build at 100x). The goal (issue #16) is every query under 2 s on Oxigraph at 100x: the last
column marks those over it. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import scaled

from derm_onto import sparql
from derm_onto.jsonio import load
from derm_onto.rdf import to_graph
from derm_onto.resources import bundled_ontology_path

PARAMS = {
    "term": "psoriasis",
    "level": "3",
    "text": "wart",
    "scheme": "ICD10CM",
    "a": "melanoma",
    "b": "basal cell carcinoma",
}


def values(query: sparql.Query) -> dict[str, str]:
    out = {p.name: PARAMS[p.name] for p in query.params}
    if query.name == "conditions-with-concept":
        out["term"] = "papule"
    return out


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


_STATE: dict[str, Any] = {}


def _child(name: str, engine: str, conn: Any) -> None:
    onto, graph, store = _STATE["onto"], _STATE["graph"], _STATE["store"]
    q = sparql.library()[name]

    bound = sparql.bindings(q, onto, values(q))  # resolving terms is not the engine's work

    def once() -> int:
        if engine == "rdflib":
            return len(sparql._run_rdflib(onto, q, bound, "select", graph).rows)
        return len(sparql._run_oxigraph(onto, q, bound, "select", store).rows)

    once()  # warm-up: the first query in a forked child pays one-off costs
    start = time.perf_counter()
    rows = once()
    conn.send((time.perf_counter() - start, rows))


def capped(name: str, engine: str, cap: float) -> tuple[float, int | None]:
    """Seconds (inf past the cap) and row count of one query in a forked child."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(name, engine, child))
    proc.start()
    proc.join(cap)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return float("inf"), None
    seconds, rows = parent.recv()
    return seconds, rows


def show(seconds: float, cap: float | None) -> str:
    return f"  >{cap:.0f} s" if seconds == float("inf") else f"{seconds * 1000:8.1f}ms"


def bench(label: str, onto: Any, repeat: int, cap: float | None, engines: set[str]) -> None:
    use_rdflib = "rdflib" in engines
    load_rdflib, graph = timed(lambda: to_graph(onto), 1) if use_rdflib else (0.0, None)
    load_ox, store = timed(lambda: sparql.oxigraph_store(onto), 1)
    print(
        f"\n{label}: {len(store):,} triples; load rdflib "
        f"{f'{load_rdflib:.2f} s' if use_rdflib else '-'}, Oxigraph {load_ox:.2f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"  {'query':26} {'rows':>6} {'rdflib':>10} {'oxigraph':>10} {'ratio':>7}")
    _STATE.update(onto=onto, graph=graph, store=store)
    for name, q in sparql.library().items():
        if cap is None:
            bound = sparql.bindings(q, onto, values(q))
            ox_s, result = timed(
                lambda q=q, b=bound: sparql._run_oxigraph(onto, q, b, "select", store), repeat
            )
            rd_s, _ = (
                timed(lambda q=q, b=bound: sparql._run_rdflib(onto, q, b, "select", graph), repeat)
                if use_rdflib
                else (float("nan"), None)
            )
            rows: int | None = len(result.rows)
        else:
            ox_s, rows = capped(name, "oxigraph", cap)
            rd_s, rd_rows = capped(name, "rdflib", cap) if use_rdflib else (float("nan"), None)
            rows = rows if rows is not None else rd_rows
        finite = rd_s not in (float("inf"),) and ox_s != float("inf") and rd_s == rd_s
        ratio = f"{rd_s / ox_s:6.0f}x" if finite else ""
        rd_text = show(rd_s, cap) if rd_s == rd_s else "-"
        over = "  > 2 s" if ox_s >= 2 else ""
        print(
            f"  {name:26} {rows if rows is not None else '?':>6} {rd_text:>10} "
            f"{show(ox_s, cap):>10} {ratio:>7}{over}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cap", type=float, default=60.0)
    parser.add_argument(
        "--engines", default="rdflib,oxigraph", help="comma-separated: rdflib, oxigraph"
    )
    args = parser.parse_args()
    engines = set(args.engines.split(","))
    onto = load(bundled_ontology_path())
    bench("curated derm1m", onto, args.repeat, None, engines)
    bench(f"synthetic x{args.factor}", scaled(onto, args.factor), 1, args.cap, engines)


if __name__ == "__main__":
    main()
