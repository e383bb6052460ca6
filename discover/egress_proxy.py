"""The local proxy a launched Chromium sends all its traffic through, so pages cannot reach the
user's network.

Why a proxy and not request interception: Playwright's routes see what a page asks for, not
where the browser connects. They miss DNS (a public name that resolves to 10.0.0.5, or to a
different address on the second lookup), and service workers, and cannot be trusted on every
redirect hop. A proxy sees every connection, names are resolved here (Chromium resolves nothing
itself when it has a fixed proxy), and the address checked is the address connected to. Chromium
normally bypasses proxies for loopback; `--proxy-bypass-list=<-loopback>` turns that off.

    proxy = EgressProxy(policy).start()      # 127.0.0.1:<free port>, one thread per connection
    chromium --proxy-server=http://{proxy.address} --proxy-bypass-list=<-loopback>
    proxy.blocked_reason("intranet.example")   # why a host was refused, for the fetch outcome
    proxy.stop()

A refused CONNECT (https, wss) is answered 403, which Chromium reports as
ERR_TUNNEL_CONNECTION_FAILED; a refused plain-http request is answered 403 with the header
`X-Discover-Egress: blocked_internal` and a short page.
"""

from __future__ import annotations

import logging
import selectors
import socket
import socketserver
import threading
import time
from collections import deque
from urllib.parse import urlsplit

from discover.net import EgressBlocked, EgressPolicy

log = logging.getLogger(__name__)

#: Header on the proxy's own refusal, so the fetcher can tell it from a site's 403.
EGRESS_HEADER = "X-Discover-Egress"
_MAX_HEAD = 64 * 1024
_IDLE_S = 90.0
_CONNECT_S = 10.0


class _Handler(socketserver.BaseRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(30)
        try:
            head, rest = _read_head(conn)
        except (OSError, ValueError):
            return
        if not head:
            return
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].decode("latin-1").split(" ", 2)
        except ValueError:
            _reply(conn, 400, "bad request line")
            return
        if method.upper() == "CONNECT":
            host, _, port_s = target.rpartition(":")
            self._tunnel(conn, host, int(port_s) if port_s.isdigit() else 443, rest)
            return
        parts = urlsplit(target)
        if parts.scheme not in ("http", "ws") or not parts.hostname:
            _reply(conn, 400, "this proxy forwards absolute http:// requests and CONNECT only")
            return
        self._forward(conn, method, parts, version, lines[1:], rest)

    # --- the two kinds of request -----------------------------------------------------------
    def _open(self, conn: socket.socket, host: str, port: int, *, tunnel: bool) -> socket.socket | None:
        policy = self.server.policy
        try:
            addresses = policy.resolve(host, port)
        except EgressBlocked as exc:
            self.server.note_blocked(host, port, exc.why)
            log.info("egress proxy refused %s:%s: %s", host, port, exc)
            _reply(conn, 403, str(exc), blocked=True, body=not tunnel)
            return None
        except OSError as exc:   # unknown name
            _reply(conn, 502, f"cannot resolve {host}: {exc}", body=not tunnel)
            return None
        for address in addresses:
            try:
                return socket.create_connection((address, port), timeout=_CONNECT_S)
            except OSError as exc:
                last = exc
        _reply(conn, 502, f"cannot connect to {host}:{port}: {last}", body=not tunnel)
        return None

    def _tunnel(self, conn: socket.socket, host: str, port: int, rest: bytes) -> None:
        upstream = self._open(conn, host.strip("[]"), port, tunnel=True)
        if upstream is None:
            return
        with upstream:
            conn.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _relay(conn, upstream)

    def _forward(self, conn: socket.socket, method: str, parts, version: str, header_lines: list[bytes],
                 rest: bytes) -> None:
        port = parts.port or 80
        upstream = self._open(conn, parts.hostname, port, tunnel=False)
        if upstream is None:
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [ln for ln in header_lines if ln and not ln.lower().startswith(
            (b"proxy-connection:", b"proxy-authorization:", b"connection:", b"keep-alive:"))]
        upgrade = any(ln.lower().startswith(b"upgrade:") for ln in kept)
        # One request per upstream connection: the browser must not reuse it for another host.
        kept.append(b"Connection: upgrade" if upgrade else b"Connection: close")
        head = f"{method} {path} {version}\r\n".encode("latin-1") + b"\r\n".join(kept) + b"\r\n\r\n"
        with upstream:
            upstream.sendall(head + rest)
            _relay(conn, upstream, rewrite_response=not upgrade)


def _read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(8192)
        if not chunk:
            return b"", b""
        buf += chunk
        if len(buf) > _MAX_HEAD:
            raise ValueError("request head too large")
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def _reply(conn: socket.socket, status: int, message: str, *, blocked: bool = False, body: bool = True) -> None:
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}.get(status, "Error")
    payload = (f"<!doctype html><title>{status} {reason}</title><h1>{reason}</h1><p>"
               + message.replace("&", "&amp;").replace("<", "&lt;") + "</p>").encode() if body else b""
    extra = f"{EGRESS_HEADER}: blocked_internal\r\n" if blocked else ""
    try:
        conn.sendall(f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Type: text/html; charset=utf-8\r\n"
                     f"Content-Length: {len(payload)}\r\nConnection: close\r\nProxy-Connection: close\r\n\r\n"
                     .encode() + payload)
    except OSError:
        pass


def _relay(a: socket.socket, b: socket.socket, *, rewrite_response: bool = False) -> None:
    """Copy bytes both ways until one side closes or nothing moves for _IDLE_S."""
    sel = selectors.DefaultSelector()
    a.setblocking(False)
    b.setblocking(False)
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    pending_head = rewrite_response
    head_buf = b""
    try:
        while True:
            events = sel.select(timeout=_IDLE_S)
            if not events:
                return
            for key, _ in events:
                src: socket.socket = key.fileobj  # type: ignore[assignment]
                dst: socket.socket = key.data
                try:
                    data = src.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    return
                if not data:
                    if pending_head and head_buf:
                        _send_all(dst, head_buf)
                    return
                if src is b and pending_head:
                    head_buf += data
                    if b"\r\n\r\n" not in head_buf and len(head_buf) < _MAX_HEAD:
                        continue
                    data, pending_head = _close_after(head_buf), False
                if not _send_all(dst, data):
                    return
    finally:
        sel.close()


def _close_after(buf: bytes) -> bytes:
    """The upstream response head with `Connection: close`, so the browser opens a fresh proxy
    connection for its next request (which may be for another host)."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(
        (b"connection:", b"proxy-connection:", b"keep-alive:"))]
    lines += [b"Connection: close", b"Proxy-Connection: close"]
    return b"\r\n".join(lines) + sep + body


def _send_all(sock: socket.socket, data: bytes) -> bool:
    view = memoryview(data)
    deadline = time.monotonic() + _IDLE_S
    while view:
        try:
            sent = sock.send(view)
            view = view[sent:]
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        except OSError:
            return False
    return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    policy: EgressPolicy
    lock: threading.Lock
    blocked: deque[tuple[str, int, str]]

    def note_blocked(self, host: str, port: int, why: str) -> None:
        with self.lock:
            self.blocked.append((host.lower().strip("[]"), port, why))

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - stdlib signature
        log.debug("egress proxy: error serving %s", client_address, exc_info=True)


class EgressProxy:
    """Run the proxy on 127.0.0.1:<free port> in a background thread."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.policy = policy
        self._server.lock = threading.Lock()
        self._server.blocked = deque(maxlen=1000)
        address = self._server.server_address
        self.host: str = str(address[0])
        self.port: int = int(address[1])
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def chromium_flags(self) -> list[str]:
        return [f"--proxy-server=http://{self.address}", "--proxy-bypass-list=<-loopback>",
                # WebRTC would otherwise open UDP sockets past any proxy.
                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]

    def blocked_reason(self, host: str) -> str | None:
        """Why the proxy last refused a connection to `host`, or None."""
        host = host.lower().strip("[]")
        with self._server.lock:
            for h, _port, why in reversed(self._server.blocked):
                if h == host:
                    return why
        return None

    @property
    def blocked(self) -> list[tuple[str, int, str]]:
        with self._server.lock:
            return list(self._server.blocked)

    def start(self) -> "EgressProxy":
        self._thread = threading.Thread(target=self._server.serve_forever, name="egress-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
