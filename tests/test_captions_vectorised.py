"""The caption batcher against its frozen previous version (tests/captions_reference.py) on
random tables: the same columns, batch for batch, in both styles."""

from __future__ import annotations

import functools

import pyarrow as pa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from derm_onto.captions import CaptionBatcher, CaptionOptions, CaptionPlan
from derm_onto.jsonio import load
from derm_onto.resources import bundled_ontology_path

from .captions_reference import CaptionBatcher as ReferenceBatcher


@functools.cache
def plan() -> CaptionPlan:
    return CaptionPlan(load(bundled_ontology_path()))


@functools.cache
def vocabulary() -> tuple[list[str], list[str], list[str]]:
    onto = load(bundled_ontology_path())
    conditions = sorted({n for c in onto.conditions for n in c.names})[:200]
    concepts = sorted({n for c in onto.concepts for n in c.names})
    findings = sorted({n for c in onto.findings for n in c.names})
    return conditions, concepts, findings


@st.composite
def tables(draw: st.DrawFn) -> pa.Table:
    conditions, concepts, findings = vocabulary()
    n = draw(st.integers(1, 30))
    sentinel = st.sampled_from(["", "no definitive diagnosis", "No visual concepts", "unknown"])
    label = st.one_of(
        st.sampled_from(conditions),
        st.builds(
            lambda a, b: f"{a}, {b}", st.sampled_from(conditions), st.sampled_from(conditions)
        ),
        sentinel,
        st.text(alphabet="abc ,", max_size=6),
    )
    concept = st.lists(st.one_of(st.sampled_from(concepts), sentinel), max_size=4).map(", ".join)
    finding = st.lists(st.one_of(st.sampled_from(findings), sentinel), max_size=3).map(", ".join)
    sentence = st.text(alphabet="ab .\n\t", max_size=12)
    caption = st.lists(sentence, max_size=11).map(". ".join)
    age = st.sampled_from(["", "34", "8.0", "no age information", "adult"])
    gender = st.sampled_from(["", "male", "F", "no gender information", "other"])
    columns = {
        "disease_label": st.lists(label, min_size=n, max_size=n),
        "skin_concept": st.lists(concept, min_size=n, max_size=n),
        "caption": st.lists(caption, min_size=n, max_size=n),
        "age": st.lists(age, min_size=n, max_size=n),
        "gender": st.lists(gender, min_size=n, max_size=n),
        "body_location": st.lists(finding, min_size=n, max_size=n),
        "symptoms": st.lists(finding, min_size=n, max_size=n),
    }
    data = {k: draw(v) for k, v in columns.items()}
    dropped = draw(st.sets(st.sampled_from(sorted(data)[1:]), max_size=3))
    return pa.table({k: v for k, v in data.items() if k not in dropped})


@settings(max_examples=40, deadline=None)
@given(tables(), st.sampled_from(["derm1m", "natural"]), st.integers(0, 3), st.integers(1, 9))
def test_batches_equal_the_previous_batcher(table, style, seed, batch_size) -> None:
    options = CaptionOptions(style=style, seed=seed)
    current = CaptionBatcher(plan(), options, table.schema)
    previous = ReferenceBatcher(plan(), options, table.schema)
    for batch in table.to_batches(max_chunksize=batch_size):
        assert current(batch).equals(previous(batch))


def test_a_null_cell_captions_as_an_empty_one() -> None:
    table = pa.table({"disease_label": pa.array(["psoriasis", None]), "caption": ["A. B", None]})
    batcher = CaptionBatcher(plan(), CaptionOptions(), table.schema)
    out = batcher(table.to_batches()[0])
    assert out.column("ontology_caption").to_pylist()[1] == ""
    assert out.column("sub_captions").to_pylist() == ["2", "0"]


@settings(max_examples=15, deadline=None)
@given(tables(), st.sampled_from(["derm1m", "natural"]), st.booleans())
def test_written_files_hold_the_batcher_rows(tmp_path_factory, table, style, drop_empty) -> None:
    """``caption_table`` writes dictionary-encoded batches (``encode``): the CSV and
    Parquet files read back as the plain batcher's rows, every column a string."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from derm_onto.captions import caption_table
    from derm_onto.tables import read_batches

    assume("disease_label" in table.column_names)
    folder = tmp_path_factory.mktemp("c")
    table = table.append_column("n", pa.array([str(i) for i in range(table.num_rows)]))
    pq.write_table(table, folder / "in.parquet")
    options = CaptionOptions(style=style, drop_empty=drop_empty)
    expected = CaptionBatcher(plan(), options, table.schema)(table.to_batches()[0])
    if drop_empty:
        expected = expected.filter(pc.not_equal(expected.column("ontology_caption"), ""))
    for name in ("out.parquet", "out.csv"):
        caption_table(plan().ontology, folder / "in.parquet", folder / name, options)
        back = [row for batch in read_batches(folder / name) for row in batch.to_pylist()]
        assert back == expected.to_pylist()
    assert pq.read_table(folder / "out.parquet").schema == expected.schema
