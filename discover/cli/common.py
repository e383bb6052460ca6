"""Options and output helpers shared by every command."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, Awaitable, Callable, Iterable, TypeVar

import typer

from discover.settings import Settings, load_settings

T = TypeVar("T")

WebOpt = Annotated[Path | None, typer.Option(
    "--web", help="Run inside this offline web directory (env DISCOVER_WEB).", show_default=False)]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Database: a SQLite file or a postgresql:// URL (env DISCOVER_DB).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for piping instead of a table.")]
BrowserOpt = Annotated[str | None, typer.Option(
    "--browser", help="Chromium/Chrome executable (env DISCOVER_BROWSER).", show_default=False)]
EndpointOpt = Annotated[str | None, typer.Option(
    "--browser-endpoint", help="Use a remote browser: CDP http://host:9222 or a Playwright ws:// endpoint.",
    show_default=False)]
BrokerOpt = Annotated[str | None, typer.Option(
    "--broker", help="Redis URL of the Celery broker (redis://HOST:PORT/N): spread the work over "
                     "`discover worker`s; needs a postgresql:// --db (env DISCOVER_BROKER).", show_default=False)]
HeadedOpt = Annotated[bool | None, typer.Option(
    "--headed/--headless", help="Show the browser window (to solve a captcha by hand).", show_default=False)]
EngineOpt = Annotated[str | None, typer.Option(
    "--engine", "-e", help="Engines, comma-separated: local, duckduckgo, bing, google, brave, searxng.",
    show_default=False)]
GeoOpt = Annotated[str | None, typer.Option(
    "--geo", help='Target place: "City, Region, CC", "Austin, TX" or a postcode.', show_default=False)]
TypesOpt = Annotated[str | None, typer.Option(
    "--types", help="Prospect types, comma-separated: forum, directory, haro, resource, guest_post, "
                    "blog, news (default: all).", show_default=False)]


def make_settings(**flags: Any) -> Settings:
    """Settings from defaults < config < env < these flags (None = not given)."""
    if isinstance(flags.get("web"), Path):
        flags["web"] = str(flags["web"])
    return load_settings(flags)


def _quiet_orphans(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An exception nobody awaited (the browser driver's pipe closing under Ctrl-C) is logged, not
    printed after the one-line error; everything else goes to asyncio's default handler."""
    if str(context.get("message", "")).startswith("Future exception was never retrieved"):
        logging.getLogger("discover").debug("unretrieved future exception: %r", context.get("exception"))
        return
    loop.default_exception_handler(context)


def run_async(coro: Awaitable[T]) -> T:
    with asyncio.Runner() as runner:
        runner.get_loop().set_exception_handler(_quiet_orphans)
        return runner.run(coro)  # type: ignore[arg-type]


def console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output (a file, CI log) has no terminal width: use a wide one rather than 80 columns.
    width = None if stream.isatty() else 160
    return Console(stderr=stderr, highlight=False, width=width)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_jsonl(rows: Iterable[Any]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def print_table(title: str, columns: list[str], rows: Iterable[Iterable[Any]], *, stderr: bool = False) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        # Scraped text may contain rich markup: escape it so it prints literally.
        from rich.markup import escape

        table.add_row(*[escape("" if v is None else str(v)) for v in row])
    console(stderr).print(table)


def progress(transient: bool = True):
    """A rich progress bar on stderr (quiet when stderr is not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console(stderr=True), transient=transient,
                    disable=not sys.stderr.isatty())


Callback = Callable[..., None]
