"""The network a command runs in: the real internet, or an offline web world.

`Runtime` owns the local world server (when `--web` is given), hands out HTTP clients and a
lazily started browser that both reach the world under its real host names, and closes all
of it on exit. Stages take a Runtime instead of building their own clients, so every stage
sees the same world.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from discover.settings import Settings

if TYPE_CHECKING:
    import httpx

    from discover.browser import BrowserSession
    from discover.browser_pool import BrowserPool
    from discover.politeness import Politeness
    from discover.webworld.server import WorldServer
    from discover.webworld.world import World


class Runtime:
    def __init__(self, settings: Settings, *, captcha: bool = False, politeness: "Politeness | None" = None) -> None:
        from discover.politeness import LocalPoliteness

        self.settings = settings
        self.world: World | None = None
        self.server: WorldServer | None = None
        self._browser: BrowserSession | BrowserPool | None = None
        #: Per-host limits and engine budgets: this process's own, or a fleet's (owned by the caller).
        self.politeness: Politeness = politeness or LocalPoliteness()
        self._browser_lock = asyncio.Lock()
        self._captcha = captcha

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> "Runtime":
        if self.settings.web and self.world is None:
            from discover.webworld.server import WorldServer
            from discover.webworld.world import World

            self.world = World(self.settings.web)
            from discover.webworld.engine import install_engine

            install_engine(self.world, captcha=self._captcha)
            self.server = WorldServer(self.world).start()
        return self

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.__aexit__(None, None, None)
            self._browser = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    async def __aenter__(self) -> "Runtime":
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- clients -----------------------------------------------------------------------
    @property
    def offline(self) -> bool:
        return self.world is not None

    def http_client(self, **kwargs: Any) -> "httpx.AsyncClient":
        """An AsyncClient for this network. Redirects are not followed unless asked for."""
        import httpx

        limits = httpx.Limits(max_connections=self.settings.concurrency * 2,
                              max_keepalive_connections=self.settings.concurrency)
        kwargs.setdefault("timeout", httpx.Timeout(self.settings.timeout))
        kwargs.setdefault("headers", {"User-Agent": self.settings.user_agent})
        if self.world is not None and self.server is not None:
            from discover.webworld.transport import AsyncWorldTransport

            transport: httpx.AsyncBaseTransport = AsyncWorldTransport(
                self.world, (self.server.host, self.server.port), limits=limits)
        else:
            transport = httpx.AsyncHTTPTransport(http2=_h2_available(), limits=limits, retries=0)
        return httpx.AsyncClient(transport=transport, **kwargs)

    async def browser(self) -> "BrowserSession | BrowserPool":
        """The shared browser, started on first use (several endpoints: a pool of remote browsers)."""
        async with self._browser_lock:
            if self._browser is None:
                from discover.browser import BrowserSession
                from discover.browser_pool import BrowserPool, split_endpoints

                endpoints = split_endpoints(self.settings.browser_endpoint)
                address = self.server.address if self.server else ""
                if len(endpoints) > 1:
                    self._browser = await BrowserPool(endpoints, world=self.world, world_address=address).__aenter__()
                else:
                    session = BrowserSession(
                        executable=self.settings.browser, endpoint=endpoints[0] if endpoints else "",
                        headed=self.settings.headed, world=self.world, world_address=address)
                    self._browser = await session.__aenter__()
            return self._browser


def _h2_available() -> bool:
    try:
        import h2  # noqa: F401
    except ImportError:
        return False
    return True
