"""Several remote browsers as one: `--browser-endpoint` given more than once (or a comma list).

Contexts are handed out round-robin. An endpoint that cannot be reached at start, or whose
browser drops its connection later, is taken out of the pool with its reason (logged once);
the others carry on, so one dead machine of a browser farm does not fail a run. Only when no
endpoint is left does `new_context` raise a BrowserError naming each one and why it left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from discover.browser import BrowserSession
from discover.errors import BrowserError, DiscoverError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

    from discover.net import EgressPolicy
    from discover.webworld.world import World

log = logging.getLogger(__name__)


def split_endpoints(value: str) -> list[str]:
    """The endpoints of a `browser_endpoint` setting: one, or several separated by commas."""
    return list(dict.fromkeys(e.strip() for e in (value or "").split(",") if e.strip()))


class BrowserPool:
    """Quacks like a BrowserSession (`async with`, `new_context`, `remote`)."""

    remote = True

    def __init__(self, endpoints: list[str], *, world: "World | None" = None, world_address: str = "",
                 policy: "EgressPolicy | None" = None) -> None:
        if not endpoints:
            raise BrowserError("a browser pool needs at least one endpoint")
        self.endpoints = list(endpoints)
        self.world = world
        self.world_address = world_address
        self.policy = policy
        self.alive: list[BrowserSession] = []
        #: endpoint → why it was taken out of the pool
        self.removed: dict[str, str] = {}
        self._next = 0
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> "BrowserPool":
        async def connect(endpoint: str) -> BrowserSession | None:
            session = BrowserSession(endpoint=endpoint, world=self.world, world_address=self.world_address,
                                     policy=self.policy)
            try:
                return await session.__aenter__()
            except DiscoverError as exc:
                self._remove(endpoint, str(exc))
                return None

        sessions = await asyncio.gather(*(connect(e) for e in self.endpoints))
        self.alive = [s for s in sessions if s is not None]
        for s in self.alive:
            assert s.browser is not None
            s.browser.on("disconnected", self._on_disconnect(s))
        if not self.alive:
            raise BrowserError(self._none_left(), hint="start the remote browsers, or drop --browser-endpoint "
                                                      "to launch a local one")
        return self

    def _on_disconnect(self, session: BrowserSession) -> Callable[[Any], None]:
        return lambda _browser: self._drop(session, "the browser disconnected")

    def _remove(self, endpoint: str, reason: str) -> None:
        if endpoint not in self.removed:
            self.removed[endpoint] = reason
            log.warning("browser endpoint %s taken out of the pool: %s", endpoint, reason)

    def _drop(self, session: BrowserSession, reason: str) -> None:
        if session in self.alive:
            self.alive.remove(session)
        self._remove(session.endpoint, reason)

    def _none_left(self) -> str:
        detail = "; ".join(f"{e}: {why}" for e, why in self.removed.items())
        return f"no remote browser of the pool is reachable ({detail})"

    async def new_context(self, **kwargs: Any) -> "BrowserContext":
        from playwright.async_api import Error as PWError

        while True:
            async with self._lock:
                if not self.alive:
                    raise BrowserError(self._none_left())
                session = self.alive[self._next % len(self.alive)]
                self._next += 1
            assert session.browser is not None
            if not session.browser.is_connected():
                self._drop(session, "the browser disconnected")
                continue
            try:
                return await session.new_context(**kwargs)
            except PWError as exc:
                if session.browser.is_connected():
                    raise
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self._drop(session, f"lost while opening a context: {first}")

    async def __aexit__(self, *exc: object) -> None:
        sessions, self.alive = self.alive, []
        for s in sessions:
            try:
                await s.__aexit__(None, None, None)
            except Exception as err:  # a browser that died with its machine cannot be closed politely
                log.debug("closing browser %s: %s", s.endpoint, err)
