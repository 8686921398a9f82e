from __future__ import annotations

import dataclasses
import functools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.cli import main
from derm_onto.compound import is_generic, split_compound
from derm_onto.errors import UnknownTermError
from derm_onto.jsonio import load
from derm_onto.matching import (
    KINDS,
    Match,
    Matcher,
    fold,
    match_all_kinds,
    normalise,
    resolve_class,
    resolve_term,
)
from derm_onto.model import Condition, Synonym, SynonymType
from derm_onto.resources import bundled_ontology_path

from . import ids
from . import matching_reference as reference

BUNDLED = load(bundled_ontology_path())


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
    assert csv_out[0] == "cell,input,id,label,method,score,suggestions,ids,note"
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


# -- the fast path against the previous matcher (tests/matching_reference.py) --------------
# The previous matcher knew no obsolete terms (the new one resolves their names to the
# replacement, tested on its own): the two are compared on the live terms.
LIVE = dataclasses.replace(
    BUNDLED, conditions=tuple(c for c in BUNDLED.conditions if not c.obsolete)
)
NAMES = sorted({n for c in LIVE.conditions for n in (*c.names, *c.provenance)})


def _typo(name: str, at: int, char: str) -> str:
    at %= max(len(name), 1)
    return name[:at] + char + name[at + 1 :]


_piece = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(str.upper),
    st.sampled_from(NAMES).map(lambda n: n + "s"),
    st.sampled_from(NAMES).map(lambda n: n.replace(" ", "-")),
    st.builds(_typo, st.sampled_from(NAMES), st.integers(0, 40), st.sampled_from("aeiox'(-é ,")),
    st.sampled_from(["no definitive diagnosis", "", "  ", "zzz", "carcinoma", "(in situ)"]),
    st.text(alphabet="abcdeis ,'()-é", max_size=12),
)
_separator = st.sampled_from([", ", ",", " , ", "; ", " | ", " and "])


@st.composite
def cells(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_piece, min_size=1, max_size=4))
    text = parts[0]
    for part in parts[1:]:
        text += draw(_separator) + part
    return text


def _plain(found: list) -> list[tuple]:
    return [(m.input, m.id, m.label, m.method, m.score, m.candidates) for m in found]


@pytest.fixture(scope="module")
def both() -> tuple[Matcher, reference.Matcher]:
    return Matcher(LIVE), reference.Matcher(LIVE)


@settings(max_examples=150, deadline=None)
@given(cells())
def test_fast_path_equals_previous_matcher(both, cell) -> None:
    fast, slow = both
    assert _plain(fast.match_cell(cell)) == _plain(slow.match_cell(cell))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(NAMES), min_size=2, max_size=2))
def test_fast_path_equals_previous_matcher_on_random_pairs(both, pair) -> None:
    fast, slow = both
    cell = ", ".join(pair)
    assert _plain(fast.match_cell(cell)) == _plain(slow.match_cell(cell))
    # a fresh matcher (empty caches) agrees with a warm one
    assert _plain(Matcher(BUNDLED).match_cell(cell)) == _plain(fast.match_cell(cell))


@settings(max_examples=60, deadline=None)
@given(st.one_of(_piece, st.text(max_size=30)))
def test_close_names_are_difflibs(both, text) -> None:
    import difflib

    fast, _ = both
    key = normalise(text)
    assert fast._close(key) == difflib.get_close_matches(key, fast._fuzzy_keys, n=3, cutoff=0.6)


def test_previous_matcher_examples_hold(both) -> None:
    fast, slow = both
    for cell in (
        "Basal-cell carcinomas",
        "carcinoma, basal cell",
        "psoriasiss vulgaris",
        "Chronic dermatitis, NOS, acne",
        "melanoma, zzzz; BCC",
        "Kaposi's sarcoma, acne",
        "dermatitis (acute and chronic), acne",
    ):
        assert _plain(fast.match_cell(cell)) == _plain(slow.match_cell(cell)), cell


# -- obsolete entries ----------------------------------------------------------------------
def _with_obsolete(tiny, **fields):
    old = Condition(
        id="TINY:0000090",
        label="old mole name",
        parents=(ids.BENIGN,),
        synonyms=(Synonym("naevus pigmentosus"),),
        obsolete=True,
        **fields,
    )
    return dataclasses.replace(tiny, conditions=(*tiny.conditions, old))


def test_obsolete_names_resolve_to_the_replacement(tiny) -> None:
    onto = _with_obsolete(tiny, replaced_by=ids.NEVUS)
    matcher = Matcher(onto)
    for text in ("old mole name", "Naevi pigmentosi", "old mole nme"):
        found = matcher.match(text)
        assert found.id == ids.NEVUS, (text, found)
        assert "TINY:0000090" in found.note and "replaced by TINY:0000010" in found.note
    assert resolve_term(onto, "TINY:0000090") == ids.NEVUS
    assert resolve_term(onto, "old mole name") == ids.NEVUS
    assert onto.find("old mole name").id == ids.NEVUS


def test_obsolete_without_replacement_is_never_a_result(tiny) -> None:
    onto = _with_obsolete(tiny, consider=(ids.MELANOMA,))
    matcher = Matcher(onto)
    found = matcher.match("old mole name")
    assert (found.id, found.method, found.candidates) == ("", "obsolete", (ids.MELANOMA,))
    with pytest.raises(UnknownTermError, match=r"obsolete term .* consider: TINY:0000011"):
        resolve_term(onto, "TINY:0000090")
    # nor a suggestion: a near miss offers live entries only
    assert "TINY:0000090" not in matcher.match("old mole nameless thing").candidates
    explained = matcher.explain("old mole name")
    assert explained[-1].step == "exact" and explained[-1].outcome == "obsolete"


# -- explain, kinds, compound class names --------------------------------------------------
def test_explain_lists_each_step_until_one_decides(matcher) -> None:
    steps = matcher.explain("melanomma")
    assert [s.step for s in steps] == ["exact", "normalised", "word_order", "fuzzy"]
    assert steps[-1].outcome == "match" and steps[-1].ids == (ids.MELANOMA,)
    assert steps[-1].score >= 0.9
    assert [(s.step, s.outcome) for s in matcher.explain("BCC")] == [("synonym", "match")]
    miss = matcher.explain("melanoma (of the elbow skin)")
    assert [s.step for s in miss][:3] == ["exact", "normalised", "normalised_bare"]
    assert miss[2].outcome == "match"
    split = matcher.explain("melanoma, BCC")
    assert [s.step for s in split] == ["exact", "normalised", "split"]
    assert split[-1].ids == (ids.MELANOMA, ids.BCC)
    reordered = matcher.explain("carcinoma, basal cell")
    assert [(s.step, s.outcome) for s in reordered][-2:] == [
        ("split", "miss"),
        ("word_order", "match"),
    ]
    nothing = matcher.explain("psoriasis of the elbow")
    assert [(s.step, s.outcome) for s in nothing][-2:] == [("fuzzy", "miss"), ("suggest", "miss")]
    assert nothing[-1].ids == matcher.match("psoriasis of the elbow").candidates != ()


def test_match_all_kinds_says_which_kind_won(tiny) -> None:
    matchers = {k: Matcher(tiny, k) for k in KINDS}
    assert match_all_kinds(matchers, "papules")[0] == "concepts"
    assert match_all_kinds(matchers, "itch")[0] == "findings"
    assert match_all_kinds(matchers, "BCC")[0] == "conditions"
    kind, found = match_all_kinds(matchers, "qqqq")
    assert kind is None and found[0].method == "unmatched"


def _leaves(onto):
    parents = {p for c in onto.conditions for p in c.parents}
    return [c for c in onto.conditions if c.id not in parents and " " not in c.label]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_made_up_compound_names_resolve_to_their_members(data) -> None:
    matcher = _compound_matcher()
    leaves = _leaves(BUNDLED)
    members = data.draw(st.lists(st.sampled_from(leaves), min_size=2, max_size=3, unique=True))
    group = data.draw(st.sampled_from([c for c in BUNDLED.conditions if c.id in _GROUPS]))
    names = [m.label.title() if data.draw(st.booleans()) else m.label for m in members]
    shape = data.draw(st.sampled_from(["list", "slash", "incl", "bare"]))
    if shape == "list":
        text = ", ".join(names[:-1]) + f" and other {group.label} diseases photos"
        expected = [*(m.id for m in members[:-1]), group.id]
    elif shape == "slash":
        text = " / ".join(names)
        expected = [m.id for m in members]
    elif shape == "incl":
        text = f"{names[0]} (incl. {' and '.join(names[1:])}) pictures"
        expected = [m.id for m in members]
    else:  # no separator at all: "Urticaria Hives"
        text = "images of " + " ".join(names)
        expected = [m.id for m in members]
    if not all(matcher.match_strict(m.label).id == m.id for m in members):
        return  # a leaf whose label names something else too
    runs = [" ".join(names[i:j]) for i in range(len(names)) for j in range(i + 2, len(names) + 1)]
    if shape == "bare" and any(matcher.match(run).matched for run in runs):
        return  # neighbouring words happen to name one thing (or a close spelling of one)
    found = matcher.resolve_class(text)
    assert found.method == "compound", (text, found)
    assert set(found.ids) == set(expected), (text, found)
    assert found.ids == tuple(dict.fromkeys(expected)), (text, found)


_GROUPS = {"DERMONTO:0000221", "DERMONTO:0000291", "DERMONTO:0000061", "DERMONTO:0000001"}


@functools.cache
def _compound_matcher() -> Matcher:
    return Matcher(BUNDLED)


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("Acne and Rosacea Photos", ["acne", "rosacea"]),
        ("Urticaria Hives", ["urticaria"]),
        ("psoriasis / lichen planus", ["psoriasis", "lichen planus"]),
        ("Eczema (incl. atopic dermatitis)", ["eczema", "atopic dermatitis"]),
        ("Melanoma Skin Cancer Nevi and Moles", ["melanoma", "malignant", "melanocytic nevus"]),
        ("Seborrheic Keratoses and other Benign Tumors", ["seborrheic keratosis", "benign"]),
        ("Images of basal cell carcinoma", ["basal cell carcinoma"]),
        ("Warts and other Viral Infections", ["viral wart", "viral"]),
        (
            "Warts Molluscum and other Viral Infections",
            ["viral wart", "molluscum contagiosum", "viral"],
        ),
        ("Seborrheic or actinic keratosis", ["seborrheic keratosis", "actinic keratosis"]),
        ("BCC & other hair disorders pics", ["basal cell carcinoma", "hair disease"]),
    ],
)
def test_dataset_style_class_names(text, labels) -> None:
    found = _compound_matcher().resolve_class(text)
    assert found.method == "compound", found
    assert [BUNDLED.term(i).label for i in found.ids] == labels
    assert found.matched == (len(labels) == 1)


def test_compound_needs_every_part(tiny) -> None:
    found = Matcher(tiny).resolve_class("melanoma and qqqq photos")
    assert found.method == "unmatched" and found.ids == ()
    assert Matcher(tiny).resolve_class("melanoma").method == "exact"
    with pytest.raises(UnknownTermError, match="resolves to no condition"):
        resolve_class(tiny, "qqqq and zzzz")
    assert resolve_class(tiny, "moles, BCC and other malignant photos") == (
        ids.NEVUS,
        ids.BCC,
        ids.MALIGNANT,
    )


def test_match_ids_cover_single_and_compound() -> None:
    assert Match("x").ids == ()
    assert Match("x", "A:1").ids == ("A:1",)
    assert Match("x", method="compound", members=("A:1", "A:2")).ids == ("A:1", "A:2")


def test_issue10_16_ontology_find(tiny) -> None:
    assert tiny.find("BCC").id == ids.BCC
    assert tiny.find(ids.BCC).id == ids.BCC
    assert tiny.find("Basal cell carcinoma").id == ids.BCC  # the released name
    assert tiny.find("papules", kind="concepts").id == ids.PAPULE
    with pytest.raises(UnknownTermError, match="did you mean"):
        tiny.find("melanoma of the elbow skin")


# -- the match command ---------------------------------------------------------------------
def test_match_command_explain(runner, tiny_path) -> None:
    result = runner.invoke(
        main,
        ["match", "melanomma", "--explain", "--ontology", str(tiny_path), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["step"] for r in rows] == ["exact", "normalised", "word_order", "fuzzy"]
    assert rows[-1]["outcome"] == "match" and rows[-1]["ids"] == ids.MELANOMA
    assert float(rows[-1]["score"]) >= 0.9


def test_match_command_kind_all_and_compound(runner, tiny_path) -> None:
    result = runner.invoke(
        main,
        [
            "match",
            "papules",
            "itch",
            "BCC",
            "--kind",
            "all",
            "--format",
            "json",
            "--ontology",
            str(tiny_path),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("concepts", ids.PAPULE),
        ("findings", ids.ITCH),
        ("conditions", ids.BCC),
    ]
    compound = runner.invoke(
        main,
        ["match", "Moles and BCC photos", "--ontology", str(tiny_path), "--format", "json"],
    )
    row = json.loads(compound.output)[0]
    assert row["method"] == "compound" and row["ids"] == f"{ids.NEVUS}|{ids.BCC}"


_WORDS = ["acne", "Rosacea", "warts", "viral", "infections", "photos", "pictures", "images of"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3),
            st.sampled_from([", ", " and ", " / ", " & ", " and other ", " (incl. ", ") "]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_split_compound_keeps_names_and_drops_noise(pieces) -> None:
    text = "".join(" ".join(words) + sep for words, sep in pieces)
    name = split_compound(text)
    for part in (*name.members, *name.groups):
        assert part and part.casefold() in text.casefold()
        assert not is_generic(part)
        assert not {"photos", "pictures", "images", "and", "other"} & set(part.casefold().split())


def test_issue16_exact_names_never_build_the_loose_indexes() -> None:
    """`derm-onto match 'acne vulgaris'` pays only for the exact index: the normalised, bag
    and fuzzy indexes are built on the first name the exact level misses, and then give
    the same answers as a matcher that built them first."""
    onto = load(bundled_ontology_path())
    lazy = Matcher(onto)
    assert lazy.match("Acne Vulgaris").method == "exact"
    assert "_loose" not in vars(lazy)
    eager = Matcher(onto)
    assert eager._norm  # built up front
    for text in ("Kaposi's sarcomas", "carcinoma, basal cell", "psoriasiss vulgaris", "xyzzy"):
        assert lazy.match(text) == eager.match(text)
    assert "_loose" in vars(lazy)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda a, sep, b: f"{a}{sep}{b}",
                st.sampled_from(sorted({n for c in BUNDLED.conditions for n in c.names})),
                st.sampled_from([", ", ",", " , ", ",  ", ",\t", ", ,"]),
                st.sampled_from(sorted({n for c in BUNDLED.conditions for n in c.names})),
            ),
            st.text(alphabet="ab ,;'(\t\x1fé", max_size=10),
            st.just("no definitive diagnosis, x"),
        ),
        max_size=25,
    )
)
def test_match_pairs_marks_only_cells_match_cell_reads_as_two_matched_names(cells) -> None:
    import pyarrow as pa

    matcher = bundled_matcher()
    pairs = matcher.match_pairs(pa.array(cells, pa.string()))
    assert len(pairs.mask) == len(cells)
    chosen = [c for c, m in zip(cells, pairs.mask, strict=True) if m]
    for k, cell in enumerate(chosen):
        head, tail = pairs.names[pairs.head[k]], pairs.names[pairs.tail[k]]
        assert matcher.match_cell(cell) == [head, tail]
        assert (pairs.heads[k].as_py(), pairs.tails[k].as_py()) == (head.input, tail.input)
    # and every cell match_cell reads through its "name, name" shortcut is found
    for cell, marked in zip(cells, pairs.mask, strict=True):
        plain = cell.isascii() and " ".join(cell.split()) == cell
        if not marked and plain and cell.count(",") == 1 and not any(c in cell for c in ";|'`(["):
            assert matcher._match_pair(cell) is None, cell


@functools.cache
def bundled_matcher() -> Matcher:
    return Matcher(BUNDLED)
