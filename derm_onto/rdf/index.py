"""Triples indexed by subject, for the reader: built from pyoxigraph's parser in one pass
(``import rdf``) or from an rdflib Graph.

Terms are plain Python values: an IRI is its text, a blank node ``_:id``, a literal a
:class:`pyoxigraph.Literal` (``.value``, ``.language``, ``.datatype``).

>>> import pyoxigraph as ox
>>> data = b'<http://e.org/a> a <http://e.org/C> ; <http://e.org/p> "x"@en, _:b .'
>>> index = TripleIndex.from_oxigraph(ox.parse(data, format=ox.RdfFormat.TURTLE))
>>> index.subjects_of_type("http://e.org/C"), text(index.value("http://e.org/a", "http://e.org/p"))
(['http://e.org/a'], 'x')
>>> sorted(text(o) for o in index.objects("http://e.org/a", "http://e.org/p"))
['_:b', 'x']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from derm_onto.rdf.vocab import RDF_NS

RDF_TYPE = RDF_NS + "type"
_NOTHING: list[Any] = []


def text(term: Any) -> str:
    """The text of a term: the IRI, ``_:id``, or a literal's lexical form."""
    return term if isinstance(term, str) else str(term.value)


def is_iri(term: Any) -> bool:
    return isinstance(term, str) and not term.startswith("_:")


class TripleIndex:
    """subject -> predicate IRI -> objects, with reverse lookups built on first use."""

    def __init__(self, spo: dict[str, dict[str, list[Any]]], namespaces: dict[str, str]) -> None:
        self.spo = spo
        self.namespaces = namespaces
        self._reverse: dict[str, dict[Any, list[str]]] = {}

    @classmethod
    def from_oxigraph(
        cls,
        quads: Iterable[Any],
        namespaces: dict[str, str] | None = None,
        check_literal: Callable[[int], None] | None = None,
    ) -> TripleIndex:
        """Index what pyoxigraph parsed (quads or triples; graph names are ignored);
        ``check_literal(length)`` sees every literal's length first."""
        import pyoxigraph as ox

        named, blank, literal = ox.NamedNode, ox.BlankNode, ox.Literal
        spo: dict[str, dict[str, list[Any]]] = {}
        for quad in quads:
            s = quad.subject
            subject = s.value if type(s) is named else "_:" + s.value
            o = quad.object
            kind = type(o)
            if kind is named:
                o = o.value
            elif kind is blank:
                o = "_:" + o.value
            elif kind is literal:
                if check_literal is not None:
                    check_literal(len(o.value))
            else:
                continue  # an RDF 1.2 triple term: nothing the model holds
            predicates = spo.get(subject)
            if predicates is None:
                predicates = spo[subject] = {}
            p = quad.predicate.value
            found = predicates.get(p)
            if found is None:
                predicates[p] = [o]
            else:
                found.append(o)
        parsed = getattr(quads, "prefixes", None) or {}
        return cls(spo, {**parsed, **(namespaces or {})})

    @classmethod
    def from_rdflib(cls, graph: Any) -> TripleIndex:
        """Index an rdflib Graph (its bound namespaces kept)."""
        import pyoxigraph as ox
        from rdflib import BNode, Literal, URIRef

        def term(node: Any) -> Any:
            if isinstance(node, URIRef):
                return str(node)
            if isinstance(node, BNode):
                return "_:" + str(node)
            if isinstance(node, Literal):
                if node.language:
                    return ox.Literal(str(node), language=node.language)
                if node.datatype is not None:
                    try:
                        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
                    except ValueError:
                        pass
                return ox.Literal(str(node))
            return None

        spo: dict[str, dict[str, list[Any]]] = {}
        for s, p, o in graph:
            subject, value = term(s), term(o)
            if subject is not None and value is not None:
                spo.setdefault(subject, {}).setdefault(str(p), []).append(value)
        namespaces = {str(p): str(ns) for p, ns in graph.namespaces() if p}
        return cls(spo, namespaces)

    def objects(self, subject: Any, predicate: str) -> list[Any]:
        found = self.spo.get(subject)
        return found.get(predicate, _NOTHING) if found else _NOTHING

    def value(self, subject: Any, predicate: str) -> Any:
        """One object (the first parsed) or None."""
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def has(self, subject: Any, predicate: str, value: Any) -> bool:
        return value in self.objects(subject, predicate)

    def predicate_objects(self, subject: Any) -> Iterator[tuple[str, Any]]:
        found = self.spo.get(subject)
        for predicate, values in (found or {}).items():
            for value in values:
                yield predicate, value

    def subject_objects(self, predicate: str) -> Iterator[tuple[str, Any]]:
        for subject, predicates in self.spo.items():
            for value in predicates.get(predicate, _NOTHING):
                yield subject, value

    def uses(self, predicate: str) -> bool:
        """Whether any triple has this predicate."""
        return any(predicate in predicates for predicates in self.spo.values())

    def subjects(self, predicate: str, value: Any) -> list[str]:
        """The subjects of ``? predicate value`` (a reverse index per predicate, built
        once)."""
        reverse = self._reverse.get(predicate)
        if reverse is None:
            reverse = self._reverse[predicate] = {}
            for subject, value_ in self.subject_objects(predicate):
                reverse.setdefault(value_, []).append(subject)
        return reverse.get(value, [])

    def subjects_of_type(self, cls: str) -> list[str]:
        return self.subjects(RDF_TYPE, cls)


__all__ = ["TripleIndex", "is_iri", "text"]
