"""Remote SPARQL 1.1 endpoints (SPARQLWrapper): read-only queries by default, a total
deadline per request, one-line errors; and publishing the ontology to a named graph.

>>> Endpoint("file:///etc/passwd")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
derm_onto.errors.DermOntoError: file:///etc/passwd: not an http(s) URL; ...
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from derm_onto.errors import DermOntoError
from derm_onto.model import Ontology
from derm_onto.sparql.library import Query, Result, bindings, cell_text, query_form, with_values

Auth = Literal["basic", "digest"]
AUTH_SCHEMES: tuple[Auth, ...] = get_args(Auth)


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
    notes: tuple[str, ...] = ()
    if not rows and endpoint.graph is None:
        notes = _empty_result_notes(ontology, endpoint)
    return Result(columns, rows, notes)


def default_graph_iri(ontology: Ontology) -> str:
    """The named graph ``publish`` writes to unless told otherwise: the ontology's IRI.

    >>> from derm_onto.model import Ontology
    >>> default_graph_iri(Ontology(id="derm1m", title="", base_iri="https://w3id.org/x/",
    ...                            prefixes={}))
    'https://w3id.org/x/derm1m.owl'
    """
    return f"{ontology.base_iri}{ontology.id}.owl"


def _empty_result_notes(ontology: Ontology, endpoint: Endpoint) -> tuple[str, ...]:
    """Why a query may have come back empty: stores such as Oxigraph server keep the
    default graph apart from the named graphs, so a published ontology is not seen there."""
    graph = default_graph_iri(ontology)
    try:
        data = _remote_call(endpoint, f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    except DermOntoError:
        return ()
    if isinstance(data, dict) and data.get("boolean") is True:
        return (
            f"no rows from the endpoint's default graph, but the named graph <{graph}> "
            f"holds the published ontology; query it with --graph {graph}",
        )
    return ()


def _remote_cell(ontology: Ontology, value: Mapping[str, Any] | None) -> str:
    if value is None:
        return ""
    return cell_text(ontology, str(value.get("value", "")), is_iri=value.get("type") == "uri")


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
    target = URIRef(graph_iri or default_graph_iri(ontology))
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
