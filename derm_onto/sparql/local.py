"""Local SPARQL engines over the ontology's exported graph: rdflib and Oxigraph.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> from derm_onto.sparql.library import load_query
>>> onto = load(bundled_ontology_path("starter.json"))
>>> run_local(onto, load_query("children"), {"term": "psoriasis"}).rows
[('DERMONTO:0000026', 'guttate psoriasis')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, get_args

from derm_onto.errors import DermOntoError
from derm_onto.model import Ontology
from derm_onto.sparql.library import Query, Result, bindings, cell_text, query_form, with_values

Engine = Literal["rdflib", "oxigraph"]
ENGINES: tuple[Engine, ...] = get_args(Engine)


def run_local(
    ontology: Ontology,
    query: Query,
    values: Mapping[str, str],
    engine: Engine = "oxigraph",
    graph: Any = None,
) -> Result:
    """Run a read query over the ontology's exported graph, or over ``graph`` (an rdflib
    graph, e.g. the export with extra triples) when one is given, on either engine."""
    form = query_form(query.text, query.source)
    if form == "update":
        raise DermOntoError(f"{query.source}: an update query; the local graph is read-only")
    bound = bindings(query, ontology, values)
    if engine == "oxigraph":
        store = None
        if graph is not None:
            import pyoxigraph as ox

            store = ox.Store()
            store.load(
                graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES
            )
        return _run_oxigraph(ontology, query, bound, form, store)
    return _run_rdflib(ontology, query, bound, form, graph)


def _run_rdflib(
    ontology: Ontology, query: Query, bound: Mapping[str, Any], form: str, graph: Any = None
) -> Result:
    from derm_onto.rdf import to_graph

    graph = graph if graph is not None else to_graph(ontology)
    used = {k: v for k, v in bound.items() if re.search(rf"[?$]{k}\b", query.text)}
    result = graph.query(query.text, initBindings=used)
    if form == "ask":
        return Result(("ask",), [("true" if result.askAnswer else "false",)])
    from rdflib import URIRef

    columns = tuple(str(v) for v in result.vars)
    rows = [
        tuple(
            cell_text(ontology, None if v is None else str(v), is_iri=isinstance(v, URIRef))
            for v in (row[i] for i in range(len(columns)))
        )
        for row in result
    ]
    return Result(columns, rows)


def oxigraph_store(ontology: Ontology) -> Any:
    """An in-memory Oxigraph store holding the ontology's graph."""
    import pyoxigraph as ox

    from derm_onto.rdf import export

    store = ox.Store()
    store.load(export(ontology, "nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def _run_oxigraph(
    ontology: Ontology, query: Query, bound: Mapping[str, Any], form: str, store: Any = None
) -> Result:
    import pyoxigraph as ox

    store = store if store is not None else oxigraph_store(ontology)
    # Oxigraph's `substitutions` only takes variables in the SELECT projection, so the
    # parameters travel in an inline VALUES block of escaped RDF terms, as for remote
    # endpoints
    try:
        result = store.query(with_values(query.text, bound))
    except SyntaxError as exc:
        raise DermOntoError(f"{query.source}: not valid SPARQL: {exc}") from None
    if form == "ask":
        return Result(("ask",), [("true" if bool(result) else "false",)])
    columns = tuple(v.value for v in result.variables)
    rows = [
        tuple(
            cell_text(
                ontology,
                None if (v := s[c]) is None else str(v.value),
                is_iri=isinstance(v, ox.NamedNode),
            )
            for c in columns
        )
        for s in result
    ]
    return Result(columns, rows)
