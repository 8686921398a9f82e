"""The vectorised label columns (LabelBatcher over per-id tables) against the per-row path
(LabelPlan.resolve), on random cells of the bundled ontology's names; and the Arrow helpers
that build arrays without pandas."""

from __future__ import annotations

import dataclasses
import functools
import subprocess
import sys
from collections import Counter
from unittest.mock import patch

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto import arrays, labels
from derm_onto.errors import DermOntoError
from derm_onto.jsonio import load
from derm_onto.labels import LabelBatcher, LabelOptions, LabelPlan, output_names
from derm_onto.resources import bundled_ontology_path

LEVELS = (1, 2, 3, 4)


@functools.cache
def bundled():  # type: ignore[no-untyped-def]
    return load(bundled_ontology_path())


@functools.cache
def names() -> list[str]:
    return sorted({n for c in bundled().conditions for n in c.names})


def _name(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(["no definitive diagnosis", "", "  ", "unlisted thing"]))
    if kind == 1:
        return draw(st.text(alphabet="abcé ,;|()'-", max_size=12))
    name = draw(st.sampled_from(names()))
    if kind == 2:
        name = name.upper()
    if kind == 3:
        name = draw(st.sampled_from([" ", "\t", "  ", "\x1f", ""])) + name + " "
    if kind == 4:
        name = name.replace(" ", draw(st.sampled_from(["  ", "\n", " "])), 1)
    return name


@st.composite
def cells(draw: st.DrawFn) -> str:
    parts = [_name(draw) for _ in range(draw(st.integers(1, 4)))]
    separators = [draw(st.sampled_from([", ", ",", "; ", " | ", ", ", " ,  "])) for _ in parts[1:]]
    out = parts[0]
    for sep, part in zip(separators, parts[1:], strict=True):
        out += sep + part
    return out


def per_row(plan: LabelPlan, cell: str) -> list[object]:
    """The added columns of one row, from the per-row path."""
    r = plan.resolve(cell)
    row: list[object] = ["|".join(r.ids)]
    for label, index in zip(r.level_labels, r.level_indices, strict=True):
        row += [label, index]
    return [*row, r.derm1m_path]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(cells(), min_size=1, max_size=40),
    st.integers(1, 7),
    st.booleans(),
    st.sampled_from([1, 3, 10_000]),
)
def test_batched_columns_equal_the_per_row_path(rows, batch_size, reuse, many) -> None:
    with patch.object(labels, "_MANY", many):  # new cells resolved at once, or one by one
        check_batched_columns(rows, batch_size, reuse)


def check_batched_columns(rows: list[str], batch_size: int, reuse: bool) -> None:
    plan = LabelPlan(bundled(), LEVELS)
    reference = LabelPlan(bundled(), LEVELS)
    options = LabelOptions(column="dx", levels=LEVELS)
    table = pa.table({"n": list(range(len(rows))), "dx": rows})
    batcher = LabelBatcher(plan, options, table.schema)
    if reuse:  # codes numbered by an earlier run: later batches find them cached
        batcher(table.to_batches()[0])
        batcher = LabelBatcher(plan, options, table.schema)
    out = [batcher(b)[0] for b in table.to_batches(max_chunksize=batch_size)]
    got = pa.Table.from_batches(out)
    added = output_names(LEVELS)
    columns = [got.column(n).to_pylist() for n in added]
    for i, cell in enumerate(rows):
        assert [c[i] for c in columns] == per_row(reference, cell), cell
    assert got.column("n").to_pylist() == list(range(len(rows)))
    statuses = Counter(reference.resolve(c).status for c in rows)
    report = batcher.report
    assert report.rows == report.rows_written == len(rows)
    assert (report.matched_rows, report.sentinel_rows) == (statuses["ok"], statuses["sentinel"])
    assert (report.empty_rows, report.unknown_rows) == (statuses["empty"], statuses["unknown"])
    unknown = Counter(p for c in rows for p in reference.resolve(c).unknown_parts)
    assert report.unknown == unknown


def test_drop_and_error_policies_follow_the_per_row_status() -> None:
    rows = ["psoriasis", "no such disease", "acne vulgaris, tinea", "no such disease", ""]
    table = pa.table({"dx": rows})
    plan = LabelPlan(bundled(), (1,))
    drop = LabelBatcher(plan, LabelOptions(column="dx", levels=(1,), unknown="drop"), table.schema)
    out, _, _ = drop(table.to_batches()[0])
    kept = [c for c in rows if plan.resolve(c).status != "unknown"]
    assert out.column("dx").to_pylist() == kept
    assert out.column("level_1").to_pylist() == [per_row(plan, c)[1] for c in kept]
    error = LabelBatcher(plan, LabelOptions(column="dx", levels=(1,), unknown="error"), ["dx"])
    with pytest.raises(DermOntoError, match=r"'no such disease' \(2 rows\)"):
        error(table.to_batches()[0])


def test_null_cells_count_as_empty() -> None:
    table = pa.table({"dx": pa.array(["psoriasis", None], pa.string())})
    plan = LabelPlan(bundled(), (1,))
    batcher = LabelBatcher(plan, LabelOptions(column="dx", levels=(1,)), table.schema)
    out, _, _ = batcher(table.to_batches()[0])
    assert out.column("onto_ids").to_pylist()[1] == ""
    assert batcher.report.empty_rows == 1


@given(st.lists(st.text(max_size=8), max_size=30))
def test_strings_round_trip(values) -> None:
    assert arrays.strings(values).to_pylist() == values


@given(
    st.lists(st.integers(-(2**31), 2**31 - 1), max_size=30),
    st.integers(0, 5),
    st.lists(st.booleans(), max_size=30),
)
def test_numbers_and_truth_values_round_trip(values, start, truths) -> None:
    array = arrays.ints(np.array(values, dtype=np.int32))
    assert array.to_pylist() == values
    assert arrays.to_numpy(array.slice(start)).tolist() == values[start:]
    flags = arrays.bools(truths)
    assert flags.to_pylist() == truths
    assert arrays.to_numpy(flags.slice(start)).tolist() == truths[start:]


def test_labelling_a_batch_does_not_import_pandas(tmp_path) -> None:
    code = (
        "import sys\n"
        "import pyarrow.csv as c\n"
        "from derm_onto.jsonio import load\n"
        "from derm_onto.resources import bundled_ontology_path\n"
        "from derm_onto.labels import LabelBatcher, LabelOptions, LabelPlan\n"
        "from derm_onto.captions import CaptionBatcher, CaptionOptions, CaptionPlan\n"
        f"batch = c.read_csv({str(tmp_path / 't.csv')!r}).to_batches()[0]\n"
        "onto = load(bundled_ontology_path())\n"
        "LabelBatcher(LabelPlan(onto), LabelOptions(column='dx'), batch.schema)(batch)\n"
        "CaptionBatcher(CaptionPlan(onto), CaptionOptions('dx'), batch.schema)(batch)\n"
        "print('pandas' in sys.modules)\n"
    )
    (tmp_path / "t.csv").write_text('dx,caption\npsoriasis,A rash. On the arm.\n"BCC, tinea",\n')
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_plan_paths_equal_the_hierarchy_modules(tiny) -> None:
    from derm_onto import hierarchy

    for onto in (bundled(), tiny):
        plan = LabelPlan(onto, LEVELS)
        graph = hierarchy.build_graph(onto)
        assert plan.paths == hierarchy.primary_paths(graph)
        for level in LEVELS:
            assert plan.classes[level] == hierarchy.level_classes(graph, level, plan.n_levels)
        assert plan.node_classes == sorted(graph)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_primary_paths_equal_the_hierarchy_modules_on_random_dags(data) -> None:
    from derm_onto import hierarchy
    from derm_onto.labels import primary_paths
    from derm_onto.model import Condition

    n = data.draw(st.integers(1, 12))
    ids = data.draw(st.permutations([f"X:{i:02d}" for i in range(n)]))
    conditions = []
    for k, term_id in enumerate(ids):  # parents among the earlier ids (a DAG), or unknown
        pool = [*ids[:k], "X:99"]
        parents = data.draw(st.lists(st.sampled_from(pool), max_size=3)) if k else []
        conditions.append(Condition(id=term_id, label=f"c{term_id}", parents=tuple(parents)))
    onto = dataclasses.replace(bundled(), conditions=tuple(conditions))
    assert primary_paths(conditions) == hierarchy.primary_paths(hierarchy.build_graph(onto))
