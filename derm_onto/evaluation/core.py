"""``evaluate``: predictions or scores against the truth, per level and hierarchically.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> result = evaluate(
...     load(bundled_ontology_path()),
...     truth=["melanoma", "melanoma", "psoriasis"],
...     pred=["melanoma", "basal cell carcinoma", "psoriasis"],
...     levels=(1, 2),
... )
>>> result.n, round(result.figures["accuracy"], 3), result.figures["levels.2.accuracy"]
(3, 0.667, 1.0)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from derm_onto import hierarchy
from derm_onto.errors import DermOntoError
from derm_onto.evaluation import metrics, scores
from derm_onto.evaluation.space import HierarchySpace, Unresolved
from derm_onto.model import Ontology

UnknownPolicy = Literal["error", "drop"]


@dataclass
class EvaluationResult:
    """Every figure of one evaluation, and what was left out.

    ``figures`` is flat (``"levels.2.macro_f1"``); :meth:`as_dict` nests it for JSON, with
    ``*_ci`` intervals beside each rate when bootstrapped.
    """

    n: int
    figures: dict[str, float]
    levels: tuple[int, ...]
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    unresolved: dict[str, Unresolved] = field(default_factory=dict)
    rows_read: int = 0
    confusions: list[dict[str, Any]] = field(default_factory=list)
    distance_histogram: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    bootstrap: dict[str, Any] = field(default_factory=dict)
    ontology: dict[str, str] = field(default_factory=dict)
    space: HierarchySpace | None = field(default=None, repr=False, compare=False)
    units: metrics.Units | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON report: nested figures, intervals, unresolved values and confusions."""
        out: dict[str, Any] = {}
        for name, value in self.figures.items():
            _put(out, name, round(value) if name in metrics.COUNTS else value)
            if name in self.intervals:
                _put(out, name + "_ci", list(self.intervals[name]))
        if self.space is not None:
            for level in self.levels:
                out["levels"][str(level)]["name"] = self.space.level_name(level)
                out["levels"][str(level)]["classes"] = len(self.space.level_classes[level])
        out["mistakes"]["distance_histogram"] = {
            str(k): v for k, v in sorted(self.distance_histogram.items())
        }
        out["rows"] = {"read": self.rows_read, "scored": self.n}
        out["unresolved"] = {k: v.as_dict() for k, v in self.unresolved.items()}
        out["confusions"] = self.confusions
        if self.bootstrap:
            out["bootstrap"] = self.bootstrap
        out["ontology"] = self.ontology
        out["notes"] = self.notes
        return out


def _put(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *path, last = dotted.split(".")
    for key in path:
        tree = tree.setdefault(key, {})
    tree[last] = value


def _check_unknown(
    unresolved: dict[str, Unresolved], policy: UnknownPolicy, source: str, columns: dict[str, str]
) -> None:
    if policy == "drop":
        return
    for role, found in unresolved.items():
        if found.rows:
            listed = "; ".join(f"{v!r} ({n} rows)" for v, n in found.values.most_common(5))
            raise DermOntoError(
                f"{source}: {found.rows} rows of column {columns[role]!r} do not resolve to "
                f"one condition: {listed} (use --unknown drop to leave them out)"
            )


def _check_columns(table: Any, columns: Sequence[str], required: Sequence[str]) -> None:
    for name in required:
        if name not in columns:
            raise DermOntoError(f"{table}: no column {name!r} (columns: {', '.join(columns)})")


def _confusions(
    space: HierarchySpace, units: metrics.Units, limit: int = 10
) -> list[dict[str, Any]]:
    import numpy as np

    pairs = units if not units.top_hit else metrics.Units.from_pairs(units.truth, units.pred)
    wrong = np.flatnonzero(pairs.truth != pairs.pred)
    order = wrong[np.lexsort((pairs.pred[wrong], pairs.truth[wrong], -pairs.weight[wrong]))]
    out = []
    for i in order[:limit].tolist():
        t, p = space.nodes[int(pairs.truth[i])], space.nodes[int(pairs.pred[i])]
        lca = hierarchy.lowest_common_ancestors(space.graph, t, p)
        out.append(
            {
                "truth": t,
                "truth_label": space.label(t),
                "pred": p,
                "pred_label": space.label(p),
                "count": int(pairs.weight[i]),
                "lca": lca,
                "lca_label": ", ".join(space.label(a) for a in lca) or "(virtual root)",
                "distance": int(space.distance[pairs.truth[i], pairs.pred[i]]),
            }
        )
    return out


def evaluate(
    ontology: Ontology,
    truth: Any,
    pred: Any = None,
    *,
    scores_matrix: Any = None,
    classes: Sequence[str] | None = None,
    levels: Sequence[int] = (1, 2, 3, 4),
    top_k: Sequence[int] = (1, 5),
    softmax: bool = False,
    temperature: float = 1.0,
    bootstrap: int = 0,
    seed: int = 0,
    unknown: UnknownPolicy = "error",
    source: str = "input",
    space: HierarchySpace | None = None,
) -> EvaluationResult:
    """Evaluate predictions (``pred``) or a score matrix (``scores_matrix`` with its
    ``classes`` in column order) against ``truth``.

    ``truth`` and ``pred`` are sequences (or pyarrow arrays) of ids or any text the matcher
    resolves. ``softmax`` turns score rows into probabilities (of ``scores / temperature``);
    without it, zero-shot figures need rows that already are probabilities. Values that do
    not resolve to exactly one condition raise :class:`~derm_onto.errors.DermOntoError`
    (``unknown="error"``) or leave their rows out (``"drop"``); either way they are counted
    in ``result.unresolved``.
    """
    space = space or HierarchySpace(ontology)
    unresolved = {"truth": Unresolved()}
    t = space.codes(truth, unresolved["truth"])
    p = None
    if pred is not None:
        unresolved["pred"] = Unresolved()
        p = space.codes(pred, unresolved["pred"])
    return _evaluate_codes(
        space,
        t,
        p,
        scores_matrix=scores_matrix,
        classes=classes,
        levels=levels,
        top_k=top_k,
        softmax=softmax,
        temperature=temperature,
        bootstrap_replicates=bootstrap,
        seed=seed,
        unknown=unknown,
        source=source,
        unresolved=unresolved,
        columns={"truth": "truth", "pred": "pred"},
    )


def _evaluate_codes(
    space: HierarchySpace,
    t: Any,
    p: Any,
    *,
    scores_matrix: Any,
    classes: Sequence[str] | None,
    levels: Sequence[int],
    top_k: Sequence[int],
    softmax: bool,
    temperature: float,
    bootstrap_replicates: int,
    seed: int,
    unknown: UnknownPolicy,
    source: str,
    unresolved: dict[str, Unresolved],
    columns: dict[str, str],
    classes_source: str = "class list",
    scores_source: str = "scores",
) -> EvaluationResult:
    import numpy as np

    levels = tuple(levels)
    for level in levels:
        if not 1 <= level <= space.n_levels:
            raise DermOntoError(f"level {level} is outside 1..{space.n_levels}")
    if (p is None) == (scores_matrix is None):
        raise DermOntoError("give either predictions or a score matrix, not both or neither")
    if temperature <= 0:
        raise DermOntoError(f"temperature must be positive, not {temperature}")
    _check_unknown(unresolved, unknown, source, columns)
    rows = len(t)
    keep = t >= 0
    if p is not None:
        if len(p) != rows:
            raise DermOntoError(f"{source}: {rows} truth values but {len(p)} predictions")
        keep &= p >= 0
    notes: list[str] = []
    if scores_matrix is not None:
        if classes is None:
            raise DermOntoError("a score matrix needs its class list")
        if scores_matrix.shape[0] != rows:
            raise DermOntoError(
                f"{source}: {rows} rows but the score matrix has {scores_matrix.shape[0]}"
            )
        codes = scores.class_codes(space, classes, classes_source)
        matrix = scores_matrix if keep.all() else scores_matrix[keep]
        units = scores.score_units(
            space,
            t[keep],
            matrix,
            codes,
            top_k,
            use_softmax=softmax,
            temperature=temperature,
            notes=notes,
            source=scores_source,
        )
    else:
        units = metrics.Units.from_pairs(t[keep], p[keep])
    if len(units) == 0:
        raise DermOntoError(f"{source}: no rows left to evaluate")
    figures = metrics.figures(space, units, levels, units.weight)
    intervals = (
        metrics.bootstrap(space, units, levels, bootstrap_replicates, seed)
        if bootstrap_replicates
        else {}
    )
    wrong = units.truth != units.pred
    histogram = np.bincount(
        space.distance[units.truth[wrong], units.pred[wrong]], weights=units.weight[wrong]
    )
    return EvaluationResult(
        n=round(figures["n"]),
        figures=figures,
        levels=levels,
        intervals=intervals,
        unresolved=unresolved,
        rows_read=rows,
        confusions=_confusions(space, units),
        distance_histogram={d: int(c) for d, c in enumerate(histogram.tolist()) if c},
        notes=notes,
        bootstrap=(
            {"replicates": bootstrap_replicates, "seed": seed, "confidence": 0.95}
            if bootstrap_replicates
            else {}
        ),
        ontology={"id": space.ontology.id, "version": space.ontology.version},
        space=space,
        units=units,
    )


def evaluate_table(
    ontology: Ontology,
    table: str | os.PathLike[str],
    truth_column: str,
    pred_column: str | None = None,
    *,
    scores_path: str | os.PathLike[str] | None = None,
    classes_path: str | os.PathLike[str] | None = None,
    levels: Sequence[int] = (1, 2, 3, 4),
    top_k: Sequence[int] = (1, 5),
    softmax: bool = False,
    temperature: float = 1.0,
    bootstrap: int = 0,
    seed: int = 0,
    unknown: UnknownPolicy = "error",
) -> EvaluationResult:
    """:func:`evaluate` over a CSV/TSV/Parquet table, streamed in batches: each batch's
    distinct values are resolved once and its rows become node codes by a ``take``."""
    import numpy as np

    from derm_onto.tables import progress, read_batches

    if (pred_column is None) == (scores_path is None):
        raise DermOntoError("give either a prediction column or a score matrix")
    if scores_path is not None and classes_path is None:
        raise DermOntoError("a score matrix needs its class list")
    required = [truth_column] + ([pred_column] if pred_column else [])
    space = HierarchySpace(ontology)
    unresolved = {"truth": Unresolved()}
    if pred_column:
        unresolved["pred"] = Unresolved()
    truth_parts: list[Any] = []
    pred_parts: list[Any] = []
    with progress(desc="evaluate") as bar:
        for batch in read_batches(table):
            if not truth_parts:  # the header, checked on the first batch (one read)
                _check_columns(table, batch.schema.names, required)
            truth_parts.append(space.codes(batch.column(truth_column), unresolved["truth"]))
            if pred_column:
                pred_parts.append(space.codes(batch.column(pred_column), unresolved["pred"]))
            bar.update(batch.num_rows)
    empty = np.zeros(0, dtype=np.int32)
    t = np.concatenate(truth_parts) if truth_parts else empty
    p = (np.concatenate(pred_parts) if pred_parts else empty) if pred_column else None
    matrix = class_list = None
    if scores_path is not None:
        assert classes_path is not None
        class_list = scores.read_classes(classes_path)
        matrix = scores.read_scores(scores_path, class_list)
    return _evaluate_codes(
        space,
        t,
        p,
        scores_matrix=matrix,
        classes=class_list,
        levels=levels,
        top_k=top_k,
        softmax=softmax,
        temperature=temperature,
        bootstrap_replicates=bootstrap,
        seed=seed,
        unknown=unknown,
        source=str(table),
        unresolved=unresolved,
        columns={"truth": truth_column, "pred": pred_column or ""},
        classes_source=str(classes_path),
        scores_source=str(scores_path),
    )


def default_plot_level(levels: Sequence[int]) -> int:
    """The level whose confusion heatmap is drawn by default: the second requested, else
    the only one."""
    return levels[1] if len(levels) > 1 else levels[0]
