"""The ontology as an OBO 1.4 flat file, written with fastobo (never string templates).

How the model maps to OBO (the conventions ROBOT and the OBO Foundry use):

==========================  ===============================================================
model                       OBO 1.4
==========================  ===============================================================
header                      ``format-version: 1.4``, ``ontology:``, ``data-version:``,
                            ``idspace:`` per prefix, ``property_value:`` with
                            ``dcterms:title`` / ``description`` / ``license``
condition/concept/finding   ``[Term]`` with ``namespace: condition|concept|finding``
label                       ``name:``
definition + sources        ``def: "..." [SOURCE, ...]``
synonyms                    ``synonym: "..." EXACT|RELATED|BROAD|NARROW []``; abbreviations
                            are ``EXACT OMO:0003000`` (declared with ``synonymtypedef:``)
xrefs                       ``xref:``
parents                     ``is_a:``
category                    ``subset:`` (declared with ``subsetdef:``)
provenance                  ``property_value: <base>provenance "..." xsd:string``
typical concepts, findings  ``relationship: dermonto:has_feature ID`` (a ``[Typedef]``;
                            ``idspace: dermonto <base>``, so OWL tools give it the IRI
                            the RDF export uses)
observed concepts           ``property_value: dermonto:has_observed_feature ID`` (a
                            ``[Typedef]`` with ``is_metadata_tag: true``: an annotation
                            property, so the OBO->OWL translation makes each an
                            annotation assertion with an IRI value, never an axiom)
disjoint groups             ``disjoint_from:`` between every pair of a group's members
obsolete                    ``is_obsolete: true``, ``replaced_by:``, ``consider:``
==========================  ===============================================================

Frames are sorted by id and clauses inside a frame by the OBO 1.4 clause order, so the
same model always gives the same bytes.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> text = dumps_obo(load(bundled_ontology_path())).decode()
>>> text.splitlines()[0]
'format-version: 1.4'
>>> "[Term]" in text and "synonymtypedef: OMO:0003000" in text
True
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

from derm_onto.model import KINDS, Concept, Condition, Finding, Kind, Ontology, SynonymType, Term

if TYPE_CHECKING:
    import fastobo

#: Synonym type of abbreviations in OBO (OMO "abbreviation").
ABBREVIATION_TYPE = "OMO:0003000"
#: The relation that links a condition to its typical concepts and findings.
HAS_FEATURE = "has_feature"
#: The annotation property of observed concepts (``derm_onto.rdf.vocab`` has its texts).
HAS_OBSERVED_FEATURE = "has_observed_feature"
#: The idspace of the project's own properties (``<base_iri>has_feature``).
PROPERTY_PREFIX = "dermonto"
#: ``namespace:`` of each kind of entry.
NAMESPACES: dict[Kind, str] = {
    "conditions": "condition",
    "concepts": "concept",
    "findings": "finding",
}
SCOPES: dict[SynonymType, str] = {
    SynonymType.EXACT: "EXACT",
    SynonymType.RELATED: "RELATED",
    SynonymType.BROAD: "BROAD",
    SynonymType.NARROW: "NARROW",
    SynonymType.ABBREVIATION: "EXACT",
}
DCTERMS = "http://purl.org/dc/terms/"


def _ident(curie: str) -> Any:
    """A fastobo identifier: prefixed (``HP:0000001``), a URL, or unprefixed."""
    import fastobo

    if curie.startswith(("http://", "https://")):
        return fastobo.id.Url(curie)
    prefix, sep, local = curie.partition(":")
    if sep and prefix and local:
        return fastobo.id.PrefixedIdent(prefix, local)
    return fastobo.id.UnprefixedIdent(curie)


def _has_feature(ontology: Ontology, name: str = HAS_FEATURE) -> Any:
    """``dermonto:has_feature`` (unprefixed ``has_feature`` if the prefix is taken); the
    same for ``name`` (``has_observed_feature``)."""
    import fastobo

    if ontology.prefixes.get(PROPERTY_PREFIX, ontology.base_iri) == ontology.base_iri:
        return fastobo.id.PrefixedIdent(PROPERTY_PREFIX, name)
    return fastobo.id.UnprefixedIdent(name)


def _xrefs(curies: tuple[str, ...]) -> Any:
    import fastobo

    return fastobo.xref.XrefList([fastobo.xref.Xref(_ident(c)) for c in sorted(set(curies))])


def _string(property_iri: str, value: str) -> Any:
    import fastobo

    return fastobo.pv.LiteralPropertyValue(
        fastobo.id.Url(property_iri), value, fastobo.id.PrefixedIdent("xsd", "string")
    )


def _header(ontology: Ontology, subsets: list[str]) -> Any:
    import fastobo
    from fastobo import header as h

    clauses: list[Any] = [h.FormatVersionClause("1.4")]
    if ontology.version:
        clauses.append(h.DataVersionClause(ontology.version))
    for subset in subsets:
        clauses.append(
            h.SubsetdefClause(fastobo.id.UnprefixedIdent(subset), subset.replace("_", " "))
        )
    clauses.append(
        h.SynonymTypedefClause(_ident(ABBREVIATION_TYPE), "abbreviation", "EXACT"),
    )
    idspaces = dict(ontology.prefixes)
    if isinstance(_has_feature(ontology), fastobo.id.PrefixedIdent):
        idspaces[PROPERTY_PREFIX] = ontology.base_iri
    for prefix, iri in sorted(idspaces.items()):
        clauses.append(h.IdspaceClause(prefix, fastobo.id.Url(iri)))
    clauses.append(h.DefaultNamespaceClause(fastobo.id.UnprefixedIdent(ontology.id)))
    clauses.append(h.OntologyClause(ontology.id))
    for name, value in (("title", ontology.title), ("description", ontology.description)):
        if value:
            clauses.append(h.PropertyValueClause(_string(DCTERMS + name, value)))
    if ontology.license:
        clauses.append(
            h.PropertyValueClause(
                fastobo.pv.ResourcePropertyValue(
                    fastobo.id.Url(DCTERMS + "license"), fastobo.id.Url(ontology.license)
                )
            )
        )
    return h.HeaderFrame(clauses)


def _disjoint_partners(ontology: Ontology) -> dict[str, set[str]]:
    partners: dict[str, set[str]] = {}
    for group in ontology.disjoint:
        for a, b in combinations(sorted(set(group.classes)), 2):
            partners.setdefault(a, set()).add(b)
    return partners


def _term_frame(ontology: Ontology, kind: Kind, term: Term, disjoint: set[str]) -> Any:
    import fastobo
    from fastobo import term as t

    clauses: list[Any] = [
        t.NameClause(term.label),
        t.NamespaceClause(fastobo.id.UnprefixedIdent(NAMESPACES[kind])),
    ]
    if term.definition is not None:
        clauses.append(t.DefClause(term.definition, _xrefs(term.definition_xrefs)))
    category = getattr(term, "category", None)
    if isinstance(term, Concept | Finding) and category is not None:
        clauses.append(t.SubsetClause(fastobo.id.UnprefixedIdent(category.value)))
    for syn in sorted(set(term.synonyms)):
        synonym_type = _ident(ABBREVIATION_TYPE) if syn.type is SynonymType.ABBREVIATION else None
        clauses.append(
            t.SynonymClause(fastobo.syn.Synonym(syn.text, SCOPES[syn.type], synonym_type, []))
        )
    for xref in sorted(set(term.xrefs)):
        clauses.append(t.XrefClause(fastobo.xref.Xref(_ident(xref))))
    for name in sorted(set(term.provenance)):
        clauses.append(t.PropertyValueClause(_string(ontology.base_iri + "provenance", name)))
    if isinstance(term, Condition):
        observed = _has_feature(ontology, HAS_OBSERVED_FEATURE)
        for target in sorted(set(term.observed_concepts)):
            value = fastobo.pv.ResourcePropertyValue(observed, _ident(target))
            clauses.append(t.PropertyValueClause(value))
    for parent in sorted(set(term.parents)):
        clauses.append(t.IsAClause(_ident(parent)))
    for other in sorted(disjoint):
        clauses.append(t.DisjointFromClause(_ident(other)))
    for target in sorted(set(getattr(term, "concepts", ())) | set(getattr(term, "findings", ()))):
        clauses.append(t.RelationshipClause(_has_feature(ontology), _ident(target)))
    if term.obsolete:
        clauses.append(t.IsObsoleteClause(True))
    if term.replaced_by:
        clauses.append(t.ReplacedByClause(_ident(term.replaced_by)))
    for other in sorted(set(term.consider)):
        clauses.append(t.ConsiderClause(_ident(other)))
    return t.TermFrame(_ident(term.id), clauses)


def to_obo_doc(ontology: Ontology) -> fastobo.doc.OboDoc:
    """The ontology as a fastobo document (header, one ``[Term]`` per entry, the two
    typedefs).

    >>> from derm_onto.model import Condition, Ontology
    >>> onto = Ontology(id="demo", title="Demo", base_iri="https://example.org/demo/",
    ...                 prefixes={"DEMO": "https://example.org/demo/DEMO_"},
    ...                 conditions=(Condition(id="DEMO:0000001", label="acne"),))
    >>> doc = to_obo_doc(onto)
    >>> [str(frame.id) for frame in doc]
    ['DEMO:0000001', 'dermonto:has_feature', 'dermonto:has_observed_feature']
    """
    import fastobo
    from fastobo import typedef as td

    from derm_onto.rdf.vocab import HAS_OBSERVED_FEATURE_DEFINITION, HAS_OBSERVED_FEATURE_LABEL

    partners = _disjoint_partners(ontology)
    entries = sorted(
        ((term.id, kind, term) for kind in KINDS for term in ontology.entries(kind)),
        key=lambda item: item[0],
    )
    subsets = sorted(
        {
            category.value
            for _, _, term in entries
            if (category := getattr(term, "category", None)) is not None
        }
    )
    frames: list[Any] = [
        _term_frame(ontology, kind, term, partners.get(term_id, set()))
        for term_id, kind, term in entries
    ]
    frames.append(
        td.TypedefFrame(
            _has_feature(ontology),
            [
                td.NameClause("has feature"),
                td.DefClause("A clinical concept or finding typical of the condition.", _xrefs(())),
            ],
        )
    )
    # declared in every file, as has_feature is (see derm_onto.rdf.vocab)
    frames.append(
        td.TypedefFrame(
            _has_feature(ontology, HAS_OBSERVED_FEATURE),
            [
                td.NameClause(HAS_OBSERVED_FEATURE_LABEL),
                td.DefClause(HAS_OBSERVED_FEATURE_DEFINITION, _xrefs(())),
                td.IsMetadataTagClause(True),
            ],
        )
    )
    return fastobo.doc.OboDoc(_header(ontology, subsets), frames)


def register_formats() -> None:
    """Add ``obo``, ``obographs`` and ``sssom`` to the format registry
    (:mod:`derm_onto.formats`), so ``export --format obo|obographs|sssom`` and ``-o x.obo``
    find them. Safe to call more than once."""
    import importlib

    formats = importlib.import_module("derm_onto.formats")
    from derm_onto.obographs import dumps_obographs
    from derm_onto.sssom import dumps_sssom

    for name, extensions, description, writer in (
        ("obo", (".obo",), "OBO 1.4 flat file", dumps_obo),
        (
            "obographs",
            (".obographs.json", ".obo.json"),
            "OBO Graphs JSON",
            dumps_obographs,
        ),
        ("sssom", (".sssom.tsv",), "xrefs as an SSSOM mapping set (TSV)", dumps_sssom),
    ):
        formats.register(formats.Serializer(name, extensions, description, writer), replace=True)


def dumps_obo(ontology: Ontology) -> bytes:
    """The ontology as OBO 1.4 text (UTF-8), byte-identical for the same model.

    >>> from derm_onto.model import Condition, Ontology, Synonym, SynonymType
    >>> onto = Ontology(id="demo", title="Demo", base_iri="https://example.org/demo/",
    ...                 prefixes={"DEMO": "https://example.org/demo/DEMO_"},
    ...                 conditions=(Condition(id="DEMO:0000001", label="basal cell carcinoma",
    ...                     definition="A skin cancer.", definition_xrefs=("PMID:1",),
    ...                     synonyms=(Synonym("BCC", SynonymType.ABBREVIATION),)),))
    >>> print(dumps_obo(onto).decode().split("[Term]")[1].split("[Typedef]")[0].strip())
    id: DEMO:0000001
    name: basal cell carcinoma
    namespace: condition
    def: "A skin cancer." [PMID:1]
    synonym: "BCC" EXACT OMO:0003000 []
    """
    text = str(to_obo_doc(ontology))
    return (text.rstrip("\n") + "\n").encode("utf-8")
