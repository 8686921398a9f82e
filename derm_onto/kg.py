"""The dataset as a knowledge graph: every image row an RDF individual linked to the ontology.

A table (CSV/TSV/Parquet, streamed in pyarrow batches) becomes N-Triples, N-Quads (the
dataset graph plus the ontology in its own named graph) or Turtle (prefixed names, one
subject block per row):

* each row is an image ``<BASE + key>`` (``key`` from a stable column such as ``filename``,
  percent-encoded where an IRI needs it) of type ``schema:ImageObject`` with its key as
  ``dcterms:identifier``;
* ``has_diagnosis`` links to every condition class the labels pipeline resolves for the
  diagnosis cell (:class:`~derm_onto.labels.LabelPlan`, one resolution per distinct value, so
  a multi-label row links to each class and counts are the ones ``labels`` reports);
* ``shows_concept`` / ``body_site`` / ``symptom`` link to concept and finding classes (the
  matcher of each kind, again once per distinct cell), sub-properties of the ontology's
  ``has_feature``;
* literals: ``dcterms:source``, ``source_type``, ``patient_age`` (xsd:integer/decimal),
  ``patient_sex``, ``fitzpatrick_type`` (xsd:integer 1-6), ``modality``, ``split`` and
  optionally ``schema:caption``; sentinels (``No age information``, ``unknown``, empty) give
  no triple;
* ``level_K_class``: the class at level K of every condition (the same primary-path
  projection as ``labels``) is part of the vocabulary, and ``materialise_levels`` adds it to
  each image directly.

Property IRIs not taken from schema.org / Dublin Core live in the ontology's namespace and
are declared (with labels and sub-property axioms) at the top of the output. Lines are built
once per distinct value; a row is then string assembly over pyarrow arrays (a ``take`` and
an element-wise join), never an rdflib call per triple. Output is deterministic: rows in table
order, per row a fixed order of properties.

>>> import tempfile, pathlib
>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("filename,disease_label,source\\na.jpg,psoriasis,web\\n")
>>> report = build(load(bundled_ontology_path()), [folder / "t.csv"], folder / "t.nt")
>>> report.rows, report.labels.matched_rows
(1, 1)
>>> [line for line in (folder / "t.nt").read_text().splitlines() if "/a.jpg> " in line][2]
'<https://w3id.org/derm-onto/image/a.jpg> <https://w3id.org/derm-onto/has_diagnosis> \
<https://w3id.org/derm-onto/DERMONTO_0000145> .'
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from derm_onto import hierarchy
from derm_onto.errors import DermOntoError
from derm_onto.labels import LabelPlan, LabelReport, UnknownPolicy
from derm_onto.model import Kind, Ontology
from derm_onto.resources import data_dir

KgFormat = Literal["nt", "nq", "ttl"]
FORMATS: tuple[KgFormat, ...] = ("nt", "nq", "ttl")

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"

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


# -- vocabulary ------------------------------------------------------------------------------
class Vocabulary:
    """The IRIs a dataset graph uses, for one ontology."""

    def __init__(self, ontology: Ontology, n_levels: int) -> None:
        base = ontology.base_iri
        self.base = base
        self.has_feature = base + "has_feature"
        self.has_diagnosis = base + "has_diagnosis"
        self.shows_concept = base + "shows_concept"
        self.body_site = base + "body_site"
        self.symptom = base + "symptom"
        self.source_type = base + "source_type"
        self.patient_age = base + "patient_age"
        self.patient_sex = base + "patient_sex"
        self.fitzpatrick_type = base + "fitzpatrick_type"
        self.modality = base + "modality"
        self.split = base + "split"
        self.level_number = base + "level_number"
        self.level_class = {k: f"{base}level_{k}_class" for k in range(1, n_levels + 1)}
        self.image_class = SCHEMA + "ImageObject"
        self.identifier = DCTERMS + "identifier"
        self.source = DCTERMS + "source"
        self.caption = SCHEMA + "caption"
        self.ontology_graph = f"{base}{ontology.id}.owl"
        self.data_graph = f"{base}{ontology.id}/dataset"

    def bindings(self) -> dict[str, str]:
        """Query variables bound to these IRIs (``?has_diagnosis`` ...), for the library."""
        return {
            "has_diagnosis": self.has_diagnosis,
            "shows_concept": self.shows_concept,
            "has_body_site": self.body_site,
            "has_symptom": self.symptom,
            "has_source": self.source,
            "has_source_type": self.source_type,
            "has_patient_age": self.patient_age,
            "has_patient_sex": self.patient_sex,
            "has_fitzpatrick_type": self.fitzpatrick_type,
            "has_modality": self.modality,
            "has_split": self.split,
            "has_identifier": self.identifier,
            "has_caption": self.caption,
            "level_number": self.level_number,
            "image_class": self.image_class,
        }


def _iri(value: str) -> str:
    return f"<{value}>"


def _literal(text: str, datatype: str | None = None) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"' + (f"^^<{XSD}{datatype}>" if datatype else "")


def vocabulary_triples(ontology: Ontology, plan: LabelPlan, vocab: Vocabulary) -> list[str]:
    """Declarations of the dataset properties and every condition's class at each level,
    as N-Triples lines (without the final `` .``), sorted."""
    label = RDFS + "label"
    out: list[tuple[str, str, str]] = []

    def prop(iri: str, kind: str, text: str, parent: str | None = None) -> None:
        out.append((_iri(iri), _iri(RDF_TYPE), _iri(OWL + kind)))
        out.append((_iri(iri), _iri(label), _literal(text)))
        if parent is not None:
            out.append((_iri(iri), _iri(RDFS + "subPropertyOf"), _iri(parent)))

    prop(vocab.has_diagnosis, "ObjectProperty", "has diagnosis", DCTERMS + "subject")
    prop(vocab.shows_concept, "ObjectProperty", "shows concept", vocab.has_feature)
    prop(vocab.body_site, "ObjectProperty", "body site", vocab.has_feature)
    prop(vocab.symptom, "ObjectProperty", "symptom", vocab.has_feature)
    for iri, text in (
        (vocab.source_type, "source type"),
        (vocab.patient_age, "patient age"),
        (vocab.patient_sex, "patient sex"),
        (vocab.fitzpatrick_type, "Fitzpatrick skin type"),
        (vocab.modality, "imaging modality"),
        (vocab.split, "dataset split"),
    ):
        prop(iri, "DatatypeProperty", text)
    prop(vocab.level_number, "AnnotationProperty", "level number")
    names = ontology.levels or tuple(f"level {k}" for k in vocab.level_class)
    for k, iri in vocab.level_class.items():
        prop(iri, "ObjectProperty", f"class at level {k} ({names[k - 1]})")
        out.append((_iri(iri), _iri(vocab.level_number), f'"{k}"^^<{XSD}integer>'))
    for node, path in sorted(plan.paths.items()):
        for k, iri in vocab.level_class.items():
            target = hierarchy.project(path, k, plan.n_levels)
            out.append((_iri(ontology.expand(node)), _iri(iri), _iri(ontology.expand(target))))
    return sorted(f"{s} {p} {o}" for s, p, o in set(out))


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
    """The column of each role: the one chosen, else the first usual name present."""
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
        labels = self.report.labels
        resolved = [self.plan.resolve(v) for v in values]
        bad = [
            (v, int(c))
            for v, r, c in zip(values, resolved, counts, strict=True)
            if r.status == "unknown"
        ]
        if bad and self.options.unknown == "error":
            worst = sorted(bad, key=lambda x: -x[1])[:5]
            listed = "; ".join(f"{v!r} ({c} rows)" for v, c in worst)
            raise DermOntoError(f"{source}: unknown labels in column {column!r}: {listed}")
        for r, c in zip(resolved, counts.tolist(), strict=True):
            labels.rows += c
            if r.status == "ok":
                labels.matched_rows += c
            elif r.status == "sentinel":
                labels.sentinel_rows += c
            elif r.status == "empty":
                labels.empty_rows += c
            else:
                labels.unknown_rows += c
                for part in r.unknown_parts:
                    labels.unknown[part] += c


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


# -- the Oxigraph store ----------------------------------------------------------------------
STORE_META = "derm-onto-kg.json"


@dataclass(frozen=True)
class StoreResult:
    """A loaded store: where, how many quads, how long the bulk load took."""

    path: str
    quads: int
    seconds: float


def load_store(
    ontology: Ontology,
    graph_file: str | os.PathLike[str],
    store_dir: str | os.PathLike[str],
    fmt: KgFormat = "nt",
) -> StoreResult:
    """Bulk-load a dataset graph file into a new on-disk Oxigraph store at ``store_dir``,
    the ontology in its own named graph, so roll-up queries go through
    ``rdfs:subClassOf*``. The dataset goes to the default graph (three indexes to build
    instead of a named graph's six: a third less loading time), or for N-Quads to the graphs
    the file names. Queries see every graph. The store is built beside the target and
    replaces it only when complete (an existing folder must be an earlier store)."""
    import time

    import pyoxigraph as ox

    from derm_onto.rdf import export

    target = Path(store_dir)
    if target.exists() and any(target.iterdir()) and not (target / STORE_META).is_file():
        raise DermOntoError(f"{target}: exists and is not a derm-onto store; not replacing it")
    parent = target.parent if str(target.parent) else Path()
    if not parent.is_dir():
        raise DermOntoError(f"{target}: cannot write: folder {parent} does not exist")
    vocab = Vocabulary(ontology, len(ontology.levels) or 4)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        start = time.perf_counter()
        store = ox.Store(str(tmp))
        formats = {
            "nt": ox.RdfFormat.N_TRIPLES,
            "nq": ox.RdfFormat.N_QUADS,
            "ttl": ox.RdfFormat.TURTLE,
        }
        if fmt != "nq":  # N-Quads output carries the ontology graph itself
            store.load(  # small: a transaction, not the bulk loader's files
                input=export(ontology, "nt"),
                format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode(vocab.ontology_graph),
            )
        try:
            store.bulk_load(path=str(graph_file), format=formats[fmt])
        except (SyntaxError, ValueError, OSError) as exc:
            raise DermOntoError(f"{graph_file}: cannot load: {exc}") from None
        store.flush()
        quads = len(store)
        seconds = time.perf_counter() - start
        del store
        meta = {
            "ontology": ontology.id,
            "version": ontology.version,
            "base_iri": ontology.base_iri,
            "ontology_graph": vocab.ontology_graph,
            "data_graph": vocab.data_graph if fmt == "nq" else "",
            "quads": quads,
        }
        (tmp / STORE_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
            target.replace(old / "store")
            tmp.replace(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.replace(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return StoreResult(str(target), quads, seconds)


def open_store(store_dir: str | os.PathLike[str], ontology: Ontology) -> Any:
    """A read-only handle on a store built by :func:`load_store` for this ontology."""
    import pyoxigraph as ox

    path = Path(store_dir)
    meta_path = path / STORE_META
    if not meta_path.is_file():
        raise DermOntoError(
            f"{path}: not a derm-onto store (no {STORE_META}); build one with "
            "`derm-onto kg build ... --store DIR`"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("base_iri") != ontology.base_iri:
        raise DermOntoError(
            f"{path}: built for an ontology with base {meta.get('base_iri')!r}, not "
            f"{ontology.base_iri!r}; pass the same --ontology"
        )
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise DermOntoError(f"{path}: cannot open the store: {exc}") from None


# -- the dataset query library ---------------------------------------------------------------
def dataset_queries() -> dict[str, Any]:
    """The dataset query library (``queries/dataset/*.rq``), by name."""
    from derm_onto.sparql import parse_query

    folder = data_dir("queries").joinpath("dataset")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            query = parse_query(entry.read_text(encoding="utf-8"), "dataset/" + entry.name)
            out[query.name] = query
    return out


def find_query(name_or_file: str) -> Any:
    """A dataset query by name, else an ontology library query or a query file."""
    from derm_onto.sparql import load_query

    found = dataset_queries().get(name_or_file)
    return found if found is not None else load_query(name_or_file)


def bound_terms(ontology: Ontology, query: Any, values: Mapping[str, str]) -> dict[str, Any]:
    """The query's parameters bound as for the ontology library, plus the dataset
    vocabulary (``?has_diagnosis``, ``?body_site``, ...)."""
    from rdflib import URIRef

    from derm_onto.sparql import bindings

    bound = bindings(query, ontology, values)
    vocab = Vocabulary(ontology, len(ontology.levels) or 4)
    for name, iri in vocab.bindings().items():
        bound.setdefault(name, URIRef(iri))
    return bound


_IRI_TOKEN = re.compile(r"<[^\s<>\"{}|^`\\]*>")
_WHERE = re.compile(r"where\b", re.I)


def _where_groups(text: str) -> list[tuple[int, int]]:
    """(open, close) brace positions of every group that follows ``WHERE`` (the query's and
    each sub-SELECT's), strings, IRIs and comments skipped."""
    groups: list[tuple[int, int]] = []
    stack: list[tuple[int, bool]] = []
    after_where = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        if c == "<" and (iri := _IRI_TOKEN.match(text, i)) is not None:
            i = iri.end()
            continue
        if c in "wW" and _WHERE.match(text, i) and (i == 0 or not text[i - 1].isalnum()):
            after_where = True
            i += 5
            continue
        if c == "{":
            stack.append((i, after_where))
            after_where = False
        elif c == "}" and stack:
            start, is_where = stack.pop()
            if is_where:
                groups.append((start, i))
        elif not c.isspace():
            after_where = False
        i += 1
    return groups


def bind_query(text: str, bound: Mapping[str, Any]) -> str:
    """The query with a ``VALUES`` block of escaped RDF terms first in its WHERE group and in
    every sub-SELECT's, each binding the variables that group uses: sub-SELECTs are
    evaluated on their own (SPARQL is bottom-up), so a query can compute small sets in them
    and join those; an engine then hash-joins the sets instead of probing row by row."""
    from derm_onto.sparql import values_block

    groups = _where_groups(text)
    if not groups:
        from derm_onto.sparql import with_values

        return with_values(text, bound)
    out = text
    for start, end in sorted(groups, reverse=True):
        block = values_block(bound, text[start + 1 : end])
        out = out[: start + 1] + block + out[start + 1 :]
    return out


def run_store(
    ontology: Ontology,
    store_dir: str | os.PathLike[str],
    name_or_file: str,
    values: Mapping[str, str],
    store: Any = None,
) -> Any:
    """Run a library query (dataset or ontology) on an Oxigraph store built by ``kg build``;
    every named graph is part of the default graph."""
    import pyoxigraph as ox

    from derm_onto.sparql import Result, query_form

    query = find_query(name_or_file)
    form = query_form(query.text, query.source)
    if form == "update":
        raise DermOntoError(f"{query.source}: an update query; the store is opened read-only")
    text = bind_query(query.text, bound_terms(ontology, query, values))
    store = store if store is not None else open_store(store_dir, ontology)
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise DermOntoError(f"{query.source}: not valid SPARQL: {exc}") from None
    if form == "ask":
        return Result(("ask",), [("true" if bool(result) else "false",)])
    if form != "select":
        raise DermOntoError(f"{query.source}: only SELECT and ASK queries run on a store")
    columns = tuple(v.value for v in result.variables)

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, ox.NamedNode):
            return ontology.contract(value.value) or value.value
        return str(value.value)

    return Result(columns, [tuple(cell(s[c]) for c in columns) for s in result])


def run_endpoint(
    ontology: Ontology, endpoint: Any, name_or_file: str, values: Mapping[str, str]
) -> Any:
    """Run a library query (dataset or ontology) on a remote SPARQL endpoint
    (:class:`derm_onto.sparql.Endpoint`), e.g. the Virtuoso ``kg publish`` loaded; bound
    like :func:`run_store`, read-only."""
    from derm_onto.sparql import Query, query_form, run_remote

    query = find_query(name_or_file)
    if query_form(query.text, query.source) == "update":
        raise DermOntoError(f"{query.source}: an update query; dataset queries are read-only")
    text = bind_query(query.text, bound_terms(ontology, query, values))
    return run_remote(
        ontology, Query(query.name, query.description, (), text, query.source), {}, endpoint
    )


# -- Virtuoso --------------------------------------------------------------------------------
@dataclass(frozen=True)
class VirtuosoResult:
    """What the bulk loader did: graphs loaded and the triples the server then holds."""

    graphs: dict[str, int]
    files: tuple[str, ...]


def _isql(isql: str, user: str, password: str, script: str, timeout: float) -> str:
    command = shutil.which("isql-vt") or shutil.which("isql")
    if command is None:
        raise DermOntoError("isql-vt not found; install virtuoso-opensource (isql-vt on PATH)")
    try:
        done = subprocess.run(
            [command, isql, user, password, "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
            input=script,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DermOntoError(
            f"{isql}: isql did not finish within {timeout:g} s (--timeout)"
        ) from None
    output = done.stdout + done.stderr
    errors = [
        line for line in output.splitlines() if re.search(r"\*\*\* Error|^\s*\w+: .*Error", line)
    ]
    if done.returncode != 0 or errors:
        first = (errors or output.strip().splitlines() or ["no output"])[0].strip()
        raise DermOntoError(f"{isql}: isql failed: {first[:300]}")
    return output


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish_virtuoso(
    ontology: Ontology,
    graph_file: str | os.PathLike[str],
    *,
    isql: str = "localhost:1111",
    user: str = "dba",
    password: str = "dba",
    timeout: float = 3600.0,
) -> VirtuosoResult:
    """Load a dataset graph file (N-Triples / N-Quads / Turtle from :func:`build`) and the
    ontology into Virtuoso with its bulk loader (``ld_dir`` + ``rdf_loader_run`` through
    isql), replacing both graphs; return the triple count of each graph on the server.

    The file's folder must be readable by the server and listed in its ``DirsAllowed``; the
    ontology is written there beside it for the load and removed afterwards.
    """
    source = Path(graph_file).resolve()
    if not source.is_file():
        raise DermOntoError(f"{source}: no such file")
    from derm_onto.rdf import export

    vocab = Vocabulary(ontology, len(ontology.levels) or 4)
    folder = source.parent
    onto_file = folder / f".{source.name}.ontology.nt"
    onto_file.write_bytes(export(ontology, "nt"))
    try:
        graphs = (vocab.data_graph, vocab.ontology_graph)
        files = (source.name, onto_file.name)
        script = ["log_enable(3,1);"]
        script += [f"SPARQL CLEAR GRAPH <{g}>;" for g in graphs]
        script += [
            f"DELETE FROM DB.DBA.load_list WHERE ll_file = {_sql_string(str(folder / f))};"
            for f in files
        ]
        script += [
            f"ld_dir({_sql_string(str(folder))}, {_sql_string(f)}, {_sql_string(g)});"
            for f, g in zip(files, graphs, strict=True)
        ]
        script += ["rdf_loader_run();", "checkpoint;"]
        script += [
            "SELECT 'LOADERROR', ll_file, ll_error FROM DB.DBA.load_list "
            f"WHERE ll_file = {_sql_string(str(folder / f))} AND ll_error IS NOT NULL;"
            for f in files
        ]
        script += [
            f"SPARQL SELECT ('GRAPHCOUNT' AS ?tag) ('{g}' AS ?g) (COUNT(*) AS ?n) "
            f"WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }};"
            for g in graphs
        ]
        output = _isql(isql, user, password, "\n".join(script) + "\n", timeout)
    finally:
        onto_file.unlink(missing_ok=True)
    for line in output.splitlines():
        if "LOADERROR" in line:
            raise DermOntoError(f"{isql}: the bulk loader failed: {line.strip()[:300]}")
    counts = {
        m.group(1): int(m.group(2)) for m in re.finditer(r"GRAPHCOUNT\s+(\S+)\s+(\d+)", output)
    }
    missing = [g for g in graphs if g not in counts]
    if missing:
        raise DermOntoError(f"{isql}: no triple count for <{missing[0]}> in isql's answer")
    return VirtuosoResult(counts, (str(source),))
