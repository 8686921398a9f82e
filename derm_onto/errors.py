"""Exception types of derm-onto.

Every error a user can cause is a :class:`DermOntoError`; the CLI prints it as one line and
exits with status 1. The classes also subclass the matching built-in, so callers can catch
``ValueError`` or ``KeyError`` as usual.

>>> issubclass(UnknownTermError, KeyError)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from derm_onto.validate import ValidationFinding


class DermOntoError(Exception):
    """Base class of every error derm-onto raises on bad input."""


class OntologyLoadError(DermOntoError, ValueError):
    """A file could not be read as an ontology (not JSON, bad bytes, wrong shape).

    ``code`` is a short machine-readable name (``invalid_json``, ``not_utf8``, ...).
    """

    def __init__(self, source: str, code: str, message: str) -> None:
        self.source = source
        self.code = code
        self.message = message
        super().__init__(f"{source}: {message}")


class OntologyValidationError(DermOntoError, ValueError):
    """An ontology has error-level findings; ``findings`` lists all of them."""

    def __init__(self, source: str, findings: Sequence[ValidationFinding]) -> None:
        self.source = source
        self.findings = tuple(findings)
        errors = [f for f in self.findings if f.severity == "error"]
        first = errors[0] if errors else (self.findings[0] if self.findings else None)
        detail = f"{first.path or '/'}: {first.code}: {first.message}" if first else "invalid"
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(f"{source}:{detail}{more}")


class CurationError(DermOntoError, ValueError):
    """A curation file that cannot be applied; the message names the JSON path."""


class InvalidArgumentError(DermOntoError, ValueError):
    """A value outside what the ontology allows, such as a level below 1 or past the last."""


class UnknownTermError(DermOntoError, KeyError):
    """A term id or label that the ontology does not contain."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message plain
        return str(self.args[0]) if self.args else "unknown term"


class RenderError(DermOntoError, RuntimeError):
    """A picture could not be drawn (graphviz's ``dot`` program is missing or failed)."""


class UnsupportedFormatError(DermOntoError, ValueError):
    """No serializer handles this format name or file extension (pronto's wording).

    >>> str(UnsupportedFormatError("x.txt"))
    "could not find a serializer to handle 'x.txt'"
    """

    def __init__(self, name: str, known: Sequence[str] = ()) -> None:
        self.name = name
        self.known = tuple(known)
        listed = f" (formats: {', '.join(self.known)})" if self.known else ""
        super().__init__(f"could not find a serializer to handle {name!r}{listed}")


class UnsafeInputError(DermOntoError, ValueError):
    """An input refused before parsing: over a size limit, XML entity tricks, a remote
    JSON-LD ``@context``."""


class InvalidCharacterError(DermOntoError, ValueError):
    """Text that no RDF file can carry (a lone surrogate, a control character, NUL)."""
