"""The dataset graph's vocabulary: standard terms (schema.org, Dublin Core) and the
properties declared in the ontology's namespace, with every condition's class per level."""

from __future__ import annotations

from derm_onto import hierarchy
from derm_onto.labels import LabelPlan
from derm_onto.model import Ontology

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"


class Vocabulary:
    """The IRIs a dataset graph uses, for one ontology."""

    def __init__(self, ontology: Ontology, n_levels: int) -> None:
        base = ontology.base_iri
        self.base = base
        self.has_feature = base + "has_feature"
        self.has_diagnosis = base + "has_diagnosis"
        self.shows_concept = base + "shows_concept"
        self.body_site = base + "body_site"
        self.symptom = base + "symptom"
        self.source_type = base + "source_type"
        self.patient_age = base + "patient_age"
        self.patient_sex = base + "patient_sex"
        self.fitzpatrick_type = base + "fitzpatrick_type"
        self.modality = base + "modality"
        self.split = base + "split"
        self.level_number = base + "level_number"
        self.level_class = {k: f"{base}level_{k}_class" for k in range(1, n_levels + 1)}
        self.image_class = SCHEMA + "ImageObject"
        self.identifier = DCTERMS + "identifier"
        self.source = DCTERMS + "source"
        self.caption = SCHEMA + "caption"
        self.ontology_graph = f"{base}{ontology.id}.owl"
        self.data_graph = f"{base}{ontology.id}/dataset"

    def bindings(self) -> dict[str, str]:
        """Query variables bound to these IRIs (``?has_diagnosis`` ...), for the library."""
        return {
            "has_diagnosis": self.has_diagnosis,
            "shows_concept": self.shows_concept,
            "has_body_site": self.body_site,
            "has_symptom": self.symptom,
            "has_source": self.source,
            "has_source_type": self.source_type,
            "has_patient_age": self.patient_age,
            "has_patient_sex": self.patient_sex,
            "has_fitzpatrick_type": self.fitzpatrick_type,
            "has_modality": self.modality,
            "has_split": self.split,
            "has_identifier": self.identifier,
            "has_caption": self.caption,
            "level_number": self.level_number,
            "image_class": self.image_class,
        }


def _iri(value: str) -> str:
    return f"<{value}>"


def _literal(text: str, datatype: str | None = None) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"' + (f"^^<{XSD}{datatype}>" if datatype else "")


def vocabulary_triples(ontology: Ontology, plan: LabelPlan, vocab: Vocabulary) -> list[str]:
    """Declarations of the dataset properties and every condition's class at each level,
    as N-Triples lines (without the final `` .``), sorted.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> lines = vocabulary_triples(onto, LabelPlan(onto), Vocabulary(onto, 4))
    >>> live = [c for c in onto.conditions if not c.obsolete]
    >>> sum(" <https://w3id.org/derm-onto/level_2_class> " in line for line in lines) == len(live)
    True
    """
    label = RDFS + "label"
    out: list[tuple[str, str, str]] = []

    def prop(iri: str, kind: str, text: str, parent: str | None = None) -> None:
        out.append((_iri(iri), _iri(RDF_TYPE), _iri(OWL + kind)))
        out.append((_iri(iri), _iri(label), _literal(text)))
        if parent is not None:
            out.append((_iri(iri), _iri(RDFS + "subPropertyOf"), _iri(parent)))

    prop(vocab.has_diagnosis, "ObjectProperty", "has diagnosis", DCTERMS + "subject")
    prop(vocab.shows_concept, "ObjectProperty", "shows concept", vocab.has_feature)
    prop(vocab.body_site, "ObjectProperty", "body site", vocab.has_feature)
    prop(vocab.symptom, "ObjectProperty", "symptom", vocab.has_feature)
    for iri, text in (
        (vocab.source_type, "source type"),
        (vocab.patient_age, "patient age"),
        (vocab.patient_sex, "patient sex"),
        (vocab.fitzpatrick_type, "Fitzpatrick skin type"),
        (vocab.modality, "imaging modality"),
        (vocab.split, "dataset split"),
    ):
        prop(iri, "DatatypeProperty", text)
    prop(vocab.level_number, "AnnotationProperty", "level number")
    names = ontology.levels or tuple(f"level {k}" for k in vocab.level_class)
    for k, iri in vocab.level_class.items():
        prop(iri, "ObjectProperty", f"class at level {k} ({names[k - 1]})")
        out.append((_iri(iri), _iri(vocab.level_number), f'"{k}"^^<{XSD}integer>'))
    for node, path in sorted(plan.paths.items()):
        for k, iri in vocab.level_class.items():
            target = hierarchy.project(path, k, plan.n_levels)
            out.append((_iri(ontology.expand(node)), _iri(iri), _iri(ontology.expand(target))))
    return sorted(f"{s} {p} {o}" for s, p, o in set(out))
