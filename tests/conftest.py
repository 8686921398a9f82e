"""Shared fixtures: the tiny ontology, the shared public data, a CLI runner."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from derm_onto.jsonio import load
from derm_onto.model import Ontology

ROOT = Path(__file__).resolve().parent.parent

# test runs keep their validation cache to themselves, not in the user's ~/.cache
if "DERM_ONTO_CACHE" not in os.environ:
    import tempfile

    os.environ["DERM_ONTO_CACHE"] = tempfile.mkdtemp(prefix="derm-onto-test-cache-")
TINY = Path(__file__).resolve().parent / "data" / "tiny.json"
SHARED_DATA = ROOT.parent / "shared" / "data"


def with_observed(onto: Ontology, observed: Mapping[str, Iterable[str]]) -> Ontology:
    """``onto`` whose conditions have exactly these observed concepts (by condition id;
    every other condition none): ``with_observed(onto, {})`` clears them all."""
    import dataclasses

    return dataclasses.replace(
        onto,
        conditions=tuple(
            dataclasses.replace(c, observed_concepts=tuple(observed.get(c.id, ())))
            for c in onto.conditions
        ),
    )


def shared_file(relative: str) -> Path:
    """A file of ../shared/data; a hard failure under CI=true when it is missing."""
    path = SHARED_DATA / relative
    if not path.is_file():
        message = f"shared data file {path} is missing"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: shared data must be present)")
        pytest.skip(message)
    return path


@pytest.fixture
def tiny_path() -> Path:
    return TINY


@pytest.fixture(scope="session")
def tiny() -> Ontology:
    return load(TINY)


@pytest.fixture
def tiny_doc() -> dict[str, Any]:
    """A fresh, mutable copy of the tiny ontology document."""
    return copy.deepcopy(json.loads(TINY.read_text(encoding="utf-8")))


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any], Path]:
    def write(document: Any, name: str = "onto.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        return path

    return write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A live Virtuoso for the session; a hard failure under CI=true when it is missing."""
    from .virtuoso import Virtuoso

    if not Virtuoso.available():
        message = "virtuoso-t/isql-vt not installed (apt-get install virtuoso-opensource-7-bin)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: .ci/run installs it)")
        pytest.skip(message)
    server = Virtuoso(tmp_path_factory.mktemp("virtuoso"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A live Oxigraph server for the session; a hard failure under CI=true when missing."""
    from .oxigraph_server import OxigraphServer

    if not OxigraphServer.available():
        message = "the oxigraph server binary is not installed (pip install oxigraph)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: it is a test dependency)")
        pytest.skip(message)
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph"))
    server.start()
    yield server
    server.stop()


def require(module: str) -> Any:
    """Import a test dependency; a hard failure under CI=true when it is missing (where
    ``pytest.importorskip`` would quietly skip)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"test dependency {module!r} is not installed (pip install -e '.[test]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true)")
        pytest.skip(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``), tests of a live server run on one worker,
    so each server starts once per run rather than once per worker."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "virtuoso" in names or "oxigraph_server" in names:
            item.add_marker(pytest.mark.xdist_group(name="servers"))
