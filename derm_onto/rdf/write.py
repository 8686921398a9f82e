"""Model -> triples (OWL in RDF, OBO conventions), one named step per part, without an
RDF library in the loop: each term is kept as its canonical N-Triples text (``<iri>``,
``_:id``, ``"text"@en``), which the writers of :mod:`derm_onto.rdf.serialise` turn into
every format, and :func:`to_graph` into an rdflib Graph for what still needs one (the
rdflib query engine, the evidence annotations).

Blank nodes get ids derived from what they describe (``syn_<id>_<n>``, ``def_<id>``,
``feature_<id>_<target>``, ``disjoint_<n>``) and the triples come in a fixed order (the
header, the vocabulary, then each entry in the order of the JSON with its own triples
together), so every export of one ontology is the same.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> triples = model_triples(load(bundled_ontology_path("starter.json")))
>>> len(triples) > 100, len(to_graph(load(bundled_ontology_path("starter.json")))) == len(triples)
(True, True)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from derm_onto.errors import DermOntoError
from derm_onto.model import KINDS, Concept, Condition, Finding, Kind, Ontology, SynonymType, Term
from derm_onto.rdf.vocab import (
    ABBREVIATION,
    CONSIDER,
    DCTERMS,
    DEFINITION,
    HAS_DBXREF,
    HAS_FEATURE,
    HAS_FEATURE_LABEL,
    HAS_OBSERVED_FEATURE,
    HAS_OBSERVED_FEATURE_DEFINITION,
    HAS_OBSERVED_FEATURE_LABEL,
    HAS_SYNONYM_TYPE,
    KIND_NAMES,
    OBO_ID,
    OWL_NS,
    RDF_NS,
    RDFS_NS,
    REPLACED_BY,
    SH,
    STANDARD_PREFIXES,
    SYNONYM_PROPERTIES,
    SYNONYM_TYPE_PROPERTY,
    XSD_NS,
    project,
)

#: annotation properties declared in every export (IRI -> rdfs:label); the project ones
#: are added per ontology by :func:`_declare_vocabulary`
_ANNOTATION_PROPERTIES: dict[str, str] = {
    DEFINITION: "definition",
    REPLACED_BY: "term replaced by",
    HAS_DBXREF: "database_cross_reference",
    HAS_SYNONYM_TYPE: "has_synonym_type",
    CONSIDER: "consider",
    OBO_ID: "id",
    **{p: p.rsplit("#", 1)[1] for p in SYNONYM_PROPERTIES.values()},
    DCTERMS + "title": "title",
    DCTERMS + "description": "description",
    DCTERMS + "license": "license",
    SH + "declare": "declare",
    SH + "prefix": "prefix",
    SH + "namespace": "namespace",
}
_PROJECT_ANNOTATIONS: dict[str, str] = {
    "provenance": "provenance",
    "category": "category",
    "entry_kind": "entry kind",
    "levels": "levels",
    "prefixes": "prefixes",
}


def safe_id(text: str) -> str:
    """``text`` with every character outside ``[A-Za-z0-9]`` replaced by ``_`` (for blank
    node ids).

    >>> safe_id("DERMONTO:0000001")
    'DERMONTO_0000001'
    """
    return re.sub(r"[^A-Za-z0-9]", "_", text)


XSD_STRING = XSD_NS + "string"
_TYPE = f"<{RDF_NS}type>"
_FIRST = f"<{RDF_NS}first>"
_REST = f"<{RDF_NS}rest>"
_NIL = f"<{RDF_NS}nil>"
_LABEL = f"<{RDFS_NS}label>"
_COMMENT = f"<{RDFS_NS}comment>"
_SUBCLASS = f"<{RDFS_NS}subClassOf>"
_SUBPROPERTY = f"<{RDFS_NS}subPropertyOf>"
_CLASS = f"<{OWL_NS}Class>"
_AXIOM = f"<{OWL_NS}Axiom>"
_RESTRICTION = f"<{OWL_NS}Restriction>"
_ANNOTATION_PROPERTY = f"<{OWL_NS}AnnotationProperty>"
_ON_PROPERTY = f"<{OWL_NS}onProperty>"
_SOME_VALUES = f"<{OWL_NS}someValuesFrom>"
_DISJOINT_WITH = f"<{OWL_NS}disjointWith>"
_SOURCE = f"<{OWL_NS}annotatedSource>"
_PROPERTY = f"<{OWL_NS}annotatedProperty>"
_TARGET = f"<{OWL_NS}annotatedTarget>"
#: canonical N-Triples escapes (as pyoxigraph writes them): the ECHARs, other controls as \\u
_ESCAPES = {
    **{c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)},
    ord("\b"): "\\b",
    ord("\t"): "\\t",
    ord("\n"): "\\n",
    ord("\f"): "\\f",
    ord("\r"): "\\r",
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\\x7f]')
_LANGUAGE = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")
_BLANK_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: local parts of CURIEs that make a valid IRI after any valid namespace
_PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9._~-]*$")


def nt_literal(text: str, datatype: str = "", language: str = "") -> str:
    """A literal in N-Triples (canonical but for an explicit ``xsd:string``, which stays:
    OBO tools type ``oboInOwl:consider`` so, and pronto warns without it).

    >>> nt_literal('say "hi"\\n', language="en")
    '"say \\\\"hi\\\\"\\\\n"@en'
    >>> nt_literal("true", "http://www.w3.org/2001/XMLSchema#boolean")
    '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'
    """
    body = text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text
    if language:
        if not _LANGUAGE.match(language):
            raise DermOntoError(f"{language!r} is not a language tag")
        return f'"{body}"@{language.lower()}'
    if datatype:
        return f'"{body}"^^{check_iri(datatype)}'
    return f'"{body}"'


def check_iri(iri: str) -> str:
    """``<iri>`` once pyoxigraph accepts the IRI; a one-line DermOntoError otherwise.

    >>> check_iri("https://e.org/x")
    '<https://e.org/x>'
    >>> check_iri("https://e.org/a b")
    Traceback (most recent call last):
    ...
    derm_onto.errors.DermOntoError: 'https://e.org/a b' is not an IRI an RDF file can carry: ...
    """
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise DermOntoError(f"{iri!r} is not an IRI an RDF file can carry: {exc}") from None
    return f"<{iri}>"


@dataclass(eq=False)
class Triples:
    """RDF triples grouped by subject, each term in canonical N-Triples: ``groups`` in
    writing order, subject -> (predicate, object) pairs (no pair twice); ``literals`` maps
    each literal's text to (lexical form, datatype IRI or "", language or ""); ``prefixes``
    are the bindings for the formats that abbreviate; ``header`` is the ``owl:Ontology``."""

    groups: list[tuple[str, list[tuple[str, str]]]]
    literals: dict[str, tuple[str, str, str]]
    prefixes: dict[str, str]
    header: str = ""

    def __len__(self) -> int:
        return sum(len(pairs) for _, pairs in self.groups)

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        for subject, pairs in self.groups:
            for predicate, value in pairs:
                yield subject, predicate, value


class TripleBuilder:
    """Collects triples by subject, caching the text of each IRI and literal."""

    def __init__(self) -> None:
        self.groups: dict[str, list[tuple[str, str]]] = {}
        self.literals: dict[str, tuple[str, str, str]] = {}
        self._iris: dict[str, str] = {}
        self._plain: dict[str, str] = {}

    def iri(self, iri: str) -> str:
        found = self._iris.get(iri)
        if found is None:
            found = self._iris[iri] = check_iri(iri)
        return found

    def blank(self, node_id: str) -> str:
        """``_:id``; an id that is not a plain name gets a safe one (the same each time)."""
        return "_:" + (node_id if _BLANK_ID.match(node_id) else "b" + safe_id(node_id))

    def lit(self, text: str, datatype: str = "", language: str = "") -> str:
        if not datatype and not language:
            found = self._plain.get(text)
            if found is None:
                found = self._plain[text] = nt_literal(text)
                self.literals[found] = (text, "", "")
            return found
        found = nt_literal(text, datatype, language)
        self.literals.setdefault(found, (text, "" if language else datatype, language.lower()))
        return found

    def pairs(self, subject: str) -> list[tuple[str, str]]:
        found = self.groups.get(subject)
        if found is None:
            found = self.groups[subject] = []
        return found

    def add(self, subject: str, predicate: str, value: str) -> None:
        self.pairs(subject).append((predicate, value))

    def build(self, prefixes: dict[str, str], header: str = "", *, dedupe: bool = True) -> Triples:
        """The triples; ``dedupe=False`` when no pair was added twice to a subject."""
        groups = list(self.groups.items())
        if dedupe:
            groups = [
                (s, pairs if len(pairs) < 2 else list(dict.fromkeys(pairs))) for s, pairs in groups
            ]
        return Triples(groups, self.literals, prefixes, header)


def bound_prefixes(ontology: Ontology) -> dict[str, str]:
    """The ontology's CURIE prefixes as declared (``DERMONTO:0000001`` in Turtle reads as
    the JSON id), the standard vocabularies, and ``dermonto:`` for project annotations."""
    bound = {
        p: ns
        for p, ns in sorted(ontology.prefixes.items())
        if p not in STANDARD_PREFIXES and p != "dermonto"
    }
    bound.update(STANDARD_PREFIXES)
    bound["dermonto"] = ontology.base_iri
    return dict(sorted(bound.items()))


def ontology_iri(ontology: Ontology) -> str:
    """The IRI of the ``owl:Ontology``: ``<base_iri><id>.owl``.

    >>> from derm_onto.model import Ontology
    >>> ontology_iri(Ontology(id="x", title="X", base_iri="https://e.org/", prefixes={}))
    'https://e.org/x.owl'
    """
    return f"{ontology.base_iri}{ontology.id}.owl"


def model_triples(ontology: Ontology) -> Triples:
    """The ontology as OWL triples (see the table in :mod:`derm_onto.rdf`)."""
    b = TripleBuilder()
    header = b.iri(ontology_iri(ontology))
    _add_header(b, ontology, header)
    _declare_vocabulary(b, ontology)
    writer = _TermWriter(b, ontology)
    for kind in KINDS:
        for term in ontology.entries(kind):
            writer.add(term, kind)
    _add_disjoint(b, ontology, writer)
    return b.build(bound_prefixes(ontology), header, dedupe=False)


def to_graph(ontology: Ontology) -> Any:
    """The ontology as an rdflib Graph (OWL), with deterministic blank node ids."""
    return triples_to_graph(model_triples(ontology))


def triples_to_graph(triples: Triples) -> Any:
    """An rdflib Graph holding ``triples``, with their prefixes bound."""
    from rdflib import BNode, Graph, Literal, URIRef

    graph = Graph(bind_namespaces="none")
    for prefix, namespace in triples.prefixes.items():
        graph.bind(prefix, namespace, override=True)
    terms: dict[str, Any] = {}

    def term(text: str) -> Any:
        found = terms.get(text)
        if found is None:
            if text[0] == "<":
                found = URIRef(text[1:-1])
            elif text[0] == "_":
                found = BNode(text[2:])
            else:
                value, datatype, language = triples.literals[text]
                found = Literal(
                    value, lang=language or None, datatype=URIRef(datatype) if datatype else None
                )
            terms[text] = found
        return found

    for s, p, o in triples:
        graph.add((term(s), term(p), term(o)))
    return graph


def _add_header(b: TripleBuilder, ontology: Ontology, onto: str) -> None:
    base = ontology.base_iri
    add = b.pairs(onto).append
    add((_TYPE, b.iri(OWL_NS + "Ontology")))
    add((b.iri(DCTERMS + "title"), b.lit(ontology.title)))
    if ontology.description:
        add((b.iri(DCTERMS + "description"), b.lit(ontology.description)))
    if ontology.license:
        value = (
            b.iri(ontology.license)
            if re.match(r"https?://", ontology.license)
            else b.lit(ontology.license)
        )
        add((b.iri(DCTERMS + "license"), value))
    if ontology.version:
        add((b.iri(OWL_NS + "versionInfo"), b.lit(ontology.version)))
        version_iri = f"{base}{ontology.id}/{ontology.version}/{ontology.id}.owl"
        add((b.iri(OWL_NS + "versionIRI"), b.iri(version_iri)))
    if ontology.levels:
        add((b.iri(project(base, "levels")), b.lit(json.dumps(list(ontology.levels)))))
    # the prefixes twice: SHACL declarations (standard, but OWL tools such as horned-owl drop
    # annotations on anonymous individuals) and one JSON literal that every OWL tool keeps
    prefixes = json.dumps(dict(sorted(ontology.prefixes.items())), sort_keys=True)
    add((b.iri(project(base, "prefixes")), b.lit(prefixes)))
    for prefix, namespace in sorted(ontology.prefixes.items()):
        decl = b.blank(f"prefix_{safe_id(prefix)}")
        add((b.iri(SH + "declare"), decl))
        b.add(decl, b.iri(SH + "prefix"), b.lit(prefix))
        b.add(decl, b.iri(SH + "namespace"), b.lit(namespace, XSD_NS + "anyURI"))


def _declare_vocabulary(b: TripleBuilder, ontology: Ontology) -> None:
    """Declare every property used, so OWL tools load the file without guessing; the
    abbreviation synonym type is declared as OBO declares synonym types."""
    properties = dict(_ANNOTATION_PROPERTIES)
    for name, label in _PROJECT_ANNOTATIONS.items():
        properties[project(ontology.base_iri, name)] = label
    for prop, label in sorted(properties.items()):
        b.add(b.iri(prop), _TYPE, _ANNOTATION_PROPERTY)
        b.add(b.iri(prop), _LABEL, b.lit(label))
    abbreviation = b.iri(ABBREVIATION)
    b.add(abbreviation, _TYPE, _ANNOTATION_PROPERTY)
    b.add(abbreviation, _LABEL, b.lit("abbreviation"))
    b.add(abbreviation, _SUBPROPERTY, b.iri(SYNONYM_TYPE_PROPERTY))
    b.add(b.iri(SYNONYM_TYPE_PROPERTY), _TYPE, _ANNOTATION_PROPERTY)
    has_feature = b.iri(project(ontology.base_iri, HAS_FEATURE))
    b.add(has_feature, _TYPE, b.iri(OWL_NS + "ObjectProperty"))
    b.add(has_feature, _LABEL, b.lit(HAS_FEATURE_LABEL))
    definition = "Relates a condition to a clinical concept or finding it typically shows."
    b.add(has_feature, b.iri(DEFINITION), b.lit(definition))
    # declared in every export, as has_feature is: the vocabulary of a file does not
    # depend on its content, so queries and diffs of two exports see only data changes
    observed = b.iri(project(ontology.base_iri, HAS_OBSERVED_FEATURE))
    b.add(observed, _TYPE, _ANNOTATION_PROPERTY)
    b.add(observed, _LABEL, b.lit(HAS_OBSERVED_FEATURE_LABEL))
    b.add(observed, b.iri(DEFINITION), b.lit(HAS_OBSERVED_FEATURE_DEFINITION))


class _TermWriter:
    """The triples of one entry at a time (the hot loop: IRIs, ids and the project
    properties are looked up once)."""

    def __init__(self, b: TripleBuilder, ontology: Ontology) -> None:
        self.b = b
        self.ontology = ontology
        base = ontology.base_iri
        self.entry_kind = b.iri(project(base, "entry_kind"))
        self.provenance = b.iri(project(base, "provenance"))
        self.category = b.iri(project(base, "category"))
        self.has_feature = b.iri(project(base, HAS_FEATURE))
        self.has_observed_feature = b.iri(project(base, HAS_OBSERVED_FEATURE))
        self.obo_id = b.iri(OBO_ID)
        self.definition = b.iri(DEFINITION)
        self.xref = b.iri(HAS_DBXREF)
        self.synonym_type = b.iri(HAS_SYNONYM_TYPE)
        self.abbreviation = b.iri(ABBREVIATION)
        self.replaced_by = b.iri(REPLACED_BY)
        self.consider = b.iri(CONSIDER)
        self.deprecated = b.iri(OWL_NS + "deprecated")
        self.true = b.lit("true", XSD_NS + "boolean")
        self.kinds = {kind: b.lit(name) for kind, name in KIND_NAMES.items()}
        self.synonyms = {t: b.iri(p) for t, p in SYNONYM_PROPERTIES.items()}
        self._iris: dict[str, str] = {}
        self._safe: dict[str, str] = {}
        self._namespaces: dict[str, str] = {}

    def iri(self, curie: str) -> str:
        found = self._iris.get(curie)
        if found is None:
            prefix, _, local = curie.partition(":")
            namespace = self._namespaces.get(prefix)
            if namespace is None:  # checked once per prefix
                self.b.iri(self.ontology.expand(curie))
                namespace = self._namespaces[prefix] = self.ontology.prefixes[prefix]
            if _PLAIN_LOCAL.match(local):
                found = f"<{namespace}{local}>"
            else:
                found = self.b.iri(namespace + local)
            self._iris[curie] = found
        return found

    def safe(self, curie: str) -> str:
        found = self._safe.get(curie)
        if found is None:
            found = self._safe[curie] = safe_id(curie)
        return found

    def add(self, term: Term, kind: Kind) -> None:
        b, lit = self.b, self.b.lit
        iri = self.iri(term.id)
        pairs = b.pairs(iri)
        add = pairs.append
        add((_TYPE, _CLASS))
        add((_LABEL, lit(term.label)))
        add((self.obo_id, lit(term.id)))
        add((self.entry_kind, self.kinds[kind]))
        for parent in sorted(set(term.parents)):
            add((_SUBCLASS, self.iri(parent)))
        if term.definition:
            self._definition(iri, term, add)
        if term.synonyms:
            self._synonyms(iri, term, add)
        for xref in sorted(set(term.xrefs)):
            add((self.xref, lit(xref)))
        for name in sorted(set(term.provenance)):
            add((self.provenance, lit(name)))
        if isinstance(term, Concept | Finding) and term.category is not None:
            add((self.category, lit(term.category.value)))
        if term.obsolete or term.replaced_by or term.consider:
            self._obsolescence(term, add)
        if isinstance(term, Condition):
            if term.concepts or term.findings:
                self._features(term, add)
            if term.observed_concepts:  # annotation assertions, no axiom
                observed = self.has_observed_feature
                add_all = pairs.extend
                add_all((observed, self.iri(t)) for t in sorted(set(term.observed_concepts)))

    def axiom(self, node_id: str, source: str, prop: str, target: str) -> list[tuple[str, str]]:
        """An ``owl:Axiom`` annotating the assertion ``source prop target`` (its pairs)."""
        pairs = self.b.pairs(self.b.blank(node_id))
        pairs += ((_TYPE, _AXIOM), (_SOURCE, source), (_PROPERTY, prop), (_TARGET, target))
        return pairs

    def _definition(self, iri: str, term: Term, add: Any) -> None:
        """``IAO:0000115``; its sources as ``oboInOwl:hasDbXref`` on an axiom annotation, as
        the OBO tools write ``def: "..." [PMID:1]``."""
        assert term.definition
        text = self.b.lit(term.definition)
        add((self.definition, text))
        if term.definition_xrefs:
            axiom = self.axiom(f"def_{self.safe(term.id)}", iri, self.definition, text)
            axiom += ((self.xref, self.b.lit(x)) for x in sorted(set(term.definition_xrefs)))

    def _synonyms(self, iri: str, term: Term, add: Any) -> None:
        """An abbreviation is an exact synonym typed ``OMO:0003000`` by an axiom annotation."""
        exact = self.synonyms[SynonymType.EXACT]
        seen: set[tuple[str, str]] = set()
        for n, synonym in enumerate(sorted(set(term.synonyms))):
            prop = self.synonyms.get(synonym.type, exact)
            text = self.b.lit(synonym.text)
            if (prop, text) not in seen:  # an abbreviation is an exact synonym too
                seen.add((prop, text))
                add((prop, text))
            if synonym.type is SynonymType.ABBREVIATION:
                axiom = self.axiom(f"syn_{self.safe(term.id)}_{n}", iri, prop, text)
                axiom.append((self.synonym_type, self.abbreviation))

    def _obsolescence(self, term: Term, add: Any) -> None:
        """``owl:deprecated true``, ``IAO:0100001`` (an IRI) and ``oboInOwl:consider``
        (CURIE strings), as ROBOT writes an OBO ``is_obsolete`` term."""
        if term.obsolete:
            add((self.deprecated, self.true))
        if term.replaced_by:
            prefix = term.replaced_by.partition(":")[0]
            target = (
                self.iri(term.replaced_by)
                if prefix in self.ontology.prefixes
                else self.b.lit(term.replaced_by, XSD_STRING)
            )
            add((self.replaced_by, target))
        for other in sorted(set(term.consider)):  # typed xsd:string, as OBO tools write it
            add((self.consider, self.b.lit(other, XSD_STRING)))

    def _features(self, term: Condition, add: Any) -> None:
        """Typical concepts and findings as ``subClassOf has_feature some X``."""
        safe = self.safe(term.id)
        groups = self.b.groups
        for target in sorted(set(term.concepts) | set(term.findings)):
            node = f"_:feature_{safe}_{self.safe(target)}"
            add((_SUBCLASS, node))
            groups[node] = [
                (_TYPE, _RESTRICTION),
                (_ON_PROPERTY, self.has_feature),
                (_SOME_VALUES, self.iri(target)),
            ]


def _add_disjoint(b: TripleBuilder, ontology: Ontology, writer: _TermWriter) -> None:
    """Each pair of a group as ``owl:disjointWith`` with the reason as ``rdfs:comment`` on
    an ``owl:Axiom`` (as the OWL API writes pairs; horned-owl reads only this form), and a
    group of three or more also as one ``owl:AllDisjointClasses`` (the reason as its
    ``rdfs:comment``), so the grouping survives either way."""
    seen: set[tuple[str, str]] = set()
    for n, group in enumerate(sorted(ontology.disjoint, key=lambda d: sorted(d.classes))):
        members = sorted(group.classes)
        for i, a in enumerate(members):
            for j, b_id in enumerate(members[i + 1 :], start=i + 1):
                first, second = writer.iri(a), writer.iri(b_id)
                if (first, second) not in seen:
                    seen.add((first, second))
                    b.add(first, _DISJOINT_WITH, second)
                if group.reason:
                    axiom = writer.axiom(f"disjoint_{n}_{i}_{j}", first, _DISJOINT_WITH, second)
                    axiom.append((_COMMENT, b.lit(group.reason)))
        if len(members) < 3:
            continue
        node = b.blank(f"disjoint_{n}")
        b.add(node, _TYPE, b.iri(OWL_NS + "AllDisjointClasses"))
        if group.reason:
            b.add(node, _COMMENT, b.lit(group.reason))
        cells = [b.blank(f"disjoint_{n}_{i}") for i in range(len(members))]
        b.add(node, b.iri(OWL_NS + "members"), cells[0])
        for i, (cell, member) in enumerate(zip(cells, members, strict=True)):
            b.add(cell, _FIRST, writer.iri(member))
            b.add(cell, _REST, cells[i + 1] if i + 1 < len(cells) else _NIL)


__all__ = [
    "TripleBuilder",
    "Triples",
    "bound_prefixes",
    "check_iri",
    "model_triples",
    "nt_literal",
    "ontology_iri",
    "safe_id",
    "to_graph",
    "triples_to_graph",
]
