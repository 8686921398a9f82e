"""The evidence as OWL axiom annotations, for the RDF export.

Each asserted link is an axiom ``C rdfs:subClassOf [owl:onProperty :has_feature;
owl:someValuesFrom F]``. Its evidence from one source column becomes an annotation of that
axiom (OWL 2 reification, which OWL tools read as an annotated axiom):

.. code-block:: turtle

    _:ev a owl:Axiom ;
        owl:annotatedSource C ; owl:annotatedProperty rdfs:subClassOf ;
        owl:annotatedTarget _:restriction ;          # the restriction node itself
        ev:source "skincon" ; ev:column "Macule" ; ev:dataset "SkinCon 2022" ;
        ev:n_images 94 ; ev:n_with_feature 0 ; ev:confidence 0.0 ;
        ev:ci_low 0.0 ; ev:ci_high 0.039 ; ev:lift 0.0 ; ev:status "contradicted" .

An observed link (``Condition.observed_concepts``) is an annotation assertion ``C
:has_observed_feature F``, not a logical axiom; its evidence annotates that assertion the
same way (``owl:annotatedProperty :has_observed_feature ; owl:annotatedTarget F``), so
SPARQL can filter links of either relation by support or source (``queries/concepts-of-condition-
evidence.rq``, ``queries/conditions-with-concept-by-lift.rq``). The ``ev:`` vocabulary is
derm-onto's own (:data:`EV`), the same for every ontology. Links without evidence get
nothing; zero counts are evidence too (a contradicted link shows its 0 of n).

>>> from derm_onto.jsonio import load
>>> from derm_onto.rdf import to_graph
>>> from derm_onto.associations.evidence import default_path, read
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path())
>>> graph = to_graph(onto)
>>> triples = evidence_triples(graph, onto, read(default_path()))
>>> len(triples) > 1000
True
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from derm_onto.associations.evidence import CheckOptions, check
from derm_onto.model import Ontology

#: derm-onto's evidence vocabulary (annotation properties).
EV = "https://w3id.org/derm-onto/evidence#"
PROPERTIES: Mapping[str, str] = {
    "source": "evidence source (derm-onto source name)",
    "dataset": "evidence dataset and version",
    "column": "evidence column of the source table",
    "n_total": "images of the source annotated for the column",
    "n_images": "images of the condition",
    "n_feature": "images showing the feature",
    "n_with_feature": "images of the condition showing the feature",
    "confidence": "share of the condition's images showing the feature",
    "ci_low": "lower bound of the confidence's Wilson interval",
    "ci_high": "upper bound of the confidence's Wilson interval",
    "lift": "confidence divided by the feature's share of all images",
    "q_value": "Benjamini-Hochberg q-value of the one-sided Fisher test of enrichment",
    "status": "verdict on the link: supported, contradicted or weak",
}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _restrictions(graph: Any, ontology: Ontology) -> dict[tuple[str, str], Any]:
    """(condition IRI, feature IRI) -> the restriction node of the asserted axiom."""
    from rdflib import OWL, RDFS, URIRef

    has_feature = URIRef(ontology.base_iri + "has_feature")
    out: dict[tuple[str, str], Any] = {}
    for subject, node in graph.subject_objects(RDFS.subClassOf):
        if (node, OWL.onProperty, has_feature) not in graph:
            continue
        target = graph.value(node, OWL.someValuesFrom)
        if target is not None:
            out[(str(subject), str(target))] = node
    return out


def evidence_triples(
    graph: Any,
    ontology: Ontology,
    document: Mapping[str, Any],
    options: CheckOptions | None = None,
) -> list[tuple[Any, Any, Any]]:
    """Triples that annotate the graph's has_feature axioms with their evidence (add them
    with ``graph += triples`` or ``for t in triples: graph.add(t)``); deterministic blank
    node ids, sorted output."""
    from rdflib import OWL, RDF, RDFS, XSD, BNode, Literal, URIRef

    options = options or CheckOptions()
    report = check(ontology, document, options)
    datasets = {s["source"]: f"{s['dataset']} {s['version']}" for s in document["sources"]}
    nodes = _restrictions(graph, ontology)
    has_observed = URIRef(ontology.base_iri + "has_observed_feature")
    out: list[tuple[Any, Any, Any]] = []
    for name, label in PROPERTIES.items():
        out.append((URIRef(EV + name), RDF.type, OWL.AnnotationProperty))
        out.append((URIRef(EV + name), RDFS.label, Literal(label)))
    for link in report.links:
        if link.status == "no_data":
            continue
        source_iri = ontology.expand(link.condition)
        feature_iri = URIRef(ontology.expand(link.feature))
        node: Any
        if link.relation == "observed":
            prop, node, tag = has_observed, feature_iri, "observed_"
            if (URIRef(source_iri), prop, node) not in graph:
                continue
        else:
            prop, node, tag = RDFS.subClassOf, nodes.get((source_iri, str(feature_iri))), ""
            if node is None:
                continue
        for e in link.evidence:
            axiom = BNode(
                f"evidence_{tag}{_safe(link.condition)}_{_safe(link.feature)}_"
                f"{_safe(e.source)}_{_safe(e.column)}"
            )
            values: list[tuple[str, Any]] = [
                ("source", Literal(e.source)),
                ("dataset", Literal(datasets.get(e.source, e.source))),
                ("column", Literal(e.column)),
                ("n_total", Literal(e.n_total, datatype=XSD.integer)),
                ("n_images", Literal(e.n_images, datatype=XSD.integer)),
                ("n_feature", Literal(e.n_feature, datatype=XSD.integer)),
                ("n_with_feature", Literal(e.n_with_feature, datatype=XSD.integer)),
                ("confidence", Literal(e.confidence, datatype=XSD.double)),
                ("ci_low", Literal(e.ci_low, datatype=XSD.double)),
                ("ci_high", Literal(e.ci_high, datatype=XSD.double)),
                ("lift", Literal(e.lift, datatype=XSD.double)),
                ("status", Literal(link.status)),
            ]
            if e.q_value is not None:
                values.append(("q_value", Literal(e.q_value, datatype=XSD.double)))
            out += [
                (axiom, RDF.type, OWL.Axiom),
                (axiom, OWL.annotatedSource, URIRef(source_iri)),
                (axiom, OWL.annotatedProperty, prop),
                (axiom, OWL.annotatedTarget, node),
            ]
            out += [(axiom, URIRef(EV + key), value) for key, value in values]
    return sorted(set(out), key=lambda t: tuple(str(x) for x in t))


def graph_with_evidence(ontology: Ontology, path: str | os.PathLike[str] | None = None) -> Any:
    """The ontology's RDF graph with the evidence of an associations file (default: the
    bundled one) as axiom annotations on its typical and observed links.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> from derm_onto.rdf import to_graph
    >>> onto = load(bundled_ontology_path())
    >>> len(graph_with_evidence(onto)) > len(to_graph(onto))
    True
    """
    from derm_onto.associations.evidence import default_path, read
    from derm_onto.rdf import to_graph

    graph = to_graph(ontology)
    graph.bind("ev", EV)
    for triple in evidence_triples(graph, ontology, read(Path(path) if path else default_path())):
        graph.add(triple)
    return graph
