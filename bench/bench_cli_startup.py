"""Fixed cost of the command line, as a ratio to a bare `python -c "import click"`.

Run: python bench/bench_cli_startup.py [--repeat N] [--cold]

Every command and the baseline are run interleaved in the same run and the medians compared.
Two clocks are reported: wall time, and CPU time (user + system of the child, from
``os.wait4``), which stays meaningful on a busy machine where wall time mostly measures the
queue. The goal (issue #16) is ``info``/``validate``/``match`` on the bundled ontology at most
2x the baseline.

By default the validation cache (``$XDG_CACHE_HOME/derm-onto``) is warmed once, as it is for a
user who runs a second command; ``--cold`` points every run at an empty cache directory
instead, which shows the cost without the cache (the "before" column).

The package is byte-compiled first (``compileall``), as ``pip install`` does and as Python
does on a first import: without it, a machine with ``PYTHONDONTWRITEBYTECODE=1`` (this one)
recompiles every edited module on every run, a cost no user pays and the baseline never
pays (click's bytecode is in site-packages).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--cold", action="store_true", help="run without the validation cache")
    args = parser.parse_args()
    import compileall

    import derm_onto

    compileall.compile_dir(Path(derm_onto.__file__).parent, quiet=1)
    cli = [sys.executable, "-m", "derm_onto"]
    baseline_cmd = [sys.executable, "-c", "import click"]
    commands = {
        "derm-onto --help": [*cli, "--help"],
        "derm-onto info": [*cli, "info"],
        "derm-onto validate": [*cli, "validate"],
        "derm-onto match 'acne vulgaris'": [*cli, "match", "acne vulgaris"],
        "derm-onto validate (starter)": [*cli, "validate", "ontology/starter.json"],
    }
    with tempfile.TemporaryDirectory() as cache_home:
        env = dict(os.environ, XDG_CACHE_HOME=cache_home)
        if args.cold:
            env["DERM_ONTO_CACHE"] = "off"
        for cmd in [baseline_cmd, *commands.values()]:  # warm the file cache (and ours)
            _time(cmd, env)
        base: list[tuple[float, float]] = []
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            base.append(_time(baseline_cmd, env))
            for name, cmd in commands.items():
                runs[name].append(_time(cmd, env))
    bw = statistics.median(w for w, _ in base)
    bc = statistics.median(c for _, c in base)
    load = os.getloadavg()[0]
    mode = "cold (cache off)" if args.cold else "warm cache"
    print(f"{mode}; median of {args.repeat}; load average {load:.2f} on {os.cpu_count()} cores")
    print(f"{'command':<36}{'wall ms':>9}{'ratio':>7}{'cpu ms':>9}{'ratio':>7}")
    label = 'python -c "import click"'
    print(f"{label:<36}{bw * 1000:9.1f}{1:7.2f}{bc * 1000:9.1f}{1:7.2f}")
    for name, times in runs.items():
        w = statistics.median(t for t, _ in times)
        c = statistics.median(t for _, t in times)
        print(f"{name:<36}{w * 1000:9.1f}{w / bw:7.2f}{c * 1000:9.1f}{c / bc:7.2f}")


if __name__ == "__main__":
    main()
