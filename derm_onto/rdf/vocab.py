"""The IRIs derm-onto writes and reads: OBO conventions plus a few project annotations.

Project annotations live in the ontology's ``base_iri`` namespace (``<base>entry_kind``,
``<base>has_feature``, ...): the SPARQL query library binds ``?entry_kind`` and
``?has_feature`` to exactly these IRIs, so they stay local (see the module table in
:mod:`derm_onto.rdf`).

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
