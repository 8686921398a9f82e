"""Writing files so that a failed run leaves nothing half-written.

Every output is written to a temporary file beside its target and renamed over it only when
the whole output was written. Temporary files are named ``.<target>.derm-onto-tmp.<pid>.<random>``
so a later run that writes the same target recognises the ones a killed run (SIGKILL, power
loss) left behind and removes them, as long as the process that made them is gone. The CLI
turns SIGTERM into a normal exit, so a terminated run cleans up like an interrupted one.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
>>> with atomic_write(out) as fh:
...     _ = fh.write(b"done")
>>> out.read_bytes()
b'done'
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from derm_onto.errors import DermOntoError

TEMP_MARK = ".derm-onto-tmp."

PathLike = str | os.PathLike[str]


def _directory(target: Path) -> Path:
    return target.parent if str(target.parent) else Path()


def _check_target(target: Path) -> Path:
    directory = _directory(target)
    if not directory.is_dir():
        raise DermOntoError(f"{target}: cannot write: folder {directory} does not exist")
    if target.is_dir():
        raise DermOntoError(f"{target}: cannot write: it is a folder, not a file")
    return directory


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temporaries(path: PathLike) -> list[Path]:
    """Remove the temporary files of ``path`` that dead derm-onto runs left behind.

    A file counts only when its name has derm-onto's mark and the process id in it is no
    longer running; files of live runs and anything else are left alone.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> stale = folder / ".out.csv.derm-onto-tmp.999999999.abc.csv"
    >>> _ = stale.write_text("half")
    >>> [p.name for p in remove_stale_temporaries(folder / "out.csv")]
    ['.out.csv.derm-onto-tmp.999999999.abc.csv']
    """
    target = Path(path)
    removed = []
    pattern = glob.escape(f".{target.name}{TEMP_MARK}") + "*"
    for candidate in sorted(_directory(target).glob(pattern)):
        pid_text = candidate.name[len(target.name) + 1 + len(TEMP_MARK) :].split(".", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _temporary(target: Path, directory: Path) -> Path:
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}{TEMP_MARK}{os.getpid()}.", suffix=target.suffix, dir=directory
    )
    os.close(fd)
    Path(tmp).chmod(0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
    return Path(tmp)


@contextlib.contextmanager
def atomic_paths(paths: Sequence[PathLike]) -> Iterator[list[Path]]:
    """Temporary paths for a set of outputs (a table and its sidecar files).

    They replace their targets only when the block finishes without an exception, in the
    order given (put the main output first: sidecars then never exist without it). On any
    exception, including KeyboardInterrupt and SystemExit, every temporary file is removed.
    """
    targets = [Path(p) for p in paths]
    temporaries: list[Path] = []
    try:
        for target in targets:
            directory = _check_target(target)
            remove_stale_temporaries(target)
            temporaries.append(_temporary(target, directory))
        yield list(temporaries)
        for tmp, target in zip(temporaries, targets, strict=True):
            tmp.replace(target)
    except BaseException:
        for tmp in temporaries:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that wants a path (pyarrow, numpy);
    it replaces ``path`` only when the block finishes without an exception."""
    with atomic_paths([path]) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path`` for binary writing; it replaces ``path`` only
    when the block finishes without an exception."""
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        yield handle


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def refuse_overwriting_inputs(
    inputs: Iterable[PathLike | None], outputs: Iterable[PathLike | None]
) -> None:
    """Raise when an output is one of the inputs (also through ``..``, links or another
    spelling) or two outputs are the same file, before anything is written.

    >>> refuse_overwriting_inputs(["a.csv"], ["b.csv"])
    >>> refuse_overwriting_inputs(["a.csv"], ["./x/../a.csv"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    derm_onto.errors.DermOntoError: x/../a.csv: is the input a.csv; write the output ...
    """
    sources = [Path(p) for p in inputs if p is not None]
    targets = [Path(p) for p in outputs if p is not None]
    for i, target in enumerate(targets):
        for source in sources:
            if _same(source, target):
                raise DermOntoError(
                    f"{target}: is the input {source}; write the output to another file"
                )
        for other in targets[:i]:
            if _same(other, target):
                raise DermOntoError(f"{target}: given for two outputs ({other}); use two files")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
