"""Labelling and captioning on Apache Spark, for tables too large for one machine.

The per-batch work of :mod:`derm_onto.batch` runs inside ``DataFrame.mapInArrow``: the
driver builds the plan once per ontology, Spark pickles it to the Python workers, and each
worker labels its partitions' Arrow record batches. The output equals ``derm-onto labels``
(and ``derm-onto captions --style derm1m``) row for row.

From PySpark::

    from derm_onto import load, bundled_ontology_path
    from derm_onto.spark import label_dataframe

    df = spark.read.parquet("s3://bucket/laion-derm/")          # any DataFrame
    labelled = label_dataframe(df, load(bundled_ontology_path()), "disease_label")
    labelled.write.parquet("s3://bucket/laion-derm-labelled/")

or from the shell: ``derm-onto spark labels TABLE -o FOLDER --column disease_label``.

A null label counts as an empty one. Columns keep their Spark types; the added ones are
strings, and ``level_K_idx`` integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from derm_onto.batch import BatchCaptioner, BatchLabeller

if TYPE_CHECKING:
    from derm_onto.labels import LabelPlan, UnknownPolicy
    from derm_onto.model import Ontology

DataFrame = Any  # pyspark.sql.DataFrame; imported only where Spark is used


def _spark_schema(df: DataFrame, arrow_schema: Any) -> Any:
    """The Spark schema of the output: the input's own fields, then the added ones."""
    from pyspark.sql.types import IntegerType, StringType, StructField, StructType

    own = {f.name: f for f in df.schema.fields}
    fields = [
        own.get(f.name)
        or StructField(f.name, IntegerType() if str(f.type) == "int32" else StringType())
        for f in arrow_schema
    ]
    return StructType(fields)


def _arrow_schema(df: DataFrame) -> Any:
    """An Arrow schema naming the DataFrame's columns (types matter only for the label
    column, which is read as strings)."""
    import pyarrow as pa

    return pa.schema([pa.field(name, pa.string()) for name in df.columns])


def label_dataframe(
    df: DataFrame,
    ontology: Ontology,
    column: str,
    *,
    levels: Sequence[int] = (1, 2, 3, 4),
    prefix: str = "",
    unknown: UnknownPolicy = "keep",
    plan: LabelPlan | None = None,
) -> DataFrame:
    """``df`` with the columns of ``derm-onto labels`` added (lazily, as Spark does).

    ``plan`` reuses a :class:`~derm_onto.labels.LabelPlan` (``levels`` is then its own)."""
    from derm_onto.labels import LabelPlan

    plan = plan or LabelPlan(ontology, levels)
    labeller = BatchLabeller(plan, column, prefix=prefix, unknown=unknown)
    schema = _spark_schema(df, labeller.output_schema(_arrow_schema(df)))
    return df.mapInArrow(labeller.map, schema)


def caption_dataframe(
    df: DataFrame,
    ontology: Ontology,
    *,
    label_column: str = "disease_label",
    concept_column: str = "skin_concept",
    caption_column: str = "caption",
    drop_empty: bool = False,
) -> DataFrame:
    """``df`` with the columns of ``derm-onto captions --style derm1m`` added."""
    captioner = BatchCaptioner.build(
        ontology,
        label_column=label_column,
        concept_column=concept_column,
        caption_column=caption_column,
        drop_empty=drop_empty,
    )
    schema = _spark_schema(df, captioner.output_schema(_arrow_schema(df)))
    return df.mapInArrow(captioner.map, schema)


def session(master: str = "local[*]", app: str = "derm-onto") -> Any:
    """A SparkSession (the active one when there is one), with Arrow batches on."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def read_table(spark: Any, path: str) -> DataFrame:
    """A CSV/TSV (header, every column a string, quoted line breaks) or Parquet table."""
    from pathlib import Path

    from derm_onto.tables import table_format

    if Path(path).is_dir() or table_format(path) == "parquet":
        return spark.read.parquet(path)
    df = spark.read.csv(
        path,
        header=True,
        sep="\t" if table_format(path) == "tsv" else ",",
        multiLine=True,
        escape='"',
        inferSchema=False,
    )
    return df.na.fill("")  # an empty cell is "", as derm-onto's own CSV reader has it
