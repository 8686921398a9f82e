"""The query library: ``queries/*.rq`` files with a documented header, parameter binding
and the plain result type every engine returns.

Parameters are bound, never pasted into the query text: rdflib ``initBindings``; for
Oxigraph and remote endpoints an inline ``VALUES`` block of escaped RDF terms, the first
element of the top-level group. Besides declared parameters every query may use
``?has_feature``, ``?has_observed_feature`` and ``?entry_kind``, bound to the ontology's own
properties.

>>> [p.name for p in load_query("children").params]
['term']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from derm_onto.errors import DermOntoError
from derm_onto.model import KINDS, Ontology
from derm_onto.resources import data_dir

ParamType = Literal["term", "string", "integer"]
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
    #: things the user should know about the result (e.g. why it may be empty)
    notes: tuple[str, ...] = ()

    def as_dicts(self) -> list[dict[str, str]]:
        """Rows as dicts keyed by column."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def cell_text(ontology: Ontology, value: str | None, *, is_iri: bool) -> str:
    """The one conversion of a result cell to text, whatever the engine: empty for an
    unbound variable, an IRI as its CURIE where a prefix is declared, else the value.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path("starter.json"))
    >>> cell_text(onto, onto.expand("DERMONTO:0000026"), is_iri=True)
    'DERMONTO:0000026'
    """
    if value is None:
        return ""
    if is_iri:
        return ontology.contract(value) or value
    return value


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


def library_rows() -> list[dict[str, str]]:
    """The query library as rows (name, parameters, description), for listing.

    >>> next(r for r in library_rows() if r["name"] == "children")["parameters"]
    'term:term'
    """
    return [
        {
            "name": q.name,
            "parameters": " ".join(f"{p.name}:{p.type}" for p in q.params),
            "description": q.description,
        }
        for q in library().values()
    ]


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
        "has_observed_feature": URIRef(ontology.base_iri + "has_observed_feature"),
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


_IRI_TOKEN = re.compile(r"<[^\s<>\"{}|^`\\]*>")
_WHERE = re.compile(r"where\b", re.I)


def _significant(text: str) -> Iterator[tuple[int, str]]:
    """Each position and character of a query outside strings, IRIs and comments."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        if c == "<" and (iri := _IRI_TOKEN.match(text, i)) is not None:
            i = iri.end()
            continue
        yield i, c
        i += 1


def _where_brace(text: str) -> int:
    """The index of the top-level group's opening brace; -1 when there is none."""
    return next((i for i, c in _significant(text) if c == "{"), -1)


def where_groups(text: str) -> list[tuple[int, int]]:
    """(open, close) brace positions of every group that follows ``WHERE`` (the query's and
    each sub-SELECT's), strings, IRIs and comments skipped.

    >>> where_groups("SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p '}' } } }")
    [(36, 48), (16, 52)]
    """
    groups: list[tuple[int, int]] = []
    stack: list[tuple[int, bool]] = []
    after_where = skip_to = 0
    for i, c in _significant(text):
        if i < skip_to:
            continue
        if c in "wW" and _WHERE.match(text, i) and (i == 0 or not text[i - 1].isalnum()):
            after_where, skip_to = True, i + 5
            continue
        if c == "{":
            stack.append((i, bool(after_where)))
            after_where = False
        elif c == "}" and stack:
            start, is_where = stack.pop()
            if is_where:
                groups.append((start, i))
        elif not c.isspace():
            after_where = False
    return groups


def with_values(text: str, bound: Mapping[str, Any]) -> str:
    """The query with a VALUES block as the first element of its top-level group: standard
    SPARQL that every engine (Virtuoso included) evaluates before the rest."""
    block = values_block(bound, text)
    brace = _where_brace(text)
    if not block or brace < 0:
        return text
    return text[: brace + 1] + block + text[brace + 1 :]
