"""Link health: is each outbound link alive, moved, dead or unknowable?

    LinkChecker(runtime, settings)
      await check_links(page_url, links) -> list[LinkCheck]   one per http(s) link of a page
      await check_urls(urls)             -> list[LinkCheck]   bare URLs (page = "")

Classes (records.LINK_CLASSES):
    ok                  2xx, no redirect
    broken              404 / 410 / unknown host / connection refused / TLS failure — the ONLY
                        answers that count as dead (a redirect ending in 404/410 is broken too)
    redirect            3xx chain ending in a live page (chain kept hop by hop)
    redirect_loop       a chain that comes back to a URL it already visited
    too_many_redirects  more than settings.max_redirects hops
    soft_404            200 with a "not found" page, or the same page every unknown path of the
                        host answers (one random path probed per host, cached)
    parked              a domain-for-sale / parking page
    unknown             401/403/429/999, other 4xx, 5xx after retries, timeouts, bot walls:
                        never counted as broken — a prospect must not be told about a link that
                        only looked dead to us
    robots_disallowed   the host's robots.txt disallows the URL (or a hop of its redirects) for
                        our user agent: not requested, like the crawler (settings.ignore_robots)
    blocked_internal    the URL, a redirect hop or the address its name resolves to is internal
                        (loopback, private, link-local ...): not requested (settings.allow_private)

Each distinct URL is checked once per LinkChecker (per run) however many pages link to it.
Files (PDF, images, archives ...) get HEAD first, and GET only to confirm what HEAD says is wrong
(servers refuse or lie on HEAD: 405, 403, even 404 for a live page). Pages get one streamed GET
capped at BODY_LIMIT bytes, since the start of their body is needed anyway for the soft-404 and
parking checks; `head_first=True` makes every URL go HEAD → GET.

Budgets: each request (headers and the capped, decompressed body) has settings.timeout in all,
so a body that drips one byte at a time is a timeout, not a stall; a page's links beyond
settings.max_links are not checked (`truncated` says so); `collect()` gives what is known so far
when a caller's deadline stops the checking.
"""

from __future__ import annotations

import asyncio
import html as htmlmod
import logging
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urljoin, urlsplit

from discover.records import DEAD_LINK_CLASSES, Link, LinkCheck, LinkClass
from discover.urls import FOR_FETCH, bare_host, url_key
from discover.settings import Settings

if TYPE_CHECKING:
    import httpx

    from discover.pages.robots import RobotsCache
    from discover.politeness import Lease
    from discover.runtime import Runtime

log = logging.getLogger(__name__)

#: Only these statuses make a link dead; everything else that is not 2xx/3xx is "unknown".
DEAD_STATUSES = frozenset({404, 410})
#: HEAD answers that GET must confirm: some servers refuse or lie on HEAD.
_HEAD_DOUBT = frozenset({400, 403, 404, 405, 406, 410, 429, 501})
#: Bytes of a 2xx HTML body read for the soft-404 / parking checks.
BODY_LIMIT = 96_000

_SOFT_404_TITLE = re.compile(
    r"(^\W*(?:error\W*)?404\b|\b404\W+(?:error|not found|page)\b|\bpage not found\b|^\W*not found\b|"
    r"\bpage (?:does not|doesn'?t) exist|\bno longer (?:available|exists)|\bpage (?:is )?missing\b|"
    r"\bnothing (?:was )?found\b|\bcan(?:no|')t be found|\bcould ?n[o']t (?:be )?found|\bpage unavailable\b)",
    re.I)
_SOFT_404_TEXT = re.compile(
    r"(page (?:you (?:are|were) looking for|you requested) (?:could ?n[o']t be found|does ?n[o']t exist|"
    r"(?:is|was) not found|no longer exists|(?:has been|was) (?:moved|removed|deleted))|"
    r"\b404\b[^.]{0,40}\bnot found\b|page not found|sorry,? (?:we|that page)[^.]{0,40}(?:not|n't) (?:be )?found|"
    r"nothing (?:was )?found (?:here|at this (?:address|location))|this page (?:does ?n[o']t|no longer) exists?)",
    re.I)
_PARKED = re.compile(
    r"(this domain (?:name )?(?:is|may be) for sale|buy this domain|domain (?:name )?is for sale|"
    r"the domain [\w.-]+ (?:is|may be) for sale|make an offer (?:on|for) this domain|"
    r"this domain (?:has expired|is parked)|domain parking|parked (?:free|domain)|"
    r"sedoparking|sedo\.com|(?<![\w.-])dan\.com|afternic|bodis\.com|\bbodis\b|parkingcrew|"
    r"hugedomains|undeveloped\.com|above\.com/marketplace|parklogic|domainmarket\.com|"
    r"inquire about this domain)", re.I)
_PARKED_HOSTS = ("sedo.com", "sedoparking.com", "dan.com", "afternic.com", "bodis.com", "parkingcrew.net",
                 "hugedomains.com", "undeveloped.com", "domainmarket.com")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
_SCRIPT = re.compile(r"<(script|style|noscript)[^>]*>.*?</\1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_WS = re.compile(r"\s+")


def wayback_url(url: str) -> str:
    """The Wayback Machine's listing of snapshots for `url` (a link for the user; never fetched here)."""
    return f"https://web.archive.org/web/*/{url}"


def is_checkable(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https") and bool(urlsplit(url).hostname)


def _visible_text(html: str) -> str:
    return _WS.sub(" ", htmlmod.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", html)))).strip()


def _first(pattern: re.Pattern[str], html: str) -> str:
    m = pattern.search(html)
    return _WS.sub(" ", htmlmod.unescape(_TAG.sub(" ", m.group(1)))).strip() if m else ""


def parked_marker(html: str, final_url: str = "") -> str:
    """The parking / for-sale marker found in a page (or its final host), or ""."""
    host = (urlsplit(final_url).hostname or "").lower()
    for parked in _PARKED_HOSTS:
        if host == parked or host.endswith("." + parked):
            return f"redirects to {parked}"
    m = _PARKED.search(html[:BODY_LIMIT])
    # Parking pages are short; a long article that mentions a domain marketplace is not parked.
    if m and len(_visible_text(html[:BODY_LIMIT])) < 3000:
        return m.group(0).strip("<>/ ").lower()
    return ""


def soft_404_marker(html: str) -> str:
    """Why a 200 page reads as a 'not found' page, or ""."""
    title = _first(_TITLE, html)
    if title and _SOFT_404_TITLE.search(title):
        return f"title says {title[:60]!r}"
    h1 = _first(_H1, html)
    if h1 and _SOFT_404_TITLE.search(h1):
        return f"heading says {h1[:60]!r}"
    text = _visible_text(html)
    # Only a short page can be a "not found" page; a long article may quote the phrase.
    if len(text) < 2500:
        m = _SOFT_404_TEXT.search(text)
        if m:
            return f"page says {m.group(0)[:60]!r}"
    return ""


def _shingles(text: str, k: int = 4) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + k]) for i in range(max(1, len(words) - k + 1))} if words else set()


def _similar(a: str, b: str) -> float:
    sa, sb = _shingles(a), _shingles(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / max(1, len(sa | sb))


@dataclass
class _Hop:
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str = ""        # "" or the failure class: dns | refused | tls | timeout | other
    reason: str = ""


@dataclass
class _Outcome:
    """The result for one URL, independent of the page that links to it."""

    cls: LinkClass
    status: int | None
    chain: list[dict[str, Any]]
    final_url: str
    reason: str


@dataclass
class _Probe:
    status: int | None
    final_url: str
    fingerprint: str       # title + visible text of what a random path answers


def _classify_error(exc: BaseException) -> tuple[str, str]:
    import socket
    import ssl

    import httpx

    # The root cause sits several links down (httpx → httpcore → anyio's OSError → the OS error).
    causes: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(causes) < 12:
        causes.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " ".join(f"{type(c).__name__} {c}" for c in causes).lower()
    from discover.net import EgressBlocked

    refused = next((c for c in causes if isinstance(c, EgressBlocked)), None)
    if refused is not None:
        return "blocked", str(refused)
    if any(isinstance(c, socket.gaierror) for c in causes):
        return "dns", "unknown host (DNS lookup failed)"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "refused", "connection refused"
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return "tls", "TLS failure: " + str(next(c for c in causes if isinstance(c, ssl.SSLError)))[:80]
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        if any(s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo",
                                   "name resolution", "no address associated", "errno -2", "errno -3",
                                   "errno -5", "errno 8", "11001")):
            return "dns", "unknown host (DNS lookup failed)"
        if "refused" in text or "errno 111" in text or "errno 61" in text:
            return "refused", "connection refused"
        if any(s in text for s in ("ssl", "certificate", "tls", "handshake")):
            return "tls", "TLS failure: " + str(exc)[:80]
        return "other", f"connection failed: {str(exc)[:80]}"
    if any(s in text for s in ("ssl", "certificate verify")):
        return "tls", "TLS failure: " + str(exc)[:80]
    return "other", f"{type(exc).__name__}: {str(exc)[:80]}"


class LinkChecker:
    """Checks links with a global and a per-host concurrency cap; one check per distinct URL.

    Use as `async with LinkChecker(runtime, settings) as lc:` or call `aclose()` when done.
    """

    def __init__(self, runtime: "Runtime", settings: Settings | None = None, *,
                 include_internal: bool = True, retries: int = 2, retry_backoff: float = 0.25,
                 probe_soft_404: bool = True, head_first: bool | None = None,
                 robots_exempt: Iterable[str] = ()) -> None:
        self.runtime = runtime
        # Hosts whose robots.txt is not consulted: the user's own site in an audit.
        self.robots_exempt = {h.lower() for h in robots_exempt}
        self._robots: RobotsCache | None = None
        #: page URL → (links checked, links the page has) for pages over settings.max_links.
        self.truncated: dict[str, tuple[int, int]] = {}
        self._pages: list[tuple[str, dict[str, Link], list[LinkCheck]]] = []
        # None = HEAD first for files (PDFs, images, archives ...), one capped GET for pages, whose
        # start we must read anyway for the soft-404 and parking checks; True = HEAD first always.
        self.head_first = head_first
        self.settings = settings or runtime.settings
        self.include_internal = include_internal
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.probe_soft_404 = probe_soft_404
        self._client: httpx.AsyncClient | None = None
        self._sem: asyncio.Semaphore | None = None
        self._host_sems: dict[str, Lease] = {}
        self._results: dict[str, asyncio.Task[_Outcome]] = {}
        self._probes: dict[str, asyncio.Task[_Probe]] = {}
        self.requests_made = 0

    # --- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> "LinkChecker":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> "httpx.AsyncClient":
        if self._client is None:
            import httpx

            self._client = self.runtime.http_client(
                follow_redirects=False, timeout=httpx.Timeout(self.settings.timeout),
                headers={"User-Agent": self.settings.user_agent,
                         "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
            self._sem = asyncio.Semaphore(self.settings.concurrency)
        return self._client

    # --- public API --------------------------------------------------------------------
    async def check_links(self, page_url: str, links: Iterable[Link], *,
                          include_internal: bool | None = None) -> list[LinkCheck]:
        """One LinkCheck per distinct http(s) link of `page_url` (mailto/tel/javascript skipped)."""
        internal_ok = self.include_internal if include_internal is None else include_internal
        page_host = (urlsplit(page_url).hostname or "").lower()
        chosen: dict[str, Link] = {}
        malformed: list[LinkCheck] = []
        for link in links:
            try:
                url = urljoin(page_url, link.url.strip()) if page_url else link.url.strip()
                if not is_checkable(url):
                    continue
                internal = link.internal or _same_site(urlsplit(url).hostname or "", page_host)
                key = url_key(url, FOR_FETCH)
            except ValueError as exc:  # "http://[::1", a bad port: no browser could follow it
                malformed.append(LinkCheck(page=page_url, url=link.url, cls=LinkClass.BROKEN, anchor=link.anchor,
                                           context=link.context, reason=f"malformed URL: {exc}"))
                continue
            if internal and not internal_ok:
                continue
            if key == url_key(page_url or "", FOR_FETCH) and page_url:
                continue  # a self-link says nothing about link health
            chosen.setdefault(key, link)
        limit = self.settings.max_links
        if len(chosen) > limit:
            self.truncated[page_url] = (limit, len(chosen))
            log.info("%s has %d links; checking the first %d (max_links)", page_url, len(chosen), limit)
            chosen = dict(list(chosen.items())[:limit])
        self._pages.append((page_url, chosen, malformed))
        outcomes = await asyncio.gather(*(self._check(key) for key in chosen))
        return malformed + [self._record(page_url, key, link, out)
                            for (key, link), out in zip(chosen.items(), outcomes)]

    def collect(self, reason: str = "not checked before the deadline") -> list[LinkCheck]:
        """Every link of every page handed to check_links so far: the finished checks as they
        are, the rest as `unknown` with `reason` (what a deadline leaves)."""
        out: list[LinkCheck] = []
        for page_url, chosen, malformed in self._pages:
            out += malformed
            for key, link in chosen.items():
                task = self._results.get(key)
                if task is not None and task.done() and not task.cancelled() and task.exception() is None:
                    out.append(self._record(page_url, key, link, task.result()))
                else:
                    out.append(LinkCheck(page=page_url, url=key, cls=LinkClass.UNKNOWN, anchor=link.anchor,
                                         context=link.context, reason=reason))
        return out

    async def check_urls(self, urls: Iterable[str]) -> list[LinkCheck]:
        """One LinkCheck per distinct http(s) URL (page and anchor empty)."""
        keys: list[str] = []
        malformed: list[LinkCheck] = []
        for u in urls:
            try:
                if is_checkable(u):
                    keys.append(url_key(u, FOR_FETCH))
            except ValueError as exc:
                malformed.append(LinkCheck(page="", url=u, cls=LinkClass.BROKEN, reason=f"malformed URL: {exc}"))
        keys = list(dict.fromkeys(keys))
        outcomes = await asyncio.gather(*(self._check(k) for k in keys))
        return malformed + [self._record("", k, None, out) for k, out in zip(keys, outcomes)]

    # --- one URL -----------------------------------------------------------------------
    def _check(self, url: str) -> "asyncio.Task[_Outcome]":
        task = self._results.get(url)
        if task is None:
            task = asyncio.ensure_future(self._check_url(url))
            self._results[url] = task
        return task

    def _record(self, page: str, url: str, link: Link | None, out: _Outcome) -> LinkCheck:
        dead = out.cls in DEAD_LINK_CLASSES
        return LinkCheck(page=page, url=url, cls=out.cls, status=out.status, chain=[dict(h) for h in out.chain],
                         final_url=out.final_url, anchor=link.anchor if link else "",
                         context=link.context if link else "", reason=out.reason,
                         wayback=wayback_url(url) if dead else "")

    async def _check_url(self, url: str) -> _Outcome:
        import httpx

        try:
            return await self._follow(url)
        except (ValueError, UnicodeError, httpx.InvalidURL) as exc:  # a bad IDNA label, a bad port
            return _Outcome(LinkClass.BROKEN, None, [{"url": url, "status": None}], url, f"malformed URL: {exc}")

    async def _follow(self, url: str) -> _Outcome:
        chain: list[dict[str, Any]] = []
        seen: set[str] = set()
        current = url
        for _ in range(self.settings.max_redirects + 1):
            seen.add(current)
            stop = await self._may_not_request(current, chain)
            if stop is not None:
                return stop
            hop = await self._hop(current, need_body=True)
            if hop.error == "blocked":
                chain.append({"url": current, "status": None})
                via = f"redirects to {current}: " if len(chain) > 1 else ""
                return _Outcome(LinkClass.BLOCKED_INTERNAL, None, chain, current, via + hop.reason)
            if hop.error:
                chain.append({"url": current, "status": None})
                cls = LinkClass.UNKNOWN if hop.error in ("timeout", "other") else LinkClass.BROKEN
                if len(chain) > 1:
                    reason = f"redirects to {current}: {hop.reason}"
                else:
                    reason = hop.reason
                return _Outcome(cls, None, chain, current, reason)
            status = hop.status or 0
            chain.append({"url": current, "status": status})
            if 300 <= status < 400 and status != 304:
                location = hop.headers.get("location", "")
                if not location:
                    return _Outcome(LinkClass.UNKNOWN, status, chain, current, f"{status} without a Location header")
                nxt = url_key(urljoin(current, location), FOR_FETCH)
                if nxt in seen:
                    chain.append({"url": nxt, "status": None})
                    return _Outcome(LinkClass.REDIRECT_LOOP, status, chain, nxt,
                                    f"redirect loop after {len(chain) - 1} hop(s) back to {nxt}")
                current = nxt
                continue
            return await self._final(url, current, hop, chain)
        return _Outcome(LinkClass.TOO_MANY_REDIRECTS, chain[-1]["status"] if chain else None, chain, current,
                        f"more than {self.settings.max_redirects} redirects")

    async def _may_not_request(self, url: str, chain: list[dict[str, Any]]) -> _Outcome | None:
        """The outcome for a URL we must not request (internal address, robots.txt), else None."""
        why = self.runtime.policy.url_reason(url)
        via = f"redirects to {url}, which " if chain else ""
        if why:
            return _Outcome(LinkClass.BLOCKED_INTERNAL, None, chain + [{"url": url, "status": None}], url,
                            f"{via}is an internal address ({why}); not requested")
        if not await self._robots_allow(url):
            return _Outcome(LinkClass.ROBOTS_DISALLOWED, None, chain + [{"url": url, "status": None}], url,
                            f"{via}robots.txt disallows for our user agent; not requested")
        return None

    async def _robots_allow(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        if self.settings.ignore_robots or host in self.robots_exempt:
            return True
        if self._robots is None:
            from discover.pages.robots import RobotsCache

            self._robots = RobotsCache(self._http(), self.settings.user_agent, timeout=self.settings.timeout)
        return await self._robots.allowed(url)

    async def _final(self, url: str, final: str, hop: _Hop, chain: list[dict[str, Any]]) -> _Outcome:
        status = hop.status or 0
        hops = len(chain) - 1
        via = f" after {hops} redirect(s)" if hops else ""
        if status in DEAD_STATUSES:
            return _Outcome(LinkClass.BROKEN, status, chain, final, f"{status}{via}")
        if 200 <= status < 300:
            marker = parked_marker(hop.body, final)
            if marker:
                return _Outcome(LinkClass.PARKED, status, chain, final, f"parked domain: {marker!r}")
            if _is_html(hop) and hop.body:
                marker = soft_404_marker(hop.body)
                if marker:
                    return _Outcome(LinkClass.SOFT_404, status, chain, final, f"soft 404: {marker}")
                if self.probe_soft_404:
                    why = await self._matches_unknown_path(url, final, hop)
                    if why:
                        return _Outcome(LinkClass.SOFT_404, status, chain, final, f"soft 404: {why}")
            if hops:
                return _Outcome(LinkClass.REDIRECT, status, chain, final, f"{hops} redirect(s) to {final}")
            return _Outcome(LinkClass.OK, status, chain, final, "")
        if status in (401, 407):
            return _Outcome(LinkClass.UNKNOWN, status, chain, final, f"{status}: needs a login{via}")
        if status in (403, 429, 999) or status == 451:
            return _Outcome(LinkClass.UNKNOWN, status, chain, final, f"{status}: blocked or rate-limited{via}")
        if status >= 500:
            return _Outcome(LinkClass.UNKNOWN, status, chain, final, f"{status} after {self.retries} retries{via}")
        return _Outcome(LinkClass.UNKNOWN, status, chain, final, f"{status}{via}")

    # --- HTTP --------------------------------------------------------------------------
    def _host_sem(self, url: str) -> "Lease":
        host = (urlsplit(url).hostname or "").lower()
        sem = self._host_sems.get(host)
        if sem is None:
            # Per process, or shared by every worker of a fleet (discover.politeness).
            sem = self._host_sems[host] = self.runtime.politeness.host_limit(host, self.settings.per_host_concurrency)
        return sem

    async def _hop(self, url: str, need_body: bool) -> _Hop:
        head = self.head_first if self.head_first is not None else not _looks_like_page(url)
        if head:
            hop = await self._request("HEAD", url)
            if hop.error in ("dns", "refused", "tls", "timeout", "blocked"):
                return hop  # GET would fail the same way; a timeout would only double the wait
            status = hop.status or 0
            verify = (hop.error != "" or status in _HEAD_DOUBT or status >= 500
                      or (need_body and 200 <= status < 300 and _is_html(hop)))
            if not verify:
                return hop
        attempt = 0
        while True:
            hop = await self._request("GET", url)
            if not (hop.status and hop.status >= 500) or attempt >= self.retries:
                return hop
            attempt += 1
            await asyncio.sleep(self.retry_backoff * (2 ** (attempt - 1)))

    async def _request(self, method: str, url: str) -> _Hop:
        import httpx

        client = self._http()
        assert self._sem is not None
        from discover.net import UndecodableBody, read_body

        async with self._sem, self._host_sem(url):
            self.requests_made += 1
            try:
                # One deadline for headers and body: a body that drips forever is a timeout.
                async with asyncio.timeout(self.settings.timeout):
                    if method == "HEAD":
                        resp = await client.head(url)
                        return _Hop(resp.status_code, {k.lower(): v for k, v in resp.headers.items()})
                    async with client.stream("GET", url) as resp:
                        headers = {k.lower(): v for k, v in resp.headers.items()}
                        body = b""
                        if 200 <= resp.status_code < 300 and _is_html_type(headers.get("content-type", "")):
                            try:
                                body = (await read_body(resp, BODY_LIMIT)).data
                            except UndecodableBody:
                                body = b""   # the status is what counts; the soft-404 check just has less
                        return _Hop(resp.status_code, headers, _decode(body, resp.encoding))
            except TimeoutError:
                return _Hop(None, error="timeout", reason=f"timeout (no complete answer within {self.settings.timeout:g}s)")
            except httpx.HTTPError as exc:
                kind, reason = _classify_error(exc)
                return _Hop(None, error=kind, reason=reason)
            except (OSError, ValueError) as exc:  # ssl errors and malformed URLs surface here
                kind, reason = _classify_error(exc)
                return _Hop(None, error=kind, reason=reason)

    # --- soft 404 by probing ------------------------------------------------------------
    async def _matches_unknown_path(self, url: str, final: str, hop: _Hop) -> str:
        if urlsplit(url).path in ("", "/"):
            return ""  # a home page is never "not found", whatever unknown paths answer
        parts = urlsplit(final)
        host_key = f"{parts.scheme}://{parts.netloc}"
        task = self._probes.get(host_key)
        if task is None:
            task = self._probes[host_key] = asyncio.ensure_future(self._probe(host_key))
        probe = await task
        if probe.status is None or not (200 <= probe.status < 300):
            return ""
        landed, home = url_key(probe.final_url, FOR_FETCH), url_key(host_key + "/", FOR_FETCH)
        if landed == url_key(final, FOR_FETCH) and landed != home:
            return f"the host answers every unknown path with {final}"
        if landed == url_key(final, FOR_FETCH):
            return "redirects to the home page, as every unknown path of the host does"
        page = _fingerprint(hop.body)
        if page and probe.fingerprint and _similar(page, probe.fingerprint) >= 0.9:
            return "same page as a random unknown path of the host (which answers 200)"
        return ""

    async def _probe(self, host_key: str) -> _Probe:
        current = f"{host_key}/{secrets.token_hex(8)}-discover-probe"
        for _ in range(self.settings.max_redirects + 1):
            if await self._may_not_request(current, []) is not None:
                return _Probe(None, current, "")
            hop = await self._request("GET", current)
            if hop.error or hop.status is None:
                return _Probe(None, current, "")
            if 300 <= hop.status < 400 and hop.headers.get("location"):
                current = url_key(urljoin(current, hop.headers["location"]), FOR_FETCH)
                continue
            return _Probe(hop.status, current, _fingerprint(hop.body))
        return _Probe(None, current, "")


_FILE_EXT = re.compile(r"\.(?:pdf|jpe?g|png|gif|webp|svg|ico|bmp|tiff?|mp[34]|m4[av]|mov|avi|webm|ogg|wav|flac|"
                       r"zip|gz|tgz|bz2|xz|7z|rar|tar|exe|dmg|msi|apk|iso|docx?|xlsx?|pptx?|odt|csv|epub|"
                       r"woff2?|ttf|otf|css|js|json|xml|rss|atom)$", re.I)


def _looks_like_page(url: str) -> bool:
    return not _FILE_EXT.search(urlsplit(url).path)


def _fingerprint(html: str) -> str:
    return (_first(_TITLE, html) + " " + _visible_text(html))[:20_000] if html else ""


def _is_html_type(ctype: str) -> bool:
    ctype = ctype.lower()
    return not ctype or "html" in ctype or "xml" in ctype or ctype.startswith("text/")


def _is_html(hop: _Hop) -> bool:
    return _is_html_type(hop.headers.get("content-type", ""))


def _decode(body: bytes, encoding: str | None) -> str:
    if not body:
        return ""
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _same_site(host: str, page_host: str) -> bool:
    return bool(host) and bare_host(host) == bare_host(page_host)


def summarise(checks: Iterable[LinkCheck]) -> dict[str, int]:
    """Counts per class, in LINK_CLASSES order (zeros omitted)."""
    from discover.records import LINK_CLASSES

    counts = Counter(c.cls for c in checks)
    return {cls: counts[cls] for cls in LINK_CLASSES if counts[cls]}
