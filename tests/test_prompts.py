from __future__ import annotations

import json

import pytest

from derm_onto import hierarchy
from derm_onto.cli import main
from derm_onto.errors import DermOntoError, UnknownTermError
from derm_onto.jsonio import load
from derm_onto.prompts import (
    DATASETS,
    DERM1M_TEMPLATES,
    _names,
    class_prompts,
    concept_prompts,
    level_classes,
    load_templates,
)
from derm_onto.resources import bundled_ontology_path

from .conftest import shared_file


@pytest.fixture(scope="module")
def onto():
    return load(bundled_ontology_path())


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_dataset_class_resolves_in_evaluation_order(runner, dataset, tmp_path) -> None:
    out = tmp_path / "p.json"
    result = runner.invoke(main, ["prompts", "--dataset", dataset, "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert list(data) == list(DATASETS[dataset])
    for name, prompts in data.items():
        assert prompts[: len(DERM1M_TEMPLATES)] == [t.format(name) for t in DERM1M_TEMPLATES]


def test_fitzpatrick17k_list_is_the_datasets_labels() -> None:
    import csv

    with shared_file("fitzpatrick17k/fitzpatrick17k.csv").open(newline="") as handle:
        labels = {row["label"] for row in csv.DictReader(handle)}
    assert set(DATASETS["fitzpatrick17k"]) == labels and len(labels) == 114


def test_synonyms_ontology_paths_and_subclasses(onto) -> None:
    plain = class_prompts(onto, ["nevus"], templates=("{}",))
    assert plain["nevus"][0] == "nevus" and "melanocytic nevus" in plain["nevus"]
    aug = class_prompts(onto, ["melanoma"], templates=("{}",), ontology_aug=True)
    assert aug["melanoma"] == [
        "proliferations, malignant, malignant melanocytic neoplasm, melanoma"
    ]
    chils = class_prompts(
        onto, ["psoriasis"], templates=("{}",), subclasses=True, use_synonyms=False
    )
    assert chils["psoriasis"][0] == "psoriasis" and "guttate psoriasis" in chils["psoriasis"]


def test_level_classes_and_unresolved_names(onto) -> None:
    top = level_classes(onto, 1)
    assert len(top) == 7 and "inflammatory" in top
    with pytest.raises(DermOntoError, match="does not resolve"):
        class_prompts(onto, ["not a disease at all zzz"])


def test_concept_prompt_pairs(onto) -> None:
    pairs = concept_prompts(onto)
    assert len(pairs) == 130
    assert pairs["erythema"]["target"][0] == "This is a skin image of erythema"
    assert pairs["erythema"]["reference"][0] == "This is a skin image"
    assert any("redness" in t for t in pairs["erythema"]["target"])


def test_template_files(tmp_path, runner) -> None:
    good = tmp_path / "t.txt"
    good.write_text("# mine\na photo of {}\n")
    assert load_templates(str(good)) == ("a photo of {}",)
    bad = tmp_path / "bad.txt"
    bad.write_text("no placeholder\n")
    with pytest.raises(DermOntoError, match="exactly one"):
        load_templates(str(bad))
    classes = tmp_path / "c.txt"
    classes.write_text("melanoma\nBCC\n")
    out = tmp_path / "o.json"
    result = runner.invoke(
        main,
        [
            "prompts",
            "--classes",
            str(classes),
            "--templates",
            str(good),
            "-o",
            str(out),
            "--no-synonyms",
        ],
    )
    assert result.exit_code == 0
    assert json.loads(out.read_text()) == {
        "melanoma": ["a photo of melanoma"],
        "BCC": ["a photo of BCC"],
    }
    both = runner.invoke(main, ["prompts", "--dataset", "pad", "--level", "1", "-o", str(out)])
    assert both.exit_code == 2


# -- compound class names and unknown classes (issues #18 and #10.15) ----------------------
def test_issue18_compound_class_is_the_union_of_its_members(onto) -> None:
    name = "Seborrheic Keratoses and other Benign Tumors"
    plain = class_prompts(onto, [name], templates=("{}",), use_synonyms=False)
    assert plain[name] == [name, "seborrheic keratosis", "benign"]
    aug = class_prompts(onto, [name], templates=("{}",), ontology_aug=True)
    graph = hierarchy.build_graph(onto)
    paths = hierarchy.primary_paths(graph)
    members = [onto.find("seborrheic keratosis").id, onto.find("benign").id]
    assert aug[name] == [", ".join(onto.term(n).label for n in paths[m]) for m in members]
    chils = class_prompts(onto, ["Acne / Rosacea"], templates=("{}",), subclasses=True)
    expected = {"Acne / Rosacea"}
    for member in ("acne", "rosacea"):
        term = onto.find(member)
        expected |= set(_names(onto, term.id))
        expected |= {onto.term(c).label for c in hierarchy.descendants(graph, term.id)}
    assert set(chils["Acne / Rosacea"]) == expected


def test_issue10_15_unknown_classes_are_named_with_suggestions_by_label(onto) -> None:
    with pytest.raises(UnknownTermError) as caught:
        class_prompts(onto, ["melanoma", "psoriasis of the elbow", "qqqq zzzz"], source="c.txt")
    message = str(caught.value)
    assert message.startswith("c.txt: 2 classes do not resolve")
    assert "'psoriasis of the elbow' (did you mean: " in message
    suggested = message.split("of the elbow' (did you mean: ")[1].split("?)")[0]
    assert "'psoriasis'" in suggested.split(", ")
    assert "'qqqq zzzz'" in message and "--keep-unmatched" in message
    assert "DERMONTO:" not in message  # labels, not ids


def test_issue10_15_prompts_keep_unmatched(runner, tmp_path) -> None:
    classes = tmp_path / "c.txt"
    classes.write_text("melanoma\nqqqq zzzz\nAcne and Rosacea Photos\n")
    out = tmp_path / "p.json"
    base = ["prompts", "--classes", str(classes), "-o", str(out), "--templates", "derm1m"]
    refused = runner.invoke(main, base)
    assert refused.exit_code == 1 and not out.exists()
    assert "qqqq zzzz" in refused.output and str(classes) in refused.output
    kept = runner.invoke(main, [*base, "--keep-unmatched"])
    assert kept.exit_code == 0, kept.output
    data = json.loads(out.read_text())
    assert list(data) == ["melanoma", "qqqq zzzz", "Acne and Rosacea Photos"]
    assert data["qqqq zzzz"] == [t.format("qqqq zzzz") for t in DERM1M_TEMPLATES]
    assert DERM1M_TEMPLATES[0].format("rosacea") in data["Acne and Rosacea Photos"]


def test_dataset_class_lists_are_data_files_and_match_the_choice() -> None:
    from derm_onto.cli.train import prompts as command
    from derm_onto.resources import data_dir

    files = sorted(f.name for f in data_dir("datasets").iterdir() if f.name.endswith(".txt"))
    assert [f.removesuffix(".txt") for f in files] == list(DATASETS)
    option = next(p for p in command.params if p.name == "dataset")
    assert sorted(option.type.choices) == list(DATASETS)
    for name in DATASETS:
        assert DATASETS[name] and not any(c.startswith("#") for c in DATASETS[name])
