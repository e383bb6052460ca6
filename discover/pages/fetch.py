"""Fetch pages politely: a static httpx fast path, a Chromium path for pages that need JavaScript.

    fetch(url)
      cache hit within the TTL ─────────────────────────────────→ path="cache"
      robots.txt (per origin, RobotsCache) ── disallowed ───────→ robots_disallowed
      static: GET, redirects followed by hand (limit, loop check), streamed body
        status → not_found / gone / blocked / error(5xx…)
        content type → not_html (never handed to the extractor)
        size → too_large ; bot wall markers → blocked
        decode: header charset → <meta> charset → charset_normalizer sniffing
      little visible text but scripts (or host known to need JS) → browser path
        Chromium page.content() after load; still empty → js_empty

Every URL ends with a FetchResult whose `outcome` is one of records.FETCH_OUTCOMES and, when
not ok, a one-line `reason`. Politeness: a global cap (settings.concurrency), per-host
concurrency and delay (settings.per_host_concurrency / per_host_delay), robots.txt for the
tool's user agent unless settings.ignore_robots.
"""

from __future__ import annotations

import asyncio
import codecs
import copy
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

from discover.errors import DiscoverError
from discover.records import FetchResult
from discover.settings import Settings

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
CACHEABLE = frozenset({"ok", "not_found", "gone", "not_html", "too_large", "js_empty"})

# Challenge pages of bot walls (Cloudflare, Sucuri, DataDome, Akamai ...): these markers do not
# appear in ordinary pages.
BOT_WALL_MARKERS = (
    "cf-browser-verification", "cf_chl_opt", "/cdn-cgi/challenge-platform", "challenge-form",
    "attention required! | cloudflare", "checking your browser before accessing",
    "just a moment...</title>", "ddos protection by", "sucuri website firewall",
    "captcha-delivery.com", "px-captcha", "_incapsula_resource", "verify you are human",
    "please enable cookies and reload the page", "are you a robot",
)

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
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


def normalise_charset(name: str) -> str | None:
    """A Python codec for a declared charset, with the WHATWG aliases browsers use; None if unknown."""
    name = name.strip().strip("'\"").lower()
    if not name:
        return None
    # Browsers decode these labels as windows-1252 (WHATWG Encoding), and so do pages' authors.
    if name in ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii", "l1", "cp819"):
        return "cp1252"
    if name in ("x-sjis", "shift-jis"):
        return "shift_jis"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_header(content_type: str) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type or "", re.IGNORECASE)
    return normalise_charset(m.group(1)) if m else None


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """(text, encoding used): BOM, HTTP header, <meta> charset, then sniffing; never raises."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="replace"), enc
    enc = charset_from_header(content_type)
    if enc is None:
        m = _META_CHARSET.search(body[:8192])
        if m:
            enc = normalise_charset(m.group(1).decode("ascii", "ignore"))
    if enc is None:
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        enc = normalise_charset(best.encoding) if best is not None else None
        enc = enc or "cp1252"
    if enc in ("utf-16", "utf-32"):  # a meta tag cannot truthfully declare these in ASCII bytes
        enc = "utf-8"
    return body.decode(enc, errors="replace"), enc


def _status_outcome(status: int, headers: dict[str, str]) -> tuple[str, str]:
    if status == 404:
        return "not_found", "HTTP 404"
    if status == 410:
        return "gone", "HTTP 410"
    if status in (401, 403, 429):
        retry = headers.get("retry-after")
        return "blocked", f"HTTP {status}" + (f" (Retry-After {retry})" if retry else "")
    if status >= 500:
        return "error", f"HTTP {status} server error"
    return "error", f"HTTP {status}"


def _is_html_type(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    return base in HTML_TYPES


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<!--"))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _clean_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


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
        self._browser_ctx = None
        self._browser_pool: asyncio.Queue | None = None
        self._browser_lock = asyncio.Lock()
        self._browser_failed = ""
        self.stats: dict[str, int] = {}

    # --- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._browser_ctx is not None:
            try:
                await self._browser_ctx.close()
            except Exception:  # the browser may already be gone at shutdown
                pass
            self._browser_ctx = None
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

        try:
            parts = urlsplit(url)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError on a port out of range
            httpx.URL(url).host  # noqa: B018 - raises on a host no client can encode ("xn--")
        except (ValueError, httpx.InvalidURL):   # "http://[::1", "http://host:99999/", IDNAError
            valid = False
        if not valid:
            return FetchResult(url=url, final_url=url, outcome="error", reason="not an http(s) URL")
        ttl = self.settings.page_cache_ttl
        if self.cache is not None:
            hit = self.cache.get(url, ttl)
            if hit is not None:
                res = copy.copy(hit)
                res.path = "cache"
                return res
        async with self._global:
            if _host(url) in self.browser_hosts:
                result = await self._robots_gate(url) or await self._browser_fetch(url)
            else:
                result = await self._static_fetch(url)
                if result.outcome == "ok" and self._needs_browser(result.html):
                    rendered = await self._browser_fetch(result.final_url or url, redirects=result.redirects)
                    if rendered.outcome == "ok":
                        self.browser_hosts.add(_host(url))
                    result = rendered
        result.url = url
        if self.cache is not None and result.outcome in CACHEABLE:
            self.cache.put(result)
        return result

    async def _robots_gate(self, url: str) -> FetchResult | None:
        if self.settings.ignore_robots:
            return None
        if await self._robots_cache().allowed(url):
            return None
        return FetchResult(url=url, final_url=url, outcome="robots_disallowed",
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

        client = self._http()
        current = _clean_url(url)
        seen: set[str] = {current}
        redirects: list[str] = []
        for _hop in range(self.settings.max_redirects + 1):
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
                    return FetchResult(url=url, final_url=current, outcome="timeout", redirects=redirects,
                                       reason=f"no complete answer within {self.settings.timeout:g}s")
                except httpx.TimeoutException as exc:
                    return FetchResult(url=url, final_url=current, outcome="timeout", redirects=redirects,
                                       reason=f"{type(exc).__name__} after {self.settings.timeout:g}s")
                except httpx.ConnectError as exc:
                    msg = str(exc)
                    if any(m in msg.lower() for m in _DNS_MARKERS):
                        return FetchResult(url=url, final_url=current, outcome="dns_error", redirects=redirects,
                                           reason=f"host {_host(current)} not found")
                    return FetchResult(url=url, final_url=current, outcome="error", redirects=redirects,
                                       reason=f"connection failed: {msg.splitlines()[0] if msg else type(exc).__name__}")
                except (httpx.HTTPError, OSError) as exc:
                    first = (str(exc).splitlines() or [type(exc).__name__])[0]
                    return FetchResult(url=url, final_url=current, outcome="error", redirects=redirects,
                                       reason=f"{type(exc).__name__}: {first}"[:300])
            if isinstance(hop, str):  # a redirect target
                nxt = _clean_url(urljoin(current, hop))
                redirects.append(current)
                if nxt in seen:
                    return FetchResult(url=url, final_url=nxt, outcome="error", redirects=redirects,
                                       reason=f"redirect loop back to {nxt}")
                seen.add(nxt)
                current = nxt
                continue
            hop.url, hop.redirects = url, redirects
            return hop
        return FetchResult(url=url, final_url=current, outcome="error", redirects=redirects,
                           reason=f"too many redirects (more than {self.settings.max_redirects})")

    async def _one_request(self, client: "httpx.AsyncClient", url: str) -> FetchResult | str:
        """One GET: a FetchResult, or the Location of a redirect."""
        async with client.stream("GET", url) as resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            status = resp.status_code
            if 300 <= status < 400 and status != 304:
                loc = headers.get("location")
                if loc:
                    return loc
                return FetchResult(url=url, final_url=url, outcome="error", status=status, headers=headers,
                                   reason=f"HTTP {status} without a Location")
            ctype = headers.get("content-type", "")
            base = FetchResult(url=url, final_url=url, status=status, content_type=ctype, headers=headers)
            if status >= 400:
                base.outcome, base.reason = _status_outcome(status, headers)
                if status in (403, 503) or base.outcome == "blocked":
                    body = await _read_capped(resp, 200_000)
                    if body is not None:
                        text, _ = decode_html(body, ctype)
                        if is_bot_wall(text):
                            base.outcome, base.reason = "blocked", f"HTTP {status} bot-wall challenge page"
                return base
            if ctype and not _is_html_type(ctype):
                base.outcome, base.reason = "not_html", f"content type {ctype.split(';')[0].strip()}"
                return base
            declared = headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.settings.max_bytes:
                base.outcome = "too_large"
                base.reason = f"Content-Length {declared} > max_bytes {self.settings.max_bytes}"
                return base
            body = await _read_capped(resp, self.settings.max_bytes)
            if body is None:
                base.outcome, base.reason = "too_large", f"body over max_bytes {self.settings.max_bytes}"
                return base
        if not ctype and not _looks_like_html(body):
            base.outcome, base.reason = "not_html", "no content type and the body is not HTML"
            return base
        if body.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04")):
            base.outcome, base.reason = "not_html", "binary body served as HTML"
            return base
        html, enc = decode_html(body, ctype)
        base.html, base.encoding = html, enc
        if is_bot_wall(html):
            base.outcome, base.reason = "blocked", "bot-wall challenge page"
            return base
        base.outcome = "ok"
        robots_tag = headers.get("x-robots-tag", "")
        if robots_tag:
            base.headers["x-robots-tag"] = robots_tag
        return base

    # --- browser path ------------------------------------------------------------------
    async def _browser_page(self):
        async with self._browser_lock:
            if self._browser_pool is None:
                if self._browser_failed:
                    raise DiscoverError(self._browser_failed)
                try:
                    session = await self.runtime.browser()
                    ctx = await session.new_context(user_agent=self.settings.user_agent)
                except DiscoverError as exc:
                    self._browser_failed = f"browser unavailable: {exc}"
                    raise DiscoverError(self._browser_failed) from None

                async def skip_heavy(route) -> None:
                    # Images, media and fonts never change the text; skipping them saves most of the time.
                    if route.request.resource_type in ("image", "media", "font"):
                        await route.abort()
                    else:
                        await route.fallback()

                await ctx.route("**/*", skip_heavy)
                self._browser_ctx = ctx
                pool: asyncio.Queue = asyncio.Queue()
                for _ in range(self.browser_pages):
                    pool.put_nowait(await ctx.new_page())
                self._browser_pool = pool
        assert self._browser_pool is not None
        return await self._browser_pool.get()

    async def _browser_fetch(self, url: str, redirects: list[str] | None = None) -> FetchResult:
        res = FetchResult(url=url, final_url=url, path="browser", redirects=list(redirects or []))
        try:
            page = await self._browser_page()
        except DiscoverError as exc:
            res.outcome, res.reason = "js_empty", str(exc)
            return res
        from playwright.async_api import Error as PWError
        from playwright.async_api import TimeoutError as PWTimeout

        assert self._browser_pool is not None
        try:
            slot = await self._polite(_host(url))
            async with slot.sem:
                await self._wait_turn(slot)
                try:
                    resp = await page.goto(url, wait_until="load", timeout=self.settings.timeout * 1000)
                except PWTimeout:
                    res.outcome, res.reason = "timeout", f"browser load over {self.settings.timeout:g}s"
                    return res
                except PWError as exc:
                    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    if any(m in msg.lower() for m in _DNS_MARKERS):
                        res.outcome, res.reason = "dns_error", f"host {_host(url)} not found"
                    else:
                        res.outcome, res.reason = "error", f"browser: {msg}"[:300]
                    return res
                html = await page.content()
                if len(visible_text(html)) < JS_TEXT_THRESHOLD:
                    # Scripts that fetch their content after load get a short grace period.
                    try:
                        await page.wait_for_load_state("networkidle", timeout=1500)
                    except PWTimeout:
                        pass
                    html = await page.content()
                res.final_url = page.url
            if resp is not None:
                res.status = resp.status
                res.headers = {k.lower(): v for k, v in (await resp.all_headers()).items()}
                res.content_type = res.headers.get("content-type", "")
                if resp.status >= 400:
                    res.outcome, res.reason = _status_outcome(resp.status, res.headers)
                    return res
            res.html, res.encoding = html, "utf-8"
            if is_bot_wall(html):
                res.outcome, res.reason = "blocked", "bot-wall challenge page (browser)"
            elif len(visible_text(html)) < RENDERED_EMPTY_THRESHOLD:
                res.outcome, res.reason = "js_empty", "page is still empty after rendering its scripts"
            else:
                res.outcome = "ok"
            return res
        finally:
            self._browser_pool.put_nowait(page)


async def _read_capped(resp: "httpx.Response", limit: int) -> bytes | None:
    """The body, or None when it grows past `limit` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
