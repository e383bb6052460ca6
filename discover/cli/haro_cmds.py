"""`discover haro`: journalist queries (digest emails, query boards, a live mailbox) matched to a niche."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer

from discover.cli.app import app
from discover.cli.common import (
    AllowPrivateOpt, GeoOpt, JsonOpt, WebOpt, console, make_settings, print_json, print_table, run_async,
)
from discover.errors import InputError


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--now is not an ISO date/time: {value!r}", hint="e.g. --now 2026-11-20T09:00:00-06:00") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@app.command("haro")
def haro(
    niche: Annotated[str, typer.Option("--niche", "-k", help='The niche keyword, e.g. "maternity clothes".')],
    mail: Annotated[Path | None, typer.Option(
        "--mail", help="Digest emails: a .eml file, a folder of them, or an mbox.", show_default=False)] = None,
    boards: Annotated[list[str] | None, typer.Option(
        "--boards", help="Journalist-query board list page URL (repeatable).", show_default=False)] = None,
    geo: GeoOpt = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also list queries that do not match the niche.")] = False,
    include_expired: Annotated[bool, typer.Option(
        "--include-expired", help="Keep queries whose deadline has passed (counted either way).")] = False,
    now: Annotated[str | None, typer.Option(
        "--now", help="Pretend it is this ISO date/time (reproducible runs).", show_default=False)] = None,
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, help="Board pages to fetch at most.")] = 60,
    imap: Annotated[str | None, typer.Option(
        "--imap", help="Read digests from this IMAP server (read-only).", show_default=False)] = None,
    imap_user: Annotated[str | None, typer.Option("--imap-user", help="IMAP user name.", show_default=False)] = None,
    imap_folder: Annotated[str, typer.Option("--imap-folder", help="IMAP folder to read.")] = "INBOX",
    imap_port: Annotated[int, typer.Option("--imap-port", help="IMAP port (0 = 993 for ssl, else 143).")] = 0,
    imap_tls: Annotated[str, typer.Option("--imap-tls", help="ssl, starttls, or none (loopback only).")] = "ssl",
    imap_password_env: Annotated[str, typer.Option(
        "--imap-password-env", help="Environment variable holding the IMAP password.")] = "DISCOVER_IMAP_PASSWORD",
    web: WebOpt = None,
    allow_private: AllowPrivateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Match journalist requests for sources (HARO-style) to a niche, best first, with reasons."""
    from discover.haro import MailProblem
    from discover.haro.match import match_queries

    if not (mail or boards or imap):
        raise InputError("nothing to read", hint="give --mail PATH, --boards URL or --imap HOST")
    if imap and not imap_user:
        raise InputError("--imap needs --imap-user")
    if imap_tls not in ("ssl", "starttls", "none"):
        raise InputError(f"--imap-tls must be ssl, starttls or none, not {imap_tls!r}")
    settings = make_settings(web=web, allow_private=allow_private)
    moment = _parse_now(now)
    queries: list[Any] = []
    problems: list[MailProblem] = []
    read_anything = False

    if mail:
        from discover.haro.mail import read_mail

        batch = read_mail(mail, now=moment, include_expired=True)
        queries += batch.queries
        problems += batch.problems
        read_anything |= bool(batch.queries) or batch.messages > len(batch.problems)
    if imap:
        from discover.haro.imap import ImapSource, read_imap

        src = ImapSource(imap, imap_user or "", imap_folder, imap_port, imap_tls, imap_password_env)
        batch = read_imap(src, state_dir=settings.data_path(), now=moment, include_expired=True)
        queries += batch.queries
        problems += batch.problems
        read_anything = True
    if boards:
        from discover.haro.boards import BoardCrawl, crawl_boards
        from discover.runtime import Runtime

        crawl = BoardCrawl()

        async def go() -> list[Any]:
            async with Runtime(settings) as runtime:
                return await crawl_boards(runtime, boards, max_pages=max_pages, now=moment,
                                          include_expired=True, settings=settings, crawl=crawl)

        queries += run_async(go())
        problems += [MailProblem(url, why) for url, why in crawl.failures]
        read_anything |= crawl.pages_fetched > len(crawl.failures)

    err = console(stderr=True)
    for p in problems:
        from rich.markup import escape

        err.print(f"[yellow]warning[/yellow]: {escape(str(p))}")
    if not read_anything and problems:
        raise InputError("no journalist queries could be read", hint="see the warnings above")

    found = len(queries)
    expired = sum(q.expired for q in queries)
    if not include_expired:
        queries = [q for q in queries if not q.expired]
    if found and not queries:
        # Every query found is past its deadline: say so, rather than print an empty list.
        err.print(f"{found} journalist {'query' if found == 1 else 'queries'} found, "
                  f"{'it is' if found == 1 else 'all are'} past the deadline; --include-expired shows them",
                  markup=False)
        if as_json:
            print_json([])   # the same shape as always; the counts went to stderr above
        return

    matches = match_queries(queries, niche, geo=geo, now=moment, settings=settings)
    shown = matches if show_all else [m for m in matches if m.matched]
    if as_json:
        print_json([m.to_json() for m in shown])
        return
    rows = []
    for i, m in enumerate(shown, start=1):
        q = m.query
        rows.append((i, f"{m.score:.2f}", ("! " if q.urgent else "") + deadline_label(q), q.summary, q.outlet,
                     q.reply_to, m.why, q.source))
    print_table(f"journalist queries for {niche!r}" + (f" near {geo}" if geo else ""),
                ["#", "score", "deadline", "summary", "outlet", "reply to", "why", "source"], rows)
    hidden = f"; {expired} expired not shown (--include-expired)" if expired and not include_expired else ""
    console().print(f"{sum(m.matched for m in matches)} of {len(matches)} queries match"
                    + ("" if show_all else " (--all lists the rest)") + hidden)


def deadline_label(q: Any) -> str:
    """A deadline as a person should read it: no invented clock time, an assumed zone marked."""
    if q.deadline is None:
        return ""
    if not q.deadline_time_known:
        return q.deadline.strftime("%Y-%m-%d") + " (no time)"
    return q.deadline.strftime("%Y-%m-%d %H:%M %Z").strip() + ("" if q.deadline_zone else "?")
