"""A Protege-style save: the OWL API (the library Protege and ROBOT are built on) loads our
RDF/XML and saves it again, and `import rdf` reads that file back into the identical JSON,
disjointness groups included. The OWL API runs in a JVM through JPype, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, require, with_observed

OWLAPI_JARS = Path("/usr/share/java")
SAVE = """
import glob, sys
import jpype, jpype.imports
jpype.startJVM(classpath=sorted(glob.glob(sys.argv[3] + "/*.jar")), convertStrings=True)
from java.io import File
from org.semanticweb.owlapi.apibinding import OWLManager
from org.semanticweb.owlapi.formats import RDFXMLDocumentFormat
from org.semanticweb.owlapi.model import IRI
manager = OWLManager.createOWLOntologyManager()
ontology = manager.loadOntologyFromOntologyDocument(File(sys.argv[1]))
manager.saveOntology(ontology, RDFXMLDocumentFormat(), IRI.create(File(sys.argv[2])))
print(ontology.getClassesInSignature().size(), ontology.getAxiomCount())
"""


def _run(script: str, *args: str) -> str:
    """Run a JPype script in a fresh interpreter (one JVM per process); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _owlapi() -> None:
    require("jpype")
    if not list(OWLAPI_JARS.glob("owlapi-distribution*.jar")):
        message = "the OWL API is not installed (apt-get install libowlapi-java)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: .ci/install installs it)")
        pytest.skip(message)


@pytest.mark.slow
def test_issue13_owlapi_save_round_trips(runner, tmp_path: Path) -> None:
    from derm_onto.cli import main

    _owlapi()
    exported, saved, back = tmp_path / "d.owl", tmp_path / "protege.owl", tmp_path / "back.json"
    assert runner.invoke(main, ["export", "-o", str(exported)]).exit_code == 0
    stdout = _run(SAVE, str(exported), str(saved), str(OWLAPI_JARS))
    classes, axioms = map(int, stdout.split()[-2:])
    assert classes > 700 and axioms > 7000
    assert saved.read_bytes() != exported.read_bytes()  # the OWL API wrote its own file
    result = runner.invoke(main, ["import", "rdf", str(saved), "-o", str(back)])
    assert result.exit_code == 0, result.output
    original = json.loads((ROOT / "ontology" / "derm1m.json").read_text(encoding="utf-8"))
    assert json.loads(back.read_text(encoding="utf-8")) == original
    assert len(original["disjoint"]) > 1


AXIOMS = """
import glob, json, sys
import jpype, jpype.imports
jpype.startJVM(classpath=sorted(glob.glob(sys.argv[3] + "/*.jar")), convertStrings=True)
from java.io import File
from org.semanticweb.owlapi.apibinding import OWLManager
from org.semanticweb.owlapi.formats import RDFXMLDocumentFormat
from org.semanticweb.owlapi.model import AxiomType, IRI
manager = OWLManager.createOWLOntologyManager()
ontology = manager.loadOntologyFromOntologyDocument(File(sys.argv[1]))
prop = IRI.create(sys.argv[4])
found = {"annotations": [], "subclass": [], "declared": []}
for axiom in ontology.getAxioms(AxiomType.ANNOTATION_ASSERTION):
    if axiom.getProperty().getIRI().equals(prop):
        value = axiom.getValue()
        found["annotations"].append([str(axiom.getSubject()), str(value), bool(value.isIRI())])
for axiom in ontology.getAxioms(AxiomType.SUBCLASS_OF):
    found["subclass"].append([str(axiom.getSubClass()), str(axiom.getSuperClass())])
for p in ontology.getAnnotationPropertiesInSignature():
    found["declared"].append(str(p.getIRI()))
manager.saveOntology(ontology, RDFXMLDocumentFormat(), IRI.create(File(sys.argv[2])))
print(json.dumps(found))
"""


def test_owlapi_sees_observed_concepts_as_annotation_assertions(tiny, tmp_path: Path) -> None:
    """The OWL API (Protege's and ROBOT's library) reads each observed concept as an
    AnnotationAssertion axiom with the concept's IRI as value, never in a SubClassOf axiom;
    its save reads back into the same JSON."""

    from derm_onto.jsonio import dumps
    from derm_onto.rdf import export, import_rdf

    from . import ids

    _owlapi()
    observed = {ids.MELANOMA: (ids.PAPULE,), ids.NEVUS: (ids.PAPULE, ids.SCALE)}
    onto = with_observed(tiny, observed)
    exported, saved = tmp_path / "t.owl", tmp_path / "saved.owl"
    exported.write_bytes(export(onto, "owl"))
    prop = onto.base_iri + "has_observed_feature"
    stdout = _run(AXIOMS, str(exported), str(saved), str(OWLAPI_JARS), prop)
    found = json.loads(stdout.splitlines()[-1])
    assert prop in found["declared"]
    assert sorted(found["annotations"]) == sorted(
        [onto.expand(c), onto.expand(x), True] for c, xs in observed.items() for x in xs
    )
    typical = {(c.id, x) for c in onto.conditions for x in (*c.concepts, *c.findings)}
    restrictions = [s for s in found["subclass"] if "ObjectSomeValuesFrom" in s[1]]
    assert len(restrictions) == len(typical) > 0
    assert not any(prop in sup for _, sup in found["subclass"])
    back, findings = import_rdf(saved.read_bytes(), "owl")
    assert findings == []
    assert dumps(back) == dumps(onto)


EVIDENCE = """
import glob, json, sys
import jpype, jpype.imports
jpype.startJVM(classpath=sorted(glob.glob(sys.argv[2] + "/*.jar")), convertStrings=True)
from java.io import File
from org.semanticweb.owlapi.apibinding import OWLManager
from org.semanticweb.owlapi.model import AxiomType, IRI
manager = OWLManager.createOWLOntologyManager()
ontology = manager.loadOntologyFromOntologyDocument(File(sys.argv[1]))
observed, n_images = IRI.create(sys.argv[3]), IRI.create(sys.argv[4])
def counts(axiom):
    return [int(str(a.getValue().getLiteral())) for a in axiom.getAnnotations()
            if a.getProperty().getIRI().equals(n_images)]
found = {"observed": [], "typical": []}
for axiom in ontology.getAxioms(AxiomType.ANNOTATION_ASSERTION):
    if axiom.getProperty().getIRI().equals(observed) and counts(axiom):
        found["observed"].append([str(axiom.getSubject()), str(axiom.getValue())])
for axiom in ontology.getAxioms(AxiomType.SUBCLASS_OF):
    if counts(axiom):
        found["typical"].append(str(axiom.getSubClass()))
print(json.dumps(found))
"""


@pytest.mark.slow
def test_owlapi_reads_the_evidence_of_both_relations(runner, tmp_path: Path) -> None:
    """`export --evidence` as RDF/XML: the OWL API reads each source column's evidence as an
    annotation of the axiom it supports, a SubClassOf axiom for a typical link and an
    AnnotationAssertion for an observed one, for every link the check finds data for."""
    from derm_onto.associations import evidence
    from derm_onto.cli import main
    from derm_onto.jsonio import load
    from derm_onto.resources import bundled_ontology_path

    _owlapi()
    onto = load(bundled_ontology_path())
    out = tmp_path / "evidence.owl"
    bundled = str(evidence.default_path())
    assert runner.invoke(main, ["export", "--evidence", bundled, "-o", str(out)]).exit_code == 0
    prop = onto.base_iri + "has_observed_feature"
    ev_n = "https://w3id.org/derm-onto/evidence#n_images"
    stdout = _run(EVIDENCE, str(out), str(OWLAPI_JARS), prop, ev_n)
    found = json.loads(stdout.splitlines()[-1])
    report = evidence.check(onto, evidence.read(evidence.default_path()))
    with_data = [x for x in report.links if x.status != "no_data"]
    observed = {
        (onto.expand(x.condition), onto.expand(x.feature))
        for x in with_data
        if x.relation == "observed"
    }
    assert {tuple(i.strip("<>") for i in pair) for pair in found["observed"]} == observed
    assert len(observed) == len(evidence.observed_links(onto)) > 0
    typical = {onto.expand(x.condition) for x in with_data if x.relation == "typical"}
    assert {i.strip("<>") for i in found["typical"]} == typical
