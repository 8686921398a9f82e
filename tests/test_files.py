"""Atomic outputs: temporary files, signals, and outputs that would replace an input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derm_onto.errors import DermOntoError
from derm_onto.files import (
    TEMP_MARK,
    atomic_paths,
    refuse_overwriting_inputs,
    remove_stale_temporaries,
)

ROOT = Path(__file__).resolve().parent.parent


def _big_table(path: Path, rows: int = 1_500_000) -> Path:
    names = ["melanoma", "psoriasis", "basal cell carcinoma", "eczema", "acne vulgaris"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("filename,disease_label\n")
        handle.writelines(f"img{i}.jpg,{names[i % 5]}\n" for i in range(rows))
    return path


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if TEMP_MARK in p.name]


def _start_labels(folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "derm_onto",
            "labels",
            str(folder / "in.csv"),
            "--column",
            "disease_label",
            "-o",
            str(folder / "out.csv"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _wait_for_temporary(folder: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not _temporaries(folder):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "no temporary file appeared"
        time.sleep(0.02)


@pytest.mark.slow
def test_issue10_sigterm_leaves_no_temporary_files(tmp_path: Path) -> None:
    _big_table(tmp_path / "in.csv")
    process = _start_labels(tmp_path)
    _wait_for_temporary(tmp_path, process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert b"terminated" in err and b"Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


@pytest.mark.slow
def test_issue10_sigkill_temporaries_are_removed_by_the_next_run(tmp_path: Path) -> None:
    _big_table(tmp_path / "in.csv", rows=1_500_000)
    process = _start_labels(tmp_path)
    _wait_for_temporary(tmp_path, process)
    process.kill()
    process.communicate(timeout=60)
    left = _temporaries(tmp_path)
    assert left, "SIGKILL cannot be handled: the killed run leaves its temporaries"
    assert not (tmp_path / "out.csv").exists()
    # a later run of the same output recognises them as stale and removes them
    (tmp_path / "in.csv").write_text("disease_label\nmelanoma\n", encoding="utf-8")
    rerun = _start_labels(tmp_path)
    _, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert not any(p.exists() for p in left)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.classes.json", "out.csv"]


def test_stale_temporaries_of_live_processes_and_other_files_stay(tmp_path: Path) -> None:
    mine = tmp_path / f".out.csv{TEMP_MARK}{os.getpid()}.x.csv"
    other = tmp_path / ".out.csv.something-else"
    dead = tmp_path / f".out.csv{TEMP_MARK}999999999.y.csv"
    for path in (mine, other, dead):
        path.write_text("x")
    assert remove_stale_temporaries(tmp_path / "out.csv") == [dead]
    assert mine.exists() and other.exists()


def test_output_set_is_all_or_nothing(tmp_path: Path) -> None:
    targets = [tmp_path / "main.csv", tmp_path / "side.json"]
    with pytest.raises(RuntimeError), atomic_paths(targets) as temporaries:
        for tmp in temporaries:
            tmp.write_text("partial")
        raise RuntimeError("fails after writing")
    assert list(tmp_path.iterdir()) == []
    with atomic_paths(targets) as temporaries:
        for tmp, text in zip(temporaries, ("a", "b"), strict=True):
            tmp.write_text(text)
    assert [p.read_text() for p in targets] == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.csv", "side.json"]


def test_refuse_overwriting_inputs_through_links_and_dotdot(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text("x")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    for spelling in (source, tmp_path / "sub" / ".." / "t.csv", link):
        with pytest.raises(DermOntoError, match="is the input"):
            refuse_overwriting_inputs([source], [spelling])
    with pytest.raises(DermOntoError, match="two outputs"):
        refuse_overwriting_inputs([], [tmp_path / "a", tmp_path / "sub" / ".." / "a"])
    refuse_overwriting_inputs([source, None], [tmp_path / "other.csv", None])


def test_writing_onto_a_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DermOntoError, match="is a folder"), atomic_paths([tmp_path]):
        pass
