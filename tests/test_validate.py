from __future__ import annotations

from typing import Any

import pytest

from derm_onto.validate import (
    Finding,
    has_failures,
    normalise_label,
    pointer,
    validate_document,
    validate_file,
)

from . import ids


def codes(document: Any) -> list[tuple[str, str, str]]:
    return [(f.severity, f.code, f.path) for f in validate_document(document)]


def test_tiny_has_only_the_planted_info(tiny_doc) -> None:
    assert codes(tiny_doc) == [("info", "missing_definition", "/concepts/2")]


def test_bundled_ontologies_are_strictly_clean() -> None:
    from derm_onto.resources import bundled_ontologies

    paths = bundled_ontologies()
    assert {p.name for p in paths} >= {"starter.json", "derm1m.json"}
    for path in paths:
        findings = validate_file(path)
        assert not has_failures(findings, strict=True), [f.format(path.name) for f in findings]


# -- schema -------------------------------------------------------------------------------
def test_unknown_key_points_at_the_key(tiny_doc) -> None:
    tiny_doc["conditions"][3]["colour"] = "red"
    tiny_doc["extra"] = 1
    found = validate_document(tiny_doc)
    assert ("error", "unknown_key", "/conditions/3/colour") in [
        (f.severity, f.code, f.path) for f in found
    ]
    assert any(f.path == "/extra" and "allowed keys" in f.message for f in found)


def test_missing_key_and_wrong_type(tiny_doc) -> None:
    del tiny_doc["conditions"][0]["label"]
    tiny_doc["conditions"][1]["parents"] = "TINY:0000001"
    found = codes(tiny_doc)
    assert ("error", "missing_key", "/conditions/0") in found
    assert ("error", "wrong_type", "/conditions/1/parents") in found


def test_malformed_xref_and_id(tiny_doc) -> None:
    tiny_doc["conditions"][2]["xrefs"] = ["ICD10CM L40.9"]
    tiny_doc["conditions"][3]["id"] = "guttate psoriasis"
    found = codes(tiny_doc)
    assert ("error", "invalid_xref", "/conditions/2/xrefs/0") in found
    assert ("error", "invalid_id", "/conditions/3/id") in found


def test_xref_local_part_checked_for_known_schemes(tiny_doc) -> None:
    tiny_doc["conditions"][2]["xrefs"] = ["ICD10CM:psoriasis", "HP:12"]
    found = codes(tiny_doc)
    assert ("error", "invalid_xref", "/conditions/2/xrefs/0") in found
    assert ("error", "invalid_xref", "/conditions/2/xrefs/1") in found


def test_bad_synonym_type_and_duplicate_list_item(tiny_doc) -> None:
    tiny_doc["conditions"][2]["synonyms"][0]["type"] = "EXACT"
    tiny_doc["conditions"][12]["parents"].append(ids.PSORIASIS)
    found = validate_document(tiny_doc)
    assert any(
        f.code == "invalid_value"
        and f.path == "/conditions/2/synonyms/0/type"
        and "exact, related" in f.message
        for f in found
    )
    assert any(f.code == "duplicate_item" and f.path == "/conditions/12/parents" for f in found)


# -- semantic -----------------------------------------------------------------------------
def test_duplicate_id(tiny_doc) -> None:
    tiny_doc["findings"][1]["id"] = ids.ITCH
    found = validate_document(tiny_doc)
    dup = [f for f in found if f.code == "duplicate_id"]
    assert [f.path for f in dup] == ["/findings/1/id"]
    assert "/findings/0" in dup[0].message


def test_undeclared_prefix(tiny_doc) -> None:
    tiny_doc["conditions"][2]["xrefs"].append("DOID:8893")
    assert ("error", "undeclared_prefix", "/conditions/2/xrefs/1") in codes(tiny_doc)


def test_dangling_and_wrong_kind_references(tiny_doc) -> None:
    tiny_doc["conditions"][2]["concepts"].append("TINY:0100099")
    tiny_doc["conditions"][2]["findings"].append(ids.PAPULE)
    tiny_doc["concepts"][0]["parents"] = [ids.PSORIASIS]
    found = codes(tiny_doc)
    assert ("error", "dangling_reference", "/conditions/2/concepts/2") in found
    assert ("error", "wrong_kind", "/conditions/2/findings/1") in found
    assert ("error", "wrong_kind", "/concepts/0/parents/0") in found


def test_cycle_names_every_id_on_it(tiny_doc) -> None:
    tiny_doc["conditions"][0]["parents"] = [ids.PSORIASIS]  # skin disease under psoriasis
    found = [f for f in validate_document(tiny_doc) if f.code == "cycle"]
    assert len(found) == 1
    # each id's parent is the next one on the cycle
    assert found[0].message.endswith(
        f"{ids.SKIN_DISEASE} -> {ids.PSORIASIS} -> {ids.INFLAMMATORY} -> {ids.SKIN_DISEASE}"
    )
    assert found[0].path == "/conditions/0/parents"


def test_self_parent_is_a_cycle(tiny_doc) -> None:
    tiny_doc["conditions"][4]["parents"] = [ids.NEOPLASM]
    assert ("error", "cycle", "/conditions/4/parents") in codes(tiny_doc)


def test_duplicate_label_ignores_case_and_spacing(tiny_doc) -> None:
    tiny_doc["conditions"][11]["label"] = "Melanoma "
    found = codes(tiny_doc)
    assert ("error", "duplicate_label", "/conditions/11/label") in found
    assert ("warning", "label_whitespace", "/conditions/11/label") in found


def test_same_label_in_two_kinds_is_an_error(tiny_doc) -> None:
    """ROBOT treats a label shared by a condition and a concept as an error (issue #11)."""
    tiny_doc["findings"][1]["label"] = "psoriasis"
    found = [f for f in validate_document(tiny_doc) if f.code == "duplicate_label"]
    assert [(f.severity, f.path) for f in found] == [("error", "/findings/1/label")]
    assert "condition" in found[0].message and "across kinds" in found[0].message


def test_synonym_checks(tiny_doc) -> None:
    tiny_doc["conditions"][2]["synonyms"].append({"text": "Psoriasis", "type": "exact"})
    tiny_doc["conditions"][10]["synonyms"].append({"text": "melanocytic nevus", "type": "exact"})
    tiny_doc["conditions"][11]["synonyms"].append({"text": "melanoma", "type": "related"})
    tiny_doc["conditions"][11]["synonyms"].append({"text": "mole", "type": "exact"})
    found = codes(tiny_doc)
    assert ("warning", "synonym_is_label", "/conditions/2/synonyms/1") in found
    assert ("warning", "synonym_clash", "/conditions/10/synonyms/1") in found
    assert ("warning", "shared_exact_synonym", "/conditions/11/synonyms/2") in found
    # a related synonym may name another entry (associated, not equivalent)
    assert not any(p == "/conditions/11/synonyms/1" for _, _, p in found)


def test_missing_definition_is_info(tiny_doc) -> None:
    del tiny_doc["conditions"][5]["definition"]
    assert ("info", "missing_definition", "/conditions/5") in codes(tiny_doc)


def test_all_findings_are_returned_not_the_first(tiny_doc) -> None:
    tiny_doc["conditions"][0]["oops"] = 1
    tiny_doc["conditions"][2]["parents"] = ["TINY:7777777"]
    tiny_doc["conditions"][3]["label"] = "psoriasis"
    got = {c for _, c, _ in codes(tiny_doc)}
    assert {"unknown_key", "dangling_reference", "duplicate_label"} <= got


def test_semantic_checks_survive_schema_garbage(tiny_doc) -> None:
    tiny_doc["conditions"].append("not an object")
    tiny_doc["conditions"].append({"id": 5, "parents": [1, None]})
    tiny_doc["prefixes"] = []
    found = validate_document(tiny_doc)
    assert any(f.code == "wrong_type" for f in found)


def test_unreadable_file_is_one_finding(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{\n")
    (finding,) = validate_file(bad)
    assert finding.severity == "error" and finding.code == "invalid_json"
    assert "line 2" in finding.message


def test_helpers() -> None:
    assert pointer("a/b", "c~d", 0) == "/a~1b/c~0d/0"
    assert normalise_label("A\tB  c") == "a b c"
    info = Finding("info", "missing_definition", "/x", "m")
    warning = Finding("warning", "label_whitespace", "/x", "m")
    assert not has_failures([info, warning])
    assert has_failures([warning], strict=True)
    assert not has_failures([info], strict=True)


@pytest.mark.parametrize("kind", ["conditions", "concepts", "findings"])
def test_every_kind_rejects_unknown_keys(tiny_doc, kind: str) -> None:
    tiny_doc[kind][0]["bogus"] = True
    assert ("error", "unknown_key", f"/{kind}/0/bogus") in codes(tiny_doc)
