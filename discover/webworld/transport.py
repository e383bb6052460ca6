"""httpx transports that send world hosts to the local WorldServer and fail unknown hosts
the way an unknown domain fails on the internet (httpx.ConnectError "Name or service not known").

A world page that points outside the world at an internal address (`http://127.0.0.2:8080/`,
`localhost:5432`) is refused by the egress policy like on the internet (`blocked_internal`),
before the unknown-host rule: the world server is served from loopback, but nothing else on the
machine is part of the world.
"""

from __future__ import annotations

import httpx

from discover.net import EgressBlocked, EgressPolicy, blocked_request, guarded_transport
from discover.webworld.world import World, normalise_host

NAME_NOT_RESOLVED = "[Errno -2] Name or service not known"


def _rewrite(request: httpx.Request, world: World, address: tuple[str, int], policy: EgressPolicy) -> bool:
    """Point a world request at the server; False for a request to leave as it is (an internal
    address the policy allows)."""
    host = normalise_host(request.url.host)
    if host not in world.all_hosts():
        try:
            policy.check_url(str(request.url))
        except EgressBlocked as exc:
            raise blocked_request(exc, request) from exc
        if policy.allow_private and policy.host_reason(host) is None and _internal_literal(host):
            return False
        raise httpx.ConnectError(f"{NAME_NOT_RESOLVED}: {host}", request=request)
    # https is served as http underneath; the Host header keeps the real name.
    request.headers["Host"] = request.url.netloc.decode("ascii").split(":")[0] if request.url.port is None \
        else request.url.netloc.decode("ascii")
    request.url = request.url.copy_with(scheme="http", host=address[0], port=address[1])
    return True


def _internal_literal(host: str) -> bool:
    from discover.net import host_reason

    return host_reason(host) is not None


class AsyncWorldTransport(httpx.AsyncBaseTransport):
    def __init__(self, world: World, address: tuple[str, int], *, policy: EgressPolicy | None = None,
                 **kwargs) -> None:
        self.world = world
        self.address = address
        self.policy = policy or EgressPolicy()
        # Connect-time check too: the server's own address is the one internal address allowed.
        self._inner = guarded_transport(self.policy.with_allowed(f"{address[0]}/32"), **kwargs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        if not _rewrite(request, self.world, self.address, self.policy):
            return await self._inner.handle_async_request(request)
        response = await self._inner.handle_async_request(request)
        request.url = original  # so response.url and redirects carry the real name
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class WorldTransport(httpx.BaseTransport):
    """Synchronous twin (tests, scripts): world hosts only, no policy-allowed escapes."""

    def __init__(self, world: World, address: tuple[str, int], **kwargs) -> None:
        self.world = world
        self.address = address
        self.policy = EgressPolicy()
        self._inner = httpx.HTTPTransport(**kwargs)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        _rewrite(request, self.world, self.address, self.policy)
        response = self._inner.handle_request(request)
        request.url = original
        return response

    def close(self) -> None:
        self._inner.close()
