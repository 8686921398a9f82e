"""The typed, immutable in-memory model of one ontology.

JSON (see :mod:`derm_onto.jsonio`) is the source of truth; everything else (graphs, RDF,
label tables, captions) is derived from an :class:`Ontology`. Ids are opaque CURIEs such as
``DERMONTO:0000123``; labels are data and may change, ids never do.

>>> from derm_onto.model import Condition, Ontology
>>> onto = Ontology(id="demo", title="Demo", base_iri="https://example.org/demo/",
...                 prefixes={"DEMO": "https://example.org/demo/DEMO_"},
...                 conditions=(Condition(id="DEMO:0000001", label="psoriasis"),))
>>> onto.term("DEMO:0000001").label
'psoriasis'
>>> onto.expand("DEMO:0000001")
'https://example.org/demo/DEMO_0000001'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Literal

from derm_onto.errors import UnknownTermError

Kind = Literal["conditions", "concepts", "findings"]
KINDS: tuple[Kind, ...] = ("conditions", "concepts", "findings")


class SynonymType(StrEnum):
    """The scope of a synonym, as in OBO (plus abbreviations, which OBO types separately)."""

    EXACT = "exact"
    RELATED = "related"
    BROAD = "broad"
    NARROW = "narrow"
    ABBREVIATION = "abbreviation"


class ConceptCategory(StrEnum):
    """Categories of the clinical concept vocabulary."""

    PRIMARY_MORPHOLOGY = "primary_morphology"
    SECONDARY_MORPHOLOGY = "secondary_morphology"
    COLOUR = "colour"
    SHAPE_TEXTURE = "shape_texture"
    CONFIGURATION_DISTRIBUTION = "configuration_distribution"
    DERMOSCOPIC_STRUCTURE = "dermoscopic_structure"
    ARTIFACT = "artifact"


class FindingCategory(StrEnum):
    """Categories of clinical context a caption or a knowledge graph can draw on."""

    SYMPTOM = "symptom"
    SIGN = "sign"
    BODY_SITE = "body_site"
    HISTORY = "history"


@dataclass(frozen=True, slots=True, order=True)
class Synonym:
    """A synonym with its scope. Abbreviations (``BCC``) are synonyms of type abbreviation."""

    text: str
    type: SynonymType = SynonymType.EXACT


@dataclass(frozen=True, slots=True)
class Term:
    """Fields every kind of entry shares.

    ``definition_xrefs`` are the sources of the definition (OBO ``def: "..." [SOURCE]``).
    An ``obsolete`` term is kept so its id is never reused; ``replaced_by`` names the one
    term that replaces it (``IAO:0100001``), ``consider`` others worth a look
    (``oboInOwl:consider``).
    """

    id: str
    label: str
    parents: tuple[str, ...] = ()
    synonyms: tuple[Synonym, ...] = ()
    definition: str | None = None
    xrefs: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()
    definition_xrefs: tuple[str, ...] = ()
    obsolete: bool = False
    replaced_by: str | None = None
    consider: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The label followed by every synonym text, in order."""
        return (self.label, *(s.text for s in self.synonyms))


@dataclass(frozen=True, slots=True)
class Condition(Term):
    """A skin condition or a grouping of conditions (category, group, subgroup).

    ``concepts`` and ``findings`` are *typical*: a textbook's description, true of the
    condition and inherited by every subclass (OWL ``subClassOf has_feature some X``).
    ``observed_concepts`` are concepts that annotators mark in a large share of the
    condition's images in an annotated dataset (the evidence file holds the counts): a
    statement about the class's images, not about each member, so it is not inherited and
    claims nothing typical (an annotation, ``has_observed_feature``, in OWL).
    """

    concepts: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    observed_concepts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Concept(Term):
    """A clinical concept: morphology, colour, dermoscopic structure, artifact, ..."""

    category: ConceptCategory | None = None


@dataclass(frozen=True, slots=True)
class Finding(Term):
    """A symptom, a body site or other clinical context."""

    category: FindingCategory | None = None


@dataclass(frozen=True, slots=True)
class DisjointGroup:
    """Classes no entity can belong to two of at once (``owl:AllDisjointClasses``)."""

    classes: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class Ontology:
    """One ontology: a header and three lists of entries.

    ``prefixes`` maps a CURIE prefix to the IRI its local ids are appended to. ``levels``
    names the condition hierarchy's levels from the top (depth 1) down. ``disjoint`` lists
    groups of classes that exclude each other, for the reasoner.
    """

    id: str
    title: str
    base_iri: str
    prefixes: Mapping[str, str]
    description: str = ""
    version: str = ""
    license: str = ""
    levels: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    concepts: tuple[Concept, ...] = ()
    findings: tuple[Finding, ...] = field(default=())
    disjoint: tuple[DisjointGroup, ...] = ()

    # -- lookups -----------------------------------------------------------------------
    @cached_property
    def _index(self) -> dict[str, tuple[Kind, Term]]:
        index: dict[str, tuple[Kind, Term]] = {}
        for kind in KINDS:
            for term in self.entries(kind):
                index.setdefault(term.id, (kind, term))
        return index

    def entries(self, kind: Kind) -> tuple[Term, ...]:
        """The entries of one kind, in file order."""
        entries: tuple[Term, ...] = getattr(self, kind)
        return entries

    def terms(self) -> Iterator[Term]:
        """Every entry: conditions, then concepts, then findings."""
        for kind in KINDS:
            yield from self.entries(kind)

    def __contains__(self, term_id: object) -> bool:
        return term_id in self._index

    def term(self, term_id: str) -> Term:
        """The entry with this id; raises :class:`UnknownTermError` when there is none."""
        try:
            return self._index[term_id][1]
        except KeyError:
            raise UnknownTermError(f"unknown term id {term_id!r}") from None

    def find(self, text: str, kind: Kind = "conditions") -> Term:
        """The entry a user means by ``text``: its id, label, a synonym or a released name,
        matched as :mod:`derm_onto.matching` does (case, plurals, spelling variants; an
        obsolete entry gives its replacement). Raises :class:`UnknownTermError` naming the
        candidates when ``text`` is unknown or ambiguous.

        >>> from derm_onto.jsonio import load
        >>> from derm_onto.resources import bundled_ontology_path
        >>> onto = load(bundled_ontology_path())
        >>> onto.find("BCC").label, onto.find("Basal-cell carcinomas").id == onto.find("BCC").id
        ('basal cell carcinoma', True)
        >>> onto.find("papules", kind="concepts").label
        'papule'
        """
        from derm_onto.matching import resolve_term  # the matcher loads only when used

        return self.term(resolve_term(self, text, kind))

    def kind_of(self, term_id: str) -> Kind:
        """Which list (``conditions``, ``concepts``, ``findings``) holds this id."""
        try:
            return self._index[term_id][0]
        except KeyError:
            raise UnknownTermError(f"unknown term id {term_id!r}") from None

    def condition(self, term_id: str) -> Condition:
        """The condition with this id."""
        term = self.term(term_id)
        if not isinstance(term, Condition):
            raise UnknownTermError(f"{term_id!r} is not a condition")
        return term

    def counts_text(self) -> str:
        """``N conditions, M concepts, K findings``."""
        return (
            f"{len(self.conditions)} conditions, {len(self.concepts)} concepts, "
            f"{len(self.findings)} findings"
        )

    # -- IRIs --------------------------------------------------------------------------
    def expand(self, curie: str) -> str:
        """The IRI of a CURIE, using the ontology's declared prefixes."""
        prefix, sep, local = curie.partition(":")
        if not sep or prefix not in self.prefixes:
            raise UnknownTermError(f"cannot expand {curie!r}: prefix {prefix!r} is not declared")
        return self.prefixes[prefix] + local

    @cached_property
    def _iri_prefixes(self) -> list[tuple[str, str]]:
        return namespaces(self.prefixes)

    def contract(self, iri: str) -> str | None:
        """The CURIE of an IRI under the declared prefixes (longest namespace wins), or None."""
        return contract(iri, self._iri_prefixes)


def namespaces(prefixes: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(namespace, prefix)`` pairs in the order :func:`contract` tries them: longest
    namespace first, then by prefix."""
    return sorted(((iri, p) for p, iri in prefixes.items()), key=lambda x: (-len(x[0]), x[1]))


def contract(
    iri: str, ordered: Sequence[tuple[str, str]], local: re.Pattern[str] | None = None
) -> str | None:
    """The one CURIE contraction: the IRI under the first namespace of ``ordered`` (from
    :func:`namespaces`) that it extends, or None; with ``local``, the local part must match.

    >>> contract("https://e.org/X_1", namespaces({"X": "https://e.org/X_", "E": "https://e.org/"}))
    'X:1'
    """
    for namespace, prefix in ordered:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            rest = iri[len(namespace) :]
            if local is None or local.match(rest):
                return f"{prefix}:{rest}"
    return None
