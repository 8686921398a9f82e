"""The condition hierarchy as one plain networkx graph, built once per ontology.

Edges point from a parent to its child (``parent -> child``), so networkx's own
``nx.ancestors`` and ``nx.descendants`` mean what they say. Nodes are ids; each carries its
``label``. The hierarchy is a DAG: a node may have several parents. Functions take the graph
and return plain data (ids, sorted), in the style of obonet.

Rules, applied everywhere in derm-onto:

* **Depth**: a node without parents has depth 1 (a top-level category); otherwise one more
  than the smallest depth among its parents (the shortest path to the top).
* **Primary path**: the path from the top to a node through, at each step, the parent of
  smallest depth (ties: smallest id). Level projection and Derm1M-style paths use it.
* **Level projection** (``project``): a node's class at level k (1-based) is the node on its
  primary path at depth k. A node shallower than k carries down (it is its own class at
  every deeper level); a node deeper than the last level counts at the last level (it is
  its own last-level class).
* **Reflexive**: ``ancestors``/``descendants`` exclude the node unless ``reflexive=True``.
* **Distance**: the number of edges on the shortest path through a lowest common ancestor;
  nodes under different top-level categories meet at a virtual root above them all.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> graph = build_graph(load(bundled_ontology_path()))
>>> all(depth(graph)[r] == 1 for r in roots(graph))
True
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from derm_onto.errors import UnknownTermError
from derm_onto.model import Kind, Ontology

Graph = Any  # networkx.DiGraph; networkx ships no type hints
VIRTUAL_ROOT = "__root__"


def build_graph(ontology: Ontology, kind: Kind = "conditions") -> Graph:
    """A ``parent -> child`` DiGraph of one kind's live entries (dangling parents and
    obsolete terms are skipped)."""
    import networkx as nx

    graph = nx.DiGraph()
    entries = [term for term in ontology.entries(kind) if not term.obsolete]
    for term in entries:
        graph.add_node(term.id, label=term.label)
    for term in entries:
        for parent in term.parents:
            if parent in graph:
                graph.add_edge(parent, term.id)
    return graph


def _check(graph: Graph, node: str) -> None:
    if node not in graph:
        raise UnknownTermError(f"unknown term id {node!r}")


def roots(graph: Graph) -> list[str]:
    """Ids without parents, sorted."""
    return sorted(n for n in graph if graph.in_degree(n) == 0)


def leaves(graph: Graph) -> list[str]:
    """Ids without children, sorted."""
    return sorted(n for n in graph if graph.out_degree(n) == 0)


def parents(graph: Graph, node: str) -> list[str]:
    """Direct parents, sorted."""
    _check(graph, node)
    return sorted(graph.predecessors(node))


def children(graph: Graph, node: str) -> list[str]:
    """Direct children, sorted."""
    _check(graph, node)
    return sorted(graph.successors(node))


def ancestors(graph: Graph, node: str, *, reflexive: bool = False) -> list[str]:
    """All ancestors, sorted; the node itself only with ``reflexive=True``."""
    import networkx as nx

    _check(graph, node)
    found = set(nx.ancestors(graph, node))
    if reflexive:
        found.add(node)
    return sorted(found)


def descendants(graph: Graph, node: str, *, reflexive: bool = False) -> list[str]:
    """All descendants, sorted; the node itself only with ``reflexive=True``."""
    import networkx as nx

    _check(graph, node)
    found = set(nx.descendants(graph, node))
    if reflexive:
        found.add(node)
    return sorted(found)


def depth(graph: Graph) -> dict[str, int]:
    """Depth of every node (1 for roots; shortest path to the top otherwise)."""
    import networkx as nx

    result: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        ps = list(graph.predecessors(node))
        result[node] = 1 if not ps else 1 + min(result[p] for p in ps)
    return result


def primary_paths(graph: Graph) -> dict[str, tuple[str, ...]]:
    """Every node's primary path, from the top down to the node itself."""
    import networkx as nx

    depths = depth(graph)
    paths: dict[str, tuple[str, ...]] = {}
    for node in nx.topological_sort(graph):
        ps = list(graph.predecessors(node))
        if not ps:
            paths[node] = (node,)
        else:
            best = min(ps, key=lambda p: (depths[p], p))
            paths[node] = (*paths[best], node)
    return paths


def paths_to_top(graph: Graph, node: str) -> list[tuple[str, ...]]:
    """Every path from a top-level node down to ``node``, sorted."""
    _check(graph, node)
    out: list[tuple[str, ...]] = []
    stack: list[tuple[str, ...]] = [(node,)]
    while stack:
        path = stack.pop()
        ps = list(graph.predecessors(path[0]))
        if not ps:
            out.append(path)
        stack.extend((p, *path) for p in ps)
    return sorted(out)


def project(path: Sequence[str], level: int, n_levels: int) -> str:
    """The class at ``level`` (1-based) of the node whose primary path is ``path``.

    >>> project(("a", "b"), 4, 4)      # shallower than the level: carried down
    'b'
    >>> project(("a", "b", "c", "d", "e"), 4, 4)  # deeper than the last level
    'e'
    >>> project(("a", "b", "c", "d", "e"), 2, 4)
    'b'
    """
    if level < 1 or level > n_levels:
        from derm_onto.errors import InvalidArgumentError

        raise InvalidArgumentError(f"level {level} is outside 1..{n_levels}")
    if level == n_levels or level >= len(path):
        return path[-1]
    return path[level - 1]


def level_classes(graph: Graph, level: int, n_levels: int) -> list[str]:
    """The ids that are some node's class at ``level``, sorted: the label space of a level."""
    paths = primary_paths(graph)
    return sorted({project(p, level, n_levels) for p in paths.values()})


def _up_distances(graph: Graph, node: str) -> dict[str, int]:
    """Edges from ``node`` up to each of its reflexive ancestors (shortest), and to the
    virtual root."""
    dist = {node: 0}
    queue = deque([node])
    while queue:
        current = queue.popleft()
        ps = list(graph.predecessors(current))
        if not ps and VIRTUAL_ROOT not in dist:  # BFS: the first root reached is the closest
            dist[VIRTUAL_ROOT] = dist[current] + 1
        for p in ps:
            if p not in dist:
                dist[p] = dist[current] + 1
                queue.append(p)
    return dist


def lowest_common_ancestors(graph: Graph, a: str, b: str) -> list[str]:
    """The lowest common (reflexive) ancestors of two nodes, sorted; empty when they share
    none (different top-level categories).

    A common ancestor is lowest when none of its descendants is also a common ancestor.
    """
    common = set(ancestors(graph, a, reflexive=True)) & set(ancestors(graph, b, reflexive=True))
    return sorted(c for c in common if not any(_is_ancestor(graph, c, d) for d in common if d != c))


def _is_ancestor(graph: Graph, a: str, b: str) -> bool:
    import networkx as nx

    return bool(nx.has_path(graph, a, b))


def distance(graph: Graph, a: str, b: str) -> int:
    """Tree distance: edges on the shortest path between ``a`` and ``b`` through a common
    ancestor (the virtual root above the top level if they share none)."""
    _check(graph, a)
    _check(graph, b)
    up_a, up_b = _up_distances(graph, a), _up_distances(graph, b)
    return min(up_a[c] + up_b[c] for c in up_a.keys() & up_b.keys())


def distance_matrix(graph: Graph, nodes: Sequence[str]) -> list[list[int]]:
    """Pairwise :func:`distance` between ``nodes`` (in their order)."""
    ups = [_up_distances(graph, n) for n in nodes]
    return [[min(ua[c] + ub[c] for c in ua.keys() & ub.keys()) for ub in ups] for ua in ups]


def subset(ontology: Ontology, terms: Iterable[str], *, with_ancestors: bool = False) -> Ontology:
    """The sub-ontology under ``terms``: the terms and all their descendants (and, with
    ``with_ancestors``, their paths to the top). Parents outside the subset are dropped, and
    so are disjointness groups left with fewer than two classes; concepts and findings are
    kept whole, so references stay valid.
    """
    import dataclasses

    graph = build_graph(ontology)
    keep: set[str] = set()
    for term in terms:
        keep.update(descendants(graph, term, reflexive=True))
        if with_ancestors:
            keep.update(ancestors(graph, term))
    conditions = tuple(
        dataclasses.replace(c, parents=tuple(p for p in c.parents if p in keep))
        for c in ontology.conditions
        if c.id in keep
    )
    disjoint = tuple(
        dataclasses.replace(g, classes=kept)
        for g in ontology.disjoint
        if len(
            kept := tuple(c for c in g.classes if c in keep or ontology.kind_of(c) != "conditions")
        )
        >= 2
    )
    return dataclasses.replace(ontology, conditions=conditions, disjoint=disjoint)


def format_tree(
    graph: Graph,
    start: Sequence[str] | None = None,
    max_depth: int | None = None,
) -> str:
    """An indented tree for people: children sorted by label, DAG nodes under each parent."""
    lines: list[str] = []

    def label(n: str) -> str:
        return f"{graph.nodes[n]['label']}  [{n}]"

    def walk(node: str, prefix: str, last: bool, level: int, top: bool) -> None:
        connector = "" if top else ("└── " if last else "├── ")
        lines.append(f"{prefix}{connector}{label(node)}")
        if max_depth is not None and level >= max_depth:
            return
        kids = sorted(graph.successors(node), key=lambda n: (graph.nodes[n]["label"], n))
        child_prefix = prefix if top else prefix + ("    " if last else "│   ")
        for i, kid in enumerate(kids):
            walk(kid, child_prefix, i == len(kids) - 1, level + 1, False)

    tops = list(start) if start else sorted(roots(graph), key=lambda n: graph.nodes[n]["label"])
    for node in tops:
        walk(node, "", True, 1, True)
    return "\n".join(lines)
