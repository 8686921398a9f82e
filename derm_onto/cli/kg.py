"""The dataset as a knowledge graph: kg build, kg publish, kg query, kg queries."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from derm_onto.cli._common import (
    ONTOLOGY_OPTION,
    PATH_TYPE,
    ROWS_FORMAT,
    load_ontology,
    parse_levels,
)
from derm_onto.cli._endpoint import endpoint_options, http_url, parse_params
from derm_onto.kg.build import KgFormat
from derm_onto.labels import UnknownPolicy
from derm_onto.sparql import Auth


@click.group()
def kg() -> None:
    """Make a dataset table a knowledge graph: N-Triples, an Oxigraph store, Virtuoso."""


def _columns(values: tuple[str, ...]) -> dict[str, str]:
    from derm_onto.kg import ROLE_COLUMNS

    out: dict[str, str] = {}
    for item in values:
        role, sep, name = item.partition("=")
        if not sep or not name or role not in ROLE_COLUMNS:
            raise click.BadParameter(
                f"{item!r}: use ROLE=COLUMN with ROLE one of {', '.join(ROLE_COLUMNS)}",
                param_hint="--column",
            )
        out[role] = name
    return out


@kg.command("build")
@click.argument("tables", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=PATH_TYPE,
    help="Graph file to write atomically (optional with --store).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["nt", "nq", "ttl"]),
    default=None,
    help="N-Triples, N-Quads (with the ontology graph) or Turtle; default: from -o, else nt.",
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also bulk-load into an on-disk Oxigraph store in this folder (replaced).",
)
@click.option(
    "--evidence",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --store: the ontology graph carries this associations file's evidence.",
)
@ONTOLOGY_OPTION
@click.option(
    "--column",
    "columns",
    multiple=True,
    help="ROLE=COLUMN, repeatable (roles: key, diagnosis, concepts, body_site, symptoms, "
    "source, source_type, age, sex, fitzpatrick, modality, split, caption); default: "
    "the usual column names.",
)
@click.option("--base", "image_base", help="IRI base of the images (default: ONTOLOGY/image/).")
@click.option("--caption", is_flag=True, help="Add the caption column as schema:caption.")
@click.option(
    "--materialise-levels",
    default=None,
    help="Levels (e.g. 1,2,3,4) whose class to link from each image directly.",
)
@click.option(
    "--unknown",
    type=click.Choice(["error", "keep", "drop"]),
    default="keep",
    show_default=True,
    help="Rows whose diagnosis is not in the ontology: fail, keep (matched parts), drop.",
)
@click.option("--report", type=click.Choice(["text", "json"]), default="text", show_default=True)
def build(
    tables: tuple[Path, ...],
    output: Path | None,
    fmt: KgFormat | None,
    store: Path | None,
    evidence: Path | None,
    ontology_path: Path | None,
    columns: tuple[str, ...],
    image_base: str | None,
    caption: bool,
    materialise_levels: str | None,
    unknown: UnknownPolicy,
    report: str,
) -> None:
    """Write tables (CSV/TSV/Parquet) as RDF, one image individual per row."""
    from derm_onto import kg as kg_lib

    if output is None and store is None:
        raise click.UsageError("give -o OUTPUT, --store DIR or both")
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    chosen: KgFormat = "nt"  # --format, else the output's extension, else N-Triples
    for candidate in (fmt, *(f for f in kg_lib.FORMATS if f == suffix)):
        if candidate is not None:
            chosen = candidate
            break
    options = kg_lib.KgOptions(
        columns=_columns(columns),
        image_base=image_base,
        format=chosen,
        materialise_levels=parse_levels(materialise_levels) if materialise_levels else (),
        caption=caption,
        unknown=unknown,
    )
    ontology = load_ontology(ontology_path)
    with tempfile.TemporaryDirectory(prefix="derm-onto-kg-") as scratch:
        target = output if output is not None else Path(scratch) / f"graph.{chosen}"
        result = kg_lib.build(ontology, tables, target, options)
        loaded = (
            kg_lib.load_store(ontology, target, store, options.format, evidence) if store else None
        )
    if report == "json":
        data = result.as_dict()
        if loaded is not None:
            data["store"] = {"path": loaded.path, "quads": loaded.quads, "seconds": loaded.seconds}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False), err=True)
        return
    labels = result.labels
    where = f"{output}: " if output is not None else ""
    click.echo(
        f"{where}{result.triples} triples for {result.rows} rows ({labels.matched_rows} "
        f"diagnosed, {labels.sentinel_rows} sentinel, {labels.empty_rows} empty, "
        f"{labels.unknown_rows} unknown; {labels.distinct_labels} distinct labels)",
        err=True,
    )
    for what, counter in (
        ("labels", labels.unknown),
        ("concepts/findings", result.unknown_features),
    ):
        if counter:
            top = ", ".join(f"{k!r} ({v})" for k, v in counter.most_common(10))
            more = len(counter) - 10
            click.echo(
                f"unknown {what}: {top}" + (f" and {more} more" if more > 0 else ""), err=True
            )
    if loaded is not None:
        click.echo(
            f"{loaded.path}: Oxigraph store with {loaded.quads} quads "
            f"(bulk load {loaded.seconds:.1f} s)",
            err=True,
        )


@kg.command("publish")
@click.argument("graph_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@ONTOLOGY_OPTION
@click.option("--isql", default="localhost:1111", show_default=True, help="Virtuoso SQL HOST:PORT.")
@click.option("--user", default="dba", show_default=True, help="Virtuoso user.")
@click.option(
    "--password",
    envvar="DERM_ONTO_VIRTUOSO_PASSWORD",
    default="dba",
    show_default=True,
    help="Password (or set DERM_ONTO_VIRTUOSO_PASSWORD).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=3600.0,
    show_default=True,
    help="Seconds to wait for the load.",
)
def publish(
    graph_file: Path,
    ontology_path: Path | None,
    isql: str,
    user: str,
    password: str,
    timeout: float,
) -> None:
    """Bulk-load GRAPH_FILE (from `kg build`) and the ontology into Virtuoso (ld_dir +
    rdf_loader_run via isql-vt). The file's folder must be in the server's DirsAllowed."""
    from derm_onto.kg import publish_virtuoso

    result = publish_virtuoso(
        load_ontology(ontology_path),
        graph_file,
        isql=isql,
        user=user,
        password=password,
        timeout=timeout,
    )
    for graph, count in result.graphs.items():
        click.echo(f"<{graph}>\t{count}")
    click.echo(f"loaded {graph_file} with Virtuoso's bulk loader", err=True)


@kg.command("query")
@click.argument("query_name")
@ONTOLOGY_OPTION
@click.option("--param", "params", multiple=True, help="KEY=VALUE, repeatable.")
@click.option(
    "--endpoint",
    required=True,
    callback=http_url,
    help="SPARQL endpoint holding a published dataset.",
)
@ROWS_FORMAT
@endpoint_options
def query(
    query_name: str,
    ontology_path: Path | None,
    params: tuple[str, ...],
    endpoint: str,
    fmt: str,
    user: str | None,
    password: str | None,
    auth: Auth,
    timeout: float,
) -> None:
    """Run a dataset query (NAME or FILE) on a remote endpoint, e.g. after `kg publish`
    (an Oxigraph store: `derm-onto query --store DIR NAME`)."""
    from derm_onto.kg import run_endpoint
    from derm_onto.output import write_rows
    from derm_onto.sparql import Endpoint

    remote = Endpoint(endpoint, timeout, user, password, auth)
    result = run_endpoint(load_ontology(ontology_path), remote, query_name, parse_params(params))
    write_rows(result.as_dicts(), list(result.columns), fmt)


@kg.command("queries")
@ROWS_FORMAT
def queries(fmt: str) -> None:
    """List the dataset query library (run them with `derm-onto query --store DIR NAME`)."""
    from derm_onto.kg import dataset_queries
    from derm_onto.output import write_rows

    rows = [
        {
            "name": q.name,
            "parameters": " ".join(f"{p.name}:{p.type}" for p in q.params),
            "description": q.description,
        }
        for q in dataset_queries().values()
    ]
    write_rows(rows, ["name", "parameters", "description"], fmt)


COMMANDS: tuple[click.Command, ...] = (kg,)
