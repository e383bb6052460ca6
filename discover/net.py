"""Safe network access: where the tool may connect, how much it may read, when it tries again.

Pages are written by strangers. A link, a redirect, a robots.txt redirect or a script may point
at the user's own network (`localhost:5432`, `http://2130706433/`, `169.254.169.254`), a body may
be a decompression bomb or never end. Everything that opens a connection or reads a body goes
through this module:

    address_reason(ip)          why an address is off limits ("loopback", "private", ...) or None
    host_reason(host)           the same judgement on a URL's host text: IP literals in every form
                                browsers accept (2130706433, 0x7f.1, 127.1, [::ffff:7f00:1]) and
                                localhost names; lets a link be reported without any connection
    EgressPolicy                allow_private (the --allow-private flag), networks always allowed
                                (the offline world's server), the resolver
      .reason(ip) / .url_reason(url) / resolve(host, port)
    guarded_transport(policy)   an httpx transport that resolves the host itself, checks every
                                resolved address and connects to exactly the address it checked,
                                so DNS rebinding and redirects cannot get past the check
    EgressBlocked / BlockedRequest / blocked_by_policy(exc)
    read_body(resp, cap)        the body decoded (gzip, deflate, nested) while it streams, counted
                                after decompression, never inflated past the cap
    TRANSIENT_STATUSES, backoff_delay(attempt), retry_after(value)

The browser's own traffic goes through `discover.egress_proxy` (a local proxy on this policy)
or, inside an offline world, never leaves the world (see `discover.browser`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The fetch / link outcome for a URL the policy refused.
BLOCKED_INTERNAL = "blocked_internal"

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_METADATA = ipaddress.ip_address("169.254.169.254")


# --- addresses ---------------------------------------------------------------------------------
def address_reason(addr: IPAddress) -> str | None:
    """Why `addr` is not a public internet address, or None when it is one."""
    if isinstance(addr, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address inside are judged by that address.
        embedded: ipaddress.IPv4Address | None = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and addr.teredo:
            embedded = addr.teredo[1]
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_reason(embedded)
            return f"{inner} (inside {addr})" if inner else None
        if addr in _V4_COMPATIBLE and not (addr.is_unspecified or addr.is_loopback):
            return "IPv4-compatible IPv6 (deprecated)"
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_loopback:
        return "loopback"
    if addr == _METADATA:
        return "link-local (cloud metadata service)"
    if addr.is_link_local:
        return "link-local"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return "carrier-grade NAT (shared)"
    if addr.is_multicast:
        return "multicast"
    if addr.is_private:
        return "private"
    if addr.is_reserved:
        return "reserved"
    if not addr.is_global:
        return "not public"
    return None


def parse_ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """A host read the way browsers (WHATWG URL) and inet_aton read IPv4: 1 to 4 parts, each
    decimal, 0x hex or 0-led octal; the last part fills the remaining bytes (127.1, 2130706433,
    0x7f.1, 0177.0.0.1). None when the host is a name."""
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]   # one trailing dot is allowed
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        if not part:
            return None
        try:
            if part[:2].lower() == "0x":
                value = int(part[2:] or "0", 16)
            elif len(part) > 1 and part[0] == "0":
                value = int(part[1:], 8)
            else:
                value = int(part, 10) if part.isdigit() else -1
        except ValueError:
            return None
        if value < 0:
            return None
        numbers.append(value)
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def parse_ip_host(host: str) -> IPAddress | None:
    """The address a URL host names literally (any IPv4 form, bracketed or bare IPv6), else None."""
    host = (host or "").strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    return parse_ipv4_literal(host)


def _is_localhost_name(host: str) -> bool:
    host = host.strip().lower().rstrip(".")
    # RFC 6761: localhost and every name under it are loopback, whatever DNS says.
    return host in ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback") \
        or host.endswith(".localhost")


def host_reason(host: str) -> str | None:
    """Why a URL host is internal judging by its text alone (literal addresses, localhost names)."""
    if _is_localhost_name(host):
        return "loopback (localhost)"
    addr = parse_ip_host(host)
    return address_reason(addr) if addr is not None else None


def _url_host(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc.rsplit("@", 1)[-1]
    except ValueError:
        return ""
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1] if "]" in netloc else netloc
    return netloc.split(":", 1)[0]


# --- the policy --------------------------------------------------------------------------------
class EgressBlocked(Exception):
    """A connection the policy refused: nothing was sent."""

    def __init__(self, host: str, port: int | None, address: str, why: str) -> None:
        where = f"{host}:{port}" if port else host
        via = f" ({address})" if address and address != host.strip("[]") else ""
        super().__init__(f"{where}{via} is a {why} address; not contacted (--allow-private to allow)")
        self.host, self.port, self.address, self.why = host, port, address, why


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressPolicy:
    """Where connections may go. Default: public internet addresses only."""

    allow_private: bool = False
    #: Networks always let through: the offline world's server, a user's explicit allow list.
    allowed: tuple[IPNetwork, ...] = ()
    #: Name resolution (the system resolver unless a test or an embedding gives its own).
    resolver: Resolver | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Any, *, allowed: Iterable[str] = (),
                      resolver: Resolver | None = None) -> "EgressPolicy":
        nets = [ipaddress.ip_network(a, strict=False) for a in allowed]
        nets += parse_networks(getattr(settings, "allow_networks", ""))
        return cls(allow_private=bool(getattr(settings, "allow_private", False)), allowed=tuple(nets),
                   resolver=resolver)

    def with_allowed(self, *addresses: str) -> "EgressPolicy":
        nets = tuple(ipaddress.ip_network(a, strict=False) for a in addresses)
        return EgressPolicy(self.allow_private, self.allowed + nets, self.resolver)

    def reason(self, ip: str | IPAddress) -> str | None:
        """Why a connection to this resolved address is refused, or None."""
        try:
            addr = ip if not isinstance(ip, str) else ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return "not an IP address"
        if self.allow_private or any(addr in net for net in self.allowed):
            return None
        return address_reason(addr)

    def host_reason(self, host: str) -> str | None:
        """Judgement on a host's text (no resolution): literal internal addresses, localhost."""
        if self.allow_private:
            return None
        addr = parse_ip_host(host)
        if addr is not None:
            return self.reason(addr)
        return host_reason(host)

    def url_reason(self, url: str) -> str | None:
        return self.host_reason(_url_host(url))

    def check_url(self, url: str) -> None:
        """Raise EgressBlocked when the URL's host text alone is off limits."""
        why = self.url_reason(url)
        if why:
            host = _url_host(url)
            addr = parse_ip_host(host)
            try:
                port = urlsplit(url).port
            except ValueError:
                port = None
            raise EgressBlocked(host, port, str(addr) if addr else "", why)

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host` a connection may use (blocking); EgressBlocked when none."""
        early = self._literal(host, port)
        if early is not None:
            return early
        return self._judge(host, port, (self.resolver or system_resolver)(host.strip("[]"), port))

    async def aresolve(self, host: str, port: int) -> list[str]:
        """`resolve` without blocking the event loop."""
        early = self._literal(host, port)
        if early is not None:
            return early
        if self.resolver is not None:
            addresses = await asyncio.to_thread(self.resolver, host.strip("[]"), port)
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        return self._judge(host, port, addresses)

    def _literal(self, host: str, port: int) -> list[str] | None:
        literal = parse_ip_host(host)
        if literal is not None:
            return self._judge(host, port, [str(literal)])
        if _is_localhost_name(host):
            # Never resolved: whatever a resolver says, these names are this machine.
            return self._judge(host, port, ["127.0.0.1", "::1"])
        return None

    def _judge(self, host: str, port: int, addresses: list[str]) -> list[str]:
        allowed = [a for a in addresses if self.reason(a) is None]
        if not allowed:
            first = addresses[0] if addresses else ""
            raise EgressBlocked(host, port, first, self.reason(first) or "unresolvable")
        return allowed


def parse_networks(text: str) -> list[IPNetwork]:
    """`"10.1.0.0/16, 192.168.3.7"` → networks; ValueError names the bad entry."""
    out = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
    return out


def blocked_by_policy(exc: BaseException | None) -> EgressBlocked | None:
    """The EgressBlocked at the root of an exception chain (httpx wraps what transports raise)."""
    seen = 0
    while exc is not None and seen < 12:
        if isinstance(exc, EgressBlocked):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


# --- httpx -------------------------------------------------------------------------------------
def guarded_transport(policy: EgressPolicy, **kwargs: Any) -> "httpx.AsyncBaseTransport":
    """An httpx.AsyncHTTPTransport whose connections are opened by `_GuardedBackend`."""
    return _transport_class()(policy, **kwargs)


_TRANSPORT: Any = None


def _transport_class() -> Any:
    # Built on first use: httpx and httpcore stay out of CLI start-up.
    global _TRANSPORT
    if _TRANSPORT is not None:
        return _TRANSPORT
    import httpcore
    import httpx

    class BlockedRequest(httpx.ConnectError):
        """httpx's face of EgressBlocked (a ConnectError: nothing was sent)."""

    class GuardedBackend(httpcore.AsyncNetworkBackend):
        """Resolve, check every address, connect to a checked address only."""

        def __init__(self, policy: EgressPolicy) -> None:
            self.policy = policy
            self._inner = httpcore.AnyIOBackend()

        async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                              local_address: str | None = None, socket_options: Any = None) -> Any:
            try:
                async with asyncio.timeout(timeout):
                    addresses = await self.policy.aresolve(host, port)
            except socket.gaierror as exc:
                raise httpcore.ConnectError(str(exc)) from exc
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout}s") from exc
            last: Exception | None = None
            for address in addresses:
                try:
                    return await self._inner.connect_tcp(address, port, timeout=timeout,
                                                         local_address=local_address,
                                                         socket_options=socket_options)
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    last = exc
            assert last is not None
            raise last

        async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                      socket_options: Any = None) -> Any:
            raise httpcore.ConnectError("unix sockets are not reachable from pages")

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    class GuardedTransport(httpx.AsyncHTTPTransport):
        def __init__(self, policy: EgressPolicy, *, http2: bool = False,
                     limits: httpx.Limits = httpx.Limits(), retries: int = 0,
                     verify: Any = True) -> None:
            super().__init__(http2=http2, limits=limits, retries=retries, verify=verify)
            # The same pool httpx would build, with our backend opening its connections.
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=httpx.create_ssl_context(verify=verify),
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry, http1=True, http2=http2, retries=retries,
                network_backend=GuardedBackend(policy))
            self.policy = policy

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return await super().handle_async_request(request)
            except EgressBlocked as exc:
                raise BlockedRequest(str(exc), request=request) from exc

    GuardedTransport.BlockedRequest = BlockedRequest  # type: ignore[attr-defined]
    _TRANSPORT = GuardedTransport
    return _TRANSPORT


def blocked_request(exc: EgressBlocked, request: "httpx.Request") -> Exception:
    """The httpx exception a transport raises for a refused request."""
    return _transport_class().BlockedRequest(str(exc), request=request)


# --- bodies ------------------------------------------------------------------------------------
class UndecodableBody(Exception):
    """A body in an encoding we did not ask for, or a corrupt compressed stream."""


#: Content-Encoding layers we decode; we advertise exactly these.
ACCEPT_ENCODING = "gzip, deflate"
#: More layers than this is not a real server.
MAX_ENCODING_LAYERS = 3
_STEP = 64 * 1024
_NEED = object()   # a decoding stage's "give me more input"


@dataclass
class Body:
    data: bytes              # at most `cap` bytes of the decoded body
    over_cap: bool = False   # the body was longer than the cap (the rest was not read)
    raw_bytes: int = 0       # bytes read from the wire


class _Source:
    """Raw chunks as they arrive; yields _NEED when it has none yet and the stream is open."""

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.closed = False

    def __iter__(self) -> Iterator[Any]:
        while True:
            if self.chunks:
                yield self.chunks.popleft()
            elif self.closed:
                return
            else:
                yield _NEED


def _decompressor(encoding: str) -> Any:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise UndecodableBody(f"content-encoding {encoding!r} is not supported (we asked for {ACCEPT_ENCODING})")


def _inflate(upstream: Iterator[Any], encoding: str) -> Iterator[Any]:
    """One decoding stage: output in pieces of at most _STEP bytes, produced only when pulled."""
    d = _decompressor(encoding)
    started = False
    for data in upstream:
        if data is _NEED:
            yield _NEED
            continue
        while True:
            try:
                out = d.decompress(data, _STEP)
            except zlib.error as exc:
                if encoding == "deflate" and not started:
                    # "deflate" is often sent raw, without the zlib wrapper the RFC asks for.
                    d, started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise UndecodableBody(f"corrupt {encoding} body: {exc}") from None
            started = True
            data = d.unconsumed_tail
            if out:
                yield out
            if d.eof:
                rest = d.unused_data
                if not rest or encoding == "deflate":
                    data = b""
                    break
                d = _decompressor(encoding)   # gzip allows several members back to back
                data = rest
                continue
            if not data and len(out) < _STEP:
                break
    if not d.eof and started:
        try:
            tail = d.flush()
        except zlib.error as exc:
            raise UndecodableBody(f"corrupt {encoding} body: {exc}") from None
        if tail:
            yield tail


def content_encodings(headers: Any) -> list[str]:
    value = headers.get("content-encoding", "") if headers is not None else ""
    return [e.strip().lower() for e in value.split(",") if e.strip() and e.strip().lower() != "identity"]


class BodyReader:
    """Push raw chunks, pull decoded bytes up to a cap. Decoding is lazy: a 2 KB nested-gzip bomb
    inflates only as far as the cap (plus one 64 KB step per layer)."""

    def __init__(self, encodings: list[str], cap: int) -> None:
        if len(encodings) > MAX_ENCODING_LAYERS:
            raise UndecodableBody(f"{len(encodings)} content-encoding layers")
        for enc in encodings:
            _decompressor(enc)   # unsupported encodings fail before any byte is read
        self.cap = cap
        self._source = _Source()
        pipeline: Iterator[Any] = iter(self._source)
        for enc in reversed(encodings):   # the last encoding listed was applied last
            pipeline = _inflate(pipeline, enc)
        self._pipeline = pipeline
        self._parts: list[bytes] = []
        self.size = 0
        self.raw_bytes = 0
        self.over_cap = False

    def feed(self, chunk: bytes) -> bool:
        """Take one raw chunk; False once the cap is reached (stop reading)."""
        self.raw_bytes += len(chunk)
        self._source.chunks.append(chunk)
        self._drain()
        # Raw bytes that decode to nothing (empty deflate blocks) are bounded too.
        if self.raw_bytes > self.cap + _STEP:
            self.over_cap = True
        return not self.over_cap

    def close(self) -> Body:
        if not self.over_cap:
            self._source.closed = True
            self._drain()
        return Body(b"".join(self._parts), self.over_cap, self.raw_bytes)

    def _drain(self) -> None:
        if self.over_cap:
            return
        for piece in self._pipeline:
            if piece is _NEED:
                return
            room = self.cap - self.size
            if len(piece) > room:
                self._parts.append(piece[:room])
                self.size = self.cap
                self.over_cap = True
                return
            self._parts.append(piece)
            self.size += len(piece)


async def read_body(resp: "httpx.Response", cap: int) -> Body:
    """Read a streamed httpx response's body, decoded, up to `cap` bytes (see BodyReader)."""
    reader = BodyReader(content_encodings(resp.headers), cap)
    async for chunk in resp.aiter_raw():
        if not reader.feed(chunk):
            break
    return reader.close()


def decode_bytes(raw: bytes, encodings: list[str], cap: int) -> Body:
    """The same decoding for a body already in memory (a browser route, a test)."""
    reader = BodyReader(encodings, cap)
    for i in range(0, len(raw), _STEP):
        if not reader.feed(raw[i:i + _STEP]):
            break
    return reader.close()


# --- retries and back-off ---------------------------------------------------------------------
#: Statuses worth one more try: the server (or a proxy before it) failed, not the request.
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 8.0) -> float:
    """Seconds before retry number `attempt` (0 = first retry): exponential, with jitter so that
    many workers do not retry in step."""
    return min(cap, base * (2 ** attempt)) * (1.0 + random.random() * 0.25)


def retry_after(value: str | None, cap: float = 60.0) -> float | None:
    """A Retry-After header in seconds (delta-seconds form only), capped; None when absent or odd."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(cap, float(value))
    return None
