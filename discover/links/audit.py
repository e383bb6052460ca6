"""Audit the user's own site for what wastes the backlinks it earns.

    await audit_site(runtime, settings, start_url, max_pages) -> AuditReport

    crawl      breadth-first over the site (same registrable host, with and without www, http and
               https), through the Fetcher, pages read with extract()
    links      every internal and outbound link through the LinkChecker (once per distinct URL)
    variants   http/https × bare/www home pages must end at one URL (or agree on one canonical)
    issues     error   broken outbound link, linked page answering 404/410, redirect loop / too many
                       redirects, conflicting canonicals, canonical pointing at a 404, variants
                       that do not collapse
               warning redirect chain (more than one hop), canonical pointing at a redirect,
                       canonical vs og:url, missing canonical, near-duplicate pages, slow pages,
                       no mobile viewport, soft-404 / parked outbound targets
               info    noindex pages, links whose health could not be told (403/429/timeouts),
                       links to internal addresses (not requested: blocked_internal), links the
                       target's robots.txt disallows (not requested)
    deadline   past settings.deadline the crawl and the checks stop; the report holds what was
               found (`partial`, a `deadline_reached` warning)

The CLI prints the report and exits 1 when it holds an error, so the audit can gate CI.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from discover.errors import InputError
from discover.links.linkcheck import LinkChecker
from discover.records import FetchOutcome, Link, LinkCheck, LinkClass
from discover.settings import Settings
from discover.urls import FOR_CRAWL, FOR_FETCH, bare_host, url_key

if TYPE_CHECKING:
    from discover.records import Extraction, FetchResult
    from discover.runtime import Runtime

SEVERITIES = ("error", "warning", "info")
#: Shingle Jaccard similarity above which two pages count as near-duplicates.
DUPLICATE_SIMILARITY = 0.85


@dataclass
class AuditIssue:
    severity: str              # error | warning | info
    kind: str                  # broken_outbound_link, linked_404, redirect_chain, ...
    url: str                   # the page or link the issue is about
    detail: str                # one human-readable line
    pages: list[str] = field(default_factory=list)   # pages where it was seen (linking pages ...)
    chain: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "kind": self.kind, "url": self.url, "detail": self.detail,
                "pages": self.pages, "chain": self.chain}


@dataclass
class AuditPage:
    url: str
    final_url: str
    status: int | None
    outcome: str
    elapsed_s: float = 0.0
    canonicals: list[str] = field(default_factory=list)
    og_url: str = ""
    viewport: bool = True
    noindex: bool = False
    words: int = 0


@dataclass
class AuditReport:
    start_url: str
    pages: list[AuditPage] = field(default_factory=list)
    issues: list[AuditIssue] = field(default_factory=list)
    links_checked: int = 0
    partial: bool = False          # the deadline stopped the audit before it was done

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for i in self.issues if i.severity == s) for s in SEVERITIES}

    def by_kind(self, kind: str) -> list[AuditIssue]:
        return [i for i in self.issues if i.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {"start_url": self.start_url, "pages_crawled": len(self.pages),
                "links_checked": self.links_checked, "counts": self.counts(), "partial": self.partial,
                "issues": [i.to_json() for i in self.issues]}


def head_signals(html: str, base: str) -> tuple[list[str], str, bool]:
    """(every rel=canonical URL, og:url, has a viewport meta) — extract() keeps only the first canonical."""
    from lxml import html as lxml_html

    canonicals: list[str] = []
    og_url, viewport = "", False
    try:
        root = lxml_html.document_fromstring(html.encode("utf-8", "replace"))
    except Exception:  # an unparsable page has none of these
        return canonicals, og_url, viewport
    def resolve(href: str) -> str:
        try:
            return url_key(urljoin(base, href.strip()), FOR_FETCH)
        except ValueError:  # a malformed URL in the page ("http://[::1") is no canonical
            return ""

    for el in root.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            if url := resolve(el.get("href")):
                canonicals.append(url)
    for el in root.iter("meta"):
        prop = (el.get("property") or el.get("name") or "").lower()
        if prop == "og:url" and el.get("content") and not og_url:
            og_url = resolve(el.get("content"))
        if prop == "viewport" and (el.get("content") or "").strip():
            viewport = True
    return canonicals, og_url, viewport


def _shingles(text: str, k: int = 5) -> set[int]:
    words = re.findall(r"\w+", text.lower())
    return {hash(" ".join(words[i:i + k])) for i in range(len(words) - k + 1)}


def _chain_text(chain: list[dict[str, Any]]) -> str:
    return " → ".join(f"{h['url']} ({h['status'] if h['status'] is not None else '—'})" for h in chain)


async def audit_site(runtime: "Runtime", settings: Settings | None, start_url: str, max_pages: int = 200, *,
                     slow_s: float = 3.0, deadline: float | None = None) -> AuditReport:
    """Crawl `start_url`'s site (at most `max_pages` pages) and report what wastes backlinks.

    `deadline` (seconds, default settings.deadline; 0 = none): past it the audit stops and
    reports what it found so far."""
    import asyncio

    from discover.pages.extract import extract
    from discover.pages.fetch import Fetcher

    settings = settings or runtime.settings
    limit = settings.deadline if deadline is None else deadline
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + limit if limit and limit > 0 else None
    start = start_url.strip()
    if "://" not in start:
        start = "http://" + start
    try:
        parts = urlsplit(start)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # "http://[::1" and friends
        valid = False
    if not valid:
        raise InputError(f"not a site URL: {start_url!r}", hint="give the home page, e.g. https://my-site.example")
    site = bare_host(start)
    # The user's own site: robots.txt rules are for crawlers of other people's sites.
    crawl_settings = settings.replace(ignore_robots=True)
    report = AuditReport(start_url=start)

    def internal(url: str) -> bool:
        p = urlsplit(url)
        return p.scheme in ("http", "https") and bare_host(p.hostname or "") == site

    # Crawl identity: scheme and www ignored (the variants are audited separately, below).
    seen: set[str] = {url_key(start, FOR_CRAWL)}
    frontier = [url_key(start, FOR_FETCH)]
    pages: dict[str, tuple[AuditPage, Extraction | None]] = {}
    links_by_page: dict[str, list[Link]] = {}
    variants: dict[str, str] = {}
    async with Fetcher(runtime, crawl_settings) as fetcher:
        try:
            async with asyncio.timeout_at(stop_at):
                while frontier and len(pages) < max_pages:
                    batch = frontier[: max_pages - len(pages)]
                    frontier = frontier[len(batch):]
                    async for _, res in fetcher.iter_fetch(batch):   # kept as they come: a deadline loses none
                        page = AuditPage(url=res.url, final_url=res.final_url or res.url, status=res.status,
                                         outcome=res.outcome, elapsed_s=res.elapsed_s)
                        ext = None
                        if res.outcome == FetchOutcome.OK and internal(page.final_url):
                            ext = extract(res, max_links=settings.max_links)
                            page.canonicals, page.og_url, page.viewport = head_signals(res.html, page.final_url)
                            page.noindex = bool(ext.meta.get("noindex"))
                            page.words = len((ext.text or ext.full_text).split())
                            links_by_page[page.final_url] = ext.links
                            for link in ext.links:
                                target = url_key(urljoin(page.final_url, link.url), FOR_FETCH)
                                if internal(target) and url_key(target, FOR_CRAWL) not in seen:
                                    seen.add(url_key(target, FOR_CRAWL))
                                    frontier.append(target)
                            seen.add(url_key(page.final_url, FOR_CRAWL))
                        pages[res.url] = (page, ext)
                variants = await _variants(fetcher, start)
        except TimeoutError:
            report.partial = True
    report.pages = [p for p, _ in pages.values()]
    home = report.pages[0] if report.pages else None
    if home is None or home.outcome != FetchOutcome.OK:
        # Nothing was crawled: that is the worst finding, not a clean site.
        outcome = home.outcome if home else FetchOutcome.ERROR
        extra = ("; it is an internal address: --allow-private audits a site on your own network"
                 if outcome == FetchOutcome.BLOCKED_INTERNAL else "")
        report.issues.append(AuditIssue("error", "start_page_failed", start,
                                        f"the start page could not be read ({outcome}); nothing was audited{extra}"))

    # The user's own site: its robots.txt is for crawlers of other people's sites.
    async with LinkChecker(runtime, settings, include_internal=True, robots_exempt=(site, "www." + site)) as checker:
        checks: list[LinkCheck] = []
        canon_checks: dict[str, LinkCheck] = {}
        try:
            async with asyncio.timeout_at(stop_at):
                for page_url, links in links_by_page.items():
                    await checker.check_links(page_url, links)
                canon_targets = sorted({c for p in report.pages for c in p.canonicals})
                canon_checks = {c.url: c for c in await checker.check_urls(canon_targets)}
        except TimeoutError:
            report.partial = True
        checks = checker.collect()
    report.links_checked = len({c.url for c in checks})
    if report.partial:
        report.issues.append(AuditIssue(
            "warning", "deadline_reached", start,
            f"stopped after {limit:g} s: {len(report.pages)} page(s) crawled, links not yet checked are "
            "listed as unverifiable (raise --deadline for a full audit)"))

    _link_issues(report, checks, internal)
    _canonical_issues(report, canon_checks)
    _variant_issues(report, variants)
    _duplicate_issues(report, pages)
    for p in report.pages:
        if p.outcome != FetchOutcome.OK:
            continue
        if p.elapsed_s > slow_s:
            report.issues.append(AuditIssue("warning", "slow_page", p.final_url,
                                            f"answered in {p.elapsed_s:.1f} s (over {slow_s:g} s)"))
        if not p.viewport:
            report.issues.append(AuditIssue("warning", "no_viewport", p.final_url,
                                            "no <meta name=viewport>: not mobile-friendly"))
        if p.noindex:
            report.issues.append(AuditIssue("info", "noindex", p.final_url,
                                            "noindex: links pointing here pass nothing to search"))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    report.issues.sort(key=lambda i: (order[i.severity], i.kind, i.url))
    return report


def _link_issues(report: AuditReport, checks: list[LinkCheck], internal) -> None:
    broken_internal: dict[str, list[LinkCheck]] = defaultdict(list)
    for c in checks:
        is_internal = internal(c.url)
        hops = max(0, len(c.chain) - 1)
        if c.cls == LinkClass.BROKEN:
            if is_internal:
                broken_internal[c.url].append(c)
            else:
                report.issues.append(AuditIssue("error", "broken_outbound_link", c.url,
                                                f"{c.reason or c.status}; anchor {c.anchor!r}", [c.page], c.chain))
        elif c.cls in (LinkClass.REDIRECT_LOOP, LinkClass.TOO_MANY_REDIRECTS):
            report.issues.append(AuditIssue("error", c.cls, c.url, f"{c.reason}: {_chain_text(c.chain)}",
                                            [c.page], c.chain))
        elif c.cls == LinkClass.REDIRECT and hops > 1:
            report.issues.append(AuditIssue("warning", "redirect_chain", c.url,
                                            f"{hops} hops: {_chain_text(c.chain)}", [c.page], c.chain))
        elif c.cls in (LinkClass.SOFT_404, LinkClass.PARKED):
            report.issues.append(AuditIssue("warning", f"{c.cls}_outbound" if not is_internal else c.cls, c.url,
                                            c.reason, [c.page], c.chain))
        elif c.cls == LinkClass.UNKNOWN:
            report.issues.append(AuditIssue("info", "unverifiable_link", c.url, c.reason, [c.page], c.chain))
        elif c.cls == LinkClass.BLOCKED_INTERNAL:
            report.issues.append(AuditIssue("info", "internal_address_link", c.url, c.reason, [c.page], c.chain))
        elif c.cls == LinkClass.ROBOTS_DISALLOWED:
            report.issues.append(AuditIssue("info", "robots_disallowed_link", c.url, c.reason, [c.page], c.chain))
    for url, items in broken_internal.items():
        linking = sorted({c.page for c in items})
        report.issues.append(AuditIssue(
            "error", "linked_404", url,
            f"answers {items[0].status or items[0].reason}; linked from {len(linking)} page(s)", linking,
            items[0].chain))


def _canonical_issues(report: AuditReport, canon_checks: dict[str, LinkCheck]) -> None:
    for p in report.pages:
        if p.outcome != FetchOutcome.OK:
            continue
        distinct = sorted(set(p.canonicals))
        if not distinct:
            report.issues.append(AuditIssue("warning", "canonical_missing", p.final_url, "no rel=canonical"))
            continue
        if len(distinct) > 1:
            report.issues.append(AuditIssue("error", "canonical_conflict", p.final_url,
                                            "several different canonicals: " + ", ".join(distinct)))
        if p.og_url and p.og_url not in distinct:
            report.issues.append(AuditIssue("warning", "canonical_og_mismatch", p.final_url,
                                            f"canonical {distinct[0]} but og:url {p.og_url}"))
        for canon in distinct:
            c = canon_checks.get(canon)
            if c is None:
                continue
            if c.cls == LinkClass.BROKEN:
                report.issues.append(AuditIssue("error", "canonical_broken", p.final_url,
                                                f"canonical {canon} answers {c.status or c.reason}", [], c.chain))
            elif c.cls in (LinkClass.REDIRECT, LinkClass.REDIRECT_LOOP, LinkClass.TOO_MANY_REDIRECTS):
                report.issues.append(AuditIssue("warning", "canonical_redirect", p.final_url,
                                                f"canonical {canon} redirects: {_chain_text(c.chain)}", [], c.chain))


async def _variants(fetcher, start: str) -> dict[str, str]:
    """Each live http/https × bare/www home page → the URL it settles on (its canonical, else its final URL)."""
    p = urlsplit(start)
    bare = bare_host(p.hostname or "")
    port = f":{p.port}" if p.port else ""
    urls = [f"{scheme}://{host}{port}/" for scheme in ("http", "https") for host in (bare, "www." + bare)]
    settled: dict[str, str] = {}
    for res in await fetcher.fetch_many(urls):
        if res.outcome != FetchOutcome.OK:
            continue  # a www name that does not exist is fine; only live variants must agree
        final = url_key(res.final_url or res.url, FOR_FETCH)
        canonicals, _, _ = head_signals(res.html, final)
        # A variant that answers on its own URL still collapses when its canonical names the common URL.
        settled[res.url] = canonicals[0] if canonicals else final
    return settled


def _variant_issues(report: AuditReport, settled: dict[str, str]) -> None:
    if len(set(settled.values())) > 1:
        detail = "; ".join(f"{u} → {settled[u]}" for u in sorted(settled))
        report.issues.append(AuditIssue("error", "variants_not_collapsed", report.start_url,
                                        "http/https/www variants do not collapse to one URL: " + detail,
                                        sorted(settled)))


def _duplicate_issues(report: AuditReport, pages: dict[str, tuple[AuditPage, Any]]) -> None:
    items = []
    for page, ext in pages.values():
        if ext is None or page.words < 40:
            continue
        items.append((page, _shingles(ext.text or ext.full_text)))
    reported: set[str] = set()
    for i, (a, sa) in enumerate(items):
        for b, sb in items[i + 1:]:
            if a.final_url == b.final_url or not sa or not sb:
                continue
            sim = len(sa & sb) / len(sa | sb)
            if sim < DUPLICATE_SIMILARITY:
                continue
            # A duplicate that names the other as canonical is handled correctly.
            if b.final_url in a.canonicals or a.final_url in b.canonicals:
                continue
            key = b.final_url
            if key in reported:
                continue
            reported.add(key)
            report.issues.append(AuditIssue("warning", "duplicate_content", b.final_url,
                                            f"{sim:.0%} the same text as {a.final_url} without a canonical to it",
                                            [a.final_url, b.final_url]))
