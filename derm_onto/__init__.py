"""derm-onto: a dermatology ontology as a validated, queryable, trainable artefact.

Only the names in ``__all__`` are the stable public API. They are loaded lazily, so
``import derm_onto`` (and the command line's ``--help``) stays fast.

>>> import derm_onto
>>> onto = derm_onto.load(derm_onto.bundled_ontology_path())
>>> len(onto.conditions) > 0
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "CaptionOptions": "derm_onto.captions",
    "Concept": "derm_onto.model",
    "ConceptCategory": "derm_onto.model",
    "Condition": "derm_onto.model",
    "DermOntoError": "derm_onto.errors",
    "DisjointGroup": "derm_onto.model",
    "EvaluationResult": "derm_onto.evaluation",
    "Finding": "derm_onto.model",
    "FindingCategory": "derm_onto.model",
    "Kind": "derm_onto.model",
    "LabelOptions": "derm_onto.labels",
    "LabelReport": "derm_onto.labels",
    "Match": "derm_onto.matching",
    "Matcher": "derm_onto.matching",
    "Ontology": "derm_onto.model",
    "OntologyLoadError": "derm_onto.errors",
    "OntologyValidationError": "derm_onto.errors",
    "Synonym": "derm_onto.model",
    "SynonymType": "derm_onto.model",
    "Term": "derm_onto.model",
    "UnknownTermError": "derm_onto.errors",
    "ValidationFinding": "derm_onto.validate",
    "bundled_ontology_path": "derm_onto.resources",
    "caption_arrow": "derm_onto.captions",
    "caption_table": "derm_onto.captions",
    "check_file": "derm_onto.validate",
    "dump": "derm_onto.jsonio",
    "dumps": "derm_onto.jsonio",
    "evaluate": "derm_onto.evaluation",
    "label_arrow": "derm_onto.labels",
    "label_table": "derm_onto.labels",
    "load": "derm_onto.jsonio",
    "resolve_class": "derm_onto.matching",
    "resolve_term": "derm_onto.matching",
    "validate_document": "derm_onto.validate",
    "validate_file": "derm_onto.validate",
}

__all__ = [
    "CaptionOptions",
    "Concept",
    "ConceptCategory",
    "Condition",
    "DermOntoError",
    "DisjointGroup",
    "EvaluationResult",
    "Finding",
    "FindingCategory",
    "Kind",
    "LabelOptions",
    "LabelReport",
    "Match",
    "Matcher",
    "Ontology",
    "OntologyLoadError",
    "OntologyValidationError",
    "Synonym",
    "SynonymType",
    "Term",
    "UnknownTermError",
    "ValidationFinding",
    "__version__",
    "bundled_ontology_path",
    "caption_arrow",
    "caption_table",
    "check_file",
    "dump",
    "dumps",
    "evaluate",
    "label_arrow",
    "label_table",
    "load",
    "resolve_class",
    "resolve_term",
    "validate_document",
    "validate_file",
]

if TYPE_CHECKING:
    from derm_onto.captions import CaptionOptions, caption_arrow, caption_table
    from derm_onto.errors import (
        DermOntoError,
        OntologyLoadError,
        OntologyValidationError,
        UnknownTermError,
    )
    from derm_onto.evaluation import EvaluationResult, evaluate
    from derm_onto.jsonio import dump, dumps, load
    from derm_onto.labels import LabelOptions, LabelReport, label_arrow, label_table
    from derm_onto.matching import Match, Matcher, resolve_class, resolve_term
    from derm_onto.model import (
        Concept,
        ConceptCategory,
        Condition,
        DisjointGroup,
        Finding,
        FindingCategory,
        Kind,
        Ontology,
        Synonym,
        SynonymType,
        Term,
    )
    from derm_onto.resources import bundled_ontology_path
    from derm_onto.validate import ValidationFinding, check_file, validate_document, validate_file


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'derm_onto' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module_name), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
