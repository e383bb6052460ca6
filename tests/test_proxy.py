"""Upstream proxies (--proxy, HTTP_PROXY / HTTPS_PROXY / NO_PROXY) for the HTTP client and the
browser's egress proxy. Real listeners on loopback only: a recording HTTP proxy on 127.0.0.1
(CONNECT and absolute-URI requests) and page servers on 127.0.0.2, 127.0.0.3, ..."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from discover.proxies import Proxies
from discover.runtime import Runtime
from discover.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PAGE = ("<!doctype html><html><head><title>Garden club links</title></head><body><h1>Useful links</h1>"
        "<p>Resources for gardeners in Saskatoon.</p><a href='/about'>About</a></body></html>")


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path == "/robots.txt":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class RecordingProxy:
    """A small forward proxy on 127.0.0.1 that notes every target it is asked for and only ever
    connects to loopback addresses."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(8192)
                    if not chunk:
                        return
                    buf += chunk
                head, _, rest = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                owner.seen.append(f"{method} {target}")
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                else:
                    parts = urlsplit(target)
                    host, port = parts.hostname or "", str(parts.port or 80)
                assert host.startswith("127."), host   # never anywhere but loopback
                up = socket.create_connection((host, int(port)), timeout=5)
                with up:
                    if method == "CONNECT":
                        conn.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                        first = b""
                    else:
                        parts = urlsplit(target)
                        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                        kept = [ln for ln in lines[1:] if not ln.lower().startswith(
                            ("proxy-", "connection:", "keep-alive:"))]
                        first = (f"{method} {path} {version}\r\n" + "\r\n".join(kept + ["Connection: close"])
                                 + "\r\n\r\n").encode("latin-1") + rest
                    _pipe(conn, up, first)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hosts(self) -> set[str]:
        out = set()
        for entry in self.seen:
            method, target = entry.split(" ", 1)
            out.add(target.rpartition(":")[0] if method == "CONNECT" else urlsplit(target).hostname or "")
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pipe(a: socket.socket, b: socket.socket, first: bytes) -> None:
    """Relay both ways until either side closes."""
    if first:
        b.sendall(first)

    def copy(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    t = threading.Thread(target=copy, args=(b, a), daemon=True)
    t.start()
    copy(a, b)
    t.join(10)


@pytest.fixture()
def proxy():
    p = RecordingProxy()
    yield p
    p.close()


@pytest.fixture()
def second_proxy():
    p = RecordingProxy()
    yield p
    p.close()


def _serve(host: str):
    server = ThreadingHTTPServer((host, 0), _Page)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def site():
    server = _serve("127.0.0.2")
    yield f"http://127.0.0.2:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _discover(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("DISCOVER_") and k.lower() not in ("http_proxy", "https_proxy", "no_proxy",
                                                                     "all_proxy")}
    clean.update({"PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
                  "XDG_DATA_HOME": str(tmp_path / "data"), **(env or {})})
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=clean, timeout=60, cwd=tmp_path)


def test_page_goes_through_the_proxy_given_by_flag(tmp_path, proxy, site):
    out = _discover(tmp_path, "page", site, "--allow-private", "--no-enrich", "--json", "--proxy", proxy.url)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["outcome"] == "ok"
    assert f"GET {site}" in proxy.seen


def test_http_proxy_and_no_proxy_from_the_environment(tmp_path, proxy, site):
    out = _discover(tmp_path, "page", site, "--allow-private", "--no-enrich", "--json",
                    env={"HTTP_PROXY": proxy.url})
    assert out.returncode == 0, out.stderr
    assert f"GET {site}" in proxy.seen

    proxy.seen.clear()
    out = _discover(tmp_path, "page", site, "--allow-private", "--no-enrich", "--json",
                    env={"http_proxy": proxy.url, "NO_PROXY": "localhost,127.0.0.2"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["outcome"] == "ok"   # fetched directly
    assert proxy.seen == []


def test_proxied_request_to_an_internal_host_is_still_refused(tmp_path, proxy, site):
    """The egress policy is checked on the target before anything goes to the proxy."""
    out = _discover(tmp_path, "page", site, "--no-enrich", "--json", "--proxy", proxy.url)
    assert out.returncode != 0
    assert "blocked_internal" in out.stdout + out.stderr
    assert proxy.seen == []


def test_two_proxies_rotate_by_host(tmp_path, proxy, second_proxy):
    proxies = Proxies(explicit=(proxy.url, second_proxy.url))
    hosts = [f"127.0.0.{i}" for i in range(2, 12)]
    first = next(h for h in hosts if proxies.for_target("http", h) == proxy.url)
    other = next(h for h in hosts if proxies.for_target("http", h) == second_proxy.url)
    servers = [_serve(first), _serve(other)]
    try:
        urls = [f"http://{s.server_address[0]}:{s.server_address[1]}/" for s in servers]
        out = _discover(tmp_path, "page", *urls, "--allow-private", "--no-enrich", "--json",
                        "--proxy", proxy.url, "--proxy", second_proxy.url)
        assert out.returncode == 0, out.stderr
        assert [r["outcome"] for r in json.loads(out.stdout)] == ["ok", "ok"]
        assert proxy.hosts() == {first} and second_proxy.hosts() == {other}
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


def test_rotation_is_stable_and_no_proxy_applies():
    proxies = Proxies(explicit=("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"),
                      no_proxy="intranet.example")
    picks = {h: proxies.for_target("https", h) for h in (f"site{i}.example" for i in range(40))}
    assert len(set(picks.values())) == 3   # spread over all of them
    assert all(proxies.for_target("http", h) == p for h, p in picks.items())   # one proxy per host
    assert proxies.for_target("https", "www.intranet.example") is None
    assert proxies.for_target("https", "notintranet.example") is not None


def test_no_proxy_matching():
    from discover.proxies import no_proxy_match

    assert no_proxy_match("*", "example.com")
    assert no_proxy_match("example.com", "example.com") and no_proxy_match(".example.com", "a.example.com")
    assert no_proxy_match("example.com:8080", "www.example.com")
    assert not no_proxy_match("example.com", "badexample.com")
    assert no_proxy_match("10.0.0.0/8, ::1", "10.2.3.4") and no_proxy_match("10.0.0.0/8,[::1]", "[::1]")
    assert not no_proxy_match("10.0.0.0/8", "11.0.0.1") and not no_proxy_match("", "example.com")


def test_environment_proxies_by_scheme_and_none_in_a_world():
    env = {"HTTPS_PROXY": "127.0.0.1:8443", "http_proxy": "http://127.0.0.1:8080", "NO_PROXY": ""}
    proxies = Proxies.from_settings(Settings(), env=env)
    assert proxies.for_target("https", "example.com") == "http://127.0.0.1:8443"
    assert proxies.for_target("http", "example.com") == "http://127.0.0.1:8080"
    # --proxy wins over the environment
    assert Proxies.from_settings(Settings(proxy="http://127.0.0.1:9"), env=env).all() == ["http://127.0.0.1:9"]
    # an offline world's traffic is local: no proxy at all
    assert not Proxies.from_settings(Settings(web="/some/world", proxy="http://127.0.0.1:9"), env=env).active


def test_a_bad_proxy_url_is_a_one_line_error(tmp_path):
    out = _discover(tmp_path, "page", "http://127.0.0.2:9/", "--proxy", "socks9://user:secret@127.0.0.1:1")
    assert out.returncode != 0
    assert out.stderr.startswith("error: ") and "Traceback" not in out.stderr
    assert "secret" not in out.stderr


def test_egress_proxy_chains_connect_and_plain_http_to_the_upstream(proxy, site):
    """The browser's egress proxy hands CONNECT (https) and absolute-URI (http) requests to the
    user's proxy; a NO_PROXY host is reached directly."""
    from discover.egress_proxy import EgressProxy
    from discover.net import EgressPolicy

    host_port = site.split("/")[2]
    egress = EgressProxy(EgressPolicy(allow_private=True), upstream=Proxies(explicit=(proxy.url,))).start()
    try:
        with socket.create_connection((egress.host, egress.port), timeout=5) as s:
            s.sendall(f"CONNECT {host_port} HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode())
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            # the tunnel carries whatever the browser speaks; plain HTTP is enough to see it work
            s.sendall(f"GET / HTTP/1.1\r\nHost: {host_port}\r\nConnection: close\r\n\r\n".encode())
            assert b"Garden club links" in _read_all(s)
        with socket.create_connection((egress.host, egress.port), timeout=5) as s:
            s.sendall(f"GET {site}?q=1 HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode())
            assert b"Garden club links" in _read_all(s)
        assert proxy.seen == [f"CONNECT {host_port}", f"GET {site}?q=1"]
    finally:
        egress.stop()

    proxy.seen.clear()
    egress = EgressProxy(EgressPolicy(allow_private=True),
                         upstream=Proxies(explicit=(proxy.url,), no_proxy="127.0.0.2")).start()
    try:
        with socket.create_connection((egress.host, egress.port), timeout=5) as s:
            s.sendall(f"GET {site} HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode())
            assert b"Garden club links" in _read_all(s)
        assert proxy.seen == []
    finally:
        egress.stop()


def _read_all(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def test_chromium_reaches_pages_through_the_users_proxy(tmp_path, proxy, site):
    settings = Settings(data_dir=str(tmp_path / "data"), allow_private=True, proxy=proxy.url)

    async def go() -> str:
        async with Runtime(settings) as rt:
            ctx = await (await rt.browser()).new_context()
            try:
                page = await ctx.new_page()
                await page.goto(site, timeout=15000)
                return await page.title()
            finally:
                await ctx.close()

    assert asyncio.run(go()) == "Garden club links"
    assert f"GET {site}" in proxy.seen
