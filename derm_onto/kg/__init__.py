"""The dataset as a knowledge graph: every image row an RDF individual linked to the ontology.

A table (CSV/TSV/Parquet, streamed in pyarrow batches) becomes N-Triples, N-Quads (the
dataset graph plus the ontology in its own named graph) or Turtle (prefixed names, one
subject block per row):

* each row is an image ``<BASE + key>`` (``key`` from a stable column such as ``filename``,
  percent-encoded where an IRI needs it) of type ``schema:ImageObject`` with its key as
  ``dcterms:identifier``;
* ``has_diagnosis`` links to every condition class the labels pipeline resolves for the
  diagnosis cell (:class:`~derm_onto.labels.LabelPlan`, one resolution per distinct value, so
  a multi-label row links to each class and counts are the ones ``labels`` reports);
* ``shows_concept`` / ``body_site`` / ``symptom`` link to concept and finding classes (the
  matcher of each kind, again once per distinct cell), sub-properties of the ontology's
  ``has_feature``;
* literals: ``dcterms:source``, ``source_type``, ``patient_age`` (xsd:integer/decimal),
  ``patient_sex``, ``fitzpatrick_type`` (xsd:integer 1-6), ``modality``, ``split`` and
  optionally ``schema:caption``; sentinels (``No age information``, ``unknown``, empty) give
  no triple;
* ``level_K_class``: the class at level K of every condition (the same primary-path
  projection as ``labels``) is part of the vocabulary, and ``materialise_levels`` adds it to
  each image directly.

Property IRIs not taken from schema.org / Dublin Core live in the ontology's namespace and
are declared (with labels and sub-property axioms) at the top of the output. Lines are built
once per distinct value; a row is then string assembly over pyarrow arrays (a ``take`` and
an element-wise join), never an rdflib call per triple. Output is deterministic: rows in table
order, per row a fixed order of properties.

>>> import tempfile, pathlib
>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("filename,disease_label,source\\na.jpg,psoriasis,web\\n")
>>> report = build(load(bundled_ontology_path()), [folder / "t.csv"], folder / "t.nt")
>>> report.rows, report.labels.matched_rows
(1, 1)
>>> [line for line in (folder / "t.nt").read_text().splitlines() if "/a.jpg> " in line][2]
'<https://w3id.org/derm-onto/image/a.jpg> <https://w3id.org/derm-onto/has_diagnosis> \
<https://w3id.org/derm-onto/DERMONTO_0000145> .'
"""

from __future__ import annotations

from derm_onto.kg.build import (
    FORMATS,
    ROLE_COLUMNS,
    KgFormat,
    KgOptions,
    KgReport,
    build,
    detect_columns,
)
from derm_onto.kg.queries import (
    bind_query,
    bound_terms,
    dataset_queries,
    find_query,
    run_endpoint,
    run_store,
)
from derm_onto.kg.store import STORE_META, StoreResult, load_store, open_store
from derm_onto.kg.virtuoso import VirtuosoResult, publish_virtuoso
from derm_onto.kg.vocabulary import Vocabulary, vocabulary_triples

__all__ = [
    "FORMATS",
    "ROLE_COLUMNS",
    "STORE_META",
    "KgFormat",
    "KgOptions",
    "KgReport",
    "StoreResult",
    "VirtuosoResult",
    "Vocabulary",
    "bind_query",
    "bound_terms",
    "build",
    "dataset_queries",
    "detect_columns",
    "find_query",
    "load_store",
    "open_store",
    "publish_virtuoso",
    "run_endpoint",
    "run_store",
    "vocabulary_triples",
]
