"""The ``evaluate`` command: per-level, hierarchical and mistake-severity figures."""

from __future__ import annotations

import os
from pathlib import Path

import click

from derm_onto.cli._common import ONTOLOGY_OPTION, PATH_TYPE, load_ontology, parse_levels
from derm_onto.evaluation.core import UnknownPolicy


def _parse_ks(value: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give k values as 1,5", param_hint="--top-k") from None
    if any(k < 1 for k in ks):
        raise click.BadParameter(f"{value!r}: k must be at least 1", param_hint="--top-k")
    return ks


@click.command()
@click.argument("table", type=PATH_TYPE)
@click.option("--truth", "truth_column", required=True, help="Column holding the true labels.")
@click.option("--pred", "pred_column", help="Column holding the predicted labels.")
@click.option(
    "--scores", "scores_path", type=PATH_TYPE, help="Rows x classes scores (.npy/.parquet)."
)
@click.option(
    "--classes",
    "classes_path",
    type=PATH_TYPE,
    help="The scored classes in column order: one per line, or prompts JSON.",
)
@ONTOLOGY_OPTION
@click.option("--levels", default="1,2,3,4", show_default=True, help="Levels to report.")
@click.option(
    "--top-k", "top_k", default="1,5", show_default=True, help="k values (with --scores)."
)
@click.option("--softmax", is_flag=True, help="Turn scores into probabilities (row softmax).")
@click.option(
    "--temperature",
    type=float,
    default=None,
    help="Softmax temperature (CLIP logit scale 100 = 0.01); implies --softmax.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Bootstrap resamples for 95% intervals (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option(
    "--unknown",
    type=click.Choice(["error", "drop"]),
    default="error",
    show_default=True,
    help="Rows whose truth or prediction does not resolve to one condition.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "html"]),
    default="json",
    show_default=True,
)
@click.option(
    "--plots",
    "plots_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write PNG figures into this folder.",
)
@click.option(
    "--plot-level",
    type=int,
    help="Level of the confusion heatmap (default: the second of --levels).",
)
@click.option("-o", "--output", type=PATH_TYPE, help="Report file (default: stdout).")
def evaluate(
    table: Path,
    truth_column: str,
    pred_column: str | None,
    scores_path: Path | None,
    classes_path: Path | None,
    ontology_path: Path | None,
    levels: str,
    top_k: str,
    softmax: bool,
    temperature: float | None,
    bootstrap: int,
    seed: int,
    unknown: UnknownPolicy,
    fmt: str,
    plots_dir: Path | None,
    plot_level: int | None,
    output: Path | None,
) -> None:
    """Score predictions (--pred) or a score matrix (--scores, --classes) in TABLE against
    --truth: per level, hierarchically, and by how far mistakes land in the hierarchy."""
    from derm_onto.cli._common import write_or_echo
    from derm_onto.evaluation import evaluate_table, plots, report
    from derm_onto.evaluation.core import default_plot_level

    if (pred_column is None) == (scores_path is None):
        raise click.UsageError("give exactly one of --pred and --scores")
    if scores_path is not None and classes_path is None:
        raise click.UsageError("--scores needs --classes")
    if temperature is not None and temperature <= 0:
        raise click.BadParameter("must be positive", param_hint="--temperature")
    level_list = parse_levels(levels)
    if plot_level is not None and plot_level not in level_list:
        raise click.BadParameter(f"{plot_level} is not one of --levels", param_hint="--plot-level")
    result = evaluate_table(
        load_ontology(ontology_path),
        table,
        truth_column,
        pred_column,
        scores_path=scores_path,
        classes_path=classes_path,
        levels=level_list,
        top_k=_parse_ks(top_k),
        softmax=softmax or temperature is not None,
        temperature=temperature or 1.0,
        bootstrap=bootstrap,
        seed=seed,
        unknown=unknown,
    )
    images: dict[str, bytes] = {}
    if plots_dir is not None:
        made = plots.make_plots(result, plot_level or default_plot_level(level_list))
        written = plots.write_plots(made, plots_dir)
        base = output.parent if output is not None else Path()
        images = {
            os.path.relpath(path, base): data
            for path, data in zip(written, made.values(), strict=True)
        }
    write_or_echo(report.render(result, fmt, images).encode("utf-8"), output)
    for role, found in result.unresolved.items():
        if found.rows:
            click.echo(f"{table}: {found.rows} rows with unresolved {role} left out", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)


COMMANDS: tuple[click.Command, ...] = (evaluate,)
