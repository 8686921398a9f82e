from __future__ import annotations

import dataclasses
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.cli import main
from derm_onto.errors import DermOntoError
from derm_onto.jsonio import dumps, load
from derm_onto.model import (
    Concept,
    ConceptCategory,
    Condition,
    Finding,
    Ontology,
    Synonym,
    SynonymType,
)
from derm_onto.rdf import export, import_rdf, parse, rdf_format, to_graph
from derm_onto.resources import bundled_ontology_path

from . import ids

FORMATS = ["ttl", "owl", "nt", "jsonld"]


@pytest.fixture(scope="module")
def derm1m() -> Ontology:
    return load(bundled_ontology_path())


@pytest.mark.parametrize("fmt", FORMATS)
def test_curated_ontology_round_trips_byte_for_byte(derm1m, fmt) -> None:
    back, findings = import_rdf(export(derm1m, fmt), fmt)
    assert findings == []
    assert dumps(back) == bundled_ontology_path().read_bytes()


def test_all_formats_carry_the_same_triples(derm1m) -> None:
    from rdflib.compare import isomorphic

    graphs = [parse(export(derm1m, fmt), fmt) for fmt in FORMATS]
    assert len({len(g) for g in graphs}) == 1
    for other in graphs[1:]:
        assert isomorphic(graphs[0], other)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_deterministic_across_processes(fmt, tmp_path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"{seed}.{fmt}"
        subprocess.run(
            [sys.executable, "-m", "derm_onto", "export", "--format", fmt, "-o", str(out)],
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


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
    assert len(list(g.subjects(RDF.type, OWL.AllDisjointClasses))) == 1


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
            lambda t: t.replace("rdfs:subClassOf tiny:0000007", "rdfs:subClassOf tiny:0000404"),
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


@st.composite
def ontologies(draw) -> Ontology:
    n = draw(st.integers(1, 8))
    labels = draw(st.lists(words, min_size=n + 2, max_size=n + 2, unique_by=lambda s: s.casefold()))
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
        conditions.append(
            Condition(
                id=f"GEN:{i:03d}",
                label=labels[i],
                parents=parents,
                synonyms=synonyms,
                definition=draw(st.none() | words),
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
                concepts=("GEN:900",) if draw(st.booleans()) else (),
                findings=("GEN:950",) if draw(st.booleans()) else (),
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
        concepts=(Concept(id="GEN:900", label=labels[n], category=ConceptCategory.COLOUR),),
        findings=(Finding(id="GEN:950", label=labels[n + 1]),),
    )


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
