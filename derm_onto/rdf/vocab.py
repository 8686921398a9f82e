"""The IRIs derm-onto writes and reads: OBO conventions plus a few project annotations.

Project annotations live in the ontology's ``base_iri`` namespace (``<base>entry_kind``,
``<base>has_feature``, ``<base>has_observed_feature``, ...): the SPARQL query library binds
``?entry_kind`` and ``?has_feature`` to exactly these IRIs, so they stay local (see the
module table in :mod:`derm_onto.rdf`).

``has_feature`` (typical, an object property used in ``subClassOf`` restrictions, so
inherited) and ``has_observed_feature`` (an annotation property: a statement about the
class's images, never inherited, invisible to a reasoner) are the two condition-to-feature
links; their names, labels and definitions are here so the RDF, OBO and OBO Graphs writers
say the same thing.

>>> DEFINITION
'http://purl.obolibrary.org/obo/IAO_0000115'
>>> SYNONYM_PROPERTIES[SynonymType.NARROW].rsplit("#", 1)[1]
'hasNarrowSynonym'
"""

from __future__ import annotations

from derm_onto.model import Kind, SynonymType

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
OBO = "http://purl.obolibrary.org/obo/"
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
DCTERMS = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"

DEFINITION = OBO + "IAO_0000115"
REPLACED_BY = OBO + "IAO_0100001"
ABBREVIATION = OBO + "OMO_0003000"
HAS_DBXREF = OBOINOWL + "hasDbXref"
HAS_SYNONYM_TYPE = OBOINOWL + "hasSynonymType"
SYNONYM_TYPE_PROPERTY = OBOINOWL + "SynonymTypeProperty"
CONSIDER = OBOINOWL + "consider"
OBO_ID = OBOINOWL + "id"
SYNONYM_PROPERTIES: dict[SynonymType, str] = {
    SynonymType.EXACT: OBOINOWL + "hasExactSynonym",
    SynonymType.RELATED: OBOINOWL + "hasRelatedSynonym",
    SynonymType.BROAD: OBOINOWL + "hasBroadSynonym",
    SynonymType.NARROW: OBOINOWL + "hasNarrowSynonym",
}
#: local names (under ``base_iri``) and texts of the two condition -> feature links
HAS_FEATURE = "has_feature"
HAS_FEATURE_LABEL = "has feature"
HAS_OBSERVED_FEATURE = "has_observed_feature"
HAS_OBSERVED_FEATURE_LABEL = "has observed feature"
HAS_OBSERVED_FEATURE_DEFINITION = (
    "The feature is marked by annotators in a large share of this class's images in an "
    "annotated dataset (see the evidence annotations on the assertion). A statement about "
    "the images of the class, not about each member: not inherited by subclasses, and not "
    "a claim that the feature is typical."
)
#: kind (the JSON list) -> the value of the ``entry_kind`` annotation
KIND_NAMES: dict[Kind, str] = {
    "conditions": "condition",
    "concepts": "concept",
    "findings": "finding",
}
#: the usual prefixes of the vocabulary above, bound in every export
STANDARD_PREFIXES: dict[str, str] = {
    "owl": OWL_NS,
    "rdf": RDF_NS,
    "rdfs": RDFS_NS,
    "xsd": XSD_NS,
    "obo": OBO,
    "oboInOwl": OBOINOWL,
    "dcterms": DCTERMS,
    "sh": SH,
}


def project(base_iri: str, name: str) -> str:
    """The IRI of a project annotation (``entry_kind``, ``provenance``, ...).

    >>> project("https://w3id.org/derm-onto/", "entry_kind")
    'https://w3id.org/derm-onto/entry_kind'
    """
    return base_iri + name
