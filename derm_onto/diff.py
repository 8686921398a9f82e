"""What changed between two versions of an ontology, term by term (ROBOT/OAK diff style).

Terms are matched by id (ids are identity; labels are data). For each id the diff reports,
in this order:

=====================  ======================================================================
change                 meaning
=====================  ======================================================================
``ontology_changed``   a header field (``field``: title, version, prefixes, levels, disjoint
                       groups, ...) changed; these come first, with an empty id
``added``              the id is new
``removed``            the id is gone (ids should be obsoleted, never removed)
``obsoleted``          the term became obsolete (``new`` names its replacement, if any)
``unobsoleted``        an obsolete term was brought back
``relabelled``         the label changed
``moved``              the set of parents changed (``old``/``new`` list the parents)
``definition_changed`` the definition text or its sources changed
``synonym_added``      a synonym (text and type) appeared
``synonym_removed``    a synonym disappeared
``xref_added``         an xref appeared
``xref_removed``       an xref disappeared
``features_changed``   the typical concepts or findings, or the observed concepts, changed
                       (``field``: concepts, findings, observed_concepts); a concept
                       promoted from observed to typical is two such changes of one term,
                       listed together
``other_changed``      any other field changed (``field``: kind, category, provenance,
                       replaced_by, consider)
=====================  ======================================================================

Fields are compared in canonical form (lists as sets), so the diff is empty exactly when
the two files are the same ontology (``derm-onto lint --fix`` would write the same bytes).
A term that is added or removed reports only that. Changes are sorted by id, then by the
order above, so the report of the same two files is always the same.

>>> from derm_onto.model import Condition, Ontology
>>> def onto(*conditions):
...     return Ontology(id="demo", title="Demo", base_iri="https://example.org/demo/",
...                     prefixes={"DEMO": "https://example.org/demo/DEMO_"},
...                     conditions=conditions)
>>> old = onto(Condition(id="DEMO:1", label="acne"))
>>> new = onto(Condition(id="DEMO:1", label="acne vulgaris"),
...            Condition(id="DEMO:2", label="rosacea"))
>>> [(c.change.value, c.id) for c in diff(old, new)]
[('relabelled', 'DEMO:1'), ('added', 'DEMO:2')]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from derm_onto.model import Ontology, Term


class ChangeKind(StrEnum):
    """Kinds of change, in report order."""

    ONTOLOGY_CHANGED = "ontology_changed"
    ADDED = "added"
    REMOVED = "removed"
    OBSOLETED = "obsoleted"
    UNOBSOLETED = "unobsoleted"
    RELABELLED = "relabelled"
    MOVED = "moved"
    DEFINITION_CHANGED = "definition_changed"
    SYNONYM_ADDED = "synonym_added"
    SYNONYM_REMOVED = "synonym_removed"
    XREF_ADDED = "xref_added"
    XREF_REMOVED = "xref_removed"
    FEATURES_CHANGED = "features_changed"
    OTHER_CHANGED = "other_changed"


_ORDER = {kind: n for n, kind in enumerate(ChangeKind)}

Value = str | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Change:
    """One change of one term. ``label`` is the term's label in the new version (the old
    one when it was removed); ``old``/``new`` hold what changed (text, or sorted ids);
    ``field`` names the field for the ``*_changed`` kinds that cover several."""

    change: ChangeKind
    id: str
    label: str
    old: Value = None
    new: Value = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists, absent values are left out)."""
        out: dict[str, Any] = {"change": self.change.value, "id": self.id, "label": self.label}
        for key, value in (("old", self.old), ("new", self.new), ("field", self.field)):
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out


def _synonyms(term: Term) -> set[str]:
    return {f"{s.text} ({s.type.value})" for s in term.synonyms}


def _definition(term: Term) -> str | None:
    if term.definition is None and not term.definition_xrefs:
        return None
    sources = ", ".join(sorted(set(term.definition_xrefs)))
    return f"{term.definition or ''} [{sources}]"


def _term_changes(old: Term, new: Term) -> list[Change]:
    changes: list[Change] = []

    def add(kind: ChangeKind, before: Value = None, after: Value = None) -> None:
        changes.append(Change(kind, new.id, new.label, before, after))

    if new.obsolete and not old.obsolete:
        add(ChangeKind.OBSOLETED, None, new.replaced_by)
    elif old.obsolete and not new.obsolete:
        add(ChangeKind.UNOBSOLETED)
    if old.label != new.label:
        add(ChangeKind.RELABELLED, old.label, new.label)
    if set(old.parents) != set(new.parents):
        add(ChangeKind.MOVED, tuple(sorted(set(old.parents))), tuple(sorted(set(new.parents))))
    if _definition(old) != _definition(new):
        add(ChangeKind.DEFINITION_CHANGED, _definition(old), _definition(new))
    before, after = _synonyms(old), _synonyms(new)
    changes += [
        Change(ChangeKind.SYNONYM_ADDED, new.id, new.label, None, s) for s in sorted(after - before)
    ]
    changes += [
        Change(ChangeKind.SYNONYM_REMOVED, new.id, new.label, s) for s in sorted(before - after)
    ]
    before, after = set(old.xrefs), set(new.xrefs)
    changes += [
        Change(ChangeKind.XREF_ADDED, new.id, new.label, None, x) for x in sorted(after - before)
    ]
    changes += [
        Change(ChangeKind.XREF_REMOVED, new.id, new.label, x) for x in sorted(before - after)
    ]
    return changes


#: canonical term fields the specific change kinds above already report
_REPORTED = {"id", "label", "parents", "synonyms", "definition", "definition_xrefs", "xrefs"}
_FEATURES = ("concepts", "findings", "observed_concepts")


def _as_value(value: Any) -> Value:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _field_changes(
    old: dict[str, Any], new: dict[str, Any], term: Term, kinds: tuple[str, str]
) -> list[Change]:
    """features_changed / other_changed from two canonical term dicts."""
    changes = []
    if kinds[0] != kinds[1]:
        changes.append(Change(ChangeKind.OTHER_CHANGED, term.id, term.label, *kinds, "kind"))
    obsoleted = bool(old.get("obsolete")) != bool(new.get("obsolete"))
    for key in sorted((old.keys() | new.keys()) - _REPORTED - {"obsolete"}):
        if old.get(key) == new.get(key) or (key == "replaced_by" and obsoleted):
            continue
        kind = ChangeKind.FEATURES_CHANGED if key in _FEATURES else ChangeKind.OTHER_CHANGED
        changes.append(
            Change(kind, term.id, term.label, _as_value(old.get(key)), _as_value(new.get(key)), key)
        )
    return changes


def _entries(document: dict[str, Any], ontology: Ontology) -> dict[str, tuple[str, Any, Term]]:
    from derm_onto.model import KINDS

    return {
        entry["id"]: (kind, entry, ontology.term(entry["id"]))
        for kind in KINDS
        for entry in document.get(kind, [])
    }


def diff(old: Ontology, new: Ontology) -> list[Change]:
    """Every change from ``old`` to ``new``, sorted by id then kind (empty when equal)."""
    from derm_onto.jsonio import to_dict
    from derm_onto.model import KINDS

    old_doc, new_doc = to_dict(old), to_dict(new)
    changes: list[Change] = []
    for key in sorted((old_doc.keys() | new_doc.keys()) - set(KINDS)):
        if old_doc.get(key) != new_doc.get(key):
            was, now = _as_value(old_doc.get(key)), _as_value(new_doc.get(key))
            changes.append(Change(ChangeKind.ONTOLOGY_CHANGED, "", key, was, now, key))
    old_terms, new_terms = _entries(old_doc, old), _entries(new_doc, new)
    for term_id in sorted(old_terms.keys() | new_terms.keys()):
        if term_id not in old_terms:
            changes.append(Change(ChangeKind.ADDED, term_id, new_terms[term_id][2].label))
        elif term_id not in new_terms:
            changes.append(Change(ChangeKind.REMOVED, term_id, old_terms[term_id][2].label))
        else:
            old_kind, old_entry, before = old_terms[term_id]
            new_kind, new_entry, after = new_terms[term_id]
            if (old_kind, old_entry) != (new_kind, new_entry):
                changes += _term_changes(before, after)
                changes += _field_changes(old_entry, new_entry, after, (old_kind, new_kind))
    changes.sort(key=lambda c: (c.id, _ORDER[c.change], c.field or ""))
    return changes


def summary(changes: Sequence[Change]) -> dict[str, int]:
    """How many changes of each kind, in report order (kinds with none left out).

    >>> summary([Change(ChangeKind.ADDED, "X:1", "a"), Change(ChangeKind.ADDED, "X:2", "b")])
    {'added': 2}
    """
    counts = Counter(c.change for c in changes)
    return {kind.value: counts[kind] for kind in ChangeKind if counts[kind]}


def to_json(changes: Sequence[Change], old_name: str = "old", new_name: str = "new") -> str:
    """The changes as JSON: ``{"old", "new", "summary", "changes"}`` (sorted keys)."""
    document = {
        "changes": [c.to_dict() for c in changes],
        "new": new_name,
        "old": old_name,
        "summary": summary(changes),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


_TITLES = {
    ChangeKind.ONTOLOGY_CHANGED: "Ontology header",
    ChangeKind.ADDED: "Added terms",
    ChangeKind.REMOVED: "Removed terms",
    ChangeKind.OBSOLETED: "Obsoleted terms",
    ChangeKind.UNOBSOLETED: "Terms no longer obsolete",
    ChangeKind.RELABELLED: "Relabelled terms",
    ChangeKind.MOVED: "Moved terms (parents changed)",
    ChangeKind.DEFINITION_CHANGED: "Changed definitions",
    ChangeKind.SYNONYM_ADDED: "Added synonyms",
    ChangeKind.SYNONYM_REMOVED: "Removed synonyms",
    ChangeKind.XREF_ADDED: "Added xrefs",
    ChangeKind.XREF_REMOVED: "Removed xrefs",
    ChangeKind.FEATURES_CHANGED: "Changed concepts and findings (typical or observed)",
    ChangeKind.OTHER_CHANGED: "Other changes",
}

_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md(text: str) -> str:
    return text.translate(_MARKDOWN_SPECIALS).replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text.replace(chr(10), ' ')}{fence}"


def _value(value: Value, names: dict[str, str]) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}` {_md(names.get(v, ''))}".strip() for v in value) or "(none)"
    return f'"{_md(value)}"'


def to_markdown(
    changes: Sequence[Change],
    old_name: str = "old",
    new_name: str = "new",
    names: dict[str, str] | None = None,
) -> str:
    """The changes as Markdown for a pull request: a count table, then one section per kind.

    ``names`` maps ids to labels, to name the parents of moved terms.

    >>> print(to_markdown([Change(ChangeKind.RELABELLED, "X:1", "b", "a", "b")]))
    ## Ontology diff: `old` → `new`
    <BLANKLINE>
    | change | count |
    | --- | ---: |
    | relabelled | 1 |
    <BLANKLINE>
    ### Relabelled terms (1)
    <BLANKLINE>
    - `X:1` b: "a" → "b"
    <BLANKLINE>
    """
    names = names or {}
    lines = [f"## Ontology diff: {_code(old_name)} → {_code(new_name)}", ""]
    if not changes:
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    lines += ["| change | count |", "| --- | ---: |"]
    lines += [f"| {kind} | {count} |" for kind, count in summary(changes).items()]
    for kind in ChangeKind:
        group = [c for c in changes if c.change is kind]
        if not group:
            continue
        lines += ["", f"### {_TITLES[kind]} ({len(group)})", ""]
        for c in group:
            head = f"- `{c.id}` {_md(c.label)}"
            if kind is ChangeKind.ONTOLOGY_CHANGED:
                head = f"- {_md(c.label)}"
            elif c.field:
                head = f"{head} ({_md(c.field)})"
            if kind in (ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.UNOBSOLETED):
                lines.append(head)
            elif kind is ChangeKind.OBSOLETED:
                replacement = (c.new,) if isinstance(c.new, str) else c.new
                tail = f": replaced by {_value(replacement, names)}" if replacement else ""
                lines.append(head + tail)
            elif kind in (ChangeKind.SYNONYM_ADDED, ChangeKind.XREF_ADDED):
                lines.append(f"{head}: + {_value(c.new, names)}")
            elif kind in (ChangeKind.SYNONYM_REMOVED, ChangeKind.XREF_REMOVED):
                lines.append(f"{head}: - {_value(c.old, names)}")
            else:
                lines.append(f"{head}: {_value(c.old, names)} → {_value(c.new, names)}")
    return "\n".join(lines) + "\n"
