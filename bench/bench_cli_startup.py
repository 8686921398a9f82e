"""How fast `derm-onto --help` starts, as a ratio to a bare `python -c "import click"`.

Run: python bench/bench_cli_startup.py [--repeat N]
Both are measured in the same run, interleaved, and the medians compared. The goal is a
ratio under 3.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    baseline_cmd = [sys.executable, "-c", "import click"]
    commands = {
        "derm-onto --help": [sys.executable, "-m", "derm_onto", "--help"],
        "derm-onto validate (starter)": [sys.executable, "-m", "derm_onto", "validate"],
    }
    _time(baseline_cmd)  # warm the file cache
    base: list[float] = []
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        base.append(_time(baseline_cmd))
        for name, cmd in commands.items():
            runs[name].append(_time(cmd))
    b = statistics.median(base)
    label = 'python -c "import click"'
    print(f"{label:<32}{b * 1000:8.1f} ms  1.00x (baseline)")
    for name, times in runs.items():
        t = statistics.median(times)
        print(f"{name:<32}{t * 1000:8.1f} ms  {t / b:5.2f}x")


if __name__ == "__main__":
    main()
