"""SPARQL commands: query, publish."""

from __future__ import annotations

from pathlib import Path

import click

from derm_onto.cli._common import (
    ONTOLOGY_ARGUMENT,
    ONTOLOGY_OPTION,
    PATH_TYPE,
    ROWS_FORMAT,
    command,
    load_ontology,
)
from derm_onto.cli._endpoint import endpoint_options, http_url, parse_params
from derm_onto.sparql import ENGINES, Auth, Engine


@command()
@click.argument("query_name", required=False)
@ONTOLOGY_OPTION
@click.option("--param", "params", multiple=True, help="KEY=VALUE, repeatable.")
@click.option(
    "--endpoint", callback=http_url, help="A remote SPARQL 1.1 endpoint URL (default: local)."
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="oxigraph",
    show_default=True,
    help="Local engine.",
)
@ROWS_FORMAT
@click.option("--allow-update", is_flag=True, help="Allow an update query on a remote endpoint.")
@click.option("--graph", "graph_iri", help="Remote: query this named graph as the default graph.")
@click.option("--list", "list_queries", is_flag=True, help="List the query library.")
@click.option(
    "--store",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="An Oxigraph store from `kg build --store` (dataset queries: `kg queries`).",
)
@click.option(
    "--evidence",
    type=PATH_TYPE,
    help="Local: add an associations file's evidence to the graph (evidence queries).",
)
@endpoint_options
def query(
    query_name: str | None,
    ontology_path: Path | None,
    params: tuple[str, ...],
    endpoint: str | None,
    engine: Engine,
    fmt: str,
    allow_update: bool,
    graph_iri: str | None,
    list_queries: bool,
    store: Path | None,
    evidence: Path | None,
    user: str | None,
    password: str | None,
    auth: Auth,
    timeout: float,
) -> None:
    """Run a library query (NAME) or a query file, locally or against --endpoint."""
    from derm_onto import sparql
    from derm_onto.output import write_rows

    if list_queries:
        write_rows(sparql.library_rows(), ["name", "parameters", "description"], fmt)
        return
    if query_name is None:
        raise click.UsageError("give a query NAME or FILE, or --list")
    if store is not None:
        from derm_onto.kg import run_store

        found = run_store(load_ontology(ontology_path), store, query_name, parse_params(params))
        write_rows(found.as_dicts(), list(found.columns), fmt)
        return
    chosen = sparql.load_query(query_name)
    ontology = load_ontology(ontology_path)
    if endpoint:
        remote = sparql.Endpoint(
            endpoint,
            timeout,
            user,
            password,
            auth,
            graph_iri,
        )
        result = sparql.run_remote(
            ontology, chosen, parse_params(params), remote, allow_update=allow_update
        )
    else:
        graph = None
        if evidence is not None:
            from derm_onto.associations.rdf_evidence import graph_with_evidence

            graph = graph_with_evidence(ontology, evidence)
        result = sparql.run_local(ontology, chosen, parse_params(params), engine, graph)
    write_rows(result.as_dicts(), list(result.columns), fmt)
    for note in result.notes:
        click.echo(f"derm-onto: warning: {note}", err=True)


@command()
@ONTOLOGY_ARGUMENT
@click.option(
    "--endpoint",
    required=True,
    callback=http_url,
    help="SPARQL endpoint for queries (and updates).",
)
@click.option(
    "--update-endpoint",
    callback=http_url,
    help="Separate SPARQL Update endpoint, if the store has one.",
)
@click.option("--graph", "graph_iri", help="Named graph IRI (default: the ontology IRI).")
@click.option("--batch-size", type=click.IntRange(min=1), default=2000, show_default=True)
@endpoint_options
def publish(
    path: Path | None,
    endpoint: str,
    update_endpoint: str | None,
    graph_iri: str | None,
    batch_size: int,
    user: str | None,
    password: str | None,
    auth: Auth,
    timeout: float,
) -> None:
    """Load the ontology into a named graph of a remote triplestore (replacing it), then check
    the triple count on the server."""
    from derm_onto import sparql

    remote = sparql.Endpoint(endpoint, timeout, user, password, auth)
    result = sparql.publish(
        load_ontology(path),
        remote,
        update_url=update_endpoint,
        graph_iri=graph_iri,
        batch_size=batch_size,
    )
    click.echo(
        f"published {result.triples} triples to <{result.graph}> in {result.batches} "
        f"requests; the server holds {result.server_triples}. Query them with --graph "
        f"{result.graph} (stores whose default graph is the union of their named graphs, "
        "such as Virtuoso, also answer without it)",
        err=True,
    )


COMMANDS: tuple[click.Command, ...] = (query, publish)
