"""A real HTTP server on loopback that serves a World by Host header.

One server serves every host of the world; the browser reaches it through
`--host-resolver-rules` and the HTTP client through `WorldTransport`, so pages see their
real host names. Unknown hosts never reach it (they fail name resolution on the client
side); should one arrive anyway it answers 421 Misdirected Request.
"""

from __future__ import annotations

import errno
import logging
import socket
import ssl
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from html import escape
from typing import cast
from urllib.parse import urlsplit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from discover.errors import ServerError
from discover.webworld.world import World, error_body, normalise_host

log = logging.getLogger(__name__)


_DATA = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """A self-signed certificate shipped for the offline world only (clients ignore cert errors there)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(_DATA / "webworld-cert.pem", _DATA / "webworld-key.pem")
    return ctx


def _index_page(world: World) -> bytes:
    items = "".join(f'<li><a href="http://{escape(h)}/">{escape(h)}</a></li>' for h in sorted(world.all_hosts()))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(world.name)}</title></head>"
            f"<body><h1>Web world: {escape(world.name)}</h1><p>{len(world.all_hosts())} hosts. "
            "Open them through this server as your HTTP proxy.</p>"
            f"<ul>{items}</ul></body></html>").encode()


#: Longest a dripping or endless body is sent before the server gives up on its client.
STREAM_LIMIT_S = 300.0

#: Where the server hands out a proxy auto-config script that sends world hosts to itself.
PAC_PATH = "/__discover__/proxy.pac"
#: The name the browser knows this server by (`.invalid` never resolves anywhere else). Chromium
#: maps only this name to the server's address and every other name and address to NOTFOUND, so
#: a page inside the world cannot reach the machine's loopback services (127.0.0.1:22,
#: localhost:5432) even though the world itself is served from loopback.
SERVER_NAME = "discover-world.invalid"


def _pac(world: World, address: tuple) -> bytes:
    """Proxy auto-config: world hosts go through this server, every other name goes DIRECT (and
    fails name resolution, as the browser maps every other name to NOTFOUND)."""
    hosts = ",".join(f'"{h}":1' for h in sorted(world.all_hosts()))
    return (f"var H={{{hosts}}};\nfunction FindProxyForURL(url, host) {{\n"
            f"  return H.hasOwnProperty(host.toLowerCase()) ? \"PROXY {SERVER_NAME}:{address[1]}\" : \"DIRECT\";\n}}\n"
            ).encode()


class _SocketWriter:
    """A minimal unbuffered writer over a (TLS) socket, as socketserver's own."""

    closed = False

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def write(self, b: bytes) -> int:
        self._sock.sendall(b)
        return len(b)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "discover-webworld/1"
    world: World  # set on the subclass

    # Headers and body go out as separate writes; without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        # https:// is served on the same port: a TLS ClientHello starts with 0x16.
        try:
            self.request.settimeout(30)
            first = self.request.recv(1, socket.MSG_PEEK)
            if first == b"\x16":
                self.request = _tls_context().wrap_socket(self.request, server_side=True)
        except (OSError, ssl.SSLError):
            pass
        super().setup()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)

    def do_CONNECT(self) -> None:  # noqa: N802
        """An https:// tunnel from a browser using this server as its proxy: TLS terminates here."""
        host = self.path.rsplit(":", 1)[0]
        if not self.world.knows(host):
            self._send(502, {"Content-Type": "text/plain"}, b"unknown host", True)
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        try:
            self.connection = _tls_context().wrap_socket(self.connection, server_side=True)
        except (OSError, ssl.SSLError):
            self.close_connection = True
            return
        self.rfile = self.connection.makefile("rb", self.rbufsize)
        self.wfile = _SocketWriter(self.connection)  # type: ignore[assignment]  # as socketserver does
        self.close_connection = False
        while not self.close_connection:
            self.handle_one_request()

    def _serve(self, with_body: bool) -> None:
        host, path = self.headers.get("Host", ""), self.path
        if path.startswith(("http://", "https://")):
            # Proxy-style request: the browser (or a person's) uses this server as its HTTP proxy.
            parts = urlsplit(path)
            host, path = parts.netloc, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if normalise_host(host) in ("127.0.0.1", "localhost", "", SERVER_NAME) and not self.world.knows(host):
            if path.split("?")[0] == PAC_PATH:
                self._send(200, {"Content-Type": "application/x-ns-proxy-autoconfig"},
                           _pac(self.world, cast(tuple, self.server.server_address)), with_body)
                return
            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, _index_page(self.world), with_body)
            return
        try:
            resp = self.world.respond(host, path)
        except Exception as exc:  # a broken world file must not kill the server thread
            log.warning("error serving %s%s: %s", host, self.path, exc)
            resp = None
            self._send(500, {"Content-Type": "text/html; charset=utf-8"}, error_body(500), with_body)
            return
        if resp is None:
            self._send(421, {"Content-Type": "text/plain"}, b"unknown host", with_body)
            return
        if resp.delay_s > 0:
            time.sleep(resp.delay_s)
        if resp.endless or resp.drip_s > 0:
            self._stream(resp, with_body)
            return
        self._send(resp.status, resp.headers, resp.body, with_body)

    def _send(self, status: int, headers: dict[str, str], body: bytes, with_body: bool) -> None:
        try:
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body and body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts are part of the tests)

    def _stream(self, resp, with_body: bool) -> None:
        """A body that drips (one byte every drip_s) and/or never ends, until the client hangs up.
        A hard stop (STREAM_LIMIT_S) keeps a forgotten client from pinning a thread for ever."""
        self.close_connection = True
        try:
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            if not resp.endless:
                self.send_header("Content-Length", str(len(resp.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not with_body or not resp.body:
                return
            stop = time.monotonic() + STREAM_LIMIT_S
            while time.monotonic() < stop:
                if resp.drip_s > 0:
                    for i in range(len(resp.body)):
                        self.wfile.write(resp.body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(resp.drip_s)
                        if time.monotonic() >= stop:
                            return
                else:
                    self.wfile.write(resp.body)
                if not resp.endless:
                    return
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass  # the client gave up, as it should

    def do_GET(self) -> None:  # noqa: N802
        self._serve(True)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1_000_000))
        self._serve(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - stdlib signature
        """A client that hangs up mid-request (a timeout, a closed browser) is routine: log it, never
        print socketserver's traceback on the user's terminal."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            log.debug("client %s went away: %s", client_address, exc)
        else:
            log.warning("error serving a request from %s: %s: %s", client_address, type(exc).__name__, exc)


class WorldServer:
    """Serve a World on 127.0.0.1:<port> (port 0 = any free port) in a background thread."""

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world
        handler = type("Handler", (_Handler,), {"world": world})
        try:
            self._httpd = _Server((host, port), handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServerError(f"port {port} is already in use", hint="choose another with --port, or 0 for any") from None
            raise ServerError(f"cannot start the local web server on {host}:{port}: {exc.strerror}") from None
        bound, self.port = self._httpd.server_address[:2]
        self.host = str(bound)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "WorldServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="webworld", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "WorldServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
