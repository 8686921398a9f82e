"""The writers: :class:`~derm_onto.rdf.write.Triples` -> N-Triples, Turtle, JSON-LD, RDF/XML.

The triples arrive as canonical N-Triples terms grouped by subject, so each writer is one
pass of string joins (no per-triple RDF objects: building pyoxigraph terms for a triple
with a literal costs several times what pyoxigraph then needs to write it). Escaping goes
through one definition per syntax: the canonical N-Triples escapes (also valid in Turtle),
:mod:`json` for JSON-LD, :mod:`xml.sax.saxutils` for RDF/XML. The tests parse every output
with pyoxigraph and rdflib and compare the triples.

RDF/XML is written as the OWL API and ROBOT write it, which pronto needs: a typed node
element per subject (``<owl:Class rdf:about=...>``), blank nodes used once nested where they
are used (with their ``rdf:nodeID``), lists as ``rdf:parseType="Collection"``.

>>> from derm_onto.rdf.write import TripleBuilder
>>> b = TripleBuilder()
>>> b.add(b.iri("https://e.org/X_1"), b.iri("http://www.w3.org/2000/01/rdf-schema#label"),
...       b.lit('a "b" <c>'))
>>> t = b.build({"X": "https://e.org/X_", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"})
>>> print(turtle(t).decode(), end="")
@prefix X: <https://e.org/X_> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<BLANKLINE>
X:1 rdfs:label "a \\"b\\" <c>" .
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from json.encoder import encode_basestring as string
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from derm_onto.errors import DermOntoError
from derm_onto.rdf.vocab import RDF_NS
from derm_onto.rdf.write import TripleBuilder, Triples

_TYPE = f"<{RDF_NS}type>"
_FIRST = f"<{RDF_NS}first>"
_REST = f"<{RDF_NS}rest>"
_NIL = f"<{RDF_NS}nil>"
#: a prefix Turtle and XML both accept, and a local part that needs no escape in either
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_TURTLE_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_XML_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
#: text escapes for XML content: ``\r`` would be read back as ``\n`` otherwise
_XML_TEXT = {"\r": "&#13;"}
_XML_SPECIAL = re.compile("[&<>\r]")
_XML_ATTRIBUTE_SPECIAL = re.compile("[&<>\"'\n\r\t]")


def ordered_groups(triples: Triples) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """The groups, the ontology header first."""
    header = [g for g in triples.groups[:1] if g[0] == triples.header] or [
        g for g in triples.groups if g[0] == triples.header
    ]
    yield from header
    for group in triples.groups:
        if group[0] != triples.header:
            yield group


# -- N-Triples ---------------------------------------------------------------------------
def ntriples(triples: Triples) -> bytes:
    """Canonical N-Triples, one subject's triples together."""
    lines = [f"{s} {p} {o} .\n" for s, pairs in ordered_groups(triples) for p, o in pairs]
    return "".join(lines).encode("utf-8")


# -- Turtle ------------------------------------------------------------------------------
class _Names:
    """IRI (as ``<iri>``) -> its prefixed name where one is safe, else the IRI itself."""

    def __init__(self, prefixes: dict[str, str], local: re.Pattern[str]) -> None:
        self.by_namespace = {ns: p for p, ns in sorted(prefixes.items()) if _PREFIX.match(p)}
        self.local = local
        self.cache: dict[str, str] = {}

    def split(self, iri: str) -> tuple[str, str] | None:
        """(prefix, local name) under the longest bound namespace, or None."""
        end = len(iri)
        while True:
            end = max(iri.rfind("/", 0, end), iri.rfind("#", 0, end), iri.rfind("_", 0, end))
            if end < 0:
                return None
            prefix = self.by_namespace.get(iri[: end + 1])
            if prefix is not None and self.local.match(iri[end + 1 :]):
                return prefix, iri[end + 1 :]

    def __call__(self, term: str) -> str:
        found = self.cache.get(term)
        if found is None:
            found = term
            if term[0] == "<":
                split = self.split(term[1:-1])
                if split is not None:
                    found = f"{split[0]}:{split[1]}"
            self.cache[term] = found
        return found


def turtle(triples: Triples) -> bytes:
    """Turtle with the prefixes declared and used, one statement per subject."""
    names = _Names(triples.prefixes, _TURTLE_LOCAL)
    out = [f"@prefix {p}: <{ns}> .\n" for ns, p in _sorted_prefixes(names)]
    out.append("\n")
    literals = triples.literals
    rendered: dict[str, str] = {_TYPE: "a"}
    verbs: dict[str, str] = {_TYPE: " ;\n    a "}

    def render(term: str) -> str:
        if term[0] == "<":
            found = names(term)
        elif term[0] == "_" or term[-1] == '"':
            found = term
        else:
            found = _turtle_literal(term, literals, names)
        rendered[term] = found
        return found

    append = out.append
    for subject, pairs in ordered_groups(triples):
        append(rendered.get(subject) or render(subject))
        last = ""
        for p, o in pairs:
            if p == last:
                append(" , ")
            else:
                verb = verbs.get(p)
                if verb is None:
                    verb = verbs[p] = f" ;\n    {names(p)} "
                append(verb if last else verb[6:])
                last = p
            append(rendered.get(o) or render(o))
        append(" .\n")
    return "".join(out).encode("utf-8")


def _sorted_prefixes(names: _Names) -> list[tuple[str, str]]:
    return sorted(names.by_namespace.items(), key=lambda x: x[1])


def _turtle_literal(text: str, literals: dict[str, tuple[str, str, str]], names: _Names) -> str:
    """A literal as in N-Triples, its datatype abbreviated."""
    _, datatype, _ = literals[text]
    if not datatype:
        return text
    return text[: text.rindex("^^") + 2] + names(f"<{datatype}>")


# -- JSON-LD -----------------------------------------------------------------------------
def jsonld(triples: Triples, context: dict[str, Any]) -> bytes:
    """``{"@context": <context>, "@graph": [...]}``: one node object per subject, values
    in expanded form with absolute IRIs (the context only names the prefixes, for curies
    and JSON-LD tools), ``rdf:type`` as ``@type``. Each distinct term is encoded by
    :mod:`json`'s string encoder once; the document is joined from those pieces."""
    literals = triples.literals
    encoded: dict[str, str] = {}
    keys: dict[str, str] = {}

    def encode(o: str) -> str:
        if o[0] == "<":
            found = f'{{"@id": {string(o[1:-1])}}}'
        elif o[0] == "_":
            found = f'{{"@id": {string(o)}}}'
        else:
            lexical, datatype, language = literals[o]
            extra = (
                f', "@language": {string(language)}'
                if language
                else f', "@type": {string(datatype)}'
                if datatype
                else ""
            )
            found = f'{{"@value": {string(lexical)}{extra}}}'
        encoded[o] = found
        return found

    def key(p: str) -> str:
        found = keys[p] = string(p[1:-1]) + ": ["
        return found

    nodes = []
    for subject, pairs in ordered_groups(triples):
        properties: dict[str, list[str]] = {}
        for p, o in pairs:
            found = properties.get(p)
            if found is None:
                found = properties[p] = []
            found.append(encoded.get(o) or encode(o))
        node = ['{"@id": ', string(subject[1:-1] if subject[0] == "<" else subject)]
        types = properties.get(_TYPE)
        if types and all(t.startswith('{"@id": "') and "_:" not in t[:11] for t in types):
            del properties[_TYPE]
            node += [', "@type": [', ", ".join(t[8:-1] for t in types), "]"]
        for p, values in properties.items():
            node += [", ", keys.get(p) or key(p), ", ".join(values), "]"]
        node.append("}")
        nodes.append("".join(node))
    head = json.dumps({"@context": context}, ensure_ascii=False)[:-1]
    return f'{head}, "@graph": [{", ".join(nodes)}]}}\n'.encode()


# -- RDF/XML -----------------------------------------------------------------------------
class _XmlWriter:
    """Typed node elements, nested blank nodes, collections (see the module docstring)."""

    def __init__(self, triples: Triples) -> None:
        self.triples = triples
        self.literals = triples.literals
        self.names = _Names(triples.prefixes, _XML_LOCAL)
        self.groups = dict(triples.groups)
        self.uses: dict[str, int] = {}
        for _, pairs in triples.groups:
            for _, o in pairs:
                if o[0] == "_":
                    self.uses[o] = self.uses.get(o, 0) + 1
        self.written: set[str] = set()
        self.extra: dict[str, str] = {}  # namespace -> generated prefix
        self.qnames: dict[str, str] = {}
        self.attributes: dict[str, str] = {}
        self.out: list[str] = []

    def qname(self, iri_term: str) -> str:
        """The element name of a predicate or type (``<iri>``)."""
        found = self.qnames.get(iri_term)
        if found is None:
            found = self.names(iri_term)
            if found[0] == "<":  # no bound prefix: declare the namespace
                iri = iri_term[1:-1]
                cut = max(iri.rfind("/"), iri.rfind("#")) + 1
                while cut < len(iri) and not _XML_LOCAL.match(iri[cut:]):
                    cut += 1
                if cut >= len(iri):
                    raise DermOntoError(f"{iri} cannot be an RDF/XML element name")
                namespace = iri[:cut]
                prefix = self.extra.setdefault(namespace, f"ns{len(self.extra) + 1}")
                found = f"{prefix}:{iri[cut:]}"
            self.qnames[iri_term] = found
        return found

    def typed_name(self, pairs: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
        """The element name (the first ``rdf:type`` that has a QName) and the other pairs."""
        for i, (p, o) in enumerate(pairs):
            if p == _TYPE and o[0] == "<" and self.names(o)[0] != "<":
                return self.qname(o), pairs[:i] + pairs[i + 1 :]
        return "rdf:Description", pairs

    def subject_attribute(self, subject: str) -> str:
        if subject[0] == "<":
            return f" rdf:about={self.attribute(subject)}"
        return f" rdf:nodeID={quoteattr(subject[2:])}"

    def node(self, subject: str, indent: str) -> None:
        self.written.add(subject)
        name, pairs = self.typed_name(self.groups.get(subject, []))
        attribute = self.subject_attribute(subject)
        if not pairs:
            self.out.append(f"{indent}<{name}{attribute}/>\n")
            return
        out = self.out
        out.append(f"{indent}<{name}{attribute}>\n")
        inner = indent + "  "
        qnames, attributes = self.qnames, self.attributes
        for p, o in pairs:
            qname = qnames.get(p) or self.qname(p)
            if o[0] == "<":
                out.append(
                    f"{inner}<{qname} rdf:resource={attributes.get(o) or self.attribute(o)}/>\n"
                )
            elif o[-1] == '"' and o[0] == '"':  # a plain literal
                lexical = self.literals[o][0]
                if _XML_SPECIAL.search(lexical):
                    lexical = escape(lexical, _XML_TEXT)
                out.append(f"{inner}<{qname}>{lexical}</{qname}>\n")
            else:
                self.property(qname, o, inner)
        out.append(f"{indent}</{name}>\n")

    def attribute(self, iri_term: str) -> str:
        iri = iri_term[1:-1]
        found = quoteattr(iri) if _XML_ATTRIBUTE_SPECIAL.search(iri) else f'"{iri}"'
        self.attributes[iri_term] = found
        return found

    def property(self, name: str, o: str, indent: str) -> None:
        out = self.out
        if o[0] == "<":
            out.append(f"{indent}<{name} rdf:resource={self.attribute(o)}/>\n")
        elif o[0] == "_":
            members = self.collection(o)
            if members is not None:
                out.append(f'{indent}<{name} rdf:parseType="Collection">\n')
                for member in members:
                    out.append(f"{indent}  <rdf:Description rdf:about={quoteattr(member)}/>\n")
                out.append(f"{indent}</{name}>\n")
            elif self.uses.get(o) == 1 and o not in self.written and o in self.groups:
                out.append(f"{indent}<{name}>\n")
                self.node(o, indent + "  ")
                out.append(f"{indent}</{name}>\n")
            else:
                out.append(f"{indent}<{name} rdf:nodeID={quoteattr(o[2:])}/>\n")
        else:
            lexical, datatype, language = self.literals[o]
            attribute = (
                f" xml:lang={quoteattr(language)}"
                if language
                else f" rdf:datatype={quoteattr(datatype)}"
                if datatype
                else ""
            )
            if _XML_SPECIAL.search(lexical):
                lexical = escape(lexical, _XML_TEXT)
            out.append(f"{indent}<{name}{attribute}>{lexical}</{name}>\n")

    def collection(self, head: str) -> list[str] | None:
        """The member IRIs of a list written nowhere else, or None."""
        members: list[str] = []
        cell = head
        cells = []
        while cell != _NIL:
            pairs = self.groups.get(cell)
            if cell[0] != "_" or pairs is None or len(pairs) != 2 or self.uses.get(cell) != 1:
                return None
            found = dict(pairs)
            first, rest = found.get(_FIRST), found.get(_REST)
            if first is None or rest is None or first[0] != "<" or cell in cells:
                return None
            members.append(first[1:-1])
            cells.append(cell)
            cell = rest
        self.written.update(cells)
        return members

    def write(self) -> bytes:
        for subject, _ in ordered_groups(self.triples):
            if subject not in self.written and (subject[0] == "<" or self.uses.get(subject) != 1):
                self.node(subject, "  ")
        for subject, _ in self.triples.groups:  # blank nodes used once inside a cycle
            if subject not in self.written:
                self.node(subject, "  ")
        namespaces = {p: ns for ns, p in _sorted_prefixes(self.names)}
        namespaces.update({p: ns for ns, p in self.extra.items()})
        head = ['<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF']
        for prefix, namespace in sorted(namespaces.items()):
            head.append(f"\n  xmlns:{prefix}={quoteattr(namespace)}")
        head.append("\n>\n")
        return "".join([*head, *self.out, "</rdf:RDF>\n"]).encode("utf-8")


def rdfxml(triples: Triples) -> bytes:
    """RDF/XML with typed node elements (see the module docstring)."""
    prefixes = dict(triples.prefixes)
    prefixes.setdefault("rdf", RDF_NS)
    if prefixes["rdf"] != RDF_NS:
        raise DermOntoError(f"the prefix rdf: must be {RDF_NS} in RDF/XML")
    if "xml" in prefixes or "xmlns" in prefixes:
        prefixes = {p: ns for p, ns in prefixes.items() if p not in ("xml", "xmlns")}
    xml_triples = Triples(triples.groups, triples.literals, prefixes, triples.header)
    return _XmlWriter(xml_triples).write()


# -- from rdflib -------------------------------------------------------------------------
def graph_triples(graph: Any) -> Triples:
    """An rdflib Graph as :class:`Triples`, sorted (subjects, then predicate and object), its
    bound prefixes kept; the ``owl:Ontology`` is the header."""
    from rdflib import BNode, Literal, URIRef

    b = TripleBuilder()

    def term(node: Any) -> str:
        if isinstance(node, URIRef):
            return b.iri(str(node))
        if isinstance(node, BNode):
            return b.blank(str(node))
        if isinstance(node, Literal):
            datatype = str(node.datatype) if node.datatype is not None else ""
            return b.lit(str(node), datatype, node.language or "")
        raise TypeError(f"unexpected RDF term {node!r}")

    for s, p, o in sorted(graph, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3())):
        b.add(term(s), term(p), term(o))
    header = next(
        (
            s
            for s, p, o in _iter(b)
            if p == _TYPE and o == "<http://www.w3.org/2002/07/owl#Ontology>"
        ),
        "",
    )
    prefixes = {str(p): str(ns) for p, ns in graph.namespaces() if p}
    return b.build(dict(sorted(prefixes.items())), header)


def _iter(b: TripleBuilder) -> Iterator[tuple[str, str, str]]:
    for s, pairs in b.groups.items():
        for p, o in pairs:
            yield s, p, o


__all__ = ["graph_triples", "jsonld", "ntriples", "rdfxml", "turtle"]
