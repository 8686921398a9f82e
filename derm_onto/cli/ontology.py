"""Commands that check and browse an ontology: validate, lint, info, tree, subset, match."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from derm_onto.cli._common import (
    ONTOLOGY_ARGUMENT,
    ONTOLOGY_OPTION,
    OUTPUT_OPTION,
    PATH_TYPE,
    ROWS_FORMAT,
    TEXT_JSON_FORMAT,
    command,
    default_ontology,
    load_ontology,
)


@command()
@click.argument("paths", nargs=-1, type=PATH_TYPE)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@TEXT_JSON_FORMAT
def validate(paths: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check ontology files against the schema and the semantic rules.

    Prints one line per finding (PATH:/json/path: severity code: message), then one
    summary line per file on stderr (PATH: ok: N conditions, M concepts, K findings). Exit
    status 0 when there are no errors (with --strict: no warnings either), 1 otherwise.
    """
    from derm_onto.validate import check_file

    failed = False
    report: list[dict[str, str]] = []
    for path in paths or (default_ontology(),):
        result = check_file(path)
        failed |= result.failed(strict=strict)
        if fmt == "json":
            report += [{"file": str(path), **f.as_dict()} for f in result.findings]
        else:
            for finding in result.findings:
                click.echo(finding.format(str(path)))
            if result.counts is not None:  # an unreadable file's one line says it all
                click.echo(result.summary(), err=True)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(1 if failed else 0)


@command()
@ONTOLOGY_ARGUMENT
@click.option("--fix", is_flag=True, help="Rewrite the file in canonical form.")
def lint(path: Path | None, fix: bool) -> None:
    """Check that a file is in canonical form (sorted keys and lists, 2-space indent).

    Exit status 1 when it is not; with --fix the file is rewritten instead.
    """
    from derm_onto.jsonio import lint as lint_file

    path = path or default_ontology()
    was_canonical = lint_file(path, fix=fix)
    click.echo(
        f"{path}: {'canonical' if was_canonical else 'rewritten in canonical form'}", err=True
    )


@command()
@ONTOLOGY_ARGUMENT
@TEXT_JSON_FORMAT
def info(path: Path | None, fmt: str) -> None:
    """Counts per kind and per level, depth and leaves."""
    from derm_onto.jsonio import load
    from derm_onto.summary import format_summary, summarize

    stats = summarize(load(path or default_ontology()))
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        click.echo(format_summary(stats))


@command()
@click.argument("terms", nargs=-1)
@ONTOLOGY_OPTION
@click.option("--depth", "max_depth", type=click.IntRange(min=1), help="Levels to show.")
def tree(terms: tuple[str, ...], ontology_path: Path | None, max_depth: int | None) -> None:
    """Print the hierarchy (or the subtrees under TERMs) as an indented tree."""
    from derm_onto import hierarchy
    from derm_onto.matching import resolve_term

    onto = load_ontology(ontology_path)
    start = [resolve_term(onto, t) for t in terms] or None
    click.echo(hierarchy.format_tree(hierarchy.build_graph(onto), start, max_depth))


@command()
@click.argument("terms", nargs=-1, required=True)
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option("--with-ancestors", is_flag=True, help="Keep the paths to the top as well.")
def subset(
    terms: tuple[str, ...], ontology_path: Path | None, output: Path, with_ancestors: bool
) -> None:
    """Write the sub-ontology under TERMs (and their descendants) as a valid ontology file."""
    from derm_onto import hierarchy
    from derm_onto.jsonio import dump
    from derm_onto.matching import resolve_term

    onto = load_ontology(ontology_path)
    part = hierarchy.subset(
        onto, [resolve_term(onto, t) for t in terms], with_ancestors=with_ancestors
    )
    dump(part, output)
    click.echo(f"{output}: {len(part.conditions)} conditions", err=True)


@command()
@click.argument("names", nargs=-1)
@click.option(
    "--file",
    "name_file",
    type=click.File("r", encoding="utf-8"),
    help="Read names from a file, one per line ('-' for stdin).",
)
@ONTOLOGY_OPTION
@click.option(
    "--kind",
    type=click.Choice(["conditions", "concepts", "findings", "all"]),
    default="conditions",
    show_default=True,
    help="Which entries to match; 'all' tries every kind and says which won.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="One row per step tried (exact, synonym, normalised, word order, split, fuzzy "
    "with its score, compound) instead of the results.",
)
@ROWS_FORMAT
def match(
    names: tuple[str, ...],
    name_file: Any,
    ontology_path: Path | None,
    kind: str,
    explain: bool,
    fmt: str,
) -> None:
    """Match free-text labels to ontology ids; one row per label found in each input.

    A cell may hold several labels (',' ';' '|'). A class name that stands for a set
    ("Acne and Rosacea Photos", "X and other Y") gives one row with method 'compound' and
    its ids '|'-joined. Names of obsolete entries give the entry that replaces it (see
    'note').
    """
    from typing import cast

    from derm_onto.matching import Matcher, match_all_kinds
    from derm_onto.model import KINDS, Kind
    from derm_onto.output import write_rows

    inputs = list(names) + ([line.rstrip("\n") for line in name_file] if name_file else [])
    if not inputs:
        raise click.UsageError("give NAMES or --file")
    onto = load_ontology(ontology_path)
    kinds: tuple[Kind, ...] = KINDS if kind == "all" else (cast(Kind, kind),)
    matchers = {k: Matcher(onto, k) for k in kinds}
    rows: list[dict[str, Any]] = []
    for text in inputs:
        won, found = match_all_kinds(matchers, text)
        matcher = matchers[won or kinds[0]]
        if explain:
            for step in matcher.explain(text):
                rows.append(
                    {
                        "cell": text,
                        "kind": won or "",
                        "step": step.step,
                        "key": step.key,
                        "outcome": step.outcome,
                        "ids": "|".join(step.ids),
                        "score": f"{step.score:.3f}",
                        "detail": step.detail,
                    }
                )
            continue
        if any(not m.matched and m.method not in ("sentinel", "empty") for m in found):
            whole = matcher.resolve_class(text)
            if whole.method == "compound":
                found, won = [whole], matcher.kind
        for m in found:
            suggestions = (
                "" if m.ids else "; ".join(f"{c} {onto.term(c).label}" for c in m.candidates)
            )
            rows.append(
                {
                    "cell": text,
                    "kind": won or "",
                    "input": m.input,
                    "id": m.id,
                    "label": m.label,
                    "method": m.method,
                    "score": f"{m.score:.2f}",
                    "suggestions": suggestions,
                    "ids": "|".join(m.ids),
                    "note": m.note,
                }
            )
    if explain:
        columns = ["cell", "step", "key", "outcome", "ids", "score", "detail"]
    else:
        columns = ["cell", "input", "id", "label", "method", "score", "suggestions", "ids"]
        columns += ["note"]
    write_rows(rows, ["kind", *columns] if kind == "all" else columns, fmt)


COMMANDS: tuple[click.Command, ...] = (validate, lint, info, tree, subset, match)
