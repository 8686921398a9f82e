"""The figures of an evaluation, computed from weighted units with numpy lookups.

A *unit* is one (truth, prediction) pair of node codes with a weight: with predictions only,
rows are collapsed to their distinct pairs (weight = row count), so a million rows cost as
much as a few thousand pairs; with a score matrix every row is a unit (weight 1), carrying
its top-k and zero-shot results. A bootstrap replicate redraws the weights (multinomially,
which is the same as resampling rows with replacement), so every figure of every replicate
is the same vectorised computation.

Definitions (all micro over samples unless said):

* ``accuracy``: exact term agreement;
* ``levels.K.accuracy`` / ``balanced_accuracy`` / ``macro_f1``: truth and prediction
  projected to level K by the ``labels`` rule; balanced accuracy is the mean recall over the
  classes present in the truth, macro F1 the mean F1 over classes present in the truth or the
  prediction (scikit-learn's definitions);
* ``hierarchical.precision`` = sum |A(t) & A(p)| / sum |A(p)|, ``recall`` = sum |A(t) & A(p)|
  / sum |A(t)|, ``f1`` their harmonic mean, with A(x) the ancestors of x including x (the
  virtual root excluded): Kiritchenko et al. 2005, as hiclass computes them;
* ``mistakes``: over wrong predictions, the mean tree distance and the mean depth of the
  deepest common ancestor (0 when they meet only at the virtual root); both 0.0 when there
  are no mistakes;
* ``top_k.k.accuracy``: the truth among the k best-scored classes; ``top_k.k.mean_distance``:
  the mean tree distance from the truth to each of the k best classes (hierarchical
  distance@k, Bertinetto et al. 2020).

>>> import numpy as np
>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> from derm_onto.evaluation.space import HierarchySpace
>>> space = HierarchySpace(load(bundled_ontology_path()))
>>> t = np.array([space.code("melanoma")] * 2, dtype=np.int32)
>>> p = np.array([space.code("melanoma"), space.code("BCC")], dtype=np.int32)
>>> units = Units.from_pairs(t, p)
>>> figures(space, units, (1,), units.weight)["accuracy"]
0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from derm_onto.evaluation.space import HierarchySpace


@dataclass
class Units:
    """Weighted (truth, prediction) units and, with scores, their per-row extras."""

    truth: Any  # int32 node codes
    pred: Any  # int32 node codes
    weight: Any  # float64 base weights (row counts)
    top_hit: dict[int, Any] = field(default_factory=dict)  # k -> float (0/1) per unit
    top_distance: dict[int, Any] = field(default_factory=dict)  # k -> mean distance per unit
    level_pred: dict[str, dict[int, Any]] = field(default_factory=dict)  # mode -> K -> codes

    @classmethod
    def from_pairs(cls, truth: Any, pred: Any) -> Units:
        """Collapse rows to their distinct (truth, prediction) pairs, weighted by count."""
        import numpy as np

        if len(truth) == 0:
            empty = np.zeros(0, dtype=np.int32)
            return cls(empty, empty, np.zeros(0))
        size = int(max(truth.max(), pred.max())) + 1
        keys = truth.astype(np.int64) * size + pred
        if size * size <= 1 << 22:  # a counting pass beats sorting the rows
            per_key = np.bincount(keys, minlength=size * size)
            unique = np.flatnonzero(per_key)
            counts = per_key[unique]
        else:
            unique, counts = np.unique(keys, return_counts=True)
        return cls(
            (unique // size).astype(np.int32),
            (unique % size).astype(np.int32),
            counts.astype(np.float64),
        )

    def __len__(self) -> int:
        return len(self.truth)


def confusion(truth: Any, pred: Any, n_classes: int, weight: Any) -> Any:
    """A weighted confusion matrix (rows: truth, columns: prediction)."""
    import numpy as np

    flat = np.bincount(
        truth.astype(np.int64) * n_classes + pred, weights=weight, minlength=n_classes**2
    )
    return flat.reshape(n_classes, n_classes)


def flat_scores(matrix: Any) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro F1 of a confusion matrix.

    >>> import numpy as np
    >>> flat_scores(np.array([[2.0, 0.0], [1.0, 1.0]]))["balanced_accuracy"]
    0.75
    """
    import numpy as np

    return class_scores(np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0))


def class_scores(diag: Any, support: Any, predicted: Any) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro F1 from per-class hits, truth counts and
    prediction counts (all a confusion matrix is needed for)."""
    total = support.sum()
    present = support > 0
    both = (support + predicted) > 0
    recall = diag[present] / support[present]
    f1 = 2 * diag[both] / (support[both] + predicted[both])
    return {
        "accuracy": float(diag.sum() / total) if total else 0.0,
        "balanced_accuracy": float(recall.mean()) if recall.size else 0.0,
        "macro_f1": float(f1.mean()) if f1.size else 0.0,
    }


def _dot(weight: Any, column: Any) -> float:
    """A weighted sum by numpy's pairwise summation: deterministic, and free of the BLAS
    thread start-up that makes ``@`` slow on a busy machine."""
    return float((weight * column).sum())


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


@dataclass
class Prepared:
    """Per-unit float64 columns and flat confusion keys, computed once per evaluation so that
    a figure is a dot product with the weights (and a bootstrap replicate costs only that)."""

    columns: dict[str, Any]
    # name prefix -> (truth class, predicted class, hit (0/1 float), number of classes)
    keys: dict[str, tuple[Any, Any, Any, int]]


def prepare(space: HierarchySpace, units: Units, levels: Sequence[int]) -> Prepared:
    """The per-unit lookups of every figure (the only place the tables are indexed)."""
    import numpy as np

    t, p = units.truth, units.pred
    f64 = np.float64
    columns: dict[str, Any] = {
        "exact": (t == p).astype(f64),
        "shared": space.shared[t, p].astype(f64),
        "pred_size": space.sizes[p].astype(f64),
        "truth_size": space.sizes[t].astype(f64),
        "distance": space.distance[t, p].astype(f64),
        "lca_depth": space.lca_depth[t, p].astype(f64),
    }
    for k in sorted(units.top_hit):
        columns[f"top_k.{k}.accuracy"] = np.asarray(units.top_hit[k], dtype=f64)
        columns[f"top_k.{k}.mean_distance"] = np.asarray(units.top_distance[k], dtype=f64)
    keys: dict[str, tuple[Any, Any, Any, int]] = {}
    for level in levels:
        codes = space.level_code[level]
        size = len(space.level_classes[level])
        truth_codes = codes[t]
        preds = {"levels": codes[p]}
        preds.update({f"zero_shot.{m}": per[level] for m, per in units.level_pred.items()})
        for prefix, pred_codes in preds.items():
            hit = (truth_codes == pred_codes).astype(f64)
            keys[f"{prefix}.{level}"] = (truth_codes, pred_codes, hit, size)
    return Prepared(columns, keys)


def _level_scores(key: tuple[Any, Any, Any, int], weight: Any) -> dict[str, float]:
    import numpy as np

    truth, pred, hit, size = key
    return class_scores(
        np.bincount(truth, weights=weight * hit, minlength=size),
        np.bincount(truth, weights=weight, minlength=size),
        np.bincount(pred, weights=weight, minlength=size),
    )


def compute(prepared: Prepared, weight: Any) -> dict[str, float]:
    """Every figure for one weighting of the units, as a flat dict of dotted names."""

    c, w = prepared.columns, weight
    total = float(w.sum())
    out: dict[str, float] = {"n": total, "accuracy": _ratio(_dot(w, c["exact"]), total)}
    for prefix, key in prepared.keys.items():
        if prefix.startswith("levels."):
            for name, value in _level_scores(key, w).items():
                out[f"{prefix}.{name}"] = value
    shared = _dot(w, c["shared"])
    precision = _ratio(shared, _dot(w, c["pred_size"]))
    recall = _ratio(shared, _dot(w, c["truth_size"]))
    out["hierarchical.precision"] = precision
    out["hierarchical.recall"] = recall
    out["hierarchical.f1"] = _ratio(2 * precision * recall, precision + recall)
    wrong = w * (1 - c["exact"])
    n_wrong = float(wrong.sum())
    out["mistakes.n"] = n_wrong
    out["mistakes.mean_distance"] = _ratio(_dot(wrong, c["distance"]), n_wrong)
    out["mistakes.mean_lca_depth"] = _ratio(_dot(wrong, c["lca_depth"]), n_wrong)
    for name, column in c.items():
        if name.startswith("top_k."):
            out[name] = _ratio(_dot(w, column), total)
    for prefix, key in prepared.keys.items():
        if prefix.startswith("zero_shot."):
            for name, value in _level_scores(key, w).items():
                out[f"{prefix}.{name}"] = value
    return out


def figures(
    space: HierarchySpace, units: Units, levels: Sequence[int], weight: Any
) -> dict[str, float]:
    """Every figure of the evaluation, as a flat dict of dotted names -> floats."""
    return compute(prepare(space, units, levels), weight)


#: Figures that are counts, not rates: no interval is given for them.
COUNTS = frozenset({"n", "mistakes.n"})


def bootstrap(
    space: HierarchySpace,
    units: Units,
    levels: Sequence[int],
    replicates: int,
    seed: int,
    confidence: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of every rate, from ``replicates`` seeded resamples of the rows.

    Resampling n rows with replacement is drawing unit weights from a multinomial with the
    units' row shares, which is what is done (deterministic for a seed).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    total = int(units.weight.sum())
    shares = units.weight / units.weight.sum()
    prepared = prepare(space, units, levels)
    draws: dict[str, list[float]] = {}
    for _ in range(replicates):
        weight = rng.multinomial(total, shares).astype(np.float64)
        for name, value in compute(prepared, weight).items():
            if name not in COUNTS:
                draws.setdefault(name, []).append(value)
    tail = (1 - confidence) / 2 * 100
    return {
        name: (
            float(np.percentile(values, tail)),
            float(np.percentile(values, 100 - tail)),
        )
        for name, values in draws.items()
    }
