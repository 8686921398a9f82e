"""Import Derm1M's released disease hierarchy, faithfully, in either released shape.

* the flat map (``ontology.json``): node name -> list of child names, with a ``"root"`` key;
* the nested tree (``ontology_tree.json``): name -> {children}.

The import is faithful: every released node becomes one condition whose ``provenance`` is
its exact released name; a comma-separated name becomes a label plus exact synonyms; the
hierarchy is the released one, quirks included. Ids are assigned in pre-order of the
released file (``DERMONTO:0000001`` onwards), so the same file always gives the same ids.
Every quirk met is reported as a :class:`Quirk`. :mod:`derm_onto.curation` then applies a
reviewed curation file on top.

Identity of repeated names: in the tree, a name met twice is one node (with several
parents) when both occurrences have the same children, and two nodes when they differ
(``melanocytic`` under ``benign`` and under ``malignant``). Two nodes whose labels would
collide are told apart by their parent's label: ``melanocytic (benign)``.

>>> result = import_derm1m_data({"root": ["inflammatory"], "inflammatory": ["Psoriasis"],
...                              "Psoriasis": []}, source="mini.json")
>>> [(c.label, c.provenance) for c in result.ontology.conditions]
[('inflammatory', ('inflammatory',)), ('Psoriasis', ('Psoriasis',))]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from derm_onto.errors import DermOntoError
from derm_onto.jsonio import read_json
from derm_onto.model import Condition, Ontology, Synonym, SynonymType
from derm_onto.text import normalise_label

Shape = Literal["flat", "tree"]

ID_PREFIX = "DERMONTO"
BASE_IRI = "https://w3id.org/derm-onto/"
PREFIXES: Mapping[str, str] = {
    ID_PREFIX: f"{BASE_IRI}{ID_PREFIX}_",
    "ICD10CM": "http://purl.bioontology.org/ontology/ICD10CM/",
    "HP": "http://purl.obolibrary.org/obo/HP_",
}
LEVELS = ("category", "group", "subgroup", "condition")
DERM1M_LICENSE = "https://creativecommons.org/licenses/by-nc/4.0/"
#: Trailing name parts that qualify a name rather than give a synonym ("Chronic dermatitis, NOS").
QUALIFIERS = frozenset({"nos"})


def condition_id(number: int) -> str:
    """The id of the n-th condition.

    >>> condition_id(17)
    'DERMONTO:0000017'
    """
    return f"{ID_PREFIX}:{number:07d}"


@dataclass(frozen=True, slots=True)
class Quirk:
    """Something odd in the release, with the released path where it was met."""

    code: str
    where: str
    message: str

    def format(self) -> str:
        """One line: ``code: where: message``."""
        return (
            f"{self.code}: {self.where}: {self.message}"
            if self.where
            else (f"{self.code}: {self.message}")
        )


@dataclass(frozen=True)
class ImportResult:
    """The imported ontology, the quirks met, and each node's released path."""

    ontology: Ontology
    quirks: tuple[Quirk, ...]
    paths: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


@dataclass
class _Node:
    name: str
    parents: list[int]
    paths: list[tuple[str, ...]]
    children_key: tuple[Any, ...]


def split_name(name: str) -> tuple[str, list[str], list[str]]:
    """Split a released name into (label, synonyms, problems).

    >>> split_name("Lichen simplex chronicus, ")
    ('Lichen simplex chronicus', [], ['trailing comma'])
    >>> split_name("Chronic dermatitis, NOS")
    ('Chronic dermatitis, NOS', [], [])
    >>> split_name("Angioma, Hemangioma")
    ('Angioma', ['Hemangioma'], [])
    """
    problems: list[str] = []
    parts = [p.strip() for p in name.split(",")]
    if parts and parts[-1] == "" and len(parts) > 1:
        problems.append("trailing comma")
    parts = [p for p in parts if p]
    merged: list[str] = []
    for part in parts:
        if merged and part.casefold() in QUALIFIERS:
            merged[-1] = f"{merged[-1]}, {part}"
        else:
            merged.append(part)
    label, rest = merged[0], merged[1:]
    synonyms: list[str] = []
    seen = {normalise_label(label)}
    for part in rest:
        key = normalise_label(part)
        if key in seen:
            problems.append(f"repeats the name {part!r}")
            continue
        seen.add(key)
        synonyms.append(part)
    return label, synonyms, problems


def detect_shape(data: Any, source: str) -> Shape:
    """Which released shape ``data`` has; raises :class:`DermOntoError` for neither."""
    if not isinstance(data, dict) or not data:
        raise DermOntoError(f"{source}: a Derm1M hierarchy is a non-empty JSON object")
    if "root" in data and all(isinstance(v, list) for v in data.values()):
        return "flat"
    if all(isinstance(v, dict) for v in data.values()):
        return "tree"
    bad = next(k for k, v in data.items() if not isinstance(v, list | dict))
    raise DermOntoError(
        f"{source}: /{bad}: neither a flat map (name -> list of child names, with 'root') "
        "nor a nested tree (name -> {children})"
    )


Edge = tuple[tuple[str, ...], str, Any]
TOP: tuple[str, ...] = ()


def _preorder_tree(data: Mapping[str, Any], source: str) -> list[Edge]:
    """(parent path, name, children) for every node of a nested tree, in pre-order."""
    out: list[Edge] = []
    stack: list[Edge] = [(TOP, n, s) for n, s in data.items()][::-1]
    while stack:
        path, name, sub = stack.pop()
        if not isinstance(sub, dict):
            where = "/".join((*path, name))
            raise DermOntoError(f"{source}: /{where}: children must be an object")
        out.append((path, name, sub))
        stack.extend([((*path, name), n, s) for n, s in sub.items()][::-1])
    return out


def _flat_edges(
    data: Mapping[str, list[Any]], source: str
) -> list[tuple[tuple[str, ...], str, Any]]:
    """(parent path, name, child names) in pre-order from ``root``; each key visited once per
    path it can be reached by."""
    for key, children in data.items():
        for i, child in enumerate(children):
            if not isinstance(child, str):
                raise DermOntoError(f"{source}: /{key}/{i}: child names must be strings")
            if child not in data:
                raise DermOntoError(
                    f"{source}: /{key}/{i}: child {child!r} has no entry of its own"
                )
    out: list[tuple[tuple[str, ...], str, Any]] = []
    stack: list[tuple[tuple[str, ...], str]] = [(TOP, n) for n in data["root"]][::-1]
    while stack:
        path, name = stack.pop()
        if name in path:
            raise DermOntoError(f"{source}: /{name}: the hierarchy has a cycle through {name!r}")
        out.append((path, name, tuple(data[name])))
        stack.extend([((*path, name), n) for n in data[name]][::-1])
    return out


def _subtree_key(value: Any) -> tuple[Any, ...]:
    if isinstance(value, dict):
        return tuple(sorted((k, _subtree_key(v)) for k, v in value.items()))
    return tuple(sorted(value))


def _nodes(edges: Any, shape: Shape, quirks: list[Quirk]) -> list[_Node]:
    """One node per identity: a name with its subtree (tree) or a name alone (flat map);
    every path to a node is kept."""
    nodes: list[_Node] = []
    by_identity: dict[tuple[str, tuple[Any, ...]], int] = {}
    by_path: dict[tuple[str, ...], int] = {}
    for parent_path, name, children in edges:
        path = (*parent_path, name)
        if not name.strip():
            quirks.append(
                Quirk("empty_name", " > ".join(parent_path), "a child with an empty name: skipped")
            )
            continue
        parent = by_path.get(parent_path) if parent_path else None
        if parent_path and parent is None:
            continue  # under a skipped node
        key = (name, _subtree_key(children)) if shape == "tree" else (name, ())
        index = by_identity.get(key)
        if index is None:
            index = len(nodes)
            by_identity[key] = index
            nodes.append(_Node(name, [], [], key[1]))
        node = nodes[index]
        if path not in node.paths:
            node.paths.append(path)
        if parent is not None and parent not in node.parents:
            node.parents.append(parent)
        by_path[path] = index
    return nodes


def _structure_quirks(nodes: list[_Node], shape: Shape) -> list[Quirk]:
    """Names shared by different nodes, and nodes listed under several parents."""
    quirks = []
    names: dict[str, list[int]] = {}
    for index, node in enumerate(nodes):
        names.setdefault(node.name, []).append(index)
    for name, indices in names.items():
        if len(indices) > 1:
            places = "; ".join(" > ".join(nodes[i].paths[0][:-1]) for i in indices)
            quirks.append(
                Quirk(
                    "split_name",
                    name,
                    f"one name for {len(indices)} different nodes (under {places}); kept apart",
                )
            )
    for node in nodes:
        if len(node.parents) > 1:
            parents = ", ".join(repr(nodes[p].name) for p in node.parents)
            if shape == "flat":
                quirks.append(
                    Quirk(
                        "ambiguous_node",
                        node.name,
                        f"listed under {parents}; the flat map cannot tell whether these are one "
                        "node or several: imported as one node with several parents (the nested "
                        "tree keeps them apart)",
                    )
                )
            else:
                quirks.append(
                    Quirk(
                        "several_parents",
                        node.name,
                        f"listed under {parents}: one node with several parents",
                    )
                )
    return quirks


def _labels_and_synonyms(
    nodes: list[_Node], quirks: list[Quirk]
) -> tuple[list[str], list[list[str]]]:
    """Each node's label and synonyms from its released name (a name may list synonyms)."""
    labels: list[str] = []
    synonyms: list[list[str]] = []
    for node in nodes:
        label, syns, problems = split_name(node.name)
        where = " > ".join(node.paths[0])
        for problem in problems:
            quirks.append(Quirk("name_list", where, f"name {node.name!r}: {problem}"))
        if syns:
            quirks.append(
                Quirk(
                    "name_list",
                    where,
                    f"name {node.name!r} lists synonyms: label {label!r}, "
                    f"synonyms {', '.join(repr(s) for s in syns)}",
                )
            )
        if label != label.strip() or "  " in label:
            quirks.append(Quirk("whitespace", where, f"name {node.name!r} has stray spaces"))
        labels.append(" ".join(label.split()))
        synonyms.append(syns)
    return labels, synonyms


def _unique_labels(nodes: list[_Node], labels: list[str], quirks: list[Quirk]) -> None:
    """Make labels unique (in place): a shared label is qualified by its parent's label,
    then numbered if it still collides (names that differ only in case or spacing)."""
    taken: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        taken.setdefault(normalise_label(label), []).append(index)
    for indices in taken.values():
        if len(indices) > 1:
            for i in indices:
                parent = nodes[i].parents[0] if nodes[i].parents else None
                qualifier = labels[parent] if parent is not None else "top level"
                old = labels[i]
                labels[i] = f"{old} ({qualifier})"
                quirks.append(
                    Quirk(
                        "duplicate_label",
                        " > ".join(nodes[i].paths[0]),
                        f"label {old!r} is shared by {len(indices)} nodes: labelled {labels[i]!r}",
                    )
                )
    seen_labels: set[str] = set()
    for index, label in enumerate(labels):
        candidate, n = label, 2
        while normalise_label(candidate) in seen_labels:
            candidate, n = f"{label} ({n})", n + 1
        if candidate != label:
            quirks.append(
                Quirk(
                    "duplicate_label",
                    " > ".join(nodes[index].paths[0]),
                    f"label {label!r} is still shared: labelled {candidate!r}",
                )
            )
            labels[index] = candidate
        seen_labels.add(normalise_label(candidate))


def import_derm1m_data(data: Any, source: str = "<data>") -> ImportResult:
    """Faithfully import a parsed Derm1M hierarchy (either shape): nodes, then the quirks of
    their structure, then labels and synonyms made unique, then the model."""
    shape = detect_shape(data, source)
    edges = _flat_edges(data, source) if shape == "flat" else _preorder_tree(data, source)
    quirks: list[Quirk] = []
    nodes = _nodes(edges, shape, quirks)
    quirks += _structure_quirks(nodes, shape)
    labels, synonyms = _labels_and_synonyms(nodes, quirks)
    _unique_labels(nodes, labels, quirks)
    lower = sum(1 for n in nodes if n.name[:1].islower())
    if lower and lower != len(nodes):
        quirks.append(
            Quirk(
                "mixed_case",
                "",
                f"{lower} names start in lower case, {len(nodes) - lower} in upper case",
            )
        )
    conditions = tuple(
        Condition(
            id=condition_id(i + 1),
            label=labels[i],
            parents=tuple(condition_id(p + 1) for p in node.parents),
            synonyms=tuple(Synonym(s, SynonymType.EXACT) for s in synonyms[i]),
            provenance=(node.name,),
        )
        for i, node in enumerate(nodes)
    )
    ontology = Ontology(
        id="derm1m",
        title="Derm1M disease hierarchy (faithful import)",
        description=(
            f"Derm1M's released disease hierarchy imported as it is from {Path(source).name} "
            f"({'flat map' if shape == 'flat' else 'nested tree'}), quirks included. "
            "Derm1M (ICCV 2025), CC BY-NC 4.0."
        ),
        base_iri=BASE_IRI,
        prefixes=dict(PREFIXES),
        license=DERM1M_LICENSE,
        levels=LEVELS,
        conditions=conditions,
    )
    paths = {condition_id(i + 1): tuple(n.paths) for i, n in enumerate(nodes)}
    return ImportResult(ontology, tuple(quirks), paths)


def import_derm1m(path: str | os.PathLike[str]) -> ImportResult:
    """Faithfully import a released Derm1M hierarchy file (flat map or nested tree)."""
    source = os.fspath(path)
    return import_derm1m_data(read_json(path), source)
