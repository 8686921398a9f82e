"""Text from the evidence: concept-augmented class names for prompts (``prompts
--concept-aug``) and concept captions inferred from a diagnosis (``captions
--infer-concepts``), always labelled as inferred.

A condition's *most supported concepts* are those whose association with it is significant
(BH q < ``alpha``) and present in at least ``min_confidence`` of its images, ranked by
lift (how much more often the condition shows it than the other images do: the
characteristic ones first, "arborizing vessels" before "erythema" for basal cell carcinoma),
then confidence; a concept is skipped when one of its descendants also qualifies (no
"pigment network" beside "atypical pigment network"); artifacts never count. When the
ontology carries observed links (it went through ``associations observe``), only concepts
it links to the condition count, typical (own or inherited) or observed: a pair the
curation excluded on clinical review (plaque on melanoma in situ, which is flat) never
reaches a prompt, even where the data enrich it.
Everything is computed once per condition when :class:`ConceptEvidence` is built, so a
row is a dictionary lookup.

>>> from derm_onto.jsonio import load
>>> from derm_onto.matching import resolve_term
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path())
>>> mel = resolve_term(onto, "melanoma")
>>> def record(concept, confidence):
...     return {"condition": mel, "feature": resolve_term(onto, concept, "concepts"),
...             "confidence": confidence, "lift": 2.0, "q_value": 0.001}
>>> document = {"associations": [record("pigment network", 0.9),
...     record("atypical pigment network", 0.6), record("blue-whitish veil", 0.5),
...     record("papule", 0.2)]}
>>> evidence = ConceptEvidence(onto, document)
>>> evidence.prompt_name(mel)
'melanoma, with atypical pigment network and blue-whitish veil'
>>> evidence.inferred_caption([mel]).removeprefix(INFERRED_PREFIX)
'atypical pigment network and blue-whitish veil.'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from derm_onto import hierarchy
from derm_onto.model import Concept, ConceptCategory, Ontology

#: Every inferred caption starts with this, so a reader (or a filter) can tell it apart.
INFERRED_PREFIX = "Concepts inferred from the diagnosis, not annotated: "
INFERRED_TEMPLATE = INFERRED_PREFIX + "{concepts}."
PROMPT_TEMPLATE = "{name}, with {concepts}"


def join_natural(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'.

    >>> join_natural(["a", "b", "c"])
    'a, b and c'
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _linked(ontology: Ontology) -> set[tuple[str, str]]:
    """(condition, concept) pairs the ontology links: typical (own or inherited from an
    ancestor) or observed (own only)."""
    from derm_onto.associations.evidence import asserted_links, implied_links, observed_links

    graph = hierarchy.build_graph(ontology)
    return implied_links(graph, asserted_links(ontology)) | set(observed_links(ontology))


class ConceptEvidence:
    """Each condition's most supported concepts (ids), from an evidence document."""

    def __init__(
        self,
        ontology: Ontology,
        document: Mapping[str, Any],
        *,
        k: int = 3,
        min_confidence: float = 0.4,
        alpha: float = 0.05,
        linked_only: bool | None = None,
    ) -> None:
        self.ontology = ontology
        self.k = k
        graph = hierarchy.build_graph(ontology, "concepts")
        if linked_only is None:
            linked_only = any(c.observed_concepts for c in ontology.conditions)
        linked = _linked(ontology) if linked_only else None
        usable = {
            t.id
            for t in ontology.concepts
            if isinstance(t, Concept) and t.category != ConceptCategory.ARTIFACT
        }
        best: dict[str, dict[str, tuple[float, float]]] = {}
        for r in document["associations"]:
            if r["feature"] not in usable or r["condition"] not in ontology:
                continue
            if r["q_value"] >= alpha or r["confidence"] < min_confidence:
                continue
            if linked is not None and (r["condition"], r["feature"]) not in linked:
                continue
            slot = best.setdefault(r["condition"], {})
            score = (r["lift"], r["confidence"])
            slot[r["feature"]] = max(score, slot.get(r["feature"], score))
        self.concepts: dict[str, tuple[str, ...]] = {}
        for condition, scores in best.items():
            # the most specific wins: drop a concept when a descendant also qualifies
            specific = [
                f
                for f in scores
                if not (f in graph and set(hierarchy.descendants(graph, f)) & scores.keys())
            ]
            ranked = sorted(specific, key=lambda f: (-scores[f][0], -scores[f][1], f))
            self.concepts[condition] = tuple(ranked[:k])

    def labels(self, condition: str) -> list[str]:
        """Labels of the condition's most supported concepts (empty when there is no
        evidence)."""
        return [self.ontology.term(c).label for c in self.concepts.get(condition, ())]

    def prompt_name(self, condition: str, name: str | None = None) -> str:
        """The class name described by its concepts, for a prompt template's ``{}``; the
        bare name when the evidence has nothing for the condition."""
        name = name or self.ontology.term(condition).label
        labels = self.labels(condition)
        return PROMPT_TEMPLATE.format(name=name, concepts=join_natural(labels)) if labels else name

    def inferred_caption(self, conditions: Iterable[str]) -> str:
        """A concept caption for a row without concept annotations, inferred from its
        diagnosis (several conditions: their concepts in turn, at most ``k``); empty when
        nothing is known. The text says it is inferred."""
        merged: list[str] = []
        for condition in conditions:
            for label in self.labels(condition):
                if label not in merged:
                    merged.append(label)
        if not merged:
            return ""
        return INFERRED_TEMPLATE.format(concepts=join_natural(merged[: self.k]))
