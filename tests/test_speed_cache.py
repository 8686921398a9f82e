"""The validation cache, and the fast paths of loading and summarising an ontology."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto import cache, hierarchy, validate
from derm_onto.cli import main
from derm_onto.errors import OntologyLoadError, OntologyValidationError
from derm_onto.jsonio import _nesting_depth_exceeds, load, parse_json
from derm_onto.model import Condition, Ontology
from derm_onto.resources import bundled_ontologies
from derm_onto.summary import condition_depths
from tests.conftest import TINY


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted((folder / "validation").glob("*.json")) if folder.exists() else []


def _refuse_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(document: Any) -> Any:
        raise AssertionError("validated although the result was cached")

    monkeypatch.setattr(validate, "validate_document", fail)


@pytest.mark.parametrize("path", [TINY, *bundled_ontologies()], ids=lambda p: p.name)
def test_cached_findings_equal_a_fresh_validation(
    path: Path, cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = path.read_bytes()
    fresh = validate.validate_document(parse_json(data))
    first = cache.cached_findings(data, parse_json(data))
    assert len(_entries(cache_folder)) == 1
    _refuse_validation(monkeypatch)
    assert cache.cached_findings(data, parse_json(data)) == first == fresh
    assert load(path) == load(path)  # a clean hit never validates


def test_an_invalid_file_fails_the_same_way_when_cached(
    tiny_doc: dict[str, Any], write_json: Any, cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_doc["conditions"][1]["parents"] = ["TINY:9999999"]
    path = write_json(tiny_doc)
    with pytest.raises(OntologyValidationError) as first:
        load(path)
    _refuse_validation(monkeypatch)
    with pytest.raises(OntologyValidationError) as second:
        load(path)
    assert second.value.findings == first.value.findings
    assert str(second.value) == str(first.value)
    assert any(
        f.code == "unknown_reference" or "TINY:9999999" in f.message for f in first.value.findings
    )


def test_changed_bytes_are_validated_again(
    tiny_doc: dict[str, Any], write_json: Any, cache_folder: Path
) -> None:
    path = write_json(tiny_doc)
    load(path)
    tiny_doc["conditions"][0]["label"] = ""  # now invalid
    path.write_text(json.dumps(tiny_doc), encoding="utf-8")
    with pytest.raises(OntologyValidationError):
        load(path)
    assert len(_entries(cache_folder)) == 2


def test_the_key_covers_the_code_and_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    key = cache.cache_key(b"{}")
    cache._code_fingerprint.cache_clear()
    monkeypatch.setattr("derm_onto.__version__", "0.0.0-other")
    try:
        assert cache.cache_key(b"{}") != key
    finally:
        cache._code_fingerprint.cache_clear()


def test_the_key_covers_every_rule_table_beside_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from derm_onto import resources

    schema = tmp_path / "ontology.schema.json"
    schema.write_bytes(resources.schema_path().read_bytes())
    monkeypatch.setattr(resources, "schema_path", lambda: schema)
    keys = []
    for table in ("", '{"rules": []}', '{"rules": [1]}'):
        if table:
            (tmp_path / "rules.json").write_text(table, encoding="utf-8")
        cache._code_fingerprint.cache_clear()
        keys.append(cache.cache_key(b"{}"))
    cache._code_fingerprint.cache_clear()
    assert len(set(keys)) == 3


@pytest.mark.parametrize("garbage", [b"", b"not json", b"{}", b'[{"severity": 1}]', b"[1]"])
def test_a_corrupt_entry_is_ignored(garbage: bytes, cache_folder: Path) -> None:
    data = TINY.read_bytes()
    expected = validate.validate_document(parse_json(data))
    cache.cached_findings(data, parse_json(data))
    (entry,) = _entries(cache_folder)
    entry.write_bytes(garbage)
    assert cache.cached_findings(data, parse_json(data)) == expected
    assert json.loads(entry.read_bytes()) == [f.as_dict() for f in expected]  # rewritten


def test_a_cache_entry_that_lies_about_errors_is_believed_only_for_the_same_bytes(
    cache_folder: Path,
) -> None:
    # the cache is keyed by content: an entry written for other bytes never applies
    data = TINY.read_bytes()
    cache.cached_findings(data, parse_json(data))
    (entry,) = _entries(cache_folder)
    assert entry.name == f"{cache.cache_key(data)}.json"
    assert entry.name != f"{cache.cache_key(data + b' ')}.json"


def test_an_unusable_cache_folder_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker))  # mkdir under a file fails
    assert load(TINY) == load(TINY)
    data = TINY.read_bytes()
    assert cache.cached_findings(data, parse_json(data)) == validate.validate_document(
        parse_json(data)
    )


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    assert cache.cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load(TINY)
    assert not any(tmp_path.iterdir())


def test_the_default_folder_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "derm-onto" / "validation"


def test_cli_validate_reports_the_same_with_a_warm_cache(
    tiny_doc: dict[str, Any], write_json: Any, cache_folder: Path, runner: CliRunner
) -> None:
    tiny_doc["conditions"][0]["label"] = " padded "
    path = write_json(tiny_doc)
    runs = [runner.invoke(main, ["validate", str(path)]) for _ in range(2)]
    assert runs[0].output == runs[1].output
    assert runs[0].exit_code == runs[1].exit_code
    assert len(_entries(cache_folder)) == 1


# -- the parser's fast paths -------------------------------------------------------------
def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=30,
)


@given(JSON, st.integers(min_value=0, max_value=8))
def test_nesting_check_equals_a_recursive_reference(value: Any, limit: int) -> None:
    assert _nesting_depth_exceeds(value, limit) == (_depth(value) > limit)


@given(st.lists(st.sampled_from(["a", "b", "c", "id"]), min_size=1, max_size=6))
def test_duplicate_keys_name_the_first_repeated_key(keys: list[str]) -> None:
    text = "{" + ", ".join(f'"{k}": "{i}"' for i, k in enumerate(keys)) + "}"
    seen: set[str] = set()
    repeated = next((k for k in keys if k in seen or seen.add(k)), None)  # type: ignore[func-returns-value]
    if repeated is None:
        assert parse_json(text.encode()) == {k: str(i) for i, k in enumerate(keys)}
    else:
        with pytest.raises(OntologyLoadError, match=f"duplicate key '{repeated}'"):
            parse_json(text.encode())


# -- summary without networkx ------------------------------------------------------------
@pytest.mark.parametrize("path", [TINY, *bundled_ontologies()], ids=lambda p: p.name)
def test_condition_depths_equal_the_hierarchy_module(path: Path) -> None:
    onto = load(path)
    graph = hierarchy.build_graph(onto)
    assert condition_depths(onto) == (
        hierarchy.depth(graph),
        hierarchy.roots(graph),
        hierarchy.leaves(graph),
    )


@settings(max_examples=60)
@given(st.data())
def test_condition_depths_equal_networkx_on_random_dags(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=25))
    conditions = []
    for i in range(n):
        parents = data.draw(st.sets(st.integers(min_value=0, max_value=n + 2), max_size=3))
        ids = tuple(f"X:{p}" for p in parents if p < i or p >= n)  # earlier or dangling
        conditions.append(Condition(id=f"X:{i}", label=f"c{i}", parents=ids))
    onto = Ontology(
        id="x", title="x", base_iri="https://x.org/", prefixes={}, conditions=tuple(conditions)
    )
    graph = hierarchy.build_graph(onto)
    assert condition_depths(onto) == (
        hierarchy.depth(graph),
        hierarchy.roots(graph),
        hierarchy.leaves(graph),
    )


def test_the_key_follows_an_edit_of_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Source files count by path, size and modification time (as Python's bytecode cache
    does), so an edit of any module changes the key without the source being read."""
    import os

    package = tmp_path / "derm_onto"
    (package / "sub").mkdir(parents=True)
    module = package / "sub" / "rules.py"
    module.write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(cache, "__file__", str(package / "cache.py"))
    keys = []
    try:
        for step in ("start", "same bytes, touched", "edited, same size", "new module"):
            if step == "same bytes, touched":
                stat = module.stat()
                os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
            elif step == "edited, same size":
                stat = module.stat()
                module.write_text("A = 2\n", encoding="utf-8")
                os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
            elif step == "new module":
                (package / "other.py").write_text("", encoding="utf-8")
            cache._code_fingerprint.cache_clear()
            keys.append(cache.cache_key(b"{}"))
    finally:
        cache._code_fingerprint.cache_clear()
    assert len(set(keys)) == 4
