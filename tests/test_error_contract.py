"""The error contract of every command: user errors are one line and exit 1, usage errors
exit 2, never a traceback. The generic checks walk the whole command tree, so a new command
is covered as soon as it is registered."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from derm_onto.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        path = (*prefix, name)
        out.append(path)
        if isinstance(command, click.Group):
            out.extend(_commands(command, path))
    return out


ALL = _commands(main)


def test_the_command_tree_is_not_empty() -> None:
    assert ("validate",) in ALL and ("import", "derm1m") in ALL


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_every_command_has_help_and_rejects_unknown_options(runner, path) -> None:
    helped = runner.invoke(main, [*path, "--help"])
    assert helped.exit_code == 0 and "Traceback" not in helped.output
    assert "Usage:" in helped.output
    bad = runner.invoke(main, [*path, "--no-such-option"])
    assert bad.exit_code == 2, bad.output
    assert "Traceback" not in bad.output and "No such option" in bad.output


def _bad_inputs(tmp: Path) -> dict[str, list[str]]:
    missing = str(tmp / "missing.json")
    table = str(tmp / "missing.csv")
    out = str(tmp / "out.csv")
    return {
        "validate": [missing],
        "lint": [missing],
        "info": [missing],
        "tree": ["no such disease at all"],
        "subset": ["no such disease at all", "-o", str(tmp / "s.json")],
        "import derm1m": [missing, "-o", str(tmp / "o.json")],
        "import rdf": [str(tmp / "missing.ttl"), "-o", str(tmp / "o.json")],
        "export": [missing],
        "reason": [missing],
        "query": ["no-such-query"],
        "labels": [table, "--column", "x", "-o", out],
        "captions": [table, "-o", out],
        "prompts": ["--level", "99", "-o", str(tmp / "p.json")],
        "match": ["--ontology", missing, "psoriasis"],
    }


@pytest.mark.parametrize(
    "name",
    sorted(_bad_inputs(Path("/tmp"))),
)
def test_user_errors_are_one_line_exit_1(runner, tmp_path, name) -> None:
    args = _bad_inputs(tmp_path)[name]
    result = runner.invoke(main, [*name.split(), *args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "error" in line]
    assert len(errors) == 1, result.output
    assert not result.exception or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "args",
    [
        ["export", "-o", "x.xyz"],
        ["labels", "t.csv", "--column", "x", "-o", "o.csv", "--levels", "one"],
        ["query", "children", "--param", "nokeyvalue"],
        ["captions", "t.csv", "-o", "o.csv", "--style", "baroque"],
    ],
    ids=["export", "labels", "query", "captions"],
)
def test_usage_errors_exit_2(runner, tmp_path, monkeypatch, args) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.csv").write_text("x\nmelanoma\n", encoding="utf-8")
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_every_command_module_is_registered() -> None:
    """A command defined in a module's COMMANDS is reachable by name (the lazy map in
    derm_onto.cli lists every one)."""
    import importlib
    import pkgutil

    import derm_onto.cli as cli

    defined = set()
    for info in pkgutil.iter_modules(cli.__path__):
        module = importlib.import_module(f"derm_onto.cli.{info.name}")
        defined |= {c.name for c in getattr(module, "COMMANDS", ())}
    assert defined == set(cli.COMMANDS)


@pytest.mark.parametrize("name", sorted({path[0] for path in ALL}))
def test_issue16_help_summaries_equal_the_commands_own_help(name: str) -> None:
    """`derm-onto --help` lists the summaries kept in derm_onto.cli.COMMANDS (so it imports
    no command module); each must say what the command's own help says, at every width."""
    import inspect

    import derm_onto.cli as cli

    command = main.get_command(click.Context(main), name)
    assert command is not None and command.help
    first_paragraph = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
    assert cli.COMMANDS[name].summary == first_paragraph
    for limit in (20, 45, 80, 300):
        bare = click.Command(name, help=cli.COMMANDS[name].summary)
        assert bare.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_issue16_help_imports_no_command_module() -> None:
    """The top-level help is built without importing any command module or heavy library."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from derm_onto.cli import COMMANDS, main\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert all(name in result.output for name in COMMANDS)\n"
        "heavy = {info.module for info in COMMANDS.values()} | {'rdflib', 'pyarrow', "
        "'networkx', 'jsonschema', 'derm_onto.sparql', 'derm_onto.matching'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
