"""The ``diff`` command: what changed between two ontology files."""

from __future__ import annotations

from pathlib import Path

import click

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("diff")
@click.argument("old", type=EXISTING_FILE)
@click.argument("new", type=EXISTING_FILE)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Markdown for a pull request, JSON for machines.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
@click.pass_context
def diff_command(ctx: click.Context, old: Path, new: Path, fmt: str, output: Path | None) -> None:
    """Report added, removed, obsoleted, relabelled and moved terms, and synonym, xref and
    definition changes from OLD to NEW (ontology JSON files).

    Exit status as diff(1): 0 when the ontologies are equal, 1 when they differ, 2 on
    trouble (a file that cannot be read).
    """
    from derm_onto.cli._common import load_ontology, write_or_echo
    from derm_onto.diff import diff, to_json, to_markdown
    from derm_onto.errors import DermOntoError

    try:
        before, after = load_ontology(old), load_ontology(new)
        changes = diff(before, after)
        if fmt == "json":
            text = to_json(changes, str(old), str(new))
        else:
            names = {t.id: t.label for onto in (before, after) for t in onto.terms()}
            text = to_markdown(changes, str(old), str(new), names)
        write_or_echo(text.encode("utf-8"), output)
    except DermOntoError as exc:
        click.echo(f"derm-onto: error: {exc}", err=True)
        ctx.exit(2)
    ctx.exit(1 if changes else 0)


COMMANDS: tuple[click.Command, ...] = (diff_command,)
