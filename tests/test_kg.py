"""The dataset knowledge graph (issue #15): SPARQL counts equal `labels` counts, the store
and the files agree, the vectorised writer equals a per-row rdflib reference."""

from __future__ import annotations

import csv
import json
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derm_onto import hierarchy
from derm_onto.cli import main
from derm_onto.errors import DermOntoError
from derm_onto.jsonio import load
from derm_onto.kg import (
    KgOptions,
    Vocabulary,
    bind_query,
    build,
    dataset_queries,
    load_store,
    run_endpoint,
    run_store,
)
from derm_onto.labels import LabelOptions, LabelPlan, label_table
from derm_onto.matching import Matcher
from derm_onto.resources import bundled_ontology_path
from derm_onto.sparql import Endpoint

from . import ids
from .conftest import TINY, shared_file

FIELDS = [
    "filename",
    "disease_label",
    "skin_concept",
    "body_location",
    "symptoms",
    "source",
    "age",
    "gender",
    "fitzpatrick_scale",
    "split",
    "caption",
]


def row(key: str, label: str, **extra: str) -> dict[str, str]:
    base = dict.fromkeys(FIELDS, "")
    base.update(filename=key, disease_label=label, source="clinic", split="train")
    base.update(extra)
    return base


SYNTHETIC = [
    row("a.jpg", "psoriasis", skin_concept="papule, scaling", body_location="face", age="41"),
    row("b.jpg", "guttate psoriasis", symptoms="itch", gender="F", fitzpatrick_scale="3"),
    row("c.jpg", "melanoma, psoriasis", skin_concept="pigment network", fitzpatrick_scale="V"),
    row("d.jpg", "no definitive diagnosis", age="No age information", fitzpatrick_scale="-1"),
    row("e.jpg", "BCC", source="web", split="test", caption='say "hi"\nline two \\ end'),
    row("f g/é.jpg", "mole", body_location="face", age="7.5"),
    row("h.jpg", "psoriatic nail dystrophy", skin_concept="scale"),
    row("i.jpg", "unlisted thing, nevus", skin_concept="glitter"),
    row("j.jpg", "", gender="unknown"),
    row("k.jpg", "melanoma", skin_concept="pigment network", body_location="face"),
]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def tiny_onto() -> Any:
    return load(TINY)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return write_csv(tmp_path_factory.mktemp("kg") / "synthetic.csv", SYNTHETIC)


@pytest.fixture(scope="module")
def tiny_kg(tmp_path_factory, tiny_onto, synthetic) -> tuple[Path, Path, Any]:
    folder = tmp_path_factory.mktemp("tinykg")
    out = folder / "graph.nt"
    report = build(tiny_onto, [synthetic], out, KgOptions(materialise_levels=(1, 2, 3, 4)))
    store = folder / "store"
    load_store(tiny_onto, out, store)
    return out, store, report


def labels_counts(onto: Any, table: Path, tmp: Path, level: int) -> Counter[str]:
    """Rows per class label at a level, from the `labels` output (multi-class rows count
    under each of their classes)."""
    out = tmp / f"labels_{level}.csv"
    label_table(
        onto, table, out, LabelOptions(column="disease_label", levels=(level,), prefix="onto_")
    )
    with out.open(newline="", encoding="utf-8") as handle:
        counts: Counter[str] = Counter()
        for r in csv.DictReader(handle):
            for name in set(filter(None, r[f"onto_level_{level}"].split("|"))):
                counts[name] += 1
    return counts


def sparql_counts(onto: Any, store: Path, name: str, level: int) -> Counter[str]:
    result = run_store(onto, store, name, {"level": str(level)})
    return Counter({r["label"]: int(r["images"]) for r in result.as_dicts()})


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_sparql_counts_per_level_equal_labels_counts(
    tiny_onto, synthetic, tiny_kg, tmp_path, level
):
    _, store, _ = tiny_kg
    expected = labels_counts(tiny_onto, synthetic, tmp_path, level)
    assert expected  # the table does reach every level
    assert sparql_counts(tiny_onto, store, "images-per-class-at-level", level) == expected
    materialised = sparql_counts(tiny_onto, store, "images-per-class-at-level-materialised", level)
    assert materialised == expected


def test_derm1m_sample_counts_equal_labels_counts(tmp_path):
    onto = load(bundled_ontology_path())
    table = shared_file("derm1m/pretrain_sample_100.csv")
    out = tmp_path / "sample.nt"
    report = build(onto, [table], out, KgOptions(caption=True))
    assert report.rows == 100
    load_store(onto, out, tmp_path / "store")
    for level in (1, 2, 3, 4):
        expected = labels_counts(onto, table, tmp_path, level)
        got = sparql_counts(onto, tmp_path / "store", "images-per-class-at-level", level)
        assert got == expected, level


def test_multi_label_row_appears_under_each_class(tiny_onto, tiny_kg):
    _, store, _ = tiny_kg
    for term in (ids.MELANOMA, ids.PSORIASIS):
        found = run_store(tiny_onto, store, "images-matching-term", {"term": term})
        images = {r["image"].rsplit("/", 1)[1] for r in found.as_dicts()}
        assert "c.jpg" in images, term
    by_level_1 = sparql_counts(tiny_onto, store, "images-per-class-at-level", 1)
    assert by_level_1["skin disease"] >= 1 and by_level_1["neoplasm"] >= 1


def test_roll_up_through_subclass_paths(tiny_onto, synthetic, tiny_kg):
    """images-under-class counts, per direct subclass, the rows with an id under it
    (every parent, not only the primary path)."""
    _, store, _ = tiny_kg
    plan = LabelPlan(tiny_onto)
    rows = SYNTHETIC
    for term in (ids.NEOPLASM, ids.INFLAMMATORY, ids.PSORIASIS, ids.NAIL_DISEASE):
        expected = {}
        for child in hierarchy.children(plan.graph, term):
            under = set(hierarchy.descendants(plan.graph, child, reflexive=True))
            n = sum(1 for r in rows if under & set(plan.resolve(r["disease_label"]).ids))
            if n:
                expected[plan.label(child)] = n
        found = run_store(tiny_onto, store, "images-under-class", {"term": term})
        assert {r["label"]: int(r["images"]) for r in found.as_dicts()} == expected, term


def test_concept_site_and_class_queries(tiny_onto, tiny_kg):
    _, store, _ = tiny_kg
    found = run_store(
        tiny_onto,
        store,
        "images-of-class-with-concept-at-site",
        {"class": "malignant", "concept": "pigment network", "site": "face"},
    )
    assert found.rows == [("1",)]  # k.jpg; c.jpg has no site
    with_concept = run_store(
        tiny_onto, store, "images-of-class-with-concept", {"class": "neoplasm", "feature": "face"}
    )
    assert {r["image"].rsplit("/", 1)[1] for r in with_concept.as_dicts()} == {
        "%C3%A9.jpg",
        "k.jpg",
    }
    pairs = run_store(tiny_onto, store, "concept-site-cooccurrence", {"class": "skin disease"})
    assert [(r["concept_label"], r["site_label"], r["images"]) for r in pairs.as_dicts()] == [
        ("papule", "face", "1"),
        ("scale", "face", "1"),
    ]


def test_source_and_fitzpatrick_counts(tiny_onto, tiny_kg):
    _, store, _ = tiny_kg
    sources = run_store(tiny_onto, store, "images-per-source", {})
    expected_sources = Counter(r["source"] for r in SYNTHETIC)
    assert {r["source"]: int(r["images"]) for r in sources.as_dicts()} == expected_sources
    types = run_store(tiny_onto, store, "images-per-fitzpatrick-type", {})
    assert {r["fitzpatrick_type"]: r["images"] for r in types.as_dicts()} == {"3": "1", "5": "1"}


def test_store_and_ntriples_agree(tiny_onto, tiny_kg):
    out, store_dir, report = tiny_kg
    from_file = {q.triple for q in ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES)}
    assert len(from_file) == report.triples  # no duplicate lines either
    store = ox.Store.read_only(str(store_dir))
    vocab = Vocabulary(tiny_onto, 4)
    in_store = {q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert in_store == from_file
    assert store.contains_named_graph(ox.NamedNode(vocab.ontology_graph))


def test_nq_and_ttl_hold_the_same_triples(tiny_onto, synthetic, tiny_kg, tmp_path):
    out, _, _ = tiny_kg
    nt = {q.triple for q in ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES)}
    build(tiny_onto, [synthetic], tmp_path / "g.ttl", KgOptions((), None, "ttl", (1, 2, 3, 4)))
    ttl = ox.parse(path=str(tmp_path / "g.ttl"), format=ox.RdfFormat.TURTLE)
    assert {q.triple for q in ttl} == nt
    build(tiny_onto, [synthetic], tmp_path / "g.nq", KgOptions((), None, "nq", (1, 2, 3, 4)))
    vocab = Vocabulary(tiny_onto, 4)
    quads = list(ox.parse(path=str(tmp_path / "g.nq"), format=ox.RdfFormat.N_QUADS))
    data = {q.triple for q in quads if q.graph_name == ox.NamedNode(vocab.data_graph)}
    assert data == nt
    assert any(q.graph_name == ox.NamedNode(vocab.ontology_graph) for q in quads)
    # rdflib accepts the files too
    import rdflib

    assert len(rdflib.Graph().parse(str(out), format="nt")) == len(nt)
    assert len(rdflib.Graph().parse(str(tmp_path / "g.ttl"), format="turtle")) == len(nt)


def test_output_is_deterministic(tiny_onto, synthetic, tmp_path):
    options = KgOptions(materialise_levels=(2,), caption=True)
    build(tiny_onto, [synthetic], tmp_path / "a.nt", options)
    build(tiny_onto, [synthetic], tmp_path / "b.nt", options)
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()


def test_report_counts_like_labels(tiny_onto, tiny_kg):
    _, _, report = tiny_kg
    assert report.labels.rows == len(SYNTHETIC)
    assert report.labels.sentinel_rows == 1 and report.labels.empty_rows == 1
    assert report.labels.unknown == Counter({"unlisted thing": 1})
    assert report.unknown_features == Counter({"concepts: glitter": 1})


# -- the vectorised writer against a per-row rdflib reference -----------------------------
def reference(onto: Any, rows: list[dict[str, str]], caption: bool) -> set[Any]:
    """Per row, the triples the model says it should give, built with rdflib terms."""
    from rdflib import RDF, XSD, Literal, URIRef

    from derm_onto.kg.build import _is_sentinel

    plan = LabelPlan(onto)
    vocab = Vocabulary(onto, 4)
    matchers = {k: Matcher(onto, k) for k in ("concepts", "findings")}
    out = set()
    for r in rows:
        s = URIRef(
            onto.base_iri + "image/" + urllib.parse.quote(r["filename"], safe="/:@!$&'()*+,;=._~-")
        )
        out.add((s, RDF.type, URIRef(vocab.image_class)))
        out.add((s, URIRef(vocab.identifier), Literal(r["filename"])))
        for i in plan.resolve(r["disease_label"]).ids:
            out.add((s, URIRef(vocab.has_diagnosis), URIRef(onto.expand(i))))
        for column, prop, kind in (
            ("skin_concept", vocab.shows_concept, "concepts"),
            ("body_location", vocab.body_site, "findings"),
            ("symptoms", vocab.symptom, "findings"),
        ):
            for m in matchers[kind].match_cell(r[column]):
                if m.matched:
                    out.add((s, URIRef(prop), URIRef(onto.expand(m.id))))
        for column, prop in (("source", vocab.source), ("split", vocab.split)):
            if not _is_sentinel(r[column]):
                out.add((s, URIRef(prop), Literal(r[column].strip())))
        if r["age"].strip().isdigit():
            out.add((s, URIRef(vocab.patient_age), Literal(int(r["age"]), datatype=XSD.integer)))
        if caption and r["caption"].strip():
            out.add((s, URIRef(vocab.caption), Literal(r["caption"])))
    return out


def as_rdflib(path: Path) -> set[Any]:
    import rdflib

    return set(rdflib.Graph().parse(str(path), format="nt"))


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=12,
)
LABELS = st.sampled_from(
    ["psoriasis", "BCC", "melanoma, mole", "no definitive diagnosis", "", "zzz", "nevus; scale"]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.lists(
        st.tuples(
            TEXT.filter(lambda k: k.strip() != ""),
            LABELS,
            st.sampled_from(
                ["papule", "scale, papule", "", "No visual concepts", "pigment network"]
            ),
            st.sampled_from(["face", "", "face, itch"]),
            st.sampled_from(["", "itch", "pruritus"]),
            st.sampled_from(["40", "", "No age information"]),
            TEXT,
            TEXT,
        ),
        min_size=1,
        max_size=30,
        unique_by=lambda t: t[0],
    )
)
def test_vectorised_writer_equals_per_row_reference(tiny_onto, tmp_path, data):
    rows = [
        dict(
            row(k, label, skin_concept=c, body_location=b, symptoms=sy, age=a, caption=cap),
            source=src,
        )
        for k, label, c, b, sy, a, src, cap in data
    ]
    table = write_csv(tmp_path / "h.csv", rows)
    out = tmp_path / "h.nt"
    build(tiny_onto, [table], out, KgOptions(caption=True))
    got = {t for t in as_rdflib(out) if "/image/" in str(t[0])}
    assert got == reference(tiny_onto, rows, caption=True)
    # Turtle (prefixed names, one block per row) holds the same triples
    build(tiny_onto, [table], tmp_path / "h.ttl", KgOptions(caption=True, format="ttl"))
    nt = {q.triple for q in ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES)}
    ttl = {q.triple for q in ox.parse(path=str(tmp_path / "h.ttl"), format=ox.RdfFormat.TURTLE)}
    assert ttl == nt


# -- CLI ---------------------------------------------------------------------------------
def test_cli_build_store_and_query(runner, tiny_path, synthetic, tmp_path):
    store = tmp_path / "store"
    result = runner.invoke(
        main,
        [
            "kg",
            "build",
            str(synthetic),
            "--ontology",
            str(tiny_path),
            "-o",
            str(tmp_path / "g.nt"),
            "--store",
            str(store),
            "--materialise-levels",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "unknown labels: 'unlisted thing' (1)" in result.stderr
    result = runner.invoke(
        main,
        [
            "query",
            "--store",
            str(store),
            "--ontology",
            str(tiny_path),
            "--format",
            "csv",
            "images-per-class-at-level",
            "--param",
            "level=2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "TINY:0000007,malignant,3" in result.stdout
    only_store = tmp_path / "only"  # --store without -o: the graph goes through a temp file
    args = ["kg", "build", str(synthetic), "--ontology", str(tiny_path), "--materialise-levels"]
    result = runner.invoke(main, [*args, "2", "--store", str(only_store)])
    assert result.exit_code == 0, result.output
    stored = ox.Store.read_only(str(only_store))
    data = {q.triple for q in stored.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    written = ox.parse(path=str(tmp_path / "g.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert data == {q.triple for q in written}
    assert runner.invoke(main, ["kg", "build", str(synthetic)]).exit_code == 2
    listed = runner.invoke(main, ["kg", "queries", "--format", "csv"])
    assert listed.exit_code == 0
    assert all(name in listed.stdout for name in dataset_queries())


def test_cli_errors_are_one_line(runner, tiny_path, synthetic, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [{"name": "x", "disease_label": "psoriasis"}])
    result = runner.invoke(
        main, ["kg", "build", str(bad), "--ontology", str(tiny_path), "-o", str(tmp_path / "x.nt")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("derm-onto: error: ") and "no key column" in result.stderr
    assert not (tmp_path / "x.nt").exists()
    result = runner.invoke(
        main,
        [
            "kg",
            "build",
            str(synthetic),
            "--ontology",
            str(tiny_path),
            "-o",
            str(tmp_path / "x.nt"),
            "--unknown",
            "error",
        ],
    )
    assert result.exit_code == 1 and "'unlisted thing, nevus' (1 rows)" in result.stderr
    assert not (tmp_path / "x.nt").exists()
    result = runner.invoke(
        main, ["kg", "build", str(synthetic), "-o", "x.nt", "--column", "nope=x"]
    )
    assert result.exit_code == 2
    (tmp_path / "plain").mkdir()
    result = runner.invoke(main, ["query", "--store", str(tmp_path / "plain"), "images-per-source"])
    assert result.exit_code == 1 and "not a derm-onto store" in result.stderr


def test_drop_policy_omits_unknown_rows(tiny_onto, synthetic, tmp_path):
    build(tiny_onto, [synthetic], tmp_path / "d.nt", KgOptions(unknown="drop"))
    text = (tmp_path / "d.nt").read_text(encoding="utf-8")
    assert "/image/i.jpg>" not in text and "/image/h.jpg>" in text


def test_store_refuses_to_replace_a_foreign_folder(tiny_onto, tiny_kg, tmp_path):
    out, _, _ = tiny_kg
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(DermOntoError, match="not a derm-onto store"):
        load_store(tiny_onto, out, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


# -- Virtuoso -------------------------------------------------------------------------------
@pytest.mark.slow
def test_publish_to_virtuoso_with_the_bulk_loader(runner, virtuoso, tiny_path, tiny_onto, tiny_kg):
    import shutil

    out, store, report = tiny_kg
    folder = virtuoso.folder / "load"  # inside the server's DirsAllowed
    folder.mkdir(exist_ok=True)
    shutil.copy(out, folder / "graph.nt")
    result = runner.invoke(
        main,
        [
            "kg",
            "publish",
            str(folder / "graph.nt"),
            "--ontology",
            str(tiny_path),
            "--isql",
            f"127.0.0.1:{virtuoso.sql_port}",
        ],
    )
    assert result.exit_code == 0, result.output
    vocab = Vocabulary(tiny_onto, 4)
    counts = dict(line.split("\t") for line in result.stdout.splitlines())
    assert int(counts[f"<{vocab.data_graph}>"]) == report.triples
    # the same library queries give the same answers on the server as on the store
    for name, params in (
        ("images-per-class-at-level", {"level": "2"}),
        (
            "images-of-class-with-concept-at-site",
            {"class": "malignant", "concept": "pigment network", "site": "face"},
        ),
    ):
        remote = run_endpoint(tiny_onto, Endpoint(virtuoso.sparql), name, params)
        local = run_store(tiny_onto, store, name, params)
        assert sorted(remote.rows) == sorted(local.rows), name
    result = runner.invoke(
        main,
        [
            "kg",
            "query",
            "images-per-source",
            "--endpoint",
            virtuoso.sparql,
            "--format",
            "csv",
            "--ontology",
            str(tiny_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["clinic,9", "web,1"]
    from .virtuoso import free_port

    isql = f"127.0.0.1:{free_port()}"  # nobody listens: one line naming the server
    refused = runner.invoke(main, ["kg", "publish", str(folder / "graph.nt"), "--isql", isql])
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.startswith(f"derm-onto: error: {isql}: isql failed: ")
    assert len(refused.stderr.strip().splitlines()) == 1


def test_empty_key_names_its_row(tiny_onto, tmp_path):
    rows = [row("a.jpg", "psoriasis"), row("b.jpg", "BCC"), row("  ", "melanoma")]
    table = write_csv(tmp_path / "t.csv", rows)
    with pytest.raises(DermOntoError, match=r"t\.csv: data row 3: empty image key"):
        build(tiny_onto, [table], tmp_path / "t.nt")
    assert not (tmp_path / "t.nt").exists()


def test_several_tables_make_one_graph(tiny_onto, tmp_path):
    first = write_csv(tmp_path / "one.csv", SYNTHETIC[:4])
    second = write_csv(tmp_path / "two.csv", SYNTHETIC[4:])
    both = write_csv(tmp_path / "both.csv", SYNTHETIC)
    report = build(tiny_onto, [first, second], tmp_path / "a.nt")
    build(tiny_onto, [both], tmp_path / "b.nt")
    assert report.rows == len(SYNTHETIC) and set(report.columns) == {str(first), str(second)}
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()


def test_bind_query_reaches_sub_selects():
    from rdflib import Literal, URIRef

    text = (
        '# where { a comment\nSELECT ?x WHERE { ?x <http://a/where> "where {" .\n'
        "  { SELECT ?y WHERE { ?y ?p ?site } } FILTER(?a < ?b) }"
    )
    bound = {"site": URIRef("http://s"), "p": Literal('q"')}
    out = bind_query(text, bound)
    block = 'VALUES (?p ?site) { ("q\\"" <http://s>) }'
    assert out.count(block) == 2  # the query's group and the sub-SELECT's
    assert out.index(block) > out.index("?x WHERE {") and out.rindex(block) > out.index(
        "?y WHERE {"
    )
    assert "# where { a comment" in out and '"where {"' in out


def test_parquet_nulls_read_as_empty_cells(tiny_onto, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row("a.jpg", "psoriasis", skin_concept="papule"), row("b.jpg", "", skin_concept="")]
    csv_table = write_csv(tmp_path / "t.csv", rows)
    columns = {f: [r[f] for r in rows] for f in FIELDS}
    columns["disease_label"][1] = None  # type: ignore[call-overload]
    columns["skin_concept"][1] = None  # type: ignore[call-overload]
    pq.write_table(pa.table(columns), tmp_path / "t.parquet")
    build(tiny_onto, [csv_table], tmp_path / "csv.nt")
    report = build(tiny_onto, [tmp_path / "t.parquet"], tmp_path / "pq.nt")
    assert report.labels.empty_rows == 1
    assert (tmp_path / "csv.nt").read_bytes() == (tmp_path / "pq.nt").read_bytes()


def test_issue15_store_carries_the_evidence_when_given(tmp_path) -> None:
    from click.testing import CliRunner

    from derm_onto.associations.evidence import default_path
    from derm_onto.cli import main

    runner = CliRunner()
    sample = shared_file("derm1m/pretrain_sample_100.csv")
    store = tmp_path / "store"
    built = runner.invoke(
        main, ["kg", "build", str(sample), "--store", str(store), "--evidence", str(default_path())]
    )
    assert built.exit_code == 0, built.output
    query = [
        "query",
        "--store",
        str(store),
        "concepts-of-condition-evidence",
        "--param",
        "term=melanoma",
        "--format",
        "json",
    ]
    result = runner.invoke(main, query)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert any(r["status"] == "supported" and r["lift"] for r in rows)
