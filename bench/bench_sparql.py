"""Latency of every library query with rdflib and with Oxigraph, on the curated ontology and
on a synthetic one 100x larger.

Run: python bench/bench_sparql.py [--factor 100] [--repeat 3] [--cap 60]
Graphs and stores are built once (load time reported apart); each latency is the best of
--repeat runs. On the large ontology each query runs in a forked child, once to warm up and
once timed, both within --cap seconds ("> cap" when they do not finish). Ratios are
rdflib / Oxigraph.
"""

from __future__ import annotations

import argparse
import multiprocessing
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


def bench(label: str, onto: Any, repeat: int, cap: float | None) -> None:
    load_rdflib, graph = timed(lambda: to_graph(onto), 1)
    load_ox, store = timed(lambda: sparql.oxigraph_store(onto), 1)
    print(
        f"\n{label}: {len(graph):,} triples; load rdflib {load_rdflib:.2f} s, "
        f"Oxigraph {load_ox:.2f} s"
    )
    print(f"  {'query':26} {'rows':>6} {'rdflib':>10} {'oxigraph':>10} {'ratio':>7}")
    _STATE.update(onto=onto, graph=graph, store=store)
    for name, q in sparql.library().items():
        if cap is None:
            bound = sparql.bindings(q, onto, values(q))
            ox_s, result = timed(
                lambda q=q, b=bound: sparql._run_oxigraph(onto, q, b, "select", store), repeat
            )
            rd_s, _ = timed(
                lambda q=q, b=bound: sparql._run_rdflib(onto, q, b, "select", graph), repeat
            )
            rows: int | None = len(result.rows)
        else:
            ox_s, rows = capped(name, "oxigraph", cap)
            rd_s, rd_rows = capped(name, "rdflib", cap)
            rows = rows if rows is not None else rd_rows
        ratio = f"{rd_s / ox_s:6.0f}x" if rd_s != float("inf") and ox_s != float("inf") else ""
        print(
            f"  {name:26} {rows if rows is not None else '?':>6} {show(rd_s, cap):>10} "
            f"{show(ox_s, cap):>10} {ratio:>7}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cap", type=float, default=60.0)
    args = parser.parse_args()
    onto = load(bundled_ontology_path())
    bench("curated derm1m", onto, args.repeat, None)
    bench(f"synthetic x{args.factor}", scaled(onto, args.factor), 1, args.cap)


if __name__ == "__main__":
    main()
