"""Options and helpers shared by the command modules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from derm_onto.output import ROW_FORMATS


def default_ontology() -> Path:
    from derm_onto.resources import bundled_ontology_path

    return bundled_ontology_path()


#: Parameters that name files a command writes; every other path parameter is an input.
OUTPUT_PARAMETERS = frozenset({"output", "inferred_output", "multi_hot", "distance_matrix"})


def _paths(value: Any) -> list[Path]:
    if isinstance(value, Path):
        return [value]
    if isinstance(value, tuple | list):
        return [p for item in value for p in _paths(item)]
    name = getattr(value, "name", None)  # an open click.File
    if isinstance(name, str) and name not in ("-", "<stdin>", "<stdout>"):
        return [Path(name)]
    return []


#: the parameters of ONTOLOGY_OPTION and ONTOLOGY_ARGUMENT: left empty, the command reads
#: the bundled ontology
ONTOLOGY_PARAMETERS = ("ontology_path", "path")


class GuardedCommand(click.Command):
    """A command that refuses, before it runs, to write an output over one of its inputs
    (the bundled ontology counts as one when the command reads it by default) or two
    outputs onto one file. ``import derm1m ... -o ontology/derm1m.json``, which rebuilds the
    bundled file from its sources, is allowed."""

    def invoke(self, ctx: click.Context) -> Any:
        from derm_onto.files import refuse_overwriting_inputs

        outputs = [p for k in OUTPUT_PARAMETERS for p in _paths(ctx.params.get(k))]
        if outputs:
            inputs = [
                p for k, v in ctx.params.items() if k not in OUTPUT_PARAMETERS for p in _paths(v)
            ]
            if any(k in ctx.params and ctx.params[k] is None for k in ONTOLOGY_PARAMETERS):
                inputs.append(default_ontology())
            refuse_overwriting_inputs(inputs, outputs)
        return super().invoke(ctx)


def command(
    name: str | None = None, **attrs: Any
) -> Callable[[Callable[..., Any]], GuardedCommand]:
    """``click.command`` with the output guard of :class:`GuardedCommand`."""
    return click.command(name, cls=GuardedCommand, **attrs)


# Paths are checked by the library, so a folder or a missing file is one line and exit 1
PATH_TYPE = click.Path(path_type=Path)
ONTOLOGY_ARGUMENT = click.argument("path", type=PATH_TYPE, required=False)
ROWS_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(ROW_FORMATS),
    default="table",
    show_default=True,
    help="Output format of the rows.",
)
TEXT_JSON_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


OUTPUT_OPTION = click.option(
    "-o", "--output", type=PATH_TYPE, required=True, help="File to write (written atomically)."
)


ONTOLOGY_OPTION = click.option(
    "--ontology",
    "ontology_path",
    type=PATH_TYPE,
    default=None,
    help="Ontology file (default: the bundled Derm1M ontology).",
)


def load_ontology(path: Path | None) -> Any:
    from derm_onto.jsonio import load

    return load(path or default_ontology())


def parse_levels(value: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give levels as 1,2,3,4") from None
    return levels


def write_or_echo(data: bytes, output: Path | None) -> None:
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    from derm_onto.files import atomic_write

    with atomic_write(output) as handle:
        handle.write(data)
