"""Commands that convert an ontology: import, export, reason."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from derm_onto.cli._common import (
    ONTOLOGY_ARGUMENT,
    OUTPUT_OPTION,
    PATH_TYPE,
    GuardedCommand,
    command,
    load_ontology,
    write_or_echo,
)
from derm_onto.model import Kind


@click.group("import")
def import_() -> None:
    """Import an ontology from another shape into the project JSON."""


@import_.command(cls=GuardedCommand, name="derm1m")
@click.argument("source", type=PATH_TYPE)
@OUTPUT_OPTION
@click.option(
    "--curation", type=PATH_TYPE, help="Curation file to apply after the faithful import."
)
@click.option("--quiet", "-q", is_flag=True, help="Do not list the quirks met.")
def import_derm1m_command(source: Path, output: Path, curation: Path | None, quiet: bool) -> None:
    """Import Derm1M's released hierarchy (flat map or nested tree, detected).

    Without --curation the import is faithful; every quirk of the release is reported on
    stderr, one line each.
    """
    from derm_onto.curation import apply_curation, load_curation
    from derm_onto.importers import import_derm1m
    from derm_onto.jsonio import dump_valid

    result = import_derm1m(source)
    if not quiet:
        for quirk in result.quirks:
            click.echo(f"{source}: quirk {quirk.format()}", err=True)
    ontology = result.ontology
    if curation is not None:
        ontology = apply_curation(result, load_curation(curation), str(curation))
    dump_valid(ontology, output)
    click.echo(f"{output}: {ontology.counts_text()}", err=True)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    default=None,
    metavar="FORMAT",
    help="ttl, owl (RDF/XML), nt, jsonld, ofn (OWL functional syntax), context (the prefix "
    "map) or another registered format; default: from the file's extension, else ttl.",
)
KIND_OPTION = click.option(
    "--kind",
    type=click.Choice(["conditions", "concepts", "findings"]),
    default=None,
    help="Kind of the classes that carry no derm-onto entry_kind (default: conditions when "
    "the file has none at all; else such classes are dropped and counted).",
)
_LIMIT_OPTIONS = (
    click.option(
        "--max-bytes",
        type=click.IntRange(min=1),
        default=None,
        help="Refuse a larger input file (default 1 GiB).",
    ),
    click.option(
        "--max-literal-bytes",
        type=click.IntRange(min=1),
        default=None,
        help="Refuse a file holding a longer literal (default 10 MB).",
    ),
)


def _limits(function: Any) -> Any:
    for option in reversed(_LIMIT_OPTIONS):
        function = option(function)
    return function


def _serializer(name: str, *, readable: bool = False) -> Any:
    """The registered format, or a usage error (exit 2) listing the formats."""
    from derm_onto.errors import UnsupportedFormatError
    from derm_onto.formats import find

    try:
        return find(name, readable=readable)
    except UnsupportedFormatError as exc:
        raise click.UsageError(f"{exc}; give --format") from None


def _read_options(kind: Kind | None, max_bytes: int | None, max_literal: int | None) -> Any:
    from derm_onto.formats import MAX_FILE_BYTES, MAX_LITERAL_BYTES, ReadOptions

    return ReadOptions(
        max_file_bytes=max_bytes or MAX_FILE_BYTES,
        max_literal_bytes=max_literal or MAX_LITERAL_BYTES,
        default_kind=kind,
    )


def _finish_import(source: Path, output: Path, result: Any) -> None:
    """Findings on stderr (one line each); refuse on errors or an empty result, else write
    the JSON and a summary line."""
    for finding in result.findings:
        if finding.severity != "info":
            click.echo(finding.format(str(source)), err=True)
    if result.refusal:
        click.echo(f"derm-onto: error: {source}: {result.refusal}", err=True)
        sys.exit(1)
    from derm_onto.jsonio import dump

    dump(result.ontology, output)
    click.echo(f"{output}: {result.summary()}", err=True)


@command()
@ONTOLOGY_ARGUMENT
@FORMAT_OPTION
@click.option("-o", "--output", type=PATH_TYPE, help="File to write (default: stdout).")
@click.option(
    "--evidence",
    type=PATH_TYPE,
    help="Add an associations file's evidence as axiom annotations (ttl, owl, nt, jsonld).",
)
def export(path: Path | None, fmt: str | None, output: Path | None, evidence: Path | None) -> None:
    """Export the ontology: Turtle, RDF/XML, N-Triples, JSON-LD or another registered format.

    An unknown format or extension lists the formats and exits 2.
    """
    serializer = _serializer(fmt or (str(output) if output else "ttl"))
    ontology = load_ontology(path)
    if evidence is None:
        write_or_echo(serializer.write(ontology), output)
        return
    if serializer.name not in ("ttl", "owl", "nt", "jsonld"):
        raise click.UsageError(f"--evidence needs an RDF format, not {serializer.name!r}")
    from derm_onto.associations.rdf_evidence import graph_with_evidence
    from derm_onto.rdf import serialize

    write_or_echo(serialize(graph_with_evidence(ontology, evidence), serializer.name), output)


@import_.command(cls=GuardedCommand, name="rdf")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@OUTPUT_OPTION
@FORMAT_OPTION
@KIND_OPTION
@_limits
def import_rdf_command(
    source: Path,
    output: Path,
    fmt: str | None,
    kind: Kind | None,
    max_bytes: int | None,
    max_literal_bytes: int | None,
) -> None:
    """Read OWL/RDF into the project JSON: derm-onto's own exports losslessly, any other
    OWL ontology with what cannot be kept counted on stderr.

    Files are parsed without entity expansion or network access; over-large inputs are
    refused (--max-bytes, --max-literal-bytes).
    """
    from derm_onto.importing import import_file

    serializer = _serializer(fmt or str(source), readable=True)
    options = _read_options(kind, max_bytes, max_literal_bytes)
    _finish_import(source, output, import_file(source, serializer.read, options))


@import_.command("obo")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@OUTPUT_OPTION
@KIND_OPTION
@_limits
def import_obo_command(
    source: Path,
    output: Path,
    kind: Kind | None,
    max_bytes: int | None,
    max_literal_bytes: int | None,
) -> None:
    """Read an OBO 1.4 file (HPO, the Disease Ontology, ...) into the project JSON.

    Real-world slips (an unquoted string, a space in an xref) do not stop the import: the
    clause is repaired or left out with a warning naming its line. A file derm-onto exported
    keeps each term's kind (its namespace:) and its typical and observed concepts.
    """
    from derm_onto.importing import import_file
    from derm_onto.oboread import read_obo

    options = _read_options(kind, max_bytes, max_literal_bytes)
    _finish_import(source, output, import_file(source, read_obo, options))


@command()
@ONTOLOGY_ARGUMENT
@click.option(
    "--inferred",
    "inferred_output",
    type=PATH_TYPE,
    help="Write the export with the inferred class hierarchy to this file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "owl", "nt", "jsonld"]),
    default=None,
    help="RDF format of the --inferred file (owl = RDF/XML); default: from its extension.",
)
def reason(path: Path | None, inferred_output: Path | None, fmt: str | None) -> None:
    """Check consistency with HermiT (needs Java); list unsatisfiable classes by label.

    Exit status 1 when the ontology is inconsistent or has unsatisfiable classes.
    """
    from derm_onto.owl import hierarchy_changes, with_inferred_hierarchy
    from derm_onto.owl import reason as run_reasoner

    ontology = load_ontology(path)
    result = run_reasoner(ontology)
    if not result.consistent:
        click.echo("inconsistent: the ontology has no model", err=True)
        sys.exit(1)
    for term_id, label in result.unsatisfiable:
        click.echo(f"unsatisfiable {term_id} {label}")
    if inferred_output is not None:
        from derm_onto.rdf import export as export_rdf
        from derm_onto.rdf import rdf_format

        chosen = rdf_format(fmt or str(inferred_output))
        write_or_echo(
            export_rdf(with_inferred_hierarchy(ontology, result), chosen), inferred_output
        )
        changes = hierarchy_changes(ontology, result)
        if not changes:
            click.echo(
                f"{inferred_output}: nothing new was inferred; the file equals a plain export",
                err=True,
            )
        else:
            added = sum(len(c.added) for c in changes)
            dropped = sum(len(c.dropped) for c in changes)
            click.echo(
                f"{inferred_output}: {len(changes)} classes with inferred parents "
                f"({added} links added, {dropped} redundant asserted links dropped)",
                err=True,
            )
    if result.unsatisfiable:
        click.echo(f"{len(result.unsatisfiable)} unsatisfiable classes", err=True)
        sys.exit(1)
    total = len(ontology.conditions) + len(ontology.concepts) + len(ontology.findings)
    click.echo(f"consistent: {total} classes, none unsatisfiable", err=True)


COMMANDS: tuple[click.Command, ...] = (import_, export, reason)
