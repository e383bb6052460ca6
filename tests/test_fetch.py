"""Fetch outcomes against a real local WorldServer (and real Chromium for the JS path)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from discover.html import decode_html
from discover.pages.fetch import Fetcher, MemoryPageCache
from discover.runtime import Runtime
from discover.settings import load_settings
from discover.webworld.server import WorldServer
from discover.webworld.world import World

ARTICLE = ("<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
           "<article><h1>{title}</h1>" + "<p>Plenty of visible words about vegan baking and flour. </p>" * 12
           + "</article></body></html>")

JS_ONLY = """<!doctype html><html><head><title>App</title></head><body><div id="root"></div>
<script>
document.getElementById('root').innerHTML = '<h1>Rendered by script</h1>' +
  '<p>' + 'This paragraph only exists after JavaScript has run in a real browser. '.repeat(8) + '</p>';
</script></body></html>"""

JS_EMPTY = """<!doctype html><html><head><title>Empty app</title></head><body><div id="root"></div>
<script>window.__noop = 1;</script></body></html>"""

CHALLENGE = """<!doctype html><html><head><title>Just a moment...</title></head><body>
<div id="challenge-form">Checking your browser before accessing example.</div>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script></body></html>"""


def write_world(root: Path, sites: dict[str, dict[str, str | bytes]]) -> Path:
    for host, files in sites.items():
        for rel, content in files.items():
            f = root / "sites" / host / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


@contextlib.asynccontextmanager
async def world_fetcher(root: Path, **overrides):
    """A Runtime wired to a real WorldServer over `root`, and a Fetcher on it."""
    cache = overrides.pop("_cache", None)
    settings = load_settings({"web": str(root), **overrides}, env={})
    rt = Runtime(settings)
    rt.world = World(root)
    rt.server = WorldServer(rt.world).start()
    fetcher = Fetcher(rt, settings, cache=cache)
    try:
        yield fetcher
    finally:
        await fetcher.aclose()
        await rt.close()


@pytest.fixture()
def world(tmp_path) -> Path:
    cp1252 = ("<html><head><meta charset=\"windows-1252\"><title>Caf\xe9</title></head><body><p>"
              "Cr\xe8me br\xfbl\xe9e \u201cquoted\u201d \u2013 na\xefve bakers\u2019 guide</p></body></html>")
    return write_world(tmp_path / "web", {
        "good.example": {
            "index.html": ARTICLE.format(title="Home"),
            "a.html": ARTICLE.format(title="Page A"),
            "b.html": ARTICLE.format(title="Page B"),
            "c.html": ARTICLE.format(title="Page C"),
            "d.html": ARTICLE.format(title="Page D"),
            "new.html": ARTICLE.format(title="New home"),
            "doc.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
            "logo.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
            "big.html": "<html><body>" + "<p>filler text</p>" * 20000 + "</body></html>",
            "latin.html": cp1252.encode("cp1252"),
            "private/secret.html": ARTICLE.format(title="Secret"),
            "app.html": JS_ONLY,
            "empty-app.html": JS_EMPTY,
            "challenge.html": CHALLENGE,
            "robots.txt": "User-agent: *\nDisallow: /private/\n",
            "_routes.toml": """
["/slow"]
delay_ms = 3000
file = "a.html"
["/old"]
status = 301
location = "/new"
["/hop1"]
status = 302
location = "/hop2"
["/hop2"]
status = 302
location = "/hop3"
["/hop3"]
status = 302
location = "/hop4"
["/hop4"]
status = 302
location = "/a"
["/loop"]
status = 302
location = "/loop2"
["/loop2"]
status = 302
location = "/loop"
["/retired"]
status = 410
["/limited"]
status = 429
headers = { "Retry-After" = "30" }
["/broken"]
status = 503
["/latin"]
content_type = "text/html"
file = "latin.html"
["/challenge"]
status = 403
file = "challenge.html"
""",
        },
        "other.example": {"index.html": ARTICLE.format(title="Other")},
        "polite.example": {
            **{f"p{i}.html": ARTICLE.format(title=f"P{i}") for i in range(4)},
            "_routes.toml": "".join(f'["/p{i}"]\ndelay_ms = 150\n' for i in range(4)),
        },
    })


async def _fetch(root: Path, url: str, **overrides):
    async with world_fetcher(root, **overrides) as f:
        return await f.fetch(url)


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("path,outcome,reason_part", [
    ("/a", "ok", ""),
    ("/missing", "not_found", "404"),
    ("/retired", "gone", "410"),
    ("/limited", "blocked", "Retry-After 30"),
    ("/challenge", "blocked", "bot-wall"),
    ("/broken", "error", "503"),
    ("/loop", "error", "redirect loop"),
    ("/doc.pdf", "not_html", "application/pdf"),
    ("/logo.png", "not_html", "image/png"),
    ("/private/secret", "robots_disallowed", "robots.txt"),
])
def test_static_outcomes(world, path, outcome, reason_part):
    res = run(_fetch(world, "http://good.example" + path))
    assert res.outcome == outcome, res.reason
    assert reason_part in res.reason
    assert res.path == "static"
    if outcome != "ok":
        assert res.html == ""   # nothing non-HTML or failed ever reaches the extractor


def test_redirect_followed_and_recorded(world):
    res = run(_fetch(world, "http://good.example/old"))
    assert res.outcome == "ok"
    assert res.final_url == "http://good.example/new"
    assert res.redirects == ["http://good.example/old"]
    assert "New home" in res.html


def test_too_many_redirects(world):
    res = run(_fetch(world, "http://good.example/hop1", max_redirects=2))
    assert res.outcome == "error" and "too many redirects" in res.reason
    ok = run(_fetch(world, "http://good.example/hop1", max_redirects=8))
    assert ok.outcome == "ok" and len(ok.redirects) == 4


def test_timeout_on_slow_host(world):
    t0 = time.monotonic()
    res = run(_fetch(world, "http://good.example/slow", timeout=0.5, retries=0))
    assert res.outcome == "timeout"
    assert time.monotonic() - t0 < 2.5


def test_unknown_host_is_dns_error(world):
    res = run(_fetch(world, "http://no-such-host.example/"))
    assert res.outcome == "dns_error"
    assert "no-such-host.example" in res.reason


def test_too_large(world):
    res = run(_fetch(world, "http://good.example/big", max_bytes=50_000))
    assert res.outcome == "too_large"
    assert run(_fetch(world, "http://good.example/big")).outcome == "ok"


def test_meta_charset_only_cp1252(world):
    res = run(_fetch(world, "http://good.example/latin"))
    assert res.outcome == "ok"
    assert "charset" not in res.content_type
    assert res.encoding == "cp1252"
    assert "Crème brûlée “quoted” – naïve bakers’ guide" in res.html
    assert "Café" in res.html


def test_decode_never_crashes_on_broken_bytes():
    text, enc = decode_html(b"<html><meta charset='utf-8'><p>ok \xff\xfe\xc3 broken</p></html>")
    assert "ok" in text and enc == "utf-8"
    text, enc = decode_html(b"<p>bogus</p>", "text/html; charset=x-no-such-charset")
    assert "bogus" in text
    text, enc = decode_html("Größe und Qualität für Bäcker überall".encode("cp1252") * 20)
    assert "Größe" in text


def test_ignore_robots(world):
    res = run(_fetch(world, "http://good.example/private/secret", ignore_robots=True))
    assert res.outcome == "ok"


def test_cache_hit_within_ttl(world):
    async def go():
        cache = MemoryPageCache()
        async with world_fetcher(world, _cache=cache) as f:
            first = await f.fetch("http://good.example/a")
            second = await f.fetch("http://good.example/a")
            miss = await f.fetch("http://good.example/b")
        return first, second, miss, cache

    first, second, miss, cache = run(go())
    assert first.path == "static" and second.path == "cache" and miss.path == "static"
    assert second.html == first.html
    assert cache.get("http://good.example/a", ttl=-1) is None


def test_fetch_many_preserves_order_and_reports_every_url(world):
    urls = ["http://good.example/b", "http://no-such-host.example/", "http://good.example/a",
            "http://good.example/retired", "http://other.example/"]

    async def go():
        seen = []
        async with world_fetcher(world) as f:
            res = await f.fetch_many(urls, on_result=lambda r: seen.append(r.url))
        return res, seen

    res, seen = run(go())
    assert [r.url for r in res] == urls
    assert [r.outcome for r in res] == ["ok", "dns_error", "ok", "gone", "ok"]
    assert sorted(seen) == sorted(urls)


def test_per_host_politeness(world):
    """One host, concurrency 1 and a delay: requests are serialised and spaced; other hosts are not held up."""
    urls = [f"http://polite.example/p{i}" for i in range(4)]

    async def go(**kw):
        async with world_fetcher(world, concurrency=8, **kw) as f:
            await f.fetch("http://polite.example/robots.txt")  # warm the robots cache
            t0 = time.monotonic()
            res = await f.fetch_many(urls)
            return time.monotonic() - t0, res

    serial, res = run(go(per_host_concurrency=1, per_host_delay=0.2))
    assert all(r.outcome == "ok" for r in res)
    # 4 requests × 150 ms server delay, one at a time, with 200 ms spacing between starts
    assert serial >= 0.6 + 0.15 - 0.05
    parallel, _ = run(go(per_host_concurrency=4, per_host_delay=0.0))
    assert parallel < serial / 2


def test_js_only_page_goes_through_the_browser(world):
    async def go():
        async with world_fetcher(world) as f:
            rendered = await f.fetch("http://good.example/app")
            empty = await f.fetch("http://good.example/empty-app")
            static = await f.fetch("http://good.example/a")
            again = await f.fetch("http://good.example/b")   # host now known to need the browser
        return rendered, empty, static, again

    rendered, empty, static, again = run(go())
    assert rendered.outcome == "ok", rendered.reason
    assert rendered.path == "browser"
    assert "only exists after JavaScript has run" in rendered.html
    assert empty.outcome == "js_empty" and empty.path == "browser"
    assert static.path in ("static", "browser") and static.outcome == "ok"
    assert again.path == "browser" and again.outcome == "ok"


def test_browser_unavailable_is_js_empty(world, monkeypatch):
    monkeypatch.setenv("DISCOVER_BROWSER", "/nonexistent/chrome")

    async def go():
        async with world_fetcher(world, browser="/nonexistent/chrome") as f:
            return await f.fetch("http://good.example/app")

    res = run(go())
    assert res.outcome == "js_empty"
    assert "browser unavailable" in res.reason


def test_page_command_json(world, capsys):
    import json

    from discover.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["page", "--web", str(world), "http://good.example/a", "http://good.example/retired",
              "http://good.example/private/secret", "--json", "--no-enrich"])
    assert exit_info.value.code == 0
    rows = json.loads(capsys.readouterr().out)      # one JSON document: a list for several URLs
    assert [r["outcome"] for r in rows] == ["ok", "gone", "robots_disallowed"]
    first = rows[0]
    assert first["type"] in ("blog", "news", "other", "resource", "forum", "directory", "haro", "guest_post", "spam")
    assert first["title"] == "Page A" and isinstance(first["contacts"], list) and first["evidence"]
    assert {"url", "final_url", "path", "confidence", "links", "forum_posts"} <= set(first)


def test_page_command_ignore_robots(world, capsys):
    import json

    from discover.cli import main

    with pytest.raises(SystemExit):
        main(["page", "--web", str(world), "http://good.example/private/secret", "--json", "--ignore-robots"])
    assert json.loads(capsys.readouterr().out)["outcome"] == "ok"
