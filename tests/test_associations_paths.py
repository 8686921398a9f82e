"""Tests of the fast paths of derm_onto.associations.mine against simple references: integer
views of Arrow arrays, memoised ancestors, rounding in bulk, batches read ahead on a thread."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto import hierarchy
from derm_onto.associations.mine import Vocabulary
from derm_onto.associations.sources import ACCEPTED_METHODS
from derm_onto.errors import DermOntoError, UnknownTermError
from derm_onto.jsonio import load
from derm_onto.model import KINDS
from derm_onto.resources import bundled_ontology_path

from .conftest import TINY

mine_module = sys.modules["derm_onto.associations.mine"]

INT_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@settings(deadline=None)  # the first call imports pyarrow's pandas shim
@given(
    st.sampled_from(INT_TYPES),
    st.lists(st.integers(0, 127), max_size=40),
    st.integers(0, 10),
    st.integers(0, 10),
    st.booleans(),
)
def test_int_view_equals_the_arrow_values(
    type_name: str, values: list[int], start: int, stop: int, null: bool
) -> None:
    import pyarrow as pa

    array = pa.array(values + ([None] if null else []), getattr(pa, type_name)())
    sliced = array[start : max(start, len(array) - stop)]  # an offset into the buffer
    view = mine_module._ints(sliced)
    expected = sliced.to_pylist()
    assert len(view) == len(expected)
    assert [int(v) for v, e in zip(view, expected, strict=True) if e is not None] == [
        e for e in expected if e is not None
    ]
    if not sliced.null_count:  # a chunked column: its chunks' values in order
        chunked = pa.chunked_array([sliced, sliced], type=sliced.type)
        assert [int(v) for v in mine_module._ints(chunked)] == expected * 2


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=30))
def test_bulk_rounding_equals_rounding_each(values: list[float]) -> None:
    assert mine_module._round_all(values, 4) == [float(f"{v:.4g}") for v in values]


@pytest.mark.parametrize("path", [TINY, bundled_ontology_path()], ids=["tiny", "bundled"])
def test_memoised_ancestors_equal_the_hierarchy(path: Path) -> None:
    onto = load(path)
    vocab = Vocabulary(onto)
    checked = 0
    for kind in KINDS:
        graph = hierarchy.build_graph(onto, kind)
        for term in onto.entries(kind):
            if term.obsolete:
                continue
            expected = tuple(hierarchy.ancestors(graph, term.id, reflexive=True))
            assert vocab.up(kind, term.id) == expected, term.id
            checked += 1
    assert checked > 10
    with pytest.raises(UnknownTermError):
        vocab.up("conditions", "NOPE:0000000")


@given(st.lists(st.integers(), max_size=30), st.integers(1, 3))
def test_prefetch_yields_every_item_in_order(items: list[int], depth: int) -> None:
    assert list(mine_module.prefetch(iter(items), depth)) == items


def test_prefetch_raises_the_producers_error_after_its_items() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("row 3 is broken")

    seen: list[int] = []
    with pytest.raises(ValueError, match="row 3 is broken"):
        for item in mine_module.prefetch(failing()):
            seen.append(item)
    assert seen == [1, 2]


def test_prefetch_stops_the_producer_when_the_consumer_leaves() -> None:
    closed: list[bool] = []

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.append(True)

    stream = mine_module.prefetch(endless(), 2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()  # joins the producer thread: it saw the stop and closed its source
    assert closed == [True]


def test_a_read_error_reaches_the_caller_through_the_prefetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from derm_onto.associations.mine import MineOptions, mine

    table = tmp_path / "t.csv"
    table.write_text("disease_label,skin_concept\nmelanoma,papule\n")
    real = mine_module.read_selected

    def broken(path: str, columns: list[str]) -> Iterator[Any]:
        yield from real(path, columns)
        raise DermOntoError(f"{path}: malformed table after row 1: CSV parse error")

    monkeypatch.setattr(mine_module, "read_selected", broken)
    with pytest.raises(DermOntoError, match=r"t\.csv: malformed table after row 1"):
        mine([str(table)], load(TINY), MineOptions(min_images=1))


header_names = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters='\r\n"'), min_size=1, max_size=12),
    min_size=1,
    max_size=8,
)


def _names_from_a_full_block(path: Path) -> list[str]:
    """The reference: the header as pyarrow reads it with the tables' full CSV block."""
    from pyarrow import csv as pa_csv

    from derm_onto import tables

    read, parse, _ = tables._csv_options(tables.table_format(path))
    with tables._input(path) as stream:
        names = list(pa_csv.open_csv(stream, read_options=read, parse_options=parse).schema.names)
    return tables._check_unique(path, names)


@settings(deadline=None, max_examples=40)
@given(header_names, st.integers(0, 3), st.sampled_from(["csv", "tsv", "csv.gz"]))
def test_header_equals_read_columns(names: list[str], rows: int, suffix: str) -> None:
    """read_columns reads a CSV header from its first 64 KiB: the same names (or the same
    message) as a read of the whole first block."""
    import gzip
    import tempfile

    from derm_onto.tables import read_columns

    sep = "\t" if suffix == "tsv" else ","
    line = sep.join('"' + n + '"' for n in names)
    text = line + "\n" + "".join(sep.join("x" for _ in names) + "\n" for _ in range(rows))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"t.{suffix}"
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if suffix.endswith("gz") else data)
        try:
            expected: Any = _names_from_a_full_block(path)
        except DermOntoError as exc:  # a duplicate name: the same message
            expected = str(exc)
        try:
            found: Any = read_columns(path)
        except DermOntoError as exc:
            found = str(exc)
        assert found == expected


def test_a_header_longer_than_the_first_block_is_read_whole(tmp_path: Path) -> None:
    names = [f"column_{i:05d}_{'x' * 40}" for i in range(3000)]  # ~150 KB of header
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    from derm_onto.tables import read_columns

    assert read_columns(path) == names
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(DermOntoError, match="'a' appears twice"):
        read_columns(bad)


def _fisher_one_by_one(a: Any, c: Any, f: Any, t: Any) -> list[float]:
    """P(X >= a) pair by pair: the pmf at the start (numpy's exp of scipy's gammaln, as the
    vectorised code takes it), then the ratio recurrence in Python floats until a term no
    longer changes the sum."""
    import numpy as np
    from scipy.special import gammaln

    out: list[float] = []
    for ai, ci, fi, ti in zip(a.tolist(), c.tolist(), f.tolist(), t.tolist(), strict=True):
        lo, hi = max(0.0, ci + fi - ti), min(ci, fi)
        upper = ai > ci * fi / (ti if ti > 0 else 1.0)
        k = ai if upper else ai - 1
        if not lo <= k <= hi:
            out.append(0.0 if upper else 1.0)
            continue
        log = (
            gammaln(fi + 1)
            - gammaln(k + 1)
            - gammaln(fi - k + 1)
            + gammaln(ti - fi + 1)
            - gammaln(ci - k + 1)
            - gammaln(ti - fi - ci + k + 1)
            - gammaln(ti + 1)
            + gammaln(ci + 1)
            + gammaln(ti - ci + 1)
        )
        term = float(np.exp(np.array([log]))[0])
        total = term
        while True:
            if upper:
                step = (fi - k) * (ci - k) / ((k + 1) * (ti - fi - ci + k + 1))
                k += 1
                if k > hi:
                    break
            else:
                step = k * (ti - fi - ci + k) / max((fi - k + 1) * (ci - k + 1), 1.0)
                k -= 1
                if k < lo:
                    break
            term = term * step
            total += term
            if not term > total * 1e-17:
                break
        out.append(min(max(total if upper else 1.0 - total, 0.0), 1.0))
    return out


@settings(deadline=None, max_examples=40)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 300_000), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0, 1)
        ),
        min_size=1,
        max_size=150,
    ),
    st.sampled_from([0, 48, 10_000]),
)
def test_vectorised_fisher_tails_equal_a_pair_by_pair_reference(
    cases: list[tuple[int, float, float, float]], scalar_tail: int
) -> None:
    """The same floats, bit for bit, whichever pairs go through numpy and which through
    the Python finish (``SCALAR_TAIL`` 0: all numpy; 10,000: all Python)."""
    import numpy as np

    from derm_onto.associations import stats

    n = np.array([t for t, _, _, _ in cases])
    n_c = np.floor(n * np.array([x for _, x, _, _ in cases])).astype(int)
    n_f = np.floor(n * np.array([y for _, _, y, _ in cases])).astype(int)
    lo, hi = np.maximum(0, n_c + n_f - n), np.minimum(n_c, n_f)
    a = lo + np.floor((hi - lo) * np.array([z for _, _, _, z in cases])).astype(int)
    want = _fisher_one_by_one(*(x.astype(np.float64) for x in (a, n_c, n_f, n)))
    before = stats.SCALAR_TAIL
    stats.SCALAR_TAIL = scalar_tail
    try:
        got = stats.fisher_greater(a, n_c, n_f, n)
    finally:
        stats.SCALAR_TAIL = before
    assert got.tolist() == want


@settings(deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 6), max_size=4), min_size=1, max_size=8),
    st.lists(st.integers(0, 7), max_size=12),
)
def test_csr_rows_equal_indexing_each_row(table: list[list[int]], rows: list[int]) -> None:
    import numpy as np

    rows = [r % len(table) for r in rows]
    indptr = np.concatenate(([0], np.cumsum([len(r) for r in table]))).astype(np.int64)
    indices = np.array([x for r in table for x in r], dtype=np.int64)
    lengths, found = mine_module.csr_rows(indptr, indices, np.array(rows, dtype=np.int64))
    assert lengths.tolist() == [len(table[r]) for r in rows]
    assert found.tolist() == [x for r in rows for x in table[r]]


_BUNDLED = load(bundled_ontology_path())
_VOCAB = Vocabulary(_BUNDLED)
_CONCEPT_NAMES = sorted({n for c in _BUNDLED.concepts for n in c.names})[:60]
_PART = st.sampled_from(
    [*_CONCEPT_NAMES, "no visual concepts", "unknown", "made-up thing", "", " papule "]
)


@settings(deadline=None, max_examples=30)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 5), st.lists(_PART, max_size=5)), max_size=40),
        min_size=1,
        max_size=3,
    )
)
def test_list_column_counts_by_parts_equal_a_per_row_reference(
    batches: list[list[tuple[int, list[str]]]],
) -> None:
    """Each batch's distinct cells are split once and rows take their cell's features: the
    same counts as matching every row's cell on its own (a feature twice in a row, through
    two parts or a part and its ancestor's name, counts once); unmapped parts by rows."""
    import numpy as np
    import pyarrow as pa

    from derm_onto.associations.sources import FeatureColumn

    assert _VOCAB.comma_free("concepts")  # the Derm1M path: lists split into parts
    state = mine_module._ColumnState(_VOCAB, FeatureColumn("skin_concept", "concepts", "list"))
    n_labels = 6
    n_features = len(_VOCAB.features)
    counts = np.zeros((n_labels, n_features), np.int64)
    rows = np.zeros(n_labels, np.int64)
    unmapped: Counter[str] = Counter()
    for batch in batches:
        labels = np.array([label for label, _ in batch], dtype=np.int64)
        cells = [", ".join(parts) for _, parts in batch]
        state.add_parts(labels, pa.array(cells, pa.string()), n_labels)
        for label, cell in zip(labels.tolist(), cells, strict=True):
            matches = _VOCAB.match_list("concepts", cell) if cell.strip() else []
            real = [m for m in matches if m.method not in ("sentinel", "empty")]
            accepted = [m.id for m in real if m.matched and m.method in ACCEPTED_METHODS]
            features = {
                _VOCAB.feature_index[a]
                for i in accepted
                for a in _VOCAB.up("concepts", i)
                if a in _VOCAB.feature_index
            }
            if real:
                rows[label] += 1
                for f in features:
                    counts[label, f] += 1
            for part in cell.split(","):
                m = _VOCAB.matchers["concepts"].match(part.strip())
                if (
                    part.strip()
                    and m.method not in ("sentinel", "empty")
                    and not (m.matched and m.method in ACCEPTED_METHODS)
                ):
                    unmapped[m.input] += 1
    assert state.rows[:n_labels].tolist() == rows.tolist()
    assert state.counts[:n_labels].tolist() == counts.tolist()
    assert {text: n for (text, _, _), n in state.unmapped.rows.items()} == dict(unmapped)


@given(
    st.lists(
        st.lists(
            st.one_of(st.none(), st.sampled_from(["a", "b", "é", "", " a", "c,d"])), max_size=9
        ),
        max_size=5,
    )
)
def test_interned_codes_equal_a_lookup_per_row(batches: list[list[str | None]]) -> None:
    """Batch by batch, each row's code is what a dict lookup of its value gives (a null
    as ""), and each new value is resolved once."""
    import pyarrow as pa

    codes: dict[str, int] = {}
    resolved: list[str] = []

    def lookup(value: str) -> int:
        resolved.append(value)
        return codes.setdefault(value, len(codes))

    encode = mine_module.Interned(codes, lookup)
    for batch in batches:
        got = encode(pa.array(batch, pa.string())).tolist()
        assert got == [codes["" if v is None else v] for v in batch]
    assert sorted(resolved) == sorted(set(resolved)) == sorted(codes)


def _dumps_reference(document: dict[str, Any]) -> bytes:
    """The evidence file's canonical form, spelled out: the head as json.dumps with sorted
    keys and indent 2; the records one per line (json.dumps, sorted keys), 4 spaces in."""
    import json

    head = {k: v for k, v in document.items() if k != "associations"}
    records = document.get("associations", [])
    body = json.dumps(head, sort_keys=True, indent=2, ensure_ascii=False)
    if records:
        lines = ",\n".join(
            "    " + json.dumps(r, sort_keys=True, ensure_ascii=False) for r in records
        )
        block = '"associations": [\n' + lines + "\n  ]"
    else:
        block = '"associations": []'
    rest = body[1:-1].strip("\n")
    return ("{\n  " + block + ("," + "\n" + rest if rest else "") + "\n}\n").encode("utf-8")


_JSON_SCALARS = st.one_of(
    st.text(),  # non-ASCII, quotes, backslashes, control characters
    st.floats(),  # nan and infinities too (json writes NaN, Infinity)
    st.integers(),
    st.booleans(),
    st.none(),
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.lists(st.dictionaries(st.text(max_size=6), _JSON, max_size=6), max_size=6),
    st.dictionaries(st.text(max_size=8).filter(lambda k: k != "associations"), _JSON, max_size=4),
)
def test_dumps_equals_the_reference_form(
    records: list[dict[str, Any]], head: dict[str, Any]
) -> None:
    from derm_onto.associations import evidence

    document = {**head, "associations": records}
    assert evidence.dumps(document) == _dumps_reference(document)


@pytest.mark.parametrize("preset", [None, "3"])
def test_one_blas_thread_for_the_cli_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, preset: str | None
) -> None:
    """`associations mine` (our process) loads numpy with one OpenBLAS thread unless the
    user set OPENBLAS_NUM_THREADS; the library function leaves the environment alone."""
    import os

    from click.testing import CliRunner

    from derm_onto.cli import main

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "x")  # recorded, so the test's end restores it
    if preset is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", preset)
    table = tmp_path / "t.csv"
    table.write_text("disease_label,skin_concept\nmelanoma,papule\n")
    mine_module.mine([str(table)], load(bundled_ontology_path()))
    assert os.environ.get("OPENBLAS_NUM_THREADS") == preset
    seen: list[str | None] = []
    original = mine_module.mine

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
        return original(*args, **kwargs)

    monkeypatch.setattr(mine_module, "mine", spy)
    out = tmp_path / "ev.json"
    result = CliRunner().invoke(main, ["associations", "mine", str(table), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert seen == [preset or "1"]
