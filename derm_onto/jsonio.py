"""Read and write the project's ontology JSON.

Reading is strict in the ways JSON parsers usually are not: duplicate keys inside one object,
``NaN``/``Infinity``, non-UTF-8 bytes, an empty file and absurd nesting are each reported as
an :class:`~derm_onto.errors.OntologyLoadError` naming the file and the problem.

Writing is canonical: sorted keys, 2-space indent, UTF-8 (no ASCII escapes), a final
newline; entries sorted by id and the unordered lists inside them (parents, xrefs, synonyms,
...) sorted, empty fields left out. A canonical file loads and dumps back byte for byte.

>>> import tempfile, pathlib
>>> from derm_onto.model import Condition, Ontology
>>> onto = Ontology(id="demo", title="Demo", base_iri="https://example.org/demo/",
...                 prefixes={"DEMO": "https://example.org/demo/DEMO_"},
...                 conditions=(Condition(id="DEMO:0000001", label="acne vulgaris"),))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.json"
>>> dump(onto, path)
>>> load(path) == onto
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, overload

from derm_onto.errors import OntologyLoadError
from derm_onto.files import atomic_write
from derm_onto.model import (
    KINDS,
    Concept,
    ConceptCategory,
    Condition,
    DisjointGroup,
    Finding,
    FindingCategory,
    Kind,
    Ontology,
    Synonym,
    SynonymType,
    Term,
)

PathLike = str | os.PathLike[str]

#: No ontology file needs more; deeper documents are rejected before anything walks them.
MAX_NESTING = 32


class _DuplicateKeyError(Exception):
    def __init__(self, key: str, owner: str | None) -> None:
        self.key = key
        self.owner = owner


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    owner = next((v for k, v in pairs if k == "id" and isinstance(v, str)), None)
    raise _DuplicateKeyError(key, owner)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _nesting_depth_exceeds(value: Any, limit: int) -> bool:
    """True when a container sits deeper than ``limit`` (the top-level one is at depth 1).

    >>> _nesting_depth_exceeds([[1], {"a": [2]}], 3), _nesting_depth_exceeds([[[[]]]], 3)
    (False, True)
    """
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:  # one pass per depth, visiting only containers
        depth += 1
        if depth > limit:
            return True
        level = [
            child
            for item in level
            for child in (item.values() if type(item) is dict else item)
            if type(child) is dict or type(child) is list
        ]
    return False


def parse_json(data: bytes, source: str = "<bytes>") -> Any:
    """Parse JSON bytes strictly; any problem raises :class:`OntologyLoadError`.

    >>> parse_json(b'{"a": 1}')
    {'a': 1}
    >>> parse_json(b'{"a": 1, "a": 2}', "x.json")
    Traceback (most recent call last):
    ...
    derm_onto.errors.OntologyLoadError: x.json: duplicate key 'a' in one JSON object
    """
    if not data.strip():
        raise OntologyLoadError(source, "empty_file", "file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise OntologyLoadError(
            source, "not_utf8", f"not UTF-8: byte 0x{bad} at offset {exc.start}"
        ) from None
    text = text.removeprefix("\ufeff")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise OntologyLoadError(
            source,
            "invalid_json",
            f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
        ) from None
    except _DuplicateKeyError as exc:
        where = f" (in the entry {exc.owner!r})" if exc.owner else ""
        raise OntologyLoadError(
            source, "duplicate_key", f"duplicate key {exc.key!r} in one JSON object{where}"
        ) from None
    except RecursionError:
        raise OntologyLoadError(source, "too_deep", "JSON nested too deeply to read") from None
    except ValueError as exc:  # NaN / Infinity, or numbers too large to convert
        raise OntologyLoadError(source, "invalid_json", f"not valid JSON: {exc}") from None
    if _nesting_depth_exceeds(value, MAX_NESTING):
        raise OntologyLoadError(
            source, "too_deep", f"JSON nested more than {MAX_NESTING} levels deep"
        )
    return value


def read_bytes(path: PathLike) -> bytes:
    """The bytes of a file; a missing or unreadable file raises :class:`OntologyLoadError`."""
    source = os.fspath(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise OntologyLoadError(source, "not_found", "no such file") from None
    except IsADirectoryError:
        raise OntologyLoadError(source, "unreadable", "is a directory, not a file") from None
    except OSError as exc:
        raise OntologyLoadError(source, "unreadable", f"cannot read: {exc.strerror}") from None


def read_json(path: PathLike) -> Any:
    """Read and strictly parse a JSON file (see :func:`parse_json`)."""
    return parse_json(read_bytes(path), os.fspath(path))


def parse_document(data: bytes, source: str = "<bytes>") -> dict[str, Any]:
    """Parse JSON bytes that must hold one object (an ontology document).

    >>> parse_document(b'{"id": "x"}')
    {'id': 'x'}
    >>> try:
    ...     parse_document(b"[]", "x.json")
    ... except OntologyLoadError as exc:
    ...     print(exc.code)
    not_object
    """
    value = parse_json(data, source)
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(value), "a number"
        )
        raise OntologyLoadError(
            source, "not_object", f"top level is {kind}; an ontology file holds one object"
        )
    return value


def read_document(path: PathLike) -> dict[str, Any]:
    """Read a JSON file that must hold one object (an ontology document)."""
    return parse_document(read_bytes(path), os.fspath(path))


# -- dict <-> model ---------------------------------------------------------------------
def _term_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": entry["id"],
        "label": entry["label"],
        "parents": tuple(entry.get("parents", ())),
        "synonyms": tuple(
            Synonym(s["text"], SynonymType(s.get("type", "exact")))
            for s in entry.get("synonyms", ())
        ),
        "definition": entry.get("definition"),
        "xrefs": tuple(entry.get("xrefs", ())),
        "provenance": tuple(entry.get("provenance", ())),
        "definition_xrefs": tuple(entry.get("definition_xrefs", ())),
        "obsolete": bool(entry.get("obsolete", False)),
        "replaced_by": entry.get("replaced_by"),
        "consider": tuple(entry.get("consider", ())),
    }


@overload
def term_from_dict(kind: Literal["conditions"], entry: Mapping[str, Any]) -> Condition: ...
@overload
def term_from_dict(kind: Literal["concepts"], entry: Mapping[str, Any]) -> Concept: ...
@overload
def term_from_dict(kind: Literal["findings"], entry: Mapping[str, Any]) -> Finding: ...
@overload
def term_from_dict(kind: Kind, entry: Mapping[str, Any]) -> Term: ...
def term_from_dict(kind: Kind, entry: Mapping[str, Any]) -> Term:
    """The one way a mapping in the project JSON's shape becomes a term of ``kind`` (the
    JSON reader, the curation engine and the RDF and OBO readers all come through here).

    >>> entry = {"id": "X:1", "label": "papule", "category": "primary_morphology"}
    >>> term = term_from_dict("concepts", entry)
    >>> type(term).__name__, term.label, term.category.value
    ('Concept', 'papule', 'primary_morphology')
    """
    fields = _term_fields(entry)
    if kind == "conditions":
        return Condition(
            **fields,
            concepts=tuple(entry.get("concepts", ())),
            findings=tuple(entry.get("findings", ())),
            observed_concepts=tuple(entry.get("observed_concepts", ())),
        )
    if kind == "concepts":
        category = entry.get("category")
        return Concept(**fields, category=ConceptCategory(category) if category else None)
    category = entry.get("category")
    return Finding(**fields, category=FindingCategory(category) if category else None)


def from_dict(data: Mapping[str, Any]) -> Ontology:
    """Build the model from a schema-valid document (use :func:`load` for files)."""
    conditions = tuple(term_from_dict("conditions", e) for e in data.get("conditions", ()))
    concepts = tuple(term_from_dict("concepts", e) for e in data.get("concepts", ()))
    findings = tuple(term_from_dict("findings", e) for e in data.get("findings", ()))
    return Ontology(
        id=data["id"],
        title=data["title"],
        base_iri=data["base_iri"],
        prefixes=dict(data["prefixes"]),
        description=data.get("description", ""),
        version=data.get("version", ""),
        license=data.get("license", ""),
        levels=tuple(data.get("levels", ())),
        conditions=conditions,
        concepts=concepts,
        findings=findings,
        disjoint=tuple(
            DisjointGroup(tuple(g["classes"]), g.get("reason", ""))
            for g in data.get("disjoint", ())
        ),
    )


def _term_dict(term: Term) -> dict[str, Any]:
    out: dict[str, Any] = {"id": term.id, "label": term.label}
    if term.parents:
        out["parents"] = sorted(set(term.parents))
    if term.synonyms:
        out["synonyms"] = [
            {"text": s.text, "type": s.type.value}
            for s in sorted(set(term.synonyms), key=lambda s: (s.text, s.type.value))
        ]
    if term.definition:
        out["definition"] = term.definition
    if term.definition_xrefs:
        out["definition_xrefs"] = sorted(set(term.definition_xrefs))
    if term.obsolete:
        out["obsolete"] = True
    if term.replaced_by:
        out["replaced_by"] = term.replaced_by
    if term.consider:
        out["consider"] = sorted(set(term.consider))
    if term.xrefs:
        out["xrefs"] = sorted(set(term.xrefs))
    if term.provenance:
        out["provenance"] = sorted(set(term.provenance))
    if isinstance(term, Condition):
        if term.concepts:
            out["concepts"] = sorted(set(term.concepts))
        if term.findings:
            out["findings"] = sorted(set(term.findings))
        if term.observed_concepts:
            out["observed_concepts"] = sorted(set(term.observed_concepts))
    elif isinstance(term, Concept | Finding) and term.category is not None:
        out["category"] = term.category.value
    return out


def to_dict(ontology: Ontology) -> dict[str, Any]:
    """The canonical document of an ontology (entries sorted by id, lists sorted)."""
    out: dict[str, Any] = {
        "id": ontology.id,
        "title": ontology.title,
        "base_iri": ontology.base_iri,
        "prefixes": dict(sorted(ontology.prefixes.items())),
    }
    for key in ("description", "version", "license"):
        if getattr(ontology, key):
            out[key] = getattr(ontology, key)
    if ontology.levels:
        out["levels"] = list(ontology.levels)
    for kind in KINDS:
        out[kind] = [_term_dict(t) for t in sorted(ontology.entries(kind), key=lambda t: t.id)]
    if ontology.disjoint:
        groups = [
            {"classes": sorted(set(g.classes)), "reason": g.reason} for g in ontology.disjoint
        ]
        out["disjoint"] = sorted(groups, key=lambda g: g["classes"])
    return out


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """Serialise a document in canonical form."""
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def dumps(ontology: Ontology) -> bytes:
    """The canonical bytes of an ontology."""
    return canonical_bytes(to_dict(ontology))


def dump(ontology: Ontology, path: PathLike) -> None:
    """Write an ontology in canonical form, atomically (a temporary file, then a rename)."""
    data = dumps(ontology)
    with atomic_write(path) as handle:
        handle.write(data)


def load(path: PathLike) -> Ontology:
    """Read, validate and build an ontology.

    The validation of a file whose bytes were validated before is read from the cache of
    :mod:`derm_onto.cache`, which keeps the fixed cost of every command low.

    Raises :class:`OntologyLoadError` when the file cannot be read as JSON and
    :class:`OntologyValidationError` when it has error-level findings (warnings pass).
    """
    from derm_onto.cache import check_document

    source = os.fspath(path)
    data = read_bytes(path)
    document = parse_document(data, source)
    check_document(data, document, source)  # validated once per content, then cached
    return from_dict(document)


def lint(path: PathLike, *, fix: bool = False) -> bool:
    """True when ``path`` is in canonical form. With ``fix`` a file that is not is rewritten
    (atomically) and True is returned; without, a DermOntoError tells the command to run.

    >>> from derm_onto.resources import bundled_ontology_path
    >>> lint(bundled_ontology_path())
    True
    """
    from derm_onto.errors import DermOntoError

    canonical = dumps(load(path))
    if Path(path).read_bytes() == canonical:
        return True
    if not fix:
        raise DermOntoError(f"{path}: not in canonical form; run `derm-onto lint --fix {path}`")
    with atomic_write(path) as handle:
        handle.write(canonical)
    return False


def dump_valid(ontology: Ontology, path: PathLike) -> None:
    """Validate ``ontology`` and write it in canonical form; nothing is written when it has
    errors (an :class:`~derm_onto.errors.OntologyValidationError` lists them)."""
    from derm_onto.errors import OntologyValidationError
    from derm_onto.validate import has_failures, validate_document

    findings = validate_document(to_dict(ontology))
    if has_failures(findings):
        raise OntologyValidationError(str(path), findings)
    dump(ontology, path)
