"""Same input and seed, byte-identical files: checked across processes with different hash
seeds, so nothing depends on set or dict order that varies between runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, shared_file

COMMANDS = {
    "labels": ["labels", "{sample}", "--column", "disease_label", "-o", "{out}.csv"],
    "captions": ["captions", "{sample}", "--style", "natural", "--seed", "3", "-o", "{out}.tsv"],
    "export-ttl": ["export", "-o", "{out}.ttl"],
    "prompts": ["prompts", "--dataset", "fitzpatrick17k", "-o", "{out}.json"],
}


def _run(args: list[str], seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "derm_onto", *args], env=env, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_outputs_are_identical_across_hash_seeds(name: str, tmp_path: Path) -> None:
    sample = shared_file("derm1m/pretrain_sample_100.csv")
    outputs = []
    for seed in ("1", "2"):
        stem = tmp_path / f"{name}-{seed}"
        args = [a.format(sample=sample, out=stem) for a in COMMANDS[name]]
        _run(args, seed)
        written = sorted(p for p in tmp_path.iterdir() if p.name.startswith(f"{name}-{seed}"))
        assert written
        outputs.append([p.read_bytes() for p in written])
    assert outputs[0] == outputs[1]
