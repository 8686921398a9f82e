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
    """A click group that turns DermOntoError into one line on stderr and exit status 1."""

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


# One line per command module; each module lists its commands in ``COMMANDS``.
COMMAND_MODULES = (
    "derm_onto.cli.ontology",
    "derm_onto.cli.convert",
    "derm_onto.cli.sparql",
    "derm_onto.cli.train",
    "derm_onto.cli.evaluate",
    "derm_onto.cli.diff",
    "derm_onto.cli.obo",
    "derm_onto.cli.associations",
    "derm_onto.cli.kg",
    "derm_onto.cli.spark",
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        for command in importlib.import_module(name).COMMANDS:
            main.add_command(command)


_register()
