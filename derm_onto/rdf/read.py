"""Triples -> model: derm-onto's own exports losslessly, and OWL it did not write.

The triples come as a :class:`~derm_onto.rdf.index.TripleIndex` (what ``import rdf`` builds
from pyoxigraph's parser, :func:`from_index`) or an rdflib Graph (:func:`from_graph`). A
graph written by :func:`~derm_onto.rdf.write.to_graph` reads back to the same model.
Foreign OWL (an OBO Foundry ontology, a Protege or horned-owl save) is read too:

- a class without the project's ``entry_kind`` becomes an entry of ``default_kind`` (the
  CLI's ``--kind``; conditions when the file has no ``entry_kind`` at all);
- ``owl:disjointWith`` pairs and ``owl:AllDisjointClasses`` both become disjoint groups;
- ``has_feature some X`` restrictions become typical concepts/findings and
  ``has_observed_feature`` annotation assertions observed concepts (a value that is not a
  concept of the file is an error finding);
- prefixes come from the header's ``sh:declare``, else from ``oboInOwl:id``, OBO-style
  IRIs (``.../HP_0000118``) and the file's namespace bindings;
- whatever cannot be represented (restrictions on other properties, parents outside the
  file, xrefs that are not CURIEs, extra labels) is counted and reported as one
  ``dropped`` warning per reason, never silently.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> from derm_onto.rdf.write import to_graph
>>> onto = load(bundled_ontology_path("starter.json"))
>>> back, findings = from_graph(to_graph(onto))
>>> back == onto, findings
(True, [])
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from derm_onto.model import (
    KINDS,
    ConceptCategory,
    FindingCategory,
    Kind,
    Ontology,
    SynonymType,
    contract,
    namespaces,
)
from derm_onto.rdf.index import TripleIndex, is_iri, text
from derm_onto.rdf.vocab import (
    ABBREVIATION,
    CONSIDER,
    DCTERMS,
    DEFINITION,
    HAS_DBXREF,
    HAS_FEATURE,
    HAS_OBSERVED_FEATURE,
    HAS_SYNONYM_TYPE,
    KIND_NAMES,
    OBO,
    OBO_ID,
    OBOINOWL,
    OWL_NS,
    RDF_NS,
    RDFS_NS,
    REPLACED_BY,
    SH,
    SYNONYM_PROPERTIES,
    project,
)
from derm_onto.validate import XREF_PATTERNS, ValidationFinding

_OBO_IRI = re.compile(r"^(?P<ns>.*[/#](?P<prefix>[A-Za-z][A-Za-z0-9]*)_)(?P<local>[A-Za-z0-9.-]+)$")
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_LOCAL = re.compile(r"^[A-Za-z0-9_.-]+$")
_XREF = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[^\s:][^\s]*$")
_CATEGORIES: dict[Kind, frozenset[str]] = {
    "conditions": frozenset(),
    "concepts": frozenset(c.value for c in ConceptCategory),
    "findings": frozenset(c.value for c in FindingCategory),
}
_SYNONYM_TYPES = {p: t for t, p in SYNONYM_PROPERTIES.items()}
_TYPE = RDF_NS + "type"
_FIRST = RDF_NS + "first"
_REST = RDF_NS + "rest"
_NIL = RDF_NS + "nil"
_LABEL = RDFS_NS + "label"
_COMMENT = RDFS_NS + "comment"
_SUBCLASS = RDFS_NS + "subClassOf"
_CLASS = OWL_NS + "Class"


@dataclass
class _Reader:
    """The state of one read: the triples, what was found wrong, what was dropped."""

    graph: TripleIndex
    default_kind: Kind | None
    findings: list[ValidationFinding] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    base: str = ""
    prefixes: dict[str, str] = field(default_factory=dict)
    entries: dict[str, tuple[str, Kind]] = field(default_factory=dict)  # IRI -> (id, kind)
    foreign: bool = False
    _ns_key: tuple[tuple[str, str], ...] = ()
    _ns: list[tuple[str, str]] = field(default_factory=list)
    _kinds: dict[str, Kind] = field(default_factory=dict)
    _axioms_of: Any = None
    _axioms: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def problem(self, code: str, where: str, message: str) -> None:
        self.findings.append(ValidationFinding("error", code, where, message))

    def drop(self, reason: str, example: str) -> None:
        self.dropped[reason] += 1
        self.examples.setdefault(reason, example)

    def values(self, subject: Any, prop: str) -> list[str]:
        found = self.graph.objects(subject, prop)
        if not found:
            return []
        return sorted([v if type(v) is str else v.value for v in found])

    def axioms(self, cls: Any) -> dict[tuple[str, str], list[Any]]:
        """Axiom annotations on ``cls``: (property, target's text) -> the axiom nodes."""
        if self._axioms_of != cls:
            graph = self.graph
            found: dict[tuple[str, str], list[Any]] = {}
            for axiom in graph.subjects(OWL_NS + "annotatedSource", cls):
                prop = graph.value(axiom, OWL_NS + "annotatedProperty")
                target = graph.value(axiom, OWL_NS + "annotatedTarget")
                if isinstance(prop, str) and target is not None:
                    found.setdefault((prop, text(target)), []).append(axiom)
            self._axioms_of, self._axioms = cls, found
        return self._axioms

    def one(self, subject: Any, prop: str, where: str, what: str) -> str | None:
        values = self.values(subject, prop)
        if len(values) > 1:
            if self.foreign:
                self.drop(f"extra {what} values (the first kept)", where)
            else:
                self.problem(
                    "duplicate_annotation", where, f"has {len(values)} {what} values; one expected"
                )
        return values[0] if values else None

    def curie(self, iri: Any) -> str | None:
        return contract(text(iri), self._namespaces(), _LOCAL)

    def kinds(self) -> dict[str, Kind]:
        """Entry id -> kind (once every entry is found)."""
        if len(self._kinds) != len(self.entries):
            self._kinds = dict(self.entries.values())
        return self._kinds

    def _namespaces(self) -> list[tuple[str, str]]:
        key = tuple(self.prefixes.items())
        if self._ns_key != key:
            self._ns_key, self._ns = key, namespaces(self.prefixes)
        return self._ns


def from_graph(
    graph: Any, *, default_kind: Kind | None = None
) -> tuple[Ontology | None, list[ValidationFinding]]:
    """Read an rdflib graph back into the model (see :func:`from_index`)."""
    return from_index(TripleIndex.from_rdflib(graph), default_kind=default_kind)


def from_index(
    index: TripleIndex, *, default_kind: Kind | None = None
) -> tuple[Ontology | None, list[ValidationFinding]]:
    """Read indexed triples back into the model.

    Returns the ontology (None when it cannot be built) and findings shaped as
    ``validate``'s, with the entry's CURIE or IRI as the path: errors for a file that breaks
    derm-onto's conventions, one ``dropped`` warning per kind of thing left out.
    """
    from derm_onto.jsonio import from_dict

    reader = _Reader(index, default_kind)
    header = _read_header(reader)
    if header is None:
        return None, reader.findings
    _read_prefixes(reader, header["subject"])
    _find_entries(reader)
    documents: dict[Kind, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for iri, (term_id, kind) in sorted(reader.entries.items(), key=lambda x: x[1]):
        entry = _read_entry(reader, iri, term_id, kind)
        if entry is not None:
            documents[kind].append(entry)
    if reader.foreign:
        everything = [e for entries in documents.values() for e in entries]
        normalise_obsolete(everything, reader.drop)
        relabel_obsolete_duplicates(everything, reader.drop)
    disjoint = _read_disjoint(reader)
    _declare_xref_prefixes(reader, documents)
    document: dict[str, Any] = {
        key: value for key, value in header.items() if key != "subject" and value
    }
    document.update(
        base_iri=reader.base,
        prefixes=dict(sorted(reader.prefixes.items())),
        conditions=documents["conditions"],
        concepts=documents["concepts"],
        findings=documents["findings"],
        disjoint=disjoint,
    )
    for reason, count in sorted(reader.dropped.items()):
        reader.findings.append(
            ValidationFinding(
                "warning",
                "dropped",
                reader.examples[reason],
                f"{count} dropped: {reason} (e.g. {reader.examples[reason]})",
            )
        )
    return from_dict(document), reader.findings


# -- steps ------------------------------------------------------------------------------
def _read_header(reader: _Reader) -> dict[str, Any] | None:
    """The ``owl:Ontology``: id and base from its IRI (``<base><id>.owl`` when derm-onto
    wrote it, else the last path segment), title, description, version, license, levels."""
    graph = reader.graph
    ontologies = sorted(graph.subjects_of_type(OWL_NS + "Ontology"))
    if len(ontologies) != 1:
        reader.problem("ontology_header", "", f"expected one owl:Ontology, found {len(ontologies)}")
        return None
    subject = ontologies[0]
    onto_iri = str(subject)
    match = re.match(r"^(https?://.*[/#])([^/#]+?)(\.owl|\.obo|\.ttl|\.rdf)?[/#]?$", onto_iri)
    if not match:
        reader.problem("ontology_header", onto_iri, "the ontology IRI is not an http(s) IRI")
        return None
    base, name, _ = match.groups()
    onto_id = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "ontology"
    if not onto_id[0].isalpha():
        onto_id = "o-" + onto_id
    reader.base = base
    reader.foreign = not graph.uses(project(base, "entry_kind"))
    title = reader.one(subject, DCTERMS + "title", "", "title")
    title = title or reader.one(subject, "http://purl.org/dc/elements/1.1/title", "", "title")
    version = reader.one(subject, OWL_NS + "versionInfo", "", "versionInfo") or ""
    if not version:
        version_iri = reader.one(subject, OWL_NS + "versionIRI", "", "versionIRI") or ""
        found = re.search(r"/(\d{4}-\d{2}-\d{2}|v?\d+(?:\.\d+)+)/", version_iri)
        version = found.group(1) if found else ""
    levels_text = reader.one(subject, project(base, "levels"), "", "levels")
    levels: list[str] = []
    if levels_text:
        try:
            levels = list(json.loads(levels_text))
        except ValueError:
            reader.problem("ontology_header", "", "the levels annotation is not a JSON list")
    return {
        "subject": subject,
        "id": onto_id,
        "title": title or onto_id,
        "description": reader.one(subject, DCTERMS + "description", "", "description") or "",
        "version": version,
        "license": reader.one(subject, DCTERMS + "license", "", "license") or "",
        "levels": levels,
    }


def _read_prefixes(reader: _Reader, subject: Any) -> None:
    """``sh:declare`` on the header (derm-onto's exports); else inferred from ``oboInOwl:id``
    values, OBO-style IRIs and the file's namespace bindings."""
    graph = reader.graph
    for decl in graph.objects(subject, SH + "declare"):
        prefix = graph.value(decl, SH + "prefix")
        namespace = graph.value(decl, SH + "namespace")
        if prefix is not None and namespace is not None:
            reader.prefixes[text(prefix)] = text(namespace)
    if not reader.prefixes:
        declared = reader.one(subject, project(reader.base, "prefixes"), "", "prefixes")
        try:
            mapping = json.loads(declared) if declared else {}
        except ValueError:
            mapping = {}
        if isinstance(mapping, dict):
            reader.prefixes.update({str(p): str(ns) for p, ns in mapping.items()})
    if reader.prefixes:
        return
    bound = {ns: p for p, ns in graph.namespaces.items() if p and _PREFIX.match(p)}
    for cls in sorted(set(graph.subjects_of_type(_CLASS))):
        if not is_iri(cls) or cls.startswith(OWL_NS):
            continue
        iri = cls
        declared = reader.curie(iri)
        if declared is not None:
            continue
        obo_id = graph.value(cls, OBO_ID)
        if obo_id is not None and ":" in text(obo_id):
            prefix, _, local = text(obo_id).partition(":")
            if iri.endswith(local) and _PREFIX.match(prefix) and _LOCAL.match(local):
                reader.prefixes.setdefault(prefix, iri[: -len(local)])
                continue
        match = _OBO_IRI.match(iri)
        if match:
            reader.prefixes.setdefault(match["prefix"], match["ns"])
            continue
        for namespace, prefix in sorted(bound.items(), key=lambda x: -len(x[0])):
            if iri.startswith(namespace) and _LOCAL.match(iri[len(namespace) :]):
                reader.prefixes.setdefault(prefix.upper(), namespace)
                break


def _find_entries(reader: _Reader) -> None:
    """Which classes are entries, and of which kind (``entry_kind``, else the default)."""
    by_name = {v: k for k, v in KIND_NAMES.items()}
    fallback: Kind | None = reader.default_kind or ("conditions" if reader.foreign else None)
    entry_kind = project(reader.base, "entry_kind")
    for cls in sorted(set(reader.graph.subjects_of_type(_CLASS))):
        if not is_iri(cls):
            continue  # an anonymous class expression: read where it is used
        if cls in (OWL_NS + "Thing", OWL_NS + "Nothing"):
            continue
        kind_name = reader.one(cls, entry_kind, cls, "entry_kind")
        term_id = reader.curie(cls)
        if kind_name is None:
            if fallback is None:
                reader.drop("classes without entry_kind (imported terms)", str(cls))
            elif term_id is None:
                reader.drop("classes whose IRI has no known prefix", str(cls))
            else:
                reader.entries[str(cls)] = (term_id, fallback)
            continue
        if term_id is None or kind_name not in by_name:
            reader.problem(
                "invalid_id",
                str(cls),
                "an entry whose IRI has no declared prefix, or an "
                f"unknown entry kind {kind_name!r}",
            )
            continue
        reader.entries[str(cls)] = (term_id, by_name[kind_name])


def _read_entry(reader: _Reader, iri: str, term_id: str, kind: Kind) -> dict[str, Any] | None:
    """One entry as a JSON mapping (the shape :func:`derm_onto.jsonio.from_dict` builds
    terms from)."""
    cls = iri
    labels = _labels(reader, cls, term_id)
    if labels is None:
        return None
    parents, features = _read_parents(reader, cls, term_id)
    entry: dict[str, Any] = {
        "id": term_id,
        "label": labels,
        "parents": sorted(set(parents)),
        "synonyms": _read_synonyms(reader, cls, term_id),
        "xrefs": (
            _clean_xrefs(reader, reader.values(cls, HAS_DBXREF), term_id)
            if reader.foreign
            else reader.values(cls, HAS_DBXREF)
        ),
        "provenance": reader.values(cls, project(reader.base, "provenance")),
    }
    definition = reader.one(cls, DEFINITION, term_id, "definition")
    if definition is not None:
        entry["definition"] = definition
        entry["definition_xrefs"] = clean_sources(
            _axiom_xrefs(reader, cls, DEFINITION, definition), term_id, reader.drop
        )
    entry.update(_read_obsolescence(reader, cls, term_id))
    category = reader.one(cls, project(reader.base, "category"), term_id, "category")
    if category is not None:
        if category not in _CATEGORIES[kind]:
            reader.problem("invalid_value", term_id, f"unknown category {category!r}")
        else:
            entry["category"] = category
    observed = reader.graph.objects(cls, project(reader.base, HAS_OBSERVED_FEATURE))
    if kind == "conditions":
        kinds = reader.kinds()
        entry["concepts"] = sorted({f for f in features if kinds[f] == "concepts"})
        entry["findings"] = sorted({f for f in features if kinds[f] == "findings"})
        entry["observed_concepts"] = _read_observed(reader, observed, term_id)
    else:
        if features:
            reader.drop("has_feature restrictions on a concept or finding", term_id)
        if observed:
            reader.drop("has_observed_feature annotations on a concept or finding", term_id)
    return {k: v for k, v in entry.items() if v not in ([], None, False)}


def _labels(reader: _Reader, cls: Any, term_id: str) -> str | None:
    found = sorted(
        reader.graph.objects(cls, _LABEL),
        key=lambda v: (bool(getattr(v, "language", None)), text(v)),
    )
    if reader.foreign and found:
        plain = [v for v in found if getattr(v, "language", None) in (None, "en")]
        if len(found) > 1:
            reader.drop("extra rdfs:label values (one kept)", term_id)
        return text((plain or found)[0])
    if len(found) != 1:
        reader.problem(
            "missing_label" if not found else "duplicate_label",
            term_id,
            f"{term_id} has {len(found)} rdfs:label values; exactly one expected",
        )
        if not found:
            if reader.foreign:
                reader.drop("classes without rdfs:label", term_id)
            return None
    return text(found[0])


def _read_parents(reader: _Reader, cls: Any, term_id: str) -> tuple[list[str], list[str]]:
    """Named superclasses (parents) and ``has_feature some X`` restrictions (features)."""
    graph = reader.graph
    has_feature = project(reader.base, HAS_FEATURE)
    parents: list[str] = []
    features: list[str] = []
    for parent in graph.objects(cls, _SUBCLASS):
        if is_iri(parent):
            if parent == OWL_NS + "Thing":
                continue
            found = reader.entries.get(parent)
            if found is not None:
                parents.append(found[0])
            elif reader.foreign:
                reader.drop("parents that are not classes of this file", str(parent))
            else:
                pid = reader.curie(parent) or parent
                reader.problem(
                    "dangling_reference", term_id, f"parent {pid} of {term_id} is not an entry"
                )
        elif graph.has(parent, _TYPE, OWL_NS + "Restriction"):
            prop = graph.value(parent, OWL_NS + "onProperty")
            target = graph.value(parent, OWL_NS + "someValuesFrom")
            if prop != has_feature:
                reader.drop(f"restrictions on {prop if prop is None else text(prop)}", term_id)
                continue
            found = reader.entries.get(target) if isinstance(target, str) else None
            if found is None:
                tid = (reader.curie(target) if target is not None else None) or target
                reader.problem(
                    "dangling_reference",
                    term_id,
                    f"has_feature target {tid} of {term_id} is not an entry",
                )
            else:
                features.append(found[0])
        else:
            reader.drop("anonymous superclass expressions", term_id)
    return parents, features


def _read_observed(reader: _Reader, values: list[Any], term_id: str) -> list[str]:
    """``has_observed_feature`` annotation values: IRIs of concepts of this file; any other
    value is an error finding (a literal, an IRI that is no entry, an entry of another kind)."""
    observed: set[str] = set()
    kinds = reader.kinds()
    for value in values:
        found = reader.entries.get(value) if is_iri(value) else None
        if found is None:
            what = (reader.curie(value) or value) if is_iri(value) else repr(text(value))
            code = "dangling_reference" if is_iri(value) else "invalid_value"
            reader.problem(
                code, term_id, f"has_observed_feature value {what} of {term_id} is not an entry"
            )
        elif kinds[found[0]] != "concepts":
            reader.problem(
                "wrong_kind",
                term_id,
                f"has_observed_feature value {found[0]} of {term_id} is a "
                f"{KIND_NAMES[kinds[found[0]]]}, not a concept",
            )
        else:
            observed.add(found[0])
    return sorted(observed)


def _axiom_xrefs(reader: _Reader, cls: Any, prop: str, target: str) -> list[str]:
    axioms = reader.axioms(cls).get((prop, target), [])
    return sorted({text(x) for a in axioms for x in reader.graph.objects(a, HAS_DBXREF)})


def _read_synonyms(reader: _Reader, cls: Any, term_id: str) -> list[dict[str, str]]:
    """The four OBO synonym properties; an exact synonym typed ``OMO:0003000`` is an
    abbreviation."""
    graph = reader.graph
    abbreviations = set()
    for (prop, target), axioms in reader.axioms(cls).items():
        if prop in _SYNONYM_TYPES and any(
            graph.has(a, HAS_SYNONYM_TYPE, ABBREVIATION) for a in axioms
        ):
            abbreviations.add((prop, target))
    synonyms: set[tuple[str, str]] = set()
    for prop, value in graph.predicate_objects(cls):
        if not (prop.startswith(OBOINOWL) and prop.endswith("Synonym")):
            continue
        if prop not in _SYNONYM_TYPES:
            reader.problem(
                "unknown_synonym_property",
                term_id,
                f"{term_id} uses {prop}, which is not an OBO synonym property",
            )
            continue
        syn_type = _SYNONYM_TYPES[prop]
        if syn_type is SynonymType.EXACT and (prop, text(value)) in abbreviations:
            syn_type = SynonymType.ABBREVIATION
        synonyms.add((text(value), syn_type.value))
    return [{"text": t, "type": k} for t, k in sorted(synonyms)]


def _read_obsolescence(reader: _Reader, cls: Any, term_id: str) -> dict[str, Any]:
    """``owl:deprecated``, ``IAO:0100001`` (IRI or CURIE string), ``oboInOwl:consider``."""
    out: dict[str, Any] = {}
    deprecated = reader.values(cls, OWL_NS + "deprecated")
    if any(v.lower() in ("true", "1") for v in deprecated):
        out["obsolete"] = True
    replaced = [_as_curie(reader, v) for v in reader.graph.objects(cls, REPLACED_BY)]
    if replaced:
        out["replaced_by"] = sorted(replaced)[0]
        if len(replaced) > 1:
            reader.drop("extra replaced_by values (the first kept)", term_id)
    consider = sorted({_as_curie(reader, v) for v in reader.graph.objects(cls, CONSIDER)})
    if consider:
        out["consider"] = consider
    return out


def _as_curie(reader: _Reader, value: Any) -> str:
    if is_iri(value):
        return reader.curie(value) or str(value)
    return text(value)


def clean_xref(xref: str, term_id: str, drop: Callable[[str, str], None]) -> str | None:
    """The xref if it is a CURIE fitting its scheme (surrounding space removed), else None
    after ``drop(reason, example)``.

    >>> clean_xref(" ICD10CM:A00-A09 ", "X:1", print)
    'ICD10CM:A00-A09'
    >>> clean_xref("https://example.org/x", "X:1", print)
    xrefs that are not CURIEs X:1 'https://example.org/x'
    """
    text = xref.strip()
    prefix, _, local = text.partition(":")
    if not _XREF.match(text) or text.startswith(("http:", "https:")):
        drop("xrefs that are not CURIEs", f"{term_id} {xref!r}")
        return None
    if prefix in XREF_PATTERNS and not XREF_PATTERNS[prefix].fullmatch(local):
        drop(f"{prefix} xrefs that are not well-formed codes", f"{term_id} {xref!r}")
        return None
    return text


def clean_sources(sources: list[str], term_id: str, drop: Callable[[str, str], None]) -> list[str]:
    """Definition sources as the schema takes them: CURIEs or URLs, no whitespace inside.

    >>> clean_sources(["PMID:1", " https://doi.org/10.1/x ", "a book"], "X:1", print)
    definition sources with spaces inside X:1 'a book'
    ['PMID:1', 'https://doi.org/10.1/x']
    """
    kept = set()
    for source in sources:
        text = source.strip()
        if text and not re.search(r"\s", text):
            kept.add(text)
        else:
            drop("definition sources with spaces inside", f"{term_id} {source!r}")
    return sorted(kept)


def normalise_obsolete(entries: list[dict[str, Any]], drop: Callable[[str, str], None]) -> None:
    """Make a foreign file's obsolete terms fit the model's rules, counting each change: a
    replacement outside the file is dropped, one that is itself obsolete is followed to a
    live term, an obsolete term loses its parents and a live term its obsolete parents.

    >>> entries = [{"id": "X:1", "label": "a", "obsolete": True, "replaced_by": "X:2",
    ...             "parents": ["X:3"]},
    ...            {"id": "X:2", "label": "b", "obsolete": True, "replaced_by": "X:3"},
    ...            {"id": "X:3", "label": "c", "parents": ["X:4"]},
    ...            {"id": "X:4", "label": "d", "obsolete": True, "replaced_by": "X:9"}]
    >>> normalise_obsolete(entries, lambda *args: None)
    >>> [(e["id"], e.get("replaced_by"), e.get("parents", [])) for e in entries]
    [('X:1', 'X:3', []), ('X:2', 'X:3', []), ('X:3', None, []), ('X:4', None, [])]
    """
    by_id = {entry["id"]: entry for entry in entries}
    obsolete = {entry["id"] for entry in entries if entry.get("obsolete")}
    for entry in entries:
        target = entry.get("replaced_by")
        seen = {entry["id"]}
        while target in obsolete and target not in seen:
            seen.add(target)
            target = by_id[target].get("replaced_by")
        if target is not None and target != entry.get("replaced_by"):
            drop("replaced_by obsolete terms, followed to their live replacement", entry["id"])
        if target is not None and (target not in by_id or target in obsolete):
            drop("replaced_by terms not in this file (or with no live replacement)", entry["id"])
            target = None
        if target is None:
            entry.pop("replaced_by", None)
        else:
            entry["replaced_by"] = target
        if entry["id"] in obsolete and entry.get("parents"):
            drop("parents of obsolete terms", entry["id"])
            entry.pop("parents")
        elif any(p in obsolete for p in entry.get("parents", ())):
            drop("obsolete parents of live terms", entry["id"])
            entry["parents"] = [p for p in entry["parents"] if p not in obsolete]


def relabel_obsolete_duplicates(
    entries: list[dict[str, Any]], drop: Callable[[str, str], None]
) -> None:
    """Obsolete terms sharing a label with another term (HPO has such pairs) get their id
    appended to the label, reported through ``drop``; live duplicates are left for
    validation to report.

    >>> entries = [{"id": "X:1", "label": "a"}, {"id": "X:2", "label": "A", "obsolete": True}]
    >>> relabel_obsolete_duplicates(entries, lambda *args: None)
    >>> entries[1]["label"]
    'A (X:2)'
    """
    seen: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        seen.setdefault(" ".join(entry["label"].split()).casefold(), []).append(entry)
    for group in seen.values():
        if len(group) < 2:
            continue
        keep = next((e for e in group if not e.get("obsolete")), group[0])
        for entry in group:
            if entry is not keep and entry.get("obsolete"):
                entry["label"] = f"{entry['label']} ({entry['id']})"
                drop("obsolete terms relabelled with their id (their label was taken)", entry["id"])


def _clean_xrefs(reader: _Reader, xrefs: list[str], term_id: str) -> list[str]:
    """Xrefs that are CURIEs fitting their scheme; others are dropped (counted)."""
    kept = {x for xref in xrefs if (x := clean_xref(xref, term_id, reader.drop)) is not None}
    return sorted(kept)


def _declare_xref_prefixes(reader: _Reader, documents: dict[Kind, list[dict[str, Any]]]) -> None:
    """Declare the prefixes of xrefs that a foreign file left undeclared, with the OBO
    PURL expansion (``http://purl.obolibrary.org/obo/PREFIX_``) that OAK also assumes."""
    if not reader.foreign:
        return
    for entries in documents.values():
        for entry in entries:
            for xref in entry.get("xrefs", ()):
                prefix = xref.partition(":")[0]
                if _PREFIX.match(prefix):
                    reader.prefixes.setdefault(prefix, f"{OBO}{prefix}_")


def _merge_cliques(pairs: dict[tuple[str, ...], str]) -> dict[tuple[str, ...], str]:
    """Pairs sharing a reason that together make every pair of a set disjoint (a clique of
    three or more) become one group; the other pairs stay groups of two.

    >>> _merge_cliques({("a", "b"): "r", ("a", "c"): "r", ("b", "c"): "r", ("c", "d"): ""})
    {('a', 'b', 'c'): 'r', ('c', 'd'): ''}
    """
    import networkx as nx

    merged: dict[tuple[str, ...], str] = {}
    for reason in sorted(set(pairs.values())):
        graph = nx.Graph([k for k, r in pairs.items() if r == reason])
        for component in nx.connected_components(graph):
            nodes = sorted(component)
            sub = graph.subgraph(nodes)
            if len(nodes) >= 3 and sub.number_of_edges() == len(nodes) * (len(nodes) - 1) // 2:
                merged[tuple(nodes)] = reason
            else:
                merged.update({tuple(sorted(e)): reason for e in sub.edges})
    return dict(sorted(merged.items()))


def _read_disjoint(reader: _Reader) -> list[dict[str, Any]]:
    """``owl:AllDisjointClasses`` (members list, reason as ``rdfs:comment``) and
    ``owl:disjointWith`` pairs (as groups of two, duplicates merged)."""
    graph = reader.graph
    groups: dict[tuple[str, ...], str] = {}
    seen: set[Any] = set()
    for axiom in sorted(graph.subjects_of_type(OWL_NS + "AllDisjointClasses")):
        members: list[str] = []
        cell = graph.value(axiom, OWL_NS + "members")
        while cell is not None and cell != _NIL and cell not in seen:
            seen.add(cell)
            member = graph.value(cell, _FIRST)
            found = reader.entries.get(member) if isinstance(member, str) else None
            if found is None:
                if reader.foreign:
                    reader.drop("disjoint members that are not classes of this file", str(member))
                else:
                    reader.problem(
                        "dangling_reference",
                        "disjoint",
                        f"disjoint member {member} is not an entry",
                    )
            else:
                members.append(found[0])
            cell = graph.value(cell, _REST)
        reason = graph.value(axiom, _COMMENT)
        if len(set(members)) >= 2:
            groups[tuple(sorted(set(members)))] = text(reason) if reason is not None else ""
    pairs: dict[tuple[str, ...], str] = {}
    disjoint = OWL_NS + "disjointWith"
    for a, b in sorted((a, text(b)) for a, b in graph.subject_objects(disjoint)):
        pair = [reader.entries.get(a), reader.entries.get(b)]
        if pair[0] is None or pair[1] is None:
            reader.drop("owl:disjointWith on classes not in this file", f"{a} {b}")
            continue
        key = tuple(sorted({pair[0][0], pair[1][0]}))
        axioms = reader.axioms(a).get((disjoint, b), [])
        reasons = sorted({text(c) for x in axioms for c in graph.objects(x, _COMMENT)})
        if len(key) == 2:
            pairs[key] = reasons[0] if reasons else pairs.get(key, "")
    for key, reason in _merge_cliques(pairs).items():
        if not any(set(key) <= set(g) and r == reason for g, r in groups.items()):
            groups[key] = reason
    if reader.foreign:  # the schema wants a reason; say where the axiom came from
        groups = {k: r or "asserted disjoint in the imported ontology" for k, r in groups.items()}
    return [
        {"classes": list(classes), **({"reason": reason} if reason else {})}
        for classes, reason in sorted(groups.items())
    ]
