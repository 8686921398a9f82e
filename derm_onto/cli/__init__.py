"""The ``derm-onto`` command line: a thin click layer over the library.

Heavy libraries (rdflib, owlready2, pyarrow) are imported inside the commands that need
them, so ``derm-onto --help`` stays fast. User errors (:class:`DermOntoError`) print one line
on stderr and exit 1; usage errors exit 2. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import sys
from typing import Any

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

        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        found = {c.name: c for c in importlib.import_module(module).COMMANDS}
        return found.get(cmd_name)

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


# Each command and the module that defines it (in its ``COMMANDS``). A module is imported
# only when one of its commands runs, so `derm-onto info` does not pay for `kg` or `spark`.
COMMANDS = {
    "validate": "derm_onto.cli.ontology",
    "lint": "derm_onto.cli.ontology",
    "info": "derm_onto.cli.ontology",
    "tree": "derm_onto.cli.ontology",
    "subset": "derm_onto.cli.ontology",
    "match": "derm_onto.cli.ontology",
    "import": "derm_onto.cli.convert",
    "export": "derm_onto.cli.convert",
    "reason": "derm_onto.cli.convert",
    "query": "derm_onto.cli.sparql",
    "publish": "derm_onto.cli.sparql",
    "labels": "derm_onto.cli.train",
    "captions": "derm_onto.cli.train",
    "prompts": "derm_onto.cli.train",
    "evaluate": "derm_onto.cli.evaluate",
    "diff": "derm_onto.cli.diff",
    "render": "derm_onto.cli.obo",
    "associations": "derm_onto.cli.associations",
    "kg": "derm_onto.cli.kg",
    "spark": "derm_onto.cli.spark",
}
