"""Command-line interface. The CLI only parses, calls the library, and prints.

Command modules (one per area) register themselves on `app` when imported. They import
heavy libraries (Playwright, scikit-learn, SQLAlchemy) inside the commands, so that
`discover --help` stays fast.
"""

from __future__ import annotations

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
