"""Tests of the check's contradiction rule (depletion against the base rate) and of the
held-out evaluation of the links."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.associations import evidence, stats
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
