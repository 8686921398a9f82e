from __future__ import annotations

import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from derm_onto import sparql
from derm_onto.cli import main
from derm_onto.errors import DermOntoError
from derm_onto.jsonio import load
from derm_onto.resources import bundled_ontology_path

from . import ids

# parameter values for every library query, on the curated ontology and on the tiny one
PARAMS = {
    "derm1m": {
        "term": "psoriasis",
        "level": "2",
        "text": "wart",
        "scheme": "ICD10CM",
        "a": "melanoma",
        "b": "basal cell carcinoma",
    },
    "tiny": {
        "term": ids.PSORIASIS,
        "level": "3",
        "text": "mel",
        "scheme": "ICD10CM",
        "a": ids.MELANOMA,
        "b": ids.BCC,
    },
}
CONCEPT_TERM = {"derm1m": "papule", "tiny": ids.PAPULE}


@pytest.fixture(scope="module")
def derm1m():
    return load(bundled_ontology_path())


def values_for(query: sparql.Query, which: str) -> dict[str, str]:
    values = {p.name: PARAMS[which][p.name] for p in query.params}
    if query.name in ("conditions-with-concept", "conditions-with-concept-by-lift"):
        values["term"] = CONCEPT_TERM[which]
    return values


def test_library_headers_are_complete() -> None:
    queries = sparql.library()
    required = {
        "children",
        "ancestors",
        "descendants",
        "siblings",
        "path-to-top",
        "classes-at-level",
        "leaves",
        "search",
        "conditions-with-concept",
        "concepts-of-condition",
        "xrefs-by-scheme",
        "lowest-common-ancestor",
        "counts-per-category",
        "missing-definition",
    }
    assert required <= set(queries)
    for query in queries.values():
        assert query.description, query.name
        used = set(re.findall(r"[?$](\w+)", query.text))
        for param in query.params:
            assert param.name in used, (query.name, param.name)
            assert param.type in ("term", "string", "integer") and param.description
        assert sparql.query_form(query.text, query.source) == "select"


@pytest.mark.parametrize("which", ["derm1m", "tiny"])
def test_oxigraph_returns_the_same_rows_as_rdflib(which, derm1m, tiny) -> None:
    onto = derm1m if which == "derm1m" else tiny
    store = sparql.oxigraph_store(onto)
    from derm_onto.rdf import to_graph

    graph = to_graph(onto)
    nonempty = 0
    for query in sparql.library().values():
        values = values_for(query, which)
        a = sparql.run_local(onto, query, values, "rdflib", graph=graph)
        bound = sparql.bindings(query, onto, values)
        b = sparql._run_oxigraph(onto, query, bound, "select", store)
        assert a.columns == b.columns, query.name
        assert a.rows == b.rows, query.name
        nonempty += bool(a.rows)
    assert nonempty >= 12


def test_query_answers_on_the_tiny_ontology(tiny) -> None:
    def rows(name: str, **values: str) -> list[tuple[str, ...]]:
        return sparql.run_local(tiny, sparql.load_query(name), values).rows

    assert [r[0] for r in rows("children", term="psoriasis")] == [
        ids.GUTTATE_PSORIASIS,
        ids.PSORIATIC_NAIL_DYSTROPHY,
    ]
    assert [r[0] for r in rows("lowest-common-ancestor", a=ids.MELANOMA, b=ids.BCC)] == [
        ids.MALIGNANT
    ]
    assert [r[0] for r in rows("path-to-top", term="melanoma")] == [
        ids.NEOPLASM,
        ids.MALIGNANT,
        ids.MELANOCYTIC_MALIGNANT,
        ids.MELANOMA,
    ]
    assert rows("xrefs-by-scheme", scheme="HP") == [
        (ids.ITCH, "itch", "HP:0000989"),
        (ids.PAPULE, "papule", "HP:0200034"),
    ]
    assert [r[0] for r in rows("missing-definition")] == [ids.PIGMENT_NETWORK]
    assert {r[1]: r[2] for r in rows("counts-per-category")} == {
        "nail disease": "1",
        "neoplasm": "7",
        "skin disease": "4",
    }
    assert [r[0] for r in rows("conditions-with-concept", term="papule")] == [
        ids.GUTTATE_PSORIASIS,
        ids.PSORIASIS,
    ]


def test_parameters_are_bound_not_pasted(tiny) -> None:
    hostile = '") } } DELETE WHERE { ?s ?p ?o } #'
    result = sparql.run_local(tiny, sparql.load_query("search"), {"text": hostile})
    assert result.rows == []
    block = sparql.values_block(
        sparql.bindings(sparql.load_query("search"), tiny, {"text": hostile}), "?text"
    )
    assert '\\"' in block  # the quote is escaped inside the literal


def test_bad_parameters_and_queries(tiny, tmp_path) -> None:
    children = sparql.load_query("children")
    with pytest.raises(DermOntoError, match="needs --param term"):
        sparql.run_local(tiny, children, {})
    with pytest.raises(DermOntoError, match="no parameter 'nope'"):
        sparql.run_local(tiny, children, {"term": "psoriasis", "nope": "1"})
    with pytest.raises(DermOntoError, match="not an integer"):
        sparql.run_local(tiny, sparql.load_query("classes-at-level"), {"level": "two"})
    with pytest.raises(KeyError, match="unknown term"):
        sparql.run_local(tiny, children, {"term": "no such disease anywhere"})
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT WHERE {")
    with pytest.raises(DermOntoError, match="not valid SPARQL"):
        sparql.run_local(tiny, sparql.load_query(str(bad)), {})
    with pytest.raises(DermOntoError, match="no query called"):
        sparql.load_query("nonexistent")


def test_updates_are_refused_by_default(tiny, tmp_path) -> None:
    update = tmp_path / "update.rq"
    update.write_text("INSERT DATA { <http://x.org/a> <http://x.org/b> <http://x.org/c> }")
    query = sparql.load_query(str(update))
    with pytest.raises(DermOntoError, match="read-only"):
        sparql.run_local(tiny, query, {})
    endpoint = sparql.Endpoint("http://127.0.0.1:9/sparql", timeout=1)
    with pytest.raises(DermOntoError, match=r"refused .*--allow-update"):
        sparql.run_remote(tiny, query, {}, endpoint)


# -- failing endpoints, all on loopback ---------------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "404"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "slow":
            time.sleep(3)
        if self.mode == "drip":  # a complete header, then one byte at a time, for long
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(40):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.25)
            return
        if self.mode == "truncated":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"head": {"vars"')
            self.wfile.flush()
            self.close_connection = True
            return
        if self.mode == "html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>a login page</body></html>")
            return
        if self.mode == "garbage":
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b"{not json")
            return
        if self.mode == "wrong-shape":
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(json.dumps({"unexpected": 1}).encode())
            return
        self.send_response(404 if self.mode == "404" else 500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_endpoint(request) -> Iterator[str]:
    handler = type("H", (_Handler,), {"mode": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("fake_endpoint", "fragment"),
    [
        ("404", "no SPARQL endpoint here (HTTP 404)"),
        ("500", "endpoint error (HTTP 500)"),
        ("garbage", "malformed response"),
        ("wrong-shape", "malformed response"),
        ("slow", "answer within 1 s"),
        ("drip", "no complete answer within 1 s"),
        ("truncated", "IncompleteRead"),
        ("html", "malformed response"),
    ],
    indirect=["fake_endpoint"],
)
def test_remote_failures_are_one_line(runner, tiny_path, fake_endpoint, fragment) -> None:
    result = runner.invoke(
        main,
        [
            "query",
            "children",
            "--param",
            "term=psoriasis",
            "--ontology",
            str(tiny_path),
            "--endpoint",
            fake_endpoint,
            "--timeout",
            "1",
        ],
    )
    assert result.exit_code == 1
    assert fragment in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_issue10_remote_timeout_is_a_total_deadline(tiny_path) -> None:
    """A server that drips its answer keeps every socket read short: the deadline still
    ends the call after --timeout seconds (regression: 62 s for --timeout 3)."""
    handler = type("H", (_Handler,), {"mode": "drip"})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = sparql.Endpoint(f"http://127.0.0.1:{server.server_address[1]}/", timeout=1)
        started = time.monotonic()
        with pytest.raises(DermOntoError, match="no complete answer within 1 s"):
            sparql.run_remote(load(tiny_path), sparql.load_query("leaves"), {}, endpoint)
        assert time.monotonic() - started < 5
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/sparql", "localhost"])
def test_issue10_endpoint_must_be_http(runner, tiny_path, url) -> None:
    for command in (
        ["query", "leaves", "--ontology", str(tiny_path)],
        ["publish", str(tiny_path)],
        ["kg", "query", "images-per-class", "--ontology", str(tiny_path)],
    ):
        result = runner.invoke(main, [*command, "--endpoint", url])
        assert result.exit_code == 2, result.output
        assert "http" in result.output and "Traceback" not in result.output
    with pytest.raises(DermOntoError, match="not an http"):
        sparql.Endpoint(url)


def test_connection_refused(runner, tiny_path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        result = runner.invoke(
            main,
            [
                "query",
                "leaves",
                "--ontology",
                str(tiny_path),
                "--endpoint",
                f"http://127.0.0.1:{port}/sparql",
            ],
        )
    assert result.exit_code == 1 and "connection refused" in result.output


def test_query_command_local(runner, tiny_path) -> None:
    listed = runner.invoke(main, ["query", "--list", "--format", "json"])
    assert {q["name"] for q in json.loads(listed.output)} == set(sparql.library())
    result = runner.invoke(
        main,
        [
            "query",
            "children",
            "--param",
            "term=psoriasis",
            "--ontology",
            str(tiny_path),
            "--format",
            "json",
            "--engine",
            "oxigraph",
        ],
    )
    assert json.loads(result.output) == [
        {"child": ids.GUTTATE_PSORIASIS, "label": "guttate psoriasis"},
        {"child": ids.PSORIATIC_NAIL_DYSTROPHY, "label": "psoriatic nail dystrophy"},
    ]
    assert runner.invoke(main, ["query"]).exit_code == 2
    assert runner.invoke(main, ["query", "children", "--param", "oops"]).exit_code == 2


# -- the live Virtuoso ------------------------------------------------------------------------
@pytest.mark.slow
def test_publish_and_every_query_remote_equals_local(virtuoso, derm1m, runner) -> None:
    # queried through the graph publish wrote (--graph): the server's default graph is the
    # union of every graph, and other tests on this server publish other ontologies
    publisher = sparql.Endpoint(virtuoso.sparql, timeout=60)
    first = sparql.publish(derm1m, publisher)
    second = sparql.publish(derm1m, publisher)  # replacing: still one copy
    assert first.triples == first.server_triples == second.server_triples
    endpoint = sparql.Endpoint(virtuoso.sparql, timeout=60, graph=first.graph)
    for query in sparql.library().values():
        values = values_for(query, "derm1m")
        local = sparql.run_local(derm1m, query, values)
        remote = sparql.run_remote(derm1m, query, values, endpoint)
        assert remote.columns == local.columns, query.name
        assert remote.rows == local.rows, query.name


@pytest.mark.slow
def test_publish_and_query_commands_against_virtuoso(virtuoso, runner, tiny_path) -> None:
    graph = "https://example.org/graphs/tiny"
    result = runner.invoke(
        main,
        [
            "publish",
            str(tiny_path),
            "--endpoint",
            virtuoso.sparql,
            "--graph",
            graph,
            "--batch-size",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"to <{graph}>" in result.output
    listed = runner.invoke(
        main,
        [
            "query",
            "children",
            "--param",
            "term=psoriasis",
            "--ontology",
            str(tiny_path),
            "--endpoint",
            virtuoso.sparql,
            "--graph",
            graph,
            "--format",
            "csv",
        ],
    )
    assert listed.output.splitlines()[1:] == [
        f"{ids.GUTTATE_PSORIASIS},guttate psoriasis",
        f"{ids.PSORIATIC_NAIL_DYSTROPHY},psoriatic nail dystrophy",
    ]
    bad = runner.invoke(
        main, ["publish", str(tiny_path), "--endpoint", virtuoso.sparql, "--graph", "not an iri"]
    )
    assert bad.exit_code == 1 and "not an absolute IRI" in bad.output


# -- the live Oxigraph server (default graph apart from the named graphs) ----------------------
@pytest.mark.slow
def test_oxigraph_server_publish_and_every_query_with_graph(oxigraph_server, derm1m) -> None:
    endpoint = sparql.Endpoint(oxigraph_server.query_url, timeout=60)
    published = sparql.publish(derm1m, endpoint, update_url=oxigraph_server.update_url)
    assert published.triples == published.server_triples
    graph = sparql.default_graph_iri(derm1m)
    assert published.graph == graph
    scoped = sparql.Endpoint(oxigraph_server.query_url, timeout=60, graph=graph)
    for query in sparql.library().values():
        values = values_for(query, "derm1m")
        local = sparql.run_local(derm1m, query, values)
        remote = sparql.run_remote(derm1m, query, values, scoped)
        assert remote.columns == local.columns, query.name
        assert remote.rows == local.rows, query.name


@pytest.mark.slow
def test_issue13_empty_result_on_a_published_graph_warns(oxigraph_server, derm1m, runner) -> None:
    sparql.publish(
        derm1m,
        sparql.Endpoint(oxigraph_server.query_url, timeout=60),
        update_url=oxigraph_server.update_url,
    )
    # Oxigraph's default graph is not the union of its named graphs: no rows, but a warning
    result = runner.invoke(
        main, ["query", "leaves", "--endpoint", oxigraph_server.query_url, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    graph = sparql.default_graph_iri(derm1m)
    assert f"--graph {graph}" in result.stderr
    scoped = runner.invoke(
        main,
        [
            "query",
            "leaves",
            "--endpoint",
            oxigraph_server.query_url,
            "--graph",
            graph,
            "--format",
            "json",
        ],
    )
    assert scoped.exit_code == 0 and json.loads(scoped.stdout) and "warning" not in scoped.stderr


@pytest.mark.slow
def test_issue13_virtuoso_with_graph_equals_local(virtuoso, derm1m) -> None:
    """Virtuoso through default-graph-uri (--graph): every query as local, including the
    two that differed (classes-at-level: 7 rows instead of 72; lowest-common-ancestor of
    melanoma and BCC: an extra row)."""
    endpoint = sparql.Endpoint(virtuoso.sparql, timeout=60)
    sparql.publish(derm1m, endpoint)
    scoped = sparql.Endpoint(virtuoso.sparql, timeout=60, graph=sparql.default_graph_iri(derm1m))
    cases = [
        (sparql.load_query("classes-at-level"), {"level": str(level)}) for level in (1, 2, 3, 4)
    ]
    cases.append((sparql.load_query("lowest-common-ancestor"), {"a": "melanoma", "b": "BCC"}))
    for query, values in cases:
        local = sparql.run_local(derm1m, query, values)
        remote = sparql.run_remote(derm1m, query, values, scoped)
        assert remote.rows == local.rows, (query.name, values, len(remote.rows), len(local.rows))


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _numbers_as_floats(rows: list[tuple[str | None, ...]]) -> list[tuple[object, ...]]:
    """Rows with numeric cells as floats: engines spell the same xsd:double differently
    (rdflib and Virtuoso '3.694e-39' and '1.0', Oxigraph '0.000...3694' and '1')."""
    return [
        tuple(float(c) if c is not None and _NUMBER.fullmatch(c) else c for c in row)
        for row in rows
    ]


@pytest.mark.slow
def test_evidence_queries_on_virtuoso_equal_rdflib_and_oxigraph(virtuoso, derm1m) -> None:
    """The two evidence queries over the ontology with its bundled evidence (axiom
    annotations on blank nodes, so loaded in one file by the bulk loader, not published in
    batches): Virtuoso returns the rows rdflib and Oxigraph return (it used to fail to
    compile them: SP031)."""
    import subprocess

    from derm_onto.associations.rdf_evidence import graph_with_evidence

    graph = graph_with_evidence(derm1m)
    folder = virtuoso.folder / "evidence"  # inside the server's DirsAllowed
    folder.mkdir(exist_ok=True)
    (folder / "evidence.nt").write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    iri = "https://example.org/graphs/evidence"
    script = (
        f"SPARQL CLEAR GRAPH <{iri}>;\nld_dir('{folder}', 'evidence.nt', '{iri}');\n"
        "rdf_loader_run();\ncheckpoint;\n"
        "SELECT 'LOADERROR', ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;\n"
        "SPARQL SELECT ('COUNT' AS ?t) (COUNT(*) AS ?n) "
        f"WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }};\n"
    )
    done = subprocess.run(
        ["isql-vt", f"127.0.0.1:{virtuoso.sql_port}", "dba", "dba"],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "LOADERROR" not in done.stdout.replace("'LOADERROR'", "")
    count = re.search(r"COUNT\s+(\d+)", done.stdout)
    assert count and int(count.group(1)) == len(graph), done.stdout[-500:]
    endpoint = sparql.Endpoint(virtuoso.sparql, timeout=60, graph=iri)
    cases = [
        ("concepts-of-condition-evidence", term)
        for term in ("melanoma", "psoriasis", "basal cell carcinoma")
    ]
    cases += [
        ("conditions-with-concept-by-lift", term)
        for term in ("papule", "face", "dots and globules")  # concepts, a finding
    ]
    relations: set[tuple[str, bool]] = set()
    for name, term in cases:
        query = sparql.load_query(name)
        values = {"term": term}
        oxigraph = sparql.run_local(derm1m, query, values, "oxigraph", graph=graph)
        rdflib = sparql.run_local(derm1m, query, values, "rdflib", graph=graph)
        remote = sparql.run_remote(derm1m, query, values, endpoint)
        assert remote.columns == oxigraph.columns == rdflib.columns, name
        expected = _numbers_as_floats(rdflib.rows)
        status = rdflib.columns.index("status")
        assert any(row[status] is not None for row in rdflib.rows), (name, term)  # evidence
        assert _numbers_as_floats(oxigraph.rows) == expected, (name, term)
        assert _numbers_as_floats(remote.rows) == expected, (name, term)
        relation = rdflib.columns.index("relation")
        relations.update((row[relation], row[status] is not None) for row in rdflib.rows)
    assert {("typical", True), ("observed", True)} <= relations  # both, with their evidence


def test_issue10_no_sparqlwrapper_warning_reaches_the_user(tiny_path) -> None:
    """Run as a user does (a fresh process, default warning filters): an endpoint that
    answers HTML gives one error line, no RuntimeWarning from SPARQLWrapper."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    handler = type("H", (_Handler,), {"mode": "html"})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "derm_onto",
                "query",
                "leaves",
                "--ontology",
                str(tiny_path),
                "--endpoint",
                url,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"},
            timeout=60,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1
    assert "Warning" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "malformed response" in done.stderr
