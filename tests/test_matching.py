from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.cli import main
from derm_onto.errors import UnknownTermError
from derm_onto.matching import Matcher, fold, normalise, resolve_term
from derm_onto.model import Condition, Synonym, SynonymType

from . import ids


@pytest.fixture(scope="module")
def matcher(tiny):
    return Matcher(tiny)


@pytest.mark.parametrize(
    ("text", "expected", "method"),
    [
        ("melanoma", ids.MELANOMA, "exact"),
        ("MELANOMA", ids.MELANOMA, "exact"),
        ("malignant melanoma", ids.MELANOMA, "synonym"),
        ("BCC", ids.BCC, "synonym"),
        ("Basal-cell carcinomas", ids.BCC, "normalised"),
        ("melanomas", ids.MELANOMA, "normalised"),
        ("naevus", ids.NEVUS, "normalised"),
        ("Melanocytic naevi", ids.NEVUS, "normalised"),
        ("melanoma (in situ)", ids.MELANOMA, "normalised"),
        ("carcinoma, basal cell", ids.BCC, "word_order"),
        ("psoriasis guttate", ids.GUTTATE_PSORIASIS, "word_order"),
        ("melanomma", ids.MELANOMA, "fuzzy"),
    ],
)
def test_match_levels(matcher, text, expected, method) -> None:
    found = matcher.match(text)
    assert (found.id, found.method) == (expected, method)
    assert 0 < found.score <= 1


def test_sentinel_empty_and_unknown(matcher) -> None:
    assert matcher.match("No definitive diagnosis").method == "sentinel"
    assert matcher.match("  ").method == "empty"
    unknown = matcher.match("melanocytic thing of the elbow")
    assert unknown.method == "unmatched" and unknown.id == ""


def test_ambiguity_is_reported_not_resolved(tiny) -> None:
    twin = dataclasses.replace(
        tiny.condition(ids.BCC), id="TINY:0000099", label="rodent ulcer", synonyms=(Synonym("BCC"),)
    )
    onto = dataclasses.replace(tiny, conditions=(*tiny.conditions, twin))
    found = Matcher(onto).match("bcc")
    assert found.method == "ambiguous" and found.id == ""
    assert found.candidates == (ids.BCC, "TINY:0000099")


def test_labels_outrank_related_synonyms(tiny) -> None:
    related = dataclasses.replace(
        tiny.condition(ids.NEVUS),
        synonyms=(*tiny.condition(ids.NEVUS).synonyms, Synonym("melanoma", SynonymType.RELATED)),
    )
    onto = dataclasses.replace(
        tiny, conditions=tuple(related if c.id == ids.NEVUS else c for c in tiny.conditions)
    )
    assert Matcher(onto).match("melanoma").id == ids.MELANOMA


def test_multi_label_cells(matcher) -> None:
    assert [m.id for m in matcher.match_cell("melanoma, psoriasis")] == [
        ids.MELANOMA,
        ids.PSORIASIS,
    ]
    assert [m.id for m in matcher.match_cell("melanoma; BCC | nevus")] == [
        ids.MELANOMA,
        ids.BCC,
        ids.NEVUS,
    ]
    unknown = matcher.match_cell("melanoma, zzzz")
    assert [m.method for m in unknown] == ["exact", "unmatched"]


def test_a_name_with_a_comma_is_matched_whole_first(tiny) -> None:
    ulcers = Condition(
        id="TINY:0000050",
        label="ulcers",
        parents=(ids.SKIN_DISEASE,),
        synonyms=(Synonym("Ulcers, Erosion of skin"),),
    )
    erosion = Condition(id="TINY:0000051", label="erosion of skin", parents=(ids.SKIN_DISEASE,))
    onto = dataclasses.replace(tiny, conditions=(*tiny.conditions, ulcers, erosion))
    m = Matcher(onto)
    assert [x.id for x in m.match_cell("Ulcers, Erosion of skin")] == ["TINY:0000050"]
    assert [x.id for x in m.match_cell("melanoma, Ulcers, Erosion of skin, BCC")] == [
        ids.MELANOMA,
        "TINY:0000050",
        ids.BCC,
    ]


def test_resolve_term(tiny) -> None:
    assert resolve_term(tiny, ids.BCC) == ids.BCC
    assert resolve_term(tiny, "mole") == ids.NEVUS
    with pytest.raises(UnknownTermError, match="did you mean"):
        resolve_term(tiny, "melanoma of the elbow skin")


def test_normalisation_examples() -> None:
    assert normalise("Kaposi\u2019s sarcoma") == normalise("kaposi sarcoma")
    assert normalise("Oedema") == normalise("edema")
    assert normalise("tumours") == normalise("tumor")
    assert normalise("keratoses") == normalise("keratosis")
    assert normalise("generalised") == normalise("generalized")
    assert fold("Café") == "cafe"


def test_match_command_formats(runner, tiny_path) -> None:
    result = runner.invoke(
        main, ["match", "BCC", "xyzzy", "--ontology", str(tiny_path), "--format", "json"]
    )
    rows = json.loads(result.output)
    assert rows[0]["id"] == ids.BCC and rows[0]["method"] == "synonym"
    assert rows[1]["id"] == "" and rows[1]["method"] == "unmatched"
    csv_out = runner.invoke(
        main, ["match", "mole", "--ontology", str(tiny_path), "--format", "csv"]
    ).output.splitlines()
    assert csv_out[0] == "cell,input,id,label,method,score,suggestions"
    assert csv_out[1].startswith("mole,mole,TINY:0000010,melanocytic nevus,synonym")
    assert runner.invoke(main, ["match", "--ontology", str(tiny_path)]).exit_code == 2


# -- properties ---------------------------------------------------------------------------
def variants(name: str) -> st.SearchStrategy[str]:
    """Spellings of a name the matcher must fold back: case, spaces, hyphens, plural."""
    return st.tuples(
        st.sampled_from([str.lower, str.upper, str.title]),
        st.sampled_from(["", " ", "  "]),
        st.booleans(),
        st.booleans(),
    ).map(
        lambda t: (
            t[1]
            + t[0](name.replace(" ", "-" if t[2] else "  "))
            + ("s" if t[3] and not name.endswith("s") else "")
            + t[1]
        )
    )


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_label_variant_matches_its_entry(tiny, data) -> None:
    matcher = Matcher(tiny)
    term = data.draw(st.sampled_from(tiny.conditions))
    text = data.draw(variants(term.label))
    found = matcher.match(text)
    assert found.id == term.id, (text, found)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_matcher_is_total_and_deterministic(tiny, text) -> None:
    first = Matcher(tiny).match_cell(text)
    second = Matcher(tiny).match_cell(text)
    assert first == second
    for m in first:
        assert (m.id == "") == (m.method in ("ambiguous", "sentinel", "empty", "unmatched"))
        if m.id:
            assert m.label == tiny.term(m.id).label


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["melanoma", "BCC", "mole", "psoriasis", "itchy zzz"]),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([", ", "; ", " | "]),
)
def test_multi_label_cells_keep_input_order(tiny, parts, separator) -> None:
    found = Matcher(tiny).match_cell(separator.join(parts))
    assert [m.input for m in found] == parts
