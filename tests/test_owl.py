"""HermiT through owlready2 (needs Java; CI installs a headless JRE)."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from derm_onto.cli import main
from derm_onto.errors import DermOntoError
from derm_onto.jsonio import dump, load
from derm_onto.owl import reason
from derm_onto.resources import bundled_ontology_path

from . import ids
from .conftest import with_observed

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None and __import__("os").environ.get("CI") != "true",
    reason="no Java here (CI installs it and runs these)",
)


def planted(tiny):
    """Melanoma (malignant) also made a child of a benign class: a contradiction."""
    melanoma = tiny.condition(ids.MELANOMA)
    bad = dataclasses.replace(melanoma, parents=(*melanoma.parents, ids.MELANOCYTIC_BENIGN))
    return dataclasses.replace(
        tiny, conditions=tuple(bad if c.id == ids.MELANOMA else c for c in tiny.conditions)
    )


def test_curated_ontology_is_coherent() -> None:
    result = reason(load(bundled_ontology_path()))
    assert result.consistent and result.unsatisfiable == ()


def test_planted_contradiction_is_named(tiny) -> None:
    result = reason(planted(tiny))
    assert result.consistent
    assert result.unsatisfiable == ((ids.MELANOMA, "melanoma"),)


def test_without_the_disjointness_there_is_no_contradiction(tiny) -> None:
    result = reason(dataclasses.replace(planted(tiny), disjoint=()))
    assert result.ok


def test_reason_command(runner, tiny, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    dump(planted(tiny), bad)
    result = runner.invoke(main, ["reason", str(bad)])
    assert result.exit_code == 1
    assert f"unsatisfiable {ids.MELANOMA} melanoma" in result.output
    good = runner.invoke(main, ["reason", str(tmp_path / "x.json")])
    assert good.exit_code == 1 and "no such file" in good.output
    inferred = tmp_path / "inferred.ttl"
    ok = runner.invoke(main, ["reason", "--inferred", str(inferred)])
    assert ok.exit_code == 0, ok.output
    assert "owl:Class" in inferred.read_text()


def test_issue10_reason_says_when_nothing_new_was_inferred(runner, tiny_path, tmp_path) -> None:
    help_text = runner.invoke(main, ["reason", "--help"]).output
    assert "-o" not in help_text.replace("--", "")
    inferred = tmp_path / "inferred.ttl"
    ok = runner.invoke(main, ["reason", str(tiny_path), "--inferred", str(inferred)])
    assert ok.exit_code == 0, ok.output
    plain = runner.invoke(main, ["export", str(tiny_path), "-o", str(tmp_path / "plain.ttl")])
    assert plain.exit_code == 0
    assert inferred.read_bytes() == (tmp_path / "plain.ttl").read_bytes()
    assert "nothing new was inferred" in ok.output


def test_hierarchy_changes_name_added_and_redundant_parents(tiny) -> None:
    import dataclasses

    from derm_onto.owl import ReasonerResult, hierarchy_changes

    assert hierarchy_changes(tiny, ReasonerResult(True, (), {})) == []
    inferred = {t.id: t.parents for t in tiny.terms()}
    inferred[ids.MELANOMA] = (ids.MALIGNANT,)  # drops melanocytic malignant, adds malignant
    (change,) = hierarchy_changes(tiny, ReasonerResult(True, (), inferred))
    melanoma = tiny.term(ids.MELANOMA)
    assert change.id == ids.MELANOMA
    assert change.added == (ids.MALIGNANT,) and set(change.dropped) == set(melanoma.parents)
    assert dataclasses.astuple(change)[0] == ids.MELANOMA


def test_missing_java_is_a_clear_error(tiny, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DermOntoError, match="needs Java"):
        reason(tiny)


def test_observed_concepts_are_annotations_to_owlready2_and_change_no_inference(
    tiny, tmp_path
) -> None:
    """owlready2 loads each observed concept as an annotation of the class (an
    AnnotationProperty whose value is the concept's class), not as an is_a restriction, and
    not on the subclasses; HermiT's classification is the same with or without them."""
    import owlready2

    from derm_onto.rdf import export

    observed = {ids.PSORIASIS: (ids.PIGMENT_NETWORK,), ids.MELANOMA: (ids.PAPULE, ids.SCALE)}
    onto = with_observed(tiny, observed)
    path = tmp_path / "observed.owl"
    path.write_bytes(export(onto, "owl"))
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    prop = world[onto.base_iri + "has_observed_feature"]
    assert isinstance(prop, owlready2.AnnotationPropertyClass)
    for term in onto.conditions:
        cls = world[onto.expand(term.id)]
        assert sorted(v.iri for v in prop[cls]) == [onto.expand(x) for x in term.observed_concepts]
        restrictions = [r for r in cls.is_a if isinstance(r, owlready2.Restriction)]
        assert {r.value.iri for r in restrictions} == {
            onto.expand(x) for x in (*term.concepts, *term.findings)
        }
    world.close()
    result = reason(onto)
    assert result == reason(tiny)
    assert result.ok and result.inferred_parents[ids.GUTTATE_PSORIASIS] == (ids.PSORIASIS,)
