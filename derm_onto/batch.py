"""Labelling and captioning as functions on Arrow record batches, for any engine.

``derm-onto labels`` and ``derm-onto captions`` stream one table through one process. A
LAION-scale table (billions of rows) is better labelled where it lives, by an engine that
already splits it into Arrow record batches across many workers: Apache Spark's
``DataFrame.mapInArrow`` (see :mod:`derm_onto.spark`), Ray Data's
``map_batches(labeller, batch_format="pyarrow")`` (which passes Arrow tables; they work too),
or a plain loop over ``pyarrow.parquet.ParquetFile.iter_batches``. This module holds the
per-batch work in two small picklable objects:

* :class:`BatchLabeller` adds the columns of ``derm-onto labels`` (ids, level labels and
  indices, Derm1M's hierarchical label);
* :class:`BatchCaptioner` adds the columns of ``derm-onto captions`` in the ``derm1m`` style.

Each is built once per ontology on the driver (the :class:`~derm_onto.labels.LabelPlan`,
with its graph, paths, matcher and class maps, is made once and pickled to the workers) and is
then a pure function of one batch, so the rows come out the same as the command line's
whatever the partitioning. Every distinct label in a batch is resolved once.

>>> import pyarrow as pa
>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> labeller = BatchLabeller.build(load(bundled_ontology_path()), "disease_label", levels=(1,))
>>> batch = pa.record_batch({"disease_label": ["psoriasis", "acne vulgaris", "psoriasis"]})
>>> labeller(batch).column("level_1").to_pylist()
['inflammatory', 'inflammatory', 'inflammatory']
>>> labeller.output_schema(batch.schema).names
['disease_label', 'onto_ids', 'level_1', 'level_1_idx', 'hierarchical_disease_label']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from derm_onto.captions import ADDED_COLUMNS as CAPTION_COLUMNS
from derm_onto.errors import DermOntoError

if TYPE_CHECKING:
    from derm_onto.captions import CaptionPlan
    from derm_onto.labels import LabelPlan, UnknownPolicy
    from derm_onto.model import Ontology

RecordBatch = Any  # pyarrow.RecordBatch; pyarrow ships no type hints
Schema = Any  # pyarrow.Schema


def _strings(batch: RecordBatch, name: str) -> Any:
    """A column as non-null strings (a null cell counts as an empty one, as in a CSV)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from derm_onto.arrays import string, strings

    if name not in batch.schema.names:
        return strings([""] * batch.num_rows)
    column = batch.column(name)
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    return pc.fill_null(column, string("")) if column.null_count else column


class _BatchFunction:
    """Calling on a record batch gives a record batch, on a table a table (Ray Data's
    ``map_batches(f, batch_format="pyarrow")`` hands over tables); ``map`` is the function
    ``DataFrame.mapInArrow`` takes."""

    def output_schema(self, schema: Schema) -> Schema:
        raise NotImplementedError

    def _batch(self, batch: RecordBatch) -> RecordBatch:
        raise NotImplementedError

    def __call__(self, batch: Any) -> Any:
        """The batch (or table) with the added columns, rows in input order."""
        import pyarrow as pa

        if isinstance(batch, pa.Table):
            schema = self.output_schema(batch.schema)
            done = [self._batch(b) for b in batch.combine_chunks().to_batches()]
            return pa.Table.from_batches(done, schema=schema)
        return self._batch(batch)

    def map(self, batches: Iterable[RecordBatch]) -> Iterator[RecordBatch]:
        """Process a stream of batches: the function ``DataFrame.mapInArrow`` takes."""
        for batch in batches:
            yield self._batch(batch)


class BatchLabeller(_BatchFunction):
    """The per-batch work of ``derm-onto labels``: call it on a record batch.

    ``unknown`` is the labels command's policy: ``keep`` (rows with unknown labels get empty
    columns), ``drop`` (they are left out) or ``error`` (a batch holding one raises
    :class:`~derm_onto.errors.DermOntoError`).
    """

    def __init__(
        self,
        plan: LabelPlan,
        column: str,
        *,
        prefix: str = "",
        unknown: UnknownPolicy = "keep",
    ) -> None:
        from derm_onto.labels import output_names

        self.plan = plan
        self.column = column
        self.unknown = unknown
        self.prefix = prefix
        self.added = output_names(plan.levels, prefix)

    @classmethod
    def build(
        cls,
        ontology: Ontology,
        column: str,
        *,
        levels: Sequence[int] = (1, 2, 3, 4),
        prefix: str = "",
        unknown: UnknownPolicy = "keep",
    ) -> BatchLabeller:
        """A labeller for ``column`` with a new :class:`~derm_onto.labels.LabelPlan`."""
        from derm_onto.labels import LabelPlan

        return cls(LabelPlan(ontology, levels), column, prefix=prefix, unknown=unknown)

    def output_schema(self, schema: Schema) -> Schema:
        """The schema of the output batches for input batches of ``schema``: the input's
        columns (those named like an added column are replaced), then the added ones."""
        import pyarrow as pa

        if self.column not in schema.names:
            raise DermOntoError(f"no column {self.column!r} (columns: {', '.join(schema.names)})")
        kept = [f for f in schema if f.name not in self.added]
        added = [pa.field(n, pa.int32() if n.endswith("_idx") else pa.string()) for n in self.added]
        return pa.schema([*kept, *added])

    def _batch(self, batch: RecordBatch) -> RecordBatch:
        """The labels command's own batch worker, on this batch's schema."""
        from derm_onto.labels import LabelBatcher, LabelOptions

        self.output_schema(batch.schema)  # a missing column is an error naming it
        index = batch.schema.names.index(self.column)
        batch = batch.set_column(index, self.column, _strings(batch, self.column))
        options = LabelOptions(
            column=self.column, levels=self.plan.levels, unknown=self.unknown, prefix=self.prefix
        )
        return LabelBatcher(self.plan, options, batch.schema)(batch)[0]


class BatchCaptioner(_BatchFunction):
    """The per-batch work of ``derm-onto captions --style derm1m``: call it on a batch.

    Only the deterministic ``derm1m`` style is offered: the ``natural`` style draws its
    templates from one random stream over the whole table, which no partitioned engine can
    reproduce row for row. A missing concept, caption or metadata column gives empty
    captions of that kind, as in the command.
    """

    def __init__(
        self,
        plan: CaptionPlan,
        *,
        label_column: str = "disease_label",
        concept_column: str = "skin_concept",
        caption_column: str = "caption",
        drop_empty: bool = False,
    ) -> None:
        self.plan = plan
        self.label_column = label_column
        self.concept_column = concept_column
        self.caption_column = caption_column
        self.drop_empty = drop_empty

    @classmethod
    def build(cls, ontology: Ontology, **options: Any) -> BatchCaptioner:
        """A captioner with a new :class:`~derm_onto.captions.CaptionPlan`."""
        from derm_onto.captions import CaptionPlan

        return cls(CaptionPlan(ontology), **options)

    def output_schema(self, schema: Schema) -> Schema:
        """The input's columns, then the caption columns (all strings)."""
        import pyarrow as pa

        if self.label_column not in schema.names:
            names = ", ".join(schema.names)
            raise DermOntoError(f"no column {self.label_column!r} (columns: {names})")
        clash = [c for c in CAPTION_COLUMNS if c in schema.names]
        if clash:
            raise DermOntoError(f"the table already has a column {clash[0]!r}; drop it first")
        return pa.schema([*schema, *(pa.field(c, pa.string()) for c in CAPTION_COLUMNS)])

    def _batch(self, batch: RecordBatch) -> RecordBatch:
        """The captions command's own batch worker (derm1m style), on this batch's schema."""
        import pyarrow.compute as pc

        from derm_onto.captions import CaptionBatcher, CaptionOptions

        self.output_schema(batch.schema)  # a missing label column or a clash is an error
        options = CaptionOptions(self.label_column, self.concept_column, self.caption_column)
        out = CaptionBatcher(self.plan, options, batch.schema)(batch)
        if self.drop_empty:
            out = out.filter(pc.invert(pc.equal(out.column("ontology_caption"), "")))
        return out
