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
from discover.cli import core, search_cmds, place_cmds, pages_cmds, links_cmds, ranking_cmds, ledger_cmds, haro_cmds, review_cmds, scale_cmds  # noqa: E402,F401,E501


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


def _is_text(arg: str) -> bool:
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _stdout_gone() -> None:
    """The reader went away (`discover ... | head`): that is their choice, not an error. Point
    stdout at /dev/null so the interpreter's final flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error is one `error:` line (+ `hint:`) and an exit code, never a traceback."""
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    undecodable = next((a for a in args if not _is_text(a)), None)
    if undecodable is not None:
        # Bytes the locale could not decode (Python keeps them as surrogate escapes): every later
        # step (the database, JSON, CSV) would choke on them.
        shown = os.fsencode(undecodable).decode("utf-8", "backslashreplace")
        typer.echo(f"error: argument '{shown}' is not valid UTF-8 text", err=True)
        typer.echo("hint: pass UTF-8 (check your terminal's or script's encoding)", err=True)
        sys.exit(2)
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
        _stdout_gone()
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
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone()
    sys.exit(rv if isinstance(rv, int) else 0)
