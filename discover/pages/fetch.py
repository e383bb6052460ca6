"""Fetch pages politely: a static httpx fast path, a Chromium path for pages that need JavaScript.

    fetch(url)
      internal address (URL text; a redirect; the resolved address) ─→ blocked_internal
      cache hit within the TTL ─────────────────────────────────→ path="cache"
      robots.txt (per origin, RobotsCache) ── disallowed ───────→ robots_disallowed
      static: GET, redirects followed by hand (limit, loop check), streamed body
        status → not_found / gone / blocked / error(5xx…)
        content type → not_html (never handed to the extractor)
        size (after decompression, counted while streaming) → too_large ; bot wall → blocked
        decode: header charset → <meta> charset → charset_normalizer sniffing
      little visible text but scripts (or host known to need JS) → browser path
        a fresh context per page; every Playwright call bounded; a page that will not yield
        (scripts looping after load) → timeout, its tab and context closed
        Chromium's own error page / interstitial / about:blank → error ; still empty → js_empty
      timeout, connection reset, 5xx → tried again (settings.retries, back-off) within
      settings.page_deadline for the whole page

Every URL ends with a FetchResult whose `outcome` is one of records.FETCH_OUTCOMES and, when
not ok, a one-line `reason`. Politeness: a global cap (settings.concurrency), per-host
concurrency and delay (settings.per_host_concurrency / per_host_delay), robots.txt for the
tool's user agent unless settings.ignore_robots.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

from discover.errors import DiscoverError
from discover.html import decode_html
from discover.net import TRANSIENT_STATUSES
from discover.records import FetchOutcome, FetchPath, FetchResult
from discover.settings import Settings
from discover.urls import FOR_FETCH, url_key

if TYPE_CHECKING:
    import httpx

    from discover.pages.robots import RobotsCache
    from discover.politeness import HostSlot
    from discover.runtime import Runtime

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml+xhtml")
#: Below this many characters of visible text a page with scripts is rendered in the browser.
JS_TEXT_THRESHOLD = 200
#: A browser render with less visible text than this is js_empty.
RENDERED_EMPTY_THRESHOLD = 40
#: Outcomes worth caching: the same request would answer the same. Timeouts and 5xx are not.
CACHEABLE = frozenset({FetchOutcome.OK, FetchOutcome.NOT_FOUND, FetchOutcome.GONE, FetchOutcome.NOT_HTML,
                       FetchOutcome.TOO_LARGE, FetchOutcome.JS_EMPTY})
#: Failure reasons (lower case) that another try may cure: the network or the server hiccuped.
_TRANSIENT_MARKERS = ("readerror", "remoteprotocolerror", "writeerror", "connection reset",
                      "connection aborted", "err_connection_reset", "err_empty_response",
                      "err_connection_closed", "err_timed_out", "err_network_changed", "server disconnected")

# Challenge pages of bot walls (Cloudflare, Sucuri, DataDome, Akamai ...): these markers do not
# appear in ordinary pages.
BOT_WALL_MARKERS = (
    "cf-browser-verification", "cf_chl_opt", "/cdn-cgi/challenge-platform", "challenge-form",
    "attention required! | cloudflare", "checking your browser before accessing",
    "just a moment...</title>", "ddos protection by", "sucuri website firewall",
    "captcha-delivery.com", "px-captcha", "_incapsula_resource", "verify you are human",
    "please enable cookies and reload the page", "are you a robot",
)

_SCRIPT = re.compile(r"<script\b", re.IGNORECASE)
_STRIP_BLOCKS = re.compile(r"(?is)<(script|style|noscript|template|svg)\b.*?</\1\s*>")
_TAGS = re.compile(r"(?s)<[^>]*>")
_WS = re.compile(r"\s+")
_DNS_MARKERS = ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                "temporary failure in name resolution", "no address associated", "name resolution",
                "err_name_not_resolved", "namenotresolved")


class PageCache(Protocol):
    """Where fetched pages are kept between fetches (the store provides a DB-backed one)."""

    def get(self, url: str, ttl: float) -> FetchResult | None: ...

    def put(self, result: FetchResult) -> None: ...


class MemoryPageCache:
    """PageCache in a dict; entries older than the TTL asked for are not returned."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, FetchResult]] = {}

    def get(self, url: str, ttl: float) -> FetchResult | None:
        item = self._items.get(url)
        if item is None or time.time() - item[0] > ttl:
            return None
        return item[1]

    def put(self, result: FetchResult) -> None:
        if len(self._items) >= self.max_entries:
            self._items.pop(next(iter(self._items)))  # oldest first: dicts keep insertion order
        self._items[result.url] = (time.time(), result)

    def __len__(self) -> int:
        return len(self._items)


def visible_text(html: str) -> str:
    """Visible text, cheaply (regex, not a parser): used only to decide on the browser path."""
    body = _STRIP_BLOCKS.sub(" ", html[:2_000_000])
    head_end = body.lower().find("</head>")
    if head_end != -1:
        body = body[head_end:]
    return _WS.sub(" ", _TAGS.sub(" ", body)).strip()


def is_bot_wall(html: str) -> bool:
    low = html[:30_000].lower()
    return any(m in low for m in BOT_WALL_MARKERS)


def _status_outcome(status: int, headers: dict[str, str]) -> tuple[FetchOutcome, str]:
    if status == 404:
        return FetchOutcome.NOT_FOUND, "HTTP 404"
    if status == 410:
        return FetchOutcome.GONE, "HTTP 410"
    if status in (401, 403, 429):
        retry = headers.get("retry-after")
        return FetchOutcome.BLOCKED, f"HTTP {status}" + (f" (Retry-After {retry})" if retry else "")
    if status >= 500:
        return FetchOutcome.ERROR, f"HTTP {status} server error"
    return FetchOutcome.ERROR, f"HTTP {status}"


def _is_html_type(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    return base in HTML_TYPES


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<!--"))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()




class Fetcher:
    """Fetch URLs into FetchResults. Use `async with Fetcher(runtime, settings) as f:`.

    `browser_hosts` names hosts known to need JavaScript (they skip the static path); hosts
    whose pages had to be rendered once are added to it as the run goes.
    """

    def __init__(self, runtime: "Runtime", settings: Settings | None = None, *,
                 cache: PageCache | None = None, browser_hosts: Iterable[str] = (),
                 browser_pages: int = 2) -> None:
        self.runtime = runtime
        self.settings = settings or runtime.settings
        self.cache = cache
        self.browser_hosts: set[str] = {h.lower() for h in browser_hosts}
        self.browser_pages = browser_pages
        self._client: httpx.AsyncClient | None = None
        self._robots: RobotsCache | None = None
        self._global = asyncio.Semaphore(self.settings.concurrency)
        self._hosts: dict[str, HostSlot] = {}
        self._browser_sem = asyncio.Semaphore(browser_pages)
        self._browser_lock = asyncio.Lock()
        self._browser_failed = ""
        self.stats: dict[str, int] = {}

    # --- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> "httpx.AsyncClient":
        if self._client is None:
            self._client = self.runtime.http_client(follow_redirects=False)
        return self._client

    def _robots_cache(self) -> "RobotsCache":
        if self._robots is None:
            from discover.pages.robots import RobotsCache

            self._robots = RobotsCache(self._http(), self.settings.user_agent, timeout=self.settings.timeout)
        return self._robots

    # --- public ------------------------------------------------------------------------
    async def fetch(self, url: str) -> FetchResult:
        started = time.monotonic()
        result = await self._fetch(url)
        if result.path != "cache":
            result.elapsed_s = round(time.monotonic() - started, 4)
        self.stats[result.outcome] = self.stats.get(result.outcome, 0) + 1
        return result

    async def iter_fetch(self, urls: Iterable[str]) -> AsyncIterator[tuple[int, FetchResult]]:
        """(index, result) pairs in completion order, with at most `concurrency` URLs in flight.

        Memory stays flat however many URLs there are: nothing is kept once yielded.
        """
        queue: asyncio.Queue[tuple[int, FetchResult] | Exception | None] = asyncio.Queue(maxsize=self.settings.concurrency * 2)
        source = iter(enumerate(urls))

        async def worker() -> None:
            try:
                for i, u in source:  # a shared iterator: each URL goes to exactly one worker
                    await queue.put((i, await self.fetch(u)))
            except Exception as exc:  # a bug in one fetch: raise it in the consumer, never leave it waiting
                await queue.put(exc)
                return
            await queue.put(None)

        workers = [asyncio.create_task(worker()) for _ in range(self.settings.concurrency)]
        done = 0
        try:
            while done < len(workers):
                item = await queue.get()
                if item is None:
                    done += 1
                    continue
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def fetch_many(self, urls: Iterable[str],
                         on_result: Callable[[FetchResult], None] | None = None) -> list[FetchResult]:
        """Results in the order of `urls`; `on_result` is called as each one finishes."""
        urls = list(urls)
        out: list[FetchResult | None] = [None] * len(urls)
        async for i, res in self.iter_fetch(urls):
            out[i] = res
            if on_result is not None:
                on_result(res)
        return [r for r in out if r is not None]

    # --- the cascade -------------------------------------------------------------------
    async def _fetch(self, url: str) -> FetchResult:
        import httpx

        why = self.runtime.policy.url_reason(url)
        if why:   # before parsing: "http://0177.0.0.1/" is no URL to httpx, but one to a browser
            return _blocked(url, url, why)
        try:
            parts = urlsplit(url)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError on a port out of range
            httpx.URL(url).host  # noqa: B018 - raises on a host no client can encode ("xn--")
        except (ValueError, httpx.InvalidURL):   # "http://[::1", "http://host:99999/", IDNAError
            valid = False
        if not valid:
            return FetchResult(url=url, final_url=url, outcome=FetchOutcome.ERROR, reason="not an http(s) URL")
        ttl = self.settings.page_cache_ttl
        if self.cache is not None:
            hit = self.cache.get(url, ttl)
            if hit is not None:
                res = copy.copy(hit)
                res.path = "cache"
                return res
        result = await self._attempts(url)
        result.url = url
        if self.cache is not None and result.outcome in CACHEABLE:
            self.cache.put(result)
        return result

    async def _attempts(self, url: str) -> FetchResult:
        """One page within settings.page_deadline: tried again after transient failures, with
        back-off (a Retry-After the server sends is honoured, capped)."""
        from discover.net import backoff_delay, retry_after

        loop = asyncio.get_running_loop()
        deadline: float | None = None
        attempt = 0
        while True:
            async with self._global:
                # The clock starts when the page gets its turn, not while it waits for one.
                if deadline is None:
                    deadline = loop.time() + self.settings.page_deadline
                try:
                    async with asyncio.timeout_at(deadline):
                        result, retryable = await self._once(url)
                except TimeoutError:
                    return FetchResult(url=url, final_url=url, outcome=FetchOutcome.TIMEOUT, attempts=attempt + 1,
                                       reason=f"no result within the page deadline of {self.settings.page_deadline:g}s")
            result.attempts = attempt + 1
            if not retryable or attempt >= self.settings.retries:
                if attempt:
                    result.reason = f"{result.reason} (after {attempt + 1} tries)".strip()
                return result
            wait = retry_after(result.headers.get("retry-after"), cap=10.0) or backoff_delay(attempt)
            if loop.time() + wait >= deadline:
                return result
            log.debug("retrying %s in %.2fs after %s: %s", url, wait, result.outcome, result.reason)
            await asyncio.sleep(wait)
            attempt += 1

    async def _once(self, url: str) -> tuple[FetchResult, bool]:
        """One try of the cascade, and whether its failure is worth another try."""
        if _host(url) in self.browser_hosts:
            gate = await self._robots_gate(url)
            if gate is not None:
                return gate, False
            return await self._browser_fetch(url)
        result = await self._static_fetch(url)
        if result.outcome == FetchOutcome.OK and self._needs_browser(result.html):
            rendered, retryable = await self._browser_fetch(result.final_url or url, redirects=result.redirects)
            if rendered.outcome == FetchOutcome.OK:
                self.browser_hosts.add(_host(url))
            return rendered, retryable
        if result.outcome == FetchOutcome.OK and self.settings.screenshots == "all":
            result.screenshot = await self._thumbnail(result)
        return result, _transient(result)

    async def _robots_gate(self, url: str) -> FetchResult | None:
        if self.settings.ignore_robots:
            return None
        if await self._robots_cache().allowed(url):
            return None
        return FetchResult(url=url, final_url=url, outcome=FetchOutcome.ROBOTS_DISALLOWED,
                           reason=f"robots.txt disallows {urlsplit(url).path or '/'} for our user agent")

    def _needs_browser(self, html: str) -> bool:
        if not _SCRIPT.search(html):
            return False
        return len(visible_text(html)) < JS_TEXT_THRESHOLD

    async def _polite(self, host: str) -> "HostSlot":
        slot = self._hosts.get(host)
        if slot is None:
            # Per process, or shared by every worker of a fleet (discover.politeness).
            slot = self._hosts[host] = self.runtime.politeness.host_slot(host, self.settings.per_host_concurrency)
        return slot

    async def _wait_turn(self, slot: "HostSlot") -> None:
        await slot.turn(self.settings.per_host_delay)

    async def _static_fetch(self, url: str) -> FetchResult:
        import httpx

        from discover.net import UndecodableBody

        client = self._http()
        current = url_key(url, FOR_FETCH)
        seen: set[str] = {current}
        redirects: list[str] = []
        from discover.net import blocked_by_policy

        for _hop in range(self.settings.max_redirects + 1):
            why = self.runtime.policy.url_reason(current)
            if why:
                return _blocked(url, current, why, redirects)
            gate = await self._robots_gate(current)
            if gate is not None:
                gate.redirects = redirects
                return gate
            slot = await self._polite(_host(current))
            async with slot.sem:
                await self._wait_turn(slot)
                try:
                    async with asyncio.timeout(self.settings.timeout):
                        hop = await self._one_request(client, current)
                except TimeoutError:
                    return FetchResult(url=url, final_url=current, outcome=FetchOutcome.TIMEOUT, redirects=redirects,
                                       reason=f"no complete answer within {self.settings.timeout:g}s")
                except httpx.TimeoutException as exc:
                    return FetchResult(url=url, final_url=current, outcome=FetchOutcome.TIMEOUT, redirects=redirects,
                                       reason=f"{type(exc).__name__} after {self.settings.timeout:g}s")
                except httpx.ConnectError as exc:
                    refused = blocked_by_policy(exc)
                    if refused is not None:   # the name resolved to an internal address
                        return _blocked(url, current, refused.why, redirects, detail=str(refused))
                    msg = str(exc)
                    if any(m in msg.lower() for m in _DNS_MARKERS):
                        return FetchResult(url=url, final_url=current, outcome=FetchOutcome.DNS_ERROR, redirects=redirects,
                                           reason=f"host {_host(current)} not found")
                    return FetchResult(url=url, final_url=current, outcome=FetchOutcome.ERROR, redirects=redirects,
                                       reason=f"connection failed: {msg.splitlines()[0] if msg else type(exc).__name__}")
                except (httpx.HTTPError, OSError) as exc:
                    first = (str(exc).splitlines() or [type(exc).__name__])[0]
                    return FetchResult(url=url, final_url=current, outcome=FetchOutcome.ERROR, redirects=redirects,
                                       reason=f"{type(exc).__name__}: {first}"[:300])
                except UndecodableBody as exc:
                    return FetchResult(url=url, final_url=current, outcome=FetchOutcome.ERROR, redirects=redirects,
                                       reason=f"undecodable body: {exc}"[:300])
            if isinstance(hop, str):  # a redirect target
                nxt = url_key(urljoin(current, hop), FOR_FETCH)
                redirects.append(current)
                if nxt in seen:
                    return FetchResult(url=url, final_url=nxt, outcome=FetchOutcome.ERROR, redirects=redirects,
                                       reason=f"redirect loop back to {nxt}")
                seen.add(nxt)
                current = nxt
                continue
            hop.url, hop.redirects = url, redirects
            return hop
        return FetchResult(url=url, final_url=current, outcome=FetchOutcome.ERROR, redirects=redirects,
                           reason=f"too many redirects (more than {self.settings.max_redirects})")

    async def _one_request(self, client: "httpx.AsyncClient", url: str) -> FetchResult | str:
        """One GET: a FetchResult, or the Location of a redirect."""
        from discover.net import UndecodableBody, content_encodings, read_body
        async with client.stream("GET", url) as resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            status = resp.status_code
            if 300 <= status < 400 and status != 304:
                loc = headers.get("location")
                if loc:
                    return loc
                return FetchResult(url=url, final_url=url, outcome=FetchOutcome.ERROR, status=status, headers=headers,
                                   reason=f"HTTP {status} without a Location")
            ctype = headers.get("content-type", "")
            base = FetchResult(url=url, final_url=url, status=status, content_type=ctype, headers=headers)
            if status >= 400:
                base.outcome, base.reason = _status_outcome(status, headers)
                if status in (403, 503) or base.outcome == FetchOutcome.BLOCKED:
                    try:
                        wall = await read_body(resp, 200_000)
                    except UndecodableBody:
                        return base
                    text, _ = decode_html(wall.data, ctype)
                    if is_bot_wall(text):
                        base.outcome, base.reason = FetchOutcome.BLOCKED, f"HTTP {status} bot-wall challenge page"
                return base
            if ctype and not _is_html_type(ctype):
                base.outcome, base.reason = FetchOutcome.NOT_HTML, f"content type {ctype.split(';')[0].strip()}"
                return base
            declared = headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.settings.max_bytes:
                base.outcome = FetchOutcome.TOO_LARGE
                base.reason = f"Content-Length {declared} > max_bytes {self.settings.max_bytes}"
                return base
            read = await read_body(resp, self.settings.max_bytes)
            if read.over_cap:
                encoded = f" ({', '.join(content_encodings(resp.headers))}-encoded)" if content_encodings(resp.headers) else ""
                base.outcome = FetchOutcome.TOO_LARGE
                base.reason = (f"body over max_bytes {self.settings.max_bytes} after decompression{encoded}; "
                               f"stopped reading after {read.raw_bytes} bytes on the wire")
                return base
            body = read.data
        if not ctype and not _looks_like_html(body):
            base.outcome, base.reason = FetchOutcome.NOT_HTML, "no content type and the body is not HTML"
            return base
        if body.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04")):
            base.outcome, base.reason = FetchOutcome.NOT_HTML, "binary body served as HTML"
            return base
        html, enc = decode_html(body, ctype)
        base.html, base.encoding = html, enc
        if is_bot_wall(html):
            base.outcome, base.reason = FetchOutcome.BLOCKED, "bot-wall challenge page"
            return base
        base.outcome = FetchOutcome.OK
        robots_tag = headers.get("x-robots-tag", "")
        if robots_tag:
            base.headers["x-robots-tag"] = robots_tag
        return base

    # --- browser path ------------------------------------------------------------------
    async def _session(self):
        async with self._browser_lock:
            if self._browser_failed:
                raise DiscoverError(self._browser_failed)
            try:
                return await self.runtime.browser()
            except DiscoverError as exc:
                self._browser_failed = f"browser unavailable: {exc}"
                raise DiscoverError(self._browser_failed) from None

    async def _browser_fetch(self, url: str, redirects: list[str] | None = None) -> tuple[FetchResult, bool]:
        """Render one page in a fresh context (closed afterwards, whatever the page does): the
        result and whether a failure is worth another try."""
        from playwright.async_api import Error as PWError

        from discover.budgets import Stalled as BrowserStalled

        res = FetchResult(url=url, final_url=url, path="browser", redirects=list(redirects or []))
        why = self.runtime.policy.url_reason(url)
        if why:
            return _blocked(url, url, why, res.redirects, path="browser"), False
        try:
            session = await self._session()
        except DiscoverError as exc:
            res.outcome, res.reason = FetchOutcome.JS_EMPTY, str(exc)
            return res, False
        async with self._browser_sem:
            try:
                async with self._fresh_tab(session, url) as page:
                    return await self._render(page, url, res)
            except PWError as exc:   # the page crashed, closed itself, or never stopped navigating
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                res.outcome, res.reason = FetchOutcome.ERROR, f"browser: {msg}"[:300]
                return res, _transient(res)
            except BrowserStalled as exc:
                res.outcome = FetchOutcome.TIMEOUT
                res.reason = f"browser: {exc}; the page's scripts never yield, so its tab and context were closed"
                return res, False

    @contextlib.asynccontextmanager
    async def _fresh_tab(self, session, url: str, *routes: tuple[Any, Any]) -> AsyncIterator[Any]:
        """A tab in a context of its own (heavy resources skipped, `routes` added), both closed
        on the way out whatever the page did: closing the context ends a hung tab too."""
        from discover.budgets import bounded, close_quietly

        budget = self.settings.timeout
        ctx = page = None
        try:
            ctx = await bounded(session.new_context(**self._context_options()), budget, "opening a browser context")
            await bounded(ctx.route("**/*", _skip_heavy), budget, "setting up the browser context")
            for pattern, handler in routes:
                await bounded(ctx.route(pattern, handler), budget, "setting up the browser context")
            page = await bounded(ctx.new_page(), budget, "opening a tab")
            yield page
        finally:
            await close_quietly(page, 3.0)
            if not await close_quietly(ctx, 10.0):
                log.warning("a browser context for %s would not close", url)

    async def _render(self, page, url: str, res: FetchResult) -> tuple[FetchResult, bool]:
        from playwright.async_api import Error as PWError
        from playwright.async_api import TimeoutError as PWTimeout

        from discover.browser import error_page_reason
        from discover.budgets import bounded
        from discover.egress_proxy import EGRESS_HEADER

        budget = self.settings.timeout
        slot = await self._polite(_host(url))
        async with slot.sem:
            await self._wait_turn(slot)
            try:
                # Playwright's own timeout covers the navigation; ours covers a driver that stalls.
                resp = await bounded(page.goto(url, wait_until="load", timeout=budget * 1000), budget + 5,
                                     "loading the page")
            except PWTimeout:
                res.outcome, res.reason = FetchOutcome.TIMEOUT, f"browser load over {budget:g}s"
                return res, True
            except PWError as exc:
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                refused = self._proxy_refused(url)
                if refused:
                    return _blocked(url, url, refused, res.redirects, path="browser"), False
                if any(m in msg.lower() for m in _DNS_MARKERS):
                    res.outcome, res.reason = FetchOutcome.DNS_ERROR, f"host {_host(url)} not found"
                    return res, False
                res.outcome, res.reason = FetchOutcome.ERROR, f"browser: {msg}"[:300]
                return res, _transient(res)
            html = await self._content(page, budget)
            if len(visible_text(html)) < JS_TEXT_THRESHOLD:
                # Scripts that fetch their content after load get a short grace period.
                try:
                    await bounded(page.wait_for_load_state("networkidle", timeout=1500), 5, "waiting for the network")
                except PWTimeout:
                    pass
                html = await self._content(page, budget)
            res.final_url = page.url
            headers = {}
            if resp is not None:
                headers = {k.lower(): v for k, v in (await bounded(resp.all_headers(), budget, "reading headers")).items()}
        refused = self.runtime.policy.url_reason(res.final_url) or (
            "internal" if headers.get(EGRESS_HEADER.lower()) else "")
        if refused:   # a script or a redirect sent the page to an internal address
            return _blocked(url, res.final_url, self._proxy_refused(res.final_url) or refused, res.redirects,
                            path="browser"), False
        not_a_page = error_page_reason(res.final_url, html)
        if not_a_page:
            res.outcome, res.reason = FetchOutcome.ERROR, not_a_page
            return res, False
        if resp is not None:
            res.status = resp.status
            res.headers = headers
            res.content_type = headers.get("content-type", "")
            if resp.status >= 400:
                res.outcome, res.reason = _status_outcome(resp.status, res.headers)
                return res, _transient(res)
        res.html, res.encoding = html, "utf-8"
        if is_bot_wall(html):
            res.outcome, res.reason = FetchOutcome.BLOCKED, "bot-wall challenge page (browser)"
        elif len(visible_text(html)) < RENDERED_EMPTY_THRESHOLD:
            res.outcome, res.reason = FetchOutcome.JS_EMPTY, "page is still empty after rendering its scripts"
        else:
            res.outcome = FetchOutcome.OK
            if self.settings.screenshots != "off":
                res.screenshot = await _snap(page)
        return res, False

    def _context_options(self) -> dict[str, object]:
        # Half-scale pixels for thumbnails: the layout (CSS pixels, so the text read) is the same
        # and a thumbnail is a quarter of the bytes.
        opts: dict[str, object] = {"user_agent": self.settings.user_agent}
        if self.settings.screenshots != "off":
            opts["device_scale_factor"] = 0.5
        return opts

    async def _thumbnail(self, result: FetchResult) -> bytes:
        """A thumbnail of a statically fetched page: the browser is handed the HTML already read
        (the document is not requested twice; its styles load as a browser would load them)."""
        from playwright.async_api import Error as PWError

        from discover.budgets import Stalled, bounded

        url = result.final_url or result.url
        if self.runtime.policy.url_reason(url):
            return b""
        try:
            session = await self._session()
        except DiscoverError:
            return b""
        html, budget = result.html, self.settings.timeout

        async def serve_document(route) -> None:
            await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        def is_document(u: str) -> bool:   # a predicate, not a glob: URLs hold '?' and '*'
            return u == url

        async with self._browser_sem:
            try:
                async with self._fresh_tab(session, url, (is_document, serve_document)) as page:
                    await bounded(page.goto(url, wait_until="load", timeout=budget * 1000), budget + 5,
                                  "loading the page for its thumbnail")
                    return await _snap(page)
            except (PWError, Stalled) as exc:   # a thumbnail is a nicety: never fail the page over it
                log.debug("no thumbnail of %s: %s", url, str(exc).splitlines()[0] if str(exc) else exc)
                return b""

    @staticmethod
    async def _content(page, budget: float) -> str:
        """The rendered HTML. A page that navigates away after load (a script sending it to
        another host, Chrome's error page, about:blank) is read once it has landed."""
        from playwright.async_api import Error as PWError

        from discover.budgets import bounded

        for attempt in range(5):
            try:
                return await bounded(page.content(), budget, "reading the rendered page")
            except PWError as exc:
                if "navigating" not in str(exc) or attempt == 4:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))   # the new document may not have started yet
                try:
                    await bounded(page.wait_for_load_state("load", timeout=budget * 1000), budget + 2,
                                  "waiting for a navigation to end")
                except PWError:
                    pass
        raise AssertionError("unreachable")

    def _proxy_refused(self, url: str) -> str:
        """Why the egress proxy refused the browser's connection to this URL's host ("" if not)."""
        proxy = getattr(self.runtime, "egress_proxy", None)
        return (proxy.blocked_reason(_host(url)) or "") if proxy is not None else ""


#: Thumbnails: the first screen at half scale, as a small JPEG (about 20 KB).
SHOT_QUALITY = 60


async def _snap(page) -> bytes:
    from playwright.async_api import Error as PWError

    from discover.budgets import Stalled, bounded

    try:
        return await bounded(page.screenshot(type="jpeg", quality=SHOT_QUALITY, full_page=False, timeout=5000), 10,
                             "taking a thumbnail")
    except (PWError, Stalled):
        return b""


async def _skip_heavy(route) -> None:
    # Images, media and fonts never change the text; skipping them saves most of the time.
    if route.request.resource_type in ("image", "media", "font"):
        await route.abort()
    else:
        await route.fallback()


def _blocked(url: str, final: str, why: str, redirects: list[str] | None = None, *,
             path: FetchPath = "static", detail: str = "") -> FetchResult:
    via = f" (reached through {len(redirects)} redirect(s))" if redirects else ""
    where = urlsplit(final).netloc or final
    reason = detail or f"{where} is an internal address ({why}); not contacted (--allow-private to allow)"
    return FetchResult(url=url, final_url=final, outcome=FetchOutcome.BLOCKED_INTERNAL,
                       redirects=list(redirects or []), path=path, reason=reason + via)


def _transient(result: FetchResult) -> bool:
    """Whether another try may succeed: timeouts, dropped connections, server errors (not a
    bot wall: that answers the same until we slow down)."""
    if result.outcome == FetchOutcome.TIMEOUT:
        return True
    if result.outcome != FetchOutcome.ERROR:
        return False
    if result.status in TRANSIENT_STATUSES:
        return True
    low = result.reason.lower()
    return any(m in low for m in _TRANSIENT_MARKERS)
