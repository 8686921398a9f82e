"""The serializer registry: one entry per file format, chosen by name or file extension.

Each format is a :class:`Serializer` registered with :func:`register`; the ``export`` and
``import`` commands look formats up here (pronto's registry is the model). A module that adds
formats registers them at import time and is listed in :data:`PLUGIN_MODULES`, which
:func:`find` imports on first use, so ``derm-onto --help`` never loads rdflib.

>>> find("out.ttl").name, find("jsonld").name
('ttl', 'jsonld')
>>> find("x.txt")
Traceback (most recent call last):
...
derm_onto.errors.UnsupportedFormatError: could not find a serializer to handle 'x.txt' (formats: context, jsonld, nt, ...)

A new format is one entry (the obo, obographs and sssom writers register this way):

>>> demo = Serializer("demo", (".demo.txt",), "a demo", lambda ontology: b"demo\\n")
>>> register(demo) is demo and find("out.demo.txt") is demo
True
>>> _ = _REGISTRY.pop("demo")
"""  # noqa: E501

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from derm_onto.errors import UnsupportedFormatError
from derm_onto.model import Kind, Ontology

if TYPE_CHECKING:
    from derm_onto.validate import ValidationFinding

#: Where formats come from: ``"module"`` registers its formats when imported,
#: ``"module:function"`` when ``function()`` is called. A module listed here that is not
#: installed is skipped (a helper's formats may land after this registry).
PLUGIN_MODULES: list[str] = ["derm_onto.rdf.formats", "derm_onto.obo:register_formats"]

#: default limits on an imported file (issue #10: a hostile file fails fast)
MAX_FILE_BYTES = 1 << 30
MAX_LITERAL_BYTES = 10_000_000


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file: size limits, and the kind of classes that carry no
    ``entry_kind`` (foreign ontologies; None: conditions when the file has none at all)."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_literal_bytes: int = MAX_LITERAL_BYTES
    default_kind: Kind | None = None


Writer = Callable[[Ontology], bytes]
Reader = Callable[[bytes, str, ReadOptions], "tuple[Ontology | None, list[ValidationFinding]]"]


@dataclass(frozen=True)
class Serializer:
    """One format: its name (``--format``), the file extensions that select it (longest
    match wins, so ``.context.jsonld`` beats ``.jsonld``), a one-line description, a writer
    (model -> bytes, deterministic) and optionally a reader (bytes -> model + findings)."""

    name: str
    extensions: tuple[str, ...]
    description: str
    write: Writer
    read: Reader | None = field(default=None)


_REGISTRY: dict[str, Serializer] = {}
_loaded: list[str] = []


def register(serializer: Serializer, *, replace: bool = False) -> Serializer:
    """Add a format; registering a taken name is an error unless ``replace``."""
    if serializer.name in _REGISTRY and not replace and _REGISTRY[serializer.name] != serializer:
        raise ValueError(f"a serializer named {serializer.name!r} is already registered")
    _REGISTRY[serializer.name] = serializer
    return serializer


def _load_plugins() -> None:
    for entry in PLUGIN_MODULES:
        if entry in _loaded:
            continue
        _loaded.append(entry)
        name, _, function = entry.partition(":")
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        if function:
            getattr(module, function)()


def serializers() -> tuple[Serializer, ...]:
    """Every registered format, sorted by name."""
    _load_plugins()
    return tuple(_REGISTRY[name] for name in sorted(_REGISTRY))


def names(*, readable: bool = False) -> list[str]:
    """The format names (only those with a reader when ``readable``)."""
    return [s.name for s in serializers() if s.read is not None or not readable]


def find(name_or_path: str, *, readable: bool = False) -> Serializer:
    """The format named, or implied by a file's extension; :class:`UnsupportedFormatError`
    (a ``ValueError``) listing the formats otherwise."""
    found = serializers()
    for serializer in found:
        if serializer.name == name_or_path:
            chosen: Serializer | None = serializer
            break
    else:
        lowered = name_or_path.lower()
        matches = [(len(ext), s) for s in found for ext in s.extensions if lowered.endswith(ext)]
        chosen = max(matches, key=lambda m: m[0])[1] if matches else None
    if chosen is None or (readable and chosen.read is None):
        raise UnsupportedFormatError(name_or_path, names(readable=readable))
    return chosen
