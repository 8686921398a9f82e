"""Tests of the observed relation's side of the evidence: the policy that selects observed
links, how they are measured (not inherited), the check's separate verdicts, the rewrite of
a curation file (`associations observe`), and the issue's quality target held out on the
shared datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from derm_onto import hierarchy
from derm_onto.associations import evidence, holdout
from derm_onto.associations.observe import dumps_curation, observe
from derm_onto.cli import main
from derm_onto.curation import apply_curation, build_curated
from derm_onto.jsonio import load
from derm_onto.model import Concept, ConceptCategory, Ontology
from derm_onto.resources import DERM1M_CURATION, bundled_ontology_path, data_dir

from .conftest import shared_file, with_observed


@pytest.fixture(scope="module")
def bundled() -> Ontology:
    return load(bundled_ontology_path())


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return evidence.read(evidence.default_path())


def _curation() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        data_dir("ontology").joinpath(DERM1M_CURATION).read_text("utf-8")
    )
    return data


def _reference_policy(
    onto: Ontology, doc: dict[str, Any], excluded: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The observed links by the rule's words, pair by pair: a live concept (no artifact)
    some source row shows in >= 40% of >= min images, enriched (q < 0.05) or with a lower
    Wilson bound >= 20%, that no typical link on the condition or an ancestor implies."""
    graph = hierarchy.build_graph(onto)
    concepts = {
        t.id
        for t in onto.concepts
        if isinstance(t, Concept) and t.category != ConceptCategory.ARTIFACT
    }
    typical = {t.id: set(t.concepts) | set(t.findings) for t in onto.conditions}
    min_images = doc["parameters"]["min_images"]
    out = set()
    for r in doc["associations"]:
        c, f = r["condition"], r["feature"]
        if f not in concepts or c not in graph or (c, f) in excluded:
            continue
        if not (
            r["n_images"] >= min_images
            and r["confidence"] >= 0.40
            and (r["q_value"] < 0.05 or r["ci_low"] >= 0.20)
        ):
            continue
        ancestors = hierarchy.ancestors(graph, c, reflexive=True)
        if any(f in typical.get(a, ()) for a in ancestors):
            continue
        out.add((c, f))
    return out


def test_the_shipped_observed_links_are_the_policy_of_the_shipped_evidence(
    bundled: Ontology, document: dict[str, Any]
) -> None:
    decided = holdout.decided_links(bundled, _curation()["evidence_decisions"])
    shipped = set(evidence.observed_links(bundled))
    assert shipped == _reference_policy(bundled, document, decided["exclude"])
    report = evidence.check(bundled, document)
    assert report.observed_policy(bundled, decided["exclude"]) == shipped
    # no pair is both: a typical link (own or inherited) leaves no room for an observed one
    assert not shipped & report.implied
    assert all(bundled.kind_of(f) == "concepts" for _, f in shipped)


def test_observed_links_are_not_inherited(bundled: Ontology, document: dict[str, Any]) -> None:
    index = evidence.EvidenceIndex(document)
    graph = hierarchy.build_graph(bundled)
    group = bundled.find("malignant melanocytic neoplasm").id
    dots = bundled.find("dots and globules", kind="concepts").id
    pair = {(group, dots)}
    as_typical = evidence.quality(bundled, index, pair, graph=graph)
    as_observed = evidence.quality(bundled, index, set(), graph=graph, observed=pair)
    members = len(hierarchy.descendants(graph, group))
    assert as_typical["linked_concept_pairs"] == members + 1 > 1
    assert as_observed["linked_concept_pairs"] == as_observed["observed_concept_pairs"] == 1


def test_observed_links_leave_the_typical_verdicts_alone(
    bundled: Ontology, document: dict[str, Any]
) -> None:
    """Observed links are tested in their own multiple-testing family."""
    plain = with_observed(bundled, {})
    checked = evidence.check(bundled, document)
    without = evidence.check(plain, document)
    typical = [x for x in checked.links if x.relation == "typical"]
    assert [(x.condition, x.feature, x.status) for x in typical] == [
        (x.condition, x.feature, x.status) for x in without.links
    ]
    observed = [x for x in checked.links if x.relation == "observed"]
    assert len(observed) == len(evidence.observed_links(bundled)) > 0
    assert all(x.status == "supported" for x in observed)
    # unlinked frequent concepts are candidates before the observed links exist, not after
    before = {(x.condition, x.feature) for x in without.candidates}
    after = {(x.condition, x.feature) for x in checked.candidates}
    assert after == before - set(evidence.observed_links(bundled))
    text = evidence.format_report(bundled, checked)
    assert f"observed links: {len(observed)}" in text and "with_observed:" in text


def test_the_bundled_curation_is_up_to_date_and_observe_is_idempotent(
    bundled: Ontology, document: dict[str, Any]
) -> None:
    data = _curation()
    result = observe(data, bundled, document)
    assert (result.added, result.dropped) == ([], [])
    assert (
        dumps_curation(result.curation)
        == data_dir("ontology").joinpath(DERM1M_CURATION).read_bytes()
    )


def test_observe_drops_excluded_and_no_longer_frequent_links(
    bundled: Ontology, document: dict[str, Any]
) -> None:
    data = _curation()
    shipped = evidence.observed_links(bundled)
    c, f = shipped[0]
    exclude = {
        "condition": c,
        "feature": bundled.term(f).label,
        "decision": "exclude",
        "reason": "test: label noise",
    }
    data["evidence_decisions"].append(exclude)
    result = observe(data, bundled, document)
    assert result.dropped == [(c, f)] and result.added == []
    assert exclude in result.curation["evidence_decisions"]
    rebuilt = apply_curation(_faithful(), result.curation)
    assert set(evidence.observed_links(rebuilt)) == set(shipped) - {(c, f)}
    # a stricter threshold drops every link whose best rate falls below it
    strict = evidence.CheckOptions(candidate_confidence=0.8)
    result = observe(_curation(), bundled, document, strict)
    index = evidence.EvidenceIndex(document)
    for pair in result.dropped:
        assert max(e.confidence for e in index.evidence(*pair)) < 0.8 or all(
            not evidence.is_frequent(r, index.min_images, strict) for r in index.records[pair]
        )
    assert result.dropped and set(result.kept) | set(result.dropped) == set(shipped)
    decisions = [d for d in result.curation["evidence_decisions"] if d["decision"] == "observe"]
    assert len(decisions) == len(result.kept)


def _faithful() -> Any:
    from derm_onto.importers import import_derm1m

    return import_derm1m(shared_file("derm1m/ontology_tree.json"))


def test_the_rebuilt_ontology_carries_the_curation_observed_links(bundled: Ontology) -> None:
    rebuilt = build_curated(
        shared_file("derm1m/ontology_tree.json"),
        str(data_dir("ontology").joinpath(DERM1M_CURATION)),
    )
    assert evidence.observed_links(rebuilt) == evidence.observed_links(bundled)


def test_cli_observe(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cur.json"
    result = runner.invoke(main, ["associations", "observe", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == data_dir("ontology").joinpath(DERM1M_CURATION).read_bytes()
    assert "0 added, 0 dropped" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = runner.invoke(main, ["associations", "observe", "--curation", str(bad), "-o", "x"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert str(bad) in result.output and not (tmp_path / "x").exists()


def test_issue12_quality_target_held_out_on_the_shared_data(bundled: Ontology) -> None:
    """The issue's target, on images the links were not decided on: the evidenced links
    (typical and observed, each decided on half A by the curation's policy) recover >= 70%
    of the concepts seen in >= 40% of a condition's half-B images, and >= 85% of the linked
    concepts with data are seen in >= 10% of them."""
    tables = [
        str(shared_file(p))
        for p in (
            "skincon/annotations_fitzpatrick17k.csv",
            "fitzpatrick17k/fitzpatrick17k.csv",
            "derm7pt/meta.csv",
            "ham10000/HAM10000_metadata.csv",
            "pad_ufes_20/metadata.csv",
        )
    ]
    result = holdout.holdout(tables, bundled, _curation()["evidence_decisions"])
    measured = result["curated_observed_held_out"]
    assert measured["precision_ge_10pct"] >= 0.85
    assert measured["recall_of_frequent"] >= 0.70
    assert measured["diseases"]["precision_ge_10pct"] >= 0.85
    assert measured["diseases"]["recall_of_frequent"] >= 0.70
    # the typical links alone, as a clinician signs them, stay below the recall target
    assert result["curated_held_out"]["recall_of_frequent"] < measured["recall_of_frequent"]


def test_observed_links_carry_their_evidence_into_sparql(tmp_path: Path) -> None:
    """On the tiny ontology: the policy's observed links, written into the model, come out
    of the RDF as annotation assertions whose evidence the library query reads, beside the
    typical links, in rdflib and Oxigraph alike."""
    from derm_onto import sparql
    from derm_onto.associations.mine import MineOptions, mine
    from derm_onto.associations.rdf_evidence import graph_with_evidence

    from .conftest import TINY
    from .test_associations import _tiny_table

    tiny = load(TINY)
    doc = mine([str(_tiny_table(tmp_path))], tiny, MineOptions(min_images=10))
    wanted = evidence.check(tiny, doc).observed_policy(tiny)
    assert wanted
    grouped: dict[str, list[str]] = {}
    for c, f in sorted(wanted):
        grouped.setdefault(c, []).append(f)
    observed = with_observed(tiny, grouped)
    (tmp_path / "ev.json").write_bytes(evidence.dumps(doc))
    graph = graph_with_evidence(observed, tmp_path / "ev.json")
    condition, feature = sorted(wanted)[0]
    best = max(evidence.EvidenceIndex(doc).evidence(condition, feature), key=lambda e: e.confidence)
    query = sparql.load_query("concepts-of-condition-evidence")
    for engine in ("rdflib", "oxigraph"):
        result = sparql.run_local(observed, query, {"term": condition}, engine, graph=graph)
        rows = [r for r in result.as_dicts() if r["relation"] == "observed"]
        assert {r["feature"] for r in rows} == {f for c, f in wanted if c == condition}
        row = next(r for r in rows if r["feature"] == feature and r["column"] == best.column)
        assert row["status"] == "supported"
        assert (int(row["n_images"]), int(row["n_with_feature"])) == (
            best.n_images,
            best.n_with_feature,
        )


def test_info_counts_both_relations(bundled: Ontology) -> None:
    from derm_onto.summary import format_summary, summarize

    stats = summarize(bundled)
    assert stats["typical_links"] == len(evidence.asserted_links(bundled))
    assert stats["observed_links"] == len(evidence.observed_links(bundled)) > 0
    text = format_summary(stats)
    assert f"observed links   {stats['observed_links']}" in text


def test_prompts_never_name_a_pair_the_curation_excluded(
    bundled: Ontology, document: dict[str, Any]
) -> None:
    """With observed links in the ontology, concept-augmented prompts use only linked
    concepts: take away an observed link a prompt uses (as an `exclude` decision does) and
    the prompt no longer names it, though the evidence still enriches it."""
    from derm_onto.associations.text import ConceptEvidence

    text = ConceptEvidence(bundled, document, k=20)
    observed = set(evidence.observed_links(bundled))
    condition, feature = next(
        (c, f) for c, fs in sorted(text.concepts.items()) for f in fs if (c, f) in observed
    )
    grouped: dict[str, list[str]] = {}
    for c, f in sorted(observed - {(condition, feature)}):
        grouped.setdefault(c, []).append(f)
    excluded = with_observed(bundled, grouped)
    assert feature not in ConceptEvidence(excluded, document, k=20).concepts.get(condition, ())
    unlinked = ConceptEvidence(excluded, document, k=20, linked_only=False)
    assert feature in unlinked.concepts[condition]
    graph = hierarchy.build_graph(bundled)
    typical = {(c.id, f) for c in bundled.conditions for f in c.concepts}
    linked = evidence.implied_links(graph, typical) | observed
    assert all((c, f) in linked for c, fs in text.concepts.items() for f in fs)
