"""The README's first lines are the contract of a fresh machine: install, run the main job,
run the tests. The main-job line must work exactly as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, SHARED_DATA, shared_file

README = ROOT / "README.md"


def _top_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "README.md must start with a bash block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_top_is_install_main_job_tests() -> None:
    install, main_job, tests = _top_commands()
    assert install == "bash .ci/install"
    assert main_job.startswith("derm-onto ")
    assert tests == "python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in ci and "bash .ci/install" in ci
    assert ".[test]" in (ROOT / ".ci" / "install").read_text(encoding="utf-8")


@pytest.mark.slow
def test_readme_main_job_runs_as_written(tmp_path: Path) -> None:
    shared_file("derm1m/pretrain_sample_100.csv")
    if shutil.which("derm-onto") is None:
        message = "the derm-onto console script is not installed (pip install -e .)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent)
    _, main_job, _ = _top_commands()
    done = subprocess.run(
        ["bash", "-c", main_job], cwd=work, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in work.iterdir())
    assert "derm1m.owl" in written and "labelled.csv" in written
    assert "ok:" in done.stderr
