"""Validate an ontology document: JSON Schema first, then semantic checks.

Every problem becomes a :class:`ValidationFinding` with a severity, a short code, a JSON
pointer into the document (``/conditions/17/parents/0``) and a sentence a curator can act on. A run
returns all findings, never only the first. The semantic checks follow ROBOT's ``report``:

============================  ========  =====================================================
code                          severity  meaning
============================  ========  =====================================================
(schema codes)                error     ``unknown_key``, ``missing_key``, ``wrong_type``,
                                        ``invalid_id``, ``invalid_xref``, ``invalid_value``,
                                        ``duplicate_item``
duplicate_id                  error     two entries share an id
undeclared_prefix             error     an id or xref uses a prefix not in ``prefixes``
invalid_xref                  error     an xref's local part does not fit its scheme
dangling_reference            error     a parent, concept or finding id that does not exist
wrong_kind                    error     a reference to an entry of the wrong kind
typical_and_observed          error     a concept both typical (``concepts``) and observed
                                        (``observed_concepts``) on one condition
cycle                         error     the parent links form a cycle (ids named)
duplicate_label               error     two entries of a kind share a label (case and
                                        spacing ignored)
label_whitespace              warning   leading, trailing or repeated white space
synonym_is_label              warning   a synonym equal to the entry's own label
synonym_clash                 warning   an exact synonym equal to another entry's label
shared_exact_synonym          warning   two entries of a kind share an exact synonym
missing_definition            info      an entry without a definition
duplicate_label (across)      error     a condition and a concept (any two kinds) share a label
missing_definition_source     warning   a definition without ``definition_xrefs``
obsolete_replacement          error     ``replaced_by`` names an obsolete term
obsolete_in_hierarchy         error     an obsolete term has parents or is a parent
replaced_by_on_live_term      warning   a term that is not obsolete names a replacement
xref_branch_conflict          warning   an ICD-10-CM code contradicts the condition's
                                        ancestors (rules: ``schemas/icd10cm-branches.json``)
============================  ========  =====================================================

>>> doc = {"id": "demo", "title": "Demo", "base_iri": "https://example.org/demo/",
...        "prefixes": {"DEMO": "https://example.org/demo/DEMO_"},
...        "conditions": [{"id": "DEMO:1", "label": "acne", "parents": ["DEMO:2"]}],
...        "concepts": [], "findings": []}
>>> [f.code for f in validate_document(doc)]
['dangling_reference', 'missing_definition']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal

from derm_onto.errors import OntologyLoadError
from derm_onto.jsonio import parse_document, read_bytes
from derm_onto.model import KINDS
from derm_onto.resources import schema_path
from derm_onto.text import normalise_label

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2}

#: Local-id patterns of well-known xref schemes; other declared schemes are only CURIE-checked.
XREF_PATTERNS: Mapping[str, re.Pattern[str]] = {
    # a code or a block range (``A00-A09``, ``C43.0-C43.9``), as OBO ontologies cite them
    "ICD10CM": re.compile(
        r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?(-[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?)?"
    ),
    "ICD10": re.compile(r"[A-Z][0-9][0-9](\.[0-9]{1,2})?"),
    "HP": re.compile(r"[0-9]{7}"),
    "DOID": re.compile(r"[0-9]+"),
    "MONDO": re.compile(r"[0-9]{7}"),
    "UMLS": re.compile(r"C[0-9]{7}"),
    "NCIT": re.compile(r"C[0-9]+"),
    "MESH": re.compile(r"[A-Z][0-9]+"),
    "SNOMEDCT": re.compile(r"[0-9]{6,18}"),
    "ORPHA": re.compile(r"[0-9]+"),
}


@dataclass(frozen=True, slots=True)
class ValidationFinding:
    """One validation result.

    >>> ValidationFinding("error", "cycle", "/conditions/0", "on a cycle").format("x.json")
    'x.json:/conditions/0: error cycle: on a cycle'
    """

    severity: Severity
    code: str
    path: str
    message: str

    def format(self, source: str) -> str:
        """The one-line form ``SOURCE:/json/path: severity code: message`` (``SOURCE:
        severity code: message`` for a finding about the whole file)."""
        return f"{source}:{self.path}: {self.severity} {self.code}: {self.message}".replace(
            f"{source}:: ", f"{source}: ", 1
        )

    def as_dict(self) -> dict[str, str]:
        """A plain dict, for JSON output."""
        return asdict(self)


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path parts.

    >>> pointer("conditions", 17, "parents", 0)
    '/conditions/17/parents/0'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# -- JSON Schema -------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def _schema_finding(error: Any) -> Iterator[ValidationFinding]:
    path = list(error.absolute_path)
    where = pointer(*path)
    kind, instance = error.validator, error.instance
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for key in sorted(set(instance) - set(allowed)):
            hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
            yield ValidationFinding(
                "error", "unknown_key", pointer(*path, key), f"unknown key {key!r}{hint}"
            )
        return
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield ValidationFinding("error", "missing_key", where, f"missing required key {missing!r}")
    elif kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, str) else " or ".join(expected)
        got = _JSON_TYPES.get(type(instance), "a value")
        yield ValidationFinding("error", "wrong_type", where, f"expected {expected}, found {got}")
    elif kind == "pattern" and error.schema_path and "propertyNames" in error.schema_path:
        yield ValidationFinding(
            "error",
            "invalid_value",
            where,
            f"prefix {_short(instance)} must start with a letter and hold only letters, "
            "digits, '_', '.', '-'",
        )
    elif kind == "pattern":
        is_xref = len(path) >= 2 and path[-2] == "xrefs"
        if is_xref:
            yield ValidationFinding(
                "error",
                "invalid_xref",
                where,
                f"{_short(instance)} is not a CURIE of the form PREFIX:local",
            )
        elif (path and path[-1] == "id") or (
            len(path) >= 2 and path[-2] in ("parents", "concepts", "findings")
        ):
            yield ValidationFinding(
                "error",
                "invalid_id",
                where,
                f"{_short(instance)} is not an id of the form PREFIX:local "
                "(letters, digits, '_', '.', '-')",
            )
        else:
            desc = error.schema.get("description", "")
            yield ValidationFinding(
                "error",
                "invalid_value",
                where,
                f"{_short(instance)} is not a valid value here. {desc}".strip(),
            )
    elif kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        yield ValidationFinding(
            "error", "invalid_value", where, f"{_short(instance)} is not one of: {options}"
        )
    elif kind == "uniqueItems":
        seen: list[Any] = []
        for item in instance:
            if item in seen:
                yield ValidationFinding(
                    "error", "duplicate_item", where, f"lists {_short(item)} twice"
                )
                break
            seen.append(item)
    elif kind in ("minLength", "minProperties", "minItems"):
        yield ValidationFinding("error", "invalid_value", where, "must not be empty")
    else:
        yield ValidationFinding("error", "invalid_value", where, error.message[:200])


def schema_findings(document: Any) -> list[ValidationFinding]:
    """Findings of the JSON Schema check alone, sorted by path."""
    errors = sorted(
        _validator().iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]
    )
    findings: list[ValidationFinding] = []
    for error in errors:
        findings.extend(_schema_finding(error))
    return findings


# -- semantic checks ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str
    index: int
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        value = self.data["id"]
        assert isinstance(value, str)
        return value

    @property
    def label(self) -> str | None:
        value = self.data.get("label")
        return value if isinstance(value, str) else None

    def path(self, *parts: str | int) -> str:
        return pointer(self.kind, self.index, *parts)

    def strings(self, key: str) -> Iterator[tuple[int, str]]:
        value = self.data.get(key)
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield i, item

    def synonyms(self) -> Iterator[tuple[int, str, str]]:
        value = self.data.get("synonyms")
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and isinstance(item.get("text"), str):
                    yield i, item["text"], str(item.get("type", "exact"))

    def describe(self) -> str:
        return f"{self.id} ({self.label!r})" if self.label else self.id


def _entries(document: Mapping[str, Any]) -> list[_Entry]:
    entries = []
    for kind in KINDS:
        items = document.get(kind)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    entries.append(_Entry(kind, index, item))
    return entries


def _check_ids(
    entries: Sequence[_Entry], prefixes: Mapping[str, Any]
) -> Iterator[ValidationFinding]:
    first: dict[str, _Entry] = {}
    for entry in entries:
        if entry.id in first:
            other = first[entry.id]
            yield ValidationFinding(
                "error",
                "duplicate_id",
                entry.path("id"),
                f"id {entry.id} is already used by {other.path()} ({other.label!r})",
            )
        else:
            first[entry.id] = entry
    for entry in entries:
        refs = [(entry.path("id"), entry.id, "id")]
        refs += [(entry.path("xrefs", i), x, "xref") for i, x in entry.strings("xrefs")]
        for path, curie, what in refs:
            prefix, sep, local = curie.partition(":")
            if not sep:
                continue  # the schema reports malformed CURIEs
            if prefix not in prefixes:
                yield ValidationFinding(
                    "error",
                    "undeclared_prefix",
                    path,
                    f"{what} {curie} uses prefix {prefix!r}, which is not declared in /prefixes",
                )
            elif (
                what == "xref"
                and prefix in XREF_PATTERNS
                and not XREF_PATTERNS[prefix].fullmatch(local)
            ):
                yield ValidationFinding(
                    "error", "invalid_xref", path, f"{curie} is not a well-formed {prefix} code"
                )


_REFERENCE_NAMES = {
    "parents": "parent",
    "concepts": "concept",
    "findings": "finding",
    "observed_concepts": "observed concept",
}


def _check_references(entries: Sequence[_Entry]) -> Iterator[ValidationFinding]:
    kind_of: dict[str, str] = {}
    for entry in entries:
        kind_of.setdefault(entry.id, entry.kind)
    singular = {"conditions": "condition", "concepts": "concept", "findings": "finding"}
    for entry in entries:
        fields = [("parents", entry.kind)]
        if entry.kind == "conditions":
            fields += [
                ("concepts", "concepts"),
                ("findings", "findings"),
                ("observed_concepts", "concepts"),
            ]
            typical = {ref for _, ref in entry.strings("concepts")}
            for i, ref in entry.strings("observed_concepts"):
                if ref in typical:
                    yield ValidationFinding(
                        "error",
                        "typical_and_observed",
                        entry.path("observed_concepts", i),
                        f"{ref} is both a typical and an observed concept of "
                        f"{entry.describe()}; keep it in one of concepts or observed_concepts",
                    )
        for field, expected in fields:
            for i, ref in entry.strings(field):
                actual = kind_of.get(ref)
                if actual is None:
                    yield ValidationFinding(
                        "error",
                        "dangling_reference",
                        entry.path(field, i),
                        f"{_REFERENCE_NAMES[field]} {ref} of {entry.describe()} does not exist",
                    )
                elif actual != expected:
                    yield ValidationFinding(
                        "error",
                        "wrong_kind",
                        entry.path(field, i),
                        f"{ref} is a {singular[actual]}, but {field} of a "
                        f"{singular[entry.kind]} must name {expected}",
                    )


def _check_disjoint(
    document: Mapping[str, Any], entries: Sequence[_Entry]
) -> Iterator[ValidationFinding]:
    groups = document.get("disjoint")
    if not isinstance(groups, list):
        return
    kind_of: dict[str, str] = {}
    for entry in entries:
        kind_of.setdefault(entry.id, entry.kind)
    for g, group in enumerate(groups):
        classes = group.get("classes") if isinstance(group, dict) else None
        if not isinstance(classes, list):
            continue
        kinds = set()
        for i, ref in enumerate(classes):
            if not isinstance(ref, str):
                continue
            if ref not in kind_of:
                yield ValidationFinding(
                    "error",
                    "dangling_reference",
                    pointer("disjoint", g, "classes", i),
                    f"disjoint class {ref} does not exist",
                )
            else:
                kinds.add(kind_of[ref])
        if len(kinds) > 1:
            yield ValidationFinding(
                "error",
                "wrong_kind",
                pointer("disjoint", g, "classes"),
                "a disjoint group must hold classes of one kind",
            )


def _check_cycles(entries: Sequence[_Entry]) -> Iterator[ValidationFinding]:
    import networkx as nx

    graph: Any = nx.DiGraph()
    first: dict[str, _Entry] = {}
    for entry in entries:
        first.setdefault(entry.id, entry)
        for _, parent in entry.strings("parents"):
            graph.add_edge(entry.id, parent)
    for component in sorted(nx.strongly_connected_components(graph), key=min):
        if len(component) == 1:
            (node,) = component
            if not graph.has_edge(node, node):
                continue
        cycle = [u for u, _ in nx.find_cycle(graph.subgraph(component))]
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        anchor = first.get(cycle[0])
        path = anchor.path("parents") if anchor else ""
        yield ValidationFinding(
            "error",
            "cycle",
            path,
            "parent links form a cycle (each id's parent is the next): "
            + " -> ".join([*cycle, cycle[0]]),
        )


def _check_labels(entries: Sequence[_Entry]) -> Iterator[ValidationFinding]:
    by_kind: dict[str, list[_Entry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    for group in by_kind.values():
        labels: dict[str, _Entry] = {}
        for entry in group:
            if entry.label is None:
                continue
            key = normalise_label(entry.label)
            if key in labels:
                other = labels[key]
                yield ValidationFinding(
                    "error",
                    "duplicate_label",
                    entry.path("label"),
                    f"label {entry.label!r} is also the label of {other.id} ({other.path()})",
                )
            else:
                labels[key] = entry
        exact: dict[str, _Entry] = {}
        for entry in group:
            if entry.label is not None and entry.label != " ".join(entry.label.split()):
                yield ValidationFinding(
                    "warning",
                    "label_whitespace",
                    entry.path("label"),
                    f"label {entry.label!r} has leading, trailing or repeated spaces",
                )
            own = normalise_label(entry.label) if entry.label is not None else None
            for i, text, kind in entry.synonyms():
                key = normalise_label(text)
                if text != " ".join(text.split()):
                    yield ValidationFinding(
                        "warning",
                        "label_whitespace",
                        entry.path("synonyms", i, "text"),
                        f"synonym {text!r} has leading, trailing or repeated spaces",
                    )
                if key == own:
                    yield ValidationFinding(
                        "warning",
                        "synonym_is_label",
                        entry.path("synonyms", i),
                        f"synonym {text!r} repeats the entry's own label",
                    )
                elif (
                    kind in ("exact", "abbreviation")
                    and key in labels
                    and (labels[key].id != entry.id)
                ):
                    other = labels[key]
                    yield ValidationFinding(
                        "warning",
                        "synonym_clash",
                        entry.path("synonyms", i),
                        f"synonym {text!r} of {entry.id} is the label of {other.id}",
                    )
                if kind in ("exact", "abbreviation"):
                    holder = exact.setdefault(key, entry)
                    if holder.id != entry.id:
                        yield ValidationFinding(
                            "warning",
                            "shared_exact_synonym",
                            entry.path("synonyms", i),
                            f"exact synonym {text!r} of {entry.id} is also an exact "
                            f"synonym of {holder.id}: a matcher cannot tell them apart",
                        )


def _check_definitions(entries: Sequence[_Entry]) -> Iterator[ValidationFinding]:
    for entry in entries:
        if not isinstance(entry.data.get("definition"), str):
            yield ValidationFinding(
                "info", "missing_definition", entry.path(), f"{entry.describe()} has no definition"
            )


#: Characters XML 1.0 cannot carry (and so no RDF/XML, OWL or OBO file): C0 controls other
#: than tab, line feed and carriage return, NUL, lone UTF-16 surrogates, U+FFFE and U+FFFF.
_INVALID_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _strings(value: Any, parts: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value with its pointer, object keys included."""
    if isinstance(value, str):
        yield pointer(*parts), value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield pointer(*parts, key), str(key)
            yield from _strings(item, (*parts, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*parts, index))


def _check_characters(document: Mapping[str, Any]) -> Iterator[ValidationFinding]:
    for path, text in _strings(dict(document)):
        bad = _INVALID_CHARACTER.search(text)
        if bad is not None:
            char = bad.group()
            kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
            yield ValidationFinding(
                "error",
                "invalid_character",
                path,
                f"holds {kind} U+{ord(char):04X} at offset {bad.start()}, which no RDF/XML, "
                "OWL or OBO file can carry; remove it",
            )


def semantic_findings(document: Mapping[str, Any]) -> list[ValidationFinding]:
    """Findings of the semantic checks alone (robust to schema-invalid documents)."""
    entries = _entries(document)
    prefixes = document.get("prefixes")
    prefixes = prefixes if isinstance(prefixes, dict) else {}
    checks: Iterable[Iterator[ValidationFinding]] = (
        _check_characters(document),
        _check_ids(entries, prefixes),
        _check_references(entries),
        _check_disjoint(document, entries),
        _check_cycles(entries),
        _check_labels(entries),
        _check_definitions(entries),
    )
    return [finding for check in checks for finding in check] + v2_findings(document)


def validate_document(document: Any) -> list[ValidationFinding]:
    """All findings for a parsed document: schema violations, then semantic checks."""
    findings = schema_findings(document)
    if isinstance(document, dict):
        findings.extend(semantic_findings(document))
    return findings


def validate_file(path: str | os.PathLike[str]) -> list[ValidationFinding]:
    """All findings for a file; a file that cannot be read yields one error finding.

    >>> from derm_onto.resources import bundled_ontology_path
    >>> [f for f in validate_file(bundled_ontology_path()) if f.severity == "error"]
    []
    """
    from derm_onto.cache import cached_findings

    try:
        data = read_bytes(path)
        document = parse_document(data, os.fspath(path))
    except OntologyLoadError as exc:
        return [ValidationFinding("error", exc.code, "", exc.message)]
    return cached_findings(data, document)


@dataclass(frozen=True)
class FileReport:
    """The findings for one file and, when it could be read, its entries per kind."""

    path: str
    findings: list[ValidationFinding]
    counts: dict[str, int] | None

    def failed(self, *, strict: bool = False) -> bool:
        """True when the file has errors (``strict``: or warnings)."""
        return has_failures(self.findings, strict=strict)

    def summary(self) -> str:
        """One line: ``ok: N conditions, M concepts, K findings`` or the problem count."""
        errors = sum(f.severity == "error" for f in self.findings)
        warnings = sum(f.severity == "warning" for f in self.findings)
        if self.counts is None or errors:
            return f"{self.path}: {errors} errors, {warnings} warnings"
        counts = ", ".join(f"{n} {kind}" for kind, n in self.counts.items() if kind != "obsolete")
        notes = [f"{self.counts['obsolete']} obsolete"] if self.counts.get("obsolete") else []
        notes += [f"{warnings} warnings"] if warnings else []
        tail = f" ({', '.join(notes)})" if notes else ""
        return f"{self.path}: ok: {counts}{tail}"


def check_file(path: str | os.PathLike[str]) -> FileReport:
    """Validate one file and count its entries.

    >>> from derm_onto.resources import bundled_ontology_path
    >>> line = check_file(bundled_ontology_path()).summary()
    >>> line.split(": ok: ")[1].split(" (")[0].endswith("findings"), "obsolete)" in line
    (True, True)
    """
    from derm_onto.cache import cached_findings

    try:
        data = read_bytes(path)
        document = parse_document(data, os.fspath(path))
    except OntologyLoadError as exc:
        return FileReport(str(path), [ValidationFinding("error", exc.code, "", exc.message)], None)
    entries = {
        kind: document[kind] if isinstance(document.get(kind), list) else []
        for kind in ("conditions", "concepts", "findings")
    }
    # live entries per kind, as `info` counts them; obsolete ones apart
    counts = {
        kind: sum(not (isinstance(e, dict) and e.get("obsolete") is True) for e in items)
        for kind, items in entries.items()
    }
    counts["obsolete"] = sum(len(items) for items in entries.values()) - sum(counts.values())
    return FileReport(str(path), cached_findings(data, document), counts)


def has_failures(findings: Iterable[ValidationFinding], *, strict: bool = False) -> bool:
    """True when a finding is an error, or (``strict``) a warning.

    >>> has_failures([ValidationFinding("warning", "label_whitespace", "/x", "m")], strict=True)
    True
    """
    worst: Severity = "warning" if strict else "error"
    return any(SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[worst] for f in findings)


# -- ontology v2 checks: labels across kinds, definition sources, obsolete terms, xrefs ----
def _check_labels_across_kinds(entries: Sequence[_Entry]) -> Iterator[ValidationFinding]:
    """A label used by entries of two kinds (a condition and a concept): ROBOT's error."""
    first: dict[str, _Entry] = {}
    for entry in entries:
        if entry.label is None or entry.data.get("obsolete") is True:
            continue
        other = first.setdefault(normalise_label(entry.label), entry)
        if other.kind != entry.kind:
            yield ValidationFinding(
                "error",
                "duplicate_label",
                entry.path("label"),
                f"label {entry.label!r} of {entry.id} is also the label of the "
                f"{other.kind[:-1]} {other.id} ({other.path()}): labels must be unique "
                "across kinds",
            )


def _check_definition_sources(entries: Sequence[_Entry]) -> Iterator[ValidationFinding]:
    """A definition without ``definition_xrefs`` (OBO: ``def: "..." []``)."""
    for entry in entries:
        if entry.data.get("obsolete") is True:
            continue
        if isinstance(entry.data.get("definition"), str) and not list(
            entry.strings("definition_xrefs")
        ):
            yield ValidationFinding(
                "warning",
                "missing_definition_source",
                entry.path("definition"),
                f"the definition of {entry.describe()} names no source in definition_xrefs "
                "(an ICD-10-CM code, PMID:, ISBN: or a URL)",
            )


def _check_obsolete(entries: Sequence[_Entry]) -> Iterator[ValidationFinding]:
    """``replaced_by`` exists and is live; an obsolete term has no children and no parents."""
    by_id = {entry.id: entry for entry in entries}
    obsolete = {entry.id for entry in entries if entry.data.get("obsolete") is True}
    for entry in entries:
        replaced_by = entry.data.get("replaced_by")
        if isinstance(replaced_by, str):
            if entry.id not in obsolete:
                yield ValidationFinding(
                    "warning",
                    "replaced_by_on_live_term",
                    entry.path("replaced_by"),
                    f"{entry.describe()} is not obsolete but names a replacement",
                )
            if replaced_by not in by_id:
                yield ValidationFinding(
                    "error",
                    "dangling_reference",
                    entry.path("replaced_by"),
                    f"replacement {replaced_by} of {entry.describe()} does not exist",
                )
            elif replaced_by in obsolete:
                yield ValidationFinding(
                    "error",
                    "obsolete_replacement",
                    entry.path("replaced_by"),
                    f"replacement {replaced_by} of {entry.describe()} is itself obsolete; "
                    f"name its replacement {by_id[replaced_by].data.get('replaced_by')} instead",
                )
        if entry.id in obsolete and list(entry.strings("parents")):
            yield ValidationFinding(
                "error",
                "obsolete_in_hierarchy",
                entry.path("parents"),
                f"obsolete {entry.describe()} still has parents",
            )
        for i, parent in entry.strings("parents"):
            if parent in obsolete:
                yield ValidationFinding(
                    "error",
                    "obsolete_in_hierarchy",
                    entry.path("parents", i),
                    f"{entry.describe()} has the obsolete {by_id[parent].describe()} as parent",
                )


_ICD_CATEGORY = re.compile(r"([A-Z])([0-9])([0-9A-Z])")


def _icd_key(code: str) -> tuple[str, float] | None:
    """Where an ICD-10-CM category sorts: ``C4A`` after ``C49``, ``O9A`` after ``O99``."""
    match = _ICD_CATEGORY.match(code)
    if match is None:
        return None
    letter, tens, units = match.groups()
    return letter, int(tens) * 10 + (int(units) if units.isdigit() else 9.5)


@lru_cache(maxsize=1)
def icd10cm_branch_table() -> Mapping[str, Any]:
    """The rule table ``schemas/icd10cm-branches.json`` (ICD-10-CM blocks -> branches).

    >>> icd10cm_branch_table()["rules"][1]["codes"]
    'C00-C96'
    """
    from derm_onto.resources import data_dir

    text = data_dir("schemas").joinpath("icd10cm-branches.json").read_text(encoding="utf-8")
    table: Mapping[str, Any] = json.loads(text)
    return table


def xref_branch_findings(
    document: Mapping[str, Any], table: Mapping[str, Any] | None = None
) -> list[ValidationFinding]:
    """``xref_branch_conflict``: ICD-10-CM codes that contradict a condition's ancestors.

    The rules apply to ontologies whose ``id`` the table's ``branches`` names.

    >>> doc = {"id": "demo", "conditions": [
    ...     {"id": "D:1", "label": "benign"}, {"id": "D:2", "label": "malignant"},
    ...     {"id": "D:3", "label": "x", "parents": ["D:1"], "xrefs": ["ICD10CM:C43.9"]}]}
    >>> table = {"rules": [{"codes": "C00-C96", "title": "Malignant neoplasms",
    ...     "requires_any": ["malignant"], "forbids": ["benign"]}],
    ...     "branches": {"demo": {"malignant": ["D:2"], "benign": ["D:1"]}}}
    >>> [f.message for f in xref_branch_findings(doc, table)]  # doctest: +NORMALIZE_WHITESPACE
    ["ICD10CM:C43.9 of D:3 ('x') is in C00-C96 (Malignant neoplasms), which rules out
      its ancestor D:1 ('benign') (benign)", "ICD10CM:C43.9 of D:3 ('x') is in C00-C96
      (Malignant neoplasms), which needs an ancestor in malignant (D:2), but it has none"]
    """
    table = icd10cm_branch_table() if table is None else table
    doc_id = document.get("id")
    branches = table.get("branches", {}).get(doc_id) if isinstance(doc_id, str) else None
    if not branches:
        return []
    entries = [e for e in _entries(document) if e.kind == "conditions"]
    by_id = {e.id: e for e in entries}
    parents = {e.id: [p for _, p in e.strings("parents")] for e in entries}

    def lineage(node: str) -> set[str]:
        seen, stack = {node}, [node]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    rules = []
    for rule in table.get("rules", ()):
        low, _, high = rule["codes"].partition("-")
        rules.append((_icd_key(low), _icd_key(high or low), rule))
    findings = []
    for entry in entries:
        for i, xref in entry.strings("xrefs"):
            prefix, _, code = xref.partition(":")
            key = _icd_key(code) if prefix == "ICD10CM" else None
            if key is None:
                continue
            up: set[str] | None = None
            for low_key, high_key, rule in rules:
                if not (low_key and high_key and low_key <= key <= high_key):
                    continue
                up = lineage(entry.id) if up is None else up
                what = f"{xref} of {entry.describe()} is in {rule['codes']} ({rule['title']})"
                for name in rule.get("forbids", ()):
                    for bad in sorted(up & set(branches.get(name, ()))):
                        findings.append(
                            ValidationFinding(
                                "warning",
                                "xref_branch_conflict",
                                entry.path("xrefs", i),
                                f"{what}, which rules out its ancestor "
                                f"{by_id[bad].describe()} ({name})",
                            )
                        )
                needed = rule.get("requires_any", ())
                wanted = {i for name in needed for i in branches.get(name, ())}
                if needed and not up & wanted:
                    findings.append(
                        ValidationFinding(
                            "warning",
                            "xref_branch_conflict",
                            entry.path("xrefs", i),
                            f"{what}, which needs an ancestor in {' or '.join(needed)} "
                            f"({', '.join(sorted(wanted))}), but it has none",
                        )
                    )
    return findings


def v2_findings(document: Mapping[str, Any]) -> list[ValidationFinding]:
    """Findings of the checks added with ontology v2 (see the table at the top).

    >>> doc = {"id": "demo", "conditions": [{"id": "D:1", "label": "scar", "definition": "x"}],
    ...        "concepts": [{"id": "D:2", "label": "Scar"}]}
    >>> [f.code for f in v2_findings(doc)]
    ['duplicate_label', 'missing_definition_source']
    """
    entries = _entries(document)
    checks: Iterable[Iterator[ValidationFinding]] = (
        _check_labels_across_kinds(entries),
        _check_definition_sources(entries),
        _check_obsolete(entries),
    )
    return [f for check in checks for f in check] + xref_branch_findings(document)
