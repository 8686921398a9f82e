"""The on-disk Oxigraph store: bulk load, open read-only."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derm_onto.errors import DermOntoError
from derm_onto.kg.build import KgFormat
from derm_onto.kg.vocabulary import Vocabulary
from derm_onto.model import Ontology

STORE_META = "derm-onto-kg.json"


@dataclass(frozen=True)
class StoreResult:
    """A loaded store: where, how many quads, how long the bulk load took."""

    path: str
    quads: int
    seconds: float


def load_store(
    ontology: Ontology,
    graph_file: str | os.PathLike[str],
    store_dir: str | os.PathLike[str],
    fmt: KgFormat = "nt",
    evidence: str | os.PathLike[str] | None = None,
) -> StoreResult:
    """Bulk-load a dataset graph file into a new on-disk Oxigraph store at ``store_dir``,
    the ontology in its own named graph, so roll-up queries go through
    ``rdfs:subClassOf*``. The dataset goes to the default graph (three indexes to build
    instead of a named graph's six: a third less loading time), or for N-Quads to the graphs
    the file names. Queries see every graph. The store is built beside the target and
    replaces it only when complete (an existing folder must be an earlier store). With
    ``evidence`` (an associations file) the ontology graph carries the evidence of its
    typical-feature links, for the evidence queries."""
    import time

    import pyoxigraph as ox

    from derm_onto.rdf import export

    target = Path(store_dir)
    if target.exists() and any(target.iterdir()) and not (target / STORE_META).is_file():
        raise DermOntoError(f"{target}: exists and is not a derm-onto store; not replacing it")
    parent = target.parent if str(target.parent) else Path()
    if not parent.is_dir():
        raise DermOntoError(f"{target}: cannot write: folder {parent} does not exist")
    vocab = Vocabulary(ontology, len(ontology.levels) or 4)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        start = time.perf_counter()
        store = ox.Store(str(tmp))
        formats = {
            "nt": ox.RdfFormat.N_TRIPLES,
            "nq": ox.RdfFormat.N_QUADS,
            "ttl": ox.RdfFormat.TURTLE,
        }
        if fmt != "nq":  # N-Quads output carries the ontology graph itself
            if evidence is not None:
                from derm_onto.associations.rdf_evidence import graph_with_evidence
                from derm_onto.rdf import serialize

                ontology_nt = serialize(graph_with_evidence(ontology, evidence), "nt")
            else:
                ontology_nt = export(ontology, "nt")
            store.load(  # small: a transaction, not the bulk loader's files
                input=ontology_nt,
                format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode(vocab.ontology_graph),
            )
        try:
            store.bulk_load(path=str(graph_file), format=formats[fmt])
        except (SyntaxError, ValueError, OSError) as exc:
            raise DermOntoError(f"{graph_file}: cannot load: {exc}") from None
        store.flush()
        quads = len(store)
        seconds = time.perf_counter() - start
        del store
        meta = {
            "ontology": ontology.id,
            "version": ontology.version,
            "base_iri": ontology.base_iri,
            "ontology_graph": vocab.ontology_graph,
            "data_graph": vocab.data_graph if fmt == "nq" else "",
            "quads": quads,
        }
        (tmp / STORE_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
            target.replace(old / "store")
            tmp.replace(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.replace(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return StoreResult(str(target), quads, seconds)


def open_store(store_dir: str | os.PathLike[str], ontology: Ontology) -> Any:
    """A read-only handle on a store built by :func:`load_store` for this ontology."""
    import pyoxigraph as ox

    path = Path(store_dir)
    meta_path = path / STORE_META
    if not meta_path.is_file():
        raise DermOntoError(
            f"{path}: not a derm-onto store (no {STORE_META}); build one with "
            "`derm-onto kg build ... --store DIR`"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("base_iri") != ontology.base_iri:
        raise DermOntoError(
            f"{path}: built for an ontology with base {meta.get('base_iri')!r}, not "
            f"{ontology.base_iri!r}; pass the same --ontology"
        )
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise DermOntoError(f"{path}: cannot open the store: {exc}") from None
