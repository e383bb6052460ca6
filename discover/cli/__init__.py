"""Command-line interface. The CLI only parses, calls the library, and prints.

Command modules (one per area) register themselves on `app` when imported. They import
heavy libraries (Playwright, scikit-learn, SQLAlchemy) inside the commands, so that
`discover --help` stays fast.
"""

from __future__ import annotations

import sys

import click
import typer

from discover.cli.app import app
from discover.errors import DiscoverError

# Importing registers the commands; the order is the order in --help.
from discover.cli import core, search_cmds, pages_cmds, links_cmds, ranking_cmds, ledger_cmds, haro_cmds  # noqa: E402,F401


def _fail(message: str, hint: str | None, code: int) -> None:
    err = click.get_text_stream("stderr")
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    err.flush()
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=argv, prog_name="discover", standalone_mode=False)
    except DiscoverError as exc:
        _fail(str(exc), exc.hint, exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _fail("interrupted; what was done so far is saved (use `discover run --resume` to finish)", None, 130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rv if isinstance(rv, int) else 0)
