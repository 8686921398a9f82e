"""Commands: ``spark labels`` and ``spark captions`` (the same work on Apache Spark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from derm_onto.cli._common import ONTOLOGY_OPTION, GuardedCommand, load_ontology, parse_levels
from derm_onto.errors import DermOntoError
from derm_onto.labels import UNKNOWN_POLICIES, UnknownPolicy

SOURCE = click.argument("source")
OUTPUT = click.option(
    "-o",
    "--output",
    required=True,
    help="Folder (or URI) to write the result to as Parquet, in Spark's layout; it must not "
    "exist yet.",
)
MASTER = click.option(
    "--master",
    default="local[*]",
    show_default=True,
    help="Spark master URL (local[N], spark://..., yarn, k8s://...).",
)


def _spark(master: str) -> Any:
    try:
        from derm_onto.spark import session

        return session(master)
    except ImportError:
        raise DermOntoError(
            "the spark commands need pyspark: pip install 'derm-onto[spark]'"
        ) from None


def _read(spark: Any, source: str) -> Any:
    from pyspark.errors import AnalysisException

    from derm_onto.spark import read_table

    try:
        return read_table(spark, source)
    except AnalysisException as exc:
        raise DermOntoError(f"{source}: {str(exc).splitlines()[0]}") from None


def _write(df: Any, output: str) -> None:
    from pyspark.errors import AnalysisException

    try:
        df.write.parquet(output, mode="errorifexists")
    except AnalysisException as exc:
        raise DermOntoError(f"{output}: {str(exc).splitlines()[0]}") from None


@click.group("spark")
def spark() -> None:
    """Label or caption a table on Apache Spark (pip install 'derm-onto[spark]').

    The rows equal those of `derm-onto labels` / `derm-onto captions --style derm1m`; the
    work runs per Arrow record batch in `mapInArrow`, with the ontology's plan built once on
    the driver and shipped to the workers. SOURCE is a CSV/TSV file or a Parquet file or
    folder, local or any URI Spark reads.
    """


@spark.command("labels", cls=GuardedCommand)
@SOURCE
@ONTOLOGY_OPTION
@OUTPUT
@click.option("--column", default="disease_label", show_default=True, help="The label column.")
@click.option("--levels", default="1,2,3,4", show_default=True, help="Levels to add.")
@click.option(
    "--unknown",
    type=click.Choice(UNKNOWN_POLICIES),
    default="keep",
    show_default=True,
    help="Rows with unknown labels: keep (empty columns), drop, or error (fails the job).",
)
@click.option("--prefix", default="", help="Prefix of the added column names.")
@MASTER
def spark_labels(
    source: str,
    ontology_path: Path | None,
    output: str,
    column: str,
    levels: str,
    unknown: UnknownPolicy,
    prefix: str,
    master: str,
) -> None:
    """Add the columns of `derm-onto labels` on Spark; class maps go beside a local OUTPUT."""
    import json

    from derm_onto.files import atomic_write
    from derm_onto.labels import LabelPlan, class_map_path, class_maps
    from derm_onto.spark import label_dataframe

    onto = load_ontology(ontology_path)
    df = _read(_spark(master), source)
    plan = LabelPlan(onto, parse_levels(levels))
    _write(label_dataframe(df, onto, column, plan=plan, prefix=prefix, unknown=unknown), output)
    if "://" not in output:
        with atomic_write(class_map_path(output)) as handle:
            handle.write(
                (json.dumps(class_maps(plan), indent=2, ensure_ascii=False) + "\n").encode()
            )
    click.echo(f"{output}: labelled on Spark ({master})", err=True)


@spark.command("captions", cls=GuardedCommand)
@SOURCE
@ONTOLOGY_OPTION
@OUTPUT
@click.option("--label-column", default="disease_label", show_default=True)
@click.option("--concept-column", default="skin_concept", show_default=True)
@click.option("--caption-column", default="caption", show_default=True)
@click.option("--drop-empty", is_flag=True, help="Drop rows whose ontology caption is empty.")
@MASTER
def spark_captions(
    source: str,
    ontology_path: Path | None,
    output: str,
    label_column: str,
    concept_column: str,
    caption_column: str,
    drop_empty: bool,
    master: str,
) -> None:
    """Add the columns of `derm-onto captions --style derm1m` on Spark."""
    from derm_onto.spark import caption_dataframe

    onto = load_ontology(ontology_path)
    df = _read(_spark(master), source)
    captioned = caption_dataframe(
        df,
        onto,
        label_column=label_column,
        concept_column=concept_column,
        caption_column=caption_column,
        drop_empty=drop_empty,
    )
    _write(captioned, output)
    click.echo(f"{output}: captioned on Spark ({master})", err=True)


COMMANDS: tuple[click.Command, ...] = (spark,)
