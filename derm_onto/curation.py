"""Apply a curation file (reviewable data, not code) on top of a faithful Derm1M import.

The file (``ontology/derm1m.curation.json``; its schema is ``schemas/curation.schema.json``)
holds:

* ``header``: the curated ontology's id, title, description, version, license, levels and
  extra prefixes;
* ``label_style``: labels are lower-cased except the words in ``proper_names``;
* ``actions``: structural decisions, each with a one-line clinical ``reason`` and (for new
  decisions) the ``source`` it rests on (ICD-10-CM code, ``PMID:``, ``ISBN:`` or a URL),
  applied in order: ``relabel``, ``move``, ``add_parent``, ``remove_parent``, ``merge``,
  ``split``, ``add``, ``drop_synonym``. A merged-away node is kept as an obsolete term
  (label ``obsolete <label>``, no parents) whose ``replaced_by`` names the node it went
  into, so its id is never reused;
* ``sources``: the full citation of every ``ISBN:``/``PMID:`` source used, for readers;
* ``terms``: per node, the definition and its sources (``definition_xrefs``), extra
  synonyms, xrefs, typical concepts/findings and observed concepts (``observed_concepts``:
  seen in a large share of the condition's images, see :mod:`derm_onto.associations`);
* ``concepts`` and ``findings``: the full concept vocabulary and finding list.
* ``evidence_decisions`` (optional): per disease <-> concept/finding link, what the curation
  decided after ``derm-onto associations check``, and why: on the typical link ``keep``/
  ``remove``/``add``/``reject``, on the observed link ``observe``/``exclude`` (a pair may
  get one decision of each kind); checked against ``terms``, it changes nothing itself.

A node is named by its id, its exact released name, a released path suffix
(``"malignant > melanocytic"``) or its current label; a name that fits several nodes is an
error that lists them. A relabel keeps the old label as an exact synonym (unless only its
case changed), so every name researchers wrote stays matchable.

>>> from derm_onto.importers import import_derm1m_data
>>> faithful = import_derm1m_data({"root": ["inflammatory"], "inflammatory": ["Psoriasis"],
...                                "Psoriasis": []}).ontology
>>> curated = apply_curation(faithful, {"header": {"title": "Mini", "version": "1"},
...     "label_style": {"lowercase": True, "proper_names": []},
...     "actions": [], "terms": {"Psoriasis": {"definition": "Scaly plaques."}},
...     "concepts": [], "findings": []})
>>> curated.term("DERMONTO:0000002").label, curated.term("DERMONTO:0000002").definition
('psoriasis', 'Scaly plaques.')
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from derm_onto.errors import CurationError
from derm_onto.importers import ImportResult, import_derm1m
from derm_onto.jsonio import read_document, term_from_dict
from derm_onto.model import (
    Concept,
    Condition,
    DisjointGroup,
    Finding,
    Kind,
    Ontology,
    Synonym,
    SynonymType,
)
from derm_onto.resources import data_dir
from derm_onto.text import normalise_label
from derm_onto.validate import pointer

PathLike = str | os.PathLike[str]


def _synonyms(items: Sequence[Any]) -> list[Synonym]:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Synonym(item, SynonymType.EXACT))
        else:
            out.append(Synonym(item["text"], SynonymType(item.get("type", "exact"))))
    return out


def lower_label(label: str, proper_names: Sequence[str]) -> str:
    """Lower-case a label except the proper names (matched case-insensitively per word).

    >>> lower_label("Kaposi Sarcoma of Skin", ["Kaposi"])
    'Kaposi sarcoma of skin'
    """
    proper = {p.casefold(): p for p in proper_names}

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        return proper.get(word.casefold(), word.lower())

    return re.sub(r"[^\s()/,]+", fix, label)


class _Curator:
    def __init__(self, base: ImportResult, source: str) -> None:
        self.source = source
        self.nodes: dict[str, dict[str, Any]] = {}
        #: merged-away id -> (its label when merged, the id it went into)
        self.obsolete: dict[str, tuple[str, str]] = {}
        for c in base.ontology.conditions:
            self.nodes[c.id] = {
                "label": c.label,
                "parents": list(c.parents),
                "synonyms": list(c.synonyms),
                "provenance": list(c.provenance),
                "paths": [" > ".join(p) for p in base.paths.get(c.id, ())],
                "relabelled": False,
            }

    # -- naming nodes --------------------------------------------------------------------
    def resolve(self, ref: str, where: str) -> str:
        if ref in self.nodes:
            return ref
        key = normalise_label(ref)
        tests: tuple[Callable[[dict[str, Any]], bool], ...] = (
            lambda n: ref in n["provenance"],
            lambda n: any(p == ref or p.endswith(" > " + ref) for p in n["paths"]),
            lambda n: normalise_label(n["label"]) == key,
        )
        for test in tests:
            hits = [i for i, n in self.nodes.items() if test(n)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                names = ", ".join(f"{i} ({self.nodes[i]['label']!r})" for i in hits)
                raise CurationError(
                    f"{self.source}:{where}: {ref!r} names several nodes: {names}; "
                    "use a longer path ('a > b') or an id"
                )
        raise CurationError(f"{self.source}:{where}: no node is called {ref!r}")

    def fail(self, where: str, message: str) -> CurationError:
        return CurationError(f"{self.source}:{where}: {message}")

    # -- actions -------------------------------------------------------------------------
    def apply(self, index: int, action: Mapping[str, Any]) -> None:
        where = pointer("actions", index)
        if not str(action.get("reason", "")).strip():
            raise self.fail(where, "every action needs a one-line clinical 'reason'")
        op = action.get("op")
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            raise self.fail(where + "/op", f"unknown op {op!r}")
        handler(action, where)

    def _new_id(self, action: Mapping[str, Any], where: str) -> str:
        new_id = action.get("id")
        if not isinstance(new_id, str) or new_id in self.nodes or new_id in self.obsolete:
            raise self.fail(where + "/id", f"needs a new, unused id (got {new_id!r})")
        return new_id

    def _op_relabel(self, action: Mapping[str, Any], where: str) -> None:
        node = self.nodes[self.resolve(action["node"], where + "/node")]
        old, new = node["label"], action["label"]
        if normalise_label(old) != normalise_label(new):
            node["synonyms"].append(Synonym(old, SynonymType.EXACT))
        node["label"] = new
        node["relabelled"] = True

    def _op_move(self, action: Mapping[str, Any], where: str) -> None:
        node_id = self.resolve(action["node"], where + "/node")
        self.nodes[node_id]["parents"] = [
            self.resolve(p, f"{where}/parents/{i}") for i, p in enumerate(action["parents"])
        ]

    def _op_add_parent(self, action: Mapping[str, Any], where: str) -> None:
        node = self.nodes[self.resolve(action["node"], where + "/node")]
        parent = self.resolve(action["parent"], where + "/parent")
        if parent not in node["parents"]:
            node["parents"].append(parent)

    def _op_remove_parent(self, action: Mapping[str, Any], where: str) -> None:
        node = self.nodes[self.resolve(action["node"], where + "/node")]
        parent = self.resolve(action["parent"], where + "/parent")
        if parent not in node["parents"]:
            raise self.fail(where + "/parent", f"{parent} is not a parent of {action['node']!r}")
        if len(node["parents"]) == 1:
            raise self.fail(where + "/parent", "cannot remove a node's only parent; use move")
        node["parents"].remove(parent)

    def _op_merge(self, action: Mapping[str, Any], where: str) -> None:
        gone_id = self.resolve(action["node"], where + "/node")
        into_id = self.resolve(action["into"], where + "/into")
        if gone_id == into_id:
            raise self.fail(where, "cannot merge a node into itself")
        gone, into = self.nodes.pop(gone_id), self.nodes[into_id]
        self.obsolete[gone_id] = (gone["label"], into_id)
        into["synonyms"] += [Synonym(gone["label"], SynonymType.EXACT), *gone["synonyms"]]
        into["provenance"] += gone["provenance"]
        into["paths"] += gone["paths"]
        for node_id, node in self.nodes.items():
            parents = [into_id if p == gone_id else p for p in node["parents"]]
            node["parents"] = [p for p in dict.fromkeys(parents) if p != node_id]

    def _op_split(self, action: Mapping[str, Any], where: str) -> None:
        source_id = self.resolve(action["node"], where + "/node")
        source = self.nodes[source_id]
        new_id = self._new_id(action, where)
        moved = {normalise_label(t) for t in action.get("move_synonyms", [])}
        kept = [s for s in source["synonyms"] if normalise_label(s.text) not in moved]
        taken = [s for s in source["synonyms"] if normalise_label(s.text) in moved]
        if len(taken) != len(moved):
            raise self.fail(where + "/move_synonyms", "names a synonym the node does not have")
        source["synonyms"] = kept
        parents = action.get("parents")
        self.nodes[new_id] = {
            "label": action["label"],
            "parents": (
                [self.resolve(p, f"{where}/parents/{i}") for i, p in enumerate(parents)]
                if parents is not None
                else list(source["parents"])
            ),
            "synonyms": [
                s for s in taken if normalise_label(s.text) != normalise_label(action["label"])
            ],
            "provenance": list(source["provenance"]),
            "paths": [],
            "relabelled": True,
        }

    def _op_add(self, action: Mapping[str, Any], where: str) -> None:
        new_id = self._new_id(action, where)
        self.nodes[new_id] = {
            "label": action["label"],
            "parents": [
                self.resolve(p, f"{where}/parents/{i}")
                for i, p in enumerate(action.get("parents", []))
            ],
            "synonyms": _synonyms(action.get("synonyms", [])),
            "provenance": list(action.get("provenance", [])),
            "paths": [],
            "relabelled": True,
        }

    def _op_drop_synonym(self, action: Mapping[str, Any], where: str) -> None:
        node = self.nodes[self.resolve(action["node"], where + "/node")]
        key = normalise_label(action["text"])
        before = len(node["synonyms"])
        node["synonyms"] = [s for s in node["synonyms"] if normalise_label(s.text) != key]
        if len(node["synonyms"]) == before:
            raise self.fail(where + "/text", f"the node has no synonym {action['text']!r}")


def _label_table(entries: Sequence[Concept | Finding]) -> dict[str, str]:
    """id -> id and normalised label -> id, for references by id or by label."""
    table: dict[str, str] = {}
    for entry in entries:
        table[entry.id] = entry.id
        table[normalise_label(entry.label)] = entry.id
    return table


def _entries(items: Sequence[Mapping[str, Any]], kind: Kind) -> list[Any]:
    """Concepts or findings of the curation file, built as the JSON reader builds them
    (synonyms may be written as plain strings here: exact ones)."""
    out = []
    for item in items:
        synonyms = [
            {"text": s.text, "type": s.type.value} for s in _synonyms(item.get("synonyms", []))
        ]
        out.append(term_from_dict(kind, {**item, "synonyms": synonyms}))
    return out


def apply_curation(
    base: Ontology | ImportResult, curation: Mapping[str, Any], source: str = "<curation>"
) -> Ontology:
    """The curated ontology: ``curation`` applied to a faithful import."""
    result = base if isinstance(base, ImportResult) else ImportResult(base, ())
    ontology = result.ontology
    _check_schema(curation, source)
    curator = _Curator(result, source)
    for index, action in enumerate(curation.get("actions", [])):
        curator.apply(index, action)
    style = curation.get("label_style", {})
    if style.get("lowercase"):
        for node in curator.nodes.values():
            if not node["relabelled"]:
                node["label"] = lower_label(node["label"], style.get("proper_names", []))
    concepts = _entries(curation.get("concepts", []), "concepts")
    findings = _entries(curation.get("findings", []), "findings")
    concept_ids = _label_table(concepts)
    finding_ids = _label_table(findings)
    annotations: dict[str, dict[str, Any]] = {}
    for ref, term in curation.get("terms", {}).items():
        where = pointer("terms", ref)
        node_id = curator.resolve(ref, where)
        if node_id in annotations:
            raise curator.fail(where, f"{ref!r} annotates {node_id}, annotated already")
        resolved: dict[str, Any] = dict(term)
        for key, table in (
            ("concepts", concept_ids),
            ("findings", finding_ids),
            ("observed_concepts", concept_ids),
        ):
            ids = []
            for i, name in enumerate(term.get(key, [])):
                found = table.get(name) or table.get(normalise_label(name))
                if found is None:
                    what = "concept" if key == "observed_concepts" else key[:-1]
                    raise curator.fail(f"{where}/{key}/{i}", f"no {what} is called {name!r}")
                ids.append(found)
            resolved[key] = ids
        annotations[node_id] = resolved
    _check_evidence_decisions(
        curation.get("evidence_decisions", []), curator, annotations, concept_ids, finding_ids
    )
    conditions = []
    for node_id, node in curator.nodes.items():
        extra = annotations.get(node_id, {})
        synonyms = [*node["synonyms"], *_synonyms(extra.get("synonyms", []))]
        own = normalise_label(node["label"])
        unique: dict[tuple[str, str], Synonym] = {}
        for syn in synonyms:
            if normalise_label(syn.text) != own:
                unique.setdefault((normalise_label(syn.text), syn.type.value), syn)
        entry: dict[str, Any] = {
            "id": node_id,
            "label": node["label"],
            "parents": node["parents"],
            "synonyms": [
                {"text": s.text, "type": s.type.value}
                for s in _dedupe_synonyms(list(unique.values()))
            ],
            "provenance": list(dict.fromkeys(node["provenance"])),
            **{
                key: extra[key]
                for key in (
                    "definition",
                    "definition_xrefs",
                    "xrefs",
                    "concepts",
                    "findings",
                    "observed_concepts",
                )
                if key in extra
            },
        }
        conditions.append(term_from_dict("conditions", entry))
    conditions += _obsolete_terms(curator.obsolete, style)
    disjoint = tuple(
        DisjointGroup(
            tuple(
                curator.resolve(ref, pointer("disjoint", g, "classes", i))
                for i, ref in enumerate(group["classes"])
            ),
            group["reason"],
        )
        for g, group in enumerate(curation.get("disjoint", []))
    )
    header = curation.get("header", {})
    return dataclasses.replace(
        ontology,
        id=header.get("id", ontology.id),
        title=header.get("title", ontology.title),
        description=header.get("description", ontology.description),
        version=header.get("version", ontology.version),
        license=header.get("license", ontology.license),
        levels=tuple(header.get("levels", ontology.levels)),
        prefixes={**ontology.prefixes, **header.get("prefixes", {})},
        conditions=tuple(conditions),
        concepts=tuple(concepts),
        findings=tuple(findings),
        disjoint=disjoint,
    )


def _check_evidence_decisions(
    decisions: Sequence[Mapping[str, Any]],
    curator: _Curator,
    annotations: Mapping[str, Mapping[str, Any]],
    concept_ids: Mapping[str, str],
    finding_ids: Mapping[str, str],
) -> None:
    """Each evidence decision names a real link and agrees with /terms.

    ``keep`` and ``add`` need the link in the condition's concepts or findings, ``remove``
    (an asserted link taken out) and ``reject`` (a candidate not taken) need it absent;
    ``observe`` needs it in the condition's observed_concepts, ``exclude`` absent from
    them. The decisions themselves change nothing. A link is decided once per relation.
    """
    decided: set[tuple[str, str, bool]] = set()
    for i, decision in enumerate(decisions):
        where = pointer("evidence_decisions", i)
        node_id = curator.resolve(decision["condition"], f"{where}/condition")
        name = decision["feature"]
        feature = next(
            (
                table.get(name) or table.get(normalise_label(name))
                for table in (concept_ids, finding_ids)
                if table.get(name) or table.get(normalise_label(name))
            ),
            None,
        )
        if feature is None:
            raise curator.fail(f"{where}/feature", f"no concept or finding is called {name!r}")
        term = annotations.get(node_id, {})
        on_observed = decision["decision"] in ("observe", "exclude")
        keys = ("observed_concepts",) if on_observed else ("concepts", "findings")
        linked = any(feature in term.get(key, ()) for key in keys)
        if (node_id, feature, on_observed) in decided:
            raise curator.fail(where, f"{decision['condition']!r} -> {name!r} is decided twice")
        decided.add((node_id, feature, on_observed))
        if linked != (decision["decision"] in ("keep", "add", "observe")):
            state = "still links" if linked else "does not link"
            state += " (observed_concepts)" if on_observed else ""
            raise curator.fail(
                where,
                f"decision {decision['decision']!r} but /terms {state} "
                f"{decision['condition']!r} to {name!r}",
            )


def _obsolete_terms(
    obsolete: Mapping[str, tuple[str, str]], style: Mapping[str, Any]
) -> list[Condition]:
    """Merged-away ids as obsolete terms; a chain of merges points at its live end."""
    out = []
    for gone_id, (label, into) in obsolete.items():
        seen = {gone_id}
        while into in obsolete and into not in seen:
            seen.add(into)
            into = obsolete[into][1]
        if style.get("lowercase"):
            label = lower_label(label, style.get("proper_names", []))
        entry = {
            "id": gone_id,
            "label": f"obsolete {label}",
            "definition": f"Merged into {into}; kept so that its id is never reused.",
            "obsolete": True,
            "replaced_by": into,
        }
        out.append(term_from_dict("conditions", entry))
    return out


def _dedupe_synonyms(synonyms: list[Synonym]) -> list[Synonym]:
    """One synonym per text: abbreviation beats exact beats the other scopes."""
    rank = {SynonymType.ABBREVIATION: 0, SynonymType.EXACT: 1}
    best: dict[str, Synonym] = {}
    for syn in synonyms:
        key = normalise_label(syn.text)
        if key not in best or rank.get(syn.type, 2) < rank.get(best[key].type, 2):
            best[key] = syn
    return list(best.values())


def _check_schema(curation: Any, source: str) -> None:
    import jsonschema

    schema = json.loads(data_dir("schemas").joinpath("curation.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(curation))
    if error is not None:
        where = pointer(*error.absolute_path) or "/"
        raise CurationError(f"{source}:{where}: {error.message[:200]}")


def load_curation(path: PathLike) -> dict[str, Any]:
    """Read a curation file (strict JSON, see :func:`derm_onto.jsonio.read_document`)."""
    return read_document(path)


def build_curated(release: PathLike, curation: PathLike) -> Ontology:
    """Import a released Derm1M file and apply a curation file to it."""
    return apply_curation(import_derm1m(release), load_curation(curation), os.fspath(curation))
