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
