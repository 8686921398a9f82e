"""SSSOM export: sssom-py parses and validates what we write (issue 13.6)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sssom.parsers import parse_sssom_table
from sssom.validators import DEFAULT_VALIDATION_TYPES, validate

from derm_onto.jsonio import load
from derm_onto.model import Condition, Ontology
from derm_onto.resources import bundled_ontology_path
from derm_onto.sssom import JUSTIFICATION, dumps_sssom, mapping_rows
from tests import ids


def parse_and_validate(path: Path) -> Any:
    msdf = parse_sssom_table(str(path))
    reports = validate(msdf, DEFAULT_VALIDATION_TYPES, fail_on_error=False)
    problems = {kind: report.results for kind, report in reports.items() if report.results}
    assert problems == {}
    return msdf


def live_xrefs(onto: Ontology) -> set[tuple[str, str]]:
    return {(t.id, x) for t in onto.terms() if not t.obsolete for x in t.xrefs}


@pytest.fixture(scope="module")
def bundled() -> Ontology:
    return load(bundled_ontology_path())


def test_bundled_mappings_parse_and_validate(bundled: Ontology, tmp_path: Path) -> None:
    path = tmp_path / "derm.sssom.tsv"
    path.write_bytes(dumps_sssom(bundled))
    msdf = parse_and_validate(path)
    df = msdf.df
    assert set(zip(df["subject_id"], df["object_id"], strict=True)) == live_xrefs(bundled)
    assert len(df) == len(live_xrefs(bundled))
    assert set(df["predicate_id"]) == {"oboInOwl:hasDbXref"}
    assert set(df["mapping_justification"]) == {JUSTIFICATION}
    labels = dict(zip(df["subject_id"], df["subject_label"], strict=True))
    assert all(labels[t] == bundled.term(t).label for t in labels)
    assert msdf.metadata["license"] == bundled.license
    # the curie map expands every prefix the rows use as the ontology declares it
    for prefix in {x.partition(":")[0] for _, x in live_xrefs(bundled)}:
        assert msdf.converter.expand(f"{prefix}:1") == bundled.prefixes[prefix] + "1"


def test_exact_match_predicate_validates(tiny: Ontology, tmp_path: Path) -> None:
    path = tmp_path / "tiny.sssom.tsv"
    path.write_bytes(dumps_sssom(tiny, predicate="skos:exactMatch"))
    msdf = parse_and_validate(path)
    assert set(msdf.df["predicate_id"]) == {"skos:exactMatch"}
    assert (
        msdf.converter.expand("skos:exactMatch") == "http://www.w3.org/2004/02/skos/core#exactMatch"
    )


def test_unknown_predicate_is_refused(tiny: Ontology) -> None:
    with pytest.raises(ValueError, match="unknown mapping predicate"):
        mapping_rows(tiny, predicate="owl:sameAs")


def test_validator_would_catch_a_missing_prefix(tiny: Ontology, tmp_path: Path) -> None:
    """The validation above is not vacuous: drop a prefix from the curie map and it fails."""
    text = dumps_sssom(tiny).decode()
    doctored = "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("#  ICD10CM:")
    )
    assert doctored != text
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(doctored, encoding="utf-8")
    msdf = parse_sssom_table(str(path))
    reports = validate(msdf, DEFAULT_VALIDATION_TYPES, fail_on_error=False)
    assert any(report.results for report in reports.values())


def test_obsolete_terms_have_no_mappings(tiny: Ontology) -> None:
    retired = dataclasses.replace(tiny.condition(ids.PSORIASIS), obsolete=True)
    onto = dataclasses.replace(
        tiny,
        conditions=tuple(retired if c.id == ids.PSORIASIS else c for c in tiny.conditions),
    )
    subjects = {row["subject_id"] for row in mapping_rows(onto)}
    assert ids.PSORIASIS not in subjects
    assert ids.GUTTATE_PSORIASIS in subjects


def test_deterministic(tiny: Ontology) -> None:
    shuffled = dataclasses.replace(tiny, conditions=tuple(reversed(tiny.conditions)))
    assert dumps_sssom(tiny) == dumps_sssom(shuffled)


LABEL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\"'#"),
    min_size=1,
    max_size=20,
).filter(
    lambda s: (
        s.strip() == s and s.strip() != "" and s.lower() not in {"nan", "null", "na", "n/a", "none"}
    )
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(label=LABEL)
def test_any_label_survives_sssom_py(label: str, tmp_path: Path) -> None:
    onto = Ontology(
        id="demo",
        title="Demo",
        base_iri="https://example.org/demo/",
        prefixes={"DEMO": "https://example.org/demo/DEMO_", "ICD10CM": "http://example.org/icd/"},
        license="https://creativecommons.org/licenses/by/4.0/",
        conditions=(Condition(id="DEMO:1", label=label, xrefs=("ICD10CM:L00-L99",)),),
    )
    path = tmp_path / "one.sssom.tsv"
    path.write_bytes(dumps_sssom(onto))
    msdf = parse_sssom_table(str(path))
    assert list(msdf.df["subject_label"]) == [label]
    assert list(msdf.df["object_id"]) == ["ICD10CM:L00-L99"]
