"""Link health against a real local WorldServer and tiny purpose-made HTTP servers."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import socket
import ssl
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from discover.links.linkcheck import LinkChecker, parked_marker, soft_404_marker, summarise
from discover.records import Link
from discover.runtime import Runtime
from discover.settings import Settings
from discover.webworld.server import WorldServer
from discover.webworld.world import World

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers
def write_site(root: Path, host: str, files: dict[str, str], routes: str = "") -> None:
    base = root / "sites" / host
    base.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text, encoding="utf-8")
    if routes:
        (base / "_routes.toml").write_text(routes, encoding="utf-8")


def page(title: str, body: str) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


ARTICLE = page("Choosing a stroller", "<p>" + "A long and useful article about strollers and prams. " * 30 + "</p>")


def build_world(root: Path) -> Path:
    write_site(root, "ok.example", {"index.html": ARTICLE, "guide.html": ARTICLE, "file.pdf": "%PDF-1.4"})
    write_site(root, "gone.example", {"index.html": ARTICLE}, """
["/retired"]
status = 410
""")
    chain = "\n".join(f'["/r{i}"]\nstatus = 301\nlocation = "/r{i + 1}"\n' for i in range(1, 13))
    write_site(root, "redir.example", {"index.html": ARTICLE, "three.html": ARTICLE}, f"""
["/one"]
status = 301
location = "/two"

["/two"]
status = 302
location = "http://redir.example/three"

["/to-404"]
status = 301
location = "/nothing-here"

["/to-gone"]
status = 308
location = "http://gone.example/retired"

["/loop"]
status = 302
location = "/loop"

["/a"]
status = 301
location = "/b"

["/b"]
status = 301
location = "/a"

["/no-location"]
status = 302

{chain}
""")
    write_site(root, "soft.example", {
        "index.html": ARTICLE,
        "old-post.html": page("Page Not Found", "<p>Sorry, we looked everywhere.</p>"),
        "moved.html": "<html><head><title>Acme</title></head><body><p>Sorry, the page you are looking for "
                      "could not be found.</p></body></html>",
        "real.html": ARTICLE,
    })
    write_site(root, "parked.example", {"index.html": page(
        "parked.example", "<p>This domain is for sale! Make an offer.</p><a href='https://dan.com/x'>dan.com</a>")})
    write_site(root, "walls.example", {"index.html": ARTICLE, "slow.html": ARTICLE}, """
["/login"]
status = 401

["/forbidden"]
status = 403

["/rate"]
status = 429
headers = { "Retry-After" = "30" }

["/error"]
status = 503

["/slow"]
delay_ms = 2500
""")
    return root


@contextlib.contextmanager
def world_runtime(root: Path, **overrides):
    settings = Settings(web=str(root), timeout=overrides.pop("timeout", 1.0), **overrides)
    rt = Runtime(settings)
    # The search engine is not needed here; serve the sites only.
    rt.world = World(root)
    rt.server = WorldServer(rt.world).start()
    try:
        yield rt
    finally:
        rt.server.stop()
        rt.server = None


def check(rt: Runtime, urls: list[str], **kw) -> dict[str, object]:
    async def go():
        async with LinkChecker(rt, rt.settings, retry_backoff=0.01, **kw) as lc:
            return {c.url: c for c in await lc.check_urls(urls)}, lc.requests_made
    return asyncio.run(go())


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    root = build_world(tmp_path_factory.mktemp("lcworld"))
    with world_runtime(root) as runtime:
        yield runtime


# --------------------------------------------------------------------------- world classes
def test_every_class_on_the_world_server(rt):
    urls = {
        "http://ok.example/guide": "ok",
        "http://ok.example/file.pdf": "ok",
        "http://gone.example/missing": "broken",
        "http://gone.example/retired": "broken",
        "http://no-such-host.example/page": "broken",
        "http://redir.example/one": "redirect",
        "http://redir.example/to-404": "broken",
        "http://redir.example/to-gone": "broken",
        "http://redir.example/loop": "redirect_loop",
        "http://redir.example/a": "redirect_loop",
        "http://redir.example/r1": "too_many_redirects",
        "http://redir.example/no-location": "unknown",
        "http://soft.example/old-post": "soft_404",
        "http://soft.example/moved": "soft_404",
        "http://soft.example/real": "ok",
        "http://parked.example/": "parked",
        "http://walls.example/login": "unknown",
        "http://walls.example/forbidden": "unknown",
        "http://walls.example/rate": "unknown",
        "http://walls.example/error": "unknown",
        "http://walls.example/slow": "unknown",
    }
    got, _ = check(rt, list(urls))
    assert {u: got[u].cls for u in urls} == urls
    assert got["http://gone.example/retired"].status == 410
    assert "DNS" in got["http://no-such-host.example/page"].reason
    assert got["http://walls.example/slow"].reason.startswith("timeout")
    assert got["http://walls.example/error"].status == 503


def test_redirect_chain_is_kept_hop_by_hop(rt):
    got, _ = check(rt, ["http://redir.example/one", "http://redir.example/to-gone", "http://redir.example/r1"])
    one = got["http://redir.example/one"]
    assert one.chain == [{"url": "http://redir.example/one", "status": 301},
                         {"url": "http://redir.example/two", "status": 302},
                         {"url": "http://redir.example/three", "status": 200}]
    assert one.final_url == "http://redir.example/three" and one.status == 200
    gone = got["http://redir.example/to-gone"]
    assert [h["status"] for h in gone.chain] == [308, 410] and gone.final_url == "http://gone.example/retired"
    assert gone.wayback == "https://web.archive.org/web/*/http://redir.example/to-gone"
    assert len(got["http://redir.example/r1"].chain) == rt.settings.max_redirects + 1


def test_check_links_keeps_anchor_context_skips_non_http_and_dedupes(rt):
    links = [
        Link("http://gone.example/missing", anchor="Stroller guide", context="See our stroller guide here."),
        Link("http://gone.example/missing#section", anchor="again"),
        Link("mailto:someone@ok.example", anchor="mail"),
        Link("tel:+15551234", anchor="call"),
        Link("javascript:void(0)", anchor="js"),
        Link("/guide", anchor="internal", internal=True),
        Link("http://ok.example/", anchor="home"),
    ]

    async def go():
        async with LinkChecker(rt, rt.settings) as lc:
            first = await lc.check_links("http://ok.example/page", links)
            before = lc.requests_made
            # A second page linking to the same URLs costs no new request.
            second = await lc.check_links("http://other.example/x", links[:1])
            no_internal = await lc.check_links("http://ok.example/page", links, include_internal=False)
            return first, second, no_internal, before, lc.requests_made
    first, second, no_internal, before, after = asyncio.run(go())
    by_url = {c.url: c for c in first}
    assert set(by_url) == {"http://gone.example/missing", "http://ok.example/guide", "http://ok.example/"}
    broken = by_url["http://gone.example/missing"]
    assert (broken.cls, broken.anchor, broken.context, broken.page) == (
        "broken", "Stroller guide", "See our stroller guide here.", "http://ok.example/page")
    assert broken.to_json()["class"] == "broken"
    assert second[0].cls == "broken" and second[0].page == "http://other.example/x"
    assert after == before
    assert {c.url for c in no_internal} == {"http://gone.example/missing"}
    assert summarise(first) == {"ok": 2, "broken": 1}


def test_five_hundreds_are_retried_then_unknown(rt):
    async def go():
        async with LinkChecker(rt, rt.settings, retries=2, retry_backoff=0.01, head_first=True) as lc:
            res = await lc.check_urls(["http://walls.example/error"])
            head_first = lc.requests_made
        async with LinkChecker(rt, rt.settings, retries=2, retry_backoff=0.01) as lc:
            await lc.check_urls(["http://walls.example/error"])
            auto = lc.requests_made
        async with LinkChecker(rt, rt.settings) as lc:
            pdf = await lc.check_urls(["http://ok.example/file.pdf"])
            return res, head_first, auto, pdf, lc.requests_made
    res, head_first, auto, pdf, pdf_requests = asyncio.run(go())
    assert res[0].cls == "unknown"
    assert head_first == 1 + 3  # HEAD, then GET + two retries
    assert auto == 3            # a page goes straight to GET
    assert pdf[0].cls == "ok" and pdf_requests == 1  # a file needs only HEAD


# --------------------------------------------------------------------------- custom servers
class _Tiny(BaseHTTPRequestHandler):
    """HEAD lies (404) on /liar, GET tells the truth. As `localhost` every path answers 200 with one page;
    as 127.0.0.1 every unknown path redirects to the home page."""

    protocol_version = "HTTP/1.1"
    counts: dict = defaultdict(int)

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, with_body: bool, headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_HEAD(self):  # noqa: N802
        self.counts[("HEAD", self.path)] += 1
        if self.path.startswith("/liar"):
            self._send(404, b"", False)
        elif self.path.startswith("/nohead"):
            self._send(405, b"", False)
        else:
            self._route(False)

    def do_GET(self):  # noqa: N802
        self.counts[("GET", self.path)] += 1
        self._route(True)

    def _route(self, with_body: bool) -> None:
        p = self.path
        if p.startswith("/liar") or p.startswith("/nohead"):
            self._send(200, page("Liar", "<p>" + "Servers that lie on HEAD still serve this on GET. " * 20
                                 + "</p>").encode(), with_body)
        elif self.headers.get("Host", "").startswith("localhost"):
            # Under this name every unknown path answers the same 200 page (a catch-all "soft 404" host).
            body = page("Acme Shop", "<p>Welcome to Acme shop. Browse our products below.</p>").encode()
            if p == "/shop/real":
                body = ARTICLE.encode()
            self._send(200, body, with_body)
        elif p.startswith("/home-redirect/") or (p != "/" and p != "/good" and not p.startswith("/x")):
            self._send(301, b"", with_body, [("Location", "/")])
        elif p == "/":
            self._send(200, page("Tiny home", "<p>Home of the tiny test server, with links.</p>").encode(), with_body)
        else:
            self._send(200, ARTICLE.encode(), with_body)


@pytest.fixture(scope="module")
def tiny():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Tiny)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_head_lies_are_verified_with_get(tiny):
    rt = Runtime(Settings(timeout=2.0, allow_private=True))
    got, _ = check(rt, [tiny + "/liar", tiny + "/nohead"], head_first=True)
    assert got[tiny + "/liar"].cls == "ok"
    assert got[tiny + "/nohead"].cls == "ok"
    assert _Tiny.counts[("GET", "/liar")] >= 1


def test_soft_404_by_probing_a_random_path(tiny):
    _Tiny.counts.clear()
    rt = Runtime(Settings(timeout=2.0, allow_private=True))
    shop = tiny.replace("127.0.0.1", "localhost")
    got, _ = check(rt, [shop + "/shop/old-product", shop + "/shop/real", tiny + "/deleted-post", tiny + "/good"])
    assert got[shop + "/shop/old-product"].cls == "soft_404"
    assert got[shop + "/shop/real"].cls == "ok"
    # Every unknown path on this host redirects to the home page: a deep link that does too is a soft 404.
    assert got[tiny + "/deleted-post"].cls == "soft_404"
    assert got[tiny + "/good"].cls == "ok"
    probes = [k for k in _Tiny.counts if "discover-probe" in k[1]]
    assert len(probes) == 2, probes  # one probe per host (two names here), cached


def test_connection_refused_and_tls_failure_are_broken(tmp_path):
    port = _closed_port()
    # A server that speaks plain HTTP where TLS is expected: the handshake fails.
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Tiny)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        rt = Runtime(Settings(timeout=2.0, allow_private=True))
        refused = f"http://127.0.0.1:{port}/x"
        tls = f"https://127.0.0.1:{httpd.server_address[1]}/good"
        got, _ = check(rt, [refused, tls])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert (got[refused].cls, got[refused].reason) == ("broken", "connection refused")
    assert got[tls].cls == "broken" and got[tls].reason.startswith("TLS failure")


def test_markers():
    assert parked_marker("<p>Buy this domain today</p>")
    assert parked_marker("", "https://www.sedo.com/search?domain=x")
    assert not parked_marker("<p>Jordan.com is my favourite shop</p>")
    assert not parked_marker("<p>" + "How we sold our old blog name through Afternic, step by step. " * 80 + "</p>")
    assert soft_404_marker("<title>Oops! Page not found</title>")
    assert soft_404_marker("<title>404</title>") and soft_404_marker("<title>Error 404 - Acme</title>")
    # An article about 404s is not a missing page.
    assert not soft_404_marker("<title>Fixing 404 errors on your blog</title>" + "<p>" + "text " * 2000 + "</p>")
    assert not soft_404_marker(ARTICLE)


# --------------------------------------------------------------------------- bundled world
TRUTH = REPO / "fixtures" / "web" / "links_truth.csv"


@pytest.mark.skipif(not TRUTH.exists(), reason="fixtures/web/links_truth.csv not written yet")
def test_bundled_world_broken_set_matches_truth():
    """The real flow: fetch each resource page, extract its links, check the outbound ones."""
    from discover.pages.extract import extract
    from discover.pages.fetch import Fetcher
    from discover.urls import FOR_FETCH

    rows = list(csv.DictReader(TRUTH.open(encoding="utf-8")))
    assert rows, "links_truth.csv is empty"
    truth = {(r["page"], FOR_FETCH.key(r["url"])): r["class"] for r in rows}

    async def go():
        # slow-report.html answers after 3 s (ok by the truth); hang pages after 15 s (unknown).
        with world_runtime(REPO / "fixtures" / "web", timeout=6.0) as rt:
            async with Fetcher(rt, rt.settings) as fetcher, LinkChecker(rt, rt.settings) as lc:
                found = {}
                for res in await fetcher.fetch_many(sorted({r["page"] for r in rows})):
                    assert res.outcome == "ok", (res.url, res.reason)
                    for c in await lc.check_links(res.url, extract(res).links, include_internal=False):
                        found[(c.page, c.url)] = c
                return found
    found = asyncio.run(go())
    found_broken = {k for k, c in found.items() if c.cls == "broken"}
    true_broken = {k for k, cls in truth.items() if cls == "broken"}
    assert found_broken == true_broken
    missing = set(truth) - set(found)
    assert not missing, f"outbound links not extracted: {sorted(missing)[:5]}"
    wrong = {k: (cls, found[k].cls, found[k].reason) for k, cls in truth.items() if found[k].cls != cls}
    assert not wrong, wrong
    # 403/429/slow hosts are never reported as broken.
    assert all(found[k].cls == "unknown" for k, cls in truth.items() if cls == "unknown")


def test_concurrent_pages_share_one_check_per_url(rt):
    links = [Link("http://gone.example/retired", anchor="a"), Link("http://redir.example/one", anchor="b")]

    async def go(n_pages):
        async with LinkChecker(rt, rt.settings) as lc:
            results = await asyncio.gather(*(lc.check_links(f"http://p{i}.example/", links) for i in range(n_pages)))
            return results, lc.requests_made
    one, single = asyncio.run(go(1))
    many, concurrent = asyncio.run(go(20))
    assert concurrent == single
    assert all([c.cls for c in r] == ["broken", "redirect"] for r in many)
    assert {c.page for r in many for c in r} == {f"http://p{i}.example/" for i in range(20)}
