"""Commands that convert an ontology: import, export, reason."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from derm_onto.cli._common import (
    ONTOLOGY_ARGUMENT,
    OUTPUT_OPTION,
    PATH_TYPE,
    RDF_FORMAT,
    GuardedCommand,
    command,
    load_ontology,
    write_or_echo,
)


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


@command()
@ONTOLOGY_ARGUMENT
@RDF_FORMAT
@click.option("-o", "--output", type=PATH_TYPE, help="File to write (default: stdout).")
def export(path: Path | None, fmt: str | None, output: Path | None) -> None:
    """Export the ontology as OWL in RDF: Turtle, RDF/XML, N-Triples or JSON-LD."""
    from derm_onto.rdf import export as export_rdf
    from derm_onto.rdf import rdf_format

    chosen = rdf_format(fmt or (str(output) if output else "ttl"))
    write_or_echo(export_rdf(load_ontology(path), chosen), output)


@import_.command(cls=GuardedCommand, name="rdf")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@OUTPUT_OPTION
@RDF_FORMAT
def import_rdf_command(source: Path, output: Path, fmt: str | None) -> None:
    """Read RDF written in derm-onto's conventions back into the project JSON."""
    from derm_onto.errors import OntologyLoadError
    from derm_onto.jsonio import dump, to_dict
    from derm_onto.rdf import import_rdf, rdf_format
    from derm_onto.validate import has_failures, validate_document

    try:
        data = source.read_bytes()
    except OSError as exc:
        raise OntologyLoadError(str(source), "unreadable", f"cannot read: {exc.strerror}") from None
    try:
        chosen = rdf_format(fmt or str(source))
    except ValueError as exc:
        raise click.UsageError(f"{exc}; give --format") from None
    ontology, findings = import_rdf(data, chosen, str(source))
    if ontology is not None:
        findings += validate_document(to_dict(ontology))
    for finding in findings:
        if finding.severity != "info":
            click.echo(finding.format(str(source)), err=True)
    if ontology is None or has_failures(findings):
        sys.exit(1)
    dump(ontology, output)
    click.echo(
        f"{output}: {len(ontology.conditions)} conditions, {len(ontology.concepts)} "
        f"concepts, {len(ontology.findings)} findings",
        err=True,
    )


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
