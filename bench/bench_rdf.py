"""RDF export and ``import rdf`` of derm-onto against pyoxigraph alone, on the curated
ontology (factor 1) and on synthetic ones N times larger, in one run.

- export: ``derm_onto.rdf.export(onto, fmt)`` (model -> bytes, everything included) against
  ``pyoxigraph.serialize`` of the same triples (read back from derm-onto's N-Triples) in the
  same format, with the same prefixes where the format takes them;
- import: ``derm_onto.rdf.import_rdf(turtle)`` (guards, parse, model) against
  ``pyoxigraph.parse`` of the same Turtle into a list.

Run: python bench/bench_rdf.py [--factor 1 --factor 100] [--formats ttl owl nt jsonld]
Each figure is the best of --repeat runs (--big-repeat above factor 10); the ratio is
derm-onto / pyoxigraph in the same run. "(ox terms only)" is what building pyoxigraph
Triple objects from the model costs alone (pyo3 tries each term type in turn for every
literal and blank node), the floor of any export that hands pyoxigraph its terms.
``uptime`` is printed before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import scaled

from derm_onto import rdf
from derm_onto.jsonio import dumps, load
from derm_onto.resources import bundled_ontology_path

FORMATS = ["ttl", "owl", "nt", "jsonld"]
OX_FORMATS = {"ttl": "TURTLE", "owl": "RDF_XML", "nt": "N_TRIPLES", "jsonld": "JSON_LD"}


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def parse_without_gc(data: bytes) -> list[Any]:
    """pyoxigraph's parse into a list with the cyclic GC paused (as import_rdf runs)."""
    import gc

    import pyoxigraph as ox

    gc.disable()
    try:
        return list(ox.parse(data, format=ox.RdfFormat.TURTLE))
    finally:
        gc.enable()


def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def bench(name: str, onto: Any, repeat: int, formats: list[str], check: bool) -> None:
    import pyoxigraph as ox

    nt_s, nt = best(lambda: rdf.export(onto, "nt"), repeat)
    triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
    prefixes = {
        p: ns for p, ns in rdf.prefix_context(onto)["@context"].items() if isinstance(ns, str)
    }
    print(f"\n{name}: {len(onto.conditions):,} conditions, {len(triples):,} triples")
    print(f"  {'step':16} {'bytes':>12} {'derm-onto':>10} {'pyoxigraph':>11} {'ratio':>6}")
    turtle = b""
    for fmt in formats:
        export_s, data = (
            (nt_s, nt) if fmt == "nt" else best(lambda f=fmt: rdf.export(onto, f), repeat)
        )
        target = getattr(ox.RdfFormat, OX_FORMATS[fmt])
        ox_s, _ = best(lambda t=target: ox.serialize(triples, format=t, prefixes=prefixes), repeat)
        print(
            f"  {'export ' + fmt:16} {len(data):>12,} {export_s:>9.2f}s {ox_s:>10.2f}s "
            f"{export_s / ox_s:>5.1f}x"
        )
        if fmt == "ttl":
            turtle = data
    from derm_onto.heap import paused_collection
    from derm_onto.rdf.formats import to_oxigraph_triples
    from derm_onto.rdf.write import model_triples

    def via_terms() -> Any:
        with paused_collection():
            return to_oxigraph_triples(model_triples(onto))

    terms_s, _ = best(via_terms, repeat)
    print(
        f"  {'(ox terms only)':16} {'':>12} {terms_s:>9.2f}s {'':>10} {'':>6}  "
        "model -> pyoxigraph Triple objects, before any writing"
    )
    if not turtle:
        return
    import_s, (back, findings) = best(lambda: rdf.import_rdf(turtle, "ttl"), repeat)
    ox_s, _ = best(lambda: list(ox.parse(turtle, format=ox.RdfFormat.TURTLE)), repeat)
    print(
        f"  {'import rdf ttl':16} {len(turtle):>12,} {import_s:>9.2f}s {ox_s:>10.2f}s "
        f"{import_s / ox_s:>5.1f}x"
    )
    ox_quiet_s, _ = best(lambda: parse_without_gc(turtle), repeat)
    print(
        f"  {'  vs no-GC parse':16} {'':>12} {'':>10} {ox_quiet_s:>10.2f}s "
        f"{import_s / ox_quiet_s:>5.1f}x"
    )
    if check:
        assert findings == [] and dumps(back) == dumps(onto), "the Turtle round trip differs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factor", type=int, action="append", help="default: 1 and 100")
    parser.add_argument("--formats", nargs="+", default=FORMATS, choices=FORMATS)
    parser.add_argument("--big-formats", nargs="+", choices=FORMATS, help="formats above x10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-repeat", type=int, default=3, help="--repeat above x10")
    parser.add_argument("--no-check", action="store_true", help="skip the round-trip check")
    args = parser.parse_args()
    print("load before:", load_average())
    onto = load(bundled_ontology_path())
    for factor in args.factor or [1, 100]:
        big = factor > 10
        bench(
            "curated derm1m" if factor == 1 else f"synthetic x{factor}",
            onto if factor == 1 else scaled(onto, factor),
            args.big_repeat if big else args.repeat,
            (args.big_formats or args.formats) if big else args.formats,
            not args.no_check,
        )
    print("\nload after:", load_average())
    print(
        "export: derm_onto.rdf.export (model -> bytes); pyoxigraph: serialize of the same triples "
        "(its RDF/XML is untyped rdf:Description); import: derm_onto.rdf.import_rdf of the "
        "Turtle (guards + parse + model) against pyoxigraph.parse into a list (and the same "
        "with the GC paused, as import_rdf pauses it)"
    )


if __name__ == "__main__":
    main()
