"""The ``derm-onto`` command line: a thin click layer over the library.

Heavy libraries (rdflib, owlready2, pyarrow) are imported inside the commands that need
them, so ``derm-onto --help`` stays fast. User errors (:class:`DermOntoError`) print one line
on stderr and exit 1; usage errors exit 2. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from derm_onto import __version__
from derm_onto.errors import DermOntoError


class _Group(click.Group):
    """A click group that turns DermOntoError into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DermOntoError as exc:
            click.echo(f"derm-onto: error: {exc}", err=True)
            ctx.exit(1)
        except BrokenPipeError:  # `derm-onto ... | head`
            sys.stderr.close()
            ctx.exit(1)


def _default_ontology() -> Path:
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="derm-onto")
def main() -> None:
    """Validate, convert, query and train on a dermatology ontology.

    Without a PATH, commands use the bundled Derm1M ontology.
    """


@main.command()
@click.argument("paths", nargs=-1, type=PATH_TYPE)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@TEXT_JSON_FORMAT
def validate(paths: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check ontology files against the schema and the semantic rules.

    Prints one line per finding (PATH:/json/path: severity code: message). Exit status 0
    when there are no errors (with --strict: no warnings either), 1 otherwise.
    """
    from derm_onto.validate import has_failures, validate_file

    failed = False
    report: list[dict[str, str]] = []
    for path in paths or (_default_ontology(),):
        findings = validate_file(path)
        failed |= has_failures(findings, strict=strict)
        if fmt == "json":
            report += [{"file": str(path), **f.as_dict()} for f in findings]
        else:
            for finding in findings:
                click.echo(finding.format(str(path)))
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(1 if failed else 0)


@main.command()
@ONTOLOGY_ARGUMENT
@click.option("--fix", is_flag=True, help="Rewrite the file in canonical form.")
def lint(path: Path | None, fix: bool) -> None:
    """Check that a file is in canonical form (sorted keys and lists, 2-space indent).

    Exit status 1 when it is not; with --fix the file is rewritten instead.
    """
    from derm_onto.jsonio import dumps, load

    path = path or _default_ontology()
    canonical = dumps(load(path))
    if path.read_bytes() == canonical:
        click.echo(f"{path}: canonical", err=True)
        return
    if fix:
        from derm_onto.files import atomic_write

        with atomic_write(path) as handle:
            handle.write(canonical)
        click.echo(f"{path}: rewritten in canonical form", err=True)
        return
    raise DermOntoError(f"{path}: not in canonical form; run `derm-onto lint --fix {path}`")


@main.command()
@ONTOLOGY_ARGUMENT
@TEXT_JSON_FORMAT
def info(path: Path | None, fmt: str) -> None:
    """Counts per kind and per level, depth and leaves."""
    from derm_onto.jsonio import load
    from derm_onto.summary import format_summary, summarize

    stats = summarize(load(path or _default_ontology()))
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        click.echo(format_summary(stats))


OUTPUT_OPTION = click.option(
    "-o", "--output", type=PATH_TYPE, required=True, help="File to write (written atomically)."
)


@main.group("import")
def import_() -> None:
    """Import an ontology from another shape into the project JSON."""


@import_.command("derm1m")
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
    from derm_onto.jsonio import dump
    from derm_onto.validate import has_failures, validate_document

    result = import_derm1m(source)
    if not quiet:
        for quirk in result.quirks:
            click.echo(f"{source}: quirk {quirk.format()}", err=True)
    ontology = result.ontology
    if curation is not None:
        ontology = apply_curation(result, load_curation(curation), str(curation))
    from derm_onto.jsonio import to_dict

    findings = validate_document(to_dict(ontology))
    if has_failures(findings):
        from derm_onto.errors import OntologyValidationError

        raise OntologyValidationError(str(output), findings)
    dump(ontology, output)
    click.echo(
        f"{output}: {len(ontology.conditions)} conditions, {len(ontology.concepts)} "
        f"concepts, {len(ontology.findings)} findings",
        err=True,
    )
