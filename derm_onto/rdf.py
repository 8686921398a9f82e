"""The ontology as OWL in RDF, following OBO conventions, and back again without loss.

=========================  ==============================================================
JSON                       OWL / RDF
=========================  ==============================================================
header                     ``owl:Ontology`` <base_iri><id>.owl with ``dcterms:title``,
                           ``dcterms:description``, ``dcterms:license``, ``owl:versionIRI``,
                           ``owl:versionInfo``; prefixes as SHACL ``sh:declare``; levels as a
                           project annotation
condition/concept/finding  ``owl:Class`` with the project annotation ``entry_kind``
label                      ``rdfs:label`` (exactly one)
definition                 ``obo:IAO_0000115``
synonyms                   ``oboInOwl:has{Exact,Related,Broad,Narrow}Synonym``; an
                           abbreviation is an exact synonym whose axiom annotation
                           ``oboInOwl:hasSynonymType`` is ``OMO:0003000`` (abbreviation)
xrefs                      ``oboInOwl:hasDbXref`` (CURIE string)
provenance, category       project annotations ``provenance`` and ``category``
parents                    ``rdfs:subClassOf``
concepts, findings         ``rdfs:subClassOf [owl:onProperty :has_feature;
                           owl:someValuesFrom :X]``
disjoint                   ``owl:AllDisjointClasses`` with ``owl:members`` (and the reason
                           as ``rdfs:comment``)
=========================  ==============================================================

Blank nodes get ids derived from what they describe, so two exports of the same ontology are
byte-identical in every format. :func:`from_graph` reads such a graph back; RDF that breaks
the conventions yields :class:`~derm_onto.validate.Finding` s, never a traceback.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path("starter.json"))
>>> ontology, findings = from_graph(to_graph(onto))
>>> ontology == onto, findings
(True, [])
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from derm_onto.errors import DermOntoError
from derm_onto.model import (
    KINDS,
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
from derm_onto.validate import Finding as ValidationFinding

RdfFormat = Literal["ttl", "owl", "nt", "jsonld"]
#: derm-onto format name -> rdflib serializer name
SERIALIZERS: dict[str, str] = {
    "ttl": "turtle",
    "owl": "pretty-xml",
    "nt": "nt",
    "jsonld": "json-ld",
}
PARSERS: dict[str, str] = {"ttl": "turtle", "owl": "xml", "nt": "nt", "jsonld": "json-ld"}
EXTENSIONS: dict[str, str] = {
    ".ttl": "ttl",
    ".owl": "owl",
    ".rdf": "owl",
    ".xml": "owl",
    ".nt": "nt",
    ".jsonld": "jsonld",
    ".json": "jsonld",
}

OBO = "http://purl.obolibrary.org/obo/"
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
DCTERMS = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"
DEFINITION = OBO + "IAO_0000115"
ABBREVIATION = OBO + "OMO_0003000"
SYNONYM_PROPERTIES: dict[SynonymType, str] = {
    SynonymType.EXACT: OBOINOWL + "hasExactSynonym",
    SynonymType.RELATED: OBOINOWL + "hasRelatedSynonym",
    SynonymType.BROAD: OBOINOWL + "hasBroadSynonym",
    SynonymType.NARROW: OBOINOWL + "hasNarrowSynonym",
}
_KIND_NAMES: dict[Kind, str] = {
    "conditions": "condition",
    "concepts": "concept",
    "findings": "finding",
}


def rdf_format(name_or_path: str) -> RdfFormat:
    """The RDF format named, or implied by a file extension; ``ValueError`` otherwise.

    >>> rdf_format("out.ttl"), rdf_format("jsonld")
    ('ttl', 'jsonld')
    """
    if name_or_path in SERIALIZERS:
        return name_or_path  # type: ignore[return-value]
    for ext, fmt in EXTENSIONS.items():
        if name_or_path.lower().endswith(ext):
            return fmt  # type: ignore[return-value]
    raise ValueError(f"could not find a serializer to handle {name_or_path!r}")


def _project(base_iri: str, name: str) -> str:
    return base_iri + name


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", text)


def to_graph(ontology: Ontology) -> Any:
    """The ontology as an rdflib Graph (OWL), with deterministic blank node ids."""
    from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef

    g = Graph(bind_namespaces="none")
    base = ontology.base_iri
    P = Namespace(base)
    dct = Namespace(DCTERMS)
    sh = Namespace(SH)
    for prefix, namespace in sorted(ontology.prefixes.items()):
        g.bind(
            prefix.lower() if prefix.lower() not in ("owl", "rdf", "rdfs") else prefix, namespace
        )
    for prefix, namespace in (
        ("owl", str(OWL)),
        ("rdf", str(RDF)),
        ("rdfs", str(RDFS)),
        ("xsd", str(XSD)),
        ("obo", OBO),
        ("oboInOwl", OBOINOWL),
        ("dcterms", DCTERMS),
        ("sh", SH),
        ("dermonto", base),
    ):
        g.bind(prefix, namespace, override=True)
    onto_iri = URIRef(f"{base}{ontology.id}.owl")
    g.add((onto_iri, RDF.type, OWL.Ontology))
    g.add((onto_iri, dct.title, Literal(ontology.title)))
    if ontology.description:
        g.add((onto_iri, dct.description, Literal(ontology.description)))
    if ontology.license:
        g.add(
            (
                onto_iri,
                dct.license,
                URIRef(ontology.license)
                if re.match(r"https?://", ontology.license)
                else Literal(ontology.license),
            )
        )
    if ontology.version:
        g.add((onto_iri, OWL.versionInfo, Literal(ontology.version)))
        g.add(
            (
                onto_iri,
                OWL.versionIRI,
                URIRef(f"{base}{ontology.id}/{ontology.version}/{ontology.id}.owl"),
            )
        )
    if ontology.levels:
        g.add((onto_iri, P.levels, Literal(json.dumps(list(ontology.levels)))))
    for prefix, namespace in sorted(ontology.prefixes.items()):
        decl = BNode(f"prefix_{_safe(prefix)}")
        g.add((onto_iri, sh.declare, decl))
        g.add((decl, sh.prefix, Literal(prefix)))
        g.add((decl, sh.namespace, Literal(namespace, datatype=XSD.anyURI)))
    # vocabulary declarations, so OWL tools load the file without guessing
    for prop, label in (
        (DEFINITION, "definition"),
        (OBOINOWL + "hasDbXref", "database_cross_reference"),
        (OBOINOWL + "hasSynonymType", "has_synonym_type"),
        *((p, p.rsplit("#", 1)[1]) for p in SYNONYM_PROPERTIES.values()),
        (base + "provenance", "provenance"),
        (base + "category", "category"),
        (base + "entry_kind", "entry kind"),
        (base + "levels", "levels"),
        (DCTERMS + "title", "title"),
        (DCTERMS + "description", "description"),
        (DCTERMS + "license", "license"),
        (SH + "declare", "declare"),
        (SH + "prefix", "prefix"),
        (SH + "namespace", "namespace"),
    ):
        g.add((URIRef(prop), RDF.type, OWL.AnnotationProperty))
        g.add((URIRef(prop), RDFS.label, Literal(label)))
    g.add((URIRef(ABBREVIATION), RDF.type, OWL.AnnotationProperty))
    g.add((URIRef(ABBREVIATION), RDFS.label, Literal("abbreviation")))
    has_feature = P.has_feature
    g.add((has_feature, RDF.type, OWL.ObjectProperty))
    g.add((has_feature, RDFS.label, Literal("has feature")))
    g.add(
        (
            has_feature,
            URIRef(DEFINITION),
            Literal("Relates a condition to a clinical concept or finding it typically shows."),
        )
    )

    for kind in KINDS:
        for term in ontology.entries(kind):
            _add_term(g, ontology, term, kind, P)
    for n, group in enumerate(sorted(ontology.disjoint, key=lambda d: sorted(d.classes))):
        axiom = BNode(f"disjoint_{n}")
        g.add((axiom, RDF.type, OWL.AllDisjointClasses))
        if group.reason:
            g.add((axiom, RDFS.comment, Literal(group.reason)))
        members = sorted(group.classes)
        cells = [BNode(f"disjoint_{n}_{i}") for i in range(len(members))]
        g.add((axiom, OWL.members, cells[0]))
        for i, (cell, member) in enumerate(zip(cells, members, strict=True)):
            g.add((cell, RDF.first, URIRef(ontology.expand(member))))
            g.add((cell, RDF.rest, cells[i + 1] if i + 1 < len(cells) else RDF.nil))
    return g


def _add_term(g: Any, ontology: Ontology, term: Term, kind: Kind, P: Any) -> None:
    from rdflib import OWL, RDF, RDFS, BNode, Literal, URIRef

    iri = URIRef(ontology.expand(term.id))
    local = _safe(term.id)
    g.add((iri, RDF.type, OWL.Class))
    g.add((iri, RDFS.label, Literal(term.label)))
    g.add((iri, P.entry_kind, Literal(_KIND_NAMES[kind])))
    if term.definition:
        g.add((iri, URIRef(DEFINITION), Literal(term.definition)))
    for parent in sorted(set(term.parents)):
        g.add((iri, RDFS.subClassOf, URIRef(ontology.expand(parent))))
    for n, syn in enumerate(sorted(set(term.synonyms))):
        prop = URIRef(SYNONYM_PROPERTIES.get(syn.type, SYNONYM_PROPERTIES[SynonymType.EXACT]))
        g.add((iri, prop, Literal(syn.text)))
        if syn.type is SynonymType.ABBREVIATION:
            axiom = BNode(f"syn_{local}_{n}")
            g.add((axiom, RDF.type, OWL.Axiom))
            g.add((axiom, OWL.annotatedSource, iri))
            g.add((axiom, OWL.annotatedProperty, prop))
            g.add((axiom, OWL.annotatedTarget, Literal(syn.text)))
            g.add((axiom, URIRef(OBOINOWL + "hasSynonymType"), URIRef(ABBREVIATION)))
    for xref in sorted(set(term.xrefs)):
        g.add((iri, URIRef(OBOINOWL + "hasDbXref"), Literal(xref)))
    for name in sorted(set(term.provenance)):
        g.add((iri, P.provenance, Literal(name)))
    if isinstance(term, Concept | Finding) and term.category is not None:
        g.add((iri, P.category, Literal(term.category.value)))
    if isinstance(term, Condition):
        for target in sorted(set(term.concepts) | set(term.findings)):
            restriction = BNode(f"feature_{local}_{_safe(target)}")
            g.add((iri, RDFS.subClassOf, restriction))
            g.add((restriction, RDF.type, OWL.Restriction))
            g.add((restriction, OWL.onProperty, P.has_feature))
            g.add((restriction, OWL.someValuesFrom, URIRef(ontology.expand(target))))


def to_oxigraph_triples(graph: Any) -> list[Any]:
    """The graph's triples as pyoxigraph terms, sorted (blank node ids kept)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    def term(node: Any) -> Any:
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, BNode):
            return ox.BlankNode(str(node))
        if isinstance(node, Literal):
            if node.language:
                return ox.Literal(str(node), language=node.language)
            if node.datatype is not None:
                return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
            return ox.Literal(str(node))
        raise TypeError(f"unexpected RDF term {node!r}")

    triples = sorted(graph, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))
    return [ox.Triple(term(s), term(p), term(o)) for s, p, o in triples]


def _oxigraph(graph: Any, fmt: RdfFormat) -> bytes:
    """RDF/XML or JSON-LD written by pyoxigraph from sorted triples: the same bytes in every
    process (rdflib's writers for these formats order subjects by hash)."""
    import pyoxigraph as ox

    target = ox.RdfFormat.RDF_XML if fmt == "owl" else ox.RdfFormat.JSON_LD
    prefixes = {p: str(ns) for p, ns in graph.namespaces() if p}
    data = ox.serialize(to_oxigraph_triples(graph), format=target, prefixes=prefixes)
    assert data is not None  # no output file given: serialize returns the bytes
    return bytes(data)


def serialize(graph: Any, fmt: RdfFormat) -> bytes:
    """Serialise a graph deterministically: Turtle by rdflib (it sorts), N-Triples sorted by
    line, RDF/XML and JSON-LD by pyoxigraph from sorted triples."""
    if fmt not in SERIALIZERS:
        raise ValueError(f"could not find a serializer to handle {fmt!r}")
    if fmt in ("owl", "jsonld"):
        return _oxigraph(graph, fmt)
    import warnings

    with warnings.catch_warnings():
        # rdflib's pretty-xml writer warns for every rdf:List it writes as a Collection, even
        # one with nothing else asserted on it (ours); the output is correct
        warnings.filterwarnings("ignore", message="Assertions on .* other than RDF.first")
        data = graph.serialize(format=SERIALIZERS[fmt], encoding="utf-8")
    if fmt == "nt":
        lines = sorted(line for line in data.decode("utf-8").splitlines() if line.strip())
        data = ("\n".join(lines) + "\n").encode("utf-8")
    return bytes(data)


def export(ontology: Ontology, fmt: RdfFormat) -> bytes:
    """The ontology serialised in ``fmt`` (ttl, owl = RDF/XML, nt, jsonld)."""
    return serialize(to_graph(ontology), fmt)


# -- back to the model --------------------------------------------------------------------
def parse(data: bytes, fmt: RdfFormat, source: str = "<rdf>") -> Any:
    """Parse RDF bytes into an rdflib Graph; a syntax error is a one-line DermOntoError."""
    from rdflib import Graph

    graph = Graph()
    try:
        graph.parse(data=data, format=PARSERS[fmt])
    except Exception as exc:  # rdflib raises many types for bad syntax
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DermOntoError(f"{source}: not valid {fmt} RDF: {first[:300]}") from None
    return graph


def from_graph(graph: Any) -> tuple[Ontology | None, list[ValidationFinding]]:
    """Read a graph written by :func:`to_graph` (or following its conventions) back.

    Returns the ontology (None when it cannot be built) and findings shaped as
    ``validate``'s, with the entry's CURIE or IRI as the path.
    """
    from rdflib import OWL, RDF, RDFS, URIRef

    findings: list[ValidationFinding] = []

    def problem(code: str, where: str, message: str) -> None:
        findings.append(ValidationFinding("error", code, where, message))

    ontologies = sorted(graph.subjects(RDF.type, OWL.Ontology))
    if len(ontologies) != 1:
        problem("ontology_header", "", f"expected one owl:Ontology, found {len(ontologies)}")
        return None, findings
    onto_iri = str(ontologies[0])
    match = re.match(r"^(.*[/#])([^/#]+)\.owl$", onto_iri)
    if not match:
        problem("ontology_header", onto_iri, "the ontology IRI must be <base_iri><id>.owl")
        return None, findings
    base, onto_id = match.groups()
    subject = URIRef(onto_iri)

    def one(s: Any, p: Any, where: str, what: str) -> str | None:
        values = sorted(str(v) for v in graph.objects(s, p))
        if len(values) > 1:
            problem("duplicate_annotation", where, f"has {len(values)} {what} values; one expected")
        return values[0] if values else None

    prefixes: dict[str, str] = {}
    for decl in graph.objects(subject, URIRef(SH + "declare")):
        prefix = graph.value(decl, URIRef(SH + "prefix"))
        namespace = graph.value(decl, URIRef(SH + "namespace"))
        if prefix is not None and namespace is not None:
            prefixes[str(prefix)] = str(namespace)
    if not prefixes:
        prefixes = {
            p.upper(): str(ns) for p, ns in graph.namespaces() if str(ns).startswith(base) and p
        }
    levels_text = one(subject, URIRef(base + "levels"), "", "levels")
    try:
        levels = tuple(json.loads(levels_text)) if levels_text else ()
    except ValueError:
        problem("ontology_header", "", "the levels annotation is not a JSON list")
        levels = ()

    def curie(iri: Any) -> str | None:
        text = str(iri)
        for namespace, prefix in sorted(
            ((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0])
        ):
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace) :]}"
        return None

    kinds: dict[str, Kind] = {}
    entries: dict[Kind, list[Term]] = {"conditions": [], "concepts": [], "findings": []}
    by_name = {v: k for k, v in _KIND_NAMES.items()}
    classes = sorted(set(graph.subjects(RDF.type, OWL.Class)))
    known_props = {URIRef(p) for p in SYNONYM_PROPERTIES.values()}
    for cls in classes:
        if not isinstance(cls, URIRef):
            continue
        kind_name = one(cls, URIRef(base + "entry_kind"), str(cls), "entry_kind")
        if kind_name is None:
            continue  # a class from elsewhere (an import): not an entry of this ontology
        term_id = curie(cls)
        if term_id is None or kind_name not in by_name:
            problem(
                "invalid_id",
                str(cls),
                "an entry whose IRI has no declared prefix, or an "
                f"unknown entry kind {kind_name!r}",
            )
            continue
        kinds[term_id] = by_name[kind_name]
    abbreviations: set[tuple[str, str]] = set()
    for axiom in graph.subjects(URIRef(OBOINOWL + "hasSynonymType"), URIRef(ABBREVIATION)):
        source = graph.value(axiom, OWL.annotatedSource)
        target = graph.value(axiom, OWL.annotatedTarget)
        if source is not None and target is not None:
            abbreviations.add((str(source), str(target)))
    for cls in classes:
        term_id = curie(cls) if isinstance(cls, URIRef) else None
        if term_id is None or term_id not in kinds:
            continue
        kind = kinds[term_id]
        labels = sorted(str(v) for v in graph.objects(cls, RDFS.label))
        if len(labels) != 1:
            problem(
                "missing_label" if not labels else "duplicate_label",
                term_id,
                f"{term_id} has {len(labels)} rdfs:label values; exactly one expected",
            )
            if not labels:
                continue
        parents: list[str] = []
        features: list[str] = []
        for parent in graph.objects(cls, RDFS.subClassOf):
            if isinstance(parent, URIRef):
                pid = curie(parent)
                if pid is None or pid not in kinds:
                    problem(
                        "dangling_reference",
                        term_id,
                        f"parent {pid or str(parent)} of {term_id} is not an entry",
                    )
                else:
                    parents.append(pid)
            elif (parent, RDF.type, OWL.Restriction) in graph:
                target = graph.value(parent, OWL.someValuesFrom)
                tid = curie(target) if target is not None else None
                if tid is None or tid not in kinds:
                    problem(
                        "dangling_reference",
                        term_id,
                        f"has_feature target {tid or target} of {term_id} is not an entry",
                    )
                else:
                    features.append(tid)
        synonyms: list[Synonym] = []
        for prop, value in graph.predicate_objects(cls):
            text = str(prop)
            if text.startswith(OBOINOWL) and text.endswith("Synonym"):
                if prop not in known_props:
                    problem(
                        "unknown_synonym_property",
                        term_id,
                        f"{term_id} uses {text}, which is not an OBO synonym property",
                    )
                    continue
                syn_type = next(t for t, p in SYNONYM_PROPERTIES.items() if p == text)
                if syn_type is SynonymType.EXACT and (str(cls), str(value)) in abbreviations:
                    syn_type = SynonymType.ABBREVIATION
                synonyms.append(Synonym(str(value), syn_type))
        common: dict[str, Any] = {
            "id": term_id,
            "label": labels[0],
            "parents": tuple(sorted(parents)),
            "synonyms": tuple(sorted(synonyms)),
            "definition": one(cls, URIRef(DEFINITION), term_id, "definition"),
            "xrefs": tuple(
                sorted(str(v) for v in graph.objects(cls, URIRef(OBOINOWL + "hasDbXref")))
            ),
            "provenance": tuple(
                sorted(str(v) for v in graph.objects(cls, URIRef(base + "provenance")))
            ),
        }
        category = one(cls, URIRef(base + "category"), term_id, "category")
        try:
            if kind == "conditions":
                entries[kind].append(
                    Condition(
                        **common,
                        concepts=tuple(sorted(f for f in features if kinds[f] == "concepts")),
                        findings=tuple(sorted(f for f in features if kinds[f] == "findings")),
                    )
                )
            elif kind == "concepts":
                entries[kind].append(
                    Concept(**common, category=ConceptCategory(category) if category else None)
                )
            else:
                entries[kind].append(
                    Finding(**common, category=FindingCategory(category) if category else None)
                )
        except ValueError:
            problem("invalid_value", term_id, f"unknown category {category!r}")
    disjoint: list[DisjointGroup] = []
    for axiom in sorted(graph.subjects(RDF.type, OWL.AllDisjointClasses)):
        members: list[str] = []
        cell = graph.value(axiom, OWL.members)
        while cell is not None and cell != RDF.nil:
            member = graph.value(cell, RDF.first)
            mid = curie(member) if member is not None else None
            if mid is None or mid not in kinds:
                problem(
                    "dangling_reference", "disjoint", f"disjoint member {member} is not an entry"
                )
            else:
                members.append(mid)
            cell = graph.value(cell, RDF.rest)
        reason = graph.value(axiom, RDFS.comment)
        disjoint.append(DisjointGroup(tuple(sorted(members)), str(reason) if reason else ""))
    license_value = one(subject, URIRef(DCTERMS + "license"), "", "license")
    ontology = Ontology(
        id=onto_id,
        title=one(subject, URIRef(DCTERMS + "title"), "", "title") or "",
        base_iri=base,
        prefixes=dict(sorted(prefixes.items())),
        description=one(subject, URIRef(DCTERMS + "description"), "", "description") or "",
        version=one(subject, OWL.versionInfo, "", "versionInfo") or "",
        license=license_value or "",
        levels=levels,
        conditions=tuple(sorted(entries["conditions"], key=lambda t: t.id)),  # type: ignore[arg-type]
        concepts=tuple(sorted(entries["concepts"], key=lambda t: t.id)),  # type: ignore[arg-type]
        findings=tuple(sorted(entries["findings"], key=lambda t: t.id)),  # type: ignore[arg-type]
        disjoint=tuple(sorted(disjoint, key=lambda d: d.classes)),
    )
    return ontology, findings


def import_rdf(
    data: bytes, fmt: RdfFormat, source: str = "<rdf>"
) -> tuple[Ontology | None, list[ValidationFinding]]:
    """Parse RDF and read it back into the model (with findings for convention breaks)."""
    return from_graph(parse(data, fmt, source))
