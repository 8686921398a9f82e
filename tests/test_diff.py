"""derm-onto diff: term-level changes between two ontology versions (issue 13.5)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derm_onto.cli import main
from derm_onto.diff import ChangeKind, diff, summary, to_markdown
from derm_onto.jsonio import dump, dumps
from derm_onto.model import (
    Concept,
    ConceptCategory,
    Condition,
    Ontology,
    Synonym,
    SynonymType,
    Term,
)
from tests import ids

NEW_ID = "TINY:0000050"


def edit(onto: Ontology, term_id: str, **changes: object) -> Ontology:
    def fix(term: Term) -> Term:
        return dataclasses.replace(term, **changes) if term.id == term_id else term

    return dataclasses.replace(
        onto,
        conditions=tuple(fix(t) for t in onto.conditions),  # type: ignore[misc]
        concepts=tuple(fix(t) for t in onto.concepts),  # type: ignore[misc]
        findings=tuple(fix(t) for t in onto.findings),  # type: ignore[misc]
    )


def release(tiny: Ontology) -> Ontology:
    """A next version of the tiny ontology with one change of every kind."""
    onto = edit(tiny, ids.MELANOMA, label="cutaneous melanoma")
    onto = edit(onto, ids.BCC, parents=(ids.NEOPLASM,))
    onto = edit(
        onto, ids.NAIL_DISEASE, obsolete=True, replaced_by=ids.SKIN_DISEASE, label="nail disease"
    )
    # an obsolete term is no one's parent: its child moves out from under it
    onto = edit(onto, ids.PSORIATIC_NAIL_DYSTROPHY, parents=(ids.PSORIASIS,))
    onto = edit(onto, ids.PSORIASIS, synonyms=(Synonym("PsO", SynonymType.ABBREVIATION),))
    onto = edit(onto, ids.NEVUS, xrefs=(), definition="A benign melanocytic proliferation.")
    onto = edit(onto, ids.PAPULE, xrefs=("HP:0200034", "HP:0025474"))
    conditions = [c for c in onto.conditions if c.id != ids.GUTTATE_PSORIASIS]
    conditions.append(Condition(id=NEW_ID, label="rosacea", parents=(ids.INFLAMMATORY,)))
    return dataclasses.replace(onto, conditions=tuple(conditions))


EXPECTED = {
    (ChangeKind.RELABELLED, ids.MELANOMA),
    (ChangeKind.MOVED, ids.BCC),
    (ChangeKind.MOVED, ids.PSORIATIC_NAIL_DYSTROPHY),
    (ChangeKind.OBSOLETED, ids.NAIL_DISEASE),
    (ChangeKind.SYNONYM_ADDED, ids.PSORIASIS),
    (ChangeKind.SYNONYM_REMOVED, ids.PSORIASIS),
    (ChangeKind.XREF_REMOVED, ids.NEVUS),
    (ChangeKind.DEFINITION_CHANGED, ids.NEVUS),
    (ChangeKind.XREF_ADDED, ids.PAPULE),
    (ChangeKind.REMOVED, ids.GUTTATE_PSORIASIS),
    (ChangeKind.ADDED, NEW_ID),
}


def test_every_kind_of_change_is_reported(tiny: Ontology) -> None:
    changes = diff(tiny, release(tiny))
    assert {(c.change, c.id) for c in changes} == EXPECTED
    by_kind = {c.change: c for c in changes}
    moved = {c.id: c for c in changes if c.change is ChangeKind.MOVED}
    assert moved[ids.BCC].old == (ids.MALIGNANT,)
    assert moved[ids.BCC].new == (ids.NEOPLASM,)
    assert moved[ids.PSORIATIC_NAIL_DYSTROPHY].new == (ids.PSORIASIS,)
    assert by_kind[ChangeKind.OBSOLETED].new == ids.SKIN_DISEASE
    assert by_kind[ChangeKind.RELABELLED].old == "melanoma"
    assert by_kind[ChangeKind.XREF_ADDED].new == "HP:0025474"
    assert by_kind[ChangeKind.SYNONYM_ADDED].new == "PsO (abbreviation)"


def test_equal_ontologies_have_no_changes(tiny: Ontology) -> None:
    assert diff(tiny, tiny) == []
    shuffled = dataclasses.replace(tiny, conditions=tuple(reversed(tiny.conditions)))
    assert diff(tiny, shuffled) == []


def test_reverse_diff_mirrors(tiny: Ontology) -> None:
    mirror = {
        ChangeKind.ADDED: ChangeKind.REMOVED,
        ChangeKind.REMOVED: ChangeKind.ADDED,
        ChangeKind.OBSOLETED: ChangeKind.UNOBSOLETED,
        ChangeKind.SYNONYM_ADDED: ChangeKind.SYNONYM_REMOVED,
        ChangeKind.SYNONYM_REMOVED: ChangeKind.SYNONYM_ADDED,
        ChangeKind.XREF_ADDED: ChangeKind.XREF_REMOVED,
        ChangeKind.XREF_REMOVED: ChangeKind.XREF_ADDED,
    }
    forward = {(mirror.get(c.change, c.change), c.id) for c in diff(tiny, release(tiny))}
    assert {(c.change, c.id) for c in diff(release(tiny), tiny)} == forward


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_relabels_and_moves_are_found(data: st.DataObject, tiny: Ontology) -> None:
    """Relabel and re-parent random terms; the diff names exactly those terms."""
    condition_ids = [c.id for c in tiny.conditions]
    relabelled = data.draw(st.sets(st.sampled_from(condition_ids), max_size=4))
    moved = data.draw(st.sets(st.sampled_from(condition_ids), max_size=4))
    onto = tiny
    for term_id in relabelled:
        onto = edit(onto, term_id, label=onto.term(term_id).label + " (renamed)")
    for term_id in moved:
        old = set(onto.term(term_id).parents)
        onto = edit(onto, term_id, parents=tuple(sorted(old ^ {ids.SKIN_DISEASE} - {term_id})))
    really_moved = {t for t in moved if t != ids.SKIN_DISEASE}
    changes = diff(tiny, onto)
    assert {c.id for c in changes if c.change is ChangeKind.RELABELLED} == relabelled
    assert {c.id for c in changes if c.change is ChangeKind.MOVED} == really_moved
    assert sum(summary(changes).values()) == len(changes) == len(relabelled) + len(really_moved)


def test_markdown_lists_every_change(tiny: Ontology) -> None:
    changes = diff(tiny, release(tiny))
    text = to_markdown(changes, "v1", "v2", {t.id: t.label for t in tiny.terms()})
    assert text.startswith("## Ontology diff: `v1` → `v2`")
    for kind, term_id in EXPECTED:
        assert f"| {kind.value} |" in text
        assert f"`{term_id}`" in text
    assert '"melanoma" → "cutaneous melanoma"' in text
    assert f"`{ids.MALIGNANT}` malignant → `{ids.NEOPLASM}` neoplasm" in text


def test_markdown_escapes_labels() -> None:
    onto = Ontology(id="d", title="D", base_iri="https://example.org/d/", prefixes={})
    new = dataclasses.replace(onto, conditions=(Condition(id="D:1", label="a | *b*"),))
    assert "`D:1` a \\| \\*b\\*" in to_markdown(diff(onto, new))


# -- the command line -----------------------------------------------------------------


def test_cli_exit_status_like_diff(tiny: Ontology, tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    dump(tiny, old)
    dump(release(tiny), new)
    runner = CliRunner()
    same = runner.invoke(main, ["diff", str(old), str(old)])
    assert same.exit_code == 0, same.output
    assert "No changes." in same.stdout
    changed = runner.invoke(main, ["diff", str(old), str(new), "--format", "json"])
    assert changed.exit_code == 1, changed.output
    document = json.loads(changed.stdout)
    assert {(c["change"], c["id"]) for c in document["changes"]} == {
        (k.value, i) for k, i in EXPECTED
    }
    assert document["summary"] == summary(diff(tiny, release(tiny)))
    out = tmp_path / "diff.md"
    written = runner.invoke(main, ["diff", str(old), str(new), "-o", str(out)])
    assert written.exit_code == 1
    assert written.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("## Ontology diff")


def test_cli_trouble_exits_2_with_one_line(tiny: Ontology, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    dump(tiny, good)
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(good), str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("derm-onto: error:")
    assert str(bad) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    missing = CliRunner().invoke(main, ["diff", str(good), str(tmp_path / "none.json")])
    assert missing.exit_code == 2


# -- every field counts ---------------------------------------------------------------

FIELD_EDITS = [
    (ids.PSORIASIS, {"concepts": (ids.PAPULE,)}, ChangeKind.FEATURES_CHANGED, "concepts"),
    (ids.PSORIASIS, {"findings": ()}, ChangeKind.FEATURES_CHANGED, "findings"),
    (
        ids.NEVUS,
        {"observed_concepts": (ids.PAPULE,)},
        ChangeKind.FEATURES_CHANGED,
        "observed_concepts",
    ),
    (ids.PAPULE, {"category": ConceptCategory.COLOUR}, ChangeKind.OTHER_CHANGED, "category"),
    (ids.NEVUS, {"provenance": ("Mole",)}, ChangeKind.OTHER_CHANGED, "provenance"),
    (ids.NEVUS, {"consider": (ids.MELANOMA,)}, ChangeKind.OTHER_CHANGED, "consider"),
    (ids.NEVUS, {"replaced_by": ids.MELANOMA}, ChangeKind.OTHER_CHANGED, "replaced_by"),
    (ids.PSORIASIS, {"definition_xrefs": ("PMID:1",)}, ChangeKind.DEFINITION_CHANGED, None),
]


def test_every_field_change_is_seen(tiny: Ontology) -> None:
    for term_id, changes, kind, field in FIELD_EDITS:
        found = diff(tiny, edit(tiny, term_id, **changes))
        assert [(c.change, c.id, c.field) for c in found] == [(kind, term_id, field)]


def test_header_and_kind_changes(tiny: Ontology) -> None:
    header = dataclasses.replace(tiny, version="2.0.0", disjoint=())
    found = [(c.change, c.field) for c in diff(tiny, header)]
    assert found == [
        (ChangeKind.ONTOLOGY_CHANGED, "disjoint"),
        (ChangeKind.ONTOLOGY_CHANGED, "version"),
    ]
    face = tiny.term(ids.FACE)
    moved = dataclasses.replace(
        tiny,
        findings=tuple(f for f in tiny.findings if f.id != ids.FACE),
        concepts=(
            *tiny.concepts,
            Concept(id=face.id, label=face.label, definition=face.definition),
        ),
    )
    (change,) = [c for c in diff(tiny, moved) if c.field == "kind"]
    assert (change.old, change.new) == ("findings", "concepts")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(picked=st.lists(st.sampled_from(range(len(FIELD_EDITS))), unique=True))
def test_diff_is_empty_exactly_when_the_files_are_equal(picked: list[int], tiny: Ontology) -> None:
    onto = tiny
    for n in picked:
        term_id, changes, *_ = FIELD_EDITS[n]
        onto = edit(onto, term_id, **changes)
    assert (diff(tiny, onto) == []) == (dumps(tiny) == dumps(onto))
    assert (diff(tiny, onto) == []) == (picked == [])


def test_observed_concept_promoted_to_typical_is_two_changes_listed_together(tiny) -> None:
    """What a curator reviews when evidence promotes a link: the concept leaves
    observed_concepts and joins concepts, both under one term in one section."""
    observed = edit(tiny, ids.MELANOMA, observed_concepts=(ids.PAPULE, ids.SCALE))
    melanoma = tiny.condition(ids.MELANOMA)
    promoted = edit(
        tiny,
        ids.MELANOMA,
        concepts=(*melanoma.concepts, ids.PAPULE),
        observed_concepts=(ids.SCALE,),
    )
    changes = diff(observed, promoted)
    assert [(c.change, c.id, c.field, c.old, c.new) for c in changes] == [
        (
            ChangeKind.FEATURES_CHANGED,
            ids.MELANOMA,
            "concepts",
            (ids.PIGMENT_NETWORK,),
            (ids.PAPULE, ids.PIGMENT_NETWORK),
        ),
        (
            ChangeKind.FEATURES_CHANGED,
            ids.MELANOMA,
            "observed_concepts",
            (ids.PAPULE, ids.SCALE),
            (ids.SCALE,),
        ),
    ]
    text = to_markdown(changes, names={t.id: t.label for t in tiny.terms()})
    section = text.split("### ", 1)[1]
    assert section.startswith("Changed concepts and findings (typical or observed) (2)")
    assert f"`{ids.MELANOMA}` melanoma (observed\\_concepts): `{ids.PAPULE}` papule, " in section
    assert {(c.change, c.field) for c in diff(promoted, observed)} == {
        (c.change, c.field) for c in changes
    }
