"""The hostile web (issue 17): no page can hang a run, blow its memory or reach inside the network.

Every trap of `fixtures/build_hostile.py` is tried here, each asserting its outcome, a time bound
and a memory bound. Internal addresses are recording listeners on 127.0.0.2, 127.0.0.3 and
127.0.0.1 (and ::1): the tests assert that nothing connected to them. No test sends traffic to a
non-loopback address: in this process a guard refuses any such connection (and fails the test),
and the offline world and the test resolver never name one.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from discover.net import EgressPolicy, address_reason, decode_bytes, parse_ip_host
from discover.runtime import Runtime
from discover.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
MB = 1 << 20


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_hostile", REPO / "fixtures" / "build_hostile.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


build_hostile = _load_builder()


# --- loopback only, and listeners that tell --------------------------------------------------------
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_OUTSIDE: list = []


def _loopback_only(method):
    def guarded(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                ok = parse_ip_host(host).is_loopback  # type: ignore[union-attr]
            except AttributeError:
                ok = False
            if not ok:
                _OUTSIDE.append(address)
                raise OSError(113, f"test guard: no traffic to {host} (loopback only)")
        return method(self, address, *args)
    return guarded


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Any connection this process tries to a non-loopback address fails, and fails the test."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _loopback_only(_real_connect_ex))
    _OUTSIDE.clear()
    yield
    assert not _OUTSIDE, f"tried to reach non-loopback addresses: {_OUTSIDE}"


class Listener:
    """Accepts on one address and records every connection (and its first bytes)."""

    def __init__(self, host: str, port: int = 0, family: int = socket.AF_INET) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.hits: list[tuple[str, bytes]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            conn.settimeout(1)
            try:
                data = conn.recv(200)
            except OSError:
                data = b""
            self.hits.append((peer[0], data))
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except OSError:
                pass
            conn.close()


class Listeners:
    def __init__(self) -> None:
        self.a = Listener("127.0.0.2")
        self.b = Listener("127.0.0.3")
        self.local = Listener("127.0.0.1")
        self.all = [self.a, self.b, self.local]
        with contextlib.suppress(OSError):   # no IPv6 loopback on this machine: [::1] cannot connect anyway
            self.all.append(Listener("::1", self.local.port, socket.AF_INET6))

    def hits(self) -> list:
        return [(lst.host, lst.port, hit) for lst in self.all for hit in lst.hits]

    def clear(self) -> None:
        for lst in self.all:
            lst.hits.clear()


@pytest.fixture(scope="module")
def listeners() -> Listeners:
    return Listeners()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, listeners) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("hostile") / "web"
    targets = build_hostile.Targets((listeners.a.host, listeners.a.port), (listeners.b.host, listeners.b.port),
                                    listeners.local.port)
    return root, build_hostile.build(root, targets)


@pytest.fixture(autouse=True)
def _nothing_reached_inside(request):
    """Every test here ends with the listeners untouched (the one positive control clears its own)."""
    if "listeners" not in request.fixturenames:
        yield
        return
    lst: Listeners = request.getfixturevalue("listeners")
    lst.clear()
    yield
    assert not lst.hits(), f"internal addresses were contacted: {lst.hits()}"


def _settings(tmp_path: Path, web: Path | None = None, **overrides):
    values = {"data_dir": str(tmp_path / "data"), "web": str(web) if web else None, "timeout": 3.0,
              "page_deadline": 15.0, **overrides}
    return load_settings(values, env={})


@contextlib.asynccontextmanager
async def fetcher_for(settings, resolver=None):
    from discover.pages.fetch import Fetcher

    async with Runtime(settings, resolver=resolver) as rt, Fetcher(rt, settings) as fetcher:
        yield rt, fetcher


# --- the policy on paper --------------------------------------------------------------------------
def test_every_spelling_of_an_internal_address_is_refused(hostile):
    _, manifest = hostile
    policy = EgressPolicy()
    for url in manifest["internal"]:
        assert policy.url_reason(url), url
    assert EgressPolicy(allow_private=True).url_reason(manifest["internal"][0]) is None
    for public in ("http://example.com/", "http://93.184.216.34/", "http://[2606:2800:220:1::]/", "http://1.2.3/"):
        assert policy.url_reason(public) is None, public
    # Judged on the resolved address too: IPv6 forms that wrap an IPv4 one, and the ranges.
    for ip, why in [("::ffff:7f00:1", "loopback"), ("64:ff9b::a00:1", "private"), ("2002:a9fe:a9fe::", "link-local"),
                    ("100.100.1.1", "carrier-grade"), ("ff02::1", "multicast"), ("::", "unspecified")]:
        assert why in (address_reason(parse_ip_host(ip)) or ""), ip


# --- httpx: the resolved address is checked at connect time -----------------------------------------
class _Origin(BaseHTTPRequestHandler):
    """A 'public' site for the tests outside a world (on 127.0.0.4, allowed by allow_networks)."""

    protocol_version = "HTTP/1.1"
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        status, headers, body = self.routes.get(self.path, (404, {}, b"<p>nope</p>"))
        self.send_response(status)
        for k, v in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def origin(listeners):
    a = f"{listeners.a.host}:{listeners.a.port}"
    page = ("<!doctype html><html><head><title>Planted aquarium app</title></head><body><div id=app></div>"
            f"<iframe src='http://{a}/frame'></iframe><img src='http://rebind.test:{listeners.a.port}/img'>"
            f"<img src='http://localhost:{listeners.local.port}/px'><script>"
            + "".join(f"fetch('{u}', {{mode:'no-cors'}}).catch(() => 0);" for u in (
                f"http://{a}/fetch", f"http://rebind.test:{listeners.a.port}/fetch", f"https://{a}/tls",
                f"http://0x7f000003:{listeners.b.port}/hex", f"http://[::1]:{listeners.local.port}/v6"))
            + f"try {{ new WebSocket('ws://{a}/ws'); }} catch (e) {{}}"
            + "document.getElementById('app').innerHTML = '<h1>Rendered</h1><p>' + 'Planted aquarium text. '.repeat(20)"
            + " + '</p>';</script></body></html>").encode()
    _Origin.routes = {
        "/ok": (200, {}, b"<!doctype html><title>Fine</title><p>" + b"Planted aquarium text. " * 20 + b"</p>"),
        "/to-a": (302, {"Location": f"http://{a}/admin"}, b""),
        "/to-name": (302, {"Location": f"http://rebind.test:{listeners.a.port}/"}, b""),
        "/app": (200, {}, page),
        "/robots.txt": (404, {}, b""),
    }
    httpd = ThreadingHTTPServer(("127.0.0.4", 0), _Origin)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.4:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _resolver(host: str, port: int) -> list[str]:
    """The test's DNS: `rebind.test` answers an internal address; nothing else resolves."""
    table = {"rebind.test": ["127.0.0.2"], "mixed.test": ["127.0.0.2", "127.0.0.4"]}
    if host in table:
        return table[host]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_http_client_checks_the_address_it_connects_to(tmp_path, origin, listeners):
    """Outside a world: redirects and names that resolve to internal addresses are refused at
    connect time; a name resolving to internal and public addresses uses the public one only."""
    from discover.links.linkcheck import LinkChecker

    settings = _settings(tmp_path, allow_networks="127.0.0.4")
    port = origin.rsplit(":", 1)[1]

    async def go():
        async with fetcher_for(settings, _resolver) as (rt, fetcher):
            pages = {u: await fetcher.fetch(u) for u in (
                origin + "/ok", origin + "/to-a", origin + "/to-name", f"http://rebind.test:{listeners.a.port}/x",
                f"http://mixed.test:{port}/ok")}
            async with LinkChecker(rt, settings) as checker:
                links = await checker.check_urls([origin + "/to-a", f"http://rebind.test:{listeners.a.port}/"])
        return pages, links

    pages, links = asyncio.run(go())
    outcome = {u.removeprefix(origin): r.outcome for u, r in pages.items()}
    assert outcome["/ok"] == "ok"
    assert outcome["/to-a"] == outcome["/to-name"] == "blocked_internal"
    assert outcome[f"http://rebind.test:{listeners.a.port}/x"] == "blocked_internal"
    assert outcome[f"http://mixed.test:{port}/ok"] == "ok"
    assert "loopback" in pages[origin + "/to-name"].reason
    assert [c.cls for c in links] == ["blocked_internal", "blocked_internal"]


def test_allow_private_turns_the_policy_off(tmp_path, listeners):
    """The positive control: with --allow-private the listener is reached (so the listeners do
    see connections, and their silence elsewhere means something)."""
    settings = _settings(tmp_path, allow_private=True, retries=0)

    async def go():
        async with fetcher_for(settings, _resolver) as (_, fetcher):
            return await fetcher.fetch(f"http://{listeners.a.host}:{listeners.a.port}/hello")

    asyncio.run(go())
    hits = listeners.hits()
    listeners.clear()
    assert hits and all(h[0] == listeners.a.host for h in hits)
    assert any(h[2][1].startswith(b"GET /robots.txt") for h in hits)   # the listener answered "ok" to it


def test_browser_outside_a_world_cannot_reach_inside(tmp_path, origin, listeners):
    """A local Chromium goes through the egress proxy: in-page fetch, XHR, WebSocket, iframes,
    images, redirects and navigations to internal addresses (literal or by name) never connect."""
    settings = _settings(tmp_path, allow_networks="127.0.0.4")

    async def go():
        async with fetcher_for(settings, _resolver) as (rt, fetcher):
            rendered, _ = await fetcher._browser_fetch(origin + "/app")
            await asyncio.sleep(1.0)   # late requests of the page's scripts
            nav = [(await fetcher._browser_fetch(u))[0] for u in (
                f"http://rebind.test:{listeners.a.port}/", f"https://rebind.test:{listeners.a.port}/",
                origin + "/to-a")]
            return rendered, nav, rt.egress_proxy.blocked

    rendered, nav, blocked = asyncio.run(go())
    assert rendered.outcome == "ok" and "Rendered" in rendered.html
    assert [r.outcome for r in nav] == ["blocked_internal"] * 3, [(r.outcome, r.reason) for r in nav]
    assert {h for h, _, _ in blocked} >= {"127.0.0.2", "rebind.test"}


# --- traps inside the offline world ---------------------------------------------------------------
STATIC_TRAPS = ["gzipbomb", "robotsbomb", "drip", "endless", "huge", "binary", "encodings", "redirect",
                "metadata", "robotsredirect", "flaky", "linkflood"]


@pytest.mark.parametrize("name", STATIC_TRAPS)
def test_static_trap(name, hostile, tmp_path):
    """Each trap ends as its outcome, within its time bound and without inflating memory."""
    root, manifest = hostile
    trap = manifest["traps"][f"www.aquarium-{name}.com"]
    settings = _settings(tmp_path, root)

    async def go():
        async with fetcher_for(settings) as (_, fetcher):
            tracemalloc.start()
            started = time.monotonic()
            res = await fetcher.fetch(trap["url"])
            elapsed = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            return res, elapsed, peak

    res, elapsed, peak = asyncio.run(go())
    assert res.outcome == trap["outcome"], (res.outcome, res.reason)
    # Three tries of at most the 3 s timeout, their back-off and the world's delays.
    assert elapsed < settings.page_deadline, elapsed
    limit = 160 * MB if name == "linkflood" else 48 * MB   # the flood's 4 MB page is decoded once
    assert peak < limit, f"{peak / MB:.0f} MB"
    if "attempts" in trap:
        assert res.attempts == trap["attempts"]
    if name in ("redirect", "metadata"):
        assert "internal address" in res.reason and res.redirects


def test_nested_gzip_is_never_inflated_past_the_cap():
    bomb = build_hostile._bomb(1024, 2)      # 1 GB of zeros, gzipped twice: a few KB
    assert len(bomb) < 4096
    tracemalloc.start()
    body = decode_bytes(bomb, ["gzip", "gzip"], 5_000_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert body.over_cap and len(body.data) == 5_000_000
    assert peak < 16 * MB, f"{peak / MB:.0f} MB"


def test_browser_traps(hostile, tmp_path, listeners):
    """Scripts that loop after load, that navigate to an error page or about:blank, and that aim
    fetch/XHR/WebSocket/iframes/images at internal addresses: bounded, typed, and sealed off."""
    root, manifest = hostile
    settings = _settings(tmp_path, root)
    urls = {n: manifest["traps"][f"www.aquarium-{n}.com"]["url"] for n in ("loopjs", "chromeerror", "blank", "jsinternal")}

    async def go():
        async with fetcher_for(settings) as (rt, fetcher):
            out = {}
            for name, url in urls.items():
                started = time.monotonic()
                res = await fetcher.fetch(url)
                out[name] = (res, time.monotonic() - started)
            # The world's own server is on loopback; nothing else on the machine is in the world.
            ctx = await (await rt.browser()).new_context()
            page = await ctx.new_page()
            for target in (f"http://127.0.0.1:{listeners.local.port}/", f"http://localhost:{listeners.local.port}/"):
                with pytest.raises(Exception, match="ERR_NAME_NOT_RESOLVED"):
                    await page.goto(target, timeout=5000)
            await ctx.close()
            return out

    out = asyncio.run(go())
    for name, (res, elapsed) in out.items():
        assert res.outcome == manifest["traps"][f"www.aquarium-{name}.com"]["outcome"], (name, res.outcome, res.reason)
        # timeout + closing a hung tab (3 s) and its context; and the static try before it
        assert elapsed < 2 * settings.timeout + 12, (name, elapsed)
    assert "scripts never yield" in out["loopjs"][0].reason
    assert out["chromeerror"][0].final_url.startswith("chrome-error://")
    assert out["blank"][0].final_url == "about:blank"
    assert "Write for us" in out["jsinternal"][0].html


def test_contact_hops_and_link_checks_stay_outside(hostile, tmp_path):
    """Contact pages that redirect inside, and a resource page whose links point inside, at a
    robots-closed host, at a dripping body and at redirects inside: typed, bounded, unrequested."""
    from discover.links.linkcheck import LinkChecker
    from discover.urls import FOR_FETCH, url_key
    from discover.pages.contacts import enrich_contacts
    from discover.pages.extract import extract

    root, manifest = hostile
    settings = _settings(tmp_path, root)
    trap = manifest["traps"]["www.aquarium-internallinks.com"]
    served: list[tuple[str, str]] = []

    async def go():
        async with fetcher_for(settings) as (rt, fetcher):
            respond = rt.world.respond
            rt.world.respond = lambda host, path: served.append((host, path)) or respond(host, path)
            hop = extract(await fetcher.fetch(manifest["traps"]["www.aquarium-contacthop.com"]["url"]))
            contacts = await enrich_contacts(fetcher, hop)
            page = extract(await fetcher.fetch(trap["url"]))
            started = time.monotonic()
            async with LinkChecker(rt, settings) as checker:
                checks = await checker.check_links(trap["url"], page.links)
            return contacts, checks, time.monotonic() - started

    contacts, checks, elapsed = asyncio.run(go())
    assert not any(("127.0.0" in c.value or "::1" in c.value) for c in contacts)
    got = {c.url: c.cls for c in checks}
    for url, cls in trap["link_classes"].items():
        assert got.get(url_key(url, FOR_FETCH)) == cls, (url, got.get(url_key(url, FOR_FETCH)))
    assert ("www.aquarium-robotsclosed.com", "/guide") not in served      # robots.txt honoured
    assert ("www.aquarium-robotsclosed.com", "/robots.txt") in served
    assert elapsed < 2 * settings.timeout + 5, elapsed                     # the dripping link is a timeout


def test_links_command_stops_at_its_deadline_with_partial_results(hostile, tmp_path):
    root, _ = hostile
    started = time.monotonic()
    r = _cli(tmp_path, "links", "http://www.aquarium-internallinks.com/", "--web", str(root), "--deadline", "4",
             "--timeout", "30", "--json", timeout=90)
    elapsed = time.monotonic() - started
    assert r.returncode == 0, r.stderr
    checks = json.loads(r.stdout)
    assert "stopped at the --deadline" in r.stderr
    by_class = {c["class"] for c in checks}
    assert "blocked_internal" in by_class                       # what was known is printed
    assert any(c["reason"] == "not checked before the deadline" for c in checks)   # the dripping link
    assert elapsed < 30, elapsed                                # not the 30 s the drip would take


def test_audit_stops_at_its_deadline(hostile, tmp_path):
    from discover.links.audit import audit_site

    root, _ = hostile
    settings = _settings(tmp_path, root, timeout=30.0, page_deadline=60.0)

    async def go():
        async with Runtime(settings) as rt:
            started = time.monotonic()
            report = await audit_site(rt, settings, "http://www.aquarium-drip.com/", 5, deadline=3)
            return report, time.monotonic() - started

    report, elapsed = asyncio.run(go())
    assert report.partial and report.by_kind("deadline_reached")
    assert elapsed < 10, elapsed


# --- extraction is linear --------------------------------------------------------------------------
def test_a_page_of_200000_links_is_read_in_linear_time():
    """The issue's bound: 200,000 links under 2 s (it took minutes when link extraction was
    quadratic), the first max_links kept and the total said; memory bounded too."""
    import lxml.html

    from discover.pages.extract import MAX_LINKS, _links, extract
    from discover.records import FetchResult

    n = 200_000
    html = build_hostile._flood(n)
    root = lxml.html.fromstring(html)          # all 200,000 (extract() also cuts at 3 M characters)
    extract(FetchResult(url="http://warm.test/", outcome="ok", html="<p>warm up the imports</p>"))
    started = time.perf_counter()
    links, total = _links(root, "http://flood.test/", "flood.test", "")
    page = extract(FetchResult(url="http://flood.test/", outcome="ok", html=html))
    elapsed = time.perf_counter() - started
    tracemalloc.start()    # a second pass for memory (tracing slows allocation several times over)
    extract(FetchResult(url="http://flood.test/", outcome="ok", html=html))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == n and len(links) == MAX_LINKS
    assert page.meta["links_truncated"] and len(page.links) == MAX_LINKS
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert peak < 128 * MB, f"{peak / MB:.0f} MB"


# --- the CLI: Ctrl-C, undecodable input, corrupt databases, the whole world ------------------------
def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env.update(DISCOVER_DATA_DIR=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"), **extra)
    return env


def _cli(tmp_path: Path, *args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=_env(tmp_path, **extra), timeout=timeout, cwd=tmp_path)


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_second_ctrl_c_exits_at_once_and_the_run_resumes(hostile, tmp_path):
    """Ctrl-C twice while the browser is stuck in a page whose scripts never yield: exit 130 within
    2 s of the second; what was stored is kept and `run --resume` finishes the run."""
    root, manifest = hostile
    db = tmp_path / "data" / "discover.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "discover", "run", manifest["niche"], "--types", "resource",
                             "--no-expand", "--pages", "3", "--web", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=_env(tmp_path, DISCOVER_TIMEOUT="30", DISCOVER_PAGE_DEADLINE="60"))
    deadline = time.time() + 90
    stuck = "select count(*) from pages where outcome = 'ok'"
    while time.time() < deadline and _count(db, stuck) < 3 and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)                       # the loop page is in the browser by now (30 s to give up)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)       # the process only: the browser keeps running its loop
    time.sleep(0.3)
    second = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)                 # the process itself (its browser may take longer to go)
    assert time.monotonic() - second < 2.0
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    kept = _count(db, "select count(*) from pages")
    assert kept >= 3

    r = _cli(tmp_path, "run", "--resume", "--json", timeout=180, DISCOVER_TIMEOUT="3", DISCOVER_PAGE_DEADLINE="15")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from runs").fetchall() == [("finished",)]


def test_undecodable_arguments_and_special_files(tmp_path):
    from discover.store import Store

    r = subprocess.run([sys.executable.encode(), b"-m", b"discover", b"plan", b"caf\xe9 \xff"], capture_output=True,
                       env=_env(tmp_path), timeout=60, cwd=tmp_path)
    assert r.returncode == 2 and b"not valid UTF-8" in r.stderr and b"Traceback" not in r.stderr
    db = tmp_path / "d.sqlite"
    with Store.open(str(db)) as store:
        store.finish_run(store.start_run("planted aquarium", "", ("blog",), {}), "finished")
    for target, code in (("/proc/version", 6), ("/dev/full", 6), (str(tmp_path), 6)):
        if not Path(target).exists():
            continue
        r = _cli(tmp_path, "shortlist", "--db", str(db), "--out", target, timeout=60)
        assert r.returncode == code, (target, r.returncode, r.stderr)
        assert r.stderr.startswith("error: ") and "internal error" not in r.stderr


def test_a_corrupt_database_is_refused_and_left_alone(tmp_path):
    import hashlib

    from discover.records import FetchResult
    from discover.store import Store

    db = tmp_path / "d.sqlite"
    with Store.open(str(db)) as store:
        run = store.start_run("planted aquarium", "", ("blog",), {})
        for i in range(400):
            store.save_page(run, FetchResult(url=f"http://x{i}.test/", outcome="ok", html="<p>aquarium</p>" * 200))
    size = db.stat().st_size
    with open(db, "r+b") as f:                 # random bytes in the middle, as the issue found
        f.seek(size // 2)
        f.write(os.urandom(8192))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    r = _cli(tmp_path, "shortlist", "--db", str(db), timeout=60)
    assert r.returncode == 5 and "corrupt" in r.stderr and "hint:" in r.stderr, r.stderr
    r = _cli(tmp_path, "run", "planted aquarium", "--db", str(db), timeout=60)
    assert r.returncode == 5, r.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


_MEASURED = """
import atexit, json, resource, socket, sys
def _only_loopback(method):
    def guarded(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not (
                address[0].startswith("127.") or address[0] in ("::1", "localhost")):
            open(sys.argv[1] + ".outside", "a").write(repr(address) + "\\n")
            raise OSError(113, "loopback only")
        return method(self, address, *args)
    return guarded
socket.socket.connect = _only_loopback(socket.socket.connect)
socket.socket.connect_ex = _only_loopback(socket.socket.connect_ex)
atexit.register(lambda: open(sys.argv[1], "w").write(json.dumps(
    {"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})))
from discover.cli import main
main(sys.argv[2:])
"""


def test_a_run_over_the_hostile_world(hostile, tmp_path, listeners):
    """The whole world through `discover run` and the local engine: every normal prospect found,
    every trap reported as its outcome, nothing inside reached, under 1 GB for the Python process."""
    root, manifest = hostile
    stats = tmp_path / "rss.json"
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-c", _MEASURED, str(stats), "run", manifest["niche"], "--web", str(root),
                        "--no-expand", "--pages", "3", "--json"], capture_output=True, text=True, cwd=tmp_path,
                       env=_env(tmp_path, DISCOVER_TIMEOUT="3", DISCOVER_PAGE_DEADLINE="15"), timeout=300)
    elapsed = time.monotonic() - started
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (tmp_path / "rss.json.outside").exists()
    prospects = {p["domain"] for p in json.loads(r.stdout)}
    assert set(manifest["normal"]) <= prospects, set(manifest["normal"]) - prospects
    db = tmp_path / "data" / "discover.sqlite"
    with sqlite3.connect(db) as conn:
        pages = dict(conn.execute("select url, outcome from pages"))
        links = dict(conn.execute("select url, cls from links where cls is not null"))
    from discover.urls import FOR_FETCH, url_key

    for host, trap in manifest["traps"].items():
        if trap.get("via") == "links":
            assert links.get(url_key(trap["url"], FOR_FETCH)) == trap["outcome"], (host, links.get(trap["url"]))
        else:
            assert pages.get(trap["url"]) == trap["outcome"], (host, pages.get(trap["url"]))
    internal = manifest["traps"]["www.aquarium-internallinks.com"]["link_classes"]
    assert all(links.get(url_key(u, FOR_FETCH)) == cls for u, cls in internal.items())
    assert "page(s) lost after retries" in r.stderr and "aquarium-drip.com" in r.stderr
    peak_mb = json.loads(stats.read_text())["maxrss_kb"] / 1024
    assert peak_mb < 1024, f"peak RSS {peak_mb:.0f} MB"
    print(f"hostile run: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB, {len(pages)} pages, {len(prospects)} prospects")
