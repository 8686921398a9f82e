from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derm_onto import __version__
from derm_onto.cli import main
from derm_onto.jsonio import load

from .conftest import TINY, shared_file


def test_version(runner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_validate_default_is_the_bundled_ontology(runner) -> None:
    result = runner.invoke(main, ["validate", "--strict"])
    assert result.exit_code == 0, result.output


def test_validate_prints_one_line_per_finding(runner, tiny_path) -> None:
    result = runner.invoke(main, ["validate", str(tiny_path)])
    assert result.exit_code == 0
    assert result.stdout == (
        f"{tiny_path}:/concepts/2: info missing_definition: "
        "TINY:0100003 ('pigment network') has no definition\n"
    )


def test_validate_errors_exit_1_and_strict_fails_on_warnings(runner, tiny_doc, write_json) -> None:
    tiny_doc["conditions"][0]["label"] = "skin  disease"
    warn = write_json(tiny_doc, "warn.json")
    assert runner.invoke(main, ["validate", str(warn)]).exit_code == 0
    assert runner.invoke(main, ["validate", "--strict", str(warn)]).exit_code == 1
    tiny_doc["conditions"][1]["parents"] = ["TINY:0404040"]
    bad = write_json(tiny_doc, "bad.json")
    result = runner.invoke(main, ["validate", str(warn), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:/conditions/1/parents/0: error dangling_reference:" in result.output


def test_validate_json_format(runner, tiny_path) -> None:
    result = runner.invoke(main, ["validate", "--format", "json", str(tiny_path)])
    report = json.loads(result.output)
    assert report == [
        {
            "file": str(tiny_path),
            "severity": "info",
            "code": "missing_definition",
            "path": "/concepts/2",
            "message": "TINY:0100003 ('pigment network') has no definition",
        }
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "file is empty"),
        (b"[1, 2]", "top level is an array"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"a": 1,}', "line 1 column 9"),
    ],
)
def test_unreadable_files_give_one_line_and_exit_1(
    runner, tmp_path: Path, content, fragment
) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    for command in (["validate", str(path)], ["info", str(path)], ["lint", str(path)]):
        result = runner.invoke(main, command)
        assert result.exit_code == 1, command
        assert fragment in result.output
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_usage_error_exits_2(runner) -> None:
    assert runner.invoke(main, ["validate", "--format", "yaml"]).exit_code == 2
    assert runner.invoke(main, ["no-such-command"]).exit_code == 2


def test_lint_checks_and_fixes(runner, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    doc = json.loads(TINY.read_text())
    doc["conditions"].reverse()
    path.write_text(json.dumps(doc, indent=4))
    result = runner.invoke(main, ["lint", str(path)])
    assert result.exit_code == 1 and "derm-onto lint --fix" in result.output
    assert runner.invoke(main, ["lint", "--fix", str(path)]).exit_code == 0
    assert path.read_bytes() == TINY.read_bytes()
    assert runner.invoke(main, ["lint", str(path)]).exit_code == 0


def test_info_text_and_json(runner, tiny_path) -> None:
    data = json.loads(runner.invoke(main, ["info", "--format", "json", str(tiny_path)]).output)
    assert data["counts"] == {"conditions": 14, "concepts": 3, "findings": 2}
    assert data["conditions_per_depth"] == {"1": 3, "2": 4, "3": 4, "4": 3}
    assert data["conditions_per_level"] == {
        "category": 3,
        "group": 4,
        "subgroup": 4,
        "condition": 3,
    }
    assert data["leaves"] == 5 and data["max_depth"] == 4 and data["top_level"] == 3
    text = runner.invoke(main, ["info", str(tiny_path)]).output
    assert "conditions  14" in text and "leaves      5" in text


def _modules_after(*args: str) -> set[str]:
    code = (
        "import sys\nfrom derm_onto.cli import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("args", [("--help",), ("validate", str(TINY))])
def test_light_commands_import_no_heavy_library(args) -> None:
    loaded = _modules_after(*args)
    heavy = {"rdflib", "owlready2", "pyarrow", "pyoxigraph", "SPARQLWrapper", "numpy"}
    assert not heavy & {m.split(".")[0] for m in loaded}


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "derm_onto", "--help"], capture_output=True, text=True, check=True
    )
    assert "validate" in out.stdout


def test_issue10_validate_says_ok_with_counts(runner, tiny_path) -> None:
    result = runner.invoke(main, ["validate", str(tiny_path)])
    assert result.exit_code == 0
    tiny = load(tiny_path)
    expected = (
        f"{tiny_path}: ok: {len(tiny.conditions)} conditions, {len(tiny.concepts)} concepts, "
        f"{len(tiny.findings)} findings"
    )
    assert expected in result.output


def test_issue10_file_level_errors_name_the_path(runner, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: error invalid_json:" in result.output
    assert f"{bad}::" not in result.output


def test_issue10_info_sorts_depths_numerically(runner, tmp_path) -> None:
    chain = [
        {"id": f"X:{i:07d}", "label": f"node {i}", **({"parents": [f"X:{i - 1:07d}"]} if i else {})}
        for i in range(12)
    ]
    document = {
        "id": "deep",
        "title": "Deep",
        "base_iri": "https://example.org/deep/",
        "prefixes": {"X": "https://example.org/deep/X_"},
        "conditions": chain,
        "concepts": [],
        "findings": [],
    }
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    for fmt in ("text", "json"):
        result = runner.invoke(main, ["info", str(path), "--format", fmt])
        assert result.exit_code == 0, result.output
        depths = re.findall(r"^\s+\"?(\d+)\"?[: ]", result.output, flags=re.MULTILINE)
        numbers = [int(d) for d in depths if int(d) <= 12]
        assert numbers[:12] == list(range(1, 13)), (fmt, result.output)


def test_issue10_folders_and_missing_files_exit_1_alike(runner, tmp_path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    table = tmp_path / "t.csv"
    table.write_text("disease_label\nmelanoma\n", encoding="utf-8")
    for bad in (folder, tmp_path / "missing.json"):
        for command in (
            ["validate", str(bad)],
            ["info", str(bad)],
            ["labels", str(bad), "--column", "disease_label", "-o", str(tmp_path / "o.csv")],
            ["captions", str(bad), "-o", str(tmp_path / "o.csv")],
        ):
            result = runner.invoke(main, command)
            assert result.exit_code == 1, (command, result.output)
            assert str(bad) in result.output and "Traceback" not in result.output
    for command in (
        ["labels", str(table), "--column", "disease_label", "-o", str(folder)],
        ["captions", str(table), "-o", str(folder)],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        assert "is a folder" in result.output


def test_issue10_no_command_writes_over_its_input(runner, tmp_path) -> None:
    from derm_onto.resources import bundled_ontology_path

    onto = tmp_path / "onto.json"
    onto.write_bytes(TINY.read_bytes())
    classes = tmp_path / "classes.txt"
    classes.write_text("melanoma\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (onto, classes, bundled_ontology_path())}
    commands = [
        ["subset", "psoriasis", "--ontology", str(onto), "-o", str(onto)],
        ["subset", "melanoma", "-o", str(bundled_ontology_path())],
        ["import", "derm1m", str(onto), "-o", str(tmp_path / "x" / ".." / "onto.json")],
        ["prompts", "--classes", str(classes), "-o", str(classes), "--ontology", str(onto)],
        ["export", str(onto), "-o", str(onto)],
    ]
    for command in commands:
        result = runner.invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        assert "is the input" in result.output and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in before} == before


def test_import_may_rebuild_the_bundled_ontology_in_place(runner, tmp_path, monkeypatch) -> None:
    """ontology/README.md rebuilds the bundled file with `import derm1m ... -o
    ontology/derm1m.json`: import does not read it, so the guard lets it through, while a
    command that reads it by default (subset without --ontology) is still refused."""
    from derm_onto.cli import _common

    bundled = tmp_path / "bundled.json"
    bundled.write_bytes(TINY.read_bytes())
    monkeypatch.setattr(_common, "default_ontology", lambda: bundled)
    source = shared_file("derm1m/ontology_tree.json")
    result = runner.invoke(main, ["import", "derm1m", str(source), "-q", "-o", str(bundled)])
    assert result.exit_code == 0, result.output
    assert bundled.read_bytes() != TINY.read_bytes()
    before = bundled.read_bytes()
    result = runner.invoke(main, ["subset", "melanoma", "-o", str(bundled)])
    assert result.exit_code == 1 and "is the input" in result.output
    assert bundled.read_bytes() == before
