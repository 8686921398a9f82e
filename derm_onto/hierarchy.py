"""The condition hierarchy as one plain networkx graph, built once per ontology.

Edges point from a parent to its child (``parent -> child``), so networkx's own
``nx.ancestors`` and ``nx.descendants`` mean what they say. Nodes are ids; each carries its
``label``. The hierarchy is a DAG: a node may have several parents.

Depth: a node without parents has depth 1 (a top-level category); otherwise its depth is one
more than the smallest depth among its parents (the shortest path to the top).

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> graph = build_graph(load(bundled_ontology_path()))
>>> all(depth(graph)[r] == 1 for r in roots(graph))
True
"""

from __future__ import annotations

from typing import Any

from derm_onto.model import Kind, Ontology

Graph = Any  # networkx.DiGraph; networkx ships no type hints


def build_graph(ontology: Ontology, kind: Kind = "conditions") -> Graph:
    """A ``parent -> child`` DiGraph of one kind's entries (dangling parents are skipped)."""
    import networkx as nx

    graph = nx.DiGraph()
    entries = ontology.entries(kind)
    for term in entries:
        graph.add_node(term.id, label=term.label)
    for term in entries:
        for parent in term.parents:
            if parent in graph:
                graph.add_edge(parent, term.id)
    return graph


def roots(graph: Graph) -> list[str]:
    """Ids without parents, sorted."""
    return sorted(n for n in graph if graph.in_degree(n) == 0)


def leaves(graph: Graph) -> list[str]:
    """Ids without children, sorted."""
    return sorted(n for n in graph if graph.out_degree(n) == 0)


def depth(graph: Graph) -> dict[str, int]:
    """Depth of every node (1 for roots; shortest path to the top otherwise)."""
    import networkx as nx

    result: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        parents = list(graph.predecessors(node))
        result[node] = 1 if not parents else 1 + min(result[p] for p in parents)
    return result
