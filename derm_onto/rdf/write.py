"""Model -> rdflib Graph (OWL in RDF, OBO conventions), one named step per part.

Blank nodes get ids derived from what they describe (``syn_<id>_<n>``, ``def_<id>``,
``feature_<id>_<target>``, ``disjoint_<n>``), so every export of one ontology is the same.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> graph = to_graph(load(bundled_ontology_path("starter.json")))
>>> len(graph) > 100
True
"""

from __future__ import annotations

import json
import re
from typing import Any

from derm_onto.model import KINDS, Concept, Condition, Finding, Kind, Ontology, SynonymType, Term
from derm_onto.rdf.vocab import (
    ABBREVIATION,
    CONSIDER,
    DCTERMS,
    DEFINITION,
    HAS_DBXREF,
    HAS_SYNONYM_TYPE,
    KIND_NAMES,
    OBO_ID,
    REPLACED_BY,
    SH,
    STANDARD_PREFIXES,
    SYNONYM_PROPERTIES,
    SYNONYM_TYPE_PROPERTY,
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


def to_graph(ontology: Ontology) -> Any:
    """The ontology as an rdflib Graph (OWL), with deterministic blank node ids."""
    from rdflib import Graph

    graph = Graph(bind_namespaces="none")
    _bind_prefixes(graph, ontology)
    _add_header(graph, ontology)
    _declare_vocabulary(graph, ontology)
    for kind in KINDS:
        for term in ontology.entries(kind):
            _add_term(graph, ontology, term, kind)
    _add_disjoint(graph, ontology)
    return graph


def _bind_prefixes(graph: Any, ontology: Ontology) -> None:
    """The ontology's CURIE prefixes as declared (``DERMONTO:0000001`` in Turtle reads as
    the JSON id), the standard vocabularies, and ``dermonto:`` for project annotations."""
    for prefix, namespace in sorted(ontology.prefixes.items()):
        if prefix not in STANDARD_PREFIXES and prefix != "dermonto":
            graph.bind(prefix, namespace, override=True)
    for prefix, namespace in STANDARD_PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    graph.bind("dermonto", ontology.base_iri, override=True)


def ontology_iri(ontology: Ontology) -> str:
    """The IRI of the ``owl:Ontology``: ``<base_iri><id>.owl``.

    >>> from derm_onto.model import Ontology
    >>> ontology_iri(Ontology(id="x", title="X", base_iri="https://e.org/", prefixes={}))
    'https://e.org/x.owl'
    """
    return f"{ontology.base_iri}{ontology.id}.owl"


def _add_header(graph: Any, ontology: Ontology) -> None:
    from rdflib import OWL, RDF, XSD, BNode, Literal, URIRef

    base = ontology.base_iri
    onto = URIRef(ontology_iri(ontology))
    graph.add((onto, RDF.type, OWL.Ontology))
    graph.add((onto, URIRef(DCTERMS + "title"), Literal(ontology.title)))
    if ontology.description:
        graph.add((onto, URIRef(DCTERMS + "description"), Literal(ontology.description)))
    if ontology.license:
        value = (
            URIRef(ontology.license)
            if re.match(r"https?://", ontology.license)
            else Literal(ontology.license)
        )
        graph.add((onto, URIRef(DCTERMS + "license"), value))
    if ontology.version:
        graph.add((onto, OWL.versionInfo, Literal(ontology.version)))
        version_iri = f"{base}{ontology.id}/{ontology.version}/{ontology.id}.owl"
        graph.add((onto, OWL.versionIRI, URIRef(version_iri)))
    if ontology.levels:
        levels = Literal(json.dumps(list(ontology.levels)))
        graph.add((onto, URIRef(project(base, "levels")), levels))
    # the prefixes twice: SHACL declarations (standard, but OWL tools such as horned-owl drop
    # annotations on anonymous individuals) and one JSON literal that every OWL tool keeps
    prefixes = json.dumps(dict(sorted(ontology.prefixes.items())), sort_keys=True)
    graph.add((onto, URIRef(project(base, "prefixes")), Literal(prefixes)))
    for prefix, namespace in sorted(ontology.prefixes.items()):
        decl = BNode(f"prefix_{safe_id(prefix)}")
        graph.add((onto, URIRef(SH + "declare"), decl))
        graph.add((decl, URIRef(SH + "prefix"), Literal(prefix)))
        graph.add((decl, URIRef(SH + "namespace"), Literal(namespace, datatype=XSD.anyURI)))


def _declare_vocabulary(graph: Any, ontology: Ontology) -> None:
    """Declare every property used, so OWL tools load the file without guessing; the
    abbreviation synonym type is declared as OBO declares synonym types."""
    from rdflib import OWL, RDF, RDFS, Literal, URIRef

    properties = dict(_ANNOTATION_PROPERTIES)
    for name, label in _PROJECT_ANNOTATIONS.items():
        properties[project(ontology.base_iri, name)] = label
    for prop, label in properties.items():
        graph.add((URIRef(prop), RDF.type, OWL.AnnotationProperty))
        graph.add((URIRef(prop), RDFS.label, Literal(label)))
    abbreviation = URIRef(ABBREVIATION)
    graph.add((abbreviation, RDF.type, OWL.AnnotationProperty))
    graph.add((abbreviation, RDFS.label, Literal("abbreviation")))
    graph.add((abbreviation, RDFS.subPropertyOf, URIRef(SYNONYM_TYPE_PROPERTY)))
    graph.add((URIRef(SYNONYM_TYPE_PROPERTY), RDF.type, OWL.AnnotationProperty))
    has_feature = URIRef(project(ontology.base_iri, "has_feature"))
    graph.add((has_feature, RDF.type, OWL.ObjectProperty))
    graph.add((has_feature, RDFS.label, Literal("has feature")))
    definition = "Relates a condition to a clinical concept or finding it typically shows."
    graph.add((has_feature, URIRef(DEFINITION), Literal(definition)))


def _add_term(graph: Any, ontology: Ontology, term: Term, kind: Kind) -> None:
    from rdflib import OWL, RDF, RDFS, Literal, URIRef

    iri = URIRef(ontology.expand(term.id))
    base = ontology.base_iri
    graph.add((iri, RDF.type, OWL.Class))
    graph.add((iri, RDFS.label, Literal(term.label)))
    graph.add((iri, URIRef(OBO_ID), Literal(term.id)))
    graph.add((iri, URIRef(project(base, "entry_kind")), Literal(KIND_NAMES[kind])))
    for parent in sorted(set(term.parents)):
        graph.add((iri, RDFS.subClassOf, URIRef(ontology.expand(parent))))
    _add_definition(graph, iri, term)
    _add_synonyms(graph, iri, term)
    for xref in sorted(set(term.xrefs)):
        graph.add((iri, URIRef(HAS_DBXREF), Literal(xref)))
    for name in sorted(set(term.provenance)):
        graph.add((iri, URIRef(project(base, "provenance")), Literal(name)))
    if isinstance(term, Concept | Finding) and term.category is not None:
        graph.add((iri, URIRef(project(base, "category")), Literal(term.category.value)))
    _add_obsolescence(graph, ontology, iri, term)
    if isinstance(term, Condition):
        _add_features(graph, ontology, iri, term)


def _axiom(graph: Any, node_id: str, source: Any, prop: Any, target: Any) -> Any:
    """An ``owl:Axiom`` annotating the assertion ``source prop target`` (returned)."""
    from rdflib import OWL, RDF, BNode

    axiom = BNode(node_id)
    graph.add((axiom, RDF.type, OWL.Axiom))
    graph.add((axiom, OWL.annotatedSource, source))
    graph.add((axiom, OWL.annotatedProperty, prop))
    graph.add((axiom, OWL.annotatedTarget, target))
    return axiom


def _add_definition(graph: Any, iri: Any, term: Term) -> None:
    """``IAO:0000115``; its sources as ``oboInOwl:hasDbXref`` on an axiom annotation, as
    the OBO tools write ``def: "..." [PMID:1]``."""
    from rdflib import Literal, URIRef

    if not term.definition:
        return
    text = Literal(term.definition)
    graph.add((iri, URIRef(DEFINITION), text))
    if term.definition_xrefs:
        axiom = _axiom(graph, f"def_{safe_id(term.id)}", iri, URIRef(DEFINITION), text)
        for xref in sorted(set(term.definition_xrefs)):
            graph.add((axiom, URIRef(HAS_DBXREF), Literal(xref)))


def _add_synonyms(graph: Any, iri: Any, term: Term) -> None:
    """An abbreviation is an exact synonym typed ``OMO:0003000`` by an axiom annotation."""
    from rdflib import Literal, URIRef

    for n, synonym in enumerate(sorted(set(term.synonyms))):
        prop = URIRef(SYNONYM_PROPERTIES.get(synonym.type, SYNONYM_PROPERTIES[SynonymType.EXACT]))
        graph.add((iri, prop, Literal(synonym.text)))
        if synonym.type is SynonymType.ABBREVIATION:
            axiom = _axiom(graph, f"syn_{safe_id(term.id)}_{n}", iri, prop, Literal(synonym.text))
            graph.add((axiom, URIRef(HAS_SYNONYM_TYPE), URIRef(ABBREVIATION)))


def _add_obsolescence(graph: Any, ontology: Ontology, iri: Any, term: Term) -> None:
    """``owl:deprecated true``, ``IAO:0100001`` (an IRI) and ``oboInOwl:consider``
    (CURIE strings), as ROBOT writes an OBO ``is_obsolete`` term."""
    from rdflib import OWL, XSD, Literal, URIRef

    if term.obsolete:
        graph.add((iri, OWL.deprecated, Literal("true", datatype=XSD.boolean)))
    if term.replaced_by:
        prefix = term.replaced_by.partition(":")[0]
        target = (
            URIRef(ontology.expand(term.replaced_by))
            if prefix in ontology.prefixes
            else Literal(term.replaced_by, datatype=XSD.string)
        )
        graph.add((iri, URIRef(REPLACED_BY), target))
    for other in sorted(set(term.consider)):  # typed xsd:string, as OBO tools write it
        graph.add((iri, URIRef(CONSIDER), Literal(other, datatype=XSD.string)))


def _add_features(graph: Any, ontology: Ontology, iri: Any, term: Condition) -> None:
    """Typical concepts and findings as ``subClassOf has_feature some X``."""
    from rdflib import OWL, RDF, RDFS, BNode, URIRef

    has_feature = URIRef(project(ontology.base_iri, "has_feature"))
    for target in sorted(set(term.concepts) | set(term.findings)):
        restriction = BNode(f"feature_{safe_id(term.id)}_{safe_id(target)}")
        graph.add((iri, RDFS.subClassOf, restriction))
        graph.add((restriction, RDF.type, OWL.Restriction))
        graph.add((restriction, OWL.onProperty, has_feature))
        graph.add((restriction, OWL.someValuesFrom, URIRef(ontology.expand(target))))


def _add_disjoint(graph: Any, ontology: Ontology) -> None:
    """Each pair of a group as ``owl:disjointWith`` with the reason as ``rdfs:comment`` on
    an ``owl:Axiom`` (as the OWL API writes pairs; horned-owl reads only this form), and a
    group of three or more also as one ``owl:AllDisjointClasses`` (the reason as its
    ``rdfs:comment``), so the grouping survives either way."""
    from rdflib import OWL, RDF, RDFS, BNode, Literal, URIRef

    for n, group in enumerate(sorted(ontology.disjoint, key=lambda d: sorted(d.classes))):
        members = sorted(group.classes)
        for i, a in enumerate(members):
            for j, b in enumerate(members[i + 1 :], start=i + 1):
                first, second = URIRef(ontology.expand(a)), URIRef(ontology.expand(b))
                graph.add((first, OWL.disjointWith, second))
                if group.reason:
                    axiom = _axiom(graph, f"disjoint_{n}_{i}_{j}", first, OWL.disjointWith, second)
                    graph.add((axiom, RDFS.comment, Literal(group.reason)))
        if len(members) < 3:
            continue
        axiom = BNode(f"disjoint_{n}")
        graph.add((axiom, RDF.type, OWL.AllDisjointClasses))
        if group.reason:
            graph.add((axiom, RDFS.comment, Literal(group.reason)))
        cells = [BNode(f"disjoint_{n}_{i}") for i in range(len(members))]
        graph.add((axiom, OWL.members, cells[0]))
        for i, (cell, member) in enumerate(zip(cells, members, strict=True)):
            graph.add((cell, RDF.first, URIRef(ontology.expand(member))))
            graph.add((cell, RDF.rest, cells[i + 1] if i + 1 < len(cells) else RDF.nil))


__all__ = ["ontology_iri", "safe_id", "to_graph"]
