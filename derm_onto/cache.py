"""Validation results of unchanged files, cached by content hash.

Checking an ontology against the JSON Schema and the semantic rules costs several times the
start-up of the command line, and every command does it on the file it loads. The findings
of a file depend only on its bytes, the schema and the checks, so they are kept in a small
JSON file under the user's cache folder (``$XDG_CACHE_HOME/derm-onto/validation/`` on Linux,
the platform's cache folder elsewhere) whose name is the SHA-256 of

- the file's bytes,
- the bytes of the schema and of every other file in ``schemas/`` (rule tables checks read),
- the package's Python source (a new or changed check invalidates every entry),
- the package version.

A cache entry is only ever a shortcut: an unreadable, unwritable or corrupt cache is ignored
and the file validated as usual. ``DERM_ONTO_CACHE=off`` turns the cache off;
``DERM_ONTO_CACHE=/some/folder`` puts it elsewhere.

>>> import os, tempfile
>>> os.environ["DERM_ONTO_CACHE"] = tempfile.mkdtemp()
>>> from derm_onto.resources import bundled_ontology_path
>>> data = bundled_ontology_path().read_bytes()
>>> from derm_onto.jsonio import parse_json
>>> first = cached_findings(data, parse_json(data))      # validates and stores
>>> cached_findings(data, parse_json(data)) == first     # read back, not re-validated
True
>>> del os.environ["DERM_ONTO_CACHE"]
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derm_onto.validate import ValidationFinding

#: Environment variable: ``off`` (or ``0``, ``no``, ``false``) disables the cache; any other
#: value is the folder to use.
CACHE_ENV = "DERM_ONTO_CACHE"

_OFF = frozenset({"off", "0", "no", "false"})
_FIELDS = {"severity", "code", "path", "message"}


def cache_dir() -> Path | None:
    """The folder of cached validation results, or None when the cache is off.

    >>> import os
    >>> os.environ["DERM_ONTO_CACHE"] = "off"
    >>> cache_dir() is None
    True
    >>> del os.environ["DERM_ONTO_CACHE"]
    """
    setting = os.environ.get(CACHE_ENV)
    if setting is not None:
        if setting.strip().lower() in _OFF or not setting.strip():
            return None
        return Path(setting) / "validation"
    import platformdirs

    return Path(platformdirs.user_cache_dir("derm-onto", appauthor=False)) / "validation"


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """What, besides the file, the findings depend on: schema, code, version.

    Each schema and source file counts by its path, size and modification time, as Python
    invalidates its own bytecode caches: an edit changes them, and no run reads the
    package's source to find out (reading and hashing it cost 14 ms of every command).
    """
    from derm_onto import __version__
    from derm_onto.resources import schema_path

    package = Path(__file__).parent
    schemas = schema_path().parent  # the schema and the rule tables the checks read
    digest = hashlib.sha256(__version__.encode())
    for part in (*sorted(schemas.glob("*.json")), *sorted(package.rglob("*.py"))):
        stat = part.stat()
        digest.update(f"\0{part}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.digest()


def cache_key(data: bytes) -> str:
    """The cache entry name of a file's bytes (hex SHA-256).

    >>> cache_key(b"{}") == cache_key(b"{}") != cache_key(b"{ }")
    True
    """
    return hashlib.sha256(_code_fingerprint() + hashlib.sha256(data).digest()).hexdigest()


def _read(entry: Path) -> list[dict[str, str]] | None:
    try:
        stored = json.loads(entry.read_bytes())
    except (OSError, ValueError):
        return None  # missing, unreadable or corrupt: validate again
    if not isinstance(stored, list) or not all(
        isinstance(item, dict)
        and item.keys() == _FIELDS
        and all(isinstance(value, str) for value in item.values())
        for item in stored
    ):
        return None
    return stored


def _write(entry: Path, findings: list[ValidationFinding]) -> None:
    payload = json.dumps([f.as_dict() for f in findings], ensure_ascii=False).encode()
    try:
        from derm_onto.files import atomic_write

        entry.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(entry) as handle:
            handle.write(payload)
    except OSError:
        pass  # a read-only or full cache folder only costs the next run the check


def _entry(data: bytes) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return folder / f"{cache_key(data)}.json"
    except OSError:  # the schema or the package source cannot be read: no safe key
        return None


def _stored_findings(data: bytes) -> tuple[Path | None, list[dict[str, str]] | None]:
    entry = _entry(data)
    return entry, (None if entry is None else _read(entry))


def _validate(entry: Path | None, document: Any) -> list[ValidationFinding]:
    from derm_onto.validate import validate_document

    findings = validate_document(document)
    if entry is not None:
        _write(entry, findings)
    return findings


def cached_findings(data: bytes, document: Any) -> list[ValidationFinding]:
    """The findings of :func:`derm_onto.validate.validate_document` for ``document``, the
    parsed form of ``data``; read from the cache when the same bytes were checked before."""
    entry, stored = _stored_findings(data)
    if stored is None:
        return _validate(entry, document)
    return _findings(stored)


def _findings(stored: list[dict[str, str]]) -> list[ValidationFinding]:
    from derm_onto.validate import ValidationFinding

    return [ValidationFinding(**item) for item in stored]  # type: ignore[arg-type]


def check_document(data: bytes, document: Any, source: str) -> None:
    """Raise :class:`~derm_onto.errors.OntologyValidationError` when ``document`` (parsed
    from ``data``) has error-level findings; a clean file seen before costs one hash.

    >>> from derm_onto.errors import OntologyValidationError
    >>> try:
    ...     check_document(b'{"id": 1}', {"id": 1}, "x.json")
    ... except OntologyValidationError as exc:
    ...     print(exc.findings[0].code)
    missing_key
    """
    entry, stored = _stored_findings(data)
    if stored is not None and not any(item["severity"] == "error" for item in stored):
        return  # the common case: no import of the checks at all
    findings = _validate(entry, document) if stored is None else _findings(stored)
    if any(f.severity == "error" for f in findings):
        from derm_onto.errors import OntologyValidationError

        raise OntologyValidationError(source, findings)
