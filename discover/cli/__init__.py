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
from discover.cli import core, search_cmds, pages_cmds, links_cmds, ranking_cmds, ledger_cmds, haro_cmds, scale_cmds  # noqa: E402,F401


def _usage_error(exc: Exception, argv: list[str]) -> None:
    """The parser's usage errors (bad option values, missing arguments) as one line, like ours."""
    message = exc.format_message()  # type: ignore[attr-defined]
    if not message:  # no arguments at all: the help was printed, nothing else to say
        sys.exit(getattr(exc, "exit_code", 2))
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "discover") if ctx is not None else "discover"
    typer.echo(f"error: {message}", err=True)
    typer.echo(f"hint: see `{path} --help`", err=True)
    sys.exit(getattr(exc, "exit_code", 2))


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error is one `error:` line (+ `hint:`) and an exit code, never a traceback."""
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = command.main(args=args, prog_name="discover", standalone_mode=False)
    except DiscoverError as exc:
        typer.echo(f"error: {exc}", err=True)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Exit, typer.Abort) as exc:  # raised by commands themselves
        sys.exit(getattr(exc, "exit_code", 1) if isinstance(exc, typer.Exit) else 130)
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        # The parser's own exceptions (usage errors, Ctrl-C at a prompt) come from typer's
        # vendored click; recognise them by shape rather than by a private import.
        if type(exc).__name__ == "Abort":
            typer.echo("error: interrupted", err=True)
            sys.exit(130)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            _usage_error(exc, args)
        if os.environ.get("DISCOVER_DEBUG"):
            raise
        # A bug: one line for the user, the traceback only on request.
        typer.echo(f"error: internal error: {type(exc).__name__}: {exc}", err=True)
        typer.echo("hint: this is a bug in discover; rerun with DISCOVER_DEBUG=1 for the traceback "
                   "and report it", err=True)
        sys.exit(70)
    sys.exit(rv if isinstance(rv, int) else 0)
