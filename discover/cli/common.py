"""Options and output helpers shared by every command."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Awaitable, Callable, Iterable, TypeVar

import typer

from discover.settings import Settings, load_settings

if TYPE_CHECKING:
    from discover.outreach.policy import Visibility

T = TypeVar("T")

WebOpt = Annotated[Path | None, typer.Option(
    "--web", help="Run inside this offline web directory (env DISCOVER_WEB).", show_default=False)]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Database: a SQLite file or a postgresql:// URL (env DISCOVER_DB).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for piping instead of a table.")]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="Print one JSON object per line (JSON Lines).")]
WideOpt = Annotated[bool, typer.Option("--wide", help="Print every table cell whole (wider than 80 columns).")]
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
    "--geo", help='Target place: "City, Region, CC", "Saskatoon, SK", or a US/CA/GB/AU postcode '
                  '("S7K 1H1", "LS1"); check it with `discover place`.', show_default=False)]
TypesOpt = Annotated[str | None, typer.Option(
    "--types", help="Prospect types, comma-separated: forum, directory, haro, resource, guest_post, "
                    "blog, news (default: all).", show_default=False)]

# Who may be shown or sent (discover.outreach.policy): the same flags on run, shortlist, report and push.
IncludeSpamOpt = Annotated[bool, typer.Option(
    "--include-spam", help="Keep sites flagged as spam (a spam page or a spammy site).")]
ShowContactedOpt = Annotated[bool, typer.Option(
    "--show-contacted", help="Keep sites already contacted (contacted, followed up, replied, won, lost), flagged "
                             "with their ledger status.")]
IncludeRejectedOpt = Annotated[bool, typer.Option(
    "--include-rejected", help="Keep sites a review marked rejected.")]
OnlyApprovedOpt = Annotated[bool, typer.Option(
    "--only-approved", help="Only sites a review marked approved (`outreach mark SITE --status approved`).")]
IncludeHiddenOpt = Annotated[bool, typer.Option(
    "--include-hidden", help="Everything, for checking: also do-not-contact sites, suppressed email addresses "
                             "and your own (--about) site, besides spam, contacted and rejected sites. Each row "
                             "keeps its ledger status. Never use it for outreach.")]
StatusFilterOpt = Annotated[str | None, typer.Option(
    "--status", help="Only sites with these ledger statuses, comma-separated: new (nobody decided yet), approved, "
                     "rejected, contacted, ... (`--status approved` hands on what you approved in review).",
    show_default=False)]


def visibility(*, include_spam: bool = False, show_contacted: bool = False, include_rejected: bool = False,
               only_approved: bool = False, include_hidden: bool = False, status: str | None = None) -> "Visibility":
    from discover.outreach.policy import Visibility, parse_statuses

    return Visibility(include_spam=include_spam, show_contacted=show_contacted, include_rejected=include_rejected,
                      only_approved=only_approved, include_hidden=include_hidden, statuses=parse_statuses(status))


AllowPrivateOpt = Annotated[bool | None, typer.Option(
    "--allow-private", help="Let pages lead requests to loopback, private and link-local addresses (to "
                            "audit your own intranet); otherwise such links are blocked_internal, never fetched "
                            "(env DISCOVER_ALLOW_PRIVATE).", show_default=False)]
ProxyOpt = Annotated[list[str] | None, typer.Option(
    "--proxy", help="Send requests through this http:// proxy (user:pass@ allowed); repeat for several: each "
                    "host and search engine always uses the same one. Default: HTTP_PROXY/HTTPS_PROXY; "
                    "NO_PROXY hosts go direct (env DISCOVER_PROXY, comma-separated).", show_default=False)]
DeadlineOpt = Annotated[float | None, typer.Option(
    "--deadline", min=0.0, help="Seconds the whole command may take; then it stops and prints what it has "
                                "(0 = no limit; default 600, env DISCOVER_DEADLINE).", show_default=False)]


def make_settings(**flags: Any) -> Settings:
    """Settings from defaults < config < env < these flags (None = not given)."""
    if isinstance(flags.get("web"), Path):
        flags["web"] = str(flags["web"])
    if isinstance(flags.get("proxy"), list):   # --proxy is repeatable; the setting is comma-separated
        flags["proxy"] = ",".join(p.strip() for p in flags["proxy"] if p.strip()) or None
    return load_settings(flags)


def _quiet_orphans(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An exception nobody awaited (the browser driver's pipe closing under Ctrl-C) is logged, not
    printed after the one-line error; everything else goes to asyncio's default handler."""
    if str(context.get("message", "")).startswith("Future exception was never retrieved"):
        logging.getLogger("discover").debug("unretrieved future exception: %r", context.get("exception"))
        return
    loop.default_exception_handler(context)


def run_async(coro: Awaitable[T]) -> T:
    """Run a command's coroutine. Ctrl-C once: the work is cancelled and what is stored stays
    (a run is marked interrupted and resumes). Ctrl-C again: exit 130 at once, whatever the
    browser, a stuck close or a worker thread is doing (every write is already committed)."""
    with _Interrupts() as interrupts, asyncio.Runner() as runner:
        loop = runner.get_loop()
        loop.set_exception_handler(_quiet_orphans)

        async def main() -> T:
            interrupts.attach(loop, asyncio.current_task())
            return await coro

        try:
            return runner.run(main())
        except asyncio.CancelledError:
            if interrupts.count:
                raise KeyboardInterrupt from None
            raise


class _Interrupts:
    """Our SIGINT handler for the whole life of the event loop, its shutdown included (asyncio's
    own is removed before the loop cancels leftover tasks and joins its worker threads, which is
    where a second Ctrl-C used to be lost)."""

    def __init__(self) -> None:
        self.count = 0
        self._old_fd = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._previous: Any = None

    def attach(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task | None) -> None:
        self._loop, self._task = loop, task

    def __enter__(self) -> "_Interrupts":
        import signal
        import socket
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            # The Python-level handler runs only when the main thread is between bytecodes; a
            # long C call (a database lock wait, a parser) would hold the second Ctrl-C back.
            # The C-level handler writes every signal to this socket at once, and a watchdog
            # thread counts them.
            self._reader, writer = socket.socketpair()
            writer.setblocking(False)
            self._writer = writer
            self._old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
            threading.Thread(target=self._watch, name="ctrl-c-watchdog", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            signal.set_wakeup_fd(self._old_fd)
            self._writer.close()
            self._reader.close()

    def _watch(self) -> None:
        import signal

        seen = 0
        while True:
            try:
                data = self._reader.recv(64)
            except OSError:
                return
            if not data:
                return
            seen += data.count(bytes([signal.SIGINT]))
            if seen >= 2:
                self._hard_exit()

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.count += 1
        task, loop = self._task, self._loop
        if self.count == 1 and task is not None and loop is not None and not task.done():
            loop.call_soon_threadsafe(task.cancel)
            return
        if self.count == 1:
            raise KeyboardInterrupt
        self._hard_exit()   # the second Ctrl-C: no more waiting for anything

    @staticmethod
    def _hard_exit() -> None:
        import os

        try:
            os.write(2, b"error: interrupted\nhint: what was stored is kept; an interrupted run finishes "
                        b"with `discover run --resume`\n")
        finally:
            os._exit(130)


def console(stderr: bool = False, *, wide: bool = False):
    import os

    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich's own handler exits with status 1; a closed pipe is not a failure
            self.quiet = True
            raise BrokenPipeError

    stream = sys.stderr if stderr else sys.stdout
    # A terminal tells its width. Piped output (a file, a pager) gets the classic 80 columns
    # (or $COLUMNS), so what a user pastes fits; --wide lifts the limit for everything.
    if wide:
        width: int | None = 10_000
    elif stream.isatty():
        width = None
    else:
        width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else 80
    # soft_wrap: plain lines are not cut into pieces (terminals wrap them; greps find them)
    return _Console(stderr=stderr, highlight=False, width=width, soft_wrap=True)


def print_ranked(title: str, rows: Iterable[tuple[Any, ...]], *, wide: bool = False,
                 columns: tuple[str, ...] = ("#", "domain", "type", "score", "geo", "contact", "why")) -> None:
    """Ranked prospects in two lines each, so domains and addresses are never cut or broken
    in 80 columns: `rank domain type score geo`, then `contact — why` (the prose shortened
    with an ellipsis). `wide=True` prints one full table row each instead."""
    if wide:
        print_table(title, list(columns), rows, wide=True)
        return
    from rich.text import Text

    out = console()
    body = [["" if v is None else str(v) for v in row] for row in rows]
    if not body:
        out.print(Text(title))
        return
    w_rank = max(len(r[0]) for r in body)
    w_dom = max(len(r[1]) for r in body)
    w_type = max(len(r[2]) for r in body)
    out.print(Text(title, style="bold"))
    for rank, domain, ptype, score, geo, contact, why in body:
        first = f"{rank:>{w_rank}}  {domain:<{w_dom}}  {ptype:<{w_type}}  {score}  {geo}".rstrip()
        indent = " " * (w_rank + 2)
        second = indent + " — ".join(x for x in (contact, why) if x)
        if len(second) > out.width:
            second = second[: max(len(indent) + len(contact), out.width - 1)] + "…"
        out.print(Text(first), no_wrap=True, overflow="ignore", crop=False)
        if second.strip():
            out.print(Text(second, style="dim"), no_wrap=True, overflow="ignore", crop=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_jsonl(rows: Iterable[Any]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


#: Columns holding identifiers a user copies (a domain, an address, a URL): never broken
#: mid-word; when space runs out they keep their width and prose columns give way.
IDENT_COLUMNS = frozenset({"domain", "contact", "email", "best email", "url", "page", "site", "check", "status",
                           "#", "rank", "score", "type", "outcome", "class", "geo", "engine", "due"})


def _fit_widths(columns: list[str], longest: list[int], room: int) -> list[int]:
    """Column widths within `room`: identifiers whole where at all possible (up to 40), prose
    columns share what is left in proportion to their content, at least 8 each."""
    ident = [c in IDENT_COLUMNS for c in columns]
    widths = [min(n, 40) if i else 0 for n, i in zip(longest, ident)]
    prose = [k for k, i in enumerate(ident) if not i]
    left = room - sum(widths)
    need = sum(longest[k] for k in prose)
    if prose and left < 8 * len(prose):
        # too many identifier columns for the room: narrow the widest of them first
        while left < 8 * len(prose) and max(widths) > 8:
            k = widths.index(max(widths))
            widths[k] -= 1
            left += 1
    for k in prose:
        share = left * longest[k] / need if need else left / len(prose)
        widths[k] = max(min(8, longest[k]), min(longest[k], int(share)))
    # hand out what rounding left to the prose that still wants it
    spare = room - sum(widths)
    for k in prose:
        give = min(spare, longest[k] - widths[k])
        if give > 0:
            widths[k] += give
            spare -= give
    return widths


def print_table(title: str, columns: list[str], rows: Iterable[Iterable[Any]], *, stderr: bool = False,
                wide: bool = False) -> None:
    """A table that fits the terminal (80 columns when piped): one line per row, prose cut
    with an ellipsis; `wide=True` prints every cell whole."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    out = console(stderr, wide=wide)
    table = Table(title=title, show_lines=False, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    body = [[escape("" if v is None else str(v)) for v in row] for row in rows]
    for row in body:
        row.extend([""] * (len(columns) - len(row)))
    longest = [max([len(col)] + [len(r[i]) for r in body]) for i, col in enumerate(columns)]
    if wide:
        widths = longest
    else:
        widths = _fit_widths(columns, longest, out.width - 2 * len(columns))
    for col, width in zip(columns, widths):
        table.add_column(col, no_wrap=True, overflow="ellipsis", width=width, max_width=width)
    for row in body:
        table.add_row(*row)
    out.print(table)


def progress(transient: bool = True):
    """A rich progress bar on stderr (quiet when stderr is not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console(stderr=True), transient=transient,
                    disable=not sys.stderr.isatty())


Callback = Callable[..., None]
