from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.cli import main
from derm_onto.errors import DermOntoError
from derm_onto.importers import import_derm1m, import_derm1m_data, split_name
from derm_onto.jsonio import dumps, to_dict
from derm_onto.validate import has_failures, validate_document

from .conftest import shared_file


@pytest.fixture(scope="module")
def flat():
    return import_derm1m(shared_file("derm1m/ontology.json"))


@pytest.fixture(scope="module")
def tree():
    return import_derm1m(shared_file("derm1m/ontology_tree.json"))


def released_names(path: Path) -> set[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if "root" in data:
        return {k for k in data if k != "root"}
    names: set[str] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        names.update(node)
        stack.extend(node.values())
    return names


def test_flat_import_is_faithful(flat) -> None:
    names = released_names(shared_file("derm1m/ontology.json"))
    assert len(flat.ontology.conditions) == len(names) == 369
    assert {c.provenance[0] for c in flat.ontology.conditions} == names
    melanocytic = [c for c in flat.ontology.conditions if c.provenance == ("melanocytic",)]
    assert len(melanocytic) == 1 and len(melanocytic[0].parents) == 2
    codes = [(q.code, q.where) for q in flat.quirks]
    assert ("ambiguous_node", "melanocytic") in codes
    assert ("ambiguous_node", "non-melanocytic") in codes


def test_tree_import_keeps_the_two_melanocytic_nodes_apart(tree) -> None:
    names = released_names(shared_file("derm1m/ontology_tree.json"))
    by_name = {}
    for c in tree.ontology.conditions:
        by_name.setdefault(c.provenance[0], []).append(c)
    assert set(by_name) == names - {""}
    assert len(by_name["melanocytic"]) == 2
    parents = {tree.ontology.term(c.parents[0]).label for c in by_name["melanocytic"]}
    assert parents == {"benign", "malignant"}
    assert {c.label for c in by_name["melanocytic"]} == {
        "melanocytic (benign)",
        "melanocytic (malignant)",
    }
    assert any(q.code == "empty_name" and "Bullous disease" in q.where for q in tree.quirks)


@pytest.mark.parametrize("which", ["flat", "tree"])
def test_imports_are_valid_and_keep_the_top_level(which, request) -> None:
    result = request.getfixturevalue(which)
    findings = validate_document(to_dict(result.ontology))
    assert not has_failures(findings)
    top = {c.provenance[0] for c in result.ontology.conditions if not c.parents}
    assert top == set(json.loads(shared_file("derm1m/ontology.json").read_text())["root"])


def test_comma_names_become_label_and_synonyms(tree) -> None:
    by_name = {c.provenance[0]: c for c in tree.ontology.conditions}
    lsc = by_name["Lichen simplex chronicus, "]
    assert lsc.label == "Lichen simplex chronicus" and lsc.synonyms == ()
    grover = by_name[
        "Transient acantholytic dermatosis, Grover's disease, Transient acantholytic dermatosis"
    ]
    assert [s.text for s in grover.synonyms] == ["Grover's disease"]
    assert by_name["Chronic dermatitis, NOS"].label == "Chronic dermatitis, NOS"
    assert any(q.code == "name_list" and "trailing comma" in q.message for q in tree.quirks)


def test_import_is_deterministic() -> None:
    path = shared_file("derm1m/ontology_tree.json")
    assert dumps(import_derm1m(path).ontology) == dumps(import_derm1m(path).ontology)


def test_cli_import_prints_every_quirk_one_line_each(runner, tmp_path: Path, tree) -> None:
    out = tmp_path / "faithful.json"
    src = shared_file("derm1m/ontology_tree.json")
    result = runner.invoke(main, ["import", "derm1m", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    quirk_lines = [line for line in result.output.splitlines() if ": quirk " in line]
    assert len(quirk_lines) == len(tree.quirks)
    assert out.read_bytes() == dumps(tree.ontology)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "non-empty JSON object"),
        ({"root": ["a"], "a": ["b"]}, "has no entry of its own"),
        ({"root": ["a"], "a": ["a"]}, "cycle"),
        ({"a": {"b": 3}}, "children must be an object"),
        ({"a": 3}, "neither a flat map"),
    ],
)
def test_bad_release_shapes_are_clear_errors(data, fragment) -> None:
    with pytest.raises(DermOntoError, match=fragment):
        import_derm1m_data(data, "bad.json")


# names a release could hold; characters no XML file can carry are tested separately below
names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() and "," not in s)


@pytest.mark.parametrize("name", ["\x1b", "hair \x00 disease", "bell\x07"])
def test_issue10_control_characters_in_a_release_are_one_line(runner, tmp_path, name) -> None:
    source = tmp_path / "release.json"
    source.write_text(json.dumps({"top": {name: {}}}), encoding="utf-8")
    out = tmp_path / "out.json"
    result = runner.invoke(main, ["import", "derm1m", str(source), "-o", str(out), "-q"])
    assert result.exit_code == 1
    assert "invalid_character" in result.output and "Traceback" not in result.output
    assert not out.exists()


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        names,
        st.dictionaries(names, st.dictionaries(names, st.just({}), max_size=3), max_size=3),
        min_size=1,
        max_size=4,
    )
)
def test_any_tree_imports_to_a_valid_ontology(tree_data) -> None:
    tree_data = {**tree_data, " A ": {"a": {}, "A": {}}, "a": {}}  # names that differ in case only
    result = import_derm1m_data(tree_data, "gen.json")
    findings = validate_document(to_dict(result.ontology))
    assert not [f for f in findings if f.severity == "error"], findings
    released = set()
    stack = [tree_data]
    while stack:
        node = stack.pop()
        released.update(node)
        stack.extend(node.values())
    assert {p for c in result.ontology.conditions for p in c.provenance} == released


@given(st.lists(names, min_size=1, max_size=4))
def test_split_name_keeps_every_distinct_part(parts) -> None:
    label, synonyms, _ = split_name(", ".join(parts))
    assert label == parts[0].strip()
    kept = [label, *synonyms]
    assert len({" ".join(k.split()).casefold() for k in kept}) == len(kept)
