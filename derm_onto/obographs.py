"""The ontology as OBO Graphs JSON (the JSON form ROBOT, OAK and pronto read).

One graph: a ``CLASS`` node per entry (full IRIs as ids, as ROBOT writes them), an
``is_a`` edge per parent, a ``has_feature`` edge per typical concept or finding. Node
``meta`` carries the definition with its sources, typed synonyms (abbreviations with
``synonymType`` OMO:0003000), xrefs, the category as a subset, the entry kind as
``hasOBONamespace``, provenance, each observed concept as a ``basicPropertyValues`` entry
``{"pred": <base>has_observed_feature, "val": <concept IRI>}`` (an annotation, as ROBOT
writes an annotation assertion with an IRI value: edges are logical relations in OBO
Graphs, and an observed concept is none), and for obsolete terms ``deprecated`` plus
``IAO:0100001`` (replaced by) and ``oboInOwl:consider``. Both properties are ``PROPERTY``
nodes (``propertyType`` OBJECT and ANNOTATION). Keys are sorted, lists are sorted, so the
same model always gives the same bytes.

>>> import json
>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> graph = json.loads(dumps_obographs(load(bundled_ontology_path())))["graphs"][0]
>>> graph["nodes"][0]["type"]
'CLASS'
"""

from __future__ import annotations

import json
from typing import Any

from derm_onto.model import KINDS, Concept, Condition, Finding, Kind, Ontology, SynonymType, Term
from derm_onto.obo import ABBREVIATION_TYPE, HAS_FEATURE, HAS_OBSERVED_FEATURE, NAMESPACES

OBO = "http://purl.obolibrary.org/obo/"
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
DCTERMS = "http://purl.org/dc/terms/"
SYNONYM_PREDICATES: dict[SynonymType, str] = {
    SynonymType.EXACT: "hasExactSynonym",
    SynonymType.RELATED: "hasRelatedSynonym",
    SynonymType.BROAD: "hasBroadSynonym",
    SynonymType.NARROW: "hasNarrowSynonym",
    SynonymType.ABBREVIATION: "hasExactSynonym",
}


def _iri(ontology: Ontology, curie: str) -> str:
    """The IRI of a CURIE: declared prefixes first, then the OBO PURL convention."""
    prefix, _, local = curie.partition(":")
    if prefix in ontology.prefixes:
        return ontology.prefixes[prefix] + local
    return f"{OBO}{prefix}_{local}"


def _pv(pred: str, val: str) -> dict[str, str]:
    return {"pred": pred, "val": val}


def _node(ontology: Ontology, kind: Kind, term: Term) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if term.definition is not None:
        meta["definition"] = {"val": term.definition, "xrefs": sorted(set(term.definition_xrefs))}
    category = getattr(term, "category", None)
    if isinstance(term, Concept | Finding) and category is not None:
        meta["subsets"] = [f"{ontology.base_iri}{category.value}"]
    if term.synonyms:
        synonyms = []
        for syn in sorted(set(term.synonyms)):
            entry: dict[str, Any] = {
                "pred": SYNONYM_PREDICATES[syn.type],
                "val": syn.text,
                "xrefs": [],
            }
            if syn.type is SynonymType.ABBREVIATION:
                entry["synonymType"] = _iri(ontology, ABBREVIATION_TYPE)
            synonyms.append(entry)
        meta["synonyms"] = synonyms
    if term.xrefs:
        meta["xrefs"] = [{"val": x} for x in sorted(set(term.xrefs))]
    values = [_pv(OBOINOWL + "hasOBONamespace", NAMESPACES[kind])]
    values += [_pv(ontology.base_iri + "provenance", p) for p in sorted(set(term.provenance))]
    if isinstance(term, Condition):
        observed = ontology.base_iri + HAS_OBSERVED_FEATURE
        values += [_pv(observed, _iri(ontology, c)) for c in sorted(set(term.observed_concepts))]
    if term.replaced_by:
        values.append(_pv(OBO + "IAO_0100001", _iri(ontology, term.replaced_by)))
    values += [_pv(OBOINOWL + "consider", c) for c in sorted(set(term.consider))]
    meta["basicPropertyValues"] = values
    if term.obsolete:
        meta["deprecated"] = True
    return {"id": _iri(ontology, term.id), "lbl": term.label, "meta": meta, "type": "CLASS"}


def _observed_property(ontology: Ontology) -> dict[str, Any]:
    """The ``has_observed_feature`` annotation property node, with its label and definition
    (in every document, as ``has_feature``'s node is)."""
    from derm_onto.rdf.vocab import HAS_OBSERVED_FEATURE_DEFINITION, HAS_OBSERVED_FEATURE_LABEL

    return {
        "id": ontology.base_iri + HAS_OBSERVED_FEATURE,
        "lbl": HAS_OBSERVED_FEATURE_LABEL,
        "meta": {"definition": {"val": HAS_OBSERVED_FEATURE_DEFINITION, "xrefs": []}},
        "propertyType": "ANNOTATION",
        "type": "PROPERTY",
    }


def to_obographs(ontology: Ontology) -> dict[str, Any]:
    """The ontology as an OBO Graphs document (a plain dict, ready for ``json.dumps``).

    >>> from derm_onto.model import Condition, Ontology
    >>> onto = Ontology(id="demo", title="Demo", base_iri="https://example.org/demo/",
    ...                 prefixes={"DEMO": "https://example.org/demo/DEMO_"},
    ...                 conditions=(Condition(id="DEMO:2", label="acne", parents=("DEMO:1",)),
    ...                             Condition(id="DEMO:1", label="skin disease")))
    >>> to_obographs(onto)["graphs"][0]["edges"]
    [{'obj': 'https://example.org/demo/DEMO_1', 'pred': 'is_a', 'sub': 'https://example.org/demo/DEMO_2'}]
    """
    entries = sorted(
        ((term.id, kind, term) for kind in KINDS for term in ontology.entries(kind)),
        key=lambda item: item[0],
    )
    has_feature = ontology.base_iri + HAS_FEATURE
    nodes = [_node(ontology, kind, term) for _, kind, term in entries]
    nodes.append(
        {"id": has_feature, "lbl": "has feature", "propertyType": "OBJECT", "type": "PROPERTY"}
    )
    nodes.append(_observed_property(ontology))
    edges: list[dict[str, str]] = []
    for _, _, term in entries:
        sub = _iri(ontology, term.id)
        for parent in sorted(set(term.parents)):
            edges.append({"obj": _iri(ontology, parent), "pred": "is_a", "sub": sub})
        features = set(getattr(term, "concepts", ())) | set(getattr(term, "findings", ()))
        for target in sorted(features):
            edges.append({"obj": _iri(ontology, target), "pred": has_feature, "sub": sub})
    header = [
        _pv(DCTERMS + name, value)
        for name, value in (
            ("title", ontology.title),
            ("description", ontology.description),
            ("license", ontology.license),
        )
        if value
    ]
    meta: dict[str, Any] = {"basicPropertyValues": header}
    onto_iri = f"{ontology.base_iri}{ontology.id}.owl"
    if ontology.version:
        meta["version"] = f"{ontology.base_iri}{ontology.id}/{ontology.version}/{ontology.id}.owl"
    graph = {
        "edges": edges,
        "equivalentNodesSets": [],
        "id": onto_iri,
        "logicalDefinitionAxioms": [],
        "meta": meta,
        "nodes": nodes,
        "propertyChainAxioms": [],
    }
    return {"graphs": [graph]}


def dumps_obographs(ontology: Ontology) -> bytes:
    """OBO Graphs JSON (UTF-8, sorted keys, 2-space indent, final newline)."""
    text = json.dumps(to_obographs(ontology), ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode("utf-8")
