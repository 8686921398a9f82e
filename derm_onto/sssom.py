"""The ontology's xrefs as an SSSOM mapping set (TSV with a YAML metadata block).

Every xref of a term that is not obsolete becomes one mapping row: the term is the subject,
the xref the object, the predicate ``oboInOwl:hasDbXref`` by default (an xref says "see
also", not "means exactly"; pass ``skos:exactMatch`` or ``skos:closeMatch`` when the
curation says so), and the justification ``semapv:ManualMappingCuration`` (the xrefs were
curated by hand). The metadata block carries the ``curie_map`` (every prefix the rows use,
from the ontology's declared prefixes; an undeclared one falls back to the OBO PURL
convention ``http://purl.obolibrary.org/obo/PREFIX_``), the mapping set id, version, title
and license. Rows are sorted, so the same model always gives the same bytes.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> lines = dumps_sssom(load(bundled_ontology_path())).decode().splitlines()
>>> lines[0]
'#curie_map:'
>>> [line for line in lines if not line.startswith("#")][0].split("\\t")[:3]
['subject_id', 'subject_label', 'predicate_id']
"""

from __future__ import annotations

import csv
import io
from typing import Any

from derm_onto.model import Ontology

#: Predicates a derm-onto xref may be published as.
PREDICATES: dict[str, str] = {
    "oboInOwl:hasDbXref": "http://www.geneontology.org/formats/oboInOwl#hasDbXref",
    "skos:exactMatch": "http://www.w3.org/2004/02/skos/core#exactMatch",
    "skos:closeMatch": "http://www.w3.org/2004/02/skos/core#closeMatch",
    "skos:relatedMatch": "http://www.w3.org/2004/02/skos/core#relatedMatch",
}
JUSTIFICATION = "semapv:ManualMappingCuration"
SEMAPV = "https://w3id.org/semapv/vocab/"
OBO = "http://purl.obolibrary.org/obo/"
UNSPECIFIED_LICENSE = "https://w3id.org/sssom/license/unspecified"
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "mapping_justification",
)


def mapping_rows(ontology: Ontology, predicate: str = "oboInOwl:hasDbXref") -> list[dict[str, str]]:
    """One SSSOM row per (non-obsolete term, xref), sorted by subject then object.

    >>> from derm_onto.model import Condition, Ontology
    >>> onto = Ontology(id="demo", title="Demo", base_iri="https://example.org/demo/",
    ...                 prefixes={"DEMO": "https://example.org/demo/DEMO_"},
    ...                 conditions=(Condition(id="DEMO:1", label="acne",
    ...                                       xrefs=("ICD10CM:L70.0",)),))
    >>> row = mapping_rows(onto)[0]
    >>> row["subject_id"], row["object_id"], row["predicate_id"]
    ('DEMO:1', 'ICD10CM:L70.0', 'oboInOwl:hasDbXref')
    """
    if predicate not in PREDICATES:
        raise ValueError(
            f"unknown mapping predicate {predicate!r} (use one of {sorted(PREDICATES)})"
        )
    rows = []
    for term in ontology.terms():
        if term.obsolete:
            continue
        for xref in sorted(set(term.xrefs)):
            rows.append(
                {
                    "subject_id": term.id,
                    "subject_label": term.label,
                    "predicate_id": predicate,
                    "object_id": xref,
                    "mapping_justification": JUSTIFICATION,
                }
            )
    rows.sort(key=lambda r: (r["subject_id"], r["object_id"]))
    return rows


def _namespace(ontology: Ontology, prefix: str) -> str:
    return ontology.prefixes.get(prefix, f"{OBO}{prefix}_")


def metadata(ontology: Ontology, rows: list[dict[str, str]]) -> dict[str, Any]:
    """The mapping set metadata: curie_map, id, version, title, license."""
    used = {"semapv": SEMAPV}
    for row in rows:
        for column in ("subject_id", "object_id"):
            prefix = row[column].partition(":")[0]
            used[prefix] = _namespace(ontology, prefix)
        predicate_prefix = row["predicate_id"].partition(":")[0]
        used[predicate_prefix] = PREDICATES[row["predicate_id"]][
            : -len(row["predicate_id"].partition(":")[2])
        ]
    meta: dict[str, Any] = {"curie_map": dict(sorted(used.items()))}
    meta["mapping_set_id"] = f"{ontology.base_iri}{ontology.id}.sssom.tsv"
    if ontology.version:
        meta["mapping_set_version"] = ontology.version
    meta["mapping_set_title"] = f"{ontology.title or ontology.id}: cross-references"
    meta["license"] = ontology.license or UNSPECIFIED_LICENSE
    return meta


def dumps_sssom(ontology: Ontology, predicate: str = "oboInOwl:hasDbXref") -> bytes:
    """The xrefs as an SSSOM TSV file (UTF-8; metadata as ``#``-prefixed YAML)."""
    import yaml

    rows = mapping_rows(ontology, predicate)
    header = yaml.safe_dump(
        metadata(ontology, rows), sort_keys=False, allow_unicode=True, width=1000
    )
    out = io.StringIO()
    for line in header.splitlines():
        out.write(f"#{line}\n")
    writer = csv.DictWriter(
        out, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
