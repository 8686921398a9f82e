"""A frozen copy of the caption batcher before it built its arrays through
derm_onto.arrays (per-row Python lists, ``pa.array``, an ``if_else`` per sub-caption): the
reference the property tests compare the current batcher with, table for table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from derm_onto.captions import (
    ADDED_COLUMNS,
    INFERRED_COLUMN,
    META_COLUMNS,
    N_SUBCAPTIONS,
    NATURAL_CONCEPTS,
    NATURAL_SINGLE,
    CaptionOptions,
    CaptionPlan,
    _augmented_concepts,
)


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

        self.plan = plan
        self.options = options
        fields = (
            list(columns)
            if isinstance(columns, pa.Schema)
            else [pa.field(c, pa.string()) for c in columns]
        )
        added = [*ADDED_COLUMNS, *((INFERRED_COLUMN,) if options.infer_concepts_from else ())]
        self.schema = pa.schema([*fields, *((c, pa.string()) for c in added)])
        self.evidence: Any = None
        if options.infer_concepts_from:
            from derm_onto.associations.evidence import read
            from derm_onto.associations.text import ConceptEvidence

            document = read(options.infer_concepts_from)
            self.evidence = ConceptEvidence(plan.ontology, document)
        self.rng = np.random.default_rng(options.seed)
        self.masks = pa.array(
            [
                "[" + ", ".join(["1"] * k + ["0"] * (N_SUBCAPTIONS - k)) + "]"
                for k in range(N_SUBCAPTIONS + 1)
            ]
        )
        self.knowledge = pa.array(
            [f"[{a}, {b}, {c}]" for a in (0, 1) for b in (0, 1) for c in (0, 1)]
        )

    @staticmethod
    def _column(batch: Any, name: str) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        if name in batch.schema.names:
            return pc.fill_null(batch.column(name).cast(pa.string()), "")
        return pa.array([""] * batch.num_rows, pa.string())

    def _ontology_captions(self, labels: Any, n: int) -> Any:
        """Per distinct label, every variant; a row takes the derm1m one or a seeded one."""
        import numpy as np
        import pyarrow as pa

        table = pa.array(
            [
                v
                for value in labels.dictionary.to_pylist()
                for v in self.plan.ontology_variants(value)
            ],
            pa.string(),
        )
        width = 1 + len(NATURAL_SINGLE)
        index = labels.indices.to_numpy(zero_copy_only=False).astype(np.int64) * width
        if self.options.style == "natural":
            index = index + 1 + self.rng.integers(0, len(NATURAL_SINGLE), n)
        return table.take(pa.array(index))

    def _concept_captions(self, batch: Any) -> tuple[Any, Any]:
        """The concept caption of each row, and the augmented caption's concept sentence."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        concepts = pc.dictionary_encode(self._column(batch, self.options.concept_column))
        k = len(NATURAL_CONCEPTS) if self.options.style == "natural" else 1
        texts = [
            self.plan.concept_caption(v, self.options.style, j)
            for v in concepts.dictionary.to_pylist()
            for j in range(k)
        ]
        index = concepts.indices.to_numpy(zero_copy_only=False).astype(np.int64) * k
        if k > 1:
            index = index + self.rng.integers(0, k, batch.num_rows)
        take = pa.array(index)
        augmented = pa.array([_augmented_concepts(c) for c in texts], pa.string())
        return pa.array(texts, pa.string()).take(take), augmented.take(take)

    def _metadata_captions(self, batch: Any) -> Any:
        """One caption per distinct combination of age, gender, sites and symptoms."""
        import pyarrow as pa
        import pyarrow.compute as pc

        joined = pc.binary_join_element_wise(
            *[self._column(batch, c) for c in META_COLUMNS], "\x1f"
        )
        meta = pc.dictionary_encode(joined)
        table = pa.array(
            [self.plan.metadata_caption(*v.split("\x1f")) for v in meta.dictionary.to_pylist()],
            pa.string(),
        )
        return table.take(meta.indices)

    def _subcaptions(self, caption: Any) -> tuple[Any, list[Any], Any]:
        """The refined caption split into sentences: their count, the first eight, and for
        each row how many there are (for the masks)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(caption)
        sentences = pc.split_pattern_regex(
            pc.utf8_rtrim(pc.utf8_trim_whitespace(caption), "."), pattern=r"\.\s+"
        )
        lengths = pc.list_value_length(sentences).to_numpy(zero_copy_only=False)
        lengths = np.where(pc.equal(caption, "").to_numpy(zero_copy_only=False), 0, lengths)
        flat = pc.list_flatten(sentences)
        offsets = sentences.offsets.to_numpy()[:-1]
        subs = []
        for i in range(N_SUBCAPTIONS):
            valid = lengths > i
            picked = (
                flat.take(pa.array(np.where(valid, offsets + i, 0)))
                if len(flat)
                else pa.array([""] * n, pa.string())
            )
            subs.append(pc.if_else(pa.array(valid), picked, ""))
        count = np.minimum(lengths, N_SUBCAPTIONS)
        sub_count = pa.array(count.astype(str).tolist() if n else [], pa.string())
        return sub_count, subs, lengths

    def __call__(self, batch: Any) -> Any:
        """The batch with the caption columns added (all rows, empty captions included)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        labels = pc.dictionary_encode(self._column(batch, self.options.label_column))
        ontology_caption = self._ontology_captions(labels, batch.num_rows)
        concept_caption, concept_sentence = self._concept_captions(batch)
        metadata_caption = self._metadata_captions(batch)
        caption = self._column(batch, self.options.caption_column)
        augmented = pc.binary_join_element_wise(caption, ontology_caption, concept_sentence, "")
        sub_count, subs, lengths = self._subcaptions(caption)
        count = np.minimum(lengths, N_SUBCAPTIONS)
        code = (
            (lengths > 0).astype(np.int64) * 4
            + pc.not_equal(ontology_caption, "").to_numpy(zero_copy_only=False) * 2
            + pc.not_equal(concept_caption, "").to_numpy(zero_copy_only=False)
        )
        inferred = [self._inferred_captions(labels, concept_caption)] if self.evidence else []
        return pa.RecordBatch.from_arrays(
            [
                *batch.columns,
                ontology_caption,
                concept_caption,
                metadata_caption,
                augmented,
                sub_count,
                *subs,
                self.masks.take(pa.array(count)),
                self.knowledge.take(pa.array(code)),
                *inferred,
            ],
            schema=self.schema,
        )

    def _inferred_captions(self, labels: Any, concept_caption: Any) -> Any:
        """Per distinct label, the evidence's concepts for its conditions; only on rows
        whose own concept caption is empty."""
        import pyarrow as pa
        import pyarrow.compute as pc

        texts = [
            self.evidence.inferred_caption(self.plan.labels.resolve(value).ids)
            for value in labels.dictionary.to_pylist()
        ]
        inferred = pa.array(texts, pa.string()).take(labels.indices)
        return pc.if_else(pc.equal(concept_caption, ""), inferred, "")
