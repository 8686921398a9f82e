"""Per-batch labelling and captioning (derm_onto.batch) and its Spark entry (derm_onto.spark)
give the command line's rows, row for row."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.batch import CAPTION_COLUMNS, BatchCaptioner, BatchLabeller
from derm_onto.captions import CaptionOptions, caption_table
from derm_onto.errors import DermOntoError
from derm_onto.jsonio import load
from derm_onto.labels import LabelOptions, label_table
from derm_onto.model import Ontology
from derm_onto.resources import bundled_ontology_path

from .conftest import require


@pytest.fixture(scope="module")
def derm1m() -> Ontology:
    return load(bundled_ontology_path())


def make_table(onto: Ontology, rows: int, seed: int = 0) -> pa.Table:
    """A Derm1M-shaped table: names, synonyms, multi-label cells, sentinels, unknowns, empty
    cells; concept cells; captions of 0-10 sentences; metadata with sentinels."""
    rng = np.random.default_rng(seed)
    names = sorted({n for c in onto.conditions for n in c.names})
    pool = [
        *names,
        *(f"{a}, {b}" for a, b in zip(rng.choice(names, 80), rng.choice(names, 80), strict=True)),
        "no definitive diagnosis",
        "",
        "unlisted condition",
        "Psoriasis ",
    ]
    concepts = sorted(c.label for c in onto.concepts)
    concept_pool = [", ".join(rng.choice(concepts, k)) for k in (0, 1, 2, 3) for _ in range(30)]
    sentences = [f"Sentence {i} about the lesion" for i in range(12)]
    caption_pool = [
        ". ".join(sentences[: int(k)]) + ("." if k else "") for k in rng.integers(0, 11, 50)
    ]

    def draw(values: list[str]) -> pa.Array:
        return pa.array(np.array(values, dtype=object)[rng.integers(0, len(values), rows)])

    return pa.table(
        {
            "row_id": pa.array([f"{i:07d}" for i in range(rows)]),
            "disease_label": draw(pool),
            "skin_concept": draw(concept_pool),
            "caption": draw(caption_pool),
            "age": draw(["", "unknown", "34", "8.0", "61"]),
            "gender": draw(["", "male", "F", "unknown"]),
            "body_location": draw(["", "face", "scalp, trunk", "unknown"]),
            "symptoms": draw(["", "itch", "pain, itch", "no"]),
        }
    )


def _batches(table: pa.Table, size: int) -> list[pa.RecordBatch]:
    return table.to_batches(max_chunksize=size)


def _cli_labels(onto: Ontology, table: pa.Table, folder: Path, **options: Any) -> pa.Table:
    src, out = folder / "in.parquet", folder / "labelled.parquet"
    pq.write_table(table, src)
    label_table(onto, src, out, LabelOptions(column="disease_label", **options))
    return pq.read_table(out)


def _cli_captions(onto: Ontology, table: pa.Table, folder: Path, **options: Any) -> pa.Table:
    src, out = folder / "in.parquet", folder / "captioned.parquet"
    pq.write_table(table, src)
    caption_table(onto, src, out, CaptionOptions(**options))
    return pq.read_table(out)


def _same_rows(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    for name in a.column_names:
        assert a.column(name).to_pylist() == b.column(name).to_pylist(), name


# -- per batch --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [{}, {"levels": (2, 4), "prefix": "onto_"}, {"unknown": "drop"}],
    ids=["default", "levels-prefix", "drop"],
)
def test_batch_labeller_equals_the_command(
    derm1m: Ontology, tmp_path: Path, options: dict[str, Any]
) -> None:
    table = make_table(derm1m, 3000, seed=1)
    expected = _cli_labels(derm1m, table, tmp_path, **options)
    labeller = BatchLabeller.build(derm1m, "disease_label", **options)
    got = pa.Table.from_batches(list(labeller.map(_batches(table, 700))))
    _same_rows(expected, got)
    assert got.schema == labeller.output_schema(table.schema)


@settings(max_examples=15, deadline=None)
@given(size=st.integers(min_value=1, max_value=400), seed=st.integers(0, 2**16))
def test_any_partitioning_gives_the_same_rows(derm1m: Ontology, size: int, seed: int) -> None:
    table = make_table(derm1m, 400, seed=seed)
    labeller = BatchLabeller.build(derm1m, "disease_label", levels=(1, 3))
    whole = labeller(table.combine_chunks().to_batches()[0])
    # the simple per-row reference: each row alone
    rows = [labeller(b) for b in _batches(table, 1)]
    parts = pa.Table.from_batches(list(labeller.map(_batches(table, size))))
    _same_rows(pa.Table.from_batches([whole]), parts)
    _same_rows(pa.Table.from_batches(rows), parts)


def test_the_labeller_ships_to_workers(derm1m: Ontology) -> None:
    table = make_table(derm1m, 500, seed=2)
    labeller = BatchLabeller.build(derm1m, "disease_label")
    shipped = pickle.loads(pickle.dumps(labeller))
    batch = table.combine_chunks().to_batches()[0]
    assert shipped(batch).equals(labeller(batch))


def test_unknown_error_and_missing_column(derm1m: Ontology) -> None:
    labeller = BatchLabeller.build(derm1m, "disease_label", unknown="error")
    with pytest.raises(DermOntoError, match="unlisted condition"):
        labeller(pa.record_batch({"disease_label": ["psoriasis", "unlisted condition"]}))
    with pytest.raises(DermOntoError, match="no column 'disease_label'"):
        labeller(pa.record_batch({"label": ["psoriasis"]}))


def test_nulls_count_as_empty_cells(derm1m: Ontology) -> None:
    labeller = BatchLabeller.build(derm1m, "disease_label", levels=(1,))
    out = labeller(pa.record_batch({"disease_label": pa.array([None, "", "psoriasis"])}))
    assert out.column("level_1").to_pylist()[:2] == ["", ""]


@pytest.mark.parametrize("drop_empty", [False, True])
def test_batch_captioner_equals_the_command(
    derm1m: Ontology, tmp_path: Path, drop_empty: bool
) -> None:
    table = make_table(derm1m, 3000, seed=3)
    expected = _cli_captions(derm1m, table, tmp_path, drop_empty=drop_empty)
    captioner = BatchCaptioner.build(derm1m, drop_empty=drop_empty)
    got = pa.Table.from_batches(list(captioner.map(_batches(table, 512))))
    _same_rows(expected, got)
    assert got.column_names[-len(CAPTION_COLUMNS) :] == list(CAPTION_COLUMNS)


def test_captions_without_optional_columns_equal_the_command(
    derm1m: Ontology, tmp_path: Path
) -> None:
    table = make_table(derm1m, 500, seed=4).select(["row_id", "disease_label"])
    expected = _cli_captions(derm1m, table, tmp_path)
    got = BatchCaptioner.build(derm1m)(table.combine_chunks().to_batches()[0])
    _same_rows(expected, pa.Table.from_batches([got]))


# -- Spark ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark() -> Any:
    require("pyspark")
    from derm_onto.spark import session

    spark = session("local[2]", "derm-onto-tests")
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    yield spark
    spark.stop()


@pytest.mark.slow
def test_spark_equals_the_command_on_100k_rows(
    derm1m: Ontology, tmp_path: Path, spark: Any
) -> None:
    from derm_onto.spark import caption_dataframe, label_dataframe, read_table

    table = make_table(derm1m, 100_000, seed=5)
    source = tmp_path / "table.parquet"
    pq.write_table(table, source, row_group_size=10_000)
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(source.stat().st_size // 4))
    df = read_table(spark, str(source))
    assert df.rdd.getNumPartitions() >= 2  # the work is split over the workers

    expected = _cli_labels(derm1m, table, tmp_path)
    got = label_dataframe(df, derm1m, "disease_label").toArrow().sort_by("row_id")
    _same_rows(expected, got)

    expected = _cli_captions(derm1m, table, tmp_path)
    got = caption_dataframe(df, derm1m).toArrow().sort_by("row_id")
    _same_rows(expected, got)


@pytest.mark.slow
def test_spark_commands_equal_the_local_commands(
    derm1m: Ontology, tmp_path: Path, spark: Any, runner: Any
) -> None:
    from pyarrow import csv as pa_csv

    from derm_onto.cli import main

    source = tmp_path / "table.csv"
    pa_csv.write_csv(make_table(derm1m, 2000, seed=6), str(source))
    for command in ("labels", "captions"):
        local, folder = tmp_path / f"{command}.parquet", tmp_path / f"{command}-spark"
        option = ["--column", "disease_label"] if command == "labels" else []
        done = runner.invoke(main, [command, str(source), "-o", str(local), *option])
        assert done.exit_code == 0, done.output
        done = runner.invoke(main, ["spark", command, str(source), "-o", str(folder), *option])
        assert done.exit_code == 0, done.output
        got = pq.read_table(folder).sort_by("row_id")
        _same_rows(pq.read_table(local), got)
        again = runner.invoke(main, ["spark", command, str(source), "-o", str(folder)])
        assert again.exit_code == 1
        assert again.output.startswith("derm-onto: error: ") and "Traceback" not in again.output
    maps = json.loads((tmp_path / "labels-spark.classes.json").read_text(encoding="utf-8"))
    assert maps == json.loads((tmp_path / "labels.classes.json").read_text(encoding="utf-8"))


def test_tables_as_ray_data_passes_them(derm1m: Ontology) -> None:
    table = make_table(derm1m, 600, seed=7)
    chunked = pa.concat_tables([table.slice(0, 250), table.slice(250)])  # two chunks
    for function in (
        BatchLabeller.build(derm1m, "disease_label"),
        BatchCaptioner.build(derm1m, drop_empty=True),
    ):
        got = function(chunked)
        assert isinstance(got, pa.Table)
        _same_rows(pa.Table.from_batches(list(function.map(_batches(table, 100)))), got)
        assert function(table.slice(0, 0)).num_rows == 0
