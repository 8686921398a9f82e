"""PNG figures of an evaluation with matplotlib (Agg backend, no display needed).

* ``levels.png``: accuracy, balanced accuracy and macro F1 per level (bars, with the
  bootstrap intervals as error bars when there are any);
* ``confusion_level_K.png``: the confusion matrix at level K, row-normalised, over the most
  frequent classes;
* ``severity.png``: how far mistakes land (rows per tree distance).

PNGs carry no timestamp or software version, so the same result gives the same bytes.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> from derm_onto.evaluation import evaluate
>>> result = evaluate(load(bundled_ontology_path()), ["melanoma"], ["BCC"], levels=(1, 2))
>>> sorted(make_plots(result, 2))
['confusion_level_2.png', 'levels.png', 'severity.png']
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from derm_onto.errors import DermOntoError
from derm_onto.evaluation.core import EvaluationResult
from derm_onto.evaluation.metrics import confusion

MAX_CLASSES = 20
_METADATA = {"Software": None}


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata=_METADATA, bbox_inches="tight")
    return buffer.getvalue()


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def level_chart(result: EvaluationResult) -> bytes:
    """Bars of the per-level figures."""
    import numpy as np

    plt = _pyplot()
    names = ("accuracy", "balanced_accuracy", "macro_f1")
    levels = result.levels
    space = result.space
    figure, axes = plt.subplots(figsize=(1.8 + 1.6 * len(levels), 3.6))
    x = np.arange(len(levels))
    width = 0.26
    for i, name in enumerate(names):
        values = [result.figures[f"levels.{lv}.{name}"] for lv in levels]
        errors = None
        if result.intervals:
            lo = [
                values[j] - result.intervals[f"levels.{lv}.{name}"][0]
                for j, lv in enumerate(levels)
            ]
            hi = [
                result.intervals[f"levels.{lv}.{name}"][1] - values[j]
                for j, lv in enumerate(levels)
            ]
            errors = np.clip(np.array([lo, hi]), 0, None)
        axes.bar(
            x + (i - 1) * width,
            values,
            width,
            yerr=errors,
            capsize=3,
            label=name.replace("_", " ").replace("f1", "F1"),
        )
    ticks = [f"{lv}: {space.level_name(lv)}" if space else str(lv) for lv in levels]
    axes.set_xticks(x, ticks)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("score")
    axes.set_title(f"Per-level figures (n = {result.n})")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    data = _png(figure)
    plt.close(figure)
    return data


def confusion_heatmap(result: EvaluationResult, level: int) -> bytes:
    """The row-normalised confusion matrix at ``level`` over its most frequent classes."""
    import numpy as np

    space, units = result.space, result.units
    if space is None or units is None:
        raise DermOntoError("this result carries no rows to plot")
    plt = _pyplot()
    codes = space.level_code[level]
    classes = space.level_classes[level]
    matrix = confusion(codes[units.truth], codes[units.pred], len(classes), units.weight)
    frequency = matrix.sum(axis=1) + matrix.sum(axis=0)
    keep = np.argsort(-frequency, kind="stable")[: min(MAX_CLASSES, int((frequency > 0).sum()))]
    keep = np.sort(keep)
    sub = matrix[np.ix_(keep, keep)]
    rows = sub.sum(axis=1, keepdims=True)
    shown = np.divide(sub, rows, out=np.zeros_like(sub), where=rows > 0)
    labels = [space.label(classes[i]) for i in keep]
    size = 2.5 + 0.35 * len(keep)
    figure, axes = plt.subplots(figsize=(size + 1.5, size))
    image = axes.imshow(shown, cmap="Blues", vmin=0, vmax=1)
    if len(keep) <= 12:  # small enough to print the row counts in the cells
        for (i, j), count in np.ndenumerate(sub):
            if count:
                colour = "white" if shown[i, j] > 0.5 else "black"
                axes.text(j, i, f"{count:.0f}", ha="center", va="center", color=colour)
    axes.set_xticks(range(len(keep)), labels, rotation=60, ha="right", fontsize="small")
    axes.set_yticks(range(len(keep)), labels, fontsize="small")
    axes.set_xlabel("prediction")
    axes.set_ylabel("truth")
    more = "" if len(keep) == int((frequency > 0).sum()) else f", {len(keep)} most frequent classes"
    axes.set_title(f"Confusion at level {level} ({space.level_name(level)}{more})")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of truth row")
    data = _png(figure)
    plt.close(figure)
    return data


def severity_histogram(result: EvaluationResult) -> bytes:
    """Rows per tree distance of the mistakes."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5, 3.4))
    from matplotlib.ticker import MaxNLocator

    top = max(result.distance_histogram, default=1)
    distances = list(range(1, top + 1))
    axes.bar(distances, [result.distance_histogram.get(d, 0) for d in distances])
    axes.set_xticks(distances)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("tree distance between truth and prediction")
    axes.set_ylabel("mistakes (rows)")
    mean = result.figures["mistakes.mean_distance"]
    axes.set_title(f"Mistake severity (mean distance {mean:.2f})")
    axes.grid(axis="y", alpha=0.3)
    data = _png(figure)
    plt.close(figure)
    return data


def make_plots(result: EvaluationResult, level: int) -> dict[str, bytes]:
    """Every figure, as file name -> PNG bytes."""
    if level not in result.levels:
        raise DermOntoError(f"plot level {level} is not one of the evaluated levels")
    return {
        "levels.png": level_chart(result),
        f"confusion_level_{level}.png": confusion_heatmap(result, level),
        "severity.png": severity_histogram(result),
    }


def write_plots(images: dict[str, bytes], folder: str | os.PathLike[str]) -> list[Path]:
    """Write the PNGs into ``folder`` (created if missing), each atomically."""
    from derm_onto.files import atomic_write

    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DermOntoError(f"{target}: cannot create folder: {exc.strerror}") from None
    written = []
    for name, data in images.items():
        with atomic_write(target / name) as handle:
            handle.write(data)
        written.append(target / name)
    return written
