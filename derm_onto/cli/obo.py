"""Commands of the OBO world: ``render`` draws the hierarchy.

The OBO, OBO Graphs and SSSOM exports are formats of ``export`` (see
:func:`derm_onto.obo.register_formats`); ``diff`` lives in :mod:`derm_onto.cli.diff`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from derm_onto.cli._common import ONTOLOGY_OPTION, OUTPUT_OPTION, load_ontology

if TYPE_CHECKING:
    from derm_onto.model import Kind
    from derm_onto.render import Format


@click.command()
@click.argument("terms", nargs=-1)
@ONTOLOGY_OPTION
@click.option(
    "--depth", type=click.IntRange(min=1), help="Levels to draw (a start term is level 1)."
)
@OUTPUT_OPTION
@click.option(
    "--kind",
    type=click.Choice(["conditions", "concepts", "findings"]),
    default="conditions",
    show_default=True,
    help="Which hierarchy to draw.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png", "html"]),
    default=None,
    help="Picture format; default: from -o's extension.",
)
def render(
    terms: tuple[str, ...],
    ontology_path: Path | None,
    depth: int | None,
    output: Path,
    kind: str,
    fmt: str | None,
) -> None:
    """Draw the hierarchy under TERMs (default: all of it) as SVG or PNG (graphviz), or as
    a self-contained HTML page with a collapsible, searchable tree."""
    from derm_onto.cli._common import write_or_echo
    from derm_onto.matching import resolve_term
    from derm_onto.render import format_of, render, subtree

    try:
        chosen = fmt or format_of(str(output))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-o/--output") from None
    onto = load_ontology(ontology_path)
    which = cast("Kind", kind)
    starts = [resolve_term(onto, t, which) for t in terms] or None
    write_or_echo(render(onto, starts, depth, cast("Format", chosen), which), output)
    drawn = len(subtree(onto, starts, depth, which).nodes)
    click.echo(f"{output}: {drawn} terms", err=True)


COMMANDS: tuple[click.Command, ...] = (render,)
