"""Command-line interface. The CLI only parses, calls the library, and prints.

Command modules (one per area) register themselves on `app` when imported. They import
heavy libraries (Playwright, scikit-learn, SQLAlchemy) inside the commands, so that
`discover --help` stays fast.
"""

from __future__ import annotations

import os
import sys

import typer

from discover.cli.app import app
from discover.errors import DiscoverError

# Importing registers the commands; the order is the order in --help.
from discover.cli import core, search_cmds, pages_cmds, links_cmds, ranking_cmds, ledger_cmds, haro_cmds  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors are the parser's; every DiscoverError is one line + exit code."""
    command = typer.main.get_command(app)
    try:
        command(args=argv, prog_name="discover", standalone_mode=True)
    except DiscoverError as exc:
        typer.echo(f"error: {exc}", err=True)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: one line for the user, the traceback only on request
        if os.environ.get("DISCOVER_DEBUG"):
            raise
        typer.echo(f"error: internal error: {type(exc).__name__}: {exc}", err=True)
        typer.echo("hint: this is a bug in discover; rerun with DISCOVER_DEBUG=1 for the traceback "
                   "and report it", err=True)
        sys.exit(70)
