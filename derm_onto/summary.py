"""Counts that describe an ontology: entries per kind, conditions per level, depth, leaves.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> stats = summarize(load(bundled_ontology_path()))
>>> stats["counts"]["conditions"] == sum(stats["conditions_per_depth"].values())
True
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from derm_onto import hierarchy
from derm_onto.model import KINDS, Ontology


def level_name(ontology: Ontology, node_depth: int) -> str:
    """The name of the level a node of this depth counts at (deeper nodes: the last level).

    >>> from derm_onto.model import Ontology
    >>> o = Ontology(id="x", title="x", base_iri="https://x.org/", prefixes={"X": "https://x.org/X_"},
    ...              levels=("category", "condition"))
    >>> level_name(o, 1), level_name(o, 5)
    ('category', 'condition')
    """
    if not ontology.levels:
        return f"depth {node_depth}"
    return ontology.levels[min(node_depth, len(ontology.levels)) - 1]


def summarize(ontology: Ontology) -> dict[str, Any]:
    """A JSON-ready summary of the ontology."""
    graph = hierarchy.build_graph(ontology)
    depths = hierarchy.depth(graph)
    per_depth = Counter(depths.values())
    per_level = Counter(level_name(ontology, d) for d in depths.values())
    leaves = hierarchy.leaves(graph)
    leaf_depths = Counter(depths[n] for n in leaves)
    names = {" ".join(n.split()).casefold() for t in ontology.conditions for n in t.names}
    return {
        "id": ontology.id,
        "title": ontology.title,
        "version": ontology.version,
        "counts": {kind: len(ontology.entries(kind)) for kind in KINDS},
        "condition_names": len(names),
        "levels": list(ontology.levels),
        "conditions_per_level": {
            name: per_level[name] for name in (ontology.levels or sorted(per_level))
        },
        "conditions_per_depth": {str(d): per_depth[d] for d in sorted(per_depth)},
        "max_depth": max(per_depth, default=0),
        "top_level": len(hierarchy.roots(graph)),
        "leaves": len(leaves),
        "leaves_per_depth": {str(d): leaf_depths[d] for d in sorted(leaf_depths)},
        "with_definition": sum(1 for t in ontology.terms() if t.definition),
        "with_xref": sum(1 for t in ontology.terms() if t.xrefs),
    }


def format_summary(stats: dict[str, Any]) -> str:
    """The summary as aligned text lines."""
    counts = stats["counts"]
    lines = [
        f"{stats['title']} ({stats['id']}{' ' + stats['version'] if stats['version'] else ''})",
        f"conditions  {counts['conditions']}  ({stats['condition_names']} distinct names)",
        f"concepts    {counts['concepts']}",
        f"findings    {counts['findings']}",
        f"top level   {stats['top_level']}",
        f"leaves      {stats['leaves']}",
        f"max depth   {stats['max_depth']}",
        "conditions per level:",
    ]
    lines += [f"  {name:<12}{n}" for name, n in stats["conditions_per_level"].items()]
    lines.append("conditions per depth:")
    lines += [
        f"  {d:<12}{n}  ({stats['leaves_per_depth'].get(d, 0)} leaves)"
        for d, n in stats["conditions_per_depth"].items()
    ]
    lines.append(f"with definition  {stats['with_definition']}")
    lines.append(f"with xref        {stats['with_xref']}")
    return "\n".join(lines)
