"""The dataset query library and its binding: on an Oxigraph store or a remote endpoint."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from derm_onto.errors import DermOntoError
from derm_onto.kg.store import open_store
from derm_onto.kg.vocabulary import Vocabulary
from derm_onto.model import Ontology
from derm_onto.resources import data_dir
from derm_onto.sparql.library import where_groups


def dataset_queries() -> dict[str, Any]:
    """The dataset query library (``queries/dataset/*.rq``), by name.

    >>> [p.name for p in dataset_queries()["images-of-class-with-concept"].params]
    ['class', 'feature']
    """
    from derm_onto.sparql import parse_query

    folder = data_dir("queries").joinpath("dataset")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            query = parse_query(entry.read_text(encoding="utf-8"), "dataset/" + entry.name)
            out[query.name] = query
    return out


def find_query(name_or_file: str) -> Any:
    """A dataset query by name, else an ontology library query or a query file.

    >>> find_query("images-under-class").source, find_query("children").source
    ('dataset/images-under-class.rq', 'children.rq')
    """
    from derm_onto.sparql import load_query

    found = dataset_queries().get(name_or_file)
    return found if found is not None else load_query(name_or_file)


def bound_terms(ontology: Ontology, query: Any, values: Mapping[str, str]) -> dict[str, Any]:
    """The query's parameters bound as for the ontology library, plus the dataset
    vocabulary (``?has_diagnosis``, ``?has_body_site``, ...).

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> bound = bound_terms(onto, find_query("images-under-class"), {"term": "BCC"})
    >>> str(bound["term"]), str(bound["has_diagnosis"])
    ('https://w3id.org/derm-onto/DERMONTO_0000300', 'https://w3id.org/derm-onto/has_diagnosis')
    """
    from rdflib import URIRef

    from derm_onto.sparql import bindings

    bound = bindings(query, ontology, values)
    vocab = Vocabulary(ontology, len(ontology.levels) or 4)
    for name, iri in vocab.bindings().items():
        bound.setdefault(name, URIRef(iri))
    return bound


def bind_query(text: str, bound: Mapping[str, Any]) -> str:
    """The query with a ``VALUES`` block of escaped RDF terms first in its WHERE group and in
    every sub-SELECT's, each binding the variables that group uses: sub-SELECTs are
    evaluated on their own (SPARQL is bottom-up), so a query can compute small sets in them
    and join those; an engine then hash-joins the sets instead of probing row by row.

    >>> from rdflib import URIRef
    >>> text = bind_query(
    ...     "SELECT * WHERE { { SELECT ?x WHERE { ?x ?p ?o } } ?x ?q ?y }",
    ...     {"p": URIRef("http://p"), "q": URIRef("http://q")},
    ... )
    >>> text.count("VALUES (?p ?q) { (<http://p> <http://q>) }"), text.count("VALUES (?p) {")
    (1, 1)
    """
    from derm_onto.sparql import values_block

    groups = where_groups(text)
    if not groups:
        from derm_onto.sparql import with_values

        return with_values(text, bound)
    out = text
    for start, end in sorted(groups, reverse=True):
        block = values_block(bound, text[start + 1 : end])
        out = out[: start + 1] + block + out[start + 1 :]
    return out


def run_store(
    ontology: Ontology,
    store_dir: str | os.PathLike[str],
    name_or_file: str,
    values: Mapping[str, str],
    store: Any = None,
) -> Any:
    """Run a library query (dataset or ontology) on an Oxigraph store built by ``kg build``;
    every named graph is part of the default graph.

    >>> import tempfile, pathlib
    >>> from derm_onto.jsonio import load
    >>> from derm_onto.kg import build, load_store
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto, folder = load(bundled_ontology_path()), pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("filename,disease_label\\na.jpg,BCC\\nb.jpg,melanoma\\n")
    >>> _ = build(onto, [folder / "t.csv"], folder / "t.nt")
    >>> _ = load_store(onto, folder / "t.nt", folder / "store")
    >>> run_store(onto, folder / "store", "images-under-class", {"term": "malignant"}).rows
    [('DERMONTO:0000292', 'malignant melanocytic neoplasm', '1'), \
('DERMONTO:0000297', 'malignant non-melanocytic neoplasm', '1')]
    """
    import pyoxigraph as ox

    from derm_onto.sparql import Result, query_form

    query = find_query(name_or_file)
    form = query_form(query.text, query.source)
    if form == "update":
        raise DermOntoError(f"{query.source}: an update query; the store is opened read-only")
    text = bind_query(query.text, bound_terms(ontology, query, values))
    store = store if store is not None else open_store(store_dir, ontology)
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise DermOntoError(f"{query.source}: not valid SPARQL: {exc}") from None
    if form == "ask":
        return Result(("ask",), [("true" if bool(result) else "false",)])
    if form != "select":
        raise DermOntoError(f"{query.source}: only SELECT and ASK queries run on a store")
    columns = tuple(v.value for v in result.variables)

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, ox.NamedNode):
            return ontology.contract(value.value) or value.value
        return str(value.value)

    return Result(columns, [tuple(cell(s[c]) for c in columns) for s in result])


def run_endpoint(
    ontology: Ontology, endpoint: Any, name_or_file: str, values: Mapping[str, str]
) -> Any:
    """Run a library query (dataset or ontology) on a remote SPARQL endpoint
    (:class:`derm_onto.sparql.Endpoint`), e.g. the Virtuoso ``kg publish`` loaded; bound
    like :func:`run_store`, read-only."""
    from derm_onto.sparql import Query, query_form, run_remote

    query = find_query(name_or_file)
    if query_form(query.text, query.source) == "update":
        raise DermOntoError(f"{query.source}: an update query; dataset queries are read-only")
    text = bind_query(query.text, bound_terms(ontology, query, values))
    return run_remote(
        ontology, Query(query.name, query.description, (), text, query.source), {}, endpoint
    )
