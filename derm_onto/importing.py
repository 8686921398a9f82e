"""Import a file in another format into the model: read, validate, decide.

One sequence for every importer (RDF, OBO, ...): the file is size-checked before it is
read, its reader returns the model and findings, the model is validated, and the result
says whether it may be written (no errors, and not empty).

>>> import tempfile, pathlib
>>> from derm_onto.formats import ReadOptions, find
>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> path = pathlib.Path(tempfile.mkdtemp()) / "starter.ttl"
>>> _ = path.write_bytes(find("ttl").write(load(bundled_ontology_path("starter.json"))))
>>> result = import_file(path, find("ttl").read, ReadOptions())
>>> result.refusal, result.summary().split(",")[0].split()[1]
('', 'conditions')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from derm_onto.errors import OntologyLoadError
from derm_onto.formats import Reader, ReadOptions
from derm_onto.model import Ontology

if TYPE_CHECKING:
    from derm_onto.validate import ValidationFinding


@dataclass(frozen=True)
class ImportResult:
    """What an import produced: the ontology (None when it could not be built), every
    finding (reader's and validation's), and why it must not be written (empty if it may)."""

    ontology: Ontology | None
    findings: list[ValidationFinding] = field(default_factory=list)
    refusal: str = ""

    def summary(self) -> str:
        """``N conditions, M concepts, K findings`` (plus what was dropped)."""
        onto = self.ontology
        if onto is None:
            return "nothing imported"
        dropped = sum(
            int(f.message.split()[0])
            for f in self.findings
            if f.code == "dropped" and f.message.split()[0].isdigit()
        )
        tail = f"; {dropped} items dropped (listed above)" if dropped else ""
        return (
            f"{len(onto.conditions)} conditions, {len(onto.concepts)} concepts, "
            f"{len(onto.findings)} findings{tail}"
        )


def read_limited(path: str | os.PathLike[str], options: ReadOptions) -> bytes:
    """The file's bytes, refused before reading when over ``options.max_file_bytes``."""
    from derm_onto.jsonio import read_bytes
    from derm_onto.rdf.safe import check_size

    try:
        size = Path(path).stat().st_size
    except OSError:
        return read_bytes(path)  # which says in one line what is wrong with the path
    check_size(size, os.fspath(path), options.max_file_bytes)
    return read_bytes(path)


def import_file(
    path: str | os.PathLike[str], reader: Reader | None, options: ReadOptions
) -> ImportResult:
    """Read ``path`` with ``reader`` and validate the result."""
    from derm_onto.jsonio import to_dict
    from derm_onto.validate import has_failures, validate_document

    source = os.fspath(path)
    if reader is None:
        raise OntologyLoadError(source, "unreadable", "this format cannot be imported")
    ontology, findings = reader(read_limited(path, options), source, options)
    if ontology is None:
        return ImportResult(None, findings, "nothing could be read")
    if not any(True for _ in ontology.terms()):
        return ImportResult(
            ontology, findings, "no classes could be imported (see the dropped counts above)"
        )
    findings = [*findings, *validate_document(to_dict(ontology))]
    if has_failures(findings):
        errors = sum(1 for f in findings if f.severity == "error")
        return ImportResult(ontology, findings, f"{errors} errors (listed above); nothing written")
    return ImportResult(ontology, findings)
