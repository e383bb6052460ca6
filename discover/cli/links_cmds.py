"""Link commands: `discover links` (check a page's outbound links) and `discover audit` (your own site)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated

import typer

from discover.cli.app import app
from discover.cli.common import (
    AllowPrivateOpt, DeadlineOpt, JsonlOpt, JsonOpt, WebOpt, WideOpt, console, make_settings, print_json,
    print_jsonl, print_table, run_async,
)
from discover.records import FetchOutcome, LinkClass

#: Table order: what needs action first.
_CLASS_ORDER = (LinkClass.BROKEN, LinkClass.SOFT_404, LinkClass.PARKED, LinkClass.REDIRECT_LOOP,
                LinkClass.TOO_MANY_REDIRECTS, LinkClass.REDIRECT, LinkClass.UNKNOWN, LinkClass.BLOCKED_INTERNAL,
                LinkClass.ROBOTS_DISALLOWED, LinkClass.OK)

TimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", help="Seconds before a request counts as timed out (the link is then 'unknown').",
    show_default=False)]


@app.command()
def links(
    urls: Annotated[list[str], typer.Argument(help="Pages whose links to check.", show_default=False)],
    web: WebOpt = None,
    as_json: JsonOpt = False,
    internal: Annotated[bool, typer.Option("--internal", help="Also check links to the page's own site.")] = False,
    timeout: TimeoutOpt = None,
    deadline: DeadlineOpt = None,
    allow_private: AllowPrivateOpt = None,
    as_jsonl: JsonlOpt = False,
    wide: WideOpt = False,
) -> None:
    """Check every outbound link of pages: ok, broken, redirect (with the chain), soft 404, parked, unknown.

    Only 404/410, unknown hosts, refused connections and TLS failures count as broken; 401/403/429 and timeouts are 'unknown'. Broken links come with their anchor text, sentence and a Wayback Machine link. Links to internal addresses (blocked_internal) and links robots.txt disallows (robots_disallowed) are not requested.
    """  # noqa: E501 - one paragraph, so --help does not break the line mid-sentence
    from discover.errors import FetchError

    settings = make_settings(web=web, timeout=timeout, deadline=deadline, allow_private=allow_private)
    result = run_async(_check_pages(settings, urls, internal))
    checks, failures = result.checks, result.failures
    from rich.markup import escape

    err = console(stderr=True)
    if failures and len(failures) == len(urls):
        raise FetchError(f"none of the {len(urls)} page(s) could be fetched: {failures[0][0]}: {failures[0][1]}")
    for page, reason in failures:
        err.print(f"[yellow]skipped[/yellow] {escape(page)}: {escape(reason)}", highlight=False)
    for page, (kept, total) in result.truncated.items():
        err.print(f"note: {escape(page)} has {total} links; checked the first {kept} (max_links)", highlight=False)
    if result.stopped:
        err.print(f"warning: stopped at the --deadline of {settings.deadline:g} s; links not checked yet are "
                  "listed as unknown", markup=False, highlight=False)
    if as_json:
        print_json([c.to_json() for c in checks])
        return
    if as_jsonl:
        print_jsonl(c.to_json() for c in checks)
        return
    order = {c: i for i, c in enumerate(_CLASS_ORDER)}
    rows = sorted(checks, key=lambda c: (order.get(c.cls, 99), c.page, c.url))
    print_table("links", ["class", "status", "url", "anchor", "page", "detail"],
                [(c.cls, c.status or "", c.url, c.anchor[:60], c.page,
                  c.reason + (f" — {c.wayback}" if c.wayback else "")) for c in rows], wide=wide)
    counts = Counter(c.cls for c in checks)
    summary = ", ".join(f"{counts[k]} {k}" for k in _CLASS_ORDER if counts[k]) or "no links"
    console().print(f"{len(checks)} link(s) on {len(urls) - len(failures)} page(s): {summary}", highlight=False)


@dataclass
class _LinksResult:
    checks: list = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    truncated: dict[str, tuple[int, int]] = field(default_factory=dict)
    stopped: bool = False       # the deadline ended the command: what is here is partial


async def _check_pages(settings, urls: list[str], internal: bool) -> _LinksResult:
    """Fetch each page and check its links, within settings.deadline: at the deadline, what is
    known is kept and every link not yet checked is listed as unknown."""
    import asyncio

    from discover.links.linkcheck import LinkChecker
    from discover.pages.extract import extract
    from discover.pages.fetch import Fetcher
    from discover.runtime import Runtime

    out = _LinksResult()
    fetched: set[str] = set()
    limit = settings.deadline if settings.deadline > 0 else None
    async with Runtime(settings) as runtime:
        async with Fetcher(runtime, settings) as fetcher, \
                LinkChecker(runtime, settings, include_internal=internal) as checker:
            try:
                async with asyncio.timeout(limit):
                    async for i, res in fetcher.iter_fetch(urls):
                        fetched.add(urls[i])
                        if res.outcome != FetchOutcome.OK:
                            out.failures.append((res.url, f"{res.outcome}: {res.reason}".rstrip(": ")))
                            continue
                        ext = await asyncio.to_thread(extract, res, max_links=settings.max_links)
                        await checker.check_links(res.final_url or res.url, ext.links)
            except TimeoutError:
                out.stopped = True
                out.failures += [(u, "not fetched before the deadline") for u in urls if u not in fetched]
            out.checks = checker.collect()
            out.truncated = dict(checker.truncated)
    return out


@app.command()
def audit(
    url: Annotated[str, typer.Argument(help="Your site's home page, e.g. https://my-site.example", show_default=False)],
    web: WebOpt = None,
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, max=100_000, help="Pages to crawl at most.")] = 200,
    slow: Annotated[float, typer.Option("--slow", min=0.0, help="Seconds above which a page is reported slow.")] = 3.0,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = None,
    deadline: DeadlineOpt = None,
    allow_private: AllowPrivateOpt = None,
) -> None:
    """Audit your own site for what wastes backlinks: broken links, redirect chains and loops, linked 404s, canonical problems, www/https variants, duplicate pages, slow and non-mobile pages.

    Exits 1 when an error-level problem is found (so it can run in CI; a 404 home page is one), 4 when
    the site cannot be reached at all (as `page` and `links`), 0 otherwise.
    """  # noqa: E501
    from discover.links.audit import audit_site
    from discover.runtime import Runtime

    settings = make_settings(web=web, timeout=timeout, deadline=deadline, allow_private=allow_private)

    async def go():
        async with Runtime(settings) as runtime:
            return await audit_site(runtime, settings, url, max_pages, slow_s=slow)

    report = run_async(go())
    if report.partial:
        console(stderr=True).print(f"warning: stopped at the --deadline of {settings.deadline:g} s; the report is "
                                   "partial", markup=False, highlight=False)
    if as_json:
        print_json(report.to_json())
    else:
        print_table(f"audit of {report.start_url}", ["severity", "problem", "url", "detail", "seen on"],
                    [(i.severity, i.kind, i.url, i.detail, ", ".join(i.pages[:3]) + (" …" if len(i.pages) > 3 else ""))
                     for i in report.issues])
        counts = report.counts()
        console().print(f"{len(report.pages)} page(s) crawled, {report.links_checked} link(s) checked: "
                        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info",
                        highlight=False)
    home = report.pages[0] if report.pages else None
    if home is not None and home.outcome in (FetchOutcome.DNS_ERROR, FetchOutcome.TIMEOUT, FetchOutcome.ERROR,
                                             FetchOutcome.BLOCKED_INTERNAL):
        # Not a finding about the site: the site could not be reached at all (exit 4, as in
        # `page` and `links`).
        from discover.errors import FetchError

        raise FetchError(f"the start page could not be fetched: {home.url}: {home.outcome}", outcome=home.outcome,
                         hint="--allow-private audits a site on your own network"
                         if home.outcome == "blocked_internal" else None)
    if report.has_errors:
        raise typer.Exit(1)
