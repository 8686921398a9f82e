"""``derm-onto associations``: mine evidence for links from annotated tables; check links."""

from __future__ import annotations

import json
from pathlib import Path

import click

from derm_onto.cli._common import ONTOLOGY_OPTION, OUTPUT_OPTION, PATH_TYPE, load_ontology

EVIDENCE_OPTION = click.option(
    "--evidence",
    "evidence_path",
    type=PATH_TYPE,
    default=None,
    help="Evidence file (default: the bundled ontology/derm1m.associations.json).",
)


@click.group()
def associations() -> None:
    """Evidence for condition <-> concept/finding links, mined from annotated data."""


@associations.command()
@click.argument("tables", nargs=-1, required=True)
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option(
    "--min-images",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Images of a condition a source needs before its links are tested.",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Images with the feature a record needs to be stored.",
)
@click.option(
    "--adapter",
    "adapter_files",
    type=PATH_TYPE,
    multiple=True,
    help="JSON file describing another table's shape (the fields of SourceAdapter).",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="FDR level (Benjamini-Hochberg).",
)
def mine(
    tables: tuple[str, ...],
    ontology_path: Path | None,
    output: Path,
    min_images: int,
    min_count: int,
    alpha: float,
    adapter_files: tuple[Path, ...],
) -> None:
    """Mine TABLES (PATH or SOURCE=PATH; the source is detected from the columns).

    SkinCon takes its labels from a Fitzpatrick17k table given alongside it.
    """
    import os

    # This process does no matrix algebra: one OpenBLAS thread, not one spinning per core
    # (a fifth of a second of CPU), unless the user chose otherwise. Set before numpy loads.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from derm_onto.associations.evidence import write
    from derm_onto.associations.mine import MineOptions
    from derm_onto.associations.mine import mine as run_mine
    from derm_onto.associations.sources import load_adapters

    onto = load_ontology(ontology_path)
    options = MineOptions(min_images=min_images, min_count=min_count, alpha=alpha)
    adapters = [a for path in adapter_files for a in load_adapters(str(path))]
    document = run_mine(list(tables), onto, options, show_progress=True, adapters=adapters)
    write(document, output)
    for source in document["sources"]:
        unmapped = [c["column"] for c in source["unmapped_columns"]]
        values = sum(len(c["unmapped_values"]) for c in source["columns"])
        click.echo(
            f"{source['source']}: {source['rows_labelled']} of {source['rows']} rows labelled"
            f" ({source['rows_unmatched_label']} unmatched label, {source['rows_excluded']}"
            f" excluded); unmapped columns: {', '.join(unmapped) or 'none'};"
            f" unmapped values: {values}",
            err=True,
        )
    click.echo(f"{len(document['associations'])} associations -> {output}", err=True)


@associations.command()
@EVIDENCE_OPTION
@ONTOLOGY_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--fail-on-contradiction", is_flag=True, help="Exit 1 when some asserted link is contradicted."
)
@click.option(
    "--holdout",
    "holdout_tables",
    multiple=True,
    metavar="TABLE",
    help="Also measure the links held out: split these tables' images in two halves by a "
    "hash of the case id, mine each, decide on half A and measure on half B (repeatable; "
    "the tables `mine` takes).",
)
@click.option(
    "--curation",
    "curation_path",
    type=PATH_TYPE,
    default=None,
    help="With --holdout: the curation file whose evidence decisions are applied on half A "
    "(default: the bundled one with the bundled ontology, none with --ontology).",
)
@click.option(
    "--holdout-splits",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --holdout: repeat with this many different splits (salts) and report the "
    "mean, min and max.",
)
def check(
    evidence_path: Path | None,
    ontology_path: Path | None,
    fmt: str,
    fail_on_contradiction: bool,
    holdout_tables: tuple[str, ...],
    curation_path: Path | None,
    holdout_splits: int,
) -> None:
    """Report asserted links the data contradicts and links it strongly supports."""
    from derm_onto.associations import evidence

    onto = load_ontology(ontology_path)
    document = evidence.read(evidence_path or evidence.default_path())
    report = evidence.check(onto, document)
    held_out: dict[str, object] | None = None
    text = ""
    if holdout_tables:
        from derm_onto.associations import holdout as ho
        from derm_onto.curation import load_curation
        from derm_onto.resources import DERM1M_CURATION, data_dir

        decisions: list[dict[str, object]] = []
        if curation_path is not None or ontology_path is None:  # the bundled pair by default
            curation = load_curation(
                curation_path or Path(str(data_dir("ontology").joinpath(DERM1M_CURATION)))
            )
            decisions = curation.get("evidence_decisions", [])
        results = [
            ho.holdout(list(holdout_tables), onto, decisions, salt=salt)
            for salt in ho.salts(holdout_splits)
        ]
        summary = ho.summarise(results)
        held_out = {"splits": results, "summary": summary}
        text = ho.format_holdout(results[0]) + (
            ho.format_summary(summary) if holdout_splits > 1 else ""
        )
    if fmt == "json":
        result = report.as_dict(onto)
        if held_out is not None:
            result["holdout"] = held_out
        click.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        click.echo(text + evidence.format_report(onto, report), nl=False)
    if fail_on_contradiction and report.summary["contradicted"]:
        raise click.exceptions.Exit(1)


@associations.command()
@click.option(
    "--curation",
    "curation_path",
    type=PATH_TYPE,
    default=None,
    help="Curation file to update (default: the bundled ontology/derm1m.curation.json).",
)
@EVIDENCE_OPTION
@ONTOLOGY_OPTION
@click.option(
    "-o",
    "--output",
    type=PATH_TYPE,
    required=True,
    help="Curation file to write (written atomically; may be the --curation file itself).",
)
def observe(
    curation_path: Path | None,
    evidence_path: Path | None,
    ontology_path: Path | None,
    output: Path,
) -> None:
    """Set a curation's observed links to those the evidence calls for.

    An observed link says annotators mark a concept in >= 40% of a condition's images
    (enriched, or common beyond doubt) where no typical link implies it. Each gets an
    `observe` decision with its counts; `exclude` decisions keep a pair out. Rebuild the
    ontology from the curation afterwards (`derm-onto import derm1m`).
    """
    from derm_onto.associations import evidence
    from derm_onto.associations.observe import dumps_curation
    from derm_onto.associations.observe import observe as run
    from derm_onto.curation import load_curation
    from derm_onto.files import atomic_write
    from derm_onto.resources import DERM1M_CURATION, data_dir

    onto = load_ontology(ontology_path)
    curation = load_curation(
        curation_path or Path(str(data_dir("ontology").joinpath(DERM1M_CURATION)))
    )
    document = evidence.read(evidence_path or evidence.default_path())
    result = run(curation, onto, document)
    with atomic_write(output) as handle:
        handle.write(dumps_curation(result.curation))
    for verb, pairs in (("added", result.added), ("dropped", result.dropped)):
        for c, f in pairs:
            click.echo(f"{verb}: {onto.term(c).label} -> {onto.term(f).label}", err=True)
    click.echo(
        f"observed links: {len(result.added)} added, {len(result.dropped)} dropped, "
        f"{len(result.kept)} kept -> {output}",
        err=True,
    )


COMMANDS: tuple[click.Command, ...] = (associations,)
