"""The ontology as OWL in RDF, following OBO conventions, and back again without loss.

=========================  ==============================================================
JSON                       OWL / RDF
=========================  ==============================================================
header                     ``owl:Ontology`` <base_iri><id>.owl with ``dcterms:title``,
                           ``dcterms:description``, ``dcterms:license``, ``owl:versionIRI``,
                           ``owl:versionInfo``; prefixes as SHACL ``sh:declare``; levels as a
                           project annotation
condition/concept/finding  ``owl:Class`` with ``oboInOwl:id`` (the CURIE) and the project
                           annotation ``entry_kind``
label                      ``rdfs:label`` (exactly one)
definition                 ``obo:IAO_0000115``; ``definition_xrefs`` as ``oboInOwl:hasDbXref``
                           on an ``owl:Axiom`` annotating that assertion
synonyms                   ``oboInOwl:has{Exact,Related,Broad,Narrow}Synonym``; an
                           abbreviation is an exact synonym whose axiom annotation
                           ``oboInOwl:hasSynonymType`` is ``OMO:0003000`` (declared a
                           ``oboInOwl:SynonymTypeProperty``)
xrefs                      ``oboInOwl:hasDbXref`` (CURIE string)
obsolete                   ``owl:deprecated true``; ``replaced_by`` as ``obo:IAO_0100001``
                           (an IRI); ``consider`` as ``oboInOwl:consider`` (CURIE strings)
provenance, category       project annotations ``provenance`` and ``category``
parents                    ``rdfs:subClassOf``
concepts, findings         ``rdfs:subClassOf [owl:onProperty :has_feature;
                           owl:someValuesFrom :X]`` (typical: inherited by subclasses)
observed_concepts          ``C :has_observed_feature X`` (an annotation assertion with an
                           IRI value; ``:has_observed_feature`` is an
                           ``owl:AnnotationProperty``): not inherited, no reasoning
disjoint                   ``owl:AllDisjointClasses`` with ``owl:members`` (and the reason
                           as ``rdfs:comment``); ``owl:disjointWith`` is read too
=========================  ==============================================================

``has_feature`` and ``entry_kind`` stay project properties: the SPARQL library binds
``?has_feature``/``?entry_kind`` to them, and no RO relation covers both "has phenotype"
(morphology, symptoms) and "disease has location" (body sites) for one property.
``has_observed_feature`` is declared in every export, as ``has_feature`` is, so the
vocabulary of a file never depends on its content; the reader takes its values back into
``observed_concepts`` and names (as an error) a value that is not a concept of the file.

Modules: :mod:`~derm_onto.rdf.vocab` (IRIs), :mod:`~derm_onto.rdf.write` (model ->
triples as N-Triples terms; an rdflib graph for what needs one),
:mod:`~derm_onto.rdf.serialise` (triples -> Turtle, N-Triples, JSON-LD, typed RDF/XML in one
pass each), :mod:`~derm_onto.rdf.index` (pyoxigraph's parse -> triples by subject),
:mod:`~derm_onto.rdf.read` (triples -> model, foreign OWL too), :mod:`~derm_onto.rdf.safe`
(input limits, entity and remote-context guards, character checks),
:mod:`~derm_onto.rdf.formats` (the registered formats, ``export``, ``import_rdf``).

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path("starter.json"))
>>> ontology, findings = from_graph(to_graph(onto))
>>> ontology == onto, findings
(True, [])
"""

from __future__ import annotations

from derm_onto.rdf.formats import (
    RdfFormat,
    export,
    import_rdf,
    parse,
    prefix_context,
    rdf_format,
    read_index,
    serialize,
    to_oxigraph_triples,
)
from derm_onto.rdf.read import from_graph, from_index
from derm_onto.rdf.write import model_triples, to_graph

__all__ = [
    "RdfFormat",
    "export",
    "from_graph",
    "from_index",
    "import_rdf",
    "model_triples",
    "parse",
    "prefix_context",
    "rdf_format",
    "read_index",
    "serialize",
    "to_graph",
    "to_oxigraph_triples",
]
