"""SPARQL over the ontology, in three parts: :mod:`~derm_onto.sparql.library` (the query
library and parameter binding), :mod:`~derm_onto.sparql.local` (rdflib and Oxigraph) and
:mod:`~derm_onto.sparql.remote` (SPARQL 1.1 endpoints and publishing). The names below are
the stable ones; importing this package stays light (engines load on first use).

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path("starter.json"))
>>> rows = run_local(onto, load_query("children"), {"term": "psoriasis"})
>>> rows.rows
[('DERMONTO:0000026', 'guttate psoriasis')]
"""

from __future__ import annotations

from derm_onto.sparql.library import (
    Param,
    ParamType,
    Query,
    Result,
    bindings,
    cell_text,
    library,
    library_rows,
    load_query,
    parse_query,
    query_form,
    resolve_iri,
    values_block,
    with_values,
)
from derm_onto.sparql.local import (
    ENGINES,
    Engine,
    oxigraph_store,
    run_local,
)
from derm_onto.sparql.local import (
    _run_oxigraph as _run_oxigraph,
)
from derm_onto.sparql.local import (
    _run_rdflib as _run_rdflib,
)
from derm_onto.sparql.remote import (
    AUTH_SCHEMES,
    Auth,
    Endpoint,
    PublishResult,
    default_graph_iri,
    publish,
    run_remote,
)

__all__ = [
    "AUTH_SCHEMES",
    "ENGINES",
    "Auth",
    "Endpoint",
    "Engine",
    "Param",
    "ParamType",
    "PublishResult",
    "Query",
    "Result",
    "bindings",
    "cell_text",
    "default_graph_iri",
    "library",
    "library_rows",
    "load_query",
    "oxigraph_store",
    "parse_query",
    "publish",
    "query_form",
    "resolve_iri",
    "run_local",
    "run_remote",
    "values_block",
    "with_values",
]
