"""Zero-shot prompt sets: class names of an evaluation dataset (or a level of the ontology),
each resolved to an ontology class and expanded into prompts (templates x names).

The built-in templates are the skin templates of the Derm1M evaluation code (its public
copies list seven); class lists are Derm1M's zero-shot orders for HAM10000, PAD-UFES-20,
Daffodil and Fitzpatrick17k. ``ontology_aug`` writes each class as its ontology path (as
Derm1M's ontology-augmented prompts do); ``subclasses`` adds each class's subclasses
(CHiLS-style). Concept prompts pair a target prompt with a reference prompt for MONET-style
concept scoring.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path())
>>> prompts = class_prompts(onto, ["melanoma"], templates=("This is a skin image of {}",))
>>> prompts["melanoma"][0]
'This is a skin image of melanoma'
>>> "this is a skin image of malignant melanoma" in [p.lower() for p in prompts["melanoma"]]
True
>>> prompts["melanoma"][-1]  # abbreviations come last
'This is a skin image of MEL'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from derm_onto import hierarchy
from derm_onto.errors import DermOntoError, UnknownTermError
from derm_onto.matching import Match, Matcher
from derm_onto.model import Ontology, SynonymType

DERM1M_TEMPLATES: tuple[str, ...] = (
    "This is a skin image of {}",
    "A skin image of {}.",
    "An image of {}, a skin condition.",
    "{}, a skin disorder, is shown in this image.",
    "The skin lesion depicted is {}.",
    "The skin cancer in this image is {}.",
    "This image depicts {}, a type of skin cancer.",
)


class _DatasetClasses(Mapping[str, tuple[str, ...]]):
    """Zero-shot class lists in evaluation order (the label index is the position), read
    from the bundled ``datasets/<name>.txt`` files (``#`` lines say where a list comes from)."""

    def _files(self) -> dict[str, Any]:
        from derm_onto.resources import data_dir

        folder = data_dir("datasets")
        return {f.name.removesuffix(".txt"): f for f in folder.iterdir() if f.name.endswith(".txt")}

    def __getitem__(self, name: str) -> tuple[str, ...]:
        text = self._files()[name].read_text(encoding="utf-8")
        return tuple(
            line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
        )

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._files()))

    def __len__(self) -> int:
        return len(self._files())


#: Built-in zero-shot class lists by dataset name.
DATASETS: Mapping[str, tuple[str, ...]] = _DatasetClasses()

CONCEPT_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("This is a skin image of {}", "This is a skin image"),
    ("This is a dermatology image of {}", "This is a dermatology image"),
    ("A photo of skin with {}", "A photo of skin"),
    ("A close-up image showing {}", "A close-up image"),
)


#: Templates for an ontology that is not about skin (HPO, the Disease Ontology, ...): they
#: name the class and nothing the ontology does not say.
GENERIC_TEMPLATES: tuple[str, ...] = (
    "{}",
    "a photo of {}.",
    "an image showing {}.",
    "a clinical image of {}.",
)

_DERMATOLOGY = re.compile(r"dermat|skin|cutaneous", re.IGNORECASE)


def is_dermatology(ontology: Ontology) -> bool:
    """True for a dermatology ontology (its title, description or id says so): only then do
    the default prompts speak of skin images.

    >>> from derm_onto.model import Ontology
    >>> hp = Ontology(id="hp", title="Human Phenotype Ontology", base_iri="", prefixes={})
    >>> is_dermatology(hp)
    False
    """
    return bool(_DERMATOLOGY.search(f"{ontology.id} {ontology.title} {ontology.description}"))


def load_templates(spec: str, ontology: Ontology | None = None) -> tuple[str, ...]:
    """``auto`` (``derm1m`` for a dermatology ontology, else ``generic``), ``derm1m``,
    ``generic``, or a file with one template per line, each holding one ``{}``."""
    if spec == "auto":
        spec = "derm1m" if ontology is None or is_dermatology(ontology) else "generic"
    if spec == "derm1m":
        return DERM1M_TEMPLATES
    if spec == "generic":
        return GENERIC_TEMPLATES
    try:
        lines = [line.strip() for line in Path(spec).read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise DermOntoError(f"{spec}: cannot read templates: {exc.strerror}") from None
    templates = tuple(line for line in lines if line and not line.startswith("#"))
    for number, template in enumerate(templates, 1):
        if template.count("{}") != 1:
            raise DermOntoError(f"{spec}: template {number} must hold exactly one '{{}}'")
    if not templates:
        raise DermOntoError(f"{spec}: no templates")
    return templates


def _names(ontology: Ontology, term_id: str) -> list[str]:
    term = ontology.term(term_id)
    names = [term.label]  # then exact synonyms, then abbreviations (weaker prompts)
    names += [s.text for s in term.synonyms if s.type is SynonymType.EXACT]
    names += [s.text for s in term.synonyms if s.type is SynonymType.ABBREVIATION]
    return list(dict.fromkeys(names))


def class_prompts(
    ontology: Ontology,
    classes: Sequence[str],
    *,
    templates: Sequence[str] = DERM1M_TEMPLATES,
    ontology_aug: bool = False,
    subclasses: bool = False,
    use_synonyms: bool = True,
    keep_unmatched: bool = False,
    source: str = "",
    concept_evidence: Any = None,
) -> dict[str, list[str]]:
    """Class name -> prompts, in the given class order.

    A class name is resolved as :meth:`Matcher.resolve_class` does, so a compound name
    ("Acne and Rosacea Photos", "X and other Y") is the union of its members: the prompts
    use the name as written, then each member's names (its ontology path with
    ``ontology_aug``, its subclasses with ``subclasses``). Every class must resolve; the
    error names each one that does not, with the labels of the closest entries. With
    ``keep_unmatched`` such a class is kept, prompted by its name alone. ``source`` (the
    class list's file) prefixes error messages. With ``concept_evidence`` (an
    :class:`~derm_onto.associations.text.ConceptEvidence`) each name of a single-class entry
    is described by its most supported concepts.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> class_prompts(onto, ["Acne and Rosacea Photos"], templates=("{}",), use_synonyms=False)
    {'Acne and Rosacea Photos': ['Acne and Rosacea Photos', 'acne', 'rosacea']}
    >>> class_prompts(onto, ["psoriasis", "qqq"], templates=("{}",), keep_unmatched=True)["qqq"]
    ['qqq']
    """
    matcher = Matcher(ontology)
    graph = hierarchy.build_graph(ontology)
    paths = hierarchy.primary_paths(graph)
    resolved = {name: matcher.resolve_class(name) for name in dict.fromkeys(classes)}
    unknown = [found for found in resolved.values() if not found.ids]
    if unknown and not keep_unmatched:
        raise UnknownTermError(_unresolved_message(ontology, unknown, source))
    out: dict[str, list[str]] = {}
    for name in classes:
        ids = resolved[name].ids
        if ontology_aug and ids:
            texts = [", ".join(graph.nodes[n]["label"] for n in paths[i]) for i in ids]
        elif use_synonyms:
            texts = [name] + [n for i in ids for n in _names(ontology, i)]
        else:
            texts = [name] + ([ontology.term(i).label for i in ids] if len(ids) > 1 else [])
        if subclasses:
            texts += [graph.nodes[c]["label"] for i in ids for c in hierarchy.descendants(graph, i)]
        texts = list(dict.fromkeys(texts))
        if concept_evidence is not None and len(ids) == 1:
            # "melanoma, with irregular pigment network and blue-white veil"
            texts = [concept_evidence.prompt_name(ids[0], text) for text in texts]
        out[name] = [t.format(text) for text in texts for t in templates]
    return out


def _unresolved_message(ontology: Ontology, unknown: Sequence[Match], source: str) -> str:
    """Each class name that does not resolve, with the labels of its closest entries."""
    said = []
    for found in unknown:
        labels = [repr(ontology.term(c).label) for c in found.candidates]
        why = f"{', '.join(labels)}?" if labels else "no close names"
        what = "ambiguous, candidates" if found.method == "ambiguous" else "did you mean"
        said.append(f"{found.input!r} ({what}: {why})" if labels else f"{found.input!r}")
    where = f"{source}: " if source else ""
    plural = "class does" if len(unknown) == 1 else f"{len(unknown)} classes do"
    return (
        f"{where}{plural} not resolve to an ontology class: {'; '.join(said)}; fix the names "
        "or keep them as written with --keep-unmatched"
    )


def level_classes(ontology: Ontology, level: int) -> list[str]:
    """The labels of the classes at a level (see :func:`derm_onto.hierarchy.project`)."""
    graph = hierarchy.build_graph(ontology)
    n_levels = len(ontology.levels) or 4
    return [graph.nodes[c]["label"] for c in hierarchy.level_classes(graph, level, n_levels)]


def concept_prompts(ontology: Ontology) -> dict[str, dict[str, list[str]]]:
    """Concept label -> {"target": [...], "reference": [...]} for concept scoring."""
    out: dict[str, dict[str, list[str]]] = {}
    for concept in sorted(ontology.concepts, key=lambda c: c.label):
        names = list(dict.fromkeys([concept.label, *(s.text for s in concept.synonyms)]))
        out[concept.label] = {
            "target": [t.format(n) for n in names for t, _ in CONCEPT_TEMPLATES],
            "reference": [ref for _, ref in CONCEPT_TEMPLATES],
        }
    return out


def dumps_prompts(prompts: Mapping[str, Any]) -> bytes:
    """Prompts as JSON, keys in the given (evaluation) order, UTF-8, final newline."""
    return (json.dumps(prompts, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
