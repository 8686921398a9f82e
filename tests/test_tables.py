"""The streaming table writer: batches written in the background, in order, atomically."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.tables import TableWriter, read_batches


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=6), max_size=40), st.integers(1, 7))
def test_batches_are_written_in_order_as_one_table(tmp_path_factory, values, size) -> None:
    folder = tmp_path_factory.mktemp("w")
    table = pa.table({"a": pa.array(values, pa.string()), "n": list(range(len(values)))})
    for name in ("out.csv", "out.parquet"):
        with TableWriter(folder / name, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=size):
                writer.write(batch)
    pa_csv.write_csv(table, folder / "direct.csv")
    assert (folder / "out.csv").read_bytes() == (folder / "direct.csv").read_bytes()
    assert pq.read_table(folder / "out.parquet").equals(table)


def test_a_failed_write_raises_and_leaves_no_file(tmp_path) -> None:
    schema = pa.schema([("a", pa.string())])
    wrong = object()  # no record batch: the writer thread fails on it
    target = tmp_path / "out.csv"
    with pytest.raises(ValueError), TableWriter(target, schema) as writer:
        writer.write(pa.record_batch({"a": pa.array(["x"])}))
        writer.write(wrong)
        for _ in range(3):  # the error surfaces at a later write or on leaving
            writer.write(pa.record_batch({"a": pa.array(["y"])}))
    assert list(tmp_path.iterdir()) == []


def test_an_error_of_the_caller_leaves_no_file(tmp_path) -> None:
    schema = pa.schema([("a", pa.string())])
    with pytest.raises(RuntimeError), TableWriter(tmp_path / "out.parquet", schema) as writer:
        writer.write(pa.record_batch({"a": pa.array(["x"])}))
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_written_table_reads_back(tmp_path) -> None:
    table = pa.table({"a": ["1", "x,y"], "b": ['q"', ""]})
    with TableWriter(tmp_path / "t.tsv", table.schema) as writer:
        writer.write(table.to_batches()[0])
    back = pa.Table.from_batches(list(read_batches(tmp_path / "t.tsv")))
    assert back.to_pylist() == table.to_pylist()


def test_progress_is_tqdm_on_a_terminal_only(monkeypatch) -> None:
    import sys

    from tqdm import tqdm

    from derm_onto.tables import progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with progress(3) as bar:
        bar.update(3)
        assert not isinstance(bar, tqdm)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress(3) as bar:
        assert isinstance(bar, tqdm)


@st.composite
def coded_tables(draw: st.DrawFn) -> tuple[pa.Table, list[pa.RecordBatch]]:
    """A table of strings, and the same rows as batches whose ``a`` column is a dictionary
    array (duplicates and unused entries in the dictionaries allowed, as pyarrow allows)
    and whose ``b`` column is one in some batches only."""
    words = st.text(alphabet='xy,"\n é', max_size=5)
    values = draw(st.lists(words, min_size=1, max_size=30))
    b_values = draw(st.lists(words, min_size=len(values), max_size=len(values)))
    size = draw(st.integers(1, 9))
    batches = []
    for start in range(0, len(values), size):
        rows = values[start : start + size]
        pool = draw(st.lists(words, max_size=3)) + rows
        a = pa.DictionaryArray.from_arrays(
            pa.array([len(pool) - len(rows) + i for i in range(len(rows))], pa.int32()),
            pa.array(pool, pa.string()),
        )
        b: pa.Array = pa.array(b_values[start : start + size], pa.string())
        if draw(st.booleans()):
            b = b.dictionary_encode()
        batches.append(pa.record_batch([a, b], names=["a", "b"]))
    table = pa.table({"a": pa.array(values, pa.string()), "b": pa.array(b_values, pa.string())})
    return table, batches


@settings(max_examples=30, deadline=None)
@given(coded_tables(), st.sampled_from([0, 1 << 20]))
def test_dictionary_batches_write_the_values(tmp_path_factory, coded, page) -> None:
    import pandas as pd

    from derm_onto import tables

    table, batches = coded
    folder = tmp_path_factory.mktemp("d")
    wire = pa.schema([("a", batches[0].schema.field("a").type), ("b", batches[0].column(1).type)])
    original = tables.DICTIONARY_PAGE
    tables.DICTIONARY_PAGE = page  # 0: every dictionary is decoded for Parquet
    try:
        for name in ("out.csv", "out.parquet"):
            with TableWriter(folder / name, table.schema, wire_schema=wire) as writer:
                for batch in batches:
                    writer.write(batch)
    finally:
        tables.DICTIONARY_PAGE = original
    pa_csv.write_csv(table, folder / "direct.csv")
    assert (folder / "out.csv").read_bytes() == (folder / "direct.csv").read_bytes()
    back = pq.read_table(folder / "out.parquet")
    assert back.schema == table.schema and back.equals(table)
    assert pd.read_parquet(folder / "out.parquet").equals(table.to_pandas())


def test_a_wire_schema_must_hold_the_schema(tmp_path) -> None:
    schema = pa.schema([("a", pa.string())])
    wrong = pa.schema([("a", pa.dictionary(pa.int32(), pa.int64()))])
    with pytest.raises(ValueError, match="does not hold"):
        TableWriter(tmp_path / "t.parquet", schema, wire_schema=wrong)


def test_no_batch_writes_an_empty_table(tmp_path) -> None:
    schema = pa.schema([("a", pa.string())])
    wire = pa.schema([("a", pa.dictionary(pa.int32(), pa.string()))])
    with TableWriter(tmp_path / "t.parquet", schema, wire_schema=wire):
        pass
    back = pq.read_table(tmp_path / "t.parquet")
    assert back.schema == schema and back.num_rows == 0
