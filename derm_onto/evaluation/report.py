"""Render an :class:`~derm_onto.evaluation.core.EvaluationResult` as JSON, Markdown or HTML.

One renderer per format, chosen from :data:`RENDERERS`; an unknown format raises
``ValueError``. Output is deterministic: the same result renders to the same bytes.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> from derm_onto.evaluation import evaluate
>>> r = evaluate(load(bundled_ontology_path()), ["melanoma"], ["BCC"], levels=(1,))
>>> print(render(r, "markdown").splitlines()[0])
# Hierarchical evaluation
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Mapping
from typing import Any

from derm_onto.evaluation.core import EvaluationResult


def _fmt(value: Any, ci: Any = None) -> str:
    if isinstance(value, float):
        text = f"{value:.4f}"
        if ci is not None:
            text += f" [{ci[0]:.4f}, {ci[1]:.4f}]"
        return text
    return str(value)


def render_json(result: EvaluationResult, images: Mapping[str, bytes] | None = None) -> str:
    """The nested JSON report (``images`` are ignored: plots are separate files)."""
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"


def _sections(result: EvaluationResult) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table of the report, shared by Markdown and HTML."""
    d = result.as_dict()
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    overall = [
        ["rows scored", _fmt(d["n"])],
        ["exact-term accuracy", _fmt(d["accuracy"], d.get("accuracy_ci"))],
    ]
    for key in ("precision", "recall", "f1"):
        overall.append(
            [
                f"hierarchical {key}",
                _fmt(d["hierarchical"][key], d["hierarchical"].get(f"{key}_ci")),
            ]
        )
    m = d["mistakes"]
    overall += [
        ["mistakes", _fmt(m["n"])],
        ["mean tree distance of a mistake", _fmt(m["mean_distance"], m.get("mean_distance_ci"))],
        [
            "mean depth of the common ancestor",
            _fmt(m["mean_lca_depth"], m.get("mean_lca_depth_ci")),
        ],
    ]
    tables.append(("Overall", ["figure", "value"], overall))
    level_rows = []
    for level, fig in d["levels"].items():
        level_rows.append(
            [
                level,
                fig["name"],
                str(fig["classes"]),
                *(
                    _fmt(fig[k], fig.get(f"{k}_ci"))
                    for k in ("accuracy", "balanced_accuracy", "macro_f1")
                ),
            ]
        )
    header = ["level", "name", "classes", "accuracy", "balanced accuracy", "macro F1"]
    tables.append(("Per level", header, level_rows))
    if "top_k" in d:
        rows = [
            [
                k,
                _fmt(v["accuracy"], v.get("accuracy_ci")),
                _fmt(v["mean_distance"], v.get("mean_distance_ci")),
            ]
            for k, v in d["top_k"].items()
        ]
        tables.append(("Top-k", ["k", "accuracy", "hierarchical distance@k"], rows))
    for mode, per_level in d.get("zero_shot", {}).items():
        rows = [
            [
                level,
                *(
                    _fmt(fig[k], fig.get(f"{k}_ci"))
                    for k in ("accuracy", "balanced_accuracy", "macro_f1")
                ),
            ]
            for level, fig in per_level.items()
        ]
        title = f"Hierarchical zero-shot ({mode.replace('_', '-')})"
        tables.append((title, ["level", "accuracy", "balanced accuracy", "macro F1"], rows))
    rows = [
        [
            f"{c['truth_label']} ({c['truth']})",
            f"{c['pred_label']} ({c['pred']})",
            str(c["count"]),
            c["lca_label"],
            str(c["distance"]),
        ]
        for c in d["confusions"]
    ]
    tables.append(
        (
            "Most frequent confusions",
            ["truth", "prediction", "rows", "common ancestor", "distance"],
            rows,
        )
    )
    rows = [
        [role, str(u["rows"]), "; ".join(f"{v} ({n})" for v, n in u["values"].items())]
        for role, u in d["unresolved"].items()
    ]
    tables.append(("Unresolved values", ["column", "rows", "most frequent"], rows))
    return tables


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: EvaluationResult, images: Mapping[str, bytes] | None = None) -> str:
    """A Markdown report; ``images`` (name -> PNG bytes) are linked by file name."""
    d = result.as_dict()
    lines = ["# Hierarchical evaluation", ""]
    lines.append(
        f"Ontology {d['ontology']['id']} {d['ontology']['version']}; {d['rows']['read']} rows "
        f"read, {d['n']} scored."
        + (
            f" 95% intervals from {d['bootstrap']['replicates']} bootstrap resamples "
            f"(seed {d['bootstrap']['seed']})."
            if result.bootstrap
            else ""
        )
    )
    for title, header, rows in _sections(result):
        lines += ["", f"## {title}", ""]
        if not rows:
            lines.append("(none)")
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(" --- " for _ in header) + "|")
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    for note in result.notes:
        lines += ["", f"Note: {note}"]
    if images:
        lines += ["", "## Figures", ""]
        lines += [f"![{name}]({name})" for name in images]
    return "\n".join(lines) + "\n"


def render_html(result: EvaluationResult, images: Mapping[str, bytes] | None = None) -> str:
    """A self-contained HTML report; ``images`` are embedded as PNG data URIs."""
    d = result.as_dict()
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Hierarchical evaluation</title>',
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.25em .5em;text-align:left}th{background:#f3f3f3}img{max-width:100%}</style>",
        "</head><body>",
        "<h1>Hierarchical evaluation</h1>",
        f"<p>Ontology {e(d['ontology']['id'])} {e(d['ontology']['version'])}; "
        f"{d['rows']['read']} rows read, {d['n']} scored.</p>",
    ]
    for title, header, rows in _sections(result):
        parts.append(f"<h2>{e(title)}</h2>")
        if not rows:
            parts.append("<p>(none)</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts += [f"<p>Note: {e(note)}</p>" for note in result.notes]
    for name, data in (images or {}).items():
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<h2>{e(name)}</h2><img alt="{e(name)}" src="data:image/png;base64,{encoded}">'
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


Renderer = Callable[[EvaluationResult, Mapping[str, bytes] | None], str]
RENDERERS: dict[str, Renderer] = {
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}


def render(result: EvaluationResult, fmt: str, images: Mapping[str, bytes] | None = None) -> str:
    """The report in ``fmt`` (``json``, ``markdown`` or ``html``)."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"could not find a renderer to handle {fmt!r}")
    return renderer(result, images)
