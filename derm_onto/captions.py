"""Ontology-based, concept-based and metadata captions for image-text training tables.

Derm1M trains on three kinds of text per image: the refined caption, an ontology caption
and a concept caption. For each distinct label (and each distinct concept list) the captions
are computed once; a batch of rows is then a dictionary encode plus vectorised ``take``s and
string joins in pyarrow, never a per-row tree walk.

Columns added (all strings, ready for open_clip's ``--csv-caption-key``):

* ``ontology_caption``: ``derm1m`` style is the released format, ``This is a skin photo
  diagnosed as {path}.`` with Derm1M's hierarchical path; ``natural`` style picks one of
  several fluent templates per row with a seeded generator.
* ``visual_concept_caption``: ``This skin photo shows {concepts}.`` (``derm1m``: the input's
  concepts de-duplicated in order; ``natural``: mapped to the concept vocabulary's labels).
* ``metadata_caption``: age, gender, body sites and symptoms, Derm1M's sentinels skipped,
  sites and symptoms mapped to the ontology's findings.
* ``augmented_caption``, ``sub_captions``, ``subcaption_1`` .. ``subcaption_8``,
  ``sub_caption_mask``, ``knowledge_masks``: the released training columns.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> plan = CaptionPlan(load(bundled_ontology_path()))
>>> plan.ontology_variants("guttate psoriasis")[0]
'This is a skin photo diagnosed as inflammatory, non-infectious, psoriasis, guttate psoriasis.'
>>> plan.concept_caption("red, patch, red")
'This skin photo shows red, patch.'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from derm_onto.errors import DermOntoError
from derm_onto.labels import LabelPlan
from derm_onto.matching import Matcher
from derm_onto.model import Ontology

Style = Literal["derm1m", "natural"]
STYLES: tuple[Style, ...] = get_args(Style)
N_SUBCAPTIONS = 8
#: Derm1M's metadata sentinels (compared case-insensitively).
METADATA_SENTINELS = frozenset(
    {
        "no age information",
        "no gender information",
        "no body location information",
        "no symptom information",
        "no visual concepts",
        "unknown",
        "",
    }
)

NATURAL_SINGLE = (
    "This skin photo shows {label}, a form of {parent}.",
    "A clinical image of {label}, which belongs to the {category} group of skin conditions.",
    "The lesion in this photo is {label}{aka}, classified under {parent}.",
    "Dermatology image: {label}, one of the {category} conditions, here a kind of {parent}.",
    "This picture shows skin affected by {label}{aka}.",
)
NATURAL_MULTI = (
    "This skin photo shows {labels}, all conditions of the {common} group.",
    "A clinical image with features of {labels}.",
    "The photo is consistent with {labels}, which share the {common} branch of the ontology.",
)
NATURAL_CONCEPTS = (
    "This skin photo shows {concepts}.",
    "Visible features include {concepts}.",
    "The lesion presents with {concepts}.",
)


def _join_natural(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def split_concepts(cell: str) -> list[str]:
    """The concepts of a cell, de-duplicated in order; empty for Derm1M's sentinel.

    >>> split_concepts("red, patch, Red, No visual concepts")
    ['red', 'patch']
    """
    seen: dict[str, str] = {}
    for part in cell.split(","):
        text = part.strip()
        if text.casefold() in METADATA_SENTINELS:
            continue
        seen.setdefault(text.casefold(), text)
    return list(seen.values())


@dataclass(frozen=True)
class CaptionOptions:
    """Options of a captions run."""

    label_column: str = "disease_label"
    concept_column: str = "skin_concept"
    caption_column: str = "caption"
    style: Style = "derm1m"
    seed: int = 0
    drop_empty: bool = False
    #: columns that must exist besides the label column (a missing one is an error)
    required: tuple[str, ...] = ()
    #: an associations (evidence) file: add ``inferred_concept_caption``, the concepts the
    #: data most supports for the row's diagnosis, for rows without concept annotations
    infer_concepts_from: str | None = None


@dataclass(frozen=True)
class CaptionReport:
    """What a captions run wrote. ``empty_rows`` have an empty ontology caption (no
    diagnosis): they were ``dropped`` with ``drop_empty``, else written with the empty cell
    (pandas, and so open_clip's CSV loader, reads such a cell as NaN)."""

    rows_read: int
    rows_written: int
    empty_rows: int
    dropped: bool
    missing_columns: tuple[str, ...] = ()


class CaptionPlan:
    """Per-ontology caption tables; every method caches by distinct input value."""

    def __init__(self, ontology: Ontology, label_plan: LabelPlan | None = None) -> None:
        self.ontology = ontology
        self.labels = label_plan or LabelPlan(ontology, levels=(1,))
        self.concepts = Matcher(ontology, "concepts")
        self.findings = Matcher(ontology, "findings")
        self._ontology: dict[str, tuple[str, ...]] = {}
        self._concept: dict[tuple[str, str], str] = {}

    # -- ontology captions ------------------------------------------------------------
    def ontology_variants(self, cell: str) -> tuple[str, ...]:
        """The ontology captions of a label cell: [0] derm1m style, [1:] natural variants."""
        found = self._ontology.get(cell)
        if found is None:
            found = self._ontology[cell] = self._ontology_variants(cell)
        return found

    def _ontology_variants(self, cell: str) -> tuple[str, ...]:
        resolved = self.labels.resolve(cell)
        derm1m = (
            f"This is a skin photo diagnosed as {resolved.derm1m_path}."
            if resolved.derm1m_path
            else ""
        )
        if not resolved.ids:
            return (derm1m, *([""] * max(len(NATURAL_SINGLE), len(NATURAL_MULTI))))
        label = self.labels.label
        if len(resolved.ids) == 1:
            path = self.labels.paths[resolved.ids[0]]
            term = self.ontology.term(resolved.ids[0])
            parent = label(path[-2]) if len(path) > 1 else "skin disease"
            category = label(path[0])
            exact = [
                s.text
                for s in term.synonyms
                if s.type.value == "exact" and not s.text[:1].isupper()
            ]
            aka = f" (also called {exact[0]})" if exact else ""
            natural = [
                t.format(label=term.label, parent=parent, category=category, aka=aka)
                for t in NATURAL_SINGLE
            ]
        else:
            labels = [self.ontology.term(i).label for i in resolved.ids]
            paths = [self.labels.paths[i] for i in resolved.ids]
            common = [s[0] for s in zip(*paths, strict=False) if len(set(s)) == 1]
            common_label = label(common[-1]) if common else "skin"
            natural = [
                t.format(labels=_join_natural(labels), common=common_label) for t in NATURAL_MULTI
            ]
            natural += natural[: len(NATURAL_SINGLE) - len(natural)]
        return (derm1m, *natural)

    # -- concept captions ---------------------------------------------------------------
    def concept_caption(self, cell: str, style: Style = "derm1m", variant: int = 0) -> str:
        """``This skin photo shows {concepts}.`` for a concept cell ("" when it has none)."""
        key = (cell, f"{style}{variant}")
        found = self._concept.get(key)
        if found is None:
            found = self._concept[key] = self._concept_caption(cell, style, variant)
        return found

    def concept_list(self, cell: str, style: Style) -> list[str]:
        """The concepts as written (derm1m) or as vocabulary labels (natural)."""
        concepts = split_concepts(cell)
        if style == "derm1m":
            return concepts
        mapped = []
        for text in concepts:
            found = self.concepts.match(text)
            mapped.append(found.label if found.matched else text)
        return list(dict.fromkeys(mapped))

    def _concept_caption(self, cell: str, style: Style, variant: int) -> str:
        concepts = self.concept_list(cell, style)
        if not concepts:
            return ""
        if style == "derm1m":
            return f"This skin photo shows {', '.join(concepts)}."
        template = NATURAL_CONCEPTS[variant % len(NATURAL_CONCEPTS)]
        return template.format(concepts=_join_natural(concepts))

    # -- metadata -------------------------------------------------------------------------
    def metadata_caption(self, age: str, gender: str, sites: str, symptoms: str) -> str:
        """A sentence or two from the patient metadata; "" when all of it is missing."""
        parts = []
        age = age.strip()
        gender = gender.strip().lower()
        who = ""
        if age.casefold() not in METADATA_SENTINELS:
            number = re.sub(r"\.0$", "", age)
            who = f"{number}-year-old" if re.fullmatch(r"\d+", number) else number
        if gender not in METADATA_SENTINELS:
            noun = {"male": "man", "m": "man", "female": "woman", "f": "woman"}.get(gender, gender)
            who = f"{who} {noun}".strip()
        if who:
            article = "an" if who[:1] in "aeiou8" or who.startswith(("11-", "18-")) else "a"
            parts.append(f"The patient is {article} {who}.")
        site_labels = self._findings(sites)
        if site_labels:
            parts.append(f"The lesion is on the {_join_natural(site_labels)}.")
        symptom_labels = self._findings(symptoms)
        if symptom_labels:
            parts.append(f"Reported symptoms: {_join_natural(symptom_labels)}.")
        return " ".join(parts)

    def _findings(self, cell: str) -> list[str]:
        out = []
        for text in split_concepts(cell):
            found = self.findings.match(text)
            if found.method == "sentinel":
                continue
            out.append(found.label if found.matched else text.lower())
        return list(dict.fromkeys(out))


def _augmented_concepts(concept_caption: str) -> str:
    """The released augmented caption writes 'The skin photo shows ...' for the concepts."""
    return concept_caption.replace("This skin photo shows", "The skin photo shows", 1)


class _PerValue:
    """Texts made once per distinct cell value (a fixed number per value), kept across
    batches as Arrow arrays: a batch looks its distinct values up, makes texts only for
    new ones, and gathers its rows' texts with one ``take``. ``derived`` makes a second
    table from each value's texts (the augmented caption's sentence from the concept
    caption); ``filled`` marks the non-empty texts of the first table."""

    def __init__(
        self,
        make: Callable[[str], list[str]],
        derived: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        import numpy as np

        from derm_onto.arrays import strings

        self.make = make
        self.derived = derived
        self.code: dict[str, int] = {}
        self.width = 0
        self.tables = [strings([]), strings([])]
        self.filled = np.zeros(0, dtype=bool)

    def numbers(self, encoded: Any) -> Any:
        """For each value of a dictionary-encoded column's dictionary, its number times
        the number of texts per value (NumPy int64): add ``j`` for the value's ``j``-th
        text. Texts are made for the values not seen before."""
        import numpy as np
        import pyarrow as pa

        from derm_onto.arrays import strings

        values = encoded.dictionary.to_pylist()
        get = self.code.get
        codes = [get(v) for v in values]
        new = [v for v, c in zip(values, codes, strict=True) if c is None]
        if new:
            start = len(self.code)
            texts = [self.make(v) for v in new]
            self.width = self.width or len(texts[0])
            flat = [t for group in texts for t in group]
            self.tables[0] = pa.concat_arrays([self.tables[0], strings(flat)])
            if self.derived is not None:
                more = strings(self.derived(flat))
                self.tables[1] = pa.concat_arrays([self.tables[1], more])
            filled = np.fromiter(map(bool, flat), dtype=bool, count=len(flat))
            self.filled = np.concatenate([self.filled, filled])
            for offset, value in enumerate(new):
                self.code[value] = start + offset
            codes = [get(v) for v in values]
        return np.array(codes, dtype=np.int64) * self.width

    def texts(self, table: int, picks: Any, index: Any) -> Any:
        """Table ``table``'s texts at ``picks`` (a batch's dictionary), for each row the
        one at ``index`` in it: a dictionary array."""
        from derm_onto.arrays import dictionary, ints

        return dictionary(index, self.tables[table].take(ints(picks)))


#: The columns ``captions`` adds, in order.
#: the column ``--infer-concepts`` adds; its text always says the concepts are inferred
INFERRED_COLUMN = "inferred_concept_caption"
ADDED_COLUMNS = (
    "ontology_caption",
    "visual_concept_caption",
    "metadata_caption",
    "augmented_caption",
    "sub_captions",
    *(f"subcaption_{i}" for i in range(1, N_SUBCAPTIONS + 1)),
    "sub_caption_mask",
    "knowledge_masks",
)
META_COLUMNS = ("age", "gender", "body_location", "symptoms")
#: the added columns :meth:`CaptionBatcher.encode` gives as plain strings (one text per row)
DENSE_COLUMNS = ("augmented_caption", INFERRED_COLUMN)


class CaptionBatcher:
    """The per-batch work of ``captions``: a record batch in, the same rows with the caption
    columns added out. Built once per ontology and options (each caption is computed once per
    distinct value, then gathered with vectorised ``take``s); the seeded generator advances
    batch by batch, so the same table in the same batches gives the same output.
    """

    def __init__(self, plan: CaptionPlan, options: CaptionOptions, columns: Sequence[str] | Any):
        """``columns``: the input's column names (all read as strings), or its Arrow schema
        (the input columns keep their types)."""
        import numpy as np
        import pyarrow as pa

        from derm_onto.arrays import strings

        self.plan = plan
        self.options = options
        fields = (
            list(columns)
            if isinstance(columns, pa.Schema)
            else [pa.field(c, pa.string()) for c in columns]
        )
        added = [*ADDED_COLUMNS, *((INFERRED_COLUMN,) if options.infer_concepts_from else ())]
        self.schema = pa.schema([*fields, *((c, pa.string()) for c in added)])
        #: :meth:`encode`'s schema: the added columns but two are dictionary-encoded strings
        self.wire_schema = pa.schema(
            [
                *fields,
                *(
                    (
                        c,
                        pa.string()
                        if c in DENSE_COLUMNS
                        else pa.dictionary(pa.int32(), pa.string()),
                    )
                    for c in added
                ),
            ]
        )
        self.evidence: Any = None
        if options.infer_concepts_from:
            from derm_onto.associations.evidence import read
            from derm_onto.associations.text import ConceptEvidence

            document = read(options.infer_concepts_from)
            self.evidence = ConceptEvidence(plan.ontology, document)
        self.rng = np.random.default_rng(options.seed)
        self.masks = strings(
            [
                "[" + ", ".join(["1"] * k + ["0"] * (N_SUBCAPTIONS - k)) + "]"
                for k in range(N_SUBCAPTIONS + 1)
            ]
        )
        self.knowledge = strings(
            [f"[{a}, {b}, {c}]" for a in (0, 1) for b in (0, 1) for c in (0, 1)]
        )
        self.digits = strings([str(k) for k in range(N_SUBCAPTIONS + 1)])
        self._labels = _PerValue(self._ontology_texts)
        self._concepts = _PerValue(
            self._concept_texts, lambda texts: [_augmented_concepts(t) for t in texts]
        )
        self._metadata = _PerValue(lambda value: [self.plan.metadata_caption(*value.split("\x1f"))])

    @staticmethod
    def _column(batch: Any, name: str) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        from derm_onto.arrays import string, strings

        if name in batch.schema.names:
            column = batch.column(name)
            if not pa.types.is_string(column.type):
                column = column.cast(pa.string())
            return pc.fill_null(column, string("")) if column.null_count else column
        return strings([""] * batch.num_rows)

    def _pick(self, table: _PerValue, encoded: Any, variants: int) -> tuple[Any, Any]:
        """Where the rows of a dictionary-encoded column find their texts in ``table``:
        ``picks``, the table's rows the batch uses (for each distinct value, its
        ``variants`` texts), and for each row its position in ``picks``: its value's one
        text, or with ``variants`` > 1 a seeded pick among its value's texts."""
        from derm_onto.arrays import to_numpy

        number = table.numbers(encoded)
        index = to_numpy(encoded.indices)
        if variants == 1:
            return number, index
        import numpy as np

        picks = (number[:, None] + np.arange(variants)).ravel()
        n = len(index)
        return picks, index.astype(np.int64) * variants + self.rng.integers(0, variants, n)

    def _ontology_captions(self, labels: Any) -> tuple[Any, Any]:
        """Per distinct label, the variants the style draws from (the derm1m one, or the
        natural ones); a row takes its label's derm1m caption or a seeded natural one (a
        dictionary array). Also, per row, whether its caption is not empty."""
        natural = self.options.style == "natural"
        picks, index = self._pick(self._labels, labels, len(NATURAL_SINGLE) if natural else 1)
        return self._labels.texts(0, picks, index), self._labels.filled[picks][index]

    def _ontology_texts(self, value: str) -> list[str]:
        variants = self.plan.ontology_variants(value)
        if self.options.style == "natural":
            return list(variants[1 : 1 + len(NATURAL_SINGLE)])
        return [variants[0]]

    def _concept_texts(self, value: str) -> list[str]:
        k = len(NATURAL_CONCEPTS) if self.options.style == "natural" else 1
        return [self.plan.concept_caption(value, self.options.style, j) for j in range(k)]

    def _concept_captions(self, batch: Any) -> tuple[Any, Any, Any]:
        """The concept caption of each row, the augmented caption's concept sentence
        (dictionary arrays), and whether the row's concept caption is not empty."""
        import pyarrow.compute as pc

        concepts = pc.dictionary_encode(self._column(batch, self.options.concept_column))
        natural = self.options.style == "natural"
        table = self._concepts
        picks, index = self._pick(table, concepts, len(NATURAL_CONCEPTS) if natural else 1)
        return (
            table.texts(0, picks, index),
            table.texts(1, picks, index),
            table.filled[picks][index],
        )

    def _metadata_captions(self, batch: Any) -> Any:
        """One caption per distinct combination of age, gender, sites and symptoms."""
        import pyarrow.compute as pc

        from derm_onto.arrays import string

        joined = pc.binary_join_element_wise(
            *[self._column(batch, c) for c in META_COLUMNS], string("\x1f")
        )
        return self._metadata.texts(0, *self._pick(self._metadata, pc.dictionary_encode(joined), 1))

    def _subcaptions(self, caption: Any) -> tuple[list[Any], Any]:
        """The refined caption split into sentences: the first eight (dictionary arrays
        over the batch's distinct captions), and for each row how many there are. Each
        distinct caption of the batch is split once (a caption is often shared by many
        rows)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from derm_onto.arrays import dictionary, ints, string, strings, to_numpy

        encoded = pc.dictionary_encode(caption)
        distinct = encoded.dictionary
        row = to_numpy(encoded.indices)
        sentences = pc.split_pattern_regex(
            pc.utf8_rtrim(pc.utf8_trim_whitespace(distinct), "."), pattern=r"\.\s+"
        )
        lengths = to_numpy(pc.list_value_length(sentences))
        lengths = np.where(to_numpy(pc.equal(distinct, string(""))), 0, lengths)
        flat = pc.list_flatten(sentences)
        offsets = to_numpy(sentences.offsets)[:-1].astype(np.int64)
        # one empty string past the sentences: a caption without an i-th sentence takes it
        padded = pa.concat_arrays([flat, strings([""])])
        past = len(flat)
        subs = [
            dictionary(row, padded.take(ints(np.where(lengths > i, offsets + i, past))))
            for i in range(N_SUBCAPTIONS)
        ]
        return subs, lengths[row]

    def encode(self, batch: Any) -> Any:
        """The batch with the caption columns added, as :attr:`wire_schema` says: most
        added columns are dictionary arrays over the batch's distinct texts (what a
        Parquet writer stores without hashing every row again; ``__call__`` decodes them).
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from derm_onto.arrays import decoded, dictionary, string

        labels = pc.dictionary_encode(self._column(batch, self.options.label_column))
        ontology_caption, has_ontology = self._ontology_captions(labels)
        concept_caption, concept_sentence, has_concepts = self._concept_captions(batch)
        metadata_caption = self._metadata_captions(batch)
        caption = self._column(batch, self.options.caption_column)
        augmented = pc.binary_join_element_wise(
            caption, decoded(ontology_caption), decoded(concept_sentence), string("")
        )
        subs, lengths = self._subcaptions(caption)
        count = np.minimum(lengths, N_SUBCAPTIONS)
        code = (lengths > 0) * 4 + has_ontology * 2 + has_concepts
        inferred = [self._inferred_captions(labels, has_concepts)] if self.evidence else []
        return pa.RecordBatch.from_arrays(
            [
                *batch.columns,
                ontology_caption,
                concept_caption,
                metadata_caption,
                augmented,
                dictionary(count, self.digits),
                *subs,
                dictionary(count, self.masks),
                dictionary(code, self.knowledge),
                *inferred,
            ],
            schema=self.wire_schema,
        )

    def __call__(self, batch: Any) -> Any:
        """The batch with the caption columns added (all rows, empty captions included)."""
        import pyarrow as pa

        from derm_onto.arrays import decoded

        out = self.encode(batch)
        return pa.RecordBatch.from_arrays([decoded(c) for c in out.columns], schema=self.schema)

    def _inferred_captions(self, labels: Any, has_concepts: Any) -> Any:
        """Per distinct label, the evidence's concepts for its conditions; only on rows
        whose own concept caption is empty (``has_concepts`` false)."""
        import pyarrow.compute as pc

        from derm_onto.arrays import bools, string, strings

        texts = [
            self.evidence.inferred_caption(self.plan.labels.resolve(value).ids)
            for value in labels.dictionary.to_pylist()
        ]
        inferred = strings(texts).take(labels.indices)
        return pc.if_else(bools(has_concepts), string(""), inferred)


def caption_arrow(ontology: Ontology, table: Any, options: CaptionOptions | None = None) -> Any:
    """Caption an in-memory Arrow table (``pa.Table.from_pandas(df)`` for a DataFrame): the
    columns ``derm-onto captions`` adds, without files.

    >>> import pyarrow as pa
    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> table = pa.table({"disease_label": ["guttate psoriasis"], "age": [34]})
    >>> caption_arrow(onto, table).column("ontology_caption")[0].as_py()
    'This is a skin photo diagnosed as inflammatory, non-infectious, psoriasis, guttate psoriasis.'
    """
    import pyarrow as pa

    options = options or CaptionOptions()
    if options.label_column not in table.column_names:
        raise DermOntoError(
            f"no column {options.label_column!r} (columns: {', '.join(table.column_names)})"
        )
    batcher = CaptionBatcher(CaptionPlan(ontology), options, table.schema)
    return pa.Table.from_batches([batcher(b) for b in table.to_batches()], schema=batcher.schema)


def caption_table(
    ontology: Ontology,
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: CaptionOptions,
) -> CaptionReport:
    """Add caption columns to a CSV/Parquet table.

    Only the label column is required: a missing concept, caption or metadata column gives
    empty captions of that kind (listed in ``missing_columns``), so a label-only dataset
    such as Fitzpatrick17k captions as it is. The output format follows its extension:
    ``.tsv`` is tab-separated, which is what open_clip's ``--csv-separator`` expects by
    default.
    """
    import pyarrow.compute as pc

    from derm_onto.arrays import bools, string, to_numpy
    from derm_onto.files import refuse_overwriting_inputs
    from derm_onto.heap import paused_collection
    from derm_onto.tables import TableWriter, check_columns, tracked_batches

    columns = check_columns(
        source, [options.label_column, *options.required], list(ADDED_COLUMNS), "drop it first"
    )
    refuse_overwriting_inputs([source], [output])
    wanted = [options.concept_column, options.caption_column, *META_COLUMNS]
    missing = tuple(c for c in wanted if c not in columns)
    batcher = CaptionBatcher(CaptionPlan(ontology), options, columns)
    rows_read = rows_written = empty_rows = 0
    nothing = string("")
    with (
        TableWriter(output, batcher.schema, wire_schema=batcher.wire_schema) as writer,
        tracked_batches(source, "captions", columns) as batches,
        paused_collection(),
    ):
        for batch in batches:
            out = batcher.encode(batch)
            ontology_caption = out.column("ontology_caption")  # a dictionary array
            empty_text = to_numpy(pc.equal(ontology_caption.dictionary, nothing))
            empty = empty_text[to_numpy(ontology_caption.indices)]
            n_empty = int(empty.sum())
            empty_rows += n_empty
            rows_read += batch.num_rows
            if options.drop_empty and n_empty:
                out = out.filter(bools(~empty))
            writer.write(out)
            rows_written += out.num_rows
    return CaptionReport(rows_read, rows_written, empty_rows, options.drop_empty, missing)
