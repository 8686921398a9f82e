"""A synthetic ontology N times larger than a real one, for benchmarks.

Every condition is copied N times (ids and labels made unique per copy, parents mapped inside
the copy); concepts and findings are shared, as in a real ontology that grows in diseases.
"""

from __future__ import annotations

import dataclasses

from derm_onto.model import Ontology


def scaled(ontology: Ontology, factor: int) -> Ontology:
    """``ontology`` with its conditions copied ``factor`` times."""

    def new_id(term_id: str, copy: int) -> str:
        prefix, _, local = term_id.partition(":")
        return term_id if copy == 0 else f"{prefix}:{copy:03d}{local}"

    conditions = []
    for copy in range(factor):
        for c in ontology.conditions:
            conditions.append(
                dataclasses.replace(
                    c,
                    id=new_id(c.id, copy),
                    label=c.label if copy == 0 else f"{c.label} {copy}",
                    synonyms=() if copy else c.synonyms,
                    parents=tuple(new_id(p, copy) for p in c.parents),
                )
            )
    disjoint = tuple(
        dataclasses.replace(g, classes=tuple(new_id(i, copy) for i in g.classes))
        for copy in range(factor)
        for g in ontology.disjoint
    )
    return dataclasses.replace(ontology, conditions=tuple(conditions), disjoint=disjoint)
