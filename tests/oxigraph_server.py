"""A throwaway Oxigraph SPARQL server (the ``oxigraph`` package's binary) on loopback.

Unlike Virtuoso, its default graph is not the union of the named graphs: what ``publish``
writes to a named graph is only seen with ``--graph``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from .virtuoso import free_port, stop_process


class OxigraphServer:
    """Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    @property
    def update_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/update"

    @staticmethod
    def available() -> bool:
        return shutil.which("oxigraph") is not None

    def start(self, timeout: float = 60.0) -> None:
        log = (self.folder / "oxigraph.log").open("wb")
        self.process = subprocess.Popen(
            [
                "oxigraph",
                "serve",
                "--location",
                str(self.folder / "db"),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("oxigraph serve exited: " + self.log_tail())
            try:
                with urllib.request.urlopen(self.query_url + "?query=ASK%7B%7D", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"oxigraph did not answer in {timeout} s: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.folder / "oxigraph.log"
        return path.read_text(errors="replace")[-500:] if path.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)
