"""SPARQL over the ontology: a documented query library, parameter binding, local engines
(rdflib, Oxigraph) and remote SPARQL 1.1 endpoints (SPARQLWrapper), and publishing.

Parameters are bound, never pasted into the query text: rdflib ``initBindings``; for
Oxigraph and remote endpoints an inline ``VALUES`` block of escaped RDF terms, the first
element of the top-level group.
Besides declared parameters every query may use ``?has_feature`` and ``?entry_kind``, bound
to the ontology's own properties. Remote access is read-only unless updates are allowed,
and every request has a timeout.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path("starter.json"))
>>> rows = run_local(onto, load_query("children"), {"term": "psoriasis"})
>>> rows.rows
[('DERMONTO:0000026', 'guttate psoriasis')]
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from derm_onto.errors import DermOntoError
from derm_onto.model import KINDS, Ontology
from derm_onto.resources import data_dir

ParamType = Literal["term", "string", "integer"]
Engine = Literal["rdflib", "oxigraph"]
ENGINES: tuple[Engine, ...] = get_args(Engine)
Auth = Literal["basic", "digest"]
AUTH_SCHEMES: tuple[Auth, ...] = get_args(Auth)
_PARAM = re.compile(r"^#\s*param:\s*(\w+)\s+(?:\((term|string|integer)\)\s*)?(.*)$")
_UPDATE_WORDS = re.compile(r"\b(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY)\b", re.I)


@dataclass(frozen=True, slots=True)
class Param:
    """A declared query parameter."""

    name: str
    type: ParamType
    description: str


@dataclass(frozen=True)
class Query:
    """A SPARQL query with its header: name, description and parameters."""

    name: str
    description: str
    params: tuple[Param, ...]
    text: str
    source: str


@dataclass(frozen=True)
class Result:
    """Rows of a SELECT (or one row with ``ask`` for an ASK), values as plain strings: IRIs
    shortened to CURIEs where a prefix is declared."""

    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]

    def as_dicts(self) -> list[dict[str, str]]:
        """Rows as dicts keyed by column."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


# -- the library --------------------------------------------------------------------------
def parse_query(text: str, source: str) -> Query:
    """A query and its header comments (``# name:``, ``# description:``, ``# param:``)."""
    name = Path(source).stem
    description = ""
    params: list[Param] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        if stripped.lower().startswith("# name:"):
            name = stripped.split(":", 1)[1].strip()
        elif stripped.lower().startswith("# description:"):
            description = stripped.split(":", 1)[1].strip()
        elif (match := _PARAM.match(stripped)) is not None:
            params.append(
                Param(
                    match.group(1),
                    (match.group(2) or "term"),  # type: ignore[arg-type]
                    match.group(3).strip(),
                )
            )
    return Query(name, description, tuple(params), text, source)


def library() -> dict[str, Query]:
    """Every query of the bundled library, by name."""
    folder = data_dir("queries")
    queries = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            query = parse_query(entry.read_text(encoding="utf-8"), entry.name)
            queries[query.name] = query
    return queries


def load_query(name_or_file: str) -> Query:
    """A library query by name, or a query file by path."""
    queries = library()
    if name_or_file in queries:
        return queries[name_or_file]
    path = Path(name_or_file)
    if path.suffix in (".rq", ".sparql") or path.is_file():
        try:
            return parse_query(path.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError:
            raise DermOntoError(f"{path}: no such query file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DermOntoError(f"{path}: cannot read query: {exc}") from None
    raise DermOntoError(f"no query called {name_or_file!r}; `derm-onto query --list` lists them")


def query_form(text: str, source: str = "<query>") -> str:
    """``select``, ``ask``, ``construct``, ``describe`` or ``update``; a syntax error is a
    one-line DermOntoError."""
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        parsed = parseQuery(text)
        return str(parsed[1].name).removesuffix("Query").lower()
    except Exception as query_error:
        try:
            parseUpdate(text)
        except Exception:
            first = str(query_error).strip().splitlines()[0] if str(query_error) else "syntax"
            raise DermOntoError(f"{source}: not valid SPARQL: {first[:200]}") from None
        return "update"


# -- binding --------------------------------------------------------------------------------
def resolve_iri(ontology: Ontology, value: str) -> str:
    """An IRI for a term given as an IRI, a CURIE id or a label/synonym (any kind)."""
    from derm_onto.errors import UnknownTermError
    from derm_onto.matching import resolve_term

    if re.match(r"^[a-z][a-z0-9+.-]*://", value):
        return value
    if value in ontology:
        return ontology.expand(value)
    errors = []
    for kind in KINDS:
        try:
            return ontology.expand(resolve_term(ontology, value, kind))
        except UnknownTermError as exc:
            errors.append(str(exc))
    raise UnknownTermError(errors[0])


def bindings(query: Query, ontology: Ontology, values: Mapping[str, str]) -> dict[str, Any]:
    """rdflib terms for the query's parameters (and the ontology's own properties)."""
    from rdflib import Literal, URIRef

    declared = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise DermOntoError(
            f"query {query.name!r} has no parameter {unknown[0]!r} "
            f"(parameters: {', '.join(declared) or 'none'})"
        )
    missing = [p.name for p in query.params if p.name not in values]
    if missing:
        raise DermOntoError(f"query {query.name!r} needs --param {missing[0]}=VALUE")
    bound: dict[str, Any] = {
        "has_feature": URIRef(ontology.base_iri + "has_feature"),
        "entry_kind": URIRef(ontology.base_iri + "entry_kind"),
    }
    for name, raw in values.items():
        param = declared[name]
        if param.type == "term":
            bound[name] = URIRef(resolve_iri(ontology, raw))
        elif param.type == "integer":
            try:
                bound[name] = Literal(int(raw))
            except ValueError:
                raise DermOntoError(f"--param {name}={raw!r}: not an integer") from None
        else:
            bound[name] = Literal(raw)
    return bound


def values_block(bound: Mapping[str, Any], text: str) -> str:
    """A VALUES block binding the variables the query text uses (terms escaped by rdflib's
    N3 serialisation), or "" when it uses none."""
    used = [name for name in sorted(bound) if re.search(rf"[?$]{name}\b", text)]
    if not used:
        return ""
    variables = " ".join(f"?{n}" for n in used)
    terms = " ".join(bound[n].n3() for n in used)
    return f" VALUES ({variables}) {{ ({terms}) }} "


def _where_brace(text: str) -> int:
    """The index of the top-level WHERE group's opening brace (strings, IRIs and comments
    skipped); -1 when there is none."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        elif c == "<" and re.match(r"<[^\s<>\"{}|^`\\]*>", text[i:]):
            i = text.index(">", i)
        elif c == "{":
            return i
        i += 1
    return -1


def with_values(text: str, bound: Mapping[str, Any]) -> str:
    """The query with a VALUES block as the first element of its top-level group: standard
    SPARQL that every engine (Virtuoso included) evaluates before the rest."""
    block = values_block(bound, text)
    brace = _where_brace(text)
    if not block or brace < 0:
        return text
    return text[: brace + 1] + block + text[brace + 1 :]


# -- local engines --------------------------------------------------------------------------
def _cell(ontology: Ontology, value: Any) -> str:
    from rdflib import URIRef

    if value is None:
        return ""
    if isinstance(value, URIRef):
        return ontology.contract(str(value)) or str(value)
    return str(value)


def run_local(
    ontology: Ontology,
    query: Query,
    values: Mapping[str, str],
    engine: Engine = "oxigraph",
    graph: Any = None,
) -> Result:
    """Run a read query over the ontology's exported graph."""
    form = query_form(query.text, query.source)
    if form == "update":
        raise DermOntoError(f"{query.source}: an update query; the local graph is read-only")
    bound = bindings(query, ontology, values)
    if engine == "oxigraph":
        return _run_oxigraph(ontology, query, bound, form)
    return _run_rdflib(ontology, query, bound, form, graph)


def _run_rdflib(
    ontology: Ontology, query: Query, bound: Mapping[str, Any], form: str, graph: Any = None
) -> Result:
    from derm_onto.rdf import to_graph

    graph = graph if graph is not None else to_graph(ontology)
    used = {k: v for k, v in bound.items() if re.search(rf"[?$]{k}\b", query.text)}
    result = graph.query(query.text, initBindings=used)
    if form == "ask":
        return Result(("ask",), [("true" if result.askAnswer else "false",)])
    columns = tuple(str(v) for v in result.vars)
    rows = [tuple(_cell(ontology, row[i]) for i in range(len(columns))) for row in result]
    return Result(columns, rows)


def oxigraph_store(ontology: Ontology) -> Any:
    """An in-memory Oxigraph store holding the ontology's graph."""
    import pyoxigraph as ox

    from derm_onto.rdf import export

    store = ox.Store()
    store.load(export(ontology, "nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def _run_oxigraph(
    ontology: Ontology, query: Query, bound: Mapping[str, Any], form: str, store: Any = None
) -> Result:
    import pyoxigraph as ox

    store = store if store is not None else oxigraph_store(ontology)
    # Oxigraph's `substitutions` only takes variables in the SELECT projection, so the
    # parameters travel in an inline VALUES block of escaped RDF terms, as for remote
    # endpoints
    try:
        result = store.query(with_values(query.text, bound))
    except SyntaxError as exc:
        raise DermOntoError(f"{query.source}: not valid SPARQL: {exc}") from None
    if form == "ask":
        return Result(("ask",), [("true" if bool(result) else "false",)])
    columns = tuple(v.value for v in result.variables)

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, ox.NamedNode):
            return ontology.contract(value.value) or value.value
        return str(value.value)

    return Result(columns, [tuple(cell(s[c]) for c in columns) for s in result])


# -- remote endpoints -------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """A remote SPARQL 1.1 endpoint."""

    url: str
    timeout: float = 30.0
    user: str | None = None
    password: str | None = None
    auth: Auth = "basic"
    graph: str | None = None  # query this named graph as the default graph

    def __post_init__(self) -> None:
        _check_url(self.url)

    def client(self, url: str | None = None) -> Any:
        from SPARQLWrapper import BASIC, DIGEST, JSON, POST, SPARQLWrapper

        client = SPARQLWrapper(url or self.url)
        client.setReturnFormat(JSON)
        client.setTimeout(int(max(1, self.timeout)))
        client.setMethod(POST)
        if self.graph is not None:
            client.addDefaultGraph(self.graph)
        if self.user is not None:
            client.setHTTPAuth(DIGEST if self.auth == "digest" else BASIC)
            client.setCredentials(self.user, self.password or "")
        return client


def _check_url(url: str) -> str:
    """Endpoints are http or https URLs: never a local file or another scheme."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DermOntoError(f"{url}: not an http(s) URL; a SPARQL endpoint is http:// or https://")
    return url


def _within_deadline(call: Callable[[], Any], seconds: float, target: str) -> Any:
    """Run ``call`` with a total deadline: a server that drips its answer byte by byte is
    cut off after ``seconds`` as one that does not answer at all (socket timeouts alone
    only bound each read). The worker is a daemon thread, abandoned on expiry."""
    import queue
    import threading
    import warnings

    box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            with warnings.catch_warnings():
                # SPARQLWrapper warns (RuntimeWarning) on an unexpected content type and
                # returns the raw body, which is reported below as a malformed response
                warnings.simplefilter("ignore", RuntimeWarning)
                box.put((True, call()))
        except BaseException as exc:  # handed to the caller's thread
            box.put((False, exc))

    threading.Thread(target=work, name="derm-onto-sparql", daemon=True).start()
    try:
        ok, value = box.get(timeout=seconds)
    except queue.Empty:
        raise DermOntoError(
            f"{target}: no complete answer within {seconds:g} s (--timeout)"
        ) from None
    if not ok:
        raise value
    return value


def _remote_call(endpoint: Endpoint, text: str, url: str | None = None) -> Any:
    """Send a query or update; every failure becomes one clear DermOntoError line."""
    import http.client
    import socket
    import urllib.error

    from SPARQLWrapper import SPARQLExceptions

    target = _check_url(url or endpoint.url)
    client = endpoint.client(url)
    client.setQuery(text)
    try:
        return _within_deadline(lambda: client.query().convert(), endpoint.timeout, target)
    except DermOntoError:
        raise
    except SPARQLExceptions.Unauthorized:
        raise DermOntoError(f"{target}: unauthorized (HTTP 401); check --user/--password") from None
    except SPARQLExceptions.EndPointNotFound:
        raise DermOntoError(f"{target}: no SPARQL endpoint here (HTTP 404)") from None
    except SPARQLExceptions.QueryBadFormed as exc:
        raise DermOntoError(
            f"{target}: the endpoint rejected the query (HTTP 400): {_short(exc)}"
        ) from None
    except SPARQLExceptions.EndPointInternalError as exc:
        raise DermOntoError(f"{target}: endpoint error (HTTP 500): {_short(exc)}") from None
    except SPARQLExceptions.SPARQLWrapperException as exc:
        raise DermOntoError(f"{target}: {_short(exc)}") from None
    except urllib.error.HTTPError as exc:
        raise DermOntoError(f"{target}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            raise DermOntoError(
                f"{target}: no answer within {endpoint.timeout:g} s (--timeout)"
            ) from None
        if isinstance(reason, ConnectionRefusedError):
            raise DermOntoError(f"{target}: connection refused; is the server running?") from None
        raise DermOntoError(f"{target}: cannot connect: {reason}") from None
    except TimeoutError:
        raise DermOntoError(
            f"{target}: no answer within {endpoint.timeout:g} s (--timeout)"
        ) from None
    except (json.JSONDecodeError, ValueError, TypeError) as exc:
        raise DermOntoError(f"{target}: malformed response: {_short(exc)}") from None
    except http.client.HTTPException as exc:  # IncompleteRead, RemoteDisconnected, ...
        raise DermOntoError(f"{target}: broken response: {type(exc).__name__}") from None
    except OSError as exc:  # connection reset, broken pipe, ...
        raise DermOntoError(f"{target}: transport error: {exc.strerror or exc}") from None


def _short(exc: BaseException) -> str:
    """The informative line of an error: the server's own message when there is one."""
    text = str(exc)
    if "Response:" in text:  # SPARQLWrapper appends the server's body
        text = text.split("Response:", 1)[1].strip().removeprefix("b'").removeprefix('b"')
        text = text.replace("\\n", "\n")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:200]


def run_remote(
    ontology: Ontology,
    query: Query,
    values: Mapping[str, str],
    endpoint: Endpoint,
    *,
    allow_update: bool = False,
) -> Result:
    """Run a query against a remote endpoint, parameters bound by a VALUES block."""
    form = query_form(query.text, query.source)
    if form == "update" and not allow_update:
        raise DermOntoError(
            f"{query.source}: an update query; refused (read-only by default, "
            "--allow-update to send it)"
        )
    bound = bindings(query, ontology, values)
    text = query.text if form == "update" else with_values(query.text, bound)
    data = _remote_call(endpoint, text)
    if form == "update":
        return Result(("update",), [("done",)])
    if not isinstance(data, dict):
        raise DermOntoError(f"{endpoint.url}: malformed response: not a JSON object")
    if form == "ask":
        if "boolean" not in data:
            raise DermOntoError(f"{endpoint.url}: malformed response: no ASK result")
        return Result(("ask",), [("true" if data["boolean"] else "false",)])
    try:
        columns = tuple(data["head"]["vars"])
        rows = [
            tuple(_remote_cell(ontology, b.get(c)) for c in columns)
            for b in data["results"]["bindings"]
        ]
    except (KeyError, TypeError, AttributeError):
        raise DermOntoError(
            f"{endpoint.url}: malformed response: not SPARQL JSON results"
        ) from None
    return Result(columns, rows)


def _remote_cell(ontology: Ontology, value: Mapping[str, Any] | None) -> str:
    if value is None:
        return ""
    if value.get("type") == "uri":
        return ontology.contract(value["value"]) or str(value["value"])
    return str(value.get("value", ""))


# -- publishing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishResult:
    """How many triples were sent and how many the server holds afterwards."""

    graph: str
    triples: int
    server_triples: int
    batches: int


def _batches(triples: Sequence[tuple[Any, Any, Any]], size: int) -> list[list[Any]]:
    """Batches of triples that never split a blank node's triples across two requests
    (blank node labels are scoped to one update request)."""
    from rdflib import BNode

    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for s, _, o in triples:
        if isinstance(o, BNode):
            parent[find(o)] = find(s)
        if isinstance(s, BNode) and isinstance(o, BNode):
            parent[find(o)] = find(s)
    groups: dict[Any, list[Any]] = {}
    for triple in triples:
        groups.setdefault(find(triple[0]), []).append(triple)
    out: list[list[Any]] = [[]]
    for group in groups.values():
        if out[-1] and len(out[-1]) + len(group) > size:
            out.append([])
        out[-1].extend(group)
    return [b for b in out if b]


def publish(
    ontology: Ontology,
    endpoint: Endpoint,
    *,
    update_url: str | None = None,
    graph_iri: str | None = None,
    batch_size: int = 2000,
) -> PublishResult:
    """Replace a named graph on a remote store with the ontology (SPARQL 1.1 Update), then
    check the triple count on the server against the local graph."""
    from rdflib import URIRef

    from derm_onto.rdf import to_graph

    graph = to_graph(ontology)
    target = URIRef(graph_iri or f"{ontology.base_iri}{ontology.id}.owl")
    if not re.match(r"^[a-z][a-z0-9+.-]*:[^\s<>\"{}|^`\\]+$", str(target)):
        raise DermOntoError(f"--graph {str(target)!r} is not an absolute IRI")
    url = update_url or endpoint.url
    endpoint = dataclasses.replace(endpoint, graph=None)
    _remote_call(endpoint, f"DROP SILENT GRAPH {target.n3()}", url)
    from rdflib import BNode

    triples = sorted(graph, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))
    plain = [t for t in triples if not isinstance(t[0], BNode) and not isinstance(t[2], BNode)]
    with_blank = [t for t in triples if isinstance(t[0], BNode) or isinstance(t[2], BNode)]
    batches = [("data", b) for b in _batches(plain, batch_size)]
    # blank nodes: INSERT {...} WHERE {} rather than INSERT DATA (Virtuoso refuses blank
    # nodes there); a template makes one fresh node per label per request, and _batches
    # keeps each blank node's triples together. Smaller batches: templates compile to SQL.
    batches += [("template", b) for b in _batches(with_blank, max(1, batch_size // 10))]
    for kind, batch in batches:
        body = "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in batch)
        if kind == "data":
            text = f"INSERT DATA {{ GRAPH {target.n3()} {{\n{body}\n}} }}"
        else:
            text = f"INSERT {{ GRAPH {target.n3()} {{\n{body}\n}} }} WHERE {{}}"
        _remote_call(endpoint, text, url)
    # the graph IRI as an escaped IRI term: Virtuoso cannot bind a GRAPH variable by VALUES
    data = _remote_call(
        endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {target.n3()} {{ ?s ?p ?o }} }}"
    )
    try:
        server = int(data["results"]["bindings"][0]["n"]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise DermOntoError(f"{endpoint.url}: malformed response to the count query") from None
    result = PublishResult(str(target), len(graph), server, len(batches))
    if server != len(graph):
        raise DermOntoError(
            f"{endpoint.url}: published {len(graph)} triples to <{target}> but "
            f"the server holds {server}"
        )
    return result
