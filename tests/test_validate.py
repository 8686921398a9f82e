from __future__ import annotations

from typing import Any

import pytest

from derm_onto.validate import (
    ValidationFinding,
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


# -- ontology v2 checks ------------------------------------------------------------------
TINY_BRANCHES = {
    "rules": [
        {
            "codes": "C00-C96",
            "title": "Malignant neoplasms",
            "requires_any": ["malignant"],
            "forbids": ["benign"],
        },
        {"codes": "D10-D36", "title": "Benign neoplasms", "requires_any": ["benign"]},
        {"codes": "L40-L45", "title": "Papulosquamous disorders", "forbids": ["neoplasm"]},
    ],
    "branches": {
        "tiny": {
            "benign": [ids.BENIGN],
            "malignant": [ids.MALIGNANT],
            "neoplasm": [ids.NEOPLASM],
        }
    },
}


def test_xrefs_that_agree_with_the_tree_are_clean(tiny_doc) -> None:
    from derm_onto.validate import xref_branch_findings

    assert xref_branch_findings(tiny_doc, TINY_BRANCHES) == []


def test_xref_branch_conflict_names_both_sides(tiny_doc) -> None:
    from derm_onto.validate import xref_branch_findings

    nevus = next(c for c in tiny_doc["conditions"] if c["id"] == ids.NEVUS)
    nevus["xrefs"] = ["ICD10CM:C43.9"]  # a melanoma code on a benign nevus
    found = xref_branch_findings(tiny_doc, TINY_BRANCHES)
    assert {f.code for f in found} == {"xref_branch_conflict"}
    messages = " | ".join(f.message for f in found)
    assert "C00-C96" in messages and ids.NEVUS in messages
    assert f"rules out its ancestor {ids.BENIGN}" in messages  # the contradicting side
    assert f"needs an ancestor in malignant ({ids.MALIGNANT})" in messages  # the expected one


def test_xref_rules_only_apply_to_the_ontology_they_name(tiny_doc) -> None:
    from derm_onto.validate import xref_branch_findings

    tiny_doc["conditions"][2]["xrefs"] = ["ICD10CM:C43.9"]  # psoriasis with a melanoma code
    assert xref_branch_findings(tiny_doc, TINY_BRANCHES)
    tiny_doc["id"] = "other"
    assert xref_branch_findings(tiny_doc, TINY_BRANCHES) == []


@pytest.mark.parametrize(
    ("code", "inside"),
    [("C4A.9", True), ("C96.6", True), ("C97", False), ("B99.9", False), ("D09.9", False)],
)
def test_icd_ranges_order_letters_after_digits(tiny_doc, code, inside) -> None:
    from derm_onto.validate import xref_branch_findings

    tiny_doc["conditions"][2]["xrefs"] = [f"ICD10CM:{code}"]
    found = [f for f in xref_branch_findings(tiny_doc, TINY_BRANCHES) if "C00-C96" in f.message]
    assert bool(found) is inside


def test_bundled_rule_table_names_existing_branches() -> None:
    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path
    from derm_onto.validate import icd10cm_branch_table

    onto = load(bundled_ontology_path())
    table = icd10cm_branch_table()
    used = {n for r in table["rules"] for n in (*r["requires_any"], *r["forbids"])}
    branches = table["branches"][onto.id]
    assert used <= set(branches)
    for node_ids in branches.values():
        assert all(i in onto and not onto.term(i).obsolete for i in node_ids)


def test_missing_definition_source_warns(tiny_doc) -> None:
    del tiny_doc["conditions"][2]["definition_xrefs"]
    found = [f for f in validate_document(tiny_doc) if f.code == "missing_definition_source"]
    assert [(f.severity, f.path) for f in found] == [("warning", "/conditions/2/definition")]


def test_obsolete_term_checks(tiny_doc) -> None:
    melanoma = next(c for c in tiny_doc["conditions"] if c["id"] == ids.MELANOMA)
    tiny_doc["conditions"].append(
        {
            "id": "TINY:0000099",
            "label": "obsolete melanoma malignum",
            "obsolete": True,
            "replaced_by": ids.MELANOMA,
        }
    )
    assert not [f for f in validate_document(tiny_doc) if "obsolete" in f.code]
    tiny_doc["conditions"].append(
        {
            "id": "TINY:0000098",
            "label": "obsolete x",
            "obsolete": True,
            "replaced_by": "TINY:0000099",
            "parents": [ids.NEOPLASM],
        }
    )
    tiny_doc["conditions"].append(
        {
            "id": "TINY:0000097",
            "label": "obsolete y",
            "obsolete": True,
            "replaced_by": "TINY:0000404",
        }
    )
    melanoma["parents"] = [*melanoma["parents"], "TINY:0000099"]
    found = {(f.code, f.path) for f in validate_document(tiny_doc)}
    n = len(tiny_doc["conditions"])
    assert ("obsolete_replacement", f"/conditions/{n - 2}/replaced_by") in found
    assert ("obsolete_in_hierarchy", f"/conditions/{n - 2}/parents") in found
    assert ("dangling_reference", f"/conditions/{n - 1}/replaced_by") in found
    index = tiny_doc["conditions"].index(melanoma)
    assert ("obsolete_in_hierarchy", f"/conditions/{index}/parents/1") in found


def test_replaced_by_on_a_live_term_warns(tiny_doc) -> None:
    tiny_doc["conditions"][3]["replaced_by"] = ids.PSORIASIS
    found = [f for f in validate_document(tiny_doc) if f.code == "replaced_by_on_live_term"]
    assert [f.path for f in found] == ["/conditions/3/replaced_by"]


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
    info = ValidationFinding("info", "missing_definition", "/x", "m")
    warning = ValidationFinding("warning", "label_whitespace", "/x", "m")
    assert not has_failures([info, warning])
    assert has_failures([warning], strict=True)
    assert not has_failures([info], strict=True)


@pytest.mark.parametrize("kind", ["conditions", "concepts", "findings"])
def test_every_kind_rejects_unknown_keys(tiny_doc, kind: str) -> None:
    tiny_doc[kind][0]["bogus"] = True
    assert ("error", "unknown_key", f"/{kind}/0/bogus") in codes(tiny_doc)


@pytest.mark.parametrize(
    ("escaped", "what"),
    [("\\ud800", "lone surrogate"), ("\\u0000", "control character"), ("\\u0007", "control")],
)
def test_issue10_invalid_characters_are_errors(tiny_doc, tmp_path, escaped, what) -> None:
    import json

    tiny_doc["conditions"][2]["label"] = "hair PLACEHOLDER disease"
    tiny_doc["concepts"][0]["synonyms"] = [{"text": "x PLACEHOLDER", "type": "exact"}]
    text = json.dumps(tiny_doc).replace("PLACEHOLDER", escaped)
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    found = [f for f in validate_file(path) if f.code == "invalid_character"]
    assert sorted(f.path for f in found) == ["/concepts/0/synonyms/0/text", "/conditions/2/label"]
    assert all(f.severity == "error" and what in f.message for f in found)


def test_tabs_and_plain_unicode_are_not_invalid_characters(tiny_doc) -> None:
    tiny_doc["conditions"][2]["definition"] = "Line one.\nLine two:\tcafé, 🙂, Ωmega."
    assert "invalid_character" not in [c for _, c, _ in codes(tiny_doc)]
