"""Multi-granular training labels for a dataset, at million-row scale.

Every distinct label string is resolved once (a :class:`LabelPlan` caches the result); a
batch of rows is then dictionary-encoded by pyarrow and each output column is a vectorised
``take`` from a small per-distinct-value table. The tree is never walked per row, and the
table is streamed in batches, so memory stays flat as rows grow.

Added columns (with an optional prefix):

* ``onto_ids``: matched ids, ``|``-joined for multi-label rows;
* ``level_K`` / ``level_K_idx``: the class at each requested level (labels ``|``-joined for a
  multi-label row whose labels fall in different classes, whose index is then -1) and its
  integer index in the level's class map (-1 when there is none);
* ``hierarchical_disease_label``: Derm1M's format, the released (provenance) names of the
  ancestors on the primary path, lower-cased, joined with ", ", ending with the disease as
  written in the input; for several labels the ancestors of the deepest one, then each
  label as written, in input order (what Derm1M's released rows do); empty for an empty or
  sentinel label.

Class indices come from the ontology, not from the data (every id that is some node's class
at a level, sorted by id), so they are stable across datasets and runs.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> plan = LabelPlan(load(bundled_ontology_path()), levels=(1, 4))
>>> row = plan.resolve("guttate psoriasis")
>>> row.level_labels[0], row.level_labels[1]
('inflammatory', 'guttate psoriasis')
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

from derm_onto import hierarchy
from derm_onto.errors import DermOntoError
from derm_onto.matching import Match, Matcher
from derm_onto.model import Condition, Ontology

UnknownPolicy = Literal["error", "keep", "drop"]
UNKNOWN_POLICIES: tuple[UnknownPolicy, ...] = get_args(UnknownPolicy)
Status = Literal["ok", "sentinel", "empty", "unknown"]


@dataclass(frozen=True, slots=True)
class ResolvedLabel:
    """Everything the output needs for one distinct label string."""

    ids: tuple[str, ...]
    level_labels: tuple[str, ...]
    level_indices: tuple[int, ...]
    derm1m_path: str
    status: Status
    unknown_parts: tuple[str, ...] = ()


@dataclass
class LabelReport:
    """What a labels run met: row counts and unknown labels, most frequent first."""

    rows: int = 0
    rows_written: int = 0
    matched_rows: int = 0
    sentinel_rows: int = 0
    empty_rows: int = 0
    unknown_rows: int = 0
    distinct_labels: int = 0
    unknown: Counter[str] = field(default_factory=Counter)
    replaced_columns: list[str] = field(default_factory=list)

    def summary(self, output: str | os.PathLike[str]) -> list[str]:
        """The report as lines for a person: counts, then unknown labels, most frequent
        first (ten of them)."""
        lines = []
        if self.replaced_columns:
            lines.append(f"replaced existing columns: {', '.join(self.replaced_columns)}")
        lines.append(
            f"{output}: {self.rows_written} rows written ({self.matched_rows} matched, "
            f"{self.sentinel_rows} sentinel, {self.empty_rows} empty, "
            f"{self.unknown_rows} unknown; {self.distinct_labels} distinct labels); "
            f"class maps in {class_map_path(output)}"
        )
        if self.unknown:
            top = ", ".join(f"{k!r} ({v})" for k, v in self.unknown.most_common(10))
            more = len(self.unknown) - 10
            lines.append(
                f"unknown labels, most frequent first: {top}"
                + (f" and {more} more" if more > 0 else "")
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "rows": self.rows,
            "rows_written": self.rows_written,
            "matched_rows": self.matched_rows,
            "sentinel_rows": self.sentinel_rows,
            "empty_rows": self.empty_rows,
            "unknown_rows": self.unknown_rows,
            "distinct_labels": self.distinct_labels,
            "unknown": dict(self.unknown.most_common()),
            "replaced_columns": list(self.replaced_columns),
        }


class LabelPlan:
    """Per-ontology precomputation: primary paths, level class maps, matcher; the
    networkx graph only when asked for (:attr:`graph`)."""

    def __init__(
        self,
        ontology: Ontology,
        levels: Sequence[int] = (1, 2, 3, 4),
        matcher: Matcher | None = None,
    ) -> None:
        self.ontology = ontology
        self.n_levels = len(ontology.levels) or 4
        for level in levels:
            if not 1 <= level <= self.n_levels:
                raise DermOntoError(f"level {level} is outside 1..{self.n_levels}")
        self.levels = tuple(levels)
        live = [c for c in ontology.conditions if not c.obsolete]
        self.paths = primary_paths(live)
        self.matcher = matcher or Matcher(ontology)
        self.classes = {
            level: sorted({hierarchy.project(p, level, self.n_levels) for p in self.paths.values()})
            for level in self.levels
        }
        self.class_index = {
            level: {c: i for i, c in enumerate(ids)} for level, ids in self.classes.items()
        }
        self.node_classes = sorted(self.paths)  # the multi-hot columns
        self.node_index = {n: i for i, n in enumerate(self.node_classes)}
        self._released = {
            c.id: c.provenance[0].lower() for c in ontology.conditions if c.provenance
        }
        self._cache: dict[str, ResolvedLabel] = {}
        self._labels = {c.id: c.label for c in live}
        self._class_of = {
            level: {n: hierarchy.project(p, level, self.n_levels) for n, p in self.paths.items()}
            for level in self.levels
        }
        self._by_ids: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[int, ...]]] = {}
        self._levels_by_id: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]] = {}
        self._codes: _Codes | None = None
        self._prefixes: dict[str, tuple[int, str]] = {}

    @property
    def codes(self) -> _Codes:
        """The vectorised tables of the label columns (built on first use)."""
        if self._codes is None:
            self._codes = _Codes(self)
        return self._codes

    @cached_property
    def graph(self) -> hierarchy.Graph:
        """The networkx hierarchy (:func:`derm_onto.hierarchy.build_graph`), built when
        first asked for: labelling itself needs only the primary paths."""
        return hierarchy.build_graph(self.ontology)

    def label(self, term_id: str) -> str:
        """The label of a live condition id."""
        return self._labels[term_id]

    def resolve(self, cell: str) -> ResolvedLabel:
        """Resolve one distinct cell value (cached)."""
        found = self._cache.get(cell)
        if found is None:
            found = self._cache[cell] = self._resolve(cell)
        return found

    def _resolve(self, cell: str) -> ResolvedLabel:
        ids, path, status, unknown = self.summary(cell)
        labels, indices = self._levels_of(ids)
        return ResolvedLabel(ids, labels, indices, path, status, unknown)

    def summary(self, cell: str) -> tuple[tuple[str, ...], str, Status, tuple[str, ...]]:
        """A cell's ids, Derm1M path, status and unknown parts: :meth:`resolve` without
        the level columns (which :class:`LabelBatcher` gathers from per-id tables)."""
        matches = self.matcher.match_cell(cell)
        if 0 < len(matches) <= 2 and all(m.id for m in matches):  # the common cells, short
            if len(matches) == 1:
                (a,) = matches
                return (a.id,), self._prefix(a.id)[1] + a.input.strip(), "ok", ()
            a, b = matches
            (depth_a, prefix_a), (depth_b, prefix_b) = self._prefix(a.id), self._prefix(b.id)
            ids: tuple[str, ...] = (a.id,) if a.id == b.id else (a.id, b.id)
            prefix = prefix_a if depth_a >= depth_b else prefix_b
            path = f"{prefix}{a.input.strip()}, {b.input.strip()}"
            return ids, path, "ok", ()
        ids = tuple(dict.fromkeys(m.id for m in matches if m.matched))
        unknown = tuple(
            m.input for m in matches if not m.matched and m.method not in ("sentinel", "empty")
        )
        if unknown:
            status: Status = "unknown"
        elif ids:
            status = "ok"
        elif any(m.method == "sentinel" for m in matches):
            status = "sentinel"
        else:
            status = "empty"
        return ids, self.derm1m_path(matches), status, unknown

    def _levels_of(self, ids: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Per level, the labels and index of the classes of a set of ids (cached per set:
        datasets repeat the same ids under many spellings)."""
        found = self._by_ids.get(ids)
        if found is not None:
            return found
        if len(ids) == 1:
            found = self._per_id(ids[0])[1:]
        elif len(ids) == 2:  # the common multi-label cell, without the general loop
            (ca, la, ia), (cb, lb, _) = self._per_id(ids[0]), self._per_id(ids[1])
            found = (
                tuple(
                    x if c == d else f"{x}|{y}" for c, d, x, y in zip(ca, cb, la, lb, strict=True)
                ),
                tuple(i if c == d else -1 for c, d, i in zip(ca, cb, ia, strict=True)),
            )
        else:
            per_id = [self._per_id(i) for i in ids]
            labels, indices = [], []
            for k in range(len(self.levels)):
                classes = list(dict.fromkeys(p[0][k] for p in per_id))
                if len(classes) == 1:
                    labels.append(per_id[0][1][k])
                    indices.append(per_id[0][2][k])
                else:
                    labels.append("|".join(self._labels[c] for c in classes))
                    indices.append(-1)
            found = (tuple(labels), tuple(indices))
        self._by_ids[ids] = found
        return found

    def _per_id(self, term_id: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
        """One id's class, class label and class index at every level (computed once)."""
        found = self._levels_by_id.get(term_id)
        if found is None:
            classes = tuple(self._class_of[level][term_id] for level in self.levels)
            found = self._levels_by_id[term_id] = (
                classes,
                tuple(self._labels[c] for c in classes),
                tuple(
                    self.class_index[level][c]
                    for level, c in zip(self.levels, classes, strict=True)
                ),
            )
        return found

    def _prefix(self, term_id: str) -> tuple[int, str]:
        """The length of an id's primary path, and the start of the Derm1M path of a cell
        whose deepest label it is: its ancestors' released names, each followed by ", "."""
        found = self._prefixes.get(term_id)
        if found is None:
            path, released = self.paths[term_id], self._released
            names = "".join(f"{released[n]}, " for n in path[:-1] if n in released)
            found = self._prefixes[term_id] = (len(path), names)
        return found

    def derm1m_path(self, matches: Sequence[Match]) -> str:
        """Derm1M's ``hierarchical_disease_label`` for the matches of one cell."""
        found = [m for m in matches if m.matched]
        if not found:
            return ""
        # the ancestors of the deepest label (the first on ties), as Derm1M's released
        # multi-label rows have them ('eczema, nummular eczema' -> '..., eczema, eczema,
        # nummular eczema'); for labels with one parent this equals the common ancestors
        deepest = max(found, key=lambda m: len(self.paths[m.id]))
        names = [self._released[n] for n in self.paths[deepest.id][:-1] if n in self._released]
        written = [m.input.strip() for m in matches if m.method not in ("sentinel", "empty")]
        return ", ".join([*names, *written])


def primary_paths(conditions: Sequence[Condition]) -> dict[str, tuple[str, ...]]:
    """Every condition's primary path, top down, by the rules of :mod:`derm_onto.hierarchy`
    (:func:`~derm_onto.hierarchy.primary_paths`) but read from the (live) conditions
    themselves, without building the networkx graph: a parent outside ``conditions`` does
    not count; a node's primary parent is the one of smallest depth, then smallest id.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> live = [c for c in onto.conditions if not c.obsolete]
    >>> paths = primary_paths(live)
    >>> [onto.term(i).label for i in paths[onto.find("guttate psoriasis").id]]
    ['inflammatory', 'non-infectious', 'psoriasis', 'guttate psoriasis']
    """
    parents = {c.id: c.parents for c in conditions}
    depth: dict[str, int] = {}
    paths: dict[str, tuple[str, ...]] = {}

    def visit(node: str, seen: frozenset[str]) -> None:
        ups = [p for p in parents[node] if p in parents]
        for up in ups:
            if up in seen:
                raise DermOntoError(f"the hierarchy has a cycle through {up}")
            if up not in paths:
                visit(up, seen | {up})
        if not ups:
            depth[node], paths[node] = 1, (node,)
            return
        best = min(ups, key=lambda p: (depth[p], p))
        depth[node] = 1 + min(depth[p] for p in ups)
        paths[node] = (*paths[best], node)

    for node in parents:
        if node not in paths:
            visit(node, frozenset({node}))
    return paths


@dataclass(frozen=True)
class LabelOptions:
    """Options of a labels run."""

    column: str
    levels: tuple[int, ...] = (1, 2, 3, 4)
    unknown: UnknownPolicy = "keep"
    prefix: str = ""
    multi_hot: Path | None = None
    distance_matrix: Path | None = None
    distance_level: int | None = None


def class_map_path(output: str | os.PathLike[str]) -> Path:
    """Where the class maps of ``output`` go: beside it, ``<stem>.classes.json``."""
    out = Path(output)
    name = out.name
    for suffix in (".gz", ".csv", ".tsv", ".parquet", ".pq"):
        name = name.removesuffix(suffix)
    return out.with_name(name + ".classes.json")


def class_maps(plan: LabelPlan) -> dict[str, Any]:
    """The JSON class maps: per level, index -> id and label; and the multi-hot columns."""
    onto = plan.ontology
    return {
        "ontology": onto.id,
        "version": onto.version,
        "levels": {
            str(level): {
                "name": onto.levels[level - 1] if onto.levels else f"level {level}",
                "classes": [
                    {"index": i, "id": c, "label": plan.label(c)}
                    for i, c in enumerate(plan.classes[level])
                ],
            }
            for level in plan.levels
        },
        "multi_hot": [
            {"index": i, "id": c, "label": plan.label(c)} for i, c in enumerate(plan.node_classes)
        ],
    }


def output_names(levels: Sequence[int], prefix: str = "") -> list[str]:
    """The names of the columns a labels run adds. The prefix is not doubled: with
    ``prefix="onto_"`` the ids column stays ``onto_ids``.

    >>> output_names((1,), "onto_")
    ['onto_ids', 'onto_level_1', 'onto_level_1_idx', 'onto_hierarchical_disease_label']
    """
    names = ["onto_ids"]
    for level in levels:
        names += [f"level_{level}", f"level_{level}_idx"]
    names.append("hierarchical_disease_label")
    return [n if prefix and n.startswith(prefix) else prefix + n for n in names]


def count_rows(report: LabelReport, resolved: Sequence[ResolvedLabel], counts: Any) -> None:
    """Add one batch's rows to the report, per distinct value (``counts[i]`` rows each)."""
    for r, n in zip(resolved, counts.tolist(), strict=True):
        report.rows += n
        if r.status == "ok":
            report.matched_rows += n
        elif r.status == "sentinel":
            report.sentinel_rows += n
        elif r.status == "empty":
            report.empty_rows += n
        else:
            report.unknown_rows += n
            for part in r.unknown_parts:
                report.unknown[part] += n


def refuse_unknown(
    source: object, column: str, values: list[str], resolved: list[ResolvedLabel], counts: Any
) -> None:
    """Raise, naming the five most frequent unknown labels, when a batch holds any."""
    rows_of = dict(zip(values, counts.tolist(), strict=True))
    bad = [v for v, r in zip(values, resolved, strict=True) if r.status == "unknown"]
    if bad:
        worst = sorted(bad, key=lambda v: -rows_of[v])[:5]
        listed = "; ".join(f"{v!r} ({rows_of[v]} rows)" for v in worst)
        raise DermOntoError(f"{source}: unknown labels in column {column!r}: {listed}")


_STATUSES: tuple[Status, ...] = ("ok", "sentinel", "empty", "unknown")
_STATUS_NUMBER = {s: i for i, s in enumerate(_STATUSES)}
_UNKNOWN = _STATUS_NUMBER["unknown"]
#: From this many new cells in a batch on, their "name, name" cells are resolved at once.
_MANY = 32
_DTYPES = ("int32", "int32", "int8", "bool")


class _Codes:
    """Every distinct cell a plan has met, numbered in order of first sight, with the
    integers its label columns are gathered by: its first and second id as node numbers
    (one past the last node for none), its status, and its Derm1M path. A cell with more
    than two ids is rare; its columns come from :meth:`LabelPlan.resolve`.

    Per batch, :meth:`columns` builds each column for the batch's distinct cells with
    NumPy indexing and Arrow ``take`` over small per-node and per-class tables (a level's
    class number of every node, the labels of its classes), joining two labels with ``|``
    where a cell's two ids fall in different classes: no Python work per cell and level.
    """

    def __init__(self, plan: LabelPlan) -> None:
        import numpy as np

        from derm_onto.arrays import strings

        self.plan = plan
        nodes = plan.node_classes
        self.node = {n: i for i, n in enumerate(nodes)}
        self.none = len(nodes)
        self.id_names = strings([*nodes, ""])
        self.level_class: list[Any] = []  # per level: node number -> class number
        self.level_labels: list[Any] = []  # per level: class number -> label ("" past the end)
        for level in plan.levels:
            classes, index = plan.classes[level], plan.class_index[level]
            of = plan._class_of[level]
            numbers = [index[of[n]] for n in nodes] + [len(classes)]
            self.level_class.append(np.array(numbers, dtype=np.int32))
            self.level_labels.append(strings([plan._labels[c] for c in classes] + [""]))
        self.code: dict[str, int] = {}
        self.cells: list[str] = []
        self.paths: list[str] = []
        self.unknown: dict[int, tuple[str, ...]] = {}
        self._numbers: list[tuple[int, int, int, bool]] = []  # first, second, status, general
        self.first = np.zeros(0, dtype=np.int32)
        self.second = np.zeros(0, dtype=np.int32)
        self.status = np.zeros(0, dtype=np.int8)
        self.general = np.zeros(0, dtype=bool)
        # per name of the matcher's match_pairs: node number, path length, Derm1M prefix
        self._name_number = np.zeros(0, dtype=np.int32)
        self._name_depth = np.zeros(0, dtype=np.int64)
        self._name_prefix = strings([])

    def lookup(self, values: list[str], dictionary: Any = None) -> Any:
        """The codes of a batch's distinct cells (new cells are resolved and numbered);
        ``dictionary``, the cells as an Arrow array, lets many new "name, name" cells be
        resolved at once (:meth:`~derm_onto.matching.Matcher.match_pairs`)."""
        import numpy as np

        get = self.code.get
        found = [get(v) for v in values]
        known = len(self.cells)
        missing = [i for i, code in enumerate(found) if code is None]
        if dictionary is not None and len(missing) >= _MANY:
            self._add_pairs(values, dictionary, missing, found)
        for i in missing:
            if found[i] is None:
                found[i] = self._add(values[i])
        if len(self.cells) > known:
            self._flush()
        return np.array(found, dtype=np.int64)

    def _flush(self, *arrays: Any) -> None:
        """Append the numbers of the cells added one by one, then ``arrays`` (first,
        second, status, general) of cells added at once, to the number arrays."""
        import numpy as np

        chunks = []
        if self._numbers:
            columns = zip(*self._numbers, strict=True)
            chunks = [np.array(c, dtype=d) for c, d in zip(columns, _DTYPES, strict=True)]
            self._numbers = []
        for k, name in enumerate(("first", "second", "status", "general")):
            parts = [getattr(self, name)]
            if chunks:
                parts.append(chunks[k])
            if arrays:
                parts.append(arrays[k].astype(_DTYPES[k]))
            setattr(self, name, np.concatenate(parts))

    def _add_pairs(
        self, values: list[str], dictionary: Any, missing: list[int], found: list[int | None]
    ) -> None:
        """Number the "name, name" cells among ``missing`` whose names both match, with
        their ids and Derm1M paths built by Arrow kernels (as :meth:`LabelPlan.summary`
        builds them one by one)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from derm_onto.arrays import bools, ints, string, strings

        plan = self.plan
        pairs = plan.matcher.match_pairs(dictionary.take(ints(np.array(missing, np.int64))))
        chosen = np.flatnonzero(pairs.mask).tolist()
        if not chosen:
            return
        names = pairs.names  # every name the matcher's match_pairs has met
        if len(names) > len(self._name_depth):  # the new ones' node numbers and prefixes
            node, none = self.node, self.none
            ids = [m.id for m in names[len(self._name_depth) :]]
            numbers = np.array([node[i] if i else none for i in ids], dtype=np.int32)
            prefixes = [plan._prefix(i) if i else (0, "") for i in ids]
            depths = np.array([d for d, _ in prefixes], dtype=np.int64)
            texts = strings([text for _, text in prefixes])
            self._name_number = np.concatenate([self._name_number, numbers])
            self._name_depth = np.concatenate([self._name_depth, depths])
            self._name_prefix = pa.concat_arrays([self._name_prefix, texts])
        number, depth, prefix = self._name_number, self._name_depth, self._name_prefix
        none = self.none
        head, tail = pairs.head, pairs.tail
        first, second = number[head], number[tail]
        second = np.where(first == second, none, second)
        deeper = pc.if_else(
            bools(depth[head] >= depth[tail]), prefix.take(ints(head)), prefix.take(ints(tail))
        )
        written = pc.binary_join_element_wise(deeper, pairs.heads, string(""))
        paths = pc.binary_join_element_wise(written, pairs.tails, string(", ")).to_pylist()
        self._flush()  # cells added one by one keep their numbers, before these
        start = len(self.cells)
        cells = [values[missing[i]] for i in chosen]
        for offset, i in enumerate(chosen):
            found[missing[i]] = start + offset
        self.code.update(zip(cells, range(start, start + len(cells)), strict=True))
        self.cells += cells
        self.paths += paths
        n = len(cells)
        self._flush(first, second, np.zeros(n, np.int8), np.zeros(n, dtype=bool))

    def _add(self, cell: str) -> int:
        ids, path, status, unknown = self.plan.summary(cell)
        code = len(self.cells)
        node, none, n = self.node, self.none, len(ids)
        self._numbers.append(
            (
                node[ids[0]] if n else none,
                node[ids[1]] if n == 2 else none,
                _STATUS_NUMBER[status],
                n > 2,
            )
        )
        if unknown:
            self.unknown[code] = unknown
        self.paths.append(path)
        self.cells.append(cell)
        self.code[cell] = code
        return code

    def columns(self, codes: Any) -> list[Any]:
        """The added columns (ids, per level label and index, Derm1M path) of the cells
        numbered ``codes``, one entry per code."""
        import numpy as np
        import pyarrow.compute as pc

        from derm_onto.arrays import bools, ints, string, strings

        bar = string("|")

        def joined(mask: Any, first: Any, second: Any) -> Any:
            if not mask.any():
                return first
            both = pc.binary_join_element_wise(first, second, bar)
            return pc.if_else(bools(mask), both, first)

        first, second = self.first[codes], self.second[codes]
        two = second != self.none
        names = self.id_names
        out = [joined(two, names.take(ints(first)), names.take(ints(second)))]
        for of, labels in zip(self.level_class, self.level_labels, strict=True):
            a, b = of[first], of[second]
            differ = two & (a != b)
            out.append(joined(differ, labels.take(ints(a)), labels.take(ints(b))))
            index = np.where(differ | (a == len(labels) - 1), -1, a).astype(np.int32)
            out.append(ints(index))
        paths = self.paths
        out.append(strings([paths[c] for c in codes.tolist()]))
        general = self.general[codes]
        if general.any():  # more than two ids: as resolve() has them
            mask = bools(general)
            rows = [self.plan.resolve(self.cells[c]) for c in codes[general].tolist()]
            patches = [strings(["|".join(r.ids) for r in rows])]
            for k in range(len(self.plan.levels)):
                patches.append(strings([r.level_labels[k] for r in rows]))
                patches.append(ints(np.array([r.level_indices[k] for r in rows], np.int32)))
            for k, patch in enumerate(patches):
                out[k] = pc.replace_with_mask(out[k], mask, patch)
        return out

    def count(self, report: LabelReport, codes: Any, counts: Any) -> None:
        """Add one batch's rows to the report (``counts[i]`` rows have cell ``codes[i]``)."""
        import numpy as np

        status = self.status[codes]
        per_status = np.bincount(status, weights=counts, minlength=len(_STATUSES))
        ok, sentinel, empty, unknown = (int(n) for n in per_status)
        report.rows += ok + sentinel + empty + unknown
        report.matched_rows += ok
        report.sentinel_rows += sentinel
        report.empty_rows += empty
        report.unknown_rows += unknown
        for i in np.flatnonzero(status == _UNKNOWN).tolist():
            for part in self.unknown[int(codes[i])]:
                report.unknown[part] += int(counts[i])

    def refuse(
        self, source: object, column: str, values: list[str], codes: Any, counts: Any
    ) -> None:
        """Raise, naming the five most frequent unknown labels, when a batch holds any."""
        import numpy as np

        bad = np.flatnonzero(self.status[codes] == _UNKNOWN).tolist()
        if bad:
            worst = sorted(bad, key=lambda i: -int(counts[i]))[:5]
            listed = "; ".join(f"{values[i]!r} ({int(counts[i])} rows)" for i in worst)
            raise DermOntoError(f"{source}: unknown labels in column {column!r}: {listed}")


class LabelBatcher:
    """The per-batch work of ``labels``: a record batch in, the same rows (less dropped
    unknowns) with the label columns added out, counted into ``report``. Built once per
    ontology and options; each distinct label is resolved once (the plan caches it), and a
    column is a vectorised ``take`` from a small per-value table.
    """

    def __init__(
        self,
        plan: LabelPlan,
        options: LabelOptions,
        columns: Sequence[str] | Any,
        source: object = "<table>",
    ) -> None:
        """``columns``: the input's column names (all read as strings), or its Arrow schema
        (the kept columns keep their types)."""
        import pyarrow as pa

        self.plan = plan
        self.options = options
        self.source = source
        self.added = output_names(plan.levels, options.prefix)
        fields = (
            list(columns)
            if isinstance(columns, pa.Schema)
            else [pa.field(c, pa.string()) for c in columns]
        )
        self.kept = [f.name for f in fields if f.name not in self.added]
        self.report = LabelReport(replaced_columns=[f.name for f in fields if f.name in self.added])
        self.schema = pa.schema(
            [f for f in fields if f.name not in self.added]
            + [(n, pa.int32() if n.endswith("_idx") else pa.string()) for n in self.added]
        )

    def __call__(self, batch: Any) -> tuple[Any, list[str], Any]:
        """The labelled batch, the batch's distinct label values, and for each output row the
        index of its value among them (a NumPy array)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from derm_onto.arrays import bools, ints, string, to_numpy

        options, codes_of = self.options, self.plan.codes
        column = batch.column(options.column)
        if column.null_count:  # a null cell counts as an empty one, as in a CSV
            column = pc.fill_null(column, string(""))
        encoded = pc.dictionary_encode(column)
        values = encoded.dictionary.to_pylist()
        codes = codes_of.lookup(values, encoded.dictionary)
        indices = to_numpy(encoded.indices)
        counts = np.bincount(indices, minlength=len(values))
        if options.unknown == "error":
            codes_of.refuse(self.source, options.column, values, codes, counts)
        codes_of.count(self.report, codes, counts)
        if options.unknown == "drop":
            unknown = codes_of.status[codes] == _UNKNOWN
            if unknown.any():
                keep = ~unknown[indices]
                batch = batch.filter(bools(keep))
                indices = indices[keep]
        take = ints(indices.astype(np.int32, copy=False))
        new_columns = [a.take(take) for a in codes_of.columns(codes)]
        old_columns = [batch.column(c) for c in self.kept]
        out = pa.RecordBatch.from_arrays([*old_columns, *new_columns], schema=self.schema)
        self.report.rows_written += out.num_rows
        return out, values, indices


def label_arrow(
    ontology: Ontology,
    table: Any,
    column: str = "disease_label",
    levels: Sequence[int] = (1, 2, 3, 4),
    *,
    unknown: UnknownPolicy = "keep",
    prefix: str = "",
) -> Any:
    """Label an in-memory Arrow table (``pa.Table.from_pandas(df)`` for a DataFrame): the
    same columns ``derm-onto labels`` adds, without files.

    >>> import pyarrow as pa
    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> table = pa.table({"image": ["a.jpg", "b.jpg"],
    ...                   "disease_label": ["BCC", "guttate psoriasis"]})
    >>> out = label_arrow(onto, table, levels=(1, 2))
    >>> out.column("level_1").to_pylist()
    ['proliferations', 'inflammatory']
    """
    import pyarrow as pa

    if column not in table.column_names:
        raise DermOntoError(f"no column {column!r} (columns: {', '.join(table.column_names)})")
    strings = table.set_column(
        table.column_names.index(column), column, table.column(column).cast(pa.string())
    )
    options = LabelOptions(column=column, levels=tuple(levels), unknown=unknown, prefix=prefix)
    batcher = LabelBatcher(LabelPlan(ontology, options.levels), options, strings.schema)
    batches = [batcher(b)[0] for b in strings.to_batches()]
    return pa.Table.from_batches(batches, schema=batcher.schema)


def label_table(
    ontology: Ontology,
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: LabelOptions,
) -> LabelReport:
    """Label a CSV/Parquet table; write OUTPUT, its class maps and the optional arrays.

    Columns the table already has under the added names are replaced (listed in
    ``report.replaced_columns``). The outputs are written as a set: the table first, then
    its class maps and arrays; a failed run leaves none of them.
    """
    import numpy as np

    from derm_onto.files import atomic_paths, refuse_overwriting_inputs
    from derm_onto.heap import paused_collection
    from derm_onto.tables import TableWriter, check_columns, tracked_batches

    plan = LabelPlan(ontology, options.levels)
    if options.distance_matrix is not None:
        level = options.distance_level or plan.levels[-1]
        if level not in plan.classes:
            raise DermOntoError(f"--distance-level {level} is not one of --levels")
    columns = check_columns(source, [options.column], [], "")
    batcher = LabelBatcher(plan, options, columns, source)
    extras = [p for p in (options.multi_hot, options.distance_matrix) if p is not None]
    targets = [Path(output), class_map_path(output), *extras]
    refuse_overwriting_inputs([source], targets)
    distinct: dict[str, int] = {}  # global code of each distinct value, for the multi-hot
    codes: list[Any] = []
    with (
        atomic_paths(targets) as temporaries,
        TableWriter(output, batcher.schema, temporary=temporaries[0]) as writer,
        tracked_batches(source, "labels", columns) as batches,
        paused_collection(),
    ):
        for batch in batches:
            out, values, indices = batcher(batch)
            writer.write(out)
            if options.multi_hot is not None:
                mapping = np.array(
                    [distinct.setdefault(v, len(distinct)) for v in values], dtype=np.int32
                )
                codes.append(mapping[indices])
        report = batcher.report
        report.distinct_labels = len(plan.codes.code)
        temporaries[1].write_bytes(
            (json.dumps(class_maps(plan), indent=2, ensure_ascii=False) + "\n").encode()
        )
        rest = iter(temporaries[2:])
        if options.multi_hot is not None:
            _write_multi_hot(plan, distinct, codes, next(rest))
        if options.distance_matrix is not None:
            level = options.distance_level or plan.levels[-1]
            matrix = np.asarray(
                hierarchy.distance_matrix(plan.graph, plan.classes[level]), dtype=np.int16
            )
            with next(rest).open("wb") as handle:
                np.save(handle, matrix)
    return report


def _write_multi_hot(
    plan: LabelPlan, distinct: dict[str, int], codes: list[Any], target: Path
) -> None:
    """Rows x nodes uint8: each matched id and all its ancestors set."""
    import numpy as np

    table = np.zeros((max(len(distinct), 1), len(plan.node_classes)), dtype=np.uint8)
    for value, code in distinct.items():
        for term_id in plan.resolve(value).ids:
            for node in hierarchy.ancestors(plan.graph, term_id, reflexive=True):
                table[code, plan.node_index[node]] = 1
    all_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32)
    array = np.lib.format.open_memmap(
        str(target), mode="w+", dtype=np.uint8, shape=(len(all_codes), len(plan.node_classes))
    )
    step = 65536
    for start in range(0, len(all_codes), step):
        array[start : start + step] = table[all_codes[start : start + step]]
    array.flush()
    del array
