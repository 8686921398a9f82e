"""Write a dataset table as RDF: per distinct value the lines once, per row string assembly
over pyarrow arrays."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from derm_onto import hierarchy
from derm_onto.errors import DermOntoError
from derm_onto.kg.vocabulary import (
    DCTERMS,
    OWL,
    RDF_TYPE,
    RDFS,
    SCHEMA,
    XSD,
    Vocabulary,
    _iri,
    _literal,
    vocabulary_triples,
)
from derm_onto.labels import LabelPlan, LabelReport, UnknownPolicy, count_rows, refuse_unknown
from derm_onto.model import Kind, Ontology

KgFormat = Literal["nt", "nq", "ttl"]
FORMATS: tuple[KgFormat, ...] = ("nt", "nq", "ttl")

#: Roles a table column can play, with the column names looked for when none is given.
ROLE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "key": ("filename", "image_id", "isic_id", "md5hash", "img_id", "image"),
    "diagnosis": ("disease_label", "diagnosis", "label", "dx"),
    "concepts": ("skin_concept", "concepts"),
    "body_site": ("body_location", "body_site", "localization", "anatom_site_general"),
    "symptoms": ("symptoms",),
    "source": ("source",),
    "source_type": ("source_type",),
    "age": ("age", "age_approx"),
    "sex": ("gender", "sex"),
    "fitzpatrick": ("fitzpatrick_type", "fitzpatrick_scale", "fitzpatrick", "skin_type"),
    "modality": ("modality", "image_type"),
    "split": ("split", "partition"),
    "caption": ("caption",),
}
#: Roles whose cells name ontology entries, with the kind they are matched against.
_LINK_ROLES: Mapping[str, tuple[Kind, str]] = {
    "concepts": ("concepts", "shows_concept"),
    "body_site": ("findings", "body_site"),
    "symptoms": ("findings", "symptom"),
}
_LITERAL_SENTINEL = re.compile(
    r"^(|unknown|nan|none|null|n/?a|-1|no (\w+ )*(information|concepts?|diagnosis))$"
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_IRI_SAFE = re.compile(r"[^A-Za-z0-9/:@!$&'()*+,;=._~-]")


@dataclass(frozen=True)
class KgOptions:
    """Options of a build: column per role (None = look for the usual names), image IRI base
    (default: the ontology's base + ``image/``), output format, levels to materialise."""

    columns: Mapping[str, str] = field(default_factory=dict)
    image_base: str | None = None
    format: KgFormat = "nt"
    materialise_levels: tuple[int, ...] = ()
    caption: bool = False
    unknown: UnknownPolicy = "keep"


@dataclass
class KgReport:
    """What a build met: rows, triples, the diagnosis counts as ``labels`` reports them,
    and concept/finding cells no entry matched."""

    rows: int = 0
    triples: int = 0
    labels: LabelReport = field(default_factory=LabelReport)
    unknown_features: Counter[str] = field(default_factory=Counter)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "rows": self.rows,
            "triples": self.triples,
            "labels": self.labels.as_dict(),
            "unknown_features": dict(self.unknown_features.most_common()),
            "columns": self.columns,
        }


# -- per-distinct-value fragments -------------------------------------------------------------
def _is_sentinel(text: str) -> bool:
    return bool(_LITERAL_SENTINEL.match(" ".join(text.lower().split())))


def _age(text: str) -> str | None:
    value = text.strip()
    if re.fullmatch(r"\d{1,3}", value):
        return _literal(str(int(value)), "integer")
    if re.fullmatch(r"\d{1,3}\.\d+", value):
        return _literal(value, "decimal")
    return None


def _fitzpatrick(text: str) -> str | None:
    value = re.sub(r"^(fitzpatrick|type|fst|skin type)[\s_-]*", "", text.strip().lower())
    value = value.removeprefix("type").strip()
    number = int(value) if value.isdigit() else _ROMAN.get(value)
    return _literal(str(number), "integer") if number is not None and 1 <= number <= 6 else None


def _sex(text: str) -> str | None:
    value = text.strip().lower()
    return _literal({"m": "male", "f": "female"}.get(value, value))


def _plain(text: str) -> str | None:
    return _literal(text.strip())


_LITERAL_ROLES: Mapping[str, tuple[str, Callable[[str], str | None]]] = {
    "source": ("source", _plain),
    "source_type": ("source_type", _plain),
    "age": ("patient_age", _age),
    "sex": ("patient_sex", _sex),
    "fitzpatrick": ("fitzpatrick_type", _fitzpatrick),
    "modality": ("modality", _plain),
    "split": ("split", _plain),
}


class _Fragments:
    """Per distinct cell value of one column, the predicate-object parts of its lines."""

    def __init__(self, make: Callable[[str], list[str]]) -> None:
        self.make = make
        self.cache: dict[str, list[str]] = {}

    def lists(self, values: Sequence[str]) -> Any:
        import pyarrow as pa

        out = []
        for v in values:
            found = self.cache.get(v)
            if found is None:
                found = self.cache[v] = self.make(v)
            out.append(found)
        return pa.array(out, pa.list_(pa.string()))


# -- the builder -------------------------------------------------------------------------------
def detect_columns(
    available: Sequence[str], chosen: Mapping[str, str], source: str, caption: bool
) -> dict[str, str]:
    """The column of each role: the one chosen, else the first usual name present.

    >>> detect_columns(["filename", "dx", "sex", "caption"], {}, "t.csv", caption=False)
    {'key': 'filename', 'diagnosis': 'dx', 'sex': 'sex'}
    """
    unknown_roles = sorted(set(chosen) - set(ROLE_COLUMNS))
    if unknown_roles:
        raise DermOntoError(
            f"unknown column role {unknown_roles[0]!r} (roles: {', '.join(ROLE_COLUMNS)})"
        )
    found: dict[str, str] = {}
    for role, names in ROLE_COLUMNS.items():
        if role == "caption" and not caption:
            continue
        if role in chosen:
            if chosen[role] not in available:
                raise DermOntoError(
                    f"{source}: no column {chosen[role]!r} for {role} "
                    f"(columns: {', '.join(available)})"
                )
            found[role] = chosen[role]
            continue
        for name in names:
            if name in available:
                found[role] = name
                break
    for role in ("key", "diagnosis"):
        if role not in found:
            raise DermOntoError(
                f"{source}: no {role} column (looked for {', '.join(ROLE_COLUMNS[role])}); "
                f"name one with --column {role}=NAME"
            )
    return found


class _Builder:
    def __init__(self, ontology: Ontology, options: KgOptions) -> None:
        from derm_onto.matching import Matcher

        self.ontology = ontology
        self.options = options
        n_levels = len(ontology.levels) or 4
        for level in options.materialise_levels:
            if not 1 <= level <= n_levels:
                raise DermOntoError(f"--materialise-levels: level {level} is outside 1..{n_levels}")
        self.plan = LabelPlan(ontology, tuple(range(1, n_levels + 1)))
        self.vocab = Vocabulary(ontology, self.plan.n_levels)
        self.image_base = options.image_base or ontology.base_iri + "image/"
        if not re.match(r"^[a-z][a-z0-9+.-]*:[^\s<>\"{}|^`\\]*$", self.image_base):
            raise DermOntoError(f"--base {self.image_base!r} is not an absolute IRI")
        self.matchers = {kind: Matcher(ontology, kind) for kind, _ in _LINK_ROLES.values()}
        self.report = KgReport()
        # Turtle: prefixed names, and each row one subject block (";" between its lines)
        self.turtle = options.format == "ttl"
        self.prefixes = {
            SCHEMA: "schema:",
            DCTERMS: "dcterms:",
            ontology.base_iri: "dermonto:",
        }
        self.end = {"nq": f" {_iri(self.vocab.data_graph)} .\n", "ttl": ""}.get(
            options.format, " .\n"
        )
        self.fragments: dict[str, _Fragments] = {"diagnosis": _Fragments(self._diagnosis)}
        for role, (kind, prop) in _LINK_ROLES.items():
            self.fragments[role] = _Fragments(self._linker(kind, getattr(self.vocab, prop)))
        for role, (prop, parse) in _LITERAL_ROLES.items():
            self.fragments[role] = _Fragments(self._literal_maker(getattr(self.vocab, prop), parse))
        self.class_iri = {t.id: self.term(ontology.expand(t.id)) for t in ontology.terms()}

    def term(self, iri: str) -> str:
        """An IRI as N-Triples writes it, or as a Turtle prefixed name where one fits."""
        if self.turtle:
            if iri == RDF_TYPE:
                return "a"
            for namespace, prefix in self.prefixes.items():
                local = iri[len(namespace) :]
                if iri.startswith(namespace) and _LOCAL_NAME.match(local):
                    return prefix + local
        return _iri(iri)

    def _diagnosis(self, cell: str) -> list[str]:
        resolved = self.plan.resolve(cell)
        prop = self.term(self.vocab.has_diagnosis)
        lines = [f"{prop} {self.class_iri[i]}{self.end}" for i in resolved.ids]
        for k in self.options.materialise_levels:
            classes = dict.fromkeys(
                hierarchy.project(self.plan.paths[i], k, self.plan.n_levels) for i in resolved.ids
            )
            level_prop = self.term(self.vocab.level_class[k])
            lines += [f"{level_prop} {self.class_iri[c]}{self.end}" for c in classes]
        return lines

    def _linker(self, kind: Kind, prop: str) -> Callable[[str], list[str]]:
        matcher = self.matchers[kind]

        def make(cell: str) -> list[str]:
            ids = dict.fromkeys(m.id for m in matcher.match_cell(cell) if m.matched)
            return [f"{self.term(prop)} {self.class_iri[i]}{self.end}" for i in ids]

        return make

    def _literal_maker(
        self, prop: str, parse: Callable[[str], str | None]
    ) -> Callable[[str], list[str]]:
        def make(cell: str) -> list[str]:
            if _is_sentinel(cell):
                return []
            value = parse(cell)
            return [] if value is None else [f"{self.term(prop)} {value}{self.end}"]

        return make

    def _unknown_features(self, role: str, values: Sequence[str], counts: Any) -> None:
        kind = _LINK_ROLES[role][0]
        matcher = self.matchers[kind]
        for value, n in zip(values, counts.tolist(), strict=True):
            if n:
                for m in matcher.match_cell(value):
                    if not m.matched and m.method not in ("sentinel", "empty"):
                        self.report.unknown_features[f"{role}: {m.input}"] += int(n)

    @staticmethod
    def check_keys(keys: Any, source: str, rows_before: int) -> None:
        """Fail on the first empty key, naming its data row (1-based, header excluded)."""
        import pyarrow.compute as pc

        empty = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(keys)), 0)
        if pc.any(empty).as_py():
            row = rows_before + pc.index(empty, True).as_py() + 1
            raise DermOntoError(f"{source}: data row {row}: empty image key")

    def subjects(self, keys: Any) -> Any:
        """``<base + key>`` per row, keys percent-encoded where an IRI needs it."""
        import urllib.parse

        import pyarrow as pa
        import pyarrow.compute as pc

        bad = pc.match_substring_regex(keys, _IRI_SAFE.pattern)
        if pc.any(bad).as_py():
            fixed = [
                urllib.parse.quote(k, safe="/:@!$&'()*+,;=._~-")
                for k in keys.filter(bad).to_pylist()
            ]
            keys = pc.replace_with_mask(keys, bad, pa.array(fixed, pa.string()))
        return pc.binary_join_element_wise("<" + self.image_base, keys, ">", "")

    def batch_lines(
        self, batch: Any, columns: Mapping[str, str], source: str, rows_before: int = 0
    ) -> Any:
        """The output lines of one record batch (after ``rows_before`` rows of the same
        table), as one pyarrow string array."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        n = batch.num_rows
        self.check_keys(_column(batch, columns["key"]), source, rows_before)
        encoded = pc.dictionary_encode(_column(batch, columns["diagnosis"]))
        values = encoded.dictionary.to_pylist()
        counts = np.bincount(_ints(encoded.indices), minlength=len(values))
        self._count_labels(values, counts, columns["diagnosis"], source)
        keep = None
        if self.options.unknown == "drop":
            good = pa.array([self.plan.resolve(v).status != "unknown" for v in values])
            keep = pc.take(good, encoded.indices)
            if pc.all(keep).as_py():
                keep = None
            else:
                batch = batch.filter(keep)
                encoded = encoded.filter(keep)
                n = batch.num_rows
        subjects = self.subjects(_column(batch, columns["key"]))
        # per row: the predicate-object parts of its lines, in a fixed property order
        parts: list[Any] = []  # list arrays (one list per row) or plain string arrays
        type_line = f"{self.term(RDF_TYPE)} {self.term(self.vocab.image_class)}{self.end}"
        parts.append(pa.repeat(type_line, n) if n else pa.array([], pa.string()))
        key = _column(batch, columns["key"])
        parts.append(_literal_column(key, self.term(self.vocab.identifier), self.end))
        parts.append(self.fragments["diagnosis"].lists(values).take(encoded.indices))
        for role in ("concepts", "body_site", "symptoms", *_LITERAL_ROLES):
            if role not in columns:
                continue
            column = pc.dictionary_encode(_column(batch, columns[role]))
            role_values = column.dictionary.to_pylist()
            if role in _LINK_ROLES:
                role_counts = np.bincount(_ints(column.indices), minlength=len(role_values))
                self._unknown_features(role, role_values, role_counts)
            parts.append(self.fragments[role].lists(role_values).take(column.indices))
        if "caption" in columns:
            caption = _column(batch, columns["caption"])
            has = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(caption)), 0)
            lines = _literal_column(caption, self.term(self.vocab.caption), self.end).filter(has)
            offsets = np.concatenate([[0], np.cumsum(_ints(pc.cast(has, pa.int32())))])
            parts.append(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), lines))
        return _assemble(subjects, parts, n, turtle=self.turtle)

    def _count_labels(self, values: Sequence[str], counts: Any, column: str, source: str) -> None:
        """Count the batch's rows into the labels report, as ``labels`` does."""
        resolved = [self.plan.resolve(v) for v in values]
        if self.options.unknown == "error":
            refuse_unknown(source, column, list(values), resolved, counts)
        count_rows(self.report.labels, resolved, counts)


def _column(batch: Any, name: str) -> Any:
    """A string column with nulls (Parquet may have them) read as empty cells."""
    import pyarrow.compute as pc

    column = batch.column(name)
    return pc.fill_null(column, "") if column.null_count else column


def _ints(array: Any) -> Any:
    """A null-free integer pyarrow array as numpy, without a copy (``to_numpy`` would
    import pandas, a second of start-up)."""
    import numpy as np

    if isinstance(array, np.ndarray):
        return array
    dtype = np.dtype(f"int{array.type.bit_width}")
    data = np.frombuffer(array.buffers()[1], dtype=dtype)
    return data[array.offset : array.offset + len(array)]


def _literal_column(values: Any, prop: str, end: str) -> Any:
    """``prop "value"`` + end for every row, escaped as N-Triples needs (vectorised)."""
    import pyarrow.compute as pc

    for char, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
        values = pc.replace_substring(values, char, escaped)
    return pc.binary_join_element_wise(prop + ' "', values, '"' + end, "")


def _assemble(subjects: Any, parts: Sequence[Any], n: int, *, turtle: bool = False) -> Any:
    """Subject + part lines, ordered by row then part: a permutation computed with numpy.
    For Turtle a row is one block: the subject on its first line, ``;`` between lines."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if n == 0:
        return pa.array([], pa.string())
    flats, counts = [], []
    for part in parts:
        if isinstance(part, pa.ChunkedArray):
            part = part.combine_chunks()
        if pa.types.is_list(part.type):
            flats.append(pc.list_flatten(part))
            counts.append(_ints(pc.list_value_length(part)))
        else:
            flats.append(part)
            counts.append(np.ones(n, dtype=np.int32))
    per_row = np.stack(counts).astype(np.int64)  # parts x rows
    totals = per_row.sum(axis=0)
    row_start = np.cumsum(totals) - totals
    before = np.cumsum(per_row, axis=0) - per_row  # lines of earlier parts in the same row
    positions = []
    for k, c in enumerate(per_row):
        m = int(c.sum())
        rows = np.repeat(np.arange(n), c)
        within = np.arange(m) - np.repeat(np.cumsum(c) - c, c)
        positions.append(row_start[rows] + before[k][rows] + within)
    order = np.empty(int(totals.sum()), dtype=np.int64)
    order[np.concatenate(positions)] = np.arange(len(order))
    lines = pa.concat_arrays(flats).take(pa.array(order))
    rows_of_line = pa.array(np.repeat(np.arange(n), totals))
    if not turtle:
        return pc.binary_join_element_wise(subjects.take(rows_of_line), lines, " ")
    index = np.arange(len(order))
    first = pa.array(np.isin(index, row_start[totals > 0]))
    last = pa.array(np.isin(index, (row_start + totals - 1)[totals > 0]))
    heads = pc.if_else(
        first, pc.binary_join_element_wise(subjects.take(rows_of_line), " ", ""), "    "
    )
    tails = pc.if_else(last, " .\n", " ;\n")
    return pc.binary_join_element_wise(heads, lines, tails, "")


def _write_strings(handle: IO[bytes], lines: Any) -> None:
    """Write a string array's bytes (already with newlines) in one call."""
    import numpy as np

    if len(lines) == 0:
        return
    offsets_buffer, data = lines.buffers()[1], lines.buffers()[2]
    dtype = np.int64 if lines.type.equals(_large_string()) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=dtype)
    start, stop = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    handle.write(memoryview(data)[start:stop])


def _large_string() -> Any:
    import pyarrow as pa

    return pa.large_string()


def _header(ontology: Ontology, builder: _Builder) -> bytes:
    """Prefixes (Turtle), the ontology graph (N-Quads) and the vocabulary."""
    vocab = builder.vocab
    out: list[str] = []
    if builder.options.format == "ttl":
        for prefix, iri in (
            ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
            ("rdfs", RDFS),
            ("owl", OWL),
            ("xsd", XSD),
            ("schema", SCHEMA),
            ("dcterms", DCTERMS),
            ("dermonto", ontology.base_iri),
        ):
            out.append(f"@prefix {prefix}: <{iri}> .\n")
    if builder.options.format == "nq":
        from derm_onto.rdf import export

        graph = _iri(vocab.ontology_graph)
        for line in export(ontology, "nt").decode("utf-8").splitlines():
            if line.strip():
                out.append(line.rstrip().removesuffix(".").rstrip() + f" {graph} .\n")
    end = builder.end or " .\n"  # Turtle: one statement a line here
    out += [line + end for line in vocabulary_triples(ontology, builder.plan, vocab)]
    return "".join(out).encode("utf-8")


def build(
    ontology: Ontology,
    sources: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    options: KgOptions | None = None,
) -> KgReport:
    """Write the dataset graph of ``sources`` (tables) to ``output`` atomically."""
    from derm_onto.files import atomic_write
    from derm_onto.tables import progress, read_batches, read_columns

    options = options or KgOptions()
    if options.format not in FORMATS:
        raise DermOntoError(f"could not find a serializer to handle {options.format!r}")
    builder = _Builder(ontology, options)
    report = builder.report
    with atomic_write(output) as handle, progress(desc="kg") as bar:
        header = _header(ontology, builder)
        handle.write(header)
        report.triples += header.count(b"\n") - (7 if options.format == "ttl" else 0)
        for source in sources:
            columns: dict[str, str] | None = None
            rows_before = 0
            for batch in read_batches(source):
                if columns is None:  # from the first batch: opening a CSV twice costs
                    columns = detect_columns(
                        batch.schema.names, options.columns, str(source), options.caption
                    )
                    report.columns[str(source)] = columns
                lines = builder.batch_lines(batch, columns, str(source), rows_before)
                rows_before += batch.num_rows
                _write_strings(handle, lines)
                report.triples += len(lines)
                report.rows += batch.num_rows
                bar.update(batch.num_rows)
            if columns is None:  # no rows: still check the columns
                names = read_columns(source)
                report.columns[str(source)] = detect_columns(
                    names, options.columns, str(source), options.caption
                )
    report.labels.rows_written = report.labels.rows - (
        report.labels.unknown_rows if options.unknown == "drop" else 0
    )
    report.labels.distinct_labels = len(builder.plan._cache)
    return report
