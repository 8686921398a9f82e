"""Guards around RDF files: what an import refuses before parsing, what an export refuses
before writing.

Imports (issue #10): a file over the size limit, RDF/XML with external or nested entities
(the "billion laughs"), a literal over the literal limit, and a JSON-LD ``@context`` that
would be fetched from the network are each refused with one line, in well under a second.
Internal entities that expand to plain text (``<!ENTITY owl "http://...#">``, as the OWL API
writes them) are allowed.

>>> check_xml(b'<!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><r>&b;</r>', "x.owl")
Traceback (most recent call last):
...
derm_onto.errors.UnsafeInputError: x.owl: refused: entity 'b' refers to other entities (entity expansion is not allowed)

Exports: a lone surrogate, NUL or another control character in any text would produce a
file that is not well-formed (RDF/XML) or not UTF-8; :func:`check_characters` refuses it.
"""  # noqa: E501

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from derm_onto.errors import InvalidCharacterError, UnsafeInputError
from derm_onto.formats import MAX_FILE_BYTES, MAX_LITERAL_BYTES
from derm_onto.model import KINDS, Concept, Condition, Finding, Ontology

#: at most this many entity declarations in an RDF/XML DTD (the OWL API writes ~10)
MAX_ENTITIES = 1000
OXIGRAPH_BUFFER = 16 * 1024 * 1024
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_size(size: int, source: str, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse an input larger than ``limit`` bytes.

    >>> check_size(2048, "big.owl", limit=1024)
    Traceback (most recent call last):
    ...
    derm_onto.errors.UnsafeInputError: big.owl: refused: 2048 bytes is over the limit of 1024 bytes
    """
    if size > limit:
        raise UnsafeInputError(
            f"{source}: refused: {size} bytes is over the limit of {limit} bytes"
        )


def literal_too_long(source: str, size: int, limit: int, where: str = "") -> UnsafeInputError:
    """The error for a literal over the limit."""
    return UnsafeInputError(
        f"{source}: refused: a literal of {size} or more bytes {where} is over the limit of "
        f"{limit} bytes"
    )


def check_xml(data: bytes, source: str, max_literal: int = MAX_LITERAL_BYTES) -> dict[str, str]:
    """Scan RDF/XML with expat before an RDF parser reads it: no external, parameter or
    nested entities, at most :data:`MAX_ENTITIES` declarations, no text node over
    ``max_literal`` bytes. Malformed XML is left for the RDF parser to report. Returns the
    ``xmlns:`` prefixes declared (the file's namespace bindings)."""
    import pyexpat

    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    declared = [0]
    text = [0]
    bound: dict[str, str] = {}

    def entity(
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        declared[0] += 1
        if system_id or public_id or notation:
            raise UnsafeInputError(
                f"{source}: refused: external entity {name!r} (no file or network access)"
            )
        if is_parameter:
            raise UnsafeInputError(f"{source}: refused: parameter entity {name!r}")
        if value is not None and ("&" in value or "%" in value):
            raise UnsafeInputError(
                f"{source}: refused: entity {name!r} refers to other entities "
                "(entity expansion is not allowed)"
            )
        if declared[0] > MAX_ENTITIES:
            raise UnsafeInputError(f"{source}: refused: more than {MAX_ENTITIES} entities")

    def start(name: str, attributes: Any) -> None:
        text[0] = 0
        for key, value in attributes.items() if isinstance(attributes, dict) else ():
            if len(value) > max_literal:
                raise literal_too_long(source, len(value), max_literal, f"in <{name}>")
            if key.startswith("xmlns:"):
                bound.setdefault(key[6:], value)

    def characters(data: str) -> None:
        text[0] += len(data)
        if text[0] > max_literal:
            raise literal_too_long(source, text[0], max_literal, "in an element")

    def external(*_: Any) -> int:
        raise UnsafeInputError(f"{source}: refused: external entity reference")

    parser.EntityDeclHandler = entity
    parser.StartElementHandler = start
    parser.CharacterDataHandler = characters
    parser.ExternalEntityRefHandler = external
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError as exc:
        if "amplification" in str(exc):
            raise UnsafeInputError(f"{source}: refused: {exc}") from None
        # not well-formed: the RDF parser reports it with its own message
    return bound


def check_jsonld(data: bytes, source: str, max_literal: int = MAX_LITERAL_BYTES) -> None:
    """Refuse JSON-LD whose ``@context`` (or ``@import``) names a document to fetch, and
    strings over ``max_literal``. Invalid JSON is left for the RDF parser to report."""
    try:
        document = json.loads(data)
    except ValueError:
        return
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("@context", "@import"):
                    for ref in value if isinstance(value, list) else [value]:
                        if isinstance(ref, str):
                            raise UnsafeInputError(
                                f"{source}: refused: remote JSON-LD {key} {ref!r} (importing "
                                "never uses the network; inline the context)"
                            )
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and len(item) > max_literal:
            raise literal_too_long(source, len(item), max_literal, "in a JSON string")


def check_text_literals(
    data: bytes, fmt: str, source: str, max_literal: int = MAX_LITERAL_BYTES
) -> None:
    """Refuse Turtle or N-Triples holding a literal over ``max_literal``: pyoxigraph reads
    the file (fast, streaming) and its syntax errors name the line and column."""
    import pyoxigraph as ox

    target = ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.N_TRIPLES
    try:
        for triple in ox.parse(data, format=target, lenient=True):
            value = triple.object
            if isinstance(value, ox.Literal) and len(value.value) > max_literal:
                raise literal_too_long(source, len(value.value), max_literal, "")
    except SyntaxError:
        return  # rdflib reports syntax errors with its own message
    except MemoryError:  # pyoxigraph's token buffer stops at 16 MiB
        if max_literal < OXIGRAPH_BUFFER:
            raise literal_too_long(source, OXIGRAPH_BUFFER, max_literal, "") from None


def _strings(ontology: Ontology) -> Iterator[tuple[str, str]]:
    """(where, text) for every text the ontology holds."""
    for name in ("id", "title", "description", "version", "license", "base_iri"):
        yield name, str(getattr(ontology, name))
    for prefix, namespace in ontology.prefixes.items():
        yield f"prefixes/{prefix}", prefix + namespace
    for level in ontology.levels:
        yield "levels", level
    for kind in KINDS:
        for term in ontology.entries(kind):
            where = f"{kind}/{term.id}"
            yield f"{where}/id", term.id
            yield f"{where}/label", term.label
            if term.definition:
                yield f"{where}/definition", term.definition
            for field_name in ("parents", "xrefs", "provenance", "definition_xrefs", "consider"):
                for value in getattr(term, field_name):
                    yield f"{where}/{field_name}", value
            for synonym in term.synonyms:
                yield f"{where}/synonyms", synonym.text
            if term.replaced_by:
                yield f"{where}/replaced_by", term.replaced_by
            if isinstance(term, Condition):
                for value in (*term.concepts, *term.findings, *term.observed_concepts):
                    yield f"{where}/features", value
            elif isinstance(term, Concept | Finding) and term.category is not None:
                yield f"{where}/category", term.category.value
    for group in ontology.disjoint:
        for member in group.classes:
            yield "disjoint", member
        yield "disjoint/reason", group.reason


def check_characters(ontology: Ontology) -> None:
    """Refuse text no RDF file can carry, naming where it is.

    >>> from derm_onto.model import Condition, Ontology
    >>> bad = Ontology(id="x", title="X", base_iri="https://e.org/", prefixes={"X": "https://e.org/X_"},
    ...                conditions=(Condition(id="X:1", label="hair \\ud800 disease"),))
    >>> check_characters(bad)
    Traceback (most recent call last):
    ...
    derm_onto.errors.InvalidCharacterError: conditions/X:1/label: character U+D800 (a lone surrogate) cannot be written to RDF; run derm-onto validate
    """  # noqa: E501
    if not _BAD_CHARACTER.search("\n".join(text for _, text in _strings(ontology))):
        return  # one scan of everything; the loop below only names the place
    for where, text in _strings(ontology):
        found = _BAD_CHARACTER.search(text)
        if found:
            code = ord(found.group())
            what = (
                "a lone surrogate"
                if 0xD800 <= code <= 0xDFFF
                else "NUL"
                if code == 0
                else "a noncharacter"
                if code > 0xFFFD
                else "a control character"
            )
            raise InvalidCharacterError(
                f"{where}: character U+{code:04X} ({what}) cannot be written to RDF; "
                "run derm-onto validate"
            )
