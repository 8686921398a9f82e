from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.errors import OntologyLoadError, OntologyValidationError
from derm_onto.jsonio import MAX_NESTING, dump, dumps, from_dict, load, parse_json, read_document
from derm_onto.model import Condition
from derm_onto.resources import bundled_ontologies
from derm_onto.validate import validate_document

from .conftest import TINY

BUNDLED = bundled_ontologies()


@pytest.mark.parametrize("path", [TINY, *BUNDLED], ids=lambda p: p.name)
def test_canonical_files_round_trip_byte_for_byte(path: Path) -> None:
    assert dumps(load(path)) == path.read_bytes()


def test_dump_sorts_entries_and_lists(tiny, tmp_path: Path) -> None:
    shuffled = dataclasses.replace(tiny, conditions=tuple(reversed(tiny.conditions)))
    out = tmp_path / "o.json"
    dump(shuffled, out)
    assert out.read_bytes() == TINY.read_bytes()


def test_canonical_form_is_utf8_two_space_final_newline(tmp_path: Path, tiny) -> None:
    onto = dataclasses.replace(tiny, title="Dermatologie \u2013 café")
    data = dumps(onto)
    assert data.endswith(b"}\n") and not data.endswith(b"\n\n")
    assert "café".encode() in data  # not \u escaped
    assert b'\n  "base_iri"' in data


def test_dump_failure_leaves_nothing_behind(tmp_path: Path, tiny, monkeypatch) -> None:
    out = tmp_path / "o.json"
    out.write_bytes(b"old")

    def boom(_: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr("derm_onto.jsonio.dumps", boom)
    with pytest.raises(RuntimeError):
        dump(tiny, out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"]


@pytest.mark.parametrize(
    ("data", "code", "fragment"),
    [
        (b"", "empty_file", "empty"),
        (b"  \n\t ", "empty_file", "empty"),
        (b'{"id": "x",\n "title": }', "invalid_json", "line 2 column 11"),
        (b'{"id": "caf\xe9"}', "not_utf8", "byte 0xe9 at offset 11"),
        (b'{"a": 1, "b": {"id": "X:1", "k": 1, "k": 2}}', "duplicate_key", "'k'"),
        (b'{"a": NaN}', "invalid_json", "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep", "nested"),
        (b'{"a":' * (MAX_NESTING + 1) + b"1" + b"}" * (MAX_NESTING + 1), "too_deep", "nested"),
    ],
)
def test_bad_json_gets_one_clear_error(data: bytes, code: str, fragment: str) -> None:
    with pytest.raises(OntologyLoadError) as info:
        parse_json(data, "bad.json")
    assert info.value.code == code
    message = str(info.value)
    assert message.startswith("bad.json: ")
    assert fragment in message
    assert "\n" not in message


def test_duplicate_key_names_the_entry() -> None:
    with pytest.raises(OntologyLoadError, match=r"'label'.*'TINY:1'"):
        parse_json(b'{"conditions": [{"id": "TINY:1", "label": "a", "label": "b"}]}')


@pytest.mark.parametrize(
    ("text", "kind"), [("[]", "an array"), ('"x"', "a string"), ("3", "a number"), ("null", "null")]
)
def test_top_level_must_be_an_object(tmp_path: Path, text: str, kind: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(text)
    with pytest.raises(OntologyLoadError, match=f"top level is {kind}"):
        read_document(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(OntologyLoadError, match="no such file"):
        read_document(tmp_path / "nope.json")
    with pytest.raises(OntologyLoadError, match="directory"):
        read_document(tmp_path)


def test_bom_is_accepted() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_load_refuses_error_findings(tiny_doc, write_json) -> None:
    tiny_doc["conditions"][2]["parents"] = ["TINY:9999999"]
    with pytest.raises(OntologyValidationError) as info:
        load(write_json(tiny_doc))
    assert "dangling_reference" in str(info.value)
    assert info.value.findings[0].path == "/conditions/2/parents/0"


def test_from_dict_keeps_every_field(tiny) -> None:
    psoriasis = tiny.condition("TINY:0000003")
    assert isinstance(psoriasis, Condition)
    assert psoriasis.concepts == ("TINY:0100001", "TINY:0100002")
    assert psoriasis.synonyms[0].text == "psoriasis vulgaris"
    assert psoriasis.provenance == ("Psoriasis",)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "label",
                    "conditions",
                    "concepts",
                    "findings",
                    "parents",
                    "prefixes",
                    "title",
                    "base_iri",
                    "x",
                ]
            )
            | st.text(),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_load_errors(data: bytes) -> None:
    try:
        value = parse_json(data, "fuzz.json")
    except OntologyLoadError as exc:
        assert "\n" not in str(exc)
        return
    validate_document(value)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_values_validate_without_crashing(value: object) -> None:
    findings = validate_document(value)
    assert all(f.severity in ("error", "warning", "info") for f in findings)
    if not isinstance(value, dict):
        assert any(f.code == "wrong_type" for f in findings)
    # whatever the validator accepts, the model builder accepts too
    if not any(f.severity == "error" for f in findings):
        assert isinstance(value, dict)
        from_dict(value)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_through_the_file_loader(tmp_path_factory, value: object) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    try:
        load(path)
    except (OntologyLoadError, OntologyValidationError) as exc:
        assert str(exc).startswith(str(path))
