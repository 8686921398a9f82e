"""Mine condition <-> concept/finding associations from annotated tables, streaming.

Each table is read in pyarrow record batches. A batch's label column and each feature
column are dictionary-encoded; every distinct value is resolved once (matcher, then the
hierarchy), so a value becomes a small multi-hot row: the conditions it counts for (the
matched conditions and all their ancestors, de-duplicated, so an image of nodular melanoma
counts once for melanoma and once for each ancestor) and the features it shows (matched
concepts or findings and their ancestors: a nose image is also a face and a head image).
Counting is then sparse matrix algebra over the batch, in numpy: each row adds its cell
value's row of ``B`` (cell value x feature, 0/1, as CSR arrays) to its label value's counts
(one ``bincount`` per batch), and ``A^T`` (condition x label value) rolls them up the
hierarchy. Memory holds only the per-distinct-value tables and a (label values x features)
count matrix per column, so it stays flat as rows grow.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text(
...     "disease_label,skin_concept\\nmelanoma,papule\\nmelanoma,No visual concepts\\n")
>>> doc = mine([str(folder / "t.csv")], load(bundled_ontology_path()),
...            MineOptions(min_images=1))
>>> [(r["feature_label"], r["n_images"], r["n_with_feature"])
...  for r in doc["associations"] if r["condition_label"] == "melanoma"]
[('papule', 1, 1)]
>>> doc["sources"][0]["unmapped_columns"][0]["column"]  # reported, not fatal
'body_location'
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from derm_onto import hierarchy
from derm_onto.associations.sources import (
    ACCEPTED_METHODS,
    FeatureColumn,
    SourceAdapter,
    adapter,
    detect,
    feature_columns,
)
from derm_onto.errors import DermOntoError
from derm_onto.heap import paused_collection
from derm_onto.matching import Match, Matcher
from derm_onto.model import KINDS, Kind, Ontology

FEATURE_KINDS: tuple[Kind, ...] = ("concepts", "findings")

FORMAT = "derm-onto-associations/1"


@dataclass(frozen=True)
class MineOptions:
    """Thresholds: a condition needs ``min_images`` annotated images in a source for its
    links to be tested; a record is stored when ``n_with_feature >= min_count``."""

    min_images: int = 10
    min_count: int = 1
    alpha: float = 0.05
    level: float = 0.95


def _round_all(values: Any, digits: int) -> list[float]:
    """Each value to ``digits`` significant digits, as ``float(f"{v:.4g}")`` (each distinct
    value formatted once: BH q-values tie a lot, p-values of 1 too).

    >>> _round_all([0.000123456, 1.0, 1.0], 4)
    [0.0001235, 1.0, 1.0]
    """
    import numpy as np

    unique, inverse = np.unique(np.asarray(values, dtype=np.float64), return_inverse=True)
    rounded = np.array(list(map(float, map(f"{{:.{digits}g}}".format, unique.tolist()))))
    return list(rounded[inverse.ravel()].tolist())


class Vocabulary:
    """Axes and resolvers shared by every source: condition and feature ids (sorted), the
    matchers, and the reflexive ancestors of every id."""

    def __init__(self, ontology: Ontology) -> None:
        self.ontology = ontology
        self.conditions = sorted(t.id for t in ontology.conditions)
        self.features = sorted(t.id for kind in FEATURE_KINDS for t in ontology.entries(kind))
        self.condition_index = {c: i for i, c in enumerate(self.conditions)}
        self.feature_index = {f: i for i, f in enumerate(self.features)}
        self.matchers = {kind: Matcher(ontology, kind) for kind in KINDS}
        # each live entry's live parents of its own kind: the edges of hierarchy.build_graph,
        # read without building graphs (networkx costs a tenth of a second to import)
        self._parents: dict[str, dict[str, tuple[str, ...]]] = {}
        for kind in KINDS:
            live = {t.id: t.parents for t in ontology.entries(kind) if not t.obsolete}
            self._parents[kind] = {i: tuple(p for p in ps if p in live) for i, ps in live.items()}
        self._up: dict[str, tuple[str, ...]] = {}
        self._comma_free: dict[str, bool] = {}

    def comma_free(self, kind: Kind) -> bool:
        """True when no name of the kind holds a list separator (, ; |)."""
        if kind not in self._comma_free:
            self._comma_free[kind] = not any(
                sep in name
                for t in self.ontology.entries(kind)
                for name in (*t.names, *t.provenance)
                for sep in ",;|"
            )
        return self._comma_free[kind]

    def match_list(self, kind: Kind, cell: str) -> list[Match]:
        """:meth:`Matcher.match_cell`, made fast for lists of many distinct combinations:
        when no name of the kind holds a comma or a separator, the cell's parts are matched
        one by one (each distinct part once; the matcher caches it), instead of also trying
        runs of parts and the whole cell as one name (which cannot be names here).
        """
        matcher = self.matchers[kind]
        if not self.comma_free(kind):
            return matcher.match_cell(cell)
        parts = [p.strip() for p in re.split(r"[,;|]", cell)]
        return [matcher.match(p) for p in parts if p] or [matcher.match("")]

    def up(self, kind: Kind, term_id: str) -> tuple[str, ...]:
        """The id and its ancestors, sorted (each id's from its parents', memoised: one
        pass over the hierarchy however many ids are asked for)."""
        found = self._up.get(term_id)
        if found is None:
            parents = self._parents[kind].get(term_id)
            if parents is None:  # not a live entry of the kind: hierarchy names the error
                return tuple(
                    hierarchy.ancestors(hierarchy.build_graph(self.ontology, kind), term_id)
                )
            ids = {term_id}
            for parent in parents:
                ids.update(self.up(kind, parent))
            found = self._up[term_id] = tuple(sorted(ids))
        return found


@dataclass
class _Unmapped:
    rows: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, what: str, method: str, candidates: Sequence[str], rows: int) -> None:
        self.rows[(what, method, "|".join(candidates))] += rows


class _LabelState:
    """Distinct label values -> rolled-up condition indices."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.codes: dict[str, int] = {}
        self.conditions: list[tuple[int, ...]] = []
        self.status: list[str] = []
        self.encode = Interned(self.codes, self.code)

    def code(self, value: str) -> int:
        found = self.codes.get(value)
        if found is not None:
            return found
        matcher = self.vocab.matchers["conditions"]
        matches = matcher.match_cell(value) if value.strip() else []
        status = "ok"
        ids: set[int] = set()
        if not matches or all(m.method in ("sentinel", "empty") for m in matches):
            status = "sentinel"
        elif not all(m.matched and m.method in ACCEPTED_METHODS for m in matches):
            status = "unmatched"
        else:
            for m in matches:
                ids.update(self.vocab.condition_index[c] for c in self.vocab.up("conditions", m.id))
        self.codes[value] = len(self.conditions)
        self.conditions.append(tuple(sorted(ids)))
        self.status.append(status)
        return self.codes[value]


class _ColumnState:
    """Distinct cell values of one feature column -> feature indices; running counts."""

    def __init__(self, vocab: Vocabulary, spec: FeatureColumn) -> None:
        import numpy as np

        self.vocab = vocab
        self.spec = spec
        self.codes: dict[str, int] = {}
        self.encode = Interned(self.codes, self.code)
        self.features: list[tuple[int, ...]] = []
        self.annotated: list[bool] = []
        self.unmapped = _Unmapped()
        self.covered: set[int] = set()
        self.counts = np.zeros((0, len(vocab.features)), dtype=np.int64)  # label value x feature
        self.rows = np.zeros(0, dtype=np.int64)  # annotated rows per label value
        self._matrix: tuple[Any, Any] | None = None
        self._annotated: Any = None
        self._indptr: list[int] = [0]  # the matrix's rows, as code() adds values
        self._indices: list[int] = []
        self._unmapped_text: dict[int, tuple[str, str, tuple[str, ...]]] = {}
        self._column_ids: tuple[str, ...] | None = None

    def _resolve(self, text: str) -> tuple[str, str, tuple[str, ...]]:
        m = self.vocab.matchers[self.spec.kind].match(text)
        if m.matched and m.method in ACCEPTED_METHODS:
            return m.id, m.method, ()
        return "", m.method, m.candidates or ((m.id,) if m.id else ())

    def column_ids(self) -> tuple[str, ...]:
        """A binary column's own feature (matched from its name), or nothing."""
        if self._column_ids is None:
            name = self.spec.names[0].format(column=self.spec.column.replace("_", " "), value="")
            found, _, _ = self._resolve(name.strip())
            self._column_ids = (found,) if found else ()
        return self._column_ids

    def _value(self, value: str) -> tuple[tuple[str, ...], bool, tuple[str, str, tuple[str, ...]]]:
        """(feature ids, annotated, (unmapped text, method, candidates))"""
        spec = self.spec
        folded = value.strip().casefold()
        none = ("", "", ())
        if spec.encoding == "binary":
            if folded in spec.true_values:
                return self.column_ids(), True, none
            if folded in spec.false_values:
                return (), True, none
            return (), False, none
        if spec.encoding == "list":
            matches = self.vocab.match_list(spec.kind, value) if folded else []
            ids = [m.id for m in matches if m.matched and m.method in ACCEPTED_METHODS]
            real = [m for m in matches if m.method not in ("sentinel", "empty")]
            bad = [m for m in real if not (m.matched and m.method in ACCEPTED_METHODS)]
            if bad:
                m = bad[0]
                return tuple(ids), bool(real), (m.input, m.method, m.candidates)
            return tuple(ids), bool(real), none
        if not folded or folded in spec.absent_values:
            return (), bool(folded), none
        if fold_sentinel(self.vocab, spec.kind, value):
            return (), False, none
        column = spec.column.replace("_", " ")
        first: tuple[str, str, tuple[str, ...]] = none
        for template in spec.names:
            text = template.format(value=value.strip(), column=column)
            found, method, candidates = self._resolve(text)
            if found:
                return (found,), True, none
            if not first[0]:
                first = (text, method, candidates)
        return (), True, first

    def code(self, value: str) -> int:
        found = self.codes.get(value)
        if found is not None:
            return found
        ids, annotated, (text, method, candidates) = self._value(value)
        rolled = {
            self.vocab.feature_index[a]
            for i in ids
            for a in self.vocab.up(self.spec.kind, i)
            if a in self.vocab.feature_index
        }
        self.covered.update(rolled)
        code = self.codes[value] = len(self.features)
        self.features.append(tuple(sorted(rolled)))
        self.annotated.append(annotated)
        if annotated:
            self._indices.extend(self.features[-1])
        self._indptr.append(len(self._indices))
        self._matrix = None
        if text:
            self._unmapped_text[code] = (text, method, candidates)
        return code

    def matrix(self) -> tuple[Any, Any]:
        """The (cell value x feature) 0/1 matrix, annotated values only, as CSR arrays
        ``(indptr, indices)`` (rebuilt from the row lists :meth:`code` extends, when values
        were added)."""
        if self._matrix is None:
            import numpy as np

            self._matrix = (
                np.array(self._indptr, dtype=np.int64),
                np.array(self._indices, dtype=np.int64),
            )
            self._annotated = np.array(self.annotated, dtype=bool)
        return self._matrix

    def annotated_mask(self) -> Any:
        """Per cell value: annotated (a numpy array, kept with :meth:`matrix`)."""
        self.matrix()
        return self._annotated

    def _grow(self, n_labels: int) -> None:
        import numpy as np

        if self.counts.shape[0] < n_labels:
            grow = n_labels - self.counts.shape[0]
            self.counts = np.vstack([self.counts, np.zeros((grow, self.counts.shape[1]), np.int64)])
            self.rows = np.concatenate([self.rows, np.zeros(grow, np.int64)])

    def _count_unmapped(self, codes: Any, weights: Any = None) -> None:
        """Rows per unmapped value: ``codes`` (one per row, or one per distinct cell with
        its rows as ``weights``)."""
        import numpy as np

        if not self._unmapped_text:
            return
        per_code = np.bincount(codes, weights=weights, minlength=len(self.features))
        for code, (text, method, candidates) in self._unmapped_text.items():
            if per_code[code]:
                self.unmapped.add(text, method, candidates, int(per_code[code]))

    def _count(self, labels: Any, lengths: Any, features: Any) -> None:
        """Add rows' features to the counts: row i has label ``labels[i]`` and the next
        ``lengths[i]`` of ``features`` (distinct within the row)."""
        import numpy as np

        n_features = len(self.vocab.features)
        cells = np.repeat(labels * n_features, lengths) + features
        # added in place (no label values x features temporary per batch, which costs
        # its pages and a full add each time); counts is C-contiguous: a flat view
        assert self.counts.flags.c_contiguous
        np.add.at(self.counts.reshape(-1), cells, 1)

    def add(self, labels: Any, cells: Any, n_labels: int) -> None:
        """Count one batch: label codes and cell codes, row-aligned."""
        import numpy as np

        self._grow(n_labels)
        keep = self.annotated_mask()[cells]
        labels, cells = labels[keep], cells[keep]
        if labels.size == 0:
            return
        self._count(labels, *csr_rows(*self.matrix(), cells))
        self.rows[:n_labels] += np.bincount(labels, minlength=n_labels)
        self._count_unmapped(cells)

    def add_parts(self, labels: Any, array: Any, n_labels: int) -> None:
        """Count one batch of a list column by its parts: each distinct *part* is resolved
        once (not each distinct combination), and a row's features are the union of its
        parts' features (a feature twice in a row counts once).

        The batch's distinct cells are split (half as many as rows in a Derm1M table) and
        each one's feature set is made once; the rows then take their cell's set."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        self._grow(n_labels)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        encoded = pc.dictionary_encode(_no_nulls(array))
        cell = _ints(encoded.indices)  # per row: its distinct cell
        n_cells = len(encoded.dictionary)
        # split on commas only (a literal split is cheaper than a regex): a part holding ";"
        # or "|" is split again when it is resolved (match_list); parts are stripped there
        parts = pc.split_pattern(encoded.dictionary, pattern=",")
        parent = _ints(pc.list_parent_indices(parts))  # per part: its cell
        codes = self.encode(pc.list_flatten(parts))
        annotated = np.bincount(parent[self.annotated_mask()[codes]], minlength=n_cells) > 0
        self.rows[:n_labels] += np.bincount(labels[annotated[cell]], minlength=n_labels)
        n_features = len(self.vocab.features)
        lengths, features = csr_rows(*self.matrix(), codes)
        keys = np.repeat(parent.astype(np.int64) * n_features, lengths) + features
        # parts come in cell order, so a stable sort only orders each cell's few features
        # (much faster than np.unique's hashing); then drop repeats of a (cell, feature)
        keys.sort(kind="stable")
        if keys.size > 1:
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        owner = keys // n_features
        per_cell = np.bincount(owner, minlength=n_cells)
        offsets = np.concatenate(([0], np.cumsum(per_cell)))
        self._count(labels, *csr_rows(offsets, keys - owner * n_features, cell))
        self._count_unmapped(codes, np.bincount(cell, minlength=n_cells)[parent])


def csr_rows(indptr: Any, indices: Any, rows: Any) -> tuple[Any, Any]:
    """Rows of a CSR structure, concatenated: ``(lengths, indices)`` with ``lengths[i]``
    the length of ``rows[i]``'s row (what ``matrix[rows]`` holds, without scipy).

    >>> import numpy as np
    >>> lengths, found = csr_rows(np.array([0, 2, 2, 5]), np.arange(5), np.array([2, 0, 1, 2]))
    >>> lengths.tolist(), found.tolist()
    ([3, 2, 0, 3], [2, 3, 4, 0, 1, 2, 3, 4])
    """
    import numpy as np

    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    ends = np.cumsum(lengths)
    positions = np.repeat(starts - ends + lengths, lengths) + np.arange(
        int(ends[-1]) if ends.size else 0
    )
    return lengths, indices[positions]


def fold_sentinel(vocab: Vocabulary, kind: Kind, value: str) -> bool:
    """True when the value is a matcher sentinel ("unknown", "No visual concepts")."""
    return vocab.matchers[kind].match(value).method == "sentinel"


class Interned:
    """Codes of string arrays against a growing table of values: ``codes`` (value -> code,
    the codes 0, 1, 2, ... in insertion order) and ``lookup`` (resolves a new value and
    adds it). Arrow finds the known values (``index_in``: a value's index in the table is
    its code); only values never seen go through Python, each once. A batch of a Derm1M
    table holds hundreds of label values and parts that earlier batches already resolved.

    >>> import pyarrow as pa
    >>> codes: dict[str, int] = {}
    >>> encode = Interned(codes, lambda v: codes.setdefault(v, len(codes)))
    >>> encode(pa.array(["b", "a", "b"])).tolist(), encode(pa.array(["a", "c"])).tolist()
    ([0, 1, 0], [1, 2])
    """

    def __init__(self, codes: dict[str, int], lookup: Callable[[str], int]) -> None:
        self.codes = codes
        self.lookup = lookup
        self._table: Any = None  # the codes' keys in code order, an Arrow array

    def _known(self) -> Any:
        import pyarrow as pa

        if self._table is None:
            self._table = pa.nulls(0, pa.string())
        if len(self._table) != len(self.codes):  # codes added elsewhere: rebuilt (rare;
            # pa.array of a list imports pandas, a tenth of a second, in pyarrow 26)
            self._table = pa.array(list(self.codes), pa.string())
        return self._table

    def __call__(self, array: Any) -> Any:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        array = _no_nulls(array)
        found = pc.index_in(array, value_set=self._known())
        if found.null_count:
            new = pc.unique(pc.filter(array, pc.is_null(found)))
            for value in new.to_pylist():
                self.lookup(value)
            # the new values took the next codes, in this order
            self._table = pa.concat_arrays([self._table, new.cast(pa.string())])
            found = pc.index_in(array, value_set=self._known())
        return _ints(found).astype(np.int64)


def _no_nulls(array: Any) -> Any:
    """The string array with nulls as "" (a CSV column has none: then as it is)."""
    import pyarrow.compute as pc

    return pc.fill_null(array, "") if array.null_count else array


def _ints(array: Any) -> Any:
    """A numpy view of a pyarrow integer array (``to_numpy`` would import pandas, a
    quarter of a second, in pyarrow 26).

    >>> import pyarrow as pa
    >>> _ints(pa.array([3, 1, 2], pa.int32())[1:]).tolist()
    [1, 2]
    """
    import numpy as np
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.null_count:
        return array.to_numpy(zero_copy_only=False)
    signed = pa.types.is_signed_integer(array.type)
    dtype = np.dtype(f"{'i' if signed else 'u'}{array.type.bit_width // 8}")
    return np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    )


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file, streamed through one reused 1 MiB buffer (not a new block
    per read, which can take fresh pages for the kernel to zero).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_bytes(b"abc" * 500_000)
    >>> sha256(path) == hashlib.sha256(b"abc" * 500_000).hexdigest()
    True
    """
    digest = hashlib.sha256()
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    with Path(path).open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def parse_table_arg(arg: str) -> tuple[str | None, str]:
    """``SOURCE=PATH`` or ``PATH``."""
    name, sep, path = arg.partition("=")
    if sep and name and "/" not in name and not Path(arg).exists():
        return name, path
    return None, arg


def _join_labels(spec: SourceAdapter, partners: dict[str, str], path: str) -> Any:
    """Key -> label arrays of the join partner's table."""
    import pyarrow as pa

    from derm_onto.tables import read_batches

    assert spec.join is not None
    other = partners.get(spec.join.source)
    if other is None:
        raise DermOntoError(
            f"{path}: {spec.name} takes its labels from a {spec.join.source} table; "
            f"give one too (e.g. {spec.join.source}=PATH)"
        )
    partner = adapter(spec.join.source)
    keys: dict[str, str] = {}
    for batch in read_batches(other):
        names = batch.schema.names
        for column in (spec.join.other_key, partner.label_column):
            if column not in names:
                raise DermOntoError(f"{other}: no column {column!r} to join {spec.name} on")
        k = batch.column(spec.join.other_key).to_pylist()
        v = batch.column(partner.label_column).to_pylist()
        for key, value in zip(k, v, strict=True):
            keys.setdefault(key, value)
    ordered = sorted(keys)
    return pa.array(ordered), pa.array([keys[k] for k in ordered]), other


class _SourceRun:
    """Counts of one table."""

    def __init__(
        self, vocab: Vocabulary, spec: SourceAdapter, path: str, header: list[str]
    ) -> None:
        self.vocab = vocab
        self.header = header
        self.spec = spec
        self.path = path
        self.labels = _LabelState(vocab)
        self.columns: list[_ColumnState] = []
        self.rows = 0
        self.excluded = 0
        self.unmapped_columns: list[dict[str, Any]] = []
        self.join_file = ""
        self.label_rows: Any = None

    def run(self, partners: dict[str, str], bar: Any) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        header = self.header
        needed = [self.spec.join.key if self.spec.join else self.spec.label_column]
        for name in needed:
            if name not in header:
                raise DermOntoError(f"{self.path}: no column {name!r} ({self.spec.name} table)")
        for spec in feature_columns(self.spec, header):
            if spec.column not in header:  # reported, not fatal: a subset of columns is fine
                self.unmapped_columns.append(
                    {"column": spec.column, "method": "missing", "candidates": []}
                )
                continue
            state = _ColumnState(self.vocab, spec)
            if spec.encoding == "binary" and not state.column_ids():
                m = self.vocab.matchers[spec.kind].match(spec.column)
                self.unmapped_columns.append(
                    {"column": spec.column, "method": m.method, "candidates": list(m.candidates)}
                )
                continue
            self.columns.append(state)
        join = _join_labels(self.spec, partners, self.path) if self.spec.join else None
        if join is not None:
            self.join_file = join[2]
        needed = [self.spec.join.key if self.spec.join else self.spec.label_column]
        needed += [c.spec.column for c in self.columns]
        if self.spec.exclude_column in header:
            needed.append(self.spec.exclude_column)
        for batch in prefetch(read_selected(self.path, list(dict.fromkeys(needed)))):
            self.rows += batch.num_rows
            bar.update(batch.num_rows)
            if self.spec.exclude_column and self.spec.exclude_column in batch.schema.names:
                flag = pc.utf8_lower(
                    pc.utf8_trim_whitespace(batch.column(self.spec.exclude_column))
                )
                drop = pc.is_in(flag, value_set=pa.array(["1", "true"]))
                self.excluded += int(pc.sum(drop).as_py() or 0)
                batch = batch.filter(pc.invert(drop))
            if join is not None:
                assert self.spec.join is not None
                key = batch.column(self.spec.join.key)
                if self.spec.join.strip_suffix:
                    key = pc.replace_substring_regex(
                        key, pattern=_suffix_pattern(self.spec.join.strip_suffix), replacement=""
                    )
                label_array = pc.take(join[1], pc.index_in(key, value_set=join[0]))
            else:
                label_array = batch.column(self.spec.label_column)
            labels = self.labels.encode(label_array)
            n_labels = len(self.labels.conditions)
            per_label = np.bincount(labels, minlength=n_labels)
            if self.label_rows is None:
                self.label_rows = per_label
            else:
                grown = np.zeros(n_labels, np.int64)
                grown[: self.label_rows.size] = self.label_rows
                self.label_rows = grown + per_label
            for state in self.columns:
                column = batch.column(state.spec.column)
                if state.spec.encoding == "list" and self.vocab.comma_free(state.spec.kind):
                    state.add_parts(labels, column, n_labels)
                    continue
                cells = state.encode(column)
                state.add(labels, cells, n_labels)
        for state in self.columns:  # label values first seen after a column's last batch
            state.add(np.zeros(0, np.int64), np.zeros(0, np.int64), len(self.labels.conditions))


def prefetch(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """The items, produced on a thread up to ``depth`` ahead: the CSV reader parses the next
    record batches (Arrow releases the GIL) while the caller counts this one. An exception
    of the producer is raised here; leaving early stops the producer.

    >>> list(prefetch(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    import queue
    import threading

    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, done))
        except BaseException as exc:  # raised again in the consumer
            put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="derm-onto-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                raise item
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


#: CSV bytes per record batch when mining: 2 MiB, not the 8 MiB of derm_onto.tables. Buffers
#: of 8 MiB blocks go back to the kernel and the next block faults fresh pages in; smaller
#: blocks reuse the allocator's pages (1M-row Derm1M table: ~0.3 s less CPU, mostly kernel
#: time, and ~400 MB peak instead of 550-750). Interned codes keep per-batch work small.
BLOCK_SIZE = 1 << 21


def read_selected(path: str, columns: list[str]) -> Iterator[Any]:
    """Record batches of only ``columns`` (as strings), streamed: the reader still splits
    every CSV row, but converts only the columns that count (a Derm1M caption is skipped).
    Parquet reads only those column chunks. CSV blocks are :data:`BLOCK_SIZE`."""
    import pyarrow as pa

    from derm_onto.tables import table_format

    fmt = table_format(path)
    rows = 0
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            schema = pa.schema([(c, pa.string()) for c in columns])
            for batch in pq.ParquetFile(path).iter_batches(batch_size=65536, columns=columns):
                yield batch.cast(schema) if batch.schema != schema else batch
            return
        from pyarrow import csv as pa_csv

        reader = pa_csv.open_csv(
            pa.input_stream(path, compression="detect"),
            read_options=pa_csv.ReadOptions(block_size=BLOCK_SIZE, use_threads=True),
            parse_options=pa_csv.ParseOptions(
                delimiter="\t" if fmt == "tsv" else ",", newlines_in_values=True
            ),
            convert_options=pa_csv.ConvertOptions(
                include_columns=columns,
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            rows += batch.num_rows
            yield batch
    except (pa.ArrowInvalid, OSError) as exc:
        where = f" after row {rows}" if rows else ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DermOntoError(f"{path}: malformed table{where}: {first}") from None


def _suffix_pattern(suffix: str) -> str:
    import re

    return re.escape(suffix) + "$"


def _column_stats(
    vocab: Vocabulary,
    run: _SourceRun,
    state: _ColumnState,
    options: MineOptions,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Records and margins of one column."""
    import numpy as np

    from derm_onto.associations import stats

    n_values = len(run.labels.conditions)
    # label value -> the conditions it counts for: each value's counts go to all of them
    rows = np.array([i for i, cs in enumerate(run.labels.conditions) for _ in cs], np.int64)
    cols = np.array([c for cs in run.labels.conditions for c in cs], np.int64)
    matched = np.array([bool(cs) for cs in run.labels.conditions], dtype=bool)
    counts = state.counts[:n_values]
    per_value = state.rows[:n_values]
    n_total = int(per_value[matched].sum())
    n_c = np.zeros(len(vocab.conditions), np.int64)
    np.add.at(n_c, cols, per_value[rows])
    n_cf = np.zeros((len(vocab.conditions), counts.shape[1]), np.int64)
    np.add.at(n_cf, cols, counts[rows])
    n_f = counts[matched].sum(axis=0)
    covered = np.array(sorted(state.covered), dtype=np.int64)
    tested = np.flatnonzero(n_c >= options.min_images)
    margins = {
        "column": state.spec.column,
        "kind": state.spec.kind,
        "encoding": state.spec.encoding,
        "n_total": n_total,
        "n_images": {vocab.conditions[i]: int(n_c[i]) for i in np.flatnonzero(n_c)},
        "n_feature": {vocab.features[f]: int(n_f[f]) for f in covered},
        "unmapped_values": [
            {
                "value": text,
                "method": method,
                "candidates": [c for c in cands.split("|") if c],
                "rows": n,
            }
            for (text, method, cands), n in sorted(
                state.unmapped.rows.items(), key=lambda kv: (-kv[1], kv[0])
            )
        ],
    }
    if tested.size == 0 or covered.size == 0 or n_total == 0:
        return [], margins
    kc = np.repeat(tested, covered.size)
    ff = np.tile(covered, tested.size)
    a = n_cf[kc, ff]
    b = n_c[kc]
    f = n_f[ff]
    p = np.ones(a.size)  # P(X >= 0) = 1: only pairs seen together need the tail sum
    seen = a > 0
    p[seen] = stats.fisher_greater(a[seen], b[seen], f[seen], n_total)
    q = stats.benjamini_hochberg(p)
    low, high = stats.wilson(a, b, options.level)
    keep = np.flatnonzero(a >= options.min_count)
    a, b, f, kc, ff = a[keep], b[keep], f[keep], kc[keep], ff[keep]
    confidence = a / b
    base = f / n_total
    lift = np.divide(confidence, base, out=np.zeros_like(confidence), where=base > 0)
    # rates to 6 decimals (vectorised); p and q to 4 significant digits (they can be tiny)
    columns = {
        "support": np.round(a / n_total, 6).tolist(),
        "confidence": np.round(confidence, 6).tolist(),
        "lift": np.round(lift, 4).tolist(),
        "ci_low": np.round(low[keep], 6).tolist(),
        "ci_high": np.round(high[keep], 6).tolist(),
    }
    labels = {t: vocab.ontology.term(t).label for t in (*vocab.conditions, *vocab.features)}
    condition_ids = [vocab.conditions[i] for i in kc.tolist()]
    feature_ids = [vocab.features[i] for i in ff.tolist()]
    q_kept = q[keep]
    n = a.size
    # one column per field, then one dict per record, keys in sorted order (the file sorts
    # them: presorted, the JSON encoder's sort has nothing to do)
    fields: dict[str, Any] = {
        "condition": condition_ids,
        "condition_label": [labels[c] for c in condition_ids],
        "feature": feature_ids,
        "feature_label": [labels[x] for x in feature_ids],
        "kind": repeat(state.spec.kind, n),
        "source": repeat(run.spec.name, n),
        "column": repeat(state.spec.column, n),
        "n_total": repeat(n_total, n),
        "n_images": b.tolist(),
        "n_feature": f.tolist(),
        "n_with_feature": a.tolist(),
        **columns,
        "p_value": _round_all(p[keep], 4),
        "q_value": _round_all(q_kept, 4),
        "significant": (q_kept < options.alpha).tolist(),
    }
    names = tuple(sorted(fields))
    values = [fields[name] for name in names]
    records = list(map(dict, map(zip, repeat(names), zip(*values, strict=True))))
    return records, margins


def mine(
    tables: Sequence[str],
    ontology: Ontology,
    options: MineOptions | None = None,
    *,
    show_progress: bool = False,
    adapters: Sequence[SourceAdapter] = (),
) -> dict[str, Any]:
    """Mine the tables (``PATH`` or ``SOURCE=PATH``) into an associations document;
    ``adapters`` add to (or replace, by name) the built-in ones."""
    options = options or MineOptions()
    named: list[tuple[str | None, str]] = []
    for arg in tables:
        name, path = parse_table_arg(arg)
        if not Path(path).is_file():
            raise DermOntoError(f"{path}: no such file")
        named.append((name, path))
    # file digests for the provenance, on a thread (hashlib releases the GIL) from the start:
    # beside the imports and the set-up, which keep one core busy (the CSV reader and the
    # counting keep both busy)
    hasher = ThreadPoolExecutor(max_workers=1)
    digests = {path: hasher.submit(sha256, path) for path in dict.fromkeys(p for _, p in named)}

    def digest(path: str) -> Any:
        if path not in digests:  # a join partner not given (an error is raised before)
            digests[path] = hasher.submit(sha256, path)
        return digests[path]

    try:
        _import_numeric()  # now, while the files are hashed
        with paused_collection():  # many dicts and tuples, no cycles
            return _mine(named, ontology, options, show_progress, adapters, digest)
    finally:
        hasher.shutdown(wait=False, cancel_futures=True)


def _import_numeric() -> None:
    """Import numpy, pyarrow.compute and scipy.special (on a thread, while the files are
    hashed). The CLI sets ``OPENBLAS_NUM_THREADS=1`` for its own process unless the user set
    it: OpenBLAS starts a thread per core that spins a while looking for work, a fifth of a
    second of CPU, and mining calls no BLAS. The library leaves the environment alone."""
    import importlib

    for module in ("numpy", "pyarrow.compute", "scipy.special"):
        importlib.import_module(module)


def _mine(
    named: list[tuple[str | None, str]],
    ontology: Ontology,
    options: MineOptions,
    show_progress: bool,
    adapters: Sequence[SourceAdapter],
    digest: Any,
) -> dict[str, Any]:
    """:func:`mine` once the files are being hashed (``digest(path)``: a future)."""
    import numpy as np

    from derm_onto.tables import progress, read_columns

    vocab = Vocabulary(ontology)
    extra = {a.name: a for a in adapters}
    specs: list[tuple[SourceAdapter, str]] = []
    headers: dict[str, list[str]] = {}
    for name, path in named:
        headers[path] = read_columns(path)
        spec = adapter(name, extra) if name else detect(headers[path], path, extra)
        specs.append((spec, path))
    partners = {spec.name: path for spec, path in specs}
    seen = Counter(spec.name for spec, _ in specs)
    twice = [n for n, k in seen.items() if k > 1]
    if twice:
        raise DermOntoError(f"source {twice[0]!r} given twice; give each source one table")
    sources: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    with progress(desc="associations", unit="rows") as bar:
        for spec, path in specs:
            if not spec.mined:
                continue
            run = _SourceRun(vocab, spec, path, headers[path])
            run.run(partners, bar if show_progress else _NoBar())
            label_rows = run.label_rows if run.label_rows is not None else np.zeros(0, np.int64)
            columns = []
            for state in run.columns:
                found, margins = _column_stats(vocab, run, state, options)
                records.extend(found)
                columns.append(margins)
            unmatched = Counter[str]()
            status_rows = Counter[str]()
            for value, code in run.labels.codes.items():
                status_rows[run.labels.status[code]] += int(label_rows[code])
                if run.labels.status[code] == "unmatched" and label_rows[code]:
                    unmatched[value] += int(label_rows[code])
            files = [{"name": Path(path).name, "sha256": digest(path).result(), "role": "features"}]
            if run.join_file:
                files.append(
                    {
                        "name": Path(run.join_file).name,
                        "sha256": digest(run.join_file).result(),
                        "role": "labels",
                    }
                )
            sources.append(
                {
                    "source": spec.name,
                    "dataset": spec.dataset,
                    "version": spec.version,
                    "citation": spec.citation,
                    "files": files,
                    "label_column": spec.label_column,
                    "rows": run.rows,
                    "rows_excluded": run.excluded,
                    "rows_labelled": status_rows.get("ok", 0),
                    "rows_sentinel": status_rows.get("sentinel", 0),
                    "rows_unmatched_label": status_rows.get("unmatched", 0),
                    "unmatched_labels": [
                        {"value": v, "rows": n}
                        for v, n in sorted(unmatched.items(), key=lambda kv: (-kv[1], kv[0]))
                    ],
                    "unmapped_columns": run.unmapped_columns,
                    "columns": columns,
                }
            )
    records.sort(key=lambda r: (r["condition"], r["feature"], r["source"], r["column"]))
    sources.sort(key=lambda s: s["source"])
    return {
        "format": FORMAT,
        "ontology": {"id": ontology.id, "version": ontology.version},
        "parameters": {
            "min_images": options.min_images,
            "min_count": options.min_count,
            "alpha": options.alpha,
            "confidence_level": options.level,
            "interval": "wilson",
            "test": "fisher exact, one-sided (enrichment)",
            "correction": "benjamini-hochberg, per source column",
            "rollup": "conditions and features count for all their ancestors",
        },
        "sources": sources,
        "associations": records,
    }


class _NoBar:
    def update(self, n: int) -> None:
        """Nothing."""
