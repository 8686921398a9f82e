"""The RDF formats, registered in :mod:`derm_onto.formats`: Turtle, RDF/XML, N-Triples,
JSON-LD, OWL functional syntax, and the prefix map as a JSON-LD context.

Every writer is deterministic (the same ontology gives the same bytes in every process):
the model becomes :class:`~derm_onto.rdf.write.Triples` in a fixed order (no RDF library in
the loop) and :mod:`~derm_onto.rdf.serialise` writes each format in one pass; RDF/XML has
typed node elements ``<owl:Class>`` and nested blank nodes, as the OWL API and ROBOT write it,
so pronto reads it.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path("starter.json"))
>>> b"<owl:Class rdf:about=" in export(onto, "owl")
True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from derm_onto.errors import DermOntoError
from derm_onto.formats import ReadOptions, Serializer, find, register
from derm_onto.heap import paused_collection
from derm_onto.model import Ontology
from derm_onto.rdf import safe, serialise
from derm_onto.rdf.index import TripleIndex
from derm_onto.rdf.read import from_index
from derm_onto.rdf.vocab import STANDARD_PREFIXES
from derm_onto.rdf.write import Triples, model_triples
from derm_onto.validate import ValidationFinding

RdfFormat = Literal["ttl", "owl", "nt", "jsonld"]
#: derm-onto format name -> rdflib parser name
_PARSERS: dict[str, str] = {"ttl": "turtle", "owl": "xml", "nt": "nt", "jsonld": "json-ld"}


# -- writers ----------------------------------------------------------------------------
def to_oxigraph_triples(source: Any) -> list[Any]:
    """An ontology (or an rdflib graph) as pyoxigraph triples, in writing order (blank node
    ids kept), for an Oxigraph store or pyoxigraph's own writers."""
    import pyoxigraph as ox

    triples = source if isinstance(source, Triples) else _triples_of(source)
    terms: dict[str, Any] = {}

    def term(text: str) -> Any:
        found = terms.get(text)
        if found is None:
            if text[0] == "<":
                found = ox.NamedNode(text[1:-1])
            elif text[0] == "_":
                found = ox.BlankNode(text[2:])
            else:
                value, datatype, language = triples.literals[text]
                found = (
                    ox.Literal(value, language=language)
                    if language
                    else ox.Literal(value, datatype=ox.NamedNode(datatype))
                    if datatype
                    else ox.Literal(value)
                )
            terms[text] = found
        return found

    return [ox.Triple(term(s), term(p), term(o)) for s, p, o in triples]


def _triples_of(source: Any) -> Triples:
    if isinstance(source, Ontology):
        safe.check_characters(source)
        return model_triples(source)
    return serialise.graph_triples(source)


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


def _write_jsonld(triples: Triples) -> bytes:
    return serialise.jsonld(triples, _context(triples.prefixes))


_WRITERS: dict[str, Callable[[Triples], bytes]] = {
    "ttl": serialise.turtle,
    "nt": serialise.ntriples,
    "jsonld": _write_jsonld,
    "owl": serialise.rdfxml,
}


def _write_functional(triples: Triples) -> bytes:
    """OWL functional syntax, converted from our RDF/XML by horned-owl, with a ``Prefix``
    declaration for every bound prefix: OAK (``runoak -i derm.ofn ...``) resolves
    ``DERMONTO:`` CURIEs from those declarations without flags."""
    import pyhornedowl

    owl = pyhornedowl.open_ontology_from_string(serialise.rdfxml(triples).decode(), "owl")
    for prefix, namespace in sorted(triples.prefixes.items()):
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


def _writer(write: Callable[[Triples], bytes]) -> Callable[[Ontology], bytes]:
    def writer(ontology: Ontology) -> bytes:
        safe.check_characters(ontology)
        with paused_collection():
            return write(model_triples(ontology))

    return writer


def serialize(graph: Any, fmt: RdfFormat) -> bytes:
    """Serialise an rdflib graph (one made by :func:`~derm_onto.rdf.write.to_graph`, with
    triples added) deterministically: its triples sorted, its prefixes bound."""
    if fmt not in _WRITERS:
        find(fmt)  # raises UnsupportedFormatError for names nobody knows
        raise DermOntoError(f"{fmt!r} is not an RDF format")
    with paused_collection():
        return _WRITERS[fmt](serialise.graph_triples(graph))


# -- readers ----------------------------------------------------------------------------
def parse(data: bytes, fmt: str, source: str = "<rdf>", options: ReadOptions | None = None) -> Any:
    """Parse RDF bytes into an rdflib Graph behind the guards of :mod:`derm_onto.rdf.safe`;
    a syntax error is a one-line DermOntoError. For what needs a Graph (and rdflib's strict
    reading in the tests); :func:`import_rdf` reads with pyoxigraph (:func:`read_index`)."""
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


_OX_FORMATS: dict[str, str] = {
    "ttl": "TURTLE",
    "owl": "RDF_XML",
    "nt": "N_TRIPLES",
    "jsonld": "JSON_LD",
}


def read_index(
    data: bytes, fmt: str, source: str = "<rdf>", options: ReadOptions | None = None
) -> TripleIndex:
    """Parse RDF with pyoxigraph behind the guards of :mod:`derm_onto.rdf.safe` (size,
    entities, remote contexts, literal lengths) into a :class:`TripleIndex`; a syntax error
    is a one-line DermOntoError naming the line and column."""
    import pyoxigraph as ox

    options = options or ReadOptions()
    safe.check_size(len(data), source, options.max_file_bytes)
    if fmt not in _OX_FORMATS:
        raise DermOntoError(f"{source}: {fmt!r} is not an RDF format")
    namespaces: dict[str, str] = {}
    if fmt == "owl":
        namespaces = safe.check_xml(data, source, options.max_literal_bytes)
    elif fmt == "jsonld":
        safe.check_jsonld(data, source, options.max_literal_bytes)
    limit = options.max_literal_bytes

    def check_literal(size: int) -> None:
        if size > limit:
            raise safe.literal_too_long(source, size, limit)

    parser = ox.parse(data, format=getattr(ox.RdfFormat, _OX_FORMATS[fmt]))
    try:
        with paused_collection():
            return TripleIndex.from_oxigraph(parser, namespaces, check_literal)
    except SyntaxError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DermOntoError(f"{source}: not valid {fmt} RDF: {first[:300]}") from None
    except MemoryError:  # pyoxigraph's token buffer stops at 16 MiB
        raise safe.literal_too_long(source, safe.OXIGRAPH_BUFFER, limit) from None


def import_rdf(
    data: bytes, fmt: str, source: str = "<rdf>", options: ReadOptions | None = None
) -> tuple[Ontology | None, list[ValidationFinding]]:
    """Parse RDF and read it back into the model (with findings for convention breaks and
    for whatever a foreign file held that the model cannot)."""
    options = options or ReadOptions()
    index = read_index(data, fmt, source, options)
    with paused_collection():
        return from_index(index, default_kind=options.default_kind)


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
    Serializer("ttl", (".ttl",), "Turtle", _writer(serialise.turtle), _reader("ttl")),
    Serializer(
        "owl",
        (".owl", ".rdf", ".xml"),
        "OWL in RDF/XML (as the OWL API writes it)",
        _writer(serialise.rdfxml),
        _reader("owl"),
    ),
    Serializer("nt", (".nt",), "N-Triples", _writer(serialise.ntriples), _reader("nt")),
    Serializer(
        "jsonld", (".jsonld", ".json"), "JSON-LD", _writer(_write_jsonld), _reader("jsonld")
    ),
    Serializer(
        "ofn",
        (".ofn",),
        "OWL functional syntax (by horned-owl; OAK reads its prefixes)",
        _writer(_write_functional),
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
