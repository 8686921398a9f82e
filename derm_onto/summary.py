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


def condition_depths(ontology: Ontology) -> tuple[dict[str, int], list[str], list[str]]:
    """Every condition's depth, the roots and the leaves (sorted), as
    :func:`derm_onto.hierarchy.depth`, ``roots`` and ``leaves`` define them, without building
    the networkx graph (whose import alone costs more than the rest of ``derm-onto info``).

    The depth is the shortest path to the top, so one breadth-first pass from the roots
    gives it; dangling parents are skipped as :func:`~derm_onto.hierarchy.build_graph` does.

    >>> from derm_onto.model import Condition, Ontology
    >>> o = Ontology(id="x", title="x", base_iri="https://x.org/", prefixes={}, conditions=(
    ...     Condition(id="X:1", label="a"), Condition(id="X:2", label="b", parents=("X:1",)),
    ...     Condition(id="X:3", label="c", parents=("X:2", "X:1"))))
    >>> condition_depths(o)
    ({'X:1': 1, 'X:2': 2, 'X:3': 2}, ['X:1'], ['X:3'])
    """
    live = [t for t in ontology.conditions if not t.obsolete]  # as build_graph: not in the tree
    ids = {t.id for t in live}
    children: dict[str, list[str]] = {i: [] for i in ids}
    roots = []
    for term in live:
        known = {p for p in term.parents if p in ids}
        for parent in known:
            children[parent].append(term.id)
        if not known:
            roots.append(term.id)
    depths = dict.fromkeys(roots, 1)
    level = roots
    while level:
        following = []
        for node in level:
            for child in children[node]:
                if child not in depths:
                    depths[child] = depths[node] + 1
                    following.append(child)
        level = following
    leaves = sorted(i for i, kids in children.items() if not kids)
    return depths, sorted(roots), leaves


def summarize(ontology: Ontology) -> dict[str, Any]:
    """A JSON-ready summary of the ontology."""
    depths, roots, leaves = condition_depths(ontology)
    per_depth = Counter(depths.values())
    per_level = Counter(level_name(ontology, d) for d in depths.values())
    leaf_depths = Counter(depths[n] for n in leaves)
    names = {" ".join(n.split()).casefold() for t in ontology.conditions for n in t.names}
    return {
        "id": ontology.id,
        "title": ontology.title,
        "version": ontology.version,
        "counts": {kind: sum(not t.obsolete for t in ontology.entries(kind)) for kind in KINDS},
        "obsolete": sum(t.obsolete for t in ontology.terms()),
        "condition_names": len(names),
        "levels": list(ontology.levels),
        "conditions_per_level": {
            name: per_level[name] for name in (ontology.levels or sorted(per_level))
        },
        "conditions_per_depth": {str(d): per_depth[d] for d in sorted(per_depth)},
        "max_depth": max(per_depth, default=0),
        "top_level": len(roots),
        "leaves": len(leaves),
        "leaves_per_depth": {str(d): leaf_depths[d] for d in sorted(leaf_depths)},
        "with_definition": sum(1 for t in ontology.terms() if t.definition),
        "with_xref": sum(1 for t in ontology.terms() if t.xrefs),
        "typical_links": sum(len(c.concepts) + len(c.findings) for c in ontology.conditions),
        "observed_links": sum(len(c.observed_concepts) for c in ontology.conditions),
    }


def format_summary(stats: dict[str, Any]) -> str:
    """The summary as aligned text lines."""
    counts = stats["counts"]
    lines = [
        f"{stats['title']} ({stats['id']}{' ' + stats['version'] if stats['version'] else ''})",
        f"conditions  {counts['conditions']}  ({stats['condition_names']} distinct names)",
        f"concepts    {counts['concepts']}",
        f"findings    {counts['findings']}",
        f"obsolete    {stats['obsolete']}  (kept so their ids are never reused)",
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
    lines.append(f"typical links    {stats['typical_links']}  (concepts and findings, inherited)")
    lines.append(f"observed links   {stats['observed_links']}  (concepts seen in the images)")
    return "\n".join(lines)
