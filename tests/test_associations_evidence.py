"""Tests of the check's contradiction rule (depletion against the base rate), its placement
rule, and the held-out evaluation of the links."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.associations import evidence, holdout, stats
from derm_onto.associations.evidence import CheckOptions, Evidence, LinkReport
from derm_onto.jsonio import load
from derm_onto.model import Ontology
from derm_onto.resources import bundled_ontology_path


@pytest.fixture(scope="module")
def bundled() -> Ontology:
    return load(bundled_ontology_path())


def _row(n_cf: int, n_c: int, n_f: int, n: int, feature: str = "f") -> Evidence:
    low, high = stats.wilson([n_cf], [n_c])
    return Evidence(
        "c", feature, "s", "col", n_c, n_cf, n_f, n, n_cf / n_c, float(low[0]), float(high[0]),
        (n_cf / n_c) / (n_f / n) if n_f else 0.0, None,
    )  # fmt: skip


def _statuses(rows: list[Evidence], options: CheckOptions | None = None) -> list[str]:
    options = options or CheckOptions()
    links = [LinkReport("c", r.feature, "no_data", [r]) for r in rows]
    return [evidence.verdict(x.evidence, options) for x in evidence.with_depletion(links)]


@st.composite
def tables(draw: Any) -> tuple[int, int, int, int]:
    """A consistent 2x2 table: n images, n_c of the condition, n_f with the feature, n_cf
    both."""
    n = draw(st.integers(2, 4000))
    n_c = draw(st.integers(1, n))
    n_f = draw(st.integers(0, n))
    n_cf = draw(st.integers(max(0, n_c + n_f - n), min(n_c, n_f)))
    return n_cf, n_c, n_f, n


@settings(max_examples=60, deadline=None)
@given(tables())
def test_depletion_p_is_fishers_lower_tail(table: tuple[int, int, int, int]) -> None:
    from scipy.stats import fisher_exact

    n_cf, n_c, n_f, n = table
    expected = fisher_exact([[n_cf, n_c - n_cf], [n_f - n_cf, n - n_c - n_f + n_cf]], "less")[1]
    assert evidence.depletion_p([_row(*table)])[0] == pytest.approx(expected, abs=1e-9)


@st.composite
def at_base_rate(draw: Any) -> tuple[int, int, int, int]:
    """A table whose condition shows the feature exactly at the base rate."""
    n = draw(st.integers(2, 4000))
    n_c = draw(st.integers(1, n))
    step = n // math.gcd(n, n_c)  # n_f a multiple of this makes n_c * n_f / n whole
    n_f = step * draw(st.integers(0, n // step))
    return n_c * n_f // n, n_c, n_f, n


@settings(max_examples=80, deadline=None)
@given(at_base_rate(), st.floats(0.001, 0.45))
def test_a_link_at_the_base_rate_is_never_contradicted(
    table: tuple[int, int, int, int], alpha: float
) -> None:
    options = CheckOptions(alpha=alpha, contradict_below=1.0, support_confidence=1.01)
    assert evidence.depletion_p([_row(*table)])[0] >= 0.5
    assert _statuses([_row(*table)], options) == ["weak"]


@settings(max_examples=60, deadline=None)
@given(st.lists(tables(), min_size=1, max_size=8), st.data())
def test_the_rule_is_monotone_in_counts(tables: list[Any], data: Any) -> None:
    """One more image of the condition with the feature never makes any link (in the same
    BH family) contradicted."""
    i = data.draw(st.integers(0, len(tables) - 1))
    n_cf, n_c, n_f, n = tables[i]
    assume_room = n_cf < min(n_c, n_f)
    if not assume_room:
        return
    rows = [_row(*t, feature=str(k)) for k, t in enumerate(tables)]
    more = list(rows)
    more[i] = _row(n_cf + 1, n_c, n_f, n, feature=str(i))
    before, after = _statuses(rows), _statuses(more)
    for b, a in zip(before, after, strict=True):
        assert not (a == "contradicted" and b != "contradicted")


def test_rare_annotations_never_contradict_but_depletion_does() -> None:
    """Macule is marked in 13 of SkinCon's 3,230 images: absent from 94 images of a
    condition is what chance predicts. Erythema (2,139 of 3,230) absent from 94 is not."""
    macule = _row(0, 94, 13, 3230)
    erythema = _row(0, 94, 2139, 3230)
    assert _statuses([macule, erythema]) == ["weak", "contradicted"]
    # seen in 12% of the images: supported, whatever the base rate
    assert _statuses([_row(11, 94, 2139, 3230)]) == ["supported"]
    # depleted, but the observed rate is not low beyond doubt (upper bound >= 25%)
    assert _statuses([_row(1, 12, 3000, 3230)], CheckOptions(support_confidence=0.2)) == ["weak"]


def test_bundled_contradictions_are_all_below_their_base_rate(bundled: Ontology) -> None:
    report = evidence.check(bundled, evidence.read(evidence.default_path()))
    for link in report.links:
        if link.status != "contradicted":
            continue
        assert any(
            e.n_with_feature < e.n_images * e.n_feature / e.n_total
            and e.q_depleted is not None
            and e.q_depleted < 0.05
            for e in link.evidence
        ), link
    # the feature the example names, macule, cannot contradict anything
    macule = next(t.id for t in bundled.concepts if t.label == "macule")
    assert all(x.status != "contradicted" for x in report.links if x.feature == macule)


# -- held-out: split by case, decide on A, measure on B ---------------------------------------


def _derm1m_rows(n_per_class: int = 30) -> list[str]:
    rows = []
    for i in range(n_per_class):
        rows.append(f"img/p{i}.jpg,psoriasis,scale,face,itch")
        rows.append(f"img/m{i}.jpg,melanoma,pigment network,No body location information,None")
        rows.append(f"img/b{i}.jpg,basal cell carcinoma,papule,face,No symptom information")
    return rows


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text(
        "filename,disease_label,skin_concept,body_location,symptoms\n" + "\n".join(rows)
    )
    return path


def _halves(folder: Path, table: Path) -> tuple[list[str], list[str]]:
    import pyarrow.parquet as pq

    a, b = holdout.split_tables([str(table)], folder)
    return (
        pq.read_table(a[0]).column("filename").to_pylist(),
        pq.read_table(b[0]).column("filename").to_pylist(),
    )


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=60),
    st.randoms(use_true_random=False),
)
def test_split_keeps_every_row_once_cases_together_and_ignores_order(
    tmp_path_factory: Any, cases: list[int], rnd: Any
) -> None:
    folder = tmp_path_factory.mktemp("split")
    rows = [f"case{c}.jpg,psoriasis,scale,face,itch" for c in cases]  # repeated cases
    a, b = _halves(folder / "1", _write(folder / "t.csv", rows))
    assert sorted(a + b) == sorted(f"case{c}.jpg" for c in cases)
    assert not set(a) & set(b)  # a case's images never straddle the halves
    assert all(holdout.half_of(k) == "A" for k in a) and all(holdout.half_of(k) == "B" for k in b)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a2, b2 = _halves(folder / "2", _write(folder / "s.csv", shuffled))
    assert sorted(a2) == sorted(a) and sorted(b2) == sorted(b)


def test_split_passes_label_only_tables_whole(tmp_path: Path) -> None:
    labels = tmp_path / "fitz.csv"
    labels.write_text("md5hash,fitzpatrick_scale,label\na,1,psoriasis\n")
    skincon = tmp_path / "skincon.csv"
    skincon.write_text(
        "ImageID,Vesicle,Papule,Do not consider this image\na.jpg,0,1,0\nb.jpg,0,0,0\n"
    )
    a, b = holdout.split_tables([str(skincon), str(labels)], tmp_path / "h")
    assert a[1] == b[1] == str(labels)
    assert a[0] != b[0] and Path(a[0]).is_file() and Path(b[0]).is_file()


def test_holdout_decides_on_a_and_measures_on_b(tmp_path: Path) -> None:
    from derm_onto.associations.mine import MineOptions

    from .conftest import TINY

    tiny = load(TINY)
    table = _write(tmp_path / "d.csv", _derm1m_rows(40))
    reject = {"condition": "basal cell carcinoma", "feature": "papule", "decision": "reject"}
    result = holdout.holdout(
        [str(table)], tiny, [{**reject, "reason": "test"}], mine_options=MineOptions(min_images=5)
    )
    a, b = result["rows"]["derm1m"]
    assert a + b == 120 and a > 20 and b > 20
    assert result["proposed"] >= 1 and result["taken_by_the_curation"] == result["proposed"] - 1
    # BCC -> papule is in every BCC image of both halves: the rule finds it, the curation not
    rule = result["rule_held_out"]
    curated = result["curated_held_out"]
    assert rule["recall_of_frequent"] > curated["recall_of_frequent"]
    assert rule["linked_concept_pairs"] == curated["linked_concept_pairs"] + 1
    assert "diseases" in rule and holdout.format_holdout(result).count("held_out") == len(
        holdout.SETS
    )


def test_placement_rule_on_the_tiny_hierarchy(tmp_path: Path) -> None:
    from derm_onto.associations.mine import MineOptions, mine

    from . import ids
    from .conftest import TINY

    tiny = load(TINY)
    doc = mine([str(_write(tmp_path / "d.csv", _derm1m_rows()))], tiny, MineOptions(min_images=5))
    report = evidence.check(tiny, doc)
    notes = {(x.condition, x.feature): x.note for x in report.candidates}
    assert notes[(ids.BCC, ids.PAPULE)] == ""  # a leaf: proposed
    assert notes[(ids.NEOPLASM, ids.PAPULE)] == "a top category"
    assert notes[(ids.MALIGNANT, ids.PAPULE)] == (
        "a group whose member 'malignant melanocytic' shows it in 0%"
    )
    assert notes[(ids.PSORIASIS, ids.FACE)].startswith("a finding")
    summary = report.summary["after_removing_contradicted_and_adding_proposed"]
    assert summary["diseases"]["frequent_pairs_ge_40pct"] <= summary["frequent_pairs_ge_40pct"]


def test_cli_check_holdout(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from derm_onto.cli import main

    from .conftest import TINY

    table = _write(tmp_path / "d.csv", _derm1m_rows(40))
    out = tmp_path / "ev.json"
    runner = CliRunner()
    result = runner.invoke(
        main, ["associations", "mine", str(table), "--ontology", str(TINY), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    args = ["associations", "check", "--evidence", str(out), "--ontology", str(TINY)]
    result = runner.invoke(
        main, [*args, "--holdout", str(table), "--holdout-splits", "2", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["holdout"]
    first, second = report["splits"]
    assert set(first["rows"]) == {"derm1m"} and first["salt"] != second["salt"]
    assert first["rows"] != second["rows"]  # another salt, another split
    spread = report["summary"]["rule_held_out"]["recall"]
    values = [
        first["rule_held_out"]["recall_of_frequent"],
        second["rule_held_out"]["recall_of_frequent"],
    ]
    assert (spread["min"], spread["max"]) == (min(values), max(values))
    result = runner.invoke(main, [*args, "--holdout", str(table), "--holdout-splits", "2"])
    assert "held-out over 2 splits" in result.stdout and "asserted links:" in result.stdout
    result = runner.invoke(main, [*args, "--holdout", str(tmp_path / "nosuch.csv")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_the_curation_policy_on_all_the_data_rebuilds_the_shipped_links(
    bundled: Ontology,
) -> None:
    """Applied to the full evidence, the decisions (as :func:`holdout.evaluate` applies them
    to half A) give exactly the asserted links: the held-out figure measures what ships."""
    import json

    from derm_onto.resources import DERM1M_CURATION, data_dir

    data = json.loads(data_dir("ontology").joinpath(DERM1M_CURATION).read_text("utf-8"))
    document = evidence.read(evidence.default_path())
    result = holdout.evaluate(bundled, document, document, data["evidence_decisions"])
    assert result["curated_in_sample"] == result["shipped_in_sample"]
    assert result["curated_observed_in_sample"] == result["shipped_observed_in_sample"]
    assert result["taken_by_the_curation"] > 0 and result["contradicted"] == 0


def test_characteristic_recall_counts_frequent_and_enriched_pairs() -> None:
    """recall_of_characteristic, on the bundled evidence, equals a per-pair reference: the
    (condition, concept) pairs some source row shows in >= 40% of >= min images AND
    enriched (its `significant` flag), and the share of them linked, inherited included."""
    from derm_onto import hierarchy

    onto = load(bundled_ontology_path())
    doc = evidence.read(evidence.default_path())
    index = evidence.EvidenceIndex(doc)
    options = evidence.CheckOptions()
    direct = {(t.id, c) for t in onto.conditions for c in t.concepts}
    measured = evidence.quality(onto, index, direct, options)
    graph = hierarchy.build_graph(onto)
    linked = set(evidence.implied_links(graph, direct))
    concepts = {t.id for t in onto.concepts}
    wanted: set[tuple[str, str]] = set()
    for row in doc["associations"]:
        if (
            row["feature"] in concepts
            and row["confidence"] >= options.candidate_confidence
            and row["n_images"] >= index.min_images
            and row["significant"]
        ):
            wanted.add((row["condition"], row["feature"]))
    assert measured["characteristic_pairs"] == len(wanted) > 0
    assert measured["characteristic_pairs"] <= measured["frequent_pairs_ge_40pct"]
    assert measured["recall_of_characteristic"] == round(len(wanted & linked) / len(wanted), 4)
