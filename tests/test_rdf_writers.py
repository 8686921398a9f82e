"""The one-pass RDF writers (derm_onto.rdf.serialise): odd text in every format, read back
by pyoxigraph and rdflib; N-Triples as pyoxigraph writes it; RDF/XML of graphs shaped
unlike ours (shared and cyclic blank nodes, lists, unbound namespaces)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.jsonio import dumps
from derm_onto.model import Synonym, SynonymType
from derm_onto.rdf import export, import_rdf, parse, serialize

from . import ids
from .test_rdf import canonical_triples

FORMATS = ["ttl", "owl", "nt", "jsonld"]
OX = {"ttl": "TURTLE", "owl": "RDF_XML", "nt": "N_TRIPLES", "jsonld": "JSON_LD"}

#: text with what each syntax must escape: quotes, backslashes, markup, line breaks, tabs,
#: CDATA ends, astral characters; no character RDF/XML cannot carry (export refuses those)
odd_text = (
    st.lists(
        st.sampled_from(['"', "'", "\\", "<", ">", "&", "]]>", "\n", "\r", "\t", "\u2028", "😀"])
        | st.characters(
            min_codepoint=0x20, max_codepoint=0x10FFFF, blacklist_categories=("Cs", "Cc", "Cn")
        ),
        min_size=1,
        max_size=20,
    )
    .map("".join)
    .filter(lambda s: s.strip() == s and s.strip())
)


def with_text(tiny, text: str):
    """``text`` as the ontology's description, a definition and an abbreviation."""
    conditions = tuple(
        dataclasses.replace(
            c,
            definition=f"{text} def",
            synonyms=(*c.synonyms, Synonym(f"{text} syn", SynonymType.ABBREVIATION)),
        )
        if c.id == ids.BCC
        else c
        for c in tiny.conditions
    )
    return dataclasses.replace(tiny, description=text, conditions=conditions)


@settings(max_examples=25, deadline=None)
@given(odd_text)
def test_odd_text_round_trips_and_parses_the_same_everywhere(tiny, text) -> None:
    import pyoxigraph as ox

    onto = with_text(tiny, text)
    expected = canonical_triples(parse(export(onto, "nt"), "nt"))
    sizes = set()
    for fmt in FORMATS:
        data = export(onto, fmt)
        back, findings = import_rdf(data, fmt)
        assert findings == [] and dumps(back) == dumps(onto), fmt
        assert canonical_triples(parse(data, fmt)) == expected, fmt  # rdflib, strict
        sizes.add(len(list(ox.parse(data, format=getattr(ox.RdfFormat, OX[fmt])))))
    assert len(sizes) == 1


def test_ntriples_are_pyoxigraphs_canonical_form(derm1m) -> None:
    """Our escapes are pyoxigraph's: its canonical N-Triples of the same triples is our
    file but for the explicit ``xsd:string`` we keep (pronto wants it on consider)."""
    import pyoxigraph as ox

    ours = export(derm1m, "nt")
    triples = [q.triple for q in ox.parse(ours, format=ox.RdfFormat.N_TRIPLES)]
    theirs = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert ours.replace(b"^^<http://www.w3.org/2001/XMLSchema#string>", b"") == theirs


@pytest.fixture(scope="module")
def derm1m():
    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path

    return load(bundled_ontology_path())


def test_turtle_abbreviates_with_the_prefixes_and_declares_them(tiny) -> None:
    text = export(tiny, "ttl").decode()
    assert "@prefix TINY: <https://example.org/tiny/TINY_> ." in text
    assert f"{ids.BCC} a owl:Class ;" in text
    body = text.split("\n\n", 1)[1]
    assert "<https://example.org/tiny/TINY_" not in body  # every entry IRI abbreviated


def test_rdfxml_of_foreign_shapes_reads_back_the_same_triples() -> None:
    """A blank node used twice (rdf:nodeID both times), two blank nodes that only refer
    to each other, a list with a literal (not a Collection), a predicate in a namespace
    with no prefix, an IRI with ``&`` and quotes."""
    from rdflib import RDF, BNode, Graph, Literal, URIRef
    from rdflib.collection import Collection

    g = Graph(bind_namespaces="none")
    g.bind("owl", "http://www.w3.org/2002/07/owl#")
    a, b = URIRef("http://e.org/a?x=1&y='2'"), URIRef("http://e.org/b")
    shared, c1, c2 = BNode("shared"), BNode("c1"), BNode("c2")
    g.add((a, URIRef("http://other.example/p"), shared))
    g.add((b, URIRef("http://other.example/p"), shared))
    g.add((shared, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Axiom")))
    g.add((c1, URIRef("http://other.example/next"), c2))
    g.add((c2, URIRef("http://other.example/next"), c1))
    head = BNode("list")
    Collection(g, head, [a, Literal("x & <y>", lang="en")])
    g.add((b, URIRef("http://other.example/items"), head))
    data = serialize(g, "owl")
    assert b'rdf:nodeID="shared"' in data and b"<owl:Axiom" in data
    assert len(parse(data, "owl")) == len(g)
    assert canonical_graph(parse(data, "owl")) == canonical_graph(g)
    for fmt in ("ttl", "nt", "jsonld"):
        assert canonical_graph(parse(serialize(g, fmt), fmt)) == canonical_graph(g), fmt


def canonical_graph(graph) -> list[str]:
    """Sorted triples with each blank node named by its predicates (enough for the small
    graphs here, cycles included)."""
    from rdflib import BNode

    def term(node) -> str:
        if isinstance(node, BNode):
            return "[" + " ".join(sorted(p.n3() for p in graph.predicates(node))) + "]"
        return node.n3()

    return sorted(f"{term(s)} {p.n3()} {term(o)}" for s, p, o in graph)
