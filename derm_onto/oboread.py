"""OBO 1.4 -> model, through fastobo, tolerant of the slips real files have.

fastobo is strict: one bad clause fails the whole document. When that happens the file is
read frame by frame; a clause fastobo rejects is repaired when the slip is a known one (a
space inside an xref, an unquoted definition or synonym) or else left out, each with a
warning naming the line, so a 10k-term file is never refused for one clause.

What the model cannot hold (relationships other than ``is_a``, ``alt_id``, subsets,
typedefs, ...) is counted and reported as one ``dropped`` warning per kind.

A file derm-onto wrote (it declares the ``dermonto:has_feature`` or
``dermonto:has_observed_feature`` typedef, see :mod:`derm_onto.obo`) keeps its links:
``namespace: condition|concept|finding`` gives each term its kind (instead of
``--kind``), ``relationship: dermonto:has_feature ID`` its typical concepts and findings,
``property_value: dermonto:has_observed_feature ID`` its observed concepts. A link to a
term that is not in the file, or of the wrong kind, is dropped and counted.

>>> text = b'''format-version: 1.4
... ontology: demo
...
... [Term]
... id: DEMO:0000001
... name: skin disease
...
... [Term]
... id: DEMO:0000002
... name: acne
... def: An unquoted definition. [PMID:123]
... is_a: DEMO:0000001
... xref: ICD10CM: L70.0
... '''
>>> from derm_onto.formats import ReadOptions
>>> onto, findings = read_obo(text, "demo.obo", ReadOptions())
>>> [(t.id, t.parents, t.definition, t.xrefs) for t in onto.conditions][1]
('DEMO:0000002', ('DEMO:0000001',), 'An unquoted definition.', ('ICD10CM:L70.0',))
>>> [f.path for f in findings if f.code == "obo_syntax"]
['line 11', 'line 13']
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from derm_onto.formats import ReadOptions
from derm_onto.model import Kind, Ontology
from derm_onto.rdf.read import (
    clean_sources,
    clean_xref,
    normalise_obsolete,
    relabel_obsolete_duplicates,
)
from derm_onto.rdf.vocab import OBO
from derm_onto.validate import ValidationFinding

_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_SCOPES = {"EXACT": "exact", "RELATED": "related", "BROAD": "broad", "NARROW": "narrow"}
_ABBREVIATION_TYPES = {"abbreviation", "OMO:0003000"}
#: derm-onto's two typedefs (``dermonto:`` or unprefixed, see ``derm_onto.obo``)
_HAS_FEATURE = ("dermonto:has_feature", "has_feature")
_HAS_OBSERVED = ("dermonto:has_observed_feature", "has_observed_feature")
_KINDS: dict[str, Kind] = {"condition": "conditions", "concept": "concepts", "finding": "findings"}
#: at most this many repairs inside one frame before the frame is left out
_MAX_REPAIRS = 20


@dataclass
class _Drops:
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def __call__(self, reason: str, example: str) -> None:
        self.counts[reason] += 1
        self.examples.setdefault(reason, example)

    def findings(self) -> list[ValidationFinding]:
        return [
            ValidationFinding(
                "warning",
                "dropped",
                self.examples[reason],
                f"{count} dropped: {reason} (e.g. {self.examples[reason]})",
            )
            for reason, count in sorted(self.counts.items())
        ]


def _repair(line: str) -> str | None:
    """A known slip fixed, or None. ``xref: A: B`` -> ``xref: A:B``; an unquoted
    ``def:``/``synonym:`` text gets its quotes."""
    tag, sep, value = line.partition(":")
    value = value.strip()
    if not sep:
        return None
    if tag in ("xref", "is_a", "replaced_by", "consider", "alt_id", "disjoint_from"):
        head, quote, rest = value.partition('"')
        curie = re.sub(r"\s+", "", head.split("!")[0])
        fixed = f"{tag}: {curie}" + (f' "{rest}' if quote else "")
        return fixed if fixed != line else None
    if tag in ("def", "synonym") and not value.startswith('"'):
        text, bracket, refs = value.partition("[")
        words = text.strip()
        scope = ""
        if tag == "synonym":
            parts = words.rsplit(" ", 1)
            if len(parts) == 2 and parts[1] in _SCOPES:
                words, scope = parts[0], f" {parts[1]}"
            else:
                scope = " RELATED"
        escaped = words.replace("\\", "\\\\").replace('"', '\\"')
        refs_text = f"[{refs}" if bracket else "[]"
        return f'{tag}: "{escaped}"{scope} {refs_text}'
    return None


def _parse_frame(
    lines: list[str], first_line: int, source: str, findings: list[ValidationFinding]
) -> list[Any]:
    """fastobo's frames of one stanza, repairing or leaving out clauses it rejects."""
    import fastobo

    lines = list(lines)
    for _ in range(_MAX_REPAIRS):
        try:
            return list(fastobo.loads("\n".join(lines) + "\n"))
        except SyntaxError as exc:
            index = (exc.lineno or 1) - 1
            if not 0 < index < len(lines):  # the stanza line itself: give up on the frame
                break
            where = f"line {first_line + index}"
            fixed = _repair(lines[index])
            if fixed is not None:
                findings.append(
                    ValidationFinding(
                        "warning", "obo_syntax", where, f"{exc.msg}: repaired as {fixed!r}"
                    )
                )
                lines[index] = fixed
            else:
                findings.append(
                    ValidationFinding("warning", "obo_syntax", where, f"{exc.msg}: clause left out")
                )
                lines[index] = ""
    findings.append(
        ValidationFinding(
            "warning", "obo_syntax", f"line {first_line}", "stanza left out: cannot be read"
        )
    )
    return []


def _frames(text: str, source: str, findings: list[ValidationFinding]) -> tuple[Any, list[Any]]:
    """The header and the entity frames: the whole document at once, or frame by frame
    with repairs when fastobo refuses it."""
    import fastobo

    try:
        document = fastobo.loads(text)
        return document.header, list(document)
    except SyntaxError:
        pass
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("[")]
    header_end = starts[0] if starts else len(lines)
    try:
        header = fastobo.loads("\n".join(lines[:header_end]) + "\n").header
    except SyntaxError as exc:
        findings.append(
            ValidationFinding(
                "warning", "obo_syntax", f"line {exc.lineno}", f"{exc.msg}: header skipped"
            )
        )
        header = fastobo.loads("").header
    frames: list[Any] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        frames += _parse_frame(lines[start:end], start + 1, source, findings)
    return header, frames


def _header(header: Any) -> dict[str, str]:
    """id, title, description, version and license from the OBO header clauses."""
    out: dict[str, str] = {}
    for clause in header:
        tag, value = clause.raw_tag(), clause.raw_value()
        if tag == "ontology":
            out["id"] = value
        elif tag == "data-version":
            out.setdefault("version", value.rsplit("/", 1)[-1])
        elif tag == "property_value":
            prop, _, rest = value.partition(" ")
            literal = rest.rsplit(" xsd:", 1)[0].strip().strip('"')
            local = prop.rsplit(":", 1)[-1]
            if local in ("title", "description", "license"):
                out.setdefault(local, literal)
            elif prop == "owl:versionInfo":
                out["version"] = literal
    return out


def read_obo(
    data: bytes, source: str, options: ReadOptions
) -> tuple[Ontology | None, list[ValidationFinding]]:
    """Read OBO bytes: every ``[Term]`` becomes an entry of ``options.default_kind``
    (conditions by default) with IRIs in the OBO PURL space."""
    from derm_onto.jsonio import from_dict
    from derm_onto.rdf.safe import check_size

    check_size(len(data), source, options.max_file_bytes)
    findings: list[ValidationFinding] = []
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    header, frames = _frames(text, source, findings)
    drop = _Drops()
    meta = _header(header)
    kind: Kind = options.default_kind or "conditions"
    ids = {str(f.id) for f in frames if type(f).__name__ == "TermFrame"}
    own = any(
        type(f).__name__ == "TypedefFrame" and str(f.id) in (*_HAS_FEATURE, *_HAS_OBSERVED)
        for f in frames
    )
    entries: list[dict[str, Any]] = []
    disjoint: set[tuple[str, str]] = set()
    for frame in frames:
        if type(frame).__name__ != "TermFrame":
            if not (own and str(frame.id) in (*_HAS_FEATURE, *_HAS_OBSERVED)):
                drop(f"{type(frame).__name__.removesuffix('Frame').lower()} stanzas", str(frame.id))
            continue
        entry = _term(frame, ids, drop, disjoint, options, own)
        if entry is not None:
            entries.append(entry)
    kinds = {e["id"]: e.pop("kind", kind) for e in entries}
    if own:
        _resolve_links(entries, kinds, drop)
    normalise_obsolete(entries, drop)
    relabel_obsolete_duplicates(entries, drop)
    prefixes = {
        p: f"{OBO}{p}_"
        for entry in entries
        for p in [
            entry["id"].partition(":")[0],
            *(x.partition(":")[0] for x in entry.get("xrefs", ())),
        ]
        if _PREFIX.match(p)
    }
    onto_id = re.sub(r"[^a-z0-9_-]+", "-", meta.get("id", "ontology").lower().removesuffix(".obo"))
    document: dict[str, Any] = {
        "id": onto_id.strip("-") or "ontology",
        "title": meta.get("title") or onto_id,
        "description": meta.get("description", ""),
        "version": re.sub(r"[^0-9A-Za-z.+-]", "-", meta.get("version", "")).strip("-"),
        "license": meta.get("license", ""),
        "base_iri": OBO,
        "prefixes": dict(sorted(prefixes.items())),
        **{k: [e for e in entries if kinds[e["id"]] == k] for k in _KINDS.values()},
        "disjoint": [
            {"classes": list(pair), "reason": "disjoint_from in the imported ontology"}
            for pair in sorted(disjoint)
        ],
    }
    return from_dict({k: v for k, v in document.items() if v != ""}), [
        *findings,
        *drop.findings(),
    ]


def _curie(value: Any) -> str | None:
    text = str(value)
    prefix, sep, local = text.partition(":")
    if not sep or not _PREFIX.match(prefix) or not re.match(r"^[A-Za-z0-9_.-]+$", local):
        return None
    return text


def _resolve_links(entries: list[dict[str, Any]], kinds: dict[str, Kind], drop: _Drops) -> None:
    """The raw ``has_feature`` and ``has_observed_feature`` targets of derm-onto's own file
    as ``concepts``/``findings``/``observed_concepts``, by the kind of each target."""
    for entry in entries:
        features = entry.pop("features", [])
        observed = entry.pop("observed", [])
        if kinds[entry["id"]] != "conditions":
            if features or observed:
                drop(
                    "has_feature and has_observed_feature links of concepts or findings",
                    entry["id"],
                )
            continue
        for name, targets, wanted in (
            ("concepts", features, "concepts"),
            ("findings", features, "findings"),
            ("observed_concepts", observed, "concepts"),
        ):
            found = sorted({t for t in targets if kinds.get(t) == wanted})
            if found:
                entry[name] = found
        for target in sorted(set(features)):
            if kinds.get(target) not in ("concepts", "findings"):
                drop("has_feature targets that are not concepts or findings of this file", target)
        for target in sorted(set(observed)):
            if kinds.get(target) != "concepts":
                drop("has_observed_feature values that are not concepts of this file", target)


def _term(
    frame: Any,
    ids: set[str],
    drop: _Drops,
    disjoint: set[tuple[str, str]],
    options: ReadOptions,
    own: bool = False,
) -> dict[str, Any] | None:
    """One ``[Term]`` frame as a JSON entry (None when it has no usable id or name); in
    derm-onto's own file (``own``) also its kind and raw links (``kind``, ``features``,
    ``observed``, resolved by :func:`_resolve_links`)."""
    import fastobo

    term_id = _curie(frame.id)
    if term_id is None:
        drop("terms whose id is not a CURIE", str(frame.id))
        return None
    entry: dict[str, Any] = {"id": term_id}
    parents: set[str] = set()
    synonyms: dict[str, str] = {}
    xrefs: list[str] = []
    for clause in frame:
        name = type(clause).__name__
        if name == "NameClause":
            entry["label"] = " ".join(str(clause.name).split())
        elif name == "DefClause":
            entry["definition"] = str(clause.definition)
            sources = [str(x.id) for x in clause.xrefs]
            entry["definition_xrefs"] = clean_sources(sources, term_id, drop)
        elif name == "SynonymClause":
            synonym = clause.synonym
            scope = _SCOPES.get(str(synonym.scope), "related")
            if scope == "exact" and str(synonym.type) in _ABBREVIATION_TYPES:
                scope = "abbreviation"
            text = " ".join(str(synonym.desc).split())
            if text and text != entry.get("label"):
                synonyms.setdefault(text, scope)
        elif name == "XrefClause":
            xrefs.append(str(clause.xref.id))
        elif name == "IsAClause":
            parent = str(clause.term)
            if parent in ids:
                parents.add(parent)
            else:
                drop("is_a parents that are not terms of this file", f"{term_id} {parent}")
        elif name == "IsObsoleteClause":
            entry["obsolete"] = bool(clause.obsolete)
        elif name == "ReplacedByClause":
            entry["replaced_by"] = str(clause.term)
        elif name == "ConsiderClause":
            entry.setdefault("consider", []).append(str(clause.term))
        elif own and name == "NamespaceClause" and str(clause.namespace) in _KINDS:
            entry["kind"] = _KINDS[str(clause.namespace)]
        elif own and name == "RelationshipClause" and str(clause.typedef) in _HAS_FEATURE:
            entry.setdefault("features", []).append(str(clause.term))
        elif (
            own
            and name == "PropertyValueClause"
            and str(clause.property_value.relation) in _HAS_OBSERVED
            and isinstance(clause.property_value, fastobo.pv.ResourcePropertyValue)
        ):
            entry.setdefault("observed", []).append(str(clause.property_value.value))
        elif name == "DisjointFromClause":
            other = str(clause.term)
            if other in ids and other != term_id:
                disjoint.add((min(term_id, other), max(term_id, other)))
            else:
                drop("disjoint_from terms not in this file", f"{term_id} {other}")
        else:
            drop(f"{clause.raw_tag()} clauses", term_id)
    if "label" not in entry or not entry["label"]:
        drop("terms without a name", term_id)
        return None
    entry["parents"] = sorted(parents)
    entry["synonyms"] = [{"text": t, "type": k} for t, k in sorted(synonyms.items())]
    entry["xrefs"] = sorted({x for s in xrefs if (x := clean_xref(s, term_id, drop)) is not None})
    if entry.get("consider"):
        entry["consider"] = sorted(set(entry["consider"]))
    return {k: v for k, v in entry.items() if v not in ([], None, False, "")}
