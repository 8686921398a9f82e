"""Virtuoso's bulk loader (ld_dir + rdf_loader_run) through isql."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from derm_onto.errors import DermOntoError
from derm_onto.kg.vocabulary import Vocabulary
from derm_onto.model import Ontology


@dataclass(frozen=True)
class VirtuosoResult:
    """What the bulk loader did: graphs loaded and the triples the server then holds."""

    graphs: dict[str, int]
    files: tuple[str, ...]


def _isql(isql: str, user: str, password: str, script: str, timeout: float) -> str:
    command = shutil.which("isql-vt") or shutil.which("isql")
    if command is None:
        raise DermOntoError("isql-vt not found; install virtuoso-opensource (isql-vt on PATH)")
    try:
        done = subprocess.run(
            [command, isql, user, password, "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
            input=script,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DermOntoError(
            f"{isql}: isql did not finish within {timeout:g} s (--timeout)"
        ) from None
    output = done.stdout + done.stderr
    errors = [
        line for line in output.splitlines() if re.search(r"\*\*\* Error|^\s*\w+: .*Error", line)
    ]
    if done.returncode != 0 or errors:
        first = (errors or output.strip().splitlines() or ["no output"])[0].strip()
        raise DermOntoError(f"{isql}: isql failed: {first[:300]}")
    return output


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish_virtuoso(
    ontology: Ontology,
    graph_file: str | os.PathLike[str],
    *,
    isql: str = "localhost:1111",
    user: str = "dba",
    password: str = "dba",
    timeout: float = 3600.0,
) -> VirtuosoResult:
    """Load a dataset graph file (N-Triples / N-Quads / Turtle from :func:`build`) and the
    ontology into Virtuoso with its bulk loader (``ld_dir`` + ``rdf_loader_run`` through
    isql), replacing both graphs; return the triple count of each graph on the server.

    The file's folder must be readable by the server and listed in its ``DirsAllowed``; the
    ontology is written there beside it for the load and removed afterwards.
    """
    source = Path(graph_file).resolve()
    if not source.is_file():
        raise DermOntoError(f"{source}: no such file")
    from derm_onto.rdf import export

    vocab = Vocabulary(ontology, len(ontology.levels) or 4)
    folder = source.parent
    onto_file = folder / f".{source.name}.ontology.nt"
    onto_file.write_bytes(export(ontology, "nt"))
    try:
        graphs = (vocab.data_graph, vocab.ontology_graph)
        files = (source.name, onto_file.name)
        script = ["log_enable(3,1);"]
        script += [f"SPARQL CLEAR GRAPH <{g}>;" for g in graphs]
        script += [
            f"DELETE FROM DB.DBA.load_list WHERE ll_file = {_sql_string(str(folder / f))};"
            for f in files
        ]
        script += [
            f"ld_dir({_sql_string(str(folder))}, {_sql_string(f)}, {_sql_string(g)});"
            for f, g in zip(files, graphs, strict=True)
        ]
        script += ["rdf_loader_run();", "checkpoint;"]
        script += [
            "SELECT 'LOADERROR', ll_file, ll_error FROM DB.DBA.load_list "
            f"WHERE ll_file = {_sql_string(str(folder / f))} AND ll_error IS NOT NULL;"
            for f in files
        ]
        script += [
            f"SPARQL SELECT ('GRAPHCOUNT' AS ?tag) ('{g}' AS ?g) (COUNT(*) AS ?n) "
            f"WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }};"
            for g in graphs
        ]
        output = _isql(isql, user, password, "\n".join(script) + "\n", timeout)
    finally:
        onto_file.unlink(missing_ok=True)
    for line in output.splitlines():
        if "LOADERROR" in line:
            raise DermOntoError(f"{isql}: the bulk loader failed: {line.strip()[:300]}")
    counts = {
        m.group(1): int(m.group(2)) for m in re.finditer(r"GRAPHCOUNT\s+(\S+)\s+(\d+)", output)
    }
    missing = [g for g in graphs if g not in counts]
    if missing:
        raise DermOntoError(f"{isql}: no triple count for <{missing[0]}> in isql's answer")
    return VirtuosoResult(counts, (str(source),))
