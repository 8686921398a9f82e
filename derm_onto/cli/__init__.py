"""The ``derm-onto`` command line: a thin click layer over the library.

Heavy libraries (rdflib, owlready2, pyarrow) are imported inside the commands that need
them, so ``derm-onto --help`` stays fast. User errors (:class:`DermOntoError`) print one line
on stderr and exit 1; usage errors exit 2. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

import click

from derm_onto import __version__
from derm_onto.errors import DermOntoError


def _exit_on_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C: unwind (temporary files are removed), exit status 143."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def terminated(signum: int, frame: object) -> None:
        click.echo("derm-onto: terminated", err=True)
        raise SystemExit(128 + signum)

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, terminated)


class _Group(click.Group):
    """A click group that loads its commands lazily (:data:`COMMANDS`) and turns
    DermOntoError into one line on stderr and exit status 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        import importlib

        info = COMMANDS.get(cmd_name)
        if info is None:
            return None
        found = {c.name: c for c in importlib.import_module(info.module).COMMANDS}
        return found.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`' summaries, shortened by click itself
        (a bare command carrying the summary as its help), without importing a single
        command module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit))
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        _exit_on_sigterm()
        try:
            return super().invoke(ctx)
        except DermOntoError as exc:
            click.echo(f"derm-onto: error: {exc}", err=True)
            ctx.exit(1)
        except BrokenPipeError:  # `derm-onto ... | head`
            sys.stderr.close()
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="derm-onto")
def main() -> None:
    """Validate, convert, query and train on a dermatology ontology.

    Without a PATH, commands use the bundled Derm1M ontology.
    """


class CommandInfo(NamedTuple):
    """Where a command lives and the first paragraph of its help, which ``derm-onto --help``
    lists without importing the module (a test keeps the two equal)."""

    module: str
    summary: str


def _commands(table: dict[str, tuple[str, str]]) -> dict[str, CommandInfo]:
    return {name: CommandInfo(*entry) for name, entry in table.items()}


_ONTOLOGY, _CONVERT, _SPARQL, _TRAIN = (
    "derm_onto.cli.ontology",
    "derm_onto.cli.convert",
    "derm_onto.cli.sparql",
    "derm_onto.cli.train",
)

# Each command, the module that defines it (in its ``COMMANDS``) and its summary. A module is
# imported only when one of its commands runs, so `derm-onto info` does not pay for `kg` or
# `spark`, and `derm-onto --help` imports none of them.
COMMANDS = _commands(
    {
        "validate": (
            _ONTOLOGY,
            "Check ontology files against the schema and the semantic rules.",
        ),
        "lint": (
            _ONTOLOGY,
            "Check that a file is in canonical form (sorted keys and lists, 2-space indent).",
        ),
        "info": (_ONTOLOGY, "Counts per kind and per level, depth and leaves."),
        "tree": (
            _ONTOLOGY,
            "Print the hierarchy (or the subtrees under TERMs) as an indented tree.",
        ),
        "subset": (
            _ONTOLOGY,
            "Write the sub-ontology under TERMs (and their descendants) as a valid ontology file.",
        ),
        "match": (
            _ONTOLOGY,
            "Match free-text labels to ontology ids; one row per label found in each input.",
        ),
        "import": (_CONVERT, "Import an ontology from another shape into the project JSON."),
        "export": (
            _CONVERT,
            "Export the ontology: Turtle, RDF/XML, N-Triples, JSON-LD or another registered "
            "format.",
        ),
        "reason": (
            _CONVERT,
            "Check consistency with HermiT (needs Java); list unsatisfiable classes by label.",
        ),
        "query": (
            _SPARQL,
            "Run a library query (NAME) or a query file, locally or against --endpoint.",
        ),
        "publish": (
            _SPARQL,
            "Load the ontology into a named graph of a remote triplestore (replacing it), then "
            "check the triple count on the server.",
        ),
        "labels": (
            _TRAIN,
            "Add multi-granular ontology labels to a CSV/Parquet table (format by extension).",
        ),
        "captions": (
            _TRAIN,
            "Add ontology, concept and metadata captions to a CSV/Parquet/TSV table.",
        ),
        "prompts": (
            _TRAIN,
            "Write zero-shot prompt sets as JSON: class name -> prompts, in evaluation order.",
        ),
        "evaluate": (
            "derm_onto.cli.evaluate",
            "Score predictions (--pred) or a score matrix (--scores, --classes) in TABLE "
            "against --truth: per level, hierarchically, and by how far mistakes land in the "
            "hierarchy.",
        ),
        "diff": (
            "derm_onto.cli.diff",
            "Report added, removed, obsoleted, relabelled and moved terms, and synonym, xref "
            "and definition changes from OLD to NEW (ontology JSON files).",
        ),
        "render": (
            "derm_onto.cli.obo",
            "Draw the hierarchy under TERMs (default: all of it) as SVG or PNG (graphviz), or "
            "as a self-contained HTML page with a collapsible, searchable tree.",
        ),
        "associations": (
            "derm_onto.cli.associations",
            "Evidence for condition <-> concept/finding links, mined from annotated data.",
        ),
        "kg": (
            "derm_onto.cli.kg",
            "Make a dataset table a knowledge graph: N-Triples, an Oxigraph store, Virtuoso.",
        ),
        "spark": (
            "derm_onto.cli.spark",
            "Label or caption a table on Apache Spark (pip install 'derm-onto[spark]').",
        ),
    }
)
