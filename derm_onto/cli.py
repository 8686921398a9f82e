"""The ``derm-onto`` command line: a thin click layer over the library.

Heavy libraries (rdflib, owlready2, pyarrow) are imported inside the commands that need
them, so ``derm-onto --help`` stays fast. User errors (:class:`DermOntoError`) print one line
on stderr and exit 1; usage errors exit 2. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from derm_onto import __version__
from derm_onto.errors import DermOntoError


class _Group(click.Group):
    """A click group that turns DermOntoError into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DermOntoError as exc:
            click.echo(f"derm-onto: error: {exc}", err=True)
            ctx.exit(1)
        except BrokenPipeError:  # `derm-onto ... | head`
            sys.stderr.close()
            ctx.exit(1)


def _default_ontology() -> Path:
    from derm_onto.resources import bundled_ontology_path

    return bundled_ontology_path()


PATH_TYPE = click.Path(dir_okay=False, path_type=Path)
ONTOLOGY_ARGUMENT = click.argument("path", type=PATH_TYPE, required=False)
TEXT_JSON_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="derm-onto")
def main() -> None:
    """Validate, convert, query and train on a dermatology ontology.

    Without a PATH, commands use the bundled Derm1M ontology.
    """


@main.command()
@click.argument("paths", nargs=-1, type=PATH_TYPE)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@TEXT_JSON_FORMAT
def validate(paths: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check ontology files against the schema and the semantic rules.

    Prints one line per finding (PATH:/json/path: severity code: message). Exit status 0
    when there are no errors (with --strict: no warnings either), 1 otherwise.
    """
    from derm_onto.validate import has_failures, validate_file

    failed = False
    report: list[dict[str, str]] = []
    for path in paths or (_default_ontology(),):
        findings = validate_file(path)
        failed |= has_failures(findings, strict=strict)
        if fmt == "json":
            report += [{"file": str(path), **f.as_dict()} for f in findings]
        else:
            for finding in findings:
                click.echo(finding.format(str(path)))
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(1 if failed else 0)


@main.command()
@ONTOLOGY_ARGUMENT
@click.option("--fix", is_flag=True, help="Rewrite the file in canonical form.")
def lint(path: Path | None, fix: bool) -> None:
    """Check that a file is in canonical form (sorted keys and lists, 2-space indent).

    Exit status 1 when it is not; with --fix the file is rewritten instead.
    """
    from derm_onto.jsonio import dumps, load

    path = path or _default_ontology()
    canonical = dumps(load(path))
    if path.read_bytes() == canonical:
        click.echo(f"{path}: canonical", err=True)
        return
    if fix:
        from derm_onto.files import atomic_write

        with atomic_write(path) as handle:
            handle.write(canonical)
        click.echo(f"{path}: rewritten in canonical form", err=True)
        return
    raise DermOntoError(f"{path}: not in canonical form; run `derm-onto lint --fix {path}`")


@main.command()
@ONTOLOGY_ARGUMENT
@TEXT_JSON_FORMAT
def info(path: Path | None, fmt: str) -> None:
    """Counts per kind and per level, depth and leaves."""
    from derm_onto.jsonio import load
    from derm_onto.summary import format_summary, summarize

    stats = summarize(load(path or _default_ontology()))
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        click.echo(format_summary(stats))


OUTPUT_OPTION = click.option(
    "-o", "--output", type=PATH_TYPE, required=True, help="File to write (written atomically)."
)


@main.group("import")
def import_() -> None:
    """Import an ontology from another shape into the project JSON."""


@import_.command("derm1m")
@click.argument("source", type=PATH_TYPE)
@OUTPUT_OPTION
@click.option(
    "--curation", type=PATH_TYPE, help="Curation file to apply after the faithful import."
)
@click.option("--quiet", "-q", is_flag=True, help="Do not list the quirks met.")
def import_derm1m_command(source: Path, output: Path, curation: Path | None, quiet: bool) -> None:
    """Import Derm1M's released hierarchy (flat map or nested tree, detected).

    Without --curation the import is faithful; every quirk of the release is reported on
    stderr, one line each.
    """
    from derm_onto.curation import apply_curation, load_curation
    from derm_onto.importers import import_derm1m
    from derm_onto.jsonio import dump
    from derm_onto.validate import has_failures, validate_document

    result = import_derm1m(source)
    if not quiet:
        for quirk in result.quirks:
            click.echo(f"{source}: quirk {quirk.format()}", err=True)
    ontology = result.ontology
    if curation is not None:
        ontology = apply_curation(result, load_curation(curation), str(curation))
    from derm_onto.jsonio import to_dict

    findings = validate_document(to_dict(ontology))
    if has_failures(findings):
        from derm_onto.errors import OntologyValidationError

        raise OntologyValidationError(str(output), findings)
    dump(ontology, output)
    click.echo(
        f"{output}: {len(ontology.conditions)} conditions, {len(ontology.concepts)} "
        f"concepts, {len(ontology.findings)} findings",
        err=True,
    )


ONTOLOGY_OPTION = click.option(
    "--ontology",
    "ontology_path",
    type=PATH_TYPE,
    default=None,
    help="Ontology file (default: the bundled Derm1M ontology).",
)


def _load(path: Path | None) -> Any:
    from derm_onto.jsonio import load

    return load(path or _default_ontology())


@main.command()
@click.argument("terms", nargs=-1)
@ONTOLOGY_OPTION
@click.option("--depth", "max_depth", type=click.IntRange(min=1), help="Levels to show.")
def tree(terms: tuple[str, ...], ontology_path: Path | None, max_depth: int | None) -> None:
    """Print the hierarchy (or the subtrees under TERMs) as an indented tree."""
    from derm_onto import hierarchy
    from derm_onto.matching import resolve_term

    onto = _load(ontology_path)
    start = [resolve_term(onto, t) for t in terms] or None
    click.echo(hierarchy.format_tree(hierarchy.build_graph(onto), start, max_depth))


@main.command()
@click.argument("terms", nargs=-1, required=True)
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option("--with-ancestors", is_flag=True, help="Keep the paths to the top as well.")
def subset(
    terms: tuple[str, ...], ontology_path: Path | None, output: Path, with_ancestors: bool
) -> None:
    """Write the sub-ontology under TERMs (and their descendants) as a valid ontology file."""
    from derm_onto import hierarchy
    from derm_onto.jsonio import dump
    from derm_onto.matching import resolve_term

    onto = _load(ontology_path)
    part = hierarchy.subset(
        onto, [resolve_term(onto, t) for t in terms], with_ancestors=with_ancestors
    )
    dump(part, output)
    click.echo(f"{output}: {len(part.conditions)} conditions", err=True)


@main.command()
@click.argument("names", nargs=-1)
@click.option(
    "--file",
    "name_file",
    type=click.File("r", encoding="utf-8"),
    help="Read names from a file, one per line ('-' for stdin).",
)
@ONTOLOGY_OPTION
@click.option(
    "--kind",
    type=click.Choice(["conditions", "concepts", "findings"]),
    default="conditions",
    show_default=True,
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def match(
    names: tuple[str, ...], name_file: Any, ontology_path: Path | None, kind: str, fmt: str
) -> None:
    """Match free-text labels to ontology ids; one row per label found in each input."""
    from derm_onto.matching import Matcher
    from derm_onto.output import write_rows

    inputs = list(names) + ([line.rstrip("\n") for line in name_file] if name_file else [])
    if not inputs:
        raise click.UsageError("give NAMES or --file")
    onto = _load(ontology_path)
    matcher = Matcher(onto, kind)  # type: ignore[arg-type]
    rows = []
    for text in inputs:
        for m in matcher.match_cell(text):
            suggestions = (
                "" if m.matched else "; ".join(f"{c} {onto.term(c).label}" for c in m.candidates)
            )
            rows.append(
                {
                    "cell": text,
                    "input": m.input,
                    "id": m.id,
                    "label": m.label,
                    "method": m.method,
                    "score": f"{m.score:.2f}",
                    "suggestions": suggestions,
                }
            )
    write_rows(rows, ["cell", "input", "id", "label", "method", "score", "suggestions"], fmt)


def _levels(value: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give levels as 1,2,3,4") from None
    return levels


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--column", required=True, help="Column holding the disease labels.")
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option("--levels", default="1,2,3,4", show_default=True, help="Levels to label.")
@click.option(
    "--unknown",
    type=click.Choice(["error", "keep", "drop"]),
    default="keep",
    show_default=True,
    help="What to do with rows whose label is not in the ontology.",
)
@click.option("--prefix", default="", help="Prefix for the added column names.")
@click.option("--multi-hot", type=PATH_TYPE, help="Write rows x classes (.npy), ancestors set.")
@click.option(
    "--distance-matrix",
    type=PATH_TYPE,
    help="Write the pairwise tree distances between a level's classes (.npy).",
)
@click.option("--distance-level", type=int, help="Level of the distance matrix (default: last).")
@click.option("--report", type=click.Choice(["text", "json"]), default="text", show_default=True)
def labels(
    source: Path,
    column: str,
    ontology_path: Path | None,
    output: Path,
    levels: str,
    unknown: str,
    prefix: str,
    multi_hot: Path | None,
    distance_matrix: Path | None,
    distance_level: int | None,
    report: str,
) -> None:
    """Add multi-granular ontology labels to a CSV/Parquet table (format by extension)."""
    from derm_onto.labels import LabelOptions, class_map_path, label_table

    options = LabelOptions(
        column=column,
        levels=_levels(levels),
        unknown=unknown,  # type: ignore[arg-type]
        prefix=prefix,
        multi_hot=multi_hot,
        distance_matrix=distance_matrix,
        distance_level=distance_level,
    )
    result = label_table(_load(ontology_path), source, output, options)
    if report == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False), err=True)
        return
    click.echo(
        f"{output}: {result.rows_written} rows written ({result.matched_rows} matched, "
        f"{result.sentinel_rows} sentinel, {result.empty_rows} empty, "
        f"{result.unknown_rows} unknown; {result.distinct_labels} distinct labels); "
        f"class maps in {class_map_path(output)}",
        err=True,
    )
    if result.unknown:
        top = ", ".join(f"{k!r} ({v})" for k, v in result.unknown.most_common(10))
        more = len(result.unknown) - 10
        click.echo(
            f"unknown labels, most frequent first: {top}"
            + (f" and {more} more" if more > 0 else ""),
            err=True,
        )


RDF_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "owl", "nt", "jsonld"]),
    default=None,
    help="RDF format (owl = RDF/XML); default: from -o's extension, else ttl.",
)


def _write_or_echo(data: bytes, output: Path | None) -> None:
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    from derm_onto.files import atomic_write

    with atomic_write(output) as handle:
        handle.write(data)


@main.command()
@ONTOLOGY_ARGUMENT
@RDF_FORMAT
@click.option("-o", "--output", type=PATH_TYPE, help="File to write (default: stdout).")
def export(path: Path | None, fmt: str | None, output: Path | None) -> None:
    """Export the ontology as OWL in RDF: Turtle, RDF/XML, N-Triples or JSON-LD."""
    from derm_onto.rdf import export as export_rdf
    from derm_onto.rdf import rdf_format

    chosen = rdf_format(fmt or (str(output) if output else "ttl"))
    _write_or_echo(export_rdf(_load(path), chosen), output)


@import_.command("rdf")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@OUTPUT_OPTION
@RDF_FORMAT
def import_rdf_command(source: Path, output: Path, fmt: str | None) -> None:
    """Read RDF written in derm-onto's conventions back into the project JSON."""
    from derm_onto.errors import OntologyLoadError
    from derm_onto.jsonio import dump, to_dict
    from derm_onto.rdf import import_rdf, rdf_format
    from derm_onto.validate import has_failures, validate_document

    try:
        data = source.read_bytes()
    except OSError as exc:
        raise OntologyLoadError(str(source), "unreadable", f"cannot read: {exc.strerror}") from None
    try:
        chosen = rdf_format(fmt or str(source))
    except ValueError as exc:
        raise click.UsageError(f"{exc}; give --format") from None
    ontology, findings = import_rdf(data, chosen, str(source))
    if ontology is not None:
        findings += validate_document(to_dict(ontology))
    for finding in findings:
        if finding.severity != "info":
            click.echo(finding.format(str(source)), err=True)
    if ontology is None or has_failures(findings):
        sys.exit(1)
    dump(ontology, output)
    click.echo(
        f"{output}: {len(ontology.conditions)} conditions, {len(ontology.concepts)} "
        f"concepts, {len(ontology.findings)} findings",
        err=True,
    )


@main.command()
@ONTOLOGY_ARGUMENT
@click.option(
    "--inferred",
    "inferred_output",
    type=PATH_TYPE,
    help="Write the export with the inferred class hierarchy to this file.",
)
@RDF_FORMAT
def reason(path: Path | None, inferred_output: Path | None, fmt: str | None) -> None:
    """Check consistency with HermiT (needs Java); list unsatisfiable classes by label.

    Exit status 1 when the ontology is inconsistent or has unsatisfiable classes.
    """
    from derm_onto.owl import reason as run_reasoner
    from derm_onto.owl import with_inferred_hierarchy

    ontology = _load(path)
    result = run_reasoner(ontology)
    if not result.consistent:
        click.echo("inconsistent: the ontology has no model", err=True)
        sys.exit(1)
    for term_id, label in result.unsatisfiable:
        click.echo(f"unsatisfiable {term_id} {label}")
    if inferred_output is not None:
        from derm_onto.rdf import export as export_rdf
        from derm_onto.rdf import rdf_format

        chosen = rdf_format(fmt or str(inferred_output))
        _write_or_echo(
            export_rdf(with_inferred_hierarchy(ontology, result), chosen), inferred_output
        )
    if result.unsatisfiable:
        click.echo(f"{len(result.unsatisfiable)} unsatisfiable classes", err=True)
        sys.exit(1)
    total = len(ontology.conditions) + len(ontology.concepts) + len(ontology.findings)
    click.echo(f"consistent: {total} classes, none unsatisfiable", err=True)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: use KEY=VALUE", param_hint="--param")
        out[key] = value
    return out


ENDPOINT_AUTH = [
    click.option("--user", help="User name for the endpoint."),
    click.option(
        "--password",
        envvar="DERM_ONTO_SPARQL_PASSWORD",
        help="Password (or set DERM_ONTO_SPARQL_PASSWORD).",
    ),
    click.option(
        "--auth",
        type=click.Choice(["basic", "digest"]),
        default="basic",
        show_default=True,
        help="HTTP authentication (Virtuoso's /sparql-auth: digest).",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        default=30.0,
        show_default=True,
        help="Seconds to wait for the endpoint.",
    ),
]


def _endpoint_options(function: Any) -> Any:
    for option in reversed(ENDPOINT_AUTH):
        function = option(function)
    return function


@main.command()
@click.argument("query_name", required=False)
@ONTOLOGY_OPTION
@click.option("--param", "params", multiple=True, help="KEY=VALUE, repeatable.")
@click.option("--endpoint", help="A remote SPARQL 1.1 endpoint URL (default: local).")
@click.option(
    "--engine",
    type=click.Choice(["rdflib", "oxigraph"]),
    default="rdflib",
    show_default=True,
    help="Local engine.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--allow-update", is_flag=True, help="Allow an update query on a remote endpoint.")
@click.option("--graph", "graph_iri", help="Remote: query this named graph as the default graph.")
@click.option("--list", "list_queries", is_flag=True, help="List the query library.")
@_endpoint_options
def query(
    query_name: str | None,
    ontology_path: Path | None,
    params: tuple[str, ...],
    endpoint: str | None,
    engine: str,
    fmt: str,
    allow_update: bool,
    graph_iri: str | None,
    list_queries: bool,
    user: str | None,
    password: str | None,
    auth: str,
    timeout: float,
) -> None:
    """Run a library query (NAME) or a query file, locally or against --endpoint."""
    from derm_onto import sparql
    from derm_onto.output import write_rows

    if list_queries:
        rows = [
            {
                "name": q.name,
                "parameters": " ".join(f"{p.name}:{p.type}" for p in q.params),
                "description": q.description,
            }
            for q in sparql.library().values()
        ]
        write_rows(rows, ["name", "parameters", "description"], fmt)
        return
    if query_name is None:
        raise click.UsageError("give a query NAME or FILE, or --list")
    chosen = sparql.load_query(query_name)
    ontology = _load(ontology_path)
    if endpoint:
        remote = sparql.Endpoint(
            endpoint,
            timeout,
            user,
            password,
            auth,  # type: ignore[arg-type]
            graph_iri,
        )
        result = sparql.run_remote(
            ontology, chosen, _params(params), remote, allow_update=allow_update
        )
    else:
        result = sparql.run_local(ontology, chosen, _params(params), engine)  # type: ignore[arg-type]
    write_rows(result.as_dicts(), list(result.columns), fmt)


@main.command()
@ONTOLOGY_ARGUMENT
@click.option("--endpoint", required=True, help="SPARQL endpoint for queries (and updates).")
@click.option("--update-endpoint", help="Separate SPARQL Update endpoint, if the store has one.")
@click.option("--graph", "graph_iri", help="Named graph IRI (default: the ontology IRI).")
@click.option("--batch-size", type=click.IntRange(min=1), default=2000, show_default=True)
@_endpoint_options
def publish(
    path: Path | None,
    endpoint: str,
    update_endpoint: str | None,
    graph_iri: str | None,
    batch_size: int,
    user: str | None,
    password: str | None,
    auth: str,
    timeout: float,
) -> None:
    """Load the ontology into a named graph of a remote triplestore (replacing it), then check
    the triple count on the server."""
    from derm_onto import sparql

    remote = sparql.Endpoint(endpoint, timeout, user, password, auth)  # type: ignore[arg-type]
    result = sparql.publish(
        _load(path), remote, update_url=update_endpoint, graph_iri=graph_iri, batch_size=batch_size
    )
    click.echo(
        f"published {result.triples} triples to <{result.graph}> in {result.batches} "
        f"requests; the server holds {result.server_triples}",
        err=True,
    )


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option("--label-column", default="disease_label", show_default=True)
@click.option("--concept-column", default="skin_concept", show_default=True)
@click.option(
    "--caption-column",
    default="caption",
    show_default=True,
    help="The refined caption (for augmented_caption and sub-captions).",
)
@click.option(
    "--style", type=click.Choice(["derm1m", "natural"]), default="derm1m", show_default=True
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the natural-style template choice.",
)
def captions(
    source: Path,
    ontology_path: Path | None,
    output: Path,
    label_column: str,
    concept_column: str,
    caption_column: str,
    style: str,
    seed: int,
) -> None:
    """Add ontology, concept and metadata captions to a CSV/Parquet table."""
    from derm_onto.captions import CaptionOptions, caption_table

    options = CaptionOptions(label_column, concept_column, caption_column, style, seed)  # type: ignore[arg-type]
    rows = caption_table(_load(ontology_path), source, output, options)
    click.echo(f"{output}: {rows} rows written", err=True)


@main.command()
@ONTOLOGY_OPTION
@OUTPUT_OPTION
@click.option(
    "--dataset",
    type=click.Choice(["ham10000", "pad", "fitzpatrick17k", "daffodil"]),
    help="A built-in zero-shot class list, in evaluation order.",
)
@click.option(
    "--classes",
    "classes_file",
    type=click.File("r", encoding="utf-8"),
    help="Class names, one per line, in evaluation order.",
)
@click.option("--level", type=int, help="Use the classes of this ontology level.")
@click.option(
    "--templates",
    default="derm1m",
    show_default=True,
    help="'derm1m' or a file with one template per line ('{}' = the class).",
)
@click.option("--ontology-aug", is_flag=True, help="Write each class as its ontology path.")
@click.option("--subclasses", is_flag=True, help="Add each class's subclasses (CHiLS-style).")
@click.option("--no-synonyms", is_flag=True, help="Only the class name itself, no synonyms.")
@click.option(
    "--concepts",
    "concept_mode",
    is_flag=True,
    help="Target/reference prompt pairs for every concept (MONET-style).",
)
def prompts(
    ontology_path: Path | None,
    output: Path,
    dataset: str | None,
    classes_file: Any,
    level: int | None,
    templates: str,
    ontology_aug: bool,
    subclasses: bool,
    no_synonyms: bool,
    concept_mode: bool,
) -> None:
    """Write zero-shot prompt sets as JSON: class name -> prompts, in evaluation order."""
    from derm_onto import prompts as prompt_sets
    from derm_onto.files import atomic_write

    onto = _load(ontology_path)
    chosen = [dataset is not None, classes_file is not None, level is not None, concept_mode]
    if sum(chosen) != 1:
        raise click.UsageError("give exactly one of --dataset, --classes, --level, --concepts")
    if concept_mode:
        data: Any = prompt_sets.concept_prompts(onto)
    else:
        if dataset is not None:
            names = list(prompt_sets.DATASETS[dataset])
        elif classes_file is not None:
            names = [line.strip() for line in classes_file if line.strip()]
        else:
            assert level is not None
            names = prompt_sets.level_classes(onto, level)
        data = prompt_sets.class_prompts(
            onto,
            names,
            templates=prompt_sets.load_templates(templates),
            ontology_aug=ontology_aug,
            subclasses=subclasses,
            use_synonyms=not no_synonyms,
        )
    with atomic_write(output) as handle:
        handle.write(prompt_sets.dumps_prompts(data))
    click.echo(f"{output}: {len(data)} classes", err=True)
