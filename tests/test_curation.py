from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from derm_onto.cli import main
from derm_onto.curation import CurationError, apply_curation, build_curated, lower_label
from derm_onto.importers import import_derm1m_data
from derm_onto.jsonio import dumps
from derm_onto.resources import DERM1M_CURATION, bundled_ontology_path, data_dir

from .conftest import shared_file

MINI = {
    "root": ["inflammatory", "proliferations"],
    "inflammatory": ["Psoriasis", "Eczema"],
    "Psoriasis": [],
    "Eczema": ["Contact dermatitis"],
    "Contact dermatitis": [],
    "proliferations": ["benign"],
    "benign": ["Angioma, Hemangioma"],
    "Angioma, Hemangioma": [],
}


def curation(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "header": {"title": "Mini"},
        "actions": [],
        "terms": {},
        "concepts": [],
        "findings": [],
    }
    base.update(overrides)
    return base


@pytest.fixture
def faithful():
    return import_derm1m_data(MINI, "mini.json")


def test_curated_ontology_is_reproduced_byte_for_byte(tmp_path, runner) -> None:
    """Re-running the import with the curation file rebuilds ontology/derm1m.json."""
    release = shared_file("derm1m/ontology_tree.json")
    curation_path = data_dir("ontology").joinpath(DERM1M_CURATION)
    rebuilt = build_curated(release, str(curation_path))
    assert dumps(rebuilt) == bundled_ontology_path().read_bytes()
    out = tmp_path / "derm1m.json"
    result = runner.invoke(
        main,
        ["import", "derm1m", str(release), "--curation", str(curation_path), "-o", str(out), "-q"],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == bundled_ontology_path().read_bytes()


def test_every_curation_action_has_a_reason() -> None:
    data = json.loads(data_dir("ontology").joinpath(DERM1M_CURATION).read_text("utf-8"))
    assert data["actions"]
    for action in data["actions"]:
        assert len(action["reason"].split()) >= 3, action


def test_relabel_keeps_the_old_name_as_synonym(faithful) -> None:
    onto = apply_curation(
        faithful,
        curation(
            actions=[
                {
                    "op": "relabel",
                    "node": "Angioma, Hemangioma",
                    "label": "hemangioma",
                    "reason": "the specific lesion",
                }
            ]
        ),
    )
    node = next(c for c in onto.conditions if c.label == "hemangioma")
    assert {s.text for s in node.synonyms} == {"Angioma"}
    assert node.provenance == ("Angioma, Hemangioma",)


def test_lowercase_style_keeps_proper_names(faithful) -> None:
    onto = apply_curation(faithful, curation(label_style={"lowercase": True, "proper_names": []}))
    assert {c.label for c in onto.conditions} >= {"psoriasis", "contact dermatitis"}
    assert lower_label("Kaposi's Sarcoma", ["Kaposi's"]) == "Kaposi's sarcoma"


def test_move_merge_split_add_and_drop(faithful) -> None:
    onto = apply_curation(
        faithful,
        curation(
            actions=[
                {
                    "op": "move",
                    "node": "Contact dermatitis",
                    "parents": ["inflammatory"],
                    "reason": "a sibling of eczema here",
                },
                {"op": "merge", "node": "Eczema", "into": "Psoriasis", "reason": "test merge only"},
                {
                    "op": "split",
                    "node": "Angioma, Hemangioma",
                    "id": "DERMONTO:0009001",
                    "label": "hemangioma",
                    "move_synonyms": ["Hemangioma"],
                    "reason": "test split only",
                },
                {
                    "op": "add",
                    "id": "DERMONTO:0009002",
                    "label": "acne",
                    "parents": ["inflammatory"],
                    "reason": "test add only",
                },
                {
                    "op": "drop_synonym",
                    "node": "Psoriasis",
                    "text": "Eczema",
                    "reason": "test drop only",
                },
            ]
        ),
    )
    labels = {c.label: c for c in onto.conditions}
    assert "Eczema" not in labels
    assert labels["Psoriasis"].provenance == ("Psoriasis", "Eczema")
    assert labels["Psoriasis"].synonyms == ()
    assert labels["Contact dermatitis"].parents == (labels["inflammatory"].id,)
    assert labels["hemangioma"].parents == labels["Angioma"].parents
    assert labels["Angioma"].synonyms == ()
    assert labels["acne"].id == "DERMONTO:0009002"


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        (
            {"op": "move", "node": "Nope", "parents": ["inflammatory"], "reason": "a reason here"},
            "/actions/0/node: no node is called 'Nope'",
        ),
        (
            {"op": "move", "node": "Psoriasis", "parents": ["inflammatory"], "reason": ""},
            "/actions/0",
        ),
        ({"op": "explode", "node": "Psoriasis", "reason": "a reason here"}, "/actions/0"),
        (
            {"op": "add", "id": "DERMONTO:0000001", "label": "x", "reason": "a reason here"},
            "/actions/0/id: needs a new, unused id",
        ),
    ],
)
def test_bad_curation_actions_are_one_line_errors(faithful, action, fragment) -> None:
    with pytest.raises(CurationError) as info:
        apply_curation(faithful, curation(actions=[action]), "cur.json")
    message = str(info.value)
    assert message.startswith("cur.json:") and fragment in message and "\n" not in message


def test_ambiguous_reference_lists_the_candidates() -> None:
    result = import_derm1m_data({"a": {"melanocytic": {"x": {}}}, "b": {"melanocytic": {}}})
    with pytest.raises(CurationError, match="names several nodes"):
        apply_curation(result, curation(terms={"melanocytic": {"definition": "d"}}))


def test_unknown_concept_in_terms(faithful) -> None:
    bad = curation(terms={"Psoriasis": {"concepts": ["sparkle"]}})
    with pytest.raises(CurationError, match="/terms/Psoriasis/concepts/0: no concept"):
        apply_curation(faithful, bad)


def test_curation_file_is_not_mutated(faithful) -> None:
    data = curation(
        actions=[
            {"op": "relabel", "node": "Psoriasis", "label": "psoriasis", "reason": "case only here"}
        ]
    )
    before = copy.deepcopy(data)
    apply_curation(faithful, data)
    assert data == before


def test_merged_away_ids_become_obsolete_terms(faithful) -> None:
    eczema = next(c.id for c in faithful.ontology.conditions if c.label == "Eczema")
    onto = apply_curation(
        faithful,
        curation(
            label_style={"lowercase": True, "proper_names": []},
            actions=[
                {"op": "merge", "node": "Eczema", "into": "Psoriasis", "reason": "test merge one"},
                {
                    "op": "merge",
                    "node": "Psoriasis",
                    "into": "Contact dermatitis",
                    "reason": "test merge two",
                    "source": ["ISBN:9780702062759"],
                },
            ],
        ),
    )
    gone = onto.condition(eczema)
    live = next(c for c in onto.conditions if c.label == "contact dermatitis")
    assert gone.obsolete and gone.label == "obsolete eczema" and gone.parents == ()
    assert gone.replaced_by == live.id  # a chain of merges points at its live end
    assert not live.obsolete
    assert [c.replaced_by for c in onto.conditions if c.obsolete] == [live.id, live.id]
    assert all(c.parents != (eczema,) for c in onto.conditions)


def test_an_obsolete_id_is_never_reused(faithful) -> None:
    eczema = next(c.id for c in faithful.ontology.conditions if c.label == "Eczema")
    actions = [
        {"op": "merge", "node": "Eczema", "into": "Psoriasis", "reason": "test merge only"},
        {"op": "add", "id": eczema, "label": "eczema again", "reason": "reuse the id"},
    ]
    with pytest.raises(CurationError, match="/actions/1/id: needs a new, unused id"):
        apply_curation(faithful, curation(actions=actions))


def test_remove_parent(faithful) -> None:
    actions: list[dict[str, Any]] = [
        {
            "op": "add_parent",
            "node": "Contact dermatitis",
            "parent": "inflammatory",
            "reason": "a redundant link to remove",
        },
        {
            "op": "remove_parent",
            "node": "Contact dermatitis",
            "parent": "inflammatory",
            "reason": "implied through eczema",
            "source": ["http://robot.obolibrary.org/reason"],
        },
    ]
    onto = apply_curation(faithful, curation(actions=actions))
    node = next(c for c in onto.conditions if c.label == "Contact dermatitis")
    assert [onto.term(p).label for p in node.parents] == ["Eczema"]
    only = [{**actions[1], "parent": "Eczema"}]
    with pytest.raises(CurationError, match="cannot remove a node's only parent"):
        apply_curation(faithful, curation(actions=only))
    with pytest.raises(CurationError, match="is not a parent"):
        apply_curation(faithful, curation(actions=actions[1:]))


def test_definition_sources_are_carried_and_checked(faithful) -> None:
    term = {"definition": "Scaly plaques.", "definition_xrefs": ["ICD10CM:L40.9"]}
    onto = apply_curation(faithful, curation(terms={"Psoriasis": term}))
    node = next(c for c in onto.conditions if c.label == "Psoriasis")
    assert node.definition_xrefs == ("ICD10CM:L40.9",)
    bad = curation(terms={"Psoriasis": {"definition": "d", "definition_xrefs": ["a b"]}})
    with pytest.raises(CurationError, match="/terms/Psoriasis/definition_xrefs/0"):
        apply_curation(faithful, bad)


def test_an_action_source_must_be_a_list_of_references(faithful) -> None:
    action = {
        "op": "move",
        "node": "Contact dermatitis",
        "parents": ["inflammatory"],
        "reason": "a reason here",
        "source": "Bolognia",
    }
    with pytest.raises(CurationError, match="/actions/0"):
        apply_curation(faithful, curation(actions=[action]))


PLAQUE = {"id": "DERMONTO:0100004", "label": "plaque", "category": "primary_morphology"}
VESICLE = {"id": "DERMONTO:0100007", "label": "vesicle", "category": "primary_morphology"}


def _decision(decision: str, feature: str = "plaque") -> dict[str, str]:
    return {"condition": "Psoriasis", "feature": feature, "decision": decision, "reason": "why"}


@pytest.mark.parametrize(
    ("linked", "decision", "ok"),
    [
        (["plaque"], "keep", True),
        (["plaque"], "add", True),
        (["vesicle"], "remove", True),
        (["plaque"], "remove", False),
        (["vesicle"], "keep", False),
        (["vesicle"], "add", False),
        (["vesicle"], "reject", True),
        (["plaque"], "reject", False),
    ],
)
def test_evidence_decisions_must_agree_with_the_terms(faithful, linked, decision, ok) -> None:
    data = curation(
        terms={"Psoriasis": {"concepts": linked}},
        concepts=[PLAQUE, VESICLE],
        evidence_decisions=[_decision(decision)],
    )
    if ok:
        onto = apply_curation(faithful, data)
        notes_only = {k: v for k, v in data.items() if k != "evidence_decisions"}
        plain = apply_curation(faithful, notes_only)
        assert onto == plain  # a decision is a note: it changes nothing itself
    else:
        with pytest.raises(CurationError, match="/evidence_decisions/0: decision"):
            apply_curation(faithful, data)


@pytest.mark.parametrize(
    ("observed", "decision", "ok"),
    [
        (["vesicle"], "observe", True),
        ([], "observe", False),
        ([], "exclude", True),
        (["vesicle"], "exclude", False),
    ],
)
def test_observed_decisions_must_agree_with_observed_concepts(
    faithful, observed, decision, ok
) -> None:
    data = curation(
        terms={"Psoriasis": {"concepts": ["plaque"], "observed_concepts": observed}},
        concepts=[PLAQUE, VESICLE],
        evidence_decisions=[_decision(decision, "vesicle")],
    )
    if ok:
        onto = apply_curation(faithful, data)
        psoriasis = next(t for t in onto.conditions if t.label.lower() == "psoriasis")
        assert psoriasis.observed_concepts == tuple(
            t["id"] for t in (PLAQUE, VESICLE) if t["label"] in observed
        )
        assert psoriasis.concepts == (PLAQUE["id"],)
    else:
        with pytest.raises(CurationError, match=r"/evidence_decisions/0: decision .*observed"):
            apply_curation(faithful, data)


def test_a_pair_gets_one_decision_per_relation(faithful) -> None:
    """Rejected as typical and observed in the images is the common case; two decisions on
    one relation is an error."""
    terms = {"Psoriasis": {"observed_concepts": ["plaque"]}}
    both = [_decision("reject"), _decision("observe")]
    onto = apply_curation(
        faithful, curation(terms=terms, concepts=[PLAQUE], evidence_decisions=both)
    )
    assert next(t for t in onto.conditions if t.label.lower() == "psoriasis").observed_concepts
    twice = [_decision("observe"), _decision("observe")]
    with pytest.raises(CurationError, match=r"/evidence_decisions/1: .*decided twice"):
        apply_curation(faithful, curation(terms=terms, concepts=[PLAQUE], evidence_decisions=twice))
    unknown = {"Psoriasis": {"observed_concepts": ["sparkle"]}}
    with pytest.raises(CurationError, match=r"/terms/Psoriasis/observed_concepts/0: no concept"):
        apply_curation(faithful, curation(terms=unknown, concepts=[PLAQUE]))


def test_a_link_is_decided_once(faithful) -> None:
    data = curation(
        terms={"Psoriasis": {"concepts": ["plaque"]}},
        concepts=[PLAQUE],
        evidence_decisions=[_decision("keep"), _decision("add")],
    )
    with pytest.raises(CurationError, match=r"/evidence_decisions/1: .*decided twice"):
        apply_curation(faithful, data)


def test_evidence_decisions_name_real_terms(faithful) -> None:
    base = curation(terms={"Psoriasis": {"concepts": ["plaque"]}}, concepts=[PLAQUE])
    with pytest.raises(CurationError, match="/evidence_decisions/0/feature: no concept or finding"):
        apply_curation(faithful, {**base, "evidence_decisions": [_decision("keep", "sparkle")]})
    unknown = {**_decision("keep"), "condition": "Lupus"}
    with pytest.raises(CurationError, match="/evidence_decisions/0/condition: no node"):
        apply_curation(faithful, {**base, "evidence_decisions": [unknown]})
    bad = {**_decision("keep"), "decision": "maybe"}
    with pytest.raises(CurationError, match="/evidence_decisions/0"):
        apply_curation(faithful, {**base, "evidence_decisions": [bad]})


def test_bundled_evidence_decisions_cover_every_candidate() -> None:
    """The curation decided every candidate the bundled evidence offers: what `associations
    check` still lists is rejected, each with a reason that gives the counts."""
    from derm_onto.associations import evidence
    from derm_onto.associations.holdout import decided_links
    from derm_onto.jsonio import load

    onto = load(bundled_ontology_path())
    data = json.loads(data_dir("ontology").joinpath(DERM1M_CURATION).read_text("utf-8"))
    decided = decided_links(onto, data["evidence_decisions"])
    report = evidence.check(onto, evidence.read(evidence.default_path()))
    candidates = {(x.condition, x.feature) for x in report.candidates}
    assert candidates and candidates <= decided["reject"]
    # every proposal of the placement rule that is not linked was rejected on clinical grounds
    proposed = {(x.condition, x.feature) for x in report.candidates if not x.note}
    reasons = {
        (d["condition"], d["feature"]): d["reason"]
        for d in data["evidence_decisions"]
        if d["decision"] == "reject"
    }
    labelled = {(onto.term(c).label, onto.term(f).label) for c, f in proposed}
    assert all(reasons[k].startswith("Rejected: ") for k in labelled)
    assert all("Counts: " in reasons[k] for k in labelled)


def test_bundled_evidence_decisions_cover_the_mined_contradictions() -> None:
    """Every asserted link the bundled evidence contradicts has a recorded keep decision."""
    from derm_onto.associations import evidence
    from derm_onto.jsonio import load
    from derm_onto.text import normalise_label

    onto = load(bundled_ontology_path())
    data = json.loads(data_dir("ontology").joinpath(DERM1M_CURATION).read_text("utf-8"))
    decided = {  # the decisions on typical links
        (normalise_label(d["condition"]), normalise_label(d["feature"])): d["decision"]
        for d in data["evidence_decisions"]
        if d["decision"] not in ("observe", "exclude")
    }
    report = evidence.check(onto, evidence.read(evidence.default_path()))
    contradicted = [
        (normalise_label(onto.term(x.condition).label), normalise_label(onto.term(x.feature).label))
        for x in report.links
        if x.status == "contradicted"
    ]
    assert all(decided.get(pair) == "keep" for pair in contradicted), contradicted
    asserted = {
        (normalise_label(onto.term(x.condition).label), normalise_label(onto.term(x.feature).label))
        for x in report.links
        if x.relation == "typical"
    }
    removed = {pair for pair, d in decided.items() if d in ("remove", "reject")}
    assert removed and not removed & asserted  # a removed or rejected link is not asserted
    added = {pair for pair, d in decided.items() if d in ("keep", "add")}
    assert added <= asserted
