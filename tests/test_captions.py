from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from derm_onto.captions import CaptionOptions, CaptionPlan, caption_table, split_concepts
from derm_onto.cli import main
from derm_onto.errors import DermOntoError
from derm_onto.importers import import_derm1m
from derm_onto.jsonio import dump, load

from .conftest import shared_file

RELEASED = [
    "ontology_caption",
    "visual_concept_caption",
    "augmented_caption",
    "sub_captions",
    "sub_caption_mask",
    "knowledge_masks",
    *(f"subcaption_{i}" for i in range(1, 9)),
]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def released_tree(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tree") / "tree.json"
    dump(import_derm1m(shared_file("derm1m/ontology_tree.json")).ontology, path)
    return path


def test_derm1m_style_reproduces_the_released_training_columns(released_tree, tmp_path) -> None:
    example = shared_file("derm1m/make_training_example_10.csv")
    table = pa_csv.read_csv(example, parse_options=pa_csv.ParseOptions(newlines_in_values=True))
    source = tmp_path / "in.csv"
    pa_csv.write_csv(table.drop_columns(RELEASED), source)
    out = tmp_path / "out.csv"
    caption_table(
        load(released_tree),
        source,
        out,
        CaptionOptions(
            label_column="standardized_disease", concept_column="skin_concept_standarized"
        ),
    )
    ours, theirs = read(out), read(example)
    assert len(ours) == len(theirs) == 10
    for column in RELEASED:
        assert [r[column] for r in ours] == [r[column] for r in theirs], column


def test_derm1m_style_on_the_pretraining_sample(released_tree, tmp_path) -> None:
    out = tmp_path / "out.csv"
    caption_table(
        load(released_tree), shared_file("derm1m/pretrain_sample_100.csv"), out, CaptionOptions()
    )
    rows = read(out)
    departures = {"allergic contact dermatitis", "tinea", "ulcer", "no definitive diagnosis"}
    checked = 0
    for row in rows:
        concepts = split_concepts(row["skin_concept"])
        expected = f"This skin photo shows {', '.join(concepts)}." if concepts else ""
        assert row["visual_concept_caption"] == expected
        if row["disease_label"] in departures:
            continue
        assert row["ontology_caption"] == (
            f"This is a skin photo diagnosed as {row['hierarchical_disease_label']}."
        )
        checked += 1
    assert checked == 80
    assert all(r["knowledge_masks"].startswith("[1, ") for r in rows)


def test_metadata_caption_skips_sentinels_and_maps_findings(tmp_path) -> None:
    plan = CaptionPlan(load(Path(__file__).parent.parent / "ontology" / "derm1m.json"))
    assert (
        plan.metadata_caption(
            "No age information",
            "No gender information",
            "No body location information",
            "No symptom information",
        )
        == ""
    )
    text = plan.metadata_caption("45", "female", "face, oral", "tender, increasing size")
    assert text == (
        "The patient is a 45-year-old woman. The lesion is on the face and oral "
        "cavity. Reported symptoms: tenderness and growth of the lesion."
    )
    assert plan.metadata_caption("80", "male", "", "").startswith("The patient is an 80-year-old")


def test_natural_style_is_seeded(tmp_path) -> None:
    sample = shared_file("derm1m/pretrain_sample_100.csv")
    outputs = {}
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        out = tmp_path / f"{name}.csv"
        caption_table(
            load(Path(__file__).parent.parent / "ontology" / "derm1m.json"),
            sample,
            out,
            CaptionOptions(style="natural", seed=seed),
        )
        outputs[name] = out.read_bytes()
    assert outputs["a"] == outputs["b"]
    assert outputs["a"] != outputs["c"]
    rows = read(tmp_path / "a.csv")
    diagnosed = [
        r
        for r in rows
        if r["disease_label"] == "guttate psoriasis" or r["disease_label"] == "psoriasis"
    ]
    assert all(r["ontology_caption"] and "psoriasis" in r["ontology_caption"] for r in diagnosed)
    assert all(
        not r["ontology_caption"] for r in rows if r["disease_label"] == "no definitive diagnosis"
    )
    assert len({r["ontology_caption"] for r in rows if r["disease_label"] == "scabies"}) > 1


def test_parquet_output_for_open_clip(tmp_path, tiny) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table(
            {
                "filename": ["a.jpg", "b.jpg"],
                "caption": ["A lesion.", ""],
                "disease_label": ["melanoma", ""],
                "skin_concept": ["papule, papule", "No visual concepts"],
            }
        ),
        source,
    )
    out = tmp_path / "out.parquet"
    caption_table(tiny, source, out, CaptionOptions())
    table = pq.read_table(out).to_pylist()
    # Derm1M's path is built from released (provenance) names: neoplasm came from
    # 'proliferations', its melanocytic subgroup from 'melanocytic'
    assert table[0]["ontology_caption"] == (
        "This is a skin photo diagnosed as proliferations, malignant, melanocytic, melanoma."
    )
    assert table[0]["visual_concept_caption"] == "This skin photo shows papule."
    assert table[1]["ontology_caption"] == "" and table[1]["knowledge_masks"] == "[0, 0, 0]"
    assert table[1]["sub_captions"] == "0"


def test_errors(runner, tiny_path, tmp_path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("caption,dx\nx,melanoma\n")
    result = runner.invoke(
        main, ["captions", str(source), "--ontology", str(tiny_path), "-o", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1 and "no column 'disease_label'" in result.output
    with pytest.raises(DermOntoError, match="unknown table format"):
        caption_table(load(tiny_path), tmp_path / "in.txt", tmp_path / "o.csv", CaptionOptions())


def _open_clip_read(path: Path, sep: str, img_key: str, caption_key: str) -> tuple[list, list]:
    """What open_clip's CsvDataset does with a training table (training/data.py)."""
    import pandas as pd

    frame = pd.read_csv(path, sep=sep)
    return frame[img_key].tolist(), frame[caption_key].tolist()


def test_issue10_tsv_captions_load_in_open_clip_with_its_defaults(runner, tmp_path) -> None:
    sample = shared_file("derm1m/pretrain_sample_100.csv")
    out = tmp_path / "train.tsv"
    result = runner.invoke(main, ["captions", str(sample), "-o", str(out), "--drop-empty"])
    assert result.exit_code == 0, result.output
    # open_clip's defaults: --csv-separator '\t'; the README's keys
    images, texts = _open_clip_read(out, "\t", "filename", "ontology_caption")
    assert len(images) == len(texts) > 0
    assert all(isinstance(t, str) and t.startswith("This is a skin photo") for t in texts)
    # the same table as .csv needs --csv-separator ',' and gives the same rows
    as_csv = tmp_path / "train.csv"
    assert (
        runner.invoke(main, ["captions", str(sample), "-o", str(as_csv), "--drop-empty"]).exit_code
        == 0
    )
    assert _open_clip_read(as_csv, ",", "filename", "ontology_caption") == (images, texts)


def test_issue10_empty_captions_are_counted_and_can_be_dropped(runner, tmp_path) -> None:
    sample = shared_file("derm1m/pretrain_sample_100.csv")
    kept, dropped = tmp_path / "kept.csv", tmp_path / "dropped.csv"
    result = runner.invoke(main, ["captions", str(sample), "-o", str(kept)])
    assert result.exit_code == 0
    empty = sum(1 for r in read(kept) if r["ontology_caption"] == "")
    assert empty > 0
    assert f"{empty} rows with an empty ontology caption left empty" in result.output
    result = runner.invoke(main, ["captions", str(sample), "-o", str(dropped), "--drop-empty"])
    assert result.exit_code == 0
    assert f"{empty} rows with an empty ontology caption dropped" in result.output
    rows = read(dropped)
    assert len(rows) == len(read(kept)) - empty
    assert all(r["ontology_caption"] for r in rows)


def test_issue10_label_only_dataset_captions(runner, tmp_path) -> None:
    fitz = shared_file("fitzpatrick17k/fitzpatrick17k.csv")
    out = tmp_path / "fitz.tsv"
    result = runner.invoke(main, ["captions", str(fitz), "--label-column", "label", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "skin_concept" in result.output  # named as missing, not an error
    images, texts = _open_clip_read(out, "\t", "md5hash", "ontology_caption")
    assert len(images) > 16000
    assert sum(isinstance(t, str) for t in texts) / len(texts) > 0.9
    # an explicitly named concept column that is missing is still an error
    result = runner.invoke(
        main,
        [
            "captions",
            str(fitz),
            "--label-column",
            "label",
            "--concept-column",
            "nope",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 1 and "'nope'" in result.output


def test_issue10_captions_refuse_to_overwrite_input(runner, tmp_path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("disease_label\nmelanoma\n", encoding="utf-8")
    result = runner.invoke(main, ["captions", str(table), "-o", str(tmp_path / "." / "t.csv")])
    assert result.exit_code == 1 and "is the input" in result.output
    assert table.read_text(encoding="utf-8") == "disease_label\nmelanoma\n"
