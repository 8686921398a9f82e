"""Options and helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def default_ontology() -> Path:
    from derm_onto.resources import bundled_ontology_path

    return bundled_ontology_path()


PATH_TYPE = click.Path(dir_okay=False, path_type=Path)
ONTOLOGY_ARGUMENT = click.argument("path", type=PATH_TYPE, required=False)
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


RDF_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "owl", "nt", "jsonld"]),
    default=None,
    help="RDF format (owl = RDF/XML); default: from -o's extension, else ttl.",
)


def write_or_echo(data: bytes, output: Path | None) -> None:
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    from derm_onto.files import atomic_write

    with atomic_write(output) as handle:
        handle.write(data)


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: use KEY=VALUE", param_hint="--param")
        out[key] = value
    return out


ENDPOINT_AUTH = [
    click.option("--user", help="User name for the endpoint."),
    click.option(
        "--password",
        envvar="DERM_ONTO_SPARQL_PASSWORD",
        help="Password (or set DERM_ONTO_SPARQL_PASSWORD).",
    ),
    click.option(
        "--auth",
        type=click.Choice(["basic", "digest"]),
        default="basic",
        show_default=True,
        help="HTTP authentication (Virtuoso's /sparql-auth: digest).",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        default=30.0,
        show_default=True,
        help="Seconds to wait for the endpoint.",
    ),
]


def endpoint_options(function: Any) -> Any:
    for option in reversed(ENDPOINT_AUTH):
        function = option(function)
    return function
