"""Hierarchical evaluation: per-level, hierarchical and mistake-severity figures.

Researchers who train on multi-granular labels usually report flat accuracy, which scores
"melanoma -> melanoma in situ" like "melanoma -> psoriasis". This package scores predictions
(or a score matrix) against the ontology:

* :mod:`~derm_onto.evaluation.space`: per-ontology lookup tables (ancestors, distances, LCA
  depths, level projections), built once;
* :mod:`~derm_onto.evaluation.metrics`: the figures, vectorised over weighted units, and
  seeded bootstrap intervals;
* :mod:`~derm_onto.evaluation.scores`: score matrices, top-k, hierarchical zero-shot;
* :mod:`~derm_onto.evaluation.core`: :func:`evaluate` and :func:`evaluate_table`;
* :mod:`~derm_onto.evaluation.report` and :mod:`~derm_onto.evaluation.plots`: JSON,
  Markdown and HTML reports, matplotlib figures.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> r = evaluate(load(bundled_ontology_path()), ["melanoma"], ["melanoma"], levels=(1,))
>>> r.figures["hierarchical.f1"]
1.0
"""

from __future__ import annotations

from derm_onto.evaluation.core import EvaluationResult, evaluate, evaluate_table

__all__ = ["EvaluationResult", "evaluate", "evaluate_table"]
