"""robots.txt: fetched once per origin through the caller's own client, cached, consulted per URL.

Rules are read by Protego, which follows RFC 9309 (`*` and `$` wildcards, the longest matching
rule wins, Allow beats Disallow on a tie) — the stdlib parser knows neither.

RFC 9309 semantics where they help the user: a missing robots.txt (4xx) allows everything;
one that cannot be read because the host is unreachable (or its robots.txt redirects to an
internal address the egress policy refuses) also allows, so that the page fetch itself reports
the real failure (dns_error, timeout, blocked_internal) instead of a misleading
"robots_disallowed". A 5xx robots.txt disallows the whole origin, as the RFC asks.

The body is streamed, decompressed and cut at MAX_ROBOTS_BYTES as it arrives (a gzip-bombed
robots.txt is never inflated beyond that), and the whole load has a deadline.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from protego import Protego

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

#: robots.txt bigger than this is cut (Google reads 500 KiB).
MAX_ROBOTS_BYTES = 512_000
_ALLOW_ALL = ""
_DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme or 'http'}://{(parts.netloc or '').lower()}"


class RobotsCache:
    """Per-origin robots.txt rules for one user agent."""

    def __init__(self, client: "httpx.AsyncClient", user_agent: str, *, timeout: float = 10.0) -> None:
        self.client = client
        self.user_agent = user_agent
        self.timeout = timeout
        self._rules: dict[str, Protego] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetched = 0

    async def allowed(self, url: str) -> bool:
        rules = await self.rules_for(url)
        return rules.can_fetch(url, self.user_agent)

    async def crawl_delay(self, url: str) -> float | None:
        rules = await self.rules_for(url)
        delay = rules.crawl_delay(self.user_agent)
        return float(delay) if delay is not None else None

    async def rules_for(self, url: str) -> Protego:
        origin = origin_of(url)
        cached = self._rules.get(origin)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._rules:
                self._rules[origin] = Protego.parse(await self._load(origin))
        return self._rules[origin]

    async def _load(self, origin: str) -> str:
        """The robots.txt text to parse (synthesised for the allow-all / disallow-all cases)."""
        import httpx

        from discover.net import UndecodableBody, read_body

        url = origin + "/robots.txt"
        self.fetched += 1
        try:
            async with asyncio.timeout(self.timeout):
                for _ in range(5):
                    async with self.client.stream("GET", url) as resp:
                        if resp.is_redirect and resp.headers.get("location"):
                            url = urljoin(url, resp.headers["location"])
                            continue
                        if resp.status_code >= 500:
                            return _DISALLOW_ALL
                        if resp.status_code >= 400:
                            return _ALLOW_ALL
                        body = await read_body(resp, MAX_ROBOTS_BYTES)
                        return body.data.decode("utf-8", errors="replace")
                return _ALLOW_ALL   # a redirect chain that never ends is no robots.txt
        except (httpx.HTTPError, TimeoutError, OSError, UndecodableBody) as exc:
            log.debug("robots.txt for %s unreadable (%s): allowing", origin, exc)
            return _ALLOW_ALL
