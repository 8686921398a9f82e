"""Stream CSV, TSV and Parquet tables in record batches with pyarrow.

Every column is read as a string, so a table passes through unchanged. CSV cells may hold
line breaks (Derm1M captions do). The format follows the extension: ``.csv``, ``.tsv`` (either
optionally ``.gz``), ``.parquet`` / ``.pq``. Writers go to a temporary file that replaces the
target only when the whole table was written.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "in.csv").write_text('a,b\\n1,"x\\ny"\\n')
>>> [b.num_rows for b in read_batches(folder / "in.csv")]
[1]
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from derm_onto.errors import DermOntoError
from derm_onto.files import atomic_path

Format = Literal["csv", "tsv", "parquet"]
BLOCK_SIZE = 1 << 23  # 8 MiB of CSV per batch: flat memory, few Python round trips


def table_format(path: str | os.PathLike[str]) -> Format:
    """The table format of a path, from its extension."""
    if Path(path).is_dir():
        raise DermOntoError(f"{path}: is a folder, not a table file")
    name = Path(path).name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise DermOntoError(f"{path}: unknown table format; use .csv, .tsv or .parquet")


def _csv_options(fmt: Format, names: list[str] | None = None) -> tuple[Any, Any, Any]:
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    read = pa_csv.ReadOptions(block_size=BLOCK_SIZE, use_threads=True)
    parse = pa_csv.ParseOptions(delimiter="\t" if fmt == "tsv" else ",", newlines_in_values=True)
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()) if names else None,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return read, parse, convert


def _input(path: Path) -> Any:
    import pyarrow as pa

    return pa.input_stream(str(path), compression="detect")


#: A CSV header is read from this many bytes first: opening a reader parses its first block
#: and infers every column's type, 0.05-0.3 s for a whole 8 MiB block of a Derm1M table. A
#: longer header (or a first block pyarrow refuses) is read again with the full block.
HEADER_BLOCK = 1 << 16


def read_columns(path: str | os.PathLike[str]) -> list[str]:
    """The column names of a table (a CSV's from its first :data:`HEADER_BLOCK` bytes when
    the header fits).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n")
    >>> read_columns(path)
    ['a', 'b']
    """
    source = Path(path)
    fmt = table_format(source)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            names = list(pq.ParquetFile(str(source)).schema_arrow.names)
            return _check_unique(source, names)
        import pyarrow as pa
        from pyarrow import csv as pa_csv

        read, parse, _ = _csv_options(fmt)
        first = pa_csv.ReadOptions(block_size=HEADER_BLOCK, use_threads=False)
        try:
            with _input(source) as stream:
                reader = pa_csv.open_csv(stream, read_options=first, parse_options=parse)
                return _check_unique(source, list(reader.schema.names))
        except pa.ArrowInvalid:  # a header longer than the block, or a malformed first rows
            pass
        with _input(source) as stream:
            reader = pa_csv.open_csv(stream, read_options=read, parse_options=parse)
            return _check_unique(source, list(reader.schema.names))
    except DermOntoError:
        raise
    except FileNotFoundError:
        raise DermOntoError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise DermOntoError(f"{source}: is a folder, not a table file") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError subclasses
        raise DermOntoError(f"{source}: cannot read table: {_first_line(exc)}") from None


def check_columns(
    source: str | os.PathLike[str], required: list[str], added: list[str], hint: str
) -> list[str]:
    """The table's columns, after checking that ``required`` are there and ``added`` are
    not (``hint`` says how to avoid a clash)."""
    columns = read_columns(source)
    for name in required:
        if name not in columns:
            raise DermOntoError(f"{source}: no column {name!r} (columns: {', '.join(columns)})")
    clash = [n for n in added if n in columns]
    if clash:
        raise DermOntoError(f"{source}: already has column {clash[0]!r}; {hint}")
    return columns


def _check_unique(source: Path, names: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DermOntoError(
                f"{source}: column {name!r} appears twice in the header; rename one of them"
            )
        seen.add(name)
    return names


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_batches(
    path: str | os.PathLike[str],
    on_progress: Callable[[int], object] | None = None,
    columns: list[str] | None = None,
) -> Iterator[Any]:
    """Record batches of a table, every column as strings.

    ``on_progress`` is called after each batch with the work done since the last call, in
    the unit of :func:`progress_total` (rows of a Parquet file, bytes of a CSV/TSV file).
    """
    source = Path(path)
    fmt = table_format(source)
    names = columns if columns is not None else read_columns(source)  # header read once
    rows_before = 0
    try:
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pa.schema([(n, pa.string()) for n in names])
            for batch in pq.ParquetFile(str(source)).iter_batches(batch_size=65536):
                if on_progress is not None:
                    on_progress(batch.num_rows)
                yield batch.cast(schema) if batch.schema != schema else batch
            return
        import pyarrow as pa
        from pyarrow import csv as pa_csv

        read, parse, convert = _csv_options(fmt, names)
        with pa.OSFile(str(source), "rb") as raw:
            compressed = source.name.lower().endswith(".gz")
            stream = pa.CompressedInputStream(raw, "gzip") if compressed else raw
            reader = pa_csv.open_csv(
                stream, read_options=read, parse_options=parse, convert_options=convert
            )
            done = 0
            for batch in reader:
                rows_before += batch.num_rows
                if on_progress is not None:
                    position = raw.tell()
                    on_progress(position - done)
                    done = position
                yield batch
    except DermOntoError:
        raise
    except Exception as exc:
        where = f" after row {rows_before}" if rows_before else ""
        raise DermOntoError(f"{source}: malformed table{where}: {_first_line(exc)}") from None


def progress_total(path: str | os.PathLike[str]) -> tuple[int, str]:
    """The size of a table for a progress bar: ``(rows, "rows")`` for Parquet (from its
    metadata), ``(bytes, "B")`` for CSV/TSV (the file on disk, compressed or not)."""
    source = Path(path)
    if table_format(source) == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(str(source)).metadata.num_rows), "rows"
    return source.stat().st_size, "B"


@contextlib.contextmanager
def tracked_batches(
    path: str | os.PathLike[str], desc: str, columns: list[str] | None = None
) -> Iterator[Iterator[Any]]:
    """:func:`read_batches` with a progress bar (total and ETA) on a terminal; ``columns``
    (from :func:`check_columns`) spares reading the header again.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "in.csv").write_text("a\\n1\\n2\\n")
    >>> with tracked_batches(folder / "in.csv", "demo") as batches:
    ...     sum(b.num_rows for b in batches)
    2
    """
    total, unit = progress_total(path)
    with progress(total=total, unit=unit, desc=desc) as bar:
        yield read_batches(path, on_progress=bar.update, columns=columns)


#: the largest dictionary (in bytes) a Parquet column is given as it is: Parquet's default
#: dictionary page limit, beyond which its writer turns to plain encoding anyway
DICTIONARY_PAGE = 1 << 20


class TableWriter:
    """Write record batches to CSV, TSV or Parquet atomically (use as a context manager).

    Batches are encoded and written by one background thread, in order, while the caller
    computes the next batch (pyarrow's writers release the GIL); at most two batches wait.
    An error of the writer is raised by the next :meth:`write` or on leaving the context.

    A batch may hold dictionary arrays where ``schema`` has their value type (declare them
    in ``wire_schema``): the file holds ``schema``'s types, and the same values. Parquet
    takes the dictionaries as they are when the first batch's fit a dictionary page (no
    hashing of every row again); CSV, and Parquet for larger ones, get the decoded values.

    >>> import tempfile, pathlib, pyarrow as pa, pyarrow.parquet as pq
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> column = pa.DictionaryArray.from_arrays(pa.array([1, 0, 1], pa.int32()), ["x", "y"])
    >>> batch = pa.record_batch({"a": column})
    >>> schema = pa.schema([("a", pa.string())])
    >>> with TableWriter(path, schema, wire_schema=batch.schema) as writer:
    ...     writer.write(batch)
    >>> pq.read_table(path).to_pydict()
    {'a': ['y', 'x', 'y']}
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        schema: Any,
        *,
        temporary: str | os.PathLike[str] | None = None,
        wire_schema: Any = None,
    ) -> None:
        """Write ``path``; with ``temporary`` (a path from :func:`~derm_onto.files.atomic_paths`
        that the caller renames), write that file directly in ``path``'s format.
        ``wire_schema``: the schema of the batches given to :meth:`write`, when some of
        their columns are dictionary arrays of ``schema``'s types."""
        self.path = Path(path)
        self.format = table_format(self.path)
        self.schema = schema
        self.wire_schema = schema if wire_schema is None else wire_schema
        _check_wire_schema(schema, self.wire_schema)
        #: the schema of the batches the file writer takes (set when it opens)
        self._file_schema: Any = None
        self.temporary = Path(temporary) if temporary is not None else None
        self._tmp: Path | None = None
        self._stack = contextlib.ExitStack()
        self._writer: Any = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> TableWriter:
        self._tmp = self.temporary or self._stack.enter_context(atomic_path(self.path))
        if self.format != "parquet":
            import pyarrow as pa
            from pyarrow import csv as pa_csv

            compression = "gzip" if self.path.name.lower().endswith(".gz") else None
            sink = self._stack.enter_context(
                pa.output_stream(str(self._tmp), compression=compression)
            )
            options = pa_csv.WriteOptions(delimiter="\t" if self.format == "tsv" else ",")
            self._writer = pa_csv.CSVWriter(sink, self.schema, write_options=options)
            self._file_schema = self.schema
        elif self.wire_schema.equals(self.schema):
            self._open_parquet(self.schema)
        self._thread = threading.Thread(target=self._drain, name="derm-onto-writer", daemon=True)
        self._thread.start()
        return self

    def _open_parquet(self, file_schema: Any) -> None:
        """Open the Parquet writer for batches of ``file_schema``; the file's stored Arrow
        schema is ``schema`` (what readers give back)."""
        import pyarrow.parquet as pq

        plain = file_schema.equals(self.schema)
        self._writer = pq.ParquetWriter(
            str(self._tmp), file_schema, compression="zstd", store_schema=plain
        )
        if not plain:  # the key and encoding Arrow itself stores its schema with
            import base64

            serialized = base64.b64encode(self.schema.serialize().to_pybytes())
            self._writer.add_key_value_metadata({"ARROW:schema": serialized})
        self._file_schema = file_schema

    def _parquet_schema(self, batch: Any) -> Any:
        """The first batch's dictionary columns stay dictionaries if they fit a page."""
        import pyarrow as pa

        fields = []
        for field, wire, column in zip(self.schema, self.wire_schema, batch.columns, strict=True):
            small = isinstance(column, pa.DictionaryArray) and (
                column.dictionary.nbytes <= DICTIONARY_PAGE
            )
            fields.append(wire if pa.types.is_dictionary(wire.type) and small else field)
        return pa.schema(fields, metadata=self.schema.metadata)

    def _drain(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self._error is None:
                try:
                    self._writer.write(_conform(batch, self._file_schema))
                except BaseException as exc:  # raised again in the caller's thread
                    self._error = exc

    def write(self, batch: Any) -> None:
        """Append one record batch (written in the background)."""
        if self._error is not None:
            raise self._error
        if self._writer is None:
            self._open_parquet(self._parquet_schema(batch))
        self._queue.put(batch)

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None
            if exc_type is None and self._error is not None:
                raise self._error
            if self._writer is None and exc_type is None:  # no batch: an empty table
                self._open_parquet(self.schema)
            if self._writer is not None:
                self._writer.close()
        except BaseException as error:  # the temporary file is discarded, not renamed
            if not self._stack.__exit__(type(error), error, error.__traceback__):
                raise
            return
        self._stack.__exit__(exc_type, exc, traceback)


def _check_wire_schema(schema: Any, wire: Any) -> None:
    """``wire`` has ``schema``'s fields, some of them as dictionaries of the same type."""
    import pyarrow as pa

    if wire.names != schema.names:
        raise ValueError(f"wire schema columns {wire.names} differ from {schema.names}")
    for field, other in zip(schema, wire, strict=True):
        kind = other.type.value_type if pa.types.is_dictionary(other.type) else other.type
        if kind != field.type:
            raise ValueError(f"column {field.name!r}: {other.type} does not hold {field.type}")


def _conform(batch: Any, schema: Any) -> Any:
    """``batch`` with each column of ``schema``'s type: dictionary arrays decoded, or
    plain ones dictionary-encoded (a batch not of record-batch type is left to fail)."""
    import pyarrow as pa

    if not isinstance(batch, pa.RecordBatch) or batch.schema.equals(schema):
        return batch
    columns = []
    for column, field in zip(batch.columns, schema, strict=True):
        if column.type != field.type:
            if pa.types.is_dictionary(field.type):
                column = column.dictionary_encode().cast(field.type)
            else:
                column = column.dictionary.take(column.indices)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


class _Silent:
    """What :func:`progress` gives when stderr is no terminal: a bar that shows nothing."""

    def update(self, n: float = 1) -> None:
        """Count ``n`` more units (nowhere)."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def progress(total: int | None = None, unit: str = "rows", desc: str = "") -> Any:
    """A tqdm progress bar on a terminal (stderr); silent when stderr is piped (then tqdm,
    its import and its monitor thread, are spared).

    >>> with progress(10, desc="demo") as bar:  # doctest output goes to no terminal
    ...     bar.update(10)
    """
    import sys

    if not sys.stderr.isatty():
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, leave=False)
