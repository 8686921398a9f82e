"""Commands that make training data: labels, captions, prompts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from derm_onto.captions import STYLES, Style
from derm_onto.cli._common import (
    ONTOLOGY_OPTION,
    OUTPUT_OPTION,
    PATH_TYPE,
    command,
    load_ontology,
    parse_levels,
)
from derm_onto.labels import UNKNOWN_POLICIES, UnknownPolicy


@command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--column", required=True, help="Column holding the disease labels.")
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option("--levels", default="1,2,3,4", show_default=True, help="Levels to label.")
@click.option(
    "--unknown",
    type=click.Choice(UNKNOWN_POLICIES),
    default="keep",
    show_default=True,
    help="What to do with rows whose label is not in the ontology.",
)
@click.option("--prefix", default="", help="Prefix for the added column names.")
@click.option("--multi-hot", type=PATH_TYPE, help="Write rows x classes (.npy), ancestors set.")
@click.option(
    "--distance-matrix",
    type=PATH_TYPE,
    help="Write the pairwise tree distances between a level's classes (.npy).",
)
@click.option("--distance-level", type=int, help="Level of the distance matrix (default: last).")
@click.option("--report", type=click.Choice(["text", "json"]), default="text", show_default=True)
def labels(
    source: Path,
    column: str,
    ontology_path: Path | None,
    output: Path,
    levels: str,
    unknown: UnknownPolicy,
    prefix: str,
    multi_hot: Path | None,
    distance_matrix: Path | None,
    distance_level: int | None,
    report: str,
) -> None:
    """Add multi-granular ontology labels to a CSV/Parquet table (format by extension)."""
    from derm_onto.labels import LabelOptions, label_table

    options = LabelOptions(
        column=column,
        levels=parse_levels(levels),
        unknown=unknown,
        prefix=prefix,
        multi_hot=multi_hot,
        distance_matrix=distance_matrix,
        distance_level=distance_level,
    )
    result = label_table(load_ontology(ontology_path), source, output, options)
    if report == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False), err=True)
        return
    for line in result.summary(output):
        click.echo(line, err=True)


@command()
@click.argument("source", type=click.Path(path_type=Path))
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option("--label-column", default="disease_label", show_default=True)
@click.option("--concept-column", default="skin_concept", show_default=True)
@click.option(
    "--caption-column",
    default="caption",
    show_default=True,
    help="The refined caption (for augmented_caption and sub-captions).",
)
@click.option("--style", type=click.Choice(STYLES), default="derm1m", show_default=True)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the natural-style template choice.",
)
@click.option(
    "--drop-empty",
    is_flag=True,
    help="Drop rows whose ontology caption is empty (no diagnosis); pandas reads such a "
    "cell as NaN and a trainer would train on 'nan'.",
)
@click.option(
    "--infer-concepts",
    is_flag=True,
    help="Add inferred_concept_caption: for rows without concept annotations, the concepts "
    "the evidence most supports for the diagnosis (the text says they are inferred).",
)
@click.option(
    "--evidence",
    type=PATH_TYPE,
    help="Associations file for --infer-concepts (default: the bundled evidence).",
)
def captions(
    source: Path,
    ontology_path: Path | None,
    output: Path,
    label_column: str,
    concept_column: str,
    caption_column: str,
    style: Style,
    seed: int,
    drop_empty: bool,
    infer_concepts: bool,
    evidence: Path | None,
) -> None:
    """Add ontology, concept and metadata captions to a CSV/Parquet/TSV table.

    Only the label column must exist; missing concept or metadata columns give empty
    captions of that kind. For open_clip write a .tsv (its default --csv-separator is a tab):
    --csv-img-key filename --csv-caption-key ontology_caption.
    """
    from derm_onto.captions import CaptionOptions, caption_table

    context = click.get_current_context()
    required = tuple(
        value
        for name, value in (("concept_column", concept_column), ("caption_column", caption_column))
        if context.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    )
    inferred_from = None
    if infer_concepts:
        from derm_onto.associations.evidence import default_path

        inferred_from = str(evidence or default_path())
    options = CaptionOptions(
        label_column,
        concept_column,
        caption_column,
        style,
        seed,
        drop_empty,
        required,
        inferred_from,
    )
    result = caption_table(load_ontology(ontology_path), source, output, options)
    empty = f"{result.empty_rows} rows with an empty ontology caption " + (
        "dropped" if result.dropped else "left empty (use --drop-empty to drop them)"
    )
    missing = (
        f"; columns not in the table, their captions empty: {', '.join(result.missing_columns)}"
        if result.missing_columns
        else ""
    )
    click.echo(f"{output}: {result.rows_written} rows written; {empty}{missing}", err=True)


@command()
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option(
    "--dataset",
    type=click.Choice(["daffodil", "fitzpatrick17k", "ham10000", "pad"]),
    help="A built-in zero-shot class list, in evaluation order.",
)
@click.option(
    "--classes",
    "classes_file",
    type=click.File("r", encoding="utf-8"),
    help="Class names, one per line, in evaluation order.",
)
@click.option("--level", type=int, help="Use the classes of this ontology level.")
@click.option(
    "--templates",
    default="auto",
    show_default=True,
    help="'derm1m' (skin images), 'generic', 'auto' (derm1m for a dermatology ontology, "
    "else generic) or a file with one template per line ('{}' = the class).",
)
@click.option("--ontology-aug", is_flag=True, help="Write each class as its ontology path.")
@click.option("--subclasses", is_flag=True, help="Add each class's subclasses (CHiLS-style).")
@click.option("--no-synonyms", is_flag=True, help="Only the class name itself, no synonyms.")
@click.option(
    "--keep-unmatched",
    is_flag=True,
    help="Keep class names that resolve to nothing, prompted by the name alone.",
)
@click.option(
    "--concepts",
    "concept_mode",
    is_flag=True,
    help="Target/reference prompt pairs for every concept (MONET-style).",
)
@click.option(
    "--concept-aug",
    is_flag=True,
    help="Describe each class by its most supported concepts ('melanoma, with ...').",
)
@click.option(
    "--evidence",
    type=PATH_TYPE,
    help="Associations file for --concept-aug (default: the bundled evidence).",
)
def prompts(
    ontology_path: Path | None,
    output: Path,
    dataset: str | None,
    classes_file: Any,
    level: int | None,
    templates: str,
    ontology_aug: bool,
    subclasses: bool,
    no_synonyms: bool,
    keep_unmatched: bool,
    concept_mode: bool,
    concept_aug: bool,
    evidence: Path | None,
) -> None:
    """Write zero-shot prompt sets as JSON: class name -> prompts, in evaluation order.

    A compound class name ("Acne and Rosacea Photos", "X and other Y") stands for the
    union of its members. A class that resolves to nothing is an error naming it, unless
    --keep-unmatched.
    """
    from derm_onto import prompts as prompt_sets
    from derm_onto.files import atomic_write

    onto = load_ontology(ontology_path)
    chosen = [dataset is not None, classes_file is not None, level is not None, concept_mode]
    if sum(chosen) != 1:
        raise click.UsageError("give exactly one of --dataset, --classes, --level, --concepts")
    if concept_mode:
        data: Any = prompt_sets.concept_prompts(onto)
    else:
        if dataset is not None:
            names = list(prompt_sets.DATASETS[dataset])
        elif classes_file is not None:
            names = [line.strip() for line in classes_file if line.strip()]
        else:
            assert level is not None
            names = prompt_sets.level_classes(onto, level)
        data = prompt_sets.class_prompts(
            onto,
            names,
            templates=prompt_sets.load_templates(templates, onto),
            ontology_aug=ontology_aug,
            subclasses=subclasses,
            use_synonyms=not no_synonyms,
            keep_unmatched=keep_unmatched,
            source=classes_file.name if classes_file is not None else "",
            concept_evidence=_concept_evidence(onto, evidence) if concept_aug else None,
        )
    with atomic_write(output) as handle:
        handle.write(prompt_sets.dumps_prompts(data))
    click.echo(f"{output}: {len(data)} classes", err=True)


def _concept_evidence(onto: Any, path: Path | None) -> Any:
    from derm_onto.associations.evidence import default_path, read
    from derm_onto.associations.text import ConceptEvidence

    return ConceptEvidence(onto, read(path or default_path()))


COMMANDS: tuple[click.Command, ...] = (labels, captions, prompts)
