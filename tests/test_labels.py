from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from derm_onto import hierarchy
from derm_onto.cli import main
from derm_onto.errors import DermOntoError
from derm_onto.importers import import_derm1m
from derm_onto.jsonio import dump
from derm_onto.labels import LabelOptions, LabelPlan, class_map_path, label_table

from . import ids
from .conftest import shared_file

# Rows where Derm1M's own hierarchical_disease_label departs from its released tree or from
# itself; every other row must be reproduced exactly.
DERM1M_DEPARTURES = {
    # The released tree puts 'Allergic contact dermatitis' directly under 'Eczema', a sibling
    # of 'Contact dermatitis'; Derm1M's captions nest it under contact dermatitis.
    (
        "allergic contact dermatitis",
        "inflammatory, non-infectious, eczema, contact dermatitis, allergic contact dermatitis",
    ),
    # 'Tinea' and 'Dermatophyte infections' are siblings under 'fungal' in the release; three
    # rows put tinea under dermatophyte infections (two rows follow the tree).
    ("tinea", "inflammatory, infectious, fungal, dermatophyte infections, tinea"),
    # One row splits the released name 'Ulcers, Erosion of skin' and puts the disease in the
    # middle; four rows keep the released order. Derm1M departs from itself.
    ("ulcer", "reaction patterns and descriptive terms, ulcers, ulcer, erosion of skin"),
    # The sentinel is written as '' in three rows and as 'no definitive diagnosis' in two;
    # derm-onto writes '' (no diagnosis, no path).
    ("no definitive diagnosis", "no definitive diagnosis"),
}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def released_tree(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("derm1m") / "faithful_tree.json"
    dump(import_derm1m(shared_file("derm1m/ontology_tree.json")).ontology, path)
    return path


def test_derm1m_hierarchical_label_is_reproduced(runner, released_tree, tmp_path) -> None:
    out = tmp_path / "labelled.csv"
    result = runner.invoke(
        main,
        [
            "labels",
            str(shared_file("derm1m/pretrain_sample_100.csv")),
            "--column",
            "disease_label",
            "--ontology",
            str(released_tree),
            "-o",
            str(out),
            "--prefix",
            "onto_",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert len(rows) == 100
    departures = set()
    reproduced = 0
    for row in rows:
        if row["onto_hierarchical_disease_label"] == row["hierarchical_disease_label"]:
            reproduced += 1
        else:
            departures.add((row["disease_label"], row["hierarchical_disease_label"]))
    assert departures == DERM1M_DEPARTURES
    assert reproduced == 89
    # every input column is kept unchanged, captions with line breaks included
    original = read_csv(shared_file("derm1m/pretrain_sample_100.csv"))
    assert [{k: r[k] for k in original[0]} for r in rows] == original


def test_levels_indices_and_class_maps(tiny_path, tiny, tmp_path) -> None:
    source = write_csv(
        tmp_path / "in.csv",
        [
            {"image": "a.jpg", "dx": "melanoma"},
            {"image": "b.jpg", "dx": "BCC"},
            {"image": "c.jpg", "dx": "Guttate psoriasis"},
            {"image": "d.jpg", "dx": "melanoma, BCC"},
            {"image": "e.jpg", "dx": "no definitive diagnosis"},
            {"image": "f.jpg", "dx": ""},
        ],
    )
    out = tmp_path / "out.csv"
    report = label_table(tiny, source, out, LabelOptions(column="dx", levels=(1, 2, 4)))
    rows = read_csv(out)
    maps = json.loads(class_map_path(out).read_text())
    level2 = {c["id"]: c["index"] for c in maps["levels"]["2"]["classes"]}
    assert [r["onto_ids"] for r in rows] == [
        ids.MELANOMA,
        ids.BCC,
        ids.GUTTATE_PSORIASIS,
        f"{ids.MELANOMA}|{ids.BCC}",
        "",
        "",
    ]
    assert [r["level_1"] for r in rows] == [
        "neoplasm",
        "neoplasm",
        "skin disease",
        "neoplasm",
        "",
        "",
    ]
    assert rows[0]["level_2"] == "malignant" and rows[0]["level_2_idx"] == str(
        level2[ids.MALIGNANT]
    )
    assert rows[3]["level_2"] == "malignant" and rows[3]["level_2_idx"] == rows[0]["level_2_idx"]
    assert rows[3]["level_4"] == "melanoma|basal cell carcinoma" and rows[3]["level_4_idx"] == "-1"
    assert rows[4]["level_4_idx"] == "-1" and rows[4]["hierarchical_disease_label"] == ""
    # the deepest label's ancestors (melanoma's), then each label as written
    assert rows[3]["hierarchical_disease_label"] == (
        "proliferations, malignant, melanocytic, melanoma, BCC"
    )
    assert report.sentinel_rows == 1 and report.empty_rows == 1 and report.matched_rows == 4
    graph = hierarchy.build_graph(tiny)
    assert [c["id"] for c in maps["levels"]["1"]["classes"]] == sorted(hierarchy.roots(graph))
    assert maps["levels"]["1"]["name"] == "category"


def test_unknown_policies(tiny, tmp_path) -> None:
    rows = [{"dx": "melanoma"}, {"dx": "xyzzy"}, {"dx": "xyzzy"}, {"dx": "plugh"}]
    source = write_csv(tmp_path / "in.csv", rows)
    keep = label_table(tiny, source, tmp_path / "keep.csv", LabelOptions(column="dx"))
    assert keep.rows_written == 4 and keep.unknown.most_common() == [("xyzzy", 2), ("plugh", 1)]
    drop = label_table(
        tiny, source, tmp_path / "drop.csv", LabelOptions(column="dx", unknown="drop")
    )
    assert drop.rows_written == 1 and read_csv(tmp_path / "drop.csv")[0]["dx"] == "melanoma"
    with pytest.raises(DermOntoError, match=r"'xyzzy' \(2 rows\)"):
        label_table(tiny, source, tmp_path / "err.csv", LabelOptions(column="dx", unknown="error"))
    assert not (tmp_path / "err.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_parquet_in_and_out_with_multi_hot_and_distances(tiny, tmp_path) -> None:
    import pyarrow as pa

    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"dx": ["melanoma", "mole", "melanoma"], "n": ["1", "2", "3"]}), source)
    out = tmp_path / "out.parquet"
    label_table(
        tiny,
        source,
        out,
        LabelOptions(
            column="dx",
            levels=(1, 2, 3, 4),
            multi_hot=tmp_path / "mh.npy",
            distance_matrix=tmp_path / "dm.npy",
            distance_level=2,
        ),
    )
    table = pq.read_table(out)
    assert table.column("onto_ids").to_pylist() == [ids.MELANOMA, ids.NEVUS, ids.MELANOMA]
    assert table.schema.field("level_2_idx").type == pa.int32()
    maps = json.loads(class_map_path(out).read_text())
    columns = [c["id"] for c in maps["multi_hot"]]
    multi_hot = np.load(tmp_path / "mh.npy")
    assert multi_hot.shape == (3, len(tiny.conditions))
    assert {columns[i] for i in np.flatnonzero(multi_hot[0])} == {
        ids.MELANOMA,
        ids.MELANOCYTIC_MALIGNANT,
        ids.MALIGNANT,
        ids.NEOPLASM,
    }
    level2 = [c["id"] for c in maps["levels"]["2"]["classes"]]
    distances = np.load(tmp_path / "dm.npy")
    graph = hierarchy.build_graph(tiny)
    assert distances.shape == (len(level2), len(level2))
    assert distances[0, 1] == hierarchy.distance(graph, level2[0], level2[1])
    assert (distances == distances.T).all() and (np.diag(distances) == 0).all()


def test_same_input_gives_byte_identical_output(tiny, tmp_path) -> None:
    source = write_csv(tmp_path / "in.csv", [{"dx": "melanoma"}, {"dx": "BCC, mole"}])
    for name in ("a.csv", "b.csv"):
        label_table(tiny, source, tmp_path / name, LabelOptions(column="dx"))
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_bad_inputs_are_one_line_errors(runner, tiny_path, tmp_path) -> None:
    source = write_csv(tmp_path / "in.csv", [{"dx": "melanoma"}])
    cases = [
        (["--column", "nope"], "no column 'nope'"),
        (["--column", "dx", "--levels", "0,9"], "outside"),
    ]
    for extra, fragment in cases:
        result = runner.invoke(
            main,
            [
                "labels",
                str(source),
                "-o",
                str(tmp_path / "o.csv"),
                "--ontology",
                str(tiny_path),
                *extra,
            ],
        )
        assert result.exit_code == 1 and fragment in result.output, result.output
        assert "Traceback" not in result.output
    broken = tmp_path / "broken.csv"
    broken.write_text('dx,other\nmelanoma,1\n"unterminated,2\n')
    result = runner.invoke(
        main,
        [
            "labels",
            str(broken),
            "--column",
            "dx",
            "-o",
            str(tmp_path / "o.csv"),
            "--ontology",
            str(tiny_path),
        ],
    )
    assert result.exit_code == 1 and "broken.csv" in result.output
    assert not (tmp_path / "o.csv").exists()
    clash = write_csv(tmp_path / "c.csv", [{"dx": "melanoma", "onto_ids": "x"}])
    result = runner.invoke(
        main,
        [
            "labels",
            str(clash),
            "--column",
            "dx",
            "-o",
            str(tmp_path / "o.csv"),
            "--ontology",
            str(tiny_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "replaced existing columns: onto_ids" in result.output
    rows = read_csv(tmp_path / "o.csv")
    assert [r["onto_ids"] for r in rows] == [ids.MELANOMA]
    assert list(rows[0]).count("onto_ids") == 1


def _labels(runner, tiny_path, *args: str):
    return runner.invoke(main, ["labels", *args, "--ontology", str(tiny_path)])


def test_issue10_output_equal_to_input_is_refused(runner, tiny_path, tmp_path) -> None:
    table = write_csv(tmp_path / "t.csv", [{"dx": "melanoma"}])
    before = table.read_bytes()
    (tmp_path / "dir").mkdir()
    for spelling in (str(table), str(tmp_path / "dir" / ".." / "t.csv")):
        result = _labels(runner, tiny_path, str(table), "--column", "dx", "-o", spelling)
        assert result.exit_code == 1
        assert "is the input" in result.output and "Traceback" not in result.output
        assert table.read_bytes() == before
    # a sidecar that would land on the input is refused too
    clash = tmp_path / "m.classes.json"
    clash.write_text("{}")
    result = _labels(runner, tiny_path, str(clash), "--column", "dx", "-o", str(tmp_path / "m.csv"))
    assert result.exit_code == 1 and clash.read_text() == "{}"


def test_issue10_relabelling_derm1m_table_replaces_columns(runner, tmp_path) -> None:
    sample = shared_file("derm1m/pretrain_sample_100.csv")
    out = tmp_path / "relabelled.csv"
    result = runner.invoke(
        main, ["labels", str(sample), "--column", "disease_label", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "replaced existing columns: hierarchical_disease_label" in result.output
    header = read_csv(out)[0].keys()
    assert list(header).count("hierarchical_disease_label") == 1
    again = tmp_path / "again.csv"
    result = runner.invoke(
        main,
        ["labels", str(out), "--column", "disease_label", "--prefix", "onto_", "-o", str(again)],
    )
    assert result.exit_code == 0, result.output
    names = list(read_csv(again)[0].keys())
    assert "onto_ids" in names and "onto_onto_ids" not in names
    assert "onto_level_1" in names


def test_issue10_duplicate_column_names_are_one_line(runner, tiny_path, tmp_path) -> None:
    table = tmp_path / "dup.csv"
    table.write_text("disease_label,disease_label\nmelanoma,nevus\n", encoding="utf-8")
    result = _labels(
        runner, tiny_path, str(table), "--column", "disease_label", "-o", str(tmp_path / "o.csv")
    )
    assert result.exit_code == 1
    assert "dup.csv" in result.output and "'disease_label' appears twice" in result.output
    assert "Traceback" not in result.output


def test_issue10_failed_run_leaves_no_sidecar(runner, tiny_path, tmp_path) -> None:
    table = write_csv(tmp_path / "t.csv", [{"dx": "melanoma"}, {"dx": "no such disease"}])
    out = tmp_path / "o.csv"
    result = _labels(
        runner, tiny_path, str(table), "--column", "dx", "-o", str(out), "--unknown", "error"
    )
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_plan_resolves_each_distinct_label_once(tiny) -> None:
    plan = LabelPlan(tiny)
    first = plan.resolve("melanoma")
    assert plan.resolve("melanoma") is first
    assert first.level_indices[0] == plan.class_index[1][ids.NEOPLASM]


def test_issue10_label_arrow_equals_the_file_path(tiny, tmp_path) -> None:
    import pandas as pd
    import pyarrow as pa

    from derm_onto.labels import label_arrow

    frame = pd.DataFrame(
        {"n": [1, 2, 3, 4], "dx": ["melanoma", "psoriasis", "BCC", "no such disease"]}
    )
    table = label_arrow(tiny, pa.Table.from_pandas(frame, preserve_index=False), "dx", (1, 2))
    assert table.column("n").type == pa.int64()  # other columns keep their types
    source = write_csv(
        tmp_path / "in.csv",
        [{"n": str(n), "dx": d} for n, d in zip(frame.n, frame.dx, strict=True)],
    )
    label_table(tiny, source, tmp_path / "out.csv", LabelOptions(column="dx", levels=(1, 2)))
    on_disk = read_csv(tmp_path / "out.csv")
    for name in ("onto_ids", "level_1", "level_2", "level_2_idx"):
        assert [str(v) for v in table.column(name).to_pylist()] == [r[name] for r in on_disk]
