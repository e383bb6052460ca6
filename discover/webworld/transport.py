"""httpx transports that send world hosts to the local WorldServer and fail unknown hosts
the way an unknown domain fails on the internet (httpx.ConnectError "Name or service not known")."""

from __future__ import annotations

import httpx

from discover.webworld.world import World, normalise_host

NAME_NOT_RESOLVED = "[Errno -2] Name or service not known"


def _rewrite(request: httpx.Request, world: World, address: tuple[str, int]) -> None:
    host = normalise_host(request.url.host)
    if host not in world.all_hosts():
        raise httpx.ConnectError(f"{NAME_NOT_RESOLVED}: {host}", request=request)
    # https is served as http underneath; the Host header keeps the real name.
    request.headers["Host"] = request.url.netloc.decode("ascii").split(":")[0] if request.url.port is None \
        else request.url.netloc.decode("ascii")
    request.url = request.url.copy_with(scheme="http", host=address[0], port=address[1])


class AsyncWorldTransport(httpx.AsyncBaseTransport):
    def __init__(self, world: World, address: tuple[str, int], **kwargs) -> None:
        self.world = world
        self.address = address
        self._inner = httpx.AsyncHTTPTransport(**kwargs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        _rewrite(request, self.world, self.address)
        response = await self._inner.handle_async_request(request)
        request.url = original  # so response.url and redirects carry the real name
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class WorldTransport(httpx.BaseTransport):
    def __init__(self, world: World, address: tuple[str, int], **kwargs) -> None:
        self.world = world
        self.address = address
        self._inner = httpx.HTTPTransport(**kwargs)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        _rewrite(request, self.world, self.address)
        response = self._inner.handle_request(request)
        request.url = original
        return response

    def close(self) -> None:
        self._inner.close()
