from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.cli import main
from derm_onto.errors import (
    DermOntoError,
    InvalidCharacterError,
    UnsafeInputError,
    UnsupportedFormatError,
)
from derm_onto.formats import ReadOptions
from derm_onto.jsonio import dumps, load
from derm_onto.model import (
    Concept,
    ConceptCategory,
    Condition,
    DisjointGroup,
    Finding,
    Ontology,
    Synonym,
    SynonymType,
)
from derm_onto.rdf import export, import_rdf, parse, prefix_context, rdf_format, to_graph
from derm_onto.resources import bundled_ontology_path

from . import ids
from .conftest import with_observed

FORMATS = ["ttl", "owl", "nt", "jsonld"]


@pytest.fixture(scope="module")
def derm1m() -> Ontology:
    return load(bundled_ontology_path())


@pytest.mark.parametrize("fmt", FORMATS)
def test_curated_ontology_round_trips_byte_for_byte(derm1m, fmt) -> None:
    back, findings = import_rdf(export(derm1m, fmt), fmt)
    assert findings == []
    assert dumps(back) == bundled_ontology_path().read_bytes()


def canonical_triples(graph) -> list[str]:
    """The graph as sorted N-Triples-like lines, each blank node replaced by what it says
    (ours are trees: each used at most once), so two parses compare without isomorphism."""
    from rdflib import XSD, BNode, Literal

    def term(node) -> str:
        if isinstance(node, BNode):
            inner = sorted(f"{p.n3()} {term(o)}" for p, o in graph.predicate_objects(node))
            return "[" + " ; ".join(inner) + "]"
        if isinstance(node, Literal) and node.datatype == XSD.string:
            return Literal(str(node)).n3()  # RDF 1.1: the same literal (N-Triples drops it)
        return node.n3()

    return sorted(
        f"{term(s)} {p.n3()} {term(o)}"
        for s, p, o in graph
        if not isinstance(s, BNode) or not any(True for _ in graph.subjects(None, s))
    )


OBSOLETE = "TINY:0000990"  # an obsolete term added by the ``rich`` fixture


@pytest.fixture(scope="module")
def rich(tiny) -> Ontology:
    """The tiny ontology plus what it lacks: a group of three disjoint classes, an obsolete
    term (no parents, no children) with a replacement and considers, definition sources,
    observed concepts (one concept observed on two conditions)."""
    psoriasis = dataclasses.replace(
        tiny.condition(ids.PSORIASIS),
        definition_xrefs=("PMID:123", "ICD10CM:L40-L40.9", "https://doi.org/10.1/x"),
    )
    obsolete = Condition(
        id=OBSOLETE,
        label="obsolete nail disorder",
        obsolete=True,
        replaced_by=ids.NAIL_DISEASE,
        consider=(ids.PSORIASIS, "HP:0001597"),
    )
    observed = {ids.MELANOMA: (ids.PAPULE,), ids.NEVUS: (ids.PAPULE, ids.SCALE)}
    conditions = [
        dataclasses.replace(c, observed_concepts=observed[c.id]) if c.id in observed else c
        for c in tiny.conditions
    ]
    return dataclasses.replace(
        tiny,
        conditions=(
            *(psoriasis if c.id == ids.PSORIASIS else c for c in conditions),
            obsolete,
        ),
        disjoint=(
            *tiny.disjoint,
            DisjointGroup((ids.INFLAMMATORY, ids.NAIL_DISEASE, ids.NEOPLASM), "three"),
        ),
    )


def test_all_formats_carry_the_same_triples(rich) -> None:
    graphs = [parse(export(rich, fmt), fmt) for fmt in FORMATS]
    assert len({len(g) for g in graphs}) == 1
    expected = canonical_triples(to_graph(rich))
    for graph in graphs:
        assert canonical_triples(graph) == expected


def test_export_is_deterministic_across_processes(rich, tmp_path) -> None:
    source = tmp_path / "rich.json"
    source.write_bytes(dumps(rich))
    script = (
        "import sys; from derm_onto.jsonio import load; from derm_onto.rdf import export; "
        "o = load(sys.argv[2]); [open(sys.argv[1] + '.' + f, 'wb').write(export(o, f)) "
        "for f in ('ttl', 'owl', 'nt', 'jsonld', 'ofn', 'context')]"
    )
    for seed in ("1", "2"):
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / seed), str(source)],
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "", "PYTHONPATH": ":".join(sys.path)},
        )
    for fmt in ("ttl", "owl", "nt", "jsonld", "ofn", "context"):
        first = (tmp_path / f"1.{fmt}").read_bytes()
        assert first and first == (tmp_path / f"2.{fmt}").read_bytes(), fmt


def test_obo_conventions(tiny) -> None:
    from rdflib import OWL, RDF, RDFS, Literal, URIRef

    g = to_graph(tiny)
    bcc = URIRef(tiny.expand(ids.BCC))
    oio = "http://www.geneontology.org/formats/oboInOwl#"
    assert (bcc, RDF.type, OWL.Class) in g
    assert list(g.objects(bcc, RDFS.label)) == [Literal("basal cell carcinoma")]
    assert (bcc, RDFS.subClassOf, URIRef(tiny.expand(ids.MALIGNANT))) in g
    assert (bcc, URIRef(oio + "hasExactSynonym"), Literal("BCC")) in g
    assert (bcc, URIRef(oio + "hasDbXref"), Literal("ICD10CM:C44.91")) in g
    assert (
        bcc,
        URIRef("http://purl.obolibrary.org/obo/IAO_0000115"),
        Literal("Common skin cancer."),
    ) in g
    axioms = list(
        g.subjects(
            URIRef(oio + "hasSynonymType"), URIRef("http://purl.obolibrary.org/obo/OMO_0003000")
        )
    )
    assert len(axioms) == 1 and (axioms[0], OWL.annotatedSource, bcc) in g
    feature = [o for o in g.objects(bcc, RDFS.subClassOf) if (o, RDF.type, OWL.Restriction) in g]
    assert len(feature) == 1
    assert (feature[0], OWL.someValuesFrom, URIRef(tiny.expand(ids.FACE))) in g
    header = URIRef("https://example.org/tiny/tiny.owl")
    assert (header, RDF.type, OWL.Ontology) in g
    assert (header, OWL.versionIRI, URIRef("https://example.org/tiny/tiny/1.0.0/tiny.owl")) in g
    # a pair as owl:disjointWith with its reason on an axiom (OWL API / horned-owl style)
    benign, malignant = URIRef(tiny.expand(ids.BENIGN)), URIRef(tiny.expand(ids.MALIGNANT))
    assert (benign, OWL.disjointWith, malignant) in g
    assert list(g.subjects(RDF.type, OWL.AllDisjointClasses)) == []
    # the CURIE as oboInOwl:id (pronto and OBO tools read ids from it)
    assert (bcc, URIRef(oio + "id"), Literal(ids.BCC)) in g
    # OMO:0003000 declared as a synonym type, as OBO tools declare synonymtypedefs
    omo = URIRef("http://purl.obolibrary.org/obo/OMO_0003000")
    assert (omo, RDFS.subPropertyOf, URIRef(oio + "SynonymTypeProperty")) in g


def test_observed_concepts_are_annotation_assertions_not_axioms(rich) -> None:
    """Observed concepts add exactly one annotation assertion each (an IRI value) and the
    has_observed_feature declaration is the same with or without them."""
    from rdflib import OWL, RDF, RDFS, URIRef

    plain = with_observed(rich, {})
    prop = URIRef(rich.base_iri + "has_observed_feature")
    g = to_graph(rich)
    added = set(g) - set(to_graph(plain))
    assert added == {
        (URIRef(rich.expand(c.id)), prop, URIRef(rich.expand(x)))
        for c in rich.conditions
        for x in c.observed_concepts
    }
    assert len(added) == 3 and not set(to_graph(plain)) - set(g)
    assert (prop, RDF.type, OWL.AnnotationProperty) in g
    assert (prop, RDF.type, OWL.ObjectProperty) not in g
    assert str(g.value(prop, RDFS.label)) == "has observed feature"
    definition = str(g.value(prop, URIRef("http://purl.obolibrary.org/obo/IAO_0000115")))
    assert "not inherited by subclasses" in definition


def test_observed_assertion_with_evidence_axiom_reads_back(rich) -> None:
    """Evidence written as an owl:Axiom annotating ``C has_observed_feature X`` (how the
    associations export annotates an assertion) is no obstacle to reading the file."""
    evidence = (
        f"\n[] a owl:Axiom ; owl:annotatedSource {ids.MELANOMA} ;\n"
        f"    owl:annotatedProperty dermonto:has_observed_feature ;\n"
        f'    owl:annotatedTarget {ids.PAPULE} ; rdfs:comment "40 of 52 images" .\n'
    )
    text = export(rich, "ttl").decode() + evidence
    back, findings = import_rdf(text.encode(), "ttl")
    assert len(parse(text.encode(), "ttl")) == len(to_graph(rich)) + 5
    assert findings == []
    assert dumps(back) == dumps(rich)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (ids.ITCH, "wrong_kind"),  # a finding
        (ids.PSORIASIS, "wrong_kind"),  # a condition
        ("TINY:0100999", "dangling_reference"),
        ('"papule"', "invalid_value"),
    ],
)
def test_observed_value_that_is_not_a_concept_is_named(rich, value, code) -> None:
    text = export(rich, "ttl").decode()
    observed = f"dermonto:has_observed_feature {ids.PAPULE}"
    assert text.count(observed) == 2
    broken = text.replace(observed, f"dermonto:has_observed_feature {value}", 1)
    _, findings = import_rdf(broken.encode(), "ttl")
    assert [(f.code, f.path) for f in findings] == [(code, ids.NEVUS)]  # written first
    assert "has_observed_feature" in findings[0].message


def test_exported_owl_loads_in_owlready2_and_rdflib_without_warnings(derm1m, tmp_path) -> None:
    import owlready2
    from rdflib import Graph

    path = tmp_path / "derm1m.owl"
    path.write_bytes(export(derm1m, "owl"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = Graph().parse(path, format="xml")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
    assert len(graph) == len(to_graph(derm1m))
    classes = list(onto.classes())
    assert len(classes) == len(derm1m.conditions) + len(derm1m.concepts) + len(derm1m.findings)
    melanoma = onto.search_one(label="melanoma")
    assert melanoma is not None and melanoma.iri == derm1m.expand(
        next(c.id for c in derm1m.conditions if c.label == "melanoma")
    )


def test_cli_export_and_import(runner, tiny_path, tmp_path) -> None:
    for fmt in FORMATS:
        out = tmp_path / f"tiny.{'owl' if fmt == 'owl' else fmt}"
        assert runner.invoke(main, ["export", str(tiny_path), "-o", str(out)]).exit_code == 0
        back = tmp_path / f"back_{fmt}.json"
        result = runner.invoke(main, ["import", "rdf", str(out), "-o", str(back)])
        assert result.exit_code == 0, result.output
        assert back.read_bytes() == tiny_path.read_bytes()
    stdout = runner.invoke(main, ["export", str(tiny_path), "--format", "nt"]).output
    assert stdout.count("\n") == len(parse(export(load(tiny_path), "nt"), "nt"))


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"could not find a serializer to handle 'x\.yaml'"):
        rdf_format("x.yaml")
    with pytest.raises(UnsupportedFormatError) as caught:
        export(load(bundled_ontology_path("starter.json")), "x.owx")
    assert isinstance(caught.value, DermOntoError) and "ttl" in str(caught.value)


@pytest.mark.parametrize("name", ["x.txt", "x.owx", "x.yaml"])
def test_issue10_unsupported_export_format_is_one_line_exit_2(runner, tmp_path, name) -> None:
    result = runner.invoke(main, ["export", "-o", str(tmp_path / name)])
    assert result.exit_code == 2
    assert f"could not find a serializer to handle '{tmp_path / name}'" in result.output
    listed = result.output.split("(formats: ")[1].split(")")[0].split(", ")
    assert {"context", "jsonld", "nt", "ofn", "owl", "ttl"} <= set(listed)
    assert "Traceback" not in result.output
    assert not (tmp_path / name).exists()


def _ttl(tiny_path, runner, tmp_path) -> str:
    out = tmp_path / "t.ttl"
    runner.invoke(main, ["export", str(tiny_path), "-o", str(out)])
    return out.read_text()


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (
            lambda t: t.replace(
                'rdfs:label "melanoma"', 'rdfs:label "melanoma", "malignant melanoma tumour"'
            ),
            "duplicate_label",
        ),
        (
            lambda t: t.replace('oboInOwl:hasExactSynonym "BCC"', 'oboInOwl:hasFancySynonym "BCC"'),
            "unknown_synonym_property",
        ),
        (
            lambda t: t.replace("rdfs:subClassOf TINY:0000007", "rdfs:subClassOf TINY:0000404"),
            "dangling_reference",
        ),
    ],
)
def test_rdf_breaking_conventions_gets_findings(runner, tiny_path, tmp_path, edit, code) -> None:
    text = _ttl(tiny_path, runner, tmp_path)
    broken = edit(text)
    assert broken != text, "the edit must apply"
    path = tmp_path / "broken.ttl"
    path.write_text(broken)
    result = runner.invoke(main, ["import", "rdf", str(path), "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 1
    assert f"error {code}:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o.json").exists()


def test_rdf_syntax_error_is_one_line(tmp_path) -> None:
    with pytest.raises(DermOntoError, match=r"x\.ttl: not valid ttl RDF"):
        import_rdf(b"@prefix : <x> .\n:a :b", "ttl", "x.ttl")


# -- property: generated ontologies round-trip through every format -----------------------
words = (
    st.text(
        st.characters(min_codepoint=32, max_codepoint=0x24F, blacklist_categories=("Cs", "Cc")),
        min_size=1,
        max_size=15,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


SOURCES = ["PMID:123", "ICD10CM:A00-A09", "https://doi.org/10.1/x"]
#: the generated concepts; a condition's observed ones never overlap its typical ones
CONCEPTS = ["GEN:900", "GEN:901"]


@st.composite
def ontologies(draw) -> Ontology:
    n = draw(st.integers(1, 8))
    labels = draw(st.lists(words, min_size=n + 3, max_size=n + 3, unique_by=lambda s: s.casefold()))
    conditions = []
    for i in range(n):
        parents = tuple(
            sorted(
                {f"GEN:{p:03d}" for p in draw(st.lists(st.integers(0, i - 1), max_size=2))}
                if i
                else ()
            )
        )
        synonyms = tuple(
            draw(
                st.lists(
                    st.builds(Synonym, words, st.sampled_from(SynonymType)),
                    max_size=3,
                    unique_by=lambda s: s.text,
                )
            )
        )
        definition = draw(st.none() | words)
        obsolete = draw(st.booleans())
        typical = draw(st.sets(st.sampled_from(CONCEPTS)))
        conditions.append(
            Condition(
                id=f"GEN:{i:03d}",
                label=labels[i],
                parents=parents,
                synonyms=synonyms,
                definition=definition,
                definition_xrefs=tuple(
                    draw(
                        st.lists(
                            st.sampled_from(
                                ["PMID:123", "ICD10CM:A00-A09", "https://doi.org/10.1/x"]
                            ),
                            unique=True,
                        )
                    )
                )
                if definition
                else (),
                xrefs=tuple(
                    draw(
                        st.lists(
                            st.sampled_from(["ICD10CM:L40.0", "HP:0000989"]),
                            max_size=2,
                            unique=True,
                        )
                    )
                ),
                provenance=tuple(draw(st.lists(words, max_size=2, unique=True))),
                obsolete=obsolete,
                replaced_by=f"GEN:{i - 1:03d}" if obsolete and i and draw(st.booleans()) else None,
                consider=tuple(
                    sorted(draw(st.sets(st.sampled_from(["GEN:900", "HP:0000989"]), max_size=2)))
                )
                if obsolete
                else (),
                concepts=tuple(sorted(typical)),
                findings=("GEN:950",) if draw(st.booleans()) else (),
                observed_concepts=tuple(sorted(draw(st.sets(st.sampled_from(CONCEPTS))) - typical)),
            )
        )
    return Ontology(
        id="gen",
        title=draw(words),
        base_iri="https://example.org/gen/",
        prefixes={
            "GEN": "https://example.org/gen/GEN_",
            "ICD10CM": "http://x.org/icd/",
            "HP": "http://purl.obolibrary.org/obo/HP_",
        },
        description=draw(st.just("") | words),
        version=draw(st.sampled_from(["", "1.0"])),
        levels=tuple(draw(st.lists(words, max_size=3, unique=True))),
        conditions=tuple(conditions),
        concepts=(
            Concept(id="GEN:900", label=labels[n], category=ConceptCategory.COLOUR),
            Concept(id="GEN:901", label=labels[n + 2]),
        ),
        findings=(Finding(id="GEN:950", label=labels[n + 1]),),
        disjoint=disjoint_groups(draw, [c.id for c in conditions]),
    )


def disjoint_groups(draw, ids: list[str]) -> tuple[DisjointGroup, ...]:
    """Groups of two or three with no member in common (a pair inside a larger group with
    the same reason is the same set of RDF triples, so it cannot survive a round trip)."""
    order = draw(st.permutations(ids))
    sizes = draw(st.lists(st.integers(2, 3), max_size=2))
    groups, start = [], 0
    for size in sizes:
        members = order[start : start + size]
        if len(members) == size:
            groups.append(DisjointGroup(tuple(sorted(members)), draw(words)))
        start += size
    return tuple(groups)


@settings(max_examples=40, deadline=None)
@given(ontologies(), st.sampled_from(FORMATS))
def test_generated_ontologies_round_trip(onto, fmt) -> None:
    canonical = dumps(onto)
    back, findings = import_rdf(export(onto, fmt), fmt)
    assert findings == []
    assert dumps(back) == canonical


def test_dataclass_replace_keeps_round_trip(tiny) -> None:
    renamed = dataclasses.replace(tiny, title='Renamed "quoted" title')
    back, _ = import_rdf(export(renamed, "owl"), "owl")
    assert back.title == renamed.title


# -- obsolete terms and definition sources (issue #13 point 4) ----------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_obsolete_terms_and_definition_sources_round_trip(rich, fmt) -> None:
    back, findings = import_rdf(export(rich, fmt), fmt)
    assert findings == []
    assert dumps(back) == dumps(rich)
    gone = back.term(OBSOLETE)
    assert gone.obsolete and gone.replaced_by == ids.NAIL_DISEASE
    assert back.term(ids.PSORIASIS).definition_xrefs == (
        "ICD10CM:L40-L40.9",
        "PMID:123",
        "https://doi.org/10.1/x",
    )


def test_obsolete_and_definition_sources_as_obo_tools_write_them(rich) -> None:
    from rdflib import OWL, XSD, Literal, URIRef

    g = to_graph(rich)
    oio = "http://www.geneontology.org/formats/oboInOwl#"
    obo = "http://purl.obolibrary.org/obo/"
    nail = URIRef(rich.expand(OBSOLETE))
    assert (nail, OWL.deprecated, Literal("true", datatype=XSD.boolean)) in g
    replacement = URIRef(rich.expand(ids.NAIL_DISEASE))
    assert (nail, URIRef(obo + "IAO_0100001"), replacement) in g
    assert set(g.objects(nail, URIRef(oio + "consider"))) == {
        Literal(ids.PSORIASIS, datatype=XSD.string),
        Literal("HP:0001597", datatype=XSD.string),
    }
    psoriasis = URIRef(rich.expand(ids.PSORIASIS))
    axioms = [
        a
        for a in g.subjects(OWL.annotatedSource, psoriasis)
        if g.value(a, OWL.annotatedProperty) == URIRef(obo + "IAO_0000115")
    ]
    assert len(axioms) == 1
    assert set(g.objects(axioms[0], URIRef(oio + "hasDbXref"))) == {
        Literal("PMID:123"),
        Literal("ICD10CM:L40-L40.9"),
        Literal("https://doi.org/10.1/x"),
    }


# -- other tools read the exports (issue #13 point 1) --------------------------------------
def _pronto(path):
    import pronto
    from pronto.utils.warnings import NotImplementedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # pronto does not implement plain annotation property declarations (ours, OBO's)
        warnings.simplefilter("ignore", NotImplementedWarning)
        # nor reasons annotated on owl:disjointWith axioms (valid OWL, as the OWL API writes)
        warnings.filterwarnings("ignore", message=r"unknown axiom property: '.*#disjointWith'")
        return pronto.Ontology(str(path), encoding="utf-8")


def test_pronto_reads_the_rdfxml(derm1m, rich, tmp_path) -> None:
    path = tmp_path / "derm1m.owl"
    path.write_bytes(export(derm1m, "owl"))
    onto = _pronto(path)
    terms = {t.id: t for t in onto.terms()}
    assert set(terms) == {t.id for t in derm1m.terms()}
    for term in derm1m.terms():
        read = terms[term.id]
        assert read.name == term.label
        assert {p.id for p in read.superclasses(distance=1, with_self=False)} == set(term.parents)
        assert len(read.synonyms) == len(term.synonyms)
        assert {x.id for x in read.xrefs} == set(term.xrefs)
    assert {s.id for s in onto.metadata.synonymtypedefs} == {"OMO:0003000"}
    rich_path = tmp_path / "rich.owl"
    rich_path.write_bytes(export(rich, "owl"))
    gone = _pronto(rich_path)[OBSOLETE]
    assert gone.obsolete and {t.id for t in gone.replaced_by} == {ids.NAIL_DISEASE}
    assert {x.id for x in _pronto(rich_path)[ids.PSORIASIS].definition.xrefs} == {
        "PMID:123",
        "ICD10CM:L40-L40.9",
        "https://doi.org/10.1/x",
    }


def test_curies_resolves_dermonto_from_the_files_themselves(rich, tmp_path) -> None:
    import curies

    context = tmp_path / "rich.context.jsonld"
    context.write_bytes(export(rich, "context"))
    ttl = tmp_path / "rich.ttl"
    ttl.write_bytes(export(rich, "ttl"))
    jsonld = tmp_path / "rich.jsonld"
    jsonld.write_bytes(export(rich, "jsonld"))
    converters = [
        curies.load_jsonld_context(str(context)),
        curies.load_jsonld_context(str(jsonld)),
        curies.load_shacl(str(ttl), format="turtle"),
    ]
    for converter in converters:
        for term in rich.terms():
            iri = rich.expand(term.id)
            assert converter.expand(term.id) == iri
            assert converter.compress(iri) == term.id
    assert prefix_context(rich) == json.loads(context.read_bytes())


def test_horned_owl_save_round_trips_everything(rich) -> None:
    import pyhornedowl

    saved = pyhornedowl.open_ontology_from_string(export(rich, "owl").decode(), "owl")
    back, findings = import_rdf(saved.save_to_string("owl").encode(), "owl")
    assert findings == []
    assert dumps(back) == dumps(rich)


def test_functional_syntax_round_trips_and_declares_every_prefix(rich, runner, tmp_path) -> None:
    """OAK's reader for .ofn (``runoak -i x.ofn ...``) takes CURIE prefixes from these
    declarations; horned-owl writes and reads the file."""
    path = tmp_path / "rich.ofn"
    source = tmp_path / "rich.json"
    source.write_bytes(dumps(rich))
    assert runner.invoke(main, ["export", str(source), "-o", str(path)]).exit_code == 0
    text = path.read_text()
    for prefix, namespace in rich.prefixes.items():
        assert f"Prefix({prefix}:=<{namespace}>)" in text
    back = tmp_path / "back.json"
    result = runner.invoke(main, ["import", "rdf", str(path), "-o", str(back)])
    assert result.exit_code == 0, result.output
    assert back.read_bytes() == dumps(rich)


# -- OWL that derm-onto did not write (issue #13 point 3) ----------------------------------
PROTEGE_STYLE = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
    <!ENTITY owl "http://www.w3.org/2002/07/owl#" >
    <!ENTITY obo "http://purl.obolibrary.org/obo/" >
    <!ENTITY rdfs "http://www.w3.org/2000/01/rdf-schema#" >
]>
<rdf:RDF xmlns="http://purl.obolibrary.org/obo/demo.owl#"
     xml:base="http://purl.obolibrary.org/obo/demo.owl"
     xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     xmlns:owl="http://www.w3.org/2002/07/owl#"
     xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
     xmlns:obo="http://purl.obolibrary.org/obo/"
     xmlns:oboInOwl="http://www.geneontology.org/formats/oboInOwl#">
    <owl:Ontology rdf:about="http://purl.obolibrary.org/obo/demo.owl"/>
    <owl:ObjectProperty rdf:about="&obo;RO_0002200"/>
    <owl:Class rdf:about="&obo;DEMO_0000001">
        <rdfs:subClassOf rdf:resource="&owl;Thing"/>
        <rdfs:label xml:lang="en">disease</rdfs:label>
    </owl:Class>
    <owl:Class rdf:about="&obo;DEMO_0000002">
        <rdfs:subClassOf rdf:resource="&obo;DEMO_0000001"/>
        <obo:IAO_0000115>A disease of the skin.</obo:IAO_0000115>
        <oboInOwl:hasDbXref>ICD10CM:L00-L99</oboInOwl:hasDbXref>
        <oboInOwl:hasExactSynonym>dermatosis</oboInOwl:hasExactSynonym>
        <rdfs:label xml:lang="en">skin disease</rdfs:label>
    </owl:Class>
    <owl:Axiom>
        <owl:annotatedSource rdf:resource="&obo;DEMO_0000002"/>
        <owl:annotatedProperty rdf:resource="&obo;IAO_0000115"/>
        <owl:annotatedTarget>A disease of the skin.</owl:annotatedTarget>
        <oboInOwl:hasDbXref>PMID:123</oboInOwl:hasDbXref>
    </owl:Axiom>
    <owl:Class rdf:about="&obo;DEMO_0000003">
        <rdfs:subClassOf rdf:resource="&obo;DEMO_0000002"/>
        <rdfs:subClassOf>
            <owl:Restriction>
                <owl:onProperty rdf:resource="&obo;RO_0002200"/>
                <owl:someValuesFrom rdf:resource="&obo;HP_0000001"/>
            </owl:Restriction>
        </rdfs:subClassOf>
        <owl:disjointWith rdf:resource="&obo;DEMO_0000006"/>
        <rdfs:label>acne</rdfs:label>
    </owl:Class>
    <owl:Class rdf:about="&obo;DEMO_0000004">
        <rdfs:subClassOf rdf:resource="&obo;DEMO_0000002"/>
        <rdfs:subClassOf rdf:resource="&obo;MONDO_0000001"/>
        <rdfs:label>psoriasis</rdfs:label>
    </owl:Class>
    <owl:Class rdf:about="&obo;DEMO_0000005">
        <rdfs:subClassOf rdf:resource="&obo;DEMO_0000002"/>
        <rdfs:label>eczema</rdfs:label>
    </owl:Class>
    <owl:Class rdf:about="&obo;DEMO_0000006">
        <rdfs:subClassOf rdf:resource="&obo;DEMO_0000002"/>
        <rdfs:label>vitiligo</rdfs:label>
    </owl:Class>
    <owl:Class rdf:about="&obo;DEMO_0000007">
        <owl:deprecated rdf:datatype="http://www.w3.org/2001/XMLSchema#boolean">true</owl:deprecated>
        <obo:IAO_0100001 rdf:resource="&obo;DEMO_0000005"/>
        <rdfs:label>obsolete eczema</rdfs:label>
    </owl:Class>
    <rdf:Description>
        <rdf:type rdf:resource="&owl;AllDisjointClasses"/>
        <owl:members rdf:parseType="Collection">
            <rdf:Description rdf:about="&obo;DEMO_0000004"/>
            <rdf:Description rdf:about="&obo;DEMO_0000005"/>
            <rdf:Description rdf:about="&obo;DEMO_0000006"/>
        </owl:members>
    </rdf:Description>
</rdf:RDF>
"""


def test_foreign_owl_imports_with_drops_counted(runner, tmp_path) -> None:
    source = tmp_path / "demo.owl"
    source.write_text(PROTEGE_STYLE)
    out = tmp_path / "demo.json"
    result = runner.invoke(main, ["import", "rdf", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    onto = load(out)
    assert [c.label for c in onto.conditions] == [
        "disease",
        "skin disease",
        "acne",
        "psoriasis",
        "eczema",
        "vitiligo",
        "obsolete eczema",
    ]
    assert onto.prefixes["DEMO"] == "http://purl.obolibrary.org/obo/DEMO_"
    skin = onto.term("DEMO:0000002")
    assert skin.xrefs == ("ICD10CM:L00-L99",) and skin.definition_xrefs == ("PMID:123",)
    assert onto.term("DEMO:0000004").parents == ("DEMO:0000002",)
    assert onto.term("DEMO:0000007").replaced_by == "DEMO:0000005"
    assert sorted(g.classes for g in onto.disjoint) == [
        ("DEMO:0000003", "DEMO:0000006"),
        ("DEMO:0000004", "DEMO:0000005", "DEMO:0000006"),
    ]
    assert "1 dropped: restrictions on http://purl.obolibrary.org/obo/RO_0002200" in result.output
    assert "1 dropped: parents that are not classes of this file" in result.output
    assert {g.reason for g in onto.disjoint} == {"asserted disjoint in the imported ontology"}
    assert "7 conditions, 0 concepts, 0 findings; 2 items dropped" in result.output


def test_foreign_owl_kind_rule(runner, tmp_path) -> None:
    source = tmp_path / "demo.owl"
    source.write_text(PROTEGE_STYLE)
    out = tmp_path / "demo.json"
    result = runner.invoke(
        main, ["import", "rdf", str(source), "-o", str(out), "--kind", "findings"]
    )
    assert result.exit_code == 0, result.output
    assert len(load(out).findings) == 7 and load(out).conditions == ()


def test_issue13_owl_with_nothing_usable_is_an_error_not_zero_conditions(runner, tmp_path):
    source = tmp_path / "empty.owl"
    body = PROTEGE_STYLE.split("<owl:ObjectProperty")[0] + "</rdf:RDF>\n"
    source.write_text(body.replace('"&obo;DEMO_', '"http://example.org/x'))
    result = runner.invoke(main, ["import", "rdf", str(source), "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 1
    assert "no classes could be imported" in result.output
    assert not (tmp_path / "o.json").exists()


# -- hostile and broken input (issue #10) --------------------------------------------------
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 7)
    )
    + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:owl="http://www.w3.org/2002/07/owl#" '
    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
    '<owl:Ontology rdf:about="http://e.org/x.owl"><rdfs:label>&lol6;</rdfs:label>'
    "</owl:Ontology>\n</rdf:RDF>\n"
)


def test_issue10_billion_laughs_fails_fast(runner, tmp_path) -> None:
    source = tmp_path / "bomb.owl"
    source.write_text(BILLION_LAUGHS)
    result = runner.invoke(main, ["import", "rdf", str(source), "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "refers to other entities" in result.output and "Traceback" not in result.output
    with pytest.raises(UnsafeInputError):
        import_rdf(BILLION_LAUGHS.encode(), "owl")


def test_issue10_external_entity_is_refused() -> None:
    xxe = BILLION_LAUGHS.replace('<!ENTITY lol "lol">', '<!ENTITY lol SYSTEM "file:///etc/passwd">')
    with pytest.raises(UnsafeInputError, match="external entity 'lol'"):
        import_rdf(xxe.encode(), "owl", "x.owl")


def _with_literal(tiny, size: int):
    return dataclasses.replace(tiny, description="x" * size)


@pytest.mark.parametrize("fmt", FORMATS)
def test_issue10_huge_literal_fails_fast(tiny, fmt, runner, tmp_path) -> None:
    data = export(_with_literal(tiny, 30_000_000), fmt)
    with pytest.raises(UnsafeInputError, match="over the limit of 10000000 bytes"):
        import_rdf(data, fmt, "big")
    small = export(_with_literal(tiny, 2_000), fmt)
    with pytest.raises(UnsafeInputError, match="over the limit of 1000 bytes"):
        import_rdf(small, fmt, "small", ReadOptions(max_literal_bytes=1000))
    path = tmp_path / f"small.{fmt}"
    path.write_bytes(small)
    out = tmp_path / "o.json"
    args = ["import", "rdf", str(path), "-o", str(out), "--max-literal-bytes", "1000"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert runner.invoke(main, [*args[:5]]).exit_code == 0


def test_issue10_file_size_limit(runner, tiny_path, tmp_path) -> None:
    path = tmp_path / "t.ttl"
    path.write_bytes(export(load(tiny_path), "ttl"))
    args = ["import", "rdf", str(path), "-o", str(tmp_path / "o.json"), "--max-bytes", "100"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert f"{path}: refused: {path.stat().st_size} bytes is over the limit of 100" in result.output


def test_issue10_jsonld_remote_context_is_refused_without_network(monkeypatch) -> None:
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the importer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    for context in ('"http://127.0.0.1:9/context.jsonld"', '[{"@import": "http://127.0.0.1:9/c"}]'):
        data = f'{{"@context": {context}, "@id": "http://e.org/x", "name": "x"}}'.encode()
        with pytest.raises(UnsafeInputError, match="remote JSON-LD"):
            import_rdf(data, "jsonld", "x.jsonld")


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("hair \ud800 disease", "U+D800 (a lone surrogate)"),
        ("hair \x00 disease", "U+0000 (NUL)"),
        ("hair \x1b disease", "U+001B (a control character)"),
    ],
)
@pytest.mark.parametrize("fmt", [*FORMATS, "context"])
def test_issue10_export_refuses_text_rdf_cannot_carry(tiny, text, what, fmt) -> None:
    bad = dataclasses.replace(
        tiny,
        conditions=tuple(
            dataclasses.replace(c, label=text) if c.id == ids.BCC else c for c in tiny.conditions
        ),
    )
    if fmt == "context":  # the prefix map holds no labels: nothing to refuse
        assert json.loads(export(bad, fmt))
        return
    expected = f"conditions/{ids.BCC}/label: .*{re.escape(what)}"
    with pytest.raises(InvalidCharacterError, match=expected):
        export(bad, fmt)


def test_issue10_export_of_bad_text_is_one_line(runner, tiny_doc, write_json, tmp_path) -> None:
    tiny_doc["conditions"][0]["label"] = "hair \x00 disease"
    path = write_json(tiny_doc)
    out = tmp_path / "x.owl"
    result = runner.invoke(main, ["export", str(path), "-o", str(out)])
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert "derm-onto: error:" in result.output and not out.exists()


def test_issue10_external_dtd_is_never_fetched(tiny, monkeypatch) -> None:
    import socket
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("the importer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    data = export(tiny, "owl").replace(
        b"<rdf:RDF", b'<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/x.dtd">\n<rdf:RDF', 1
    )
    back, findings = import_rdf(data, "owl", "x.owl")
    assert findings == [] and dumps(back) == dumps(tiny)


def test_issue10_unsupported_import_format_is_one_line_exit_2(runner, tmp_path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("not rdf")
    result = runner.invoke(main, ["import", "rdf", str(source), "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"could not find a serializer to handle '{source}'" in result.output
    # the prefix map can be exported but not imported: it is not offered as readable
    listed = result.output.split("(formats: ")[1].split(")")[0].split(", ")
    assert {"jsonld", "nt", "ofn", "owl", "ttl"} <= set(listed) and "context" not in listed


def test_registry_loads_a_plugin_by_module_and_function(monkeypatch) -> None:
    """How another module's formats plug in: ``"module:function"`` in PLUGIN_MODULES."""
    import types

    from derm_onto import formats

    calls = []

    def register_formats() -> None:
        calls.append(1)
        formats.register(
            formats.Serializer("plug", (".plug",), "a plugged format", lambda o: b"plug\n"),
            replace=True,
        )

    plugin = types.ModuleType("derm_onto_test_plugin")
    plugin.register_formats = register_formats
    monkeypatch.setitem(sys.modules, "derm_onto_test_plugin", plugin)
    monkeypatch.setattr(
        formats, "PLUGIN_MODULES", [*formats.PLUGIN_MODULES, f"{plugin.__name__}:register_formats"]
    )
    monkeypatch.setattr(formats, "_REGISTRY", dict(formats._REGISTRY))
    monkeypatch.setattr(formats, "_loaded", list(formats._loaded))
    assert formats.find("x.plug").write(load(bundled_ontology_path("starter.json"))) == b"plug\n"
    assert "plug" in formats.names() and calls == [1]
    with pytest.raises(ValueError, match="already registered"):
        formats.register(formats.Serializer("plug", (".p2",), "another", lambda o: b""))


def test_owlready2_save_round_trips_everything(rich, tmp_path) -> None:
    """Another OWL tool's RDF/XML save (owlready2's writer; the OWL API needs Java) reads
    back: disjointness, axiom annotations and obsolete terms included. owlready2 strips the
    trailing ``/`` of IRI values, which is the one difference (the license IRI)."""
    import owlready2

    path = tmp_path / "rich.owl"
    path.write_bytes(export(rich, "owl"))
    world = owlready2.World()
    saved = tmp_path / "saved.owl"
    world.get_ontology(path.as_uri()).load().save(file=str(saved), format="rdfxml")
    world.close()
    back, findings = import_rdf(saved.read_bytes(), "owl")
    assert findings == []
    assert back.license == rich.license.rstrip("/")
    assert dumps(dataclasses.replace(back, license=rich.license)) == dumps(rich)
