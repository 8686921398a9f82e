"""The RDF formats, registered in :mod:`derm_onto.formats`: Turtle, RDF/XML, N-Triples,
JSON-LD, OWL functional syntax, and the prefix map as a JSON-LD context.

Every writer is deterministic (the same ontology gives the same bytes in every process):
Turtle by rdflib (it sorts), N-Triples sorted by line, RDF/XML by rdflib's pretty writer
fed sorted triples (typed node elements ``<owl:Class>``, blank nodes nested, as the OWL API
and ROBOT write it, so pronto reads it), JSON-LD by pyoxigraph from sorted triples.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path("starter.json"))
>>> b"<owl:Class rdf:about=" in export(onto, "owl")
True
"""

from __future__ import annotations

import json
from typing import Any, Literal

from derm_onto.errors import DermOntoError
from derm_onto.formats import ReadOptions, Serializer, find, register
from derm_onto.model import Ontology
from derm_onto.rdf import safe
from derm_onto.rdf.read import from_graph
from derm_onto.rdf.vocab import RDF_NS, STANDARD_PREFIXES
from derm_onto.rdf.write import ontology_iri, to_graph
from derm_onto.validate import ValidationFinding

RdfFormat = Literal["ttl", "owl", "nt", "jsonld"]
#: derm-onto format name -> rdflib parser name
_PARSERS: dict[str, str] = {"ttl": "turtle", "owl": "xml", "nt": "nt", "jsonld": "json-ld"}


# -- writers ----------------------------------------------------------------------------
def to_oxigraph_triples(graph: Any) -> list[Any]:
    """The graph's triples as pyoxigraph terms, sorted (blank node ids kept)."""
    import pyoxigraph as ox
    from rdflib import BNode, URIRef
    from rdflib import Literal as RdfLiteral

    def term(node: Any) -> Any:
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, BNode):
            return ox.BlankNode(str(node))
        if isinstance(node, RdfLiteral):
            if node.language:
                return ox.Literal(str(node), language=node.language)
            if node.datatype is not None:
                return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
            return ox.Literal(str(node))
        raise TypeError(f"unexpected RDF term {node!r}")

    triples = sorted(graph, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))
    return [ox.Triple(term(s), term(p), term(o)) for s, p, o in triples]


def _write_turtle(graph: Any) -> bytes:
    return bytes(graph.serialize(format="turtle", encoding="utf-8"))


def _write_ntriples(graph: Any) -> bytes:
    data = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    lines = sorted(line for line in data.splitlines() if line.strip())
    return ("\n".join(lines) + "\n").encode("utf-8")


def _write_jsonld(graph: Any) -> bytes:
    """JSON-LD by pyoxigraph from sorted triples (rdflib's writer orders subjects by hash),
    wrapped as ``{"@context": <the prefix map>, "@graph": [...]}`` so curies and JSON-LD
    tools find the prefixes in the file. The graph keeps absolute IRIs, which a context
    never changes."""
    import pyoxigraph as ox

    data = ox.serialize(to_oxigraph_triples(graph), format=ox.RdfFormat.JSON_LD)
    assert data is not None  # no output file given: serialize returns the bytes
    nodes = json.loads(data)
    context = _context({str(p): str(ns) for p, ns in graph.namespaces() if p})
    document = {"@context": context, "@graph": nodes}
    return (json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _context(prefixes: dict[str, str]) -> dict[str, Any]:
    """A JSON-LD context for these prefixes: a namespace that does not end in ``/`` or ``#``
    (``..._``) is marked ``@prefix: true``, which JSON-LD 1.1 needs to expand CURIEs with it.
    Names that are IRI schemes (``http``) are left out."""
    context: dict[str, Any] = {}
    for prefix, namespace in sorted(prefixes.items()):
        if prefix.lower() in ("http", "https", "urn", "file", "mailto", "_"):
            continue
        context[prefix] = (
            namespace if namespace.endswith(("/", "#")) else {"@id": namespace, "@prefix": True}
        )
    return context


def _write_rdfxml(graph: Any, onto_iri: str) -> bytes:
    """RDF/XML with typed node elements and nested blank nodes (rdflib's pretty-xml with
    ``max_depth=1``: IRIs are referenced, blank nodes used once are nested).

    rdflib writes subjects in the order its store yields them, so the triples go into an
    insertion-ordered store sorted (the ontology header first, ``rdf:type`` first in each
    subject, which makes it the element name), and the namespace declarations, which it
    writes in hash order, are sorted afterwards."""
    import warnings

    from rdflib import RDF, Graph, URIRef

    ordered = Graph(store="SimpleMemory", bind_namespaces="none")
    for prefix, namespace in graph.namespaces():
        ordered.bind(prefix, namespace, override=True)
    header = URIRef(onto_iri)

    def key(triple: Any) -> tuple[Any, ...]:
        s, p, o = triple
        return (s != header, s.n3(), p != RDF.type, p.n3(), o.n3())

    for triple in sorted(graph, key=key):
        ordered.add(triple)
    with warnings.catch_warnings():
        # rdflib warns for every rdf:List it writes as a Collection, even one with nothing
        # else asserted on it (ours); the output is correct
        warnings.filterwarnings("ignore", message="Assertions on .* other than RDF.first")
        text = ordered.serialize(format="pretty-xml", max_depth=1, encoding="utf-8").decode()
    head, sep, rest = text.partition("\n>\n")
    lines = head.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("<rdf:RDF"))
    head = "\n".join([*lines[: start + 1], *sorted(lines[start + 1 :])])
    return (head + sep + rest).encode("utf-8")


def _write_functional(graph: Any, onto_iri: str) -> bytes:
    """OWL functional syntax, converted from our RDF/XML by horned-owl, with a ``Prefix``
    declaration for every bound prefix: OAK (``runoak -i derm.ofn ...``) resolves
    ``DERMONTO:`` CURIEs from those declarations without flags."""
    import pyhornedowl

    owl = pyhornedowl.open_ontology_from_string(_write_rdfxml(graph, onto_iri).decode(), "owl")
    for prefix, namespace in sorted((str(p), str(ns)) for p, ns in graph.namespaces() if p):
        owl.prefix_mapping.add_prefix(prefix, namespace)
    return str(owl.save_to_string("ofn")).encode("utf-8")


def _read_functional(
    data: bytes, source: str, options: ReadOptions
) -> tuple[Ontology | None, list[ValidationFinding]]:
    """OWL functional syntax through horned-owl to RDF/XML, then :func:`import_rdf`."""
    import pyhornedowl

    safe.check_size(len(data), source, options.max_file_bytes)
    try:
        owl = pyhornedowl.open_ontology_from_string(data.decode("utf-8"), "ofn")
    except Exception as exc:  # horned-owl raises its own error types for bad syntax
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DermOntoError(f"{source}: not valid OWL functional syntax: {first[:300]}") from None
    return import_rdf(str(owl.save_to_string("owl")).encode("utf-8"), "owl", source, options)


def prefix_context(ontology: Ontology) -> dict[str, Any]:
    """The prefix map as a JSON-LD context: the ontology's CURIE prefixes (``DERMONTO`` ->
    ``https://w3id.org/derm-onto/DERMONTO_``) and the vocabularies its RDF uses. ``curies``
    loads it (``curies.load_jsonld_context``), as do JSON-LD tools.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> prefix_context(load(bundled_ontology_path()))["@context"]["DERMONTO"]
    {'@id': 'https://w3id.org/derm-onto/DERMONTO_', '@prefix': True}
    """
    prefixes = {**STANDARD_PREFIXES, "dermonto": ontology.base_iri, **ontology.prefixes}
    return {"@context": _context(prefixes)}


def _write_context(ontology: Ontology) -> bytes:
    return (json.dumps(prefix_context(ontology), indent=2, sort_keys=True) + "\n").encode()


def export(ontology: Ontology, fmt: str) -> bytes:
    """The ontology serialised in ``fmt`` (ttl, owl = RDF/XML, nt, jsonld, context).

    Text that no RDF file can carry raises :class:`~derm_onto.errors.InvalidCharacterError`
    before anything is written.
    """
    return find(fmt).write(ontology)


def _graph_writer(write: Any, *, xml: bool = False) -> Any:
    def writer(ontology: Ontology) -> bytes:
        safe.check_characters(ontology)
        graph = to_graph(ontology)
        data: bytes = write(graph, ontology_iri(ontology)) if xml else write(graph)
        return data

    return writer


def serialize(graph: Any, fmt: RdfFormat) -> bytes:
    """Serialise a graph made by :func:`~derm_onto.rdf.write.to_graph` deterministically."""
    if fmt == "owl":
        onto_iri = next(
            (str(s) for s in graph.subjects(_uri(RDF_NS + "type"), _uri(_OWL_ONTOLOGY))), ""
        )
        return _write_rdfxml(graph, onto_iri)
    writers = {"ttl": _write_turtle, "nt": _write_ntriples, "jsonld": _write_jsonld}
    if fmt not in writers:
        find(fmt)  # raises UnsupportedFormatError for names nobody knows
        raise DermOntoError(f"{fmt!r} is not an RDF format")
    data: bytes = writers[fmt](graph)
    return data


_OWL_ONTOLOGY = "http://www.w3.org/2002/07/owl#Ontology"


def _uri(text: str) -> Any:
    from rdflib import URIRef

    return URIRef(text)


# -- readers ----------------------------------------------------------------------------
def parse(data: bytes, fmt: str, source: str = "<rdf>", options: ReadOptions | None = None) -> Any:
    """Parse RDF bytes into an rdflib Graph behind the guards of :mod:`derm_onto.rdf.safe`;
    a syntax error is a one-line DermOntoError."""
    from rdflib import Graph

    options = options or ReadOptions()
    safe.check_size(len(data), source, options.max_file_bytes)
    if fmt == "owl":
        safe.check_xml(data, source, options.max_literal_bytes)
    elif fmt == "jsonld":
        safe.check_jsonld(data, source, options.max_literal_bytes)
    elif fmt in ("ttl", "nt"):
        safe.check_text_literals(data, fmt, source, options.max_literal_bytes)
    if fmt not in _PARSERS:
        raise DermOntoError(f"{source}: {fmt!r} is not an RDF format")
    graph = Graph()
    try:
        graph.parse(data=data, format=_PARSERS[fmt])
    except Exception as exc:  # rdflib raises many types for bad syntax
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DermOntoError(f"{source}: not valid {fmt} RDF: {first[:300]}") from None
    return graph


def import_rdf(
    data: bytes, fmt: str, source: str = "<rdf>", options: ReadOptions | None = None
) -> tuple[Ontology | None, list[ValidationFinding]]:
    """Parse RDF and read it back into the model (with findings for convention breaks and
    for whatever a foreign file held that the model cannot)."""
    options = options or ReadOptions()
    return from_graph(parse(data, fmt, source, options), default_kind=options.default_kind)


def rdf_format(name_or_path: str) -> RdfFormat:
    """The RDF format named, or implied by a file extension;
    :class:`~derm_onto.errors.UnsupportedFormatError` otherwise.

    >>> rdf_format("out.ttl"), rdf_format("jsonld")
    ('ttl', 'jsonld')
    """
    name = find(name_or_path).name
    if name not in _PARSERS:
        raise DermOntoError(f"{name_or_path!r} is not an RDF format")
    return name  # type: ignore[return-value]


def _reader(fmt: str) -> Any:
    def read(
        data: bytes, source: str, options: ReadOptions
    ) -> tuple[Ontology | None, list[ValidationFinding]]:
        return import_rdf(data, fmt, source, options)

    return read


for _serializer in (
    Serializer("ttl", (".ttl",), "Turtle", _graph_writer(_write_turtle), _reader("ttl")),
    Serializer(
        "owl",
        (".owl", ".rdf", ".xml"),
        "OWL in RDF/XML (as the OWL API writes it)",
        _graph_writer(_write_rdfxml, xml=True),
        _reader("owl"),
    ),
    Serializer("nt", (".nt",), "N-Triples, sorted", _graph_writer(_write_ntriples), _reader("nt")),
    Serializer(
        "jsonld", (".jsonld", ".json"), "JSON-LD", _graph_writer(_write_jsonld), _reader("jsonld")
    ),
    Serializer(
        "ofn",
        (".ofn",),
        "OWL functional syntax (by horned-owl; OAK reads its prefixes)",
        _graph_writer(_write_functional, xml=True),
        _read_functional,
    ),
    Serializer(
        "context",
        (".context.jsonld", ".context.json"),
        "the prefix map as a JSON-LD context (for curies, OAK --prefix, JSON-LD tools)",
        _write_context,
    ),
):
    register(_serializer, replace=True)
