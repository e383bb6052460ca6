"""robots.txt: fetched once per origin through the fetcher's own client, cached, consulted per URL.

RFC 9309 semantics where they help the user: a missing robots.txt (4xx) allows everything;
one that cannot be read because the host is unreachable also allows, so that the page fetch
itself reports the real failure (dns_error, timeout) instead of a misleading
"robots_disallowed". A 5xx robots.txt disallows the whole origin, as the RFC asks.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

#: robots.txt bigger than this is cut (Google reads 500 KiB).
MAX_ROBOTS_BYTES = 512_000


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme or 'http'}://{(parts.netloc or '').lower()}"


class RobotsCache:
    """Per-origin robots.txt rules for one user agent."""

    def __init__(self, client: "httpx.AsyncClient", user_agent: str, *, timeout: float = 10.0) -> None:
        self.client = client
        self.user_agent = user_agent
        self.timeout = timeout
        self._rules: dict[str, RobotFileParser] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetched = 0

    async def allowed(self, url: str) -> bool:
        rules = await self.rules_for(url)
        return rules.can_fetch(self.user_agent, url)

    async def crawl_delay(self, url: str) -> float | None:
        rules = await self.rules_for(url)
        delay = rules.crawl_delay(self.user_agent)
        return float(delay) if delay is not None else None

    async def rules_for(self, url: str) -> RobotFileParser:
        origin = origin_of(url)
        cached = self._rules.get(origin)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._rules:
                self._rules[origin] = await self._load(origin)
        return self._rules[origin]

    async def _load(self, origin: str) -> RobotFileParser:
        import httpx

        parser = RobotFileParser(origin + "/robots.txt")
        url = origin + "/robots.txt"
        self.fetched += 1
        try:
            async with asyncio.timeout(self.timeout):
                for _ in range(5):
                    resp = await self.client.get(url)
                    if resp.is_redirect and resp.headers.get("location"):
                        url = urljoin(url, resp.headers["location"])
                        continue
                    break
                else:
                    parser.allow_all = True  # type: ignore[attr-defined]  # the parser's own flag
                    return parser
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            log.debug("robots.txt for %s unreadable (%s): allowing", origin, exc)
            parser.allow_all = True  # type: ignore[attr-defined]
            return parser
        if resp.status_code >= 500:
            parser.disallow_all = True  # type: ignore[attr-defined]
        elif resp.status_code >= 400:
            parser.allow_all = True  # type: ignore[attr-defined]
        else:
            text = resp.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            parser.parse(text.splitlines())
        return parser
