"""Reasoning with HermiT through owlready2: consistency, unsatisfiable classes, inferred
hierarchy.

HermiT runs on Java; :func:`reason` raises a clear :class:`DermOntoError` when no ``java``
is on the PATH (``apt-get install default-jre-headless``). The ontology is exported to
RDF/XML (see :mod:`derm_onto.rdf`), loaded into a private owlready2 World and classified.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> result = reason(load(bundled_ontology_path("starter.json")))  # doctest: +SKIP
>>> result.consistent, result.unsatisfiable  # doctest: +SKIP
(True, ())
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from derm_onto.errors import DermOntoError
from derm_onto.model import Ontology, Term

T = TypeVar("T", bound=Term)


@dataclass(frozen=True)
class ReasonerResult:
    """What HermiT found: consistency, unsatisfiable classes (id, label), inferred parents."""

    consistent: bool
    unsatisfiable: tuple[tuple[str, str], ...] = ()
    inferred_parents: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True for a consistent ontology without unsatisfiable classes."""
        return self.consistent and not self.unsatisfiable


def java_executable() -> str:
    """The java binary HermiT will use; a DermOntoError explains how to get one."""
    found = shutil.which("java")
    if found is None:
        raise DermOntoError(
            "reasoning needs Java (a JRE >= 11) on the PATH: apt-get install default-jre-headless"
        )
    return found


def reason(ontology: Ontology) -> ReasonerResult:
    """Classify the ontology with HermiT."""
    import owlready2

    from derm_onto.rdf import export

    owlready2.JAVA_EXE = java_executable()
    with tempfile.TemporaryDirectory(prefix="derm-onto-reason-") as folder:
        path = Path(folder) / f"{ontology.id}.owl"
        path.write_bytes(export(ontology, "owl"))
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        consistent = True
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            consistent = False
        except Exception as exc:  # the Java side failing (memory, missing JRE modules)
            detail = str(exc).strip().splitlines()
            raise DermOntoError(f"HermiT failed: {detail[-1] if detail else exc}") from None
        by_iri = {}
        for term in ontology.terms():
            by_iri[ontology.expand(term.id)] = term
        unsatisfiable = []
        if consistent:
            for cls in world.inconsistent_classes():
                found = by_iri.get(cls.iri)
                if found is not None:
                    unsatisfiable.append((found.id, found.label))
        inferred: dict[str, tuple[str, ...]] = {}
        if consistent:
            for cls in onto.classes():
                entry = by_iri.get(cls.iri)
                if entry is None:
                    continue
                parents = sorted(
                    by_iri[p.iri].id
                    for p in cls.is_a
                    if isinstance(p, owlready2.ThingClass) and p.iri in by_iri
                )
                inferred[entry.id] = tuple(parents)
        world.close()
    return ReasonerResult(consistent, tuple(sorted(unsatisfiable)), inferred)


def with_inferred_hierarchy(ontology: Ontology, result: ReasonerResult) -> Ontology:
    """The ontology with each entry's parents replaced by its inferred direct parents."""

    def update(term: T) -> T:
        parents = result.inferred_parents.get(term.id)
        return dataclasses.replace(term, parents=parents) if parents is not None else term

    return dataclasses.replace(
        ontology,
        conditions=tuple(update(t) for t in ontology.conditions),
        concepts=tuple(update(t) for t in ontology.concepts),
        findings=tuple(update(t) for t in ontology.findings),
    )


@dataclass(frozen=True)
class HierarchyChange:
    """How the reasoner's direct parents of one entry differ from the asserted ones."""

    id: str
    added: tuple[str, ...]
    dropped: tuple[str, ...]


def hierarchy_changes(ontology: Ontology, result: ReasonerResult) -> list[HierarchyChange]:
    """The entries whose inferred direct parents differ from the asserted ones: parents the
    reasoner added, and asserted parents it found redundant. Empty when classification
    inferred nothing new (the inferred export then equals a plain export).

    >>> from derm_onto.model import Condition, Ontology
    >>> a = Condition(id="D:1", label="a")
    >>> b = Condition(id="D:2", label="b", parents=("D:1",))
    >>> onto = Ontology(id="d", title="D", base_iri="https://e.org/",
    ...                 prefixes={"D": "https://e.org/D_"}, conditions=(a, b))
    >>> hierarchy_changes(onto, ReasonerResult(True, (), {"D:1": (), "D:2": ("D:1",)}))
    []
    """
    changes = []
    for term in ontology.terms():
        inferred = result.inferred_parents.get(term.id)
        if inferred is None:
            continue
        asserted, found = set(term.parents), set(inferred)
        if asserted != found:
            changes.append(
                HierarchyChange(
                    term.id, tuple(sorted(found - asserted)), tuple(sorted(asserted - found))
                )
            )
    return changes
