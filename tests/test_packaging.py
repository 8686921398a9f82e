"""The wheel ships the data folders, and a plain install works from anywhere."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("*.whl")
    return path


def test_wheel_contains_the_data_folders(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("ontology", "schemas", "queries"):
        for source in (ROOT / folder).rglob("*"):
            if source.is_file():
                relative = source.relative_to(ROOT).as_posix()
                assert f"derm_onto/_data/{relative}" in names, relative
    assert "derm_onto/_data/schemas/ontology.schema.json" in names


def test_plain_install_validates_the_bundled_ontology_from_elsewhere(wheel: Path, tmp_path) -> None:
    env_dir = tmp_path / "venv"
    # system site packages provide the dependencies (no network); the wheel provides derm_onto
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--quiet",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import derm_onto; print(derm_onto.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(env_dir))
    result = subprocess.run(
        [str(env_dir / "bin" / "derm-onto"), "validate", "--strict"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    info = subprocess.run(
        [str(env_dir / "bin" / "derm-onto"), "info"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "conditions" in info.stdout


def test_public_names_resolve_and_are_sorted() -> None:
    import derm_onto

    assert derm_onto.__all__ == sorted(derm_onto.__all__)
    for name in derm_onto.__all__:
        assert getattr(derm_onto, name) is not None, name
    # what the CLI does is reachable from the top level
    for name in ("label_table", "caption_table", "Matcher", "evaluate", "check_file", "Term"):
        assert name in derm_onto.__all__
