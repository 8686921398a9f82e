"""Score matrices: top-k, hierarchical distance@k and hierarchical zero-shot.

A score matrix has one row per table row and one column per scored class, in the order of a
class list (a text file with one class per line, or the JSON that ``derm-onto prompts``
writes, whose keys are the classes in evaluation order). Scores are logits, similarities or
probabilities; ``softmax`` (with a ``temperature``: CLIP's logit scale of 100 is a
temperature of 0.01) turns them into probabilities.

**Hierarchical zero-shot.** From the scored classes' probabilities every level is predicted
consistently:

* *summed*: a level-K class's probability is the sum of the probabilities of the scored
  classes under it. A scored class is under the level-K classes that the ``labels`` projection
  gives along each of its paths to the top; on a DAG a class with parents in two branches
  therefore counts toward both level-K classes (so a level's probabilities may sum to more
  than 1), but each scored class counts once per level-K class, however many paths lead
  there. On a tree each level's probabilities sum to 1.
* *top_down*: pick the most probable level-1 class, then at each next level the most
  probable of the classes whose level above is the one picked (probabilities as summed).

The matrix is processed in row chunks, so memory stays bounded whatever the row count.

>>> import numpy as np
>>> softmax(np.array([[0.0, 0.0]]), 1.0).tolist()
[[0.5, 0.5]]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from derm_onto import hierarchy
from derm_onto.errors import DermOntoError
from derm_onto.evaluation.metrics import Units
from derm_onto.evaluation.space import HierarchySpace

CHUNK = 8192
MODES = ("summed", "top_down")


def read_classes(path: str | os.PathLike[str]) -> list[str]:
    """Class names in column order: one per line, or a JSON list or object (keys in order)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DermOntoError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DermOntoError(f"{source}: cannot read class list: {exc}") from None
    if source.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DermOntoError(f"{source}: not JSON: {exc}") from None
        if not isinstance(data, dict | list) or not all(isinstance(x, str) for x in data):
            raise DermOntoError(f"{source}: expected a JSON list of class names or an object")
        names = list(data)
    else:
        names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise DermOntoError(f"{source}: no classes")
    return names


def read_scores(path: str | os.PathLike[str], classes: Sequence[str]) -> Any:
    """A rows x classes float matrix from ``.npy`` or Parquet.

    A Parquet file's columns are taken by class name when every class is a column, else
    all columns in file order.
    """
    import numpy as np

    source = Path(path)
    name = source.name.lower()
    try:
        if name.endswith(".npy"):
            matrix = np.load(source, mmap_mode="r", allow_pickle=False)
        elif name.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            table = pq.read_table(source)
            if all(c in table.column_names for c in classes):
                table = table.select(list(classes))
            matrix = (
                np.column_stack([c.to_numpy().astype(np.float64) for c in table.columns])
                if table.num_columns
                else np.zeros((table.num_rows, 0))
            )
        else:
            raise DermOntoError(f"{source}: unknown score format; use .npy or .parquet")
    except DermOntoError:
        raise
    except FileNotFoundError:
        raise DermOntoError(f"{source}: no such file") from None
    except Exception as exc:  # numpy / pyarrow raise many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DermOntoError(f"{source}: cannot read scores: {first}") from None
    if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.number):
        raise DermOntoError(f"{source}: expected a 2-D numeric matrix, got shape {matrix.shape}")
    if matrix.shape[1] != len(classes):
        raise DermOntoError(f"{source}: {matrix.shape[1]} score columns but {len(classes)} classes")
    return matrix


def softmax(scores: Any, temperature: float) -> Any:
    """Row-wise softmax of ``scores / temperature`` (numerically stable)."""
    import numpy as np

    z = np.asarray(scores, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def class_codes(space: HierarchySpace, classes: Sequence[str], source: str) -> Any:
    """The node code of every scored class; an error names the ones that do not resolve."""
    import numpy as np

    codes = np.array([space.code(c) for c in classes], dtype=np.int32)
    bad = [f"{i + 1}: {c!r}" for i, (c, k) in enumerate(zip(classes, codes, strict=True)) if k < 0]
    if bad:
        raise DermOntoError(
            f"{source}: {len(bad)} classes do not resolve to one condition: {'; '.join(bad[:5])}"
        )
    seen: dict[int, str] = {}
    for name, code in zip(classes, codes.tolist(), strict=True):
        if code in seen:
            raise DermOntoError(f"{source}: classes {seen[code]!r} and {name!r} are the same term")
        seen[code] = name
    return codes


def level_members(space: HierarchySpace, codes: Any) -> dict[int, list[Any]]:
    """Per level, per level class: the scored-class columns under it (see module doc)."""
    import numpy as np

    out: dict[int, list[Any]] = {}
    paths = {
        int(c): hierarchy.paths_to_top(space.graph, space.nodes[int(c)]) for c in codes.tolist()
    }
    for level in range(1, space.n_levels + 1):
        at = {c: i for i, c in enumerate(space.level_classes[level])}
        columns: list[list[int]] = [[] for _ in at]
        for column, code in enumerate(codes.tolist()):
            above = {at[hierarchy.project(p, level, space.n_levels)] for p in paths[code]}
            for j in sorted(above):
                columns[j].append(column)
        out[level] = [np.array(c, dtype=np.intp) for c in columns]
    return out


def level_probabilities(members: list[Any], probs_t: Any) -> Any:
    """Level-class probabilities (classes x rows) from scored-class probabilities
    (scored classes x rows): one sum per level class over its member columns."""
    import numpy as np

    out = np.zeros((len(members), probs_t.shape[1]))
    for j, cols in enumerate(members):
        if len(cols):
            out[j] = probs_t[cols].sum(axis=0)
    return out


def argmax_columns(matrix: Any) -> Any:
    """``matrix.argmax(axis=0)`` (first index on ties) for a C-ordered classes x rows
    matrix, one contiguous row at a time: numpy's strided reduction along axis 0 is several
    times slower."""
    import numpy as np

    best = matrix[0].copy()
    index = np.zeros(matrix.shape[1], dtype=np.int32)
    for j in range(1, matrix.shape[0]):
        better = matrix[j] > best
        np.copyto(best, matrix[j], where=better)
        index[better] = j
    return index


def is_probability(matrix: Any, tolerance: float = 1e-3) -> bool:
    """True when every row is non-negative and sums to 1 (within ``tolerance``)."""
    import numpy as np

    return bool((matrix >= -tolerance).all() and np.allclose(matrix.sum(axis=1), 1, atol=tolerance))


def score_units(
    space: HierarchySpace,
    truth: Any,
    scores: Any,
    codes: Any,
    top_k: Sequence[int],
    *,
    use_softmax: bool = False,
    temperature: float = 1.0,
    notes: list[str] | None = None,
    source: str = "scores",
) -> Units:
    """Per-row units from a score matrix: top-1 prediction, top-k and zero-shot results.

    ``scores`` rows align with ``truth`` (node codes, all resolved); rows that are not
    finite raise :class:`~derm_onto.errors.DermOntoError` naming ``source``.
    """
    import numpy as np

    notes = notes if notes is not None else []
    n, n_classes = scores.shape
    ks = sorted({k for k in top_k if k <= n_classes})
    dropped = sorted({k for k in top_k if k > n_classes})
    if dropped:
        notes.append(f"top-k {dropped} skipped: only {n_classes} scored classes")
    k_max = max(ks, default=1)
    members = level_members(space, codes)
    parent = {
        level: space.level_code[level - 1][[space.index[c] for c in space.level_classes[level]]]
        for level in range(2, space.n_levels + 1)
    }
    pred = np.empty(n, dtype=np.int32)
    hits = {k: np.empty(n) for k in ks}
    dists = {k: np.empty(n) for k in ks}
    level_pred: dict[str, dict[int, Any]] = {
        m: {lv: np.empty(n, dtype=np.int32) for lv in range(1, space.n_levels + 1)} for m in MODES
    }
    zero_shot = True
    for start in range(0, n, CHUNK):
        end = min(start + CHUNK, n)
        block = np.asarray(scores[start:end], dtype=np.float64)
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            row = start + int(np.flatnonzero(~finite)[0])
            raise DermOntoError(f"{source}: score row {row} (0-based) is not finite (NaN or inf)")
        if use_softmax:
            block = softmax(block, temperature)
        elif zero_shot and not is_probability(block):
            zero_shot = False
        t = truth[start:end]
        if k_max == 1:
            top = block.argmax(axis=1)[:, None]
        else:
            part = np.argpartition(-block, k_max - 1, axis=1)[:, :k_max]
            values = np.take_along_axis(block, part, axis=1)
            order = np.lexsort((part, -values), axis=1)  # best first; ties: first column
            top = np.take_along_axis(part, order, axis=1)
        top_nodes = codes[top]
        pred[start:end] = top_nodes[:, 0]
        for k in ks:
            hits[k][start:end] = (top_nodes[:, :k] == t[:, None]).any(axis=1)
            dists[k][start:end] = space.distance[t[:, None], top_nodes[:, :k]].mean(axis=1)
        if not zero_shot:
            continue
        probs_t = np.ascontiguousarray(block.T)
        chosen = None
        for level in range(1, space.n_levels + 1):
            probs = level_probabilities(members[level], probs_t)
            level_pred["summed"][level][start:end] = argmax_columns(probs)
            if chosen is not None:
                allowed = parent[level][:, None] == chosen[None, :]
                probs = np.where(allowed, probs, -np.inf)
            chosen = argmax_columns(probs)
            level_pred["top_down"][level][start:end] = chosen
    if not zero_shot:
        notes.append(
            "hierarchical zero-shot skipped: the scores are not probabilities "
            "(give --softmax, with --temperature for similarities)"
        )
    return Units(
        truth=truth,
        pred=pred,
        weight=np.ones(n),
        top_hit=hits,
        top_distance=dists,
        level_pred=level_pred if zero_shot else {},
    )
