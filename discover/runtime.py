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
    from discover.egress_proxy import EgressProxy
    from discover.net import EgressPolicy, Resolver
    from discover.proxies import Proxies
    from discover.webworld.server import WorldServer
    from discover.webworld.world import World


class Runtime:
    """`resolver` replaces the system resolver (tests; embedding in a program with its own DNS);
    `politeness` the per-process limits (a fleet's, shared in Redis; owned by the caller)."""

    def __init__(self, settings: Settings, *, captcha: bool = False, resolver: "Resolver | None" = None,
                 politeness: "Politeness | None" = None) -> None:
        from discover.politeness import LocalPoliteness

        self.settings = settings
        self.world: World | None = None
        self.server: WorldServer | None = None
        self._browser: BrowserSession | BrowserPool | None = None
        #: Per-host limits and engine budgets: this process's own, or a fleet's (owned by the caller).
        self.politeness: Politeness = politeness or LocalPoliteness()
        self._browser_lock = asyncio.Lock()
        self._captcha = captcha
        self._resolver = resolver
        self._policy: EgressPolicy | None = None
        self.egress_proxy: EgressProxy | None = None
        self._proxies: Proxies | None = None

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
        if self.egress_proxy is not None:
            self.egress_proxy.stop()
            self.egress_proxy = None
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

    @property
    def policy(self) -> "EgressPolicy":
        """Where this run may connect (see discover.net): public addresses only unless
        settings.allow_private; `allow_networks` always."""
        if self._policy is None:
            from discover.net import EgressPolicy

            self._policy = EgressPolicy.from_settings(self.settings, resolver=self._resolver)
        return self._policy

    @property
    def proxies(self) -> "Proxies":
        """The user's upstream proxies (--proxy, HTTP_PROXY, ...); none inside an offline world."""
        if self._proxies is None:
            from discover.proxies import Proxies

            self._proxies = Proxies() if self.world is not None else Proxies.from_settings(self.settings)
        return self._proxies

    def http_client(self, **kwargs: Any) -> "httpx.AsyncClient":
        """An AsyncClient for this network. Redirects are not followed unless asked for; every
        connection is checked against the egress policy at connect time."""
        import httpx

        from discover.net import ACCEPT_ENCODING, guarded_transport, proxied_transport

        limits = httpx.Limits(max_connections=self.settings.concurrency * 2,
                              max_keepalive_connections=self.settings.concurrency)
        kwargs.setdefault("timeout", httpx.Timeout(self.settings.timeout))
        headers = dict(kwargs.pop("headers", None) or {"User-Agent": self.settings.user_agent})
        # Only encodings read_body can decode lazily (a brotli bomb could not be capped).
        headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)
        kwargs["headers"] = headers
        if self.world is not None and self.server is not None:
            from discover.webworld.transport import AsyncWorldTransport

            transport: httpx.AsyncBaseTransport = AsyncWorldTransport(
                self.world, (self.server.host, self.server.port), limits=limits, policy=self.policy)
        elif self.proxies.active:
            transport = proxied_transport(self.policy, self.proxies, http2=_h2_available(), limits=limits)
        else:
            transport = guarded_transport(self.policy, http2=_h2_available(), limits=limits)
        return httpx.AsyncClient(transport=transport, **kwargs)

    async def browser(self) -> "BrowserSession | BrowserPool":
        """The shared browser, started on first use. A local browser outside a world reaches the
        web only through the egress proxy (discover.egress_proxy); several endpoints are a pool
        of remote browsers (discover.browser_pool)."""
        async with self._browser_lock:
            if self._browser is None:
                from discover.browser import BrowserSession
                from discover.browser_pool import BrowserPool, split_endpoints

                endpoints = split_endpoints(self.settings.browser_endpoint)
                address = self.server.address if self.server else ""
                if len(endpoints) > 1:
                    self._browser = await BrowserPool(endpoints, world=self.world, world_address=address,
                                                      policy=self.policy).__aenter__()
                    return self._browser
                proxy_flags: list[str] = []
                if self.world is None and not endpoints:
                    from discover.egress_proxy import EgressProxy

                    if self.egress_proxy is None:
                        self.egress_proxy = EgressProxy(self.policy, upstream=self.proxies).start()
                    proxy_flags = self.egress_proxy.chromium_flags()
                session = BrowserSession(
                    executable=self.settings.browser, endpoint=endpoints[0] if endpoints else "",
                    headed=self.settings.headed, world=self.world, world_address=address,
                    proxy_flags=proxy_flags, policy=self.policy)
                self._browser = await session.__aenter__()
            return self._browser


def _h2_available() -> bool:
    try:
        import h2  # noqa: F401
    except ImportError:
        return False
    return True
