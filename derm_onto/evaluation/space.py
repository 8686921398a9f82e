"""Per-ontology lookup tables for evaluation, built once: a row is then an array lookup.

A :class:`HierarchySpace` indexes every condition (sorted ids) and holds, as numpy arrays:

* ``ancestors``: nodes x nodes booleans, ``[i, j]`` true when ``j`` is ``i`` or one of its
  ancestors (reflexive; the virtual root above the top level is not a node);
* ``shared``: nodes x nodes, ``|A(i) & A(j)|`` (the numerator of hierarchical precision);
* ``distance``: the tree distance of :func:`derm_onto.hierarchy.distance` (computed here
  with vector operations per node; ``hierarchy.distance_matrix`` intersects dicts per pair);
* ``lca_depth``: the depth of the deepest common ancestor (0 when two nodes meet only at the
  virtual root); on a DAG with several lowest common ancestors, the deepest one counts;
* ``level_code[K]``: each node's class index at level K, by the rule of ``labels``
  (:func:`derm_onto.hierarchy.project` over the primary path, via :class:`LabelPlan`).

Values (ids, labels, synonyms, any text the matcher resolves) become node codes through
:meth:`HierarchySpace.codes`, which resolves each distinct value once.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> space = HierarchySpace(load(bundled_ontology_path()))
>>> a, b = space.code("melanoma"), space.code("BCC")
>>> int(space.distance[a, b]) > 0, space.label(space.nodes[a])
(True, 'melanoma')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from derm_onto import hierarchy
from derm_onto.labels import LabelPlan
from derm_onto.model import Ontology

#: Codes of values that do not resolve to exactly one condition.
UNKNOWN, SEVERAL, EMPTY = -1, -2, -3
REASONS = {UNKNOWN: "unknown", SEVERAL: "several labels", EMPTY: "empty"}


@dataclass
class Unresolved:
    """Rows of one column whose value did not resolve to exactly one condition."""

    rows: int = 0
    values: Counter[str] = field(default_factory=Counter)

    def as_dict(self, limit: int = 20) -> dict[str, Any]:
        """A JSON-ready dict: the row count and the most frequent values."""
        return {"rows": self.rows, "values": dict(self.values.most_common(limit))}


_FAR = 1 << 28  # "no path up"


def up_distances(graph: Any, nodes: Sequence[str]) -> Any:
    """Edges from each node up to each of its reflexive ancestors (shortest), as a
    nodes x (nodes + 1) int32 matrix whose last column is the virtual root; a large value
    where there is no path. One vector operation per edge, in topological order.

    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b")])
    >>> up_distances(g, ["a", "b"]).tolist()[1]  # b: 1 edge up to a, 2 to the virtual root
    [1, 0, 2]
    """
    import networkx as nx
    import numpy as np

    index = {n: i for i, n in enumerate(nodes)}
    size = len(nodes)
    up = np.full((size, size + 1), _FAR, dtype=np.int32)
    for node in nx.topological_sort(graph):
        i = index[node]
        parents = [index[p] for p in graph.predecessors(node)]
        if parents:
            np.minimum.reduce(up[parents], axis=0, out=up[i])
            up[i] += 1
        else:
            up[i, size] = 1
        up[i, i] = 0
    return up


def _pair_tables(up: Any, depth: Any) -> tuple[Any, Any]:
    """Tree distances (:func:`derm_onto.hierarchy.distance`: the shortest path through a
    common ancestor or the virtual root) and deepest-common-ancestor depths, for all pairs.

    Row i only needs i's own ancestors k: ``min_k up[i, k] + up[:, k]``, a few vector
    operations per node instead of a pairwise set intersection.
    """
    import numpy as np

    size = up.shape[0]
    distance = np.empty((size, size), dtype=np.int32)
    lca = np.zeros((size, size), dtype=np.int32)
    reach = up < _FAR
    for i in range(size):
        above = np.flatnonzero(reach[i])  # i's reflexive ancestors and the virtual root
        candidates = up[i, above][:, None] + up[:, above].T
        distance[i] = candidates.min(axis=0)
        real = above[above < size]
        lca[i] = np.max(np.where(reach[:, real], depth[real][None, :], 0), axis=1, initial=0)
    return distance, lca


class HierarchySpace:
    """Node index, ancestor/distance/LCA tables and level projections of one ontology."""

    def __init__(self, ontology: Ontology, plan: LabelPlan | None = None) -> None:
        import numpy as np

        self.ontology = ontology
        n_levels = len(ontology.levels) or 4
        self.plan = plan or LabelPlan(ontology, levels=tuple(range(1, n_levels + 1)))
        self.n_levels = self.plan.n_levels
        graph = self.graph = self.plan.graph
        self.nodes: list[str] = sorted(graph)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        size = len(self.nodes)
        depths = hierarchy.depth(graph)
        self.depth = np.array([depths[n] for n in self.nodes], dtype=np.int32)
        up = up_distances(graph, self.nodes)
        anc = up[:, :size] < _FAR
        self.ancestors = anc
        as_float = anc.astype(np.float32)  # BLAS; exact for these small counts
        self.shared = np.rint(as_float @ as_float.T).astype(np.int32)
        self.sizes = anc.sum(axis=1).astype(np.int32)
        self.distance, self.lca_depth = _pair_tables(up, self.depth)
        self.level_classes: dict[int, list[str]] = {}
        self.level_code: dict[int, Any] = {}
        for level in range(1, self.n_levels + 1):
            classes = hierarchy.level_classes(graph, level, self.n_levels)
            at = {c: i for i, c in enumerate(classes)}
            self.level_classes[level] = classes
            self.level_code[level] = np.array(
                [
                    at[hierarchy.project(self.plan.paths[n], level, self.n_levels)]
                    for n in self.nodes
                ],
                dtype=np.int32,
            )
        self._codes: dict[str, int] = {}

    def label(self, node: str) -> str:
        """The label of a condition id."""
        return self.plan.label(node)

    def level_name(self, level: int) -> str:
        """The ontology's name of a level (``level K`` when it names none)."""
        names = self.ontology.levels
        return names[level - 1] if len(names) >= level else f"level {level}"

    def code(self, value: str) -> int:
        """The node index of a value: an id, or text the matcher resolves to one condition.

        Returns :data:`UNKNOWN` (unknown or ambiguous), :data:`SEVERAL` (a multi-label cell)
        or :data:`EMPTY` (empty or a sentinel such as 'no definitive diagnosis').
        """
        found = self._codes.get(value)
        if found is None:
            found = self._codes[value] = self._code(value)
        return found

    def _code(self, value: str) -> int:
        text = value.strip()
        if text in self.index:
            return self.index[text]
        resolved = self.plan.resolve(text)
        if resolved.status == "unknown":
            return UNKNOWN
        if resolved.status != "ok":
            return EMPTY
        if len(resolved.ids) > 1:
            return SEVERAL
        return self.index[resolved.ids[0]]

    def codes(self, column: Any, unresolved: Unresolved | None = None) -> Any:
        """Node codes (int32) of a pyarrow string array or a sequence of strings.

        Each distinct value is resolved once; rows are then a vectorised ``take``.
        Unresolved rows (negative codes) are counted into ``unresolved``.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        array = column if isinstance(column, pa.Array | pa.ChunkedArray) else pa.array(column)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
            array = array.cast(pa.string())
        encoded = pc.dictionary_encode(pc.fill_null(array, ""))
        values: Sequence[str] = encoded.dictionary.to_pylist()
        table = np.array([self.code(v) for v in values], dtype=np.int32)
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        out = table[indices] if len(values) else np.zeros(0, dtype=np.int32)
        if unresolved is not None and (table < 0).any():
            per_value = np.bincount(indices, minlength=len(values))
            for value, code, count in zip(values, table.tolist(), per_value.tolist(), strict=True):
                if code < 0 and count:
                    unresolved.rows += count
                    unresolved.values[f"{value} ({REASONS[code]})"] += count
        return out
