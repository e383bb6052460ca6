"""The web world served for real: routes, 404, unknown hosts, redirects, slow paths, https."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from discover.errors import ServerError, WebWorldError
from discover.runtime import Runtime
from discover.webworld.server import WorldServer
from discover.webworld.world import World

ROUTES = """
["/old-guide"]
status = 301
location = "/new-guide"

["/retired"]
status = 410

["/slow"]
delay_ms = 700

["/redirect-loop"]
status = 302
location = "/redirect-loop"

["/feed"]
content_type = "application/rss+xml"
file = "feed.xml"

["/blocked"]
status = 429
headers = { "Retry-After" = "30" }

["/legacy"]
content_type = "text/html"
"""


@pytest.fixture()
def world_dir(make_world):
    return make_world({
        "www.example-shop.com": {
            "index.html": "<html><head><title>Shop home</title></head><body><h1>Home</h1></body></html>",
            "new-guide.html": "<html><head><title>New guide</title></head><body>guide</body></html>",
            "a/index.html": "<html><title>A index</title><body>a</body></html>",
            "a/b.html": "<html><title>B</title><body>b</body></html>",
            "slow.html": "<html><title>Slow</title><body>finally</body></html>",
            "feed.xml": "<rss></rss>",
            "legacy.html": "<html><head><meta charset='windows-1252'><title>caf\xe9</title></head></html>".encode("cp1252"),
            "robots.txt": "User-agent: *\nDisallow: /private/\n",
            "_routes.toml": ROUTES,
        },
    })


def test_world_respond_follows_the_contract(world_dir):
    w = World(world_dir)
    assert w.respond("www.example-shop.com", "/").status == 200
    assert b"Shop home" in w.respond("WWW.Example-Shop.com:80", "/").body
    assert b"B" in w.respond("www.example-shop.com", "/a/b").body          # extensionless
    assert w.respond("www.example-shop.com", "/a/b.html").status == 200
    assert b"A index" in w.respond("www.example-shop.com", "/a").body       # folder index
    assert b"A index" in w.respond("www.example-shop.com", "/a/").body
    r = w.respond("www.example-shop.com", "/old-guide")
    assert (r.status, r.headers["Location"], r.body) == (301, "/new-guide", b"")
    assert w.respond("www.example-shop.com", "/retired").status == 410
    assert w.respond("www.example-shop.com", "/nope").status == 404
    assert b"404" in w.respond("www.example-shop.com", "/nope").body
    assert w.respond("www.example-shop.com", "/feed").headers["Content-Type"] == "application/rss+xml"
    assert w.respond("www.example-shop.com", "/blocked").headers["Retry-After"] == "30"
    assert w.respond("www.example-shop.com", "/legacy").headers["Content-Type"] == "text/html"
    assert w.respond("www.example-shop.com", "/_routes.toml").status == 404
    assert w.respond("www.example-shop.com", "/../../etc/passwd").status == 404
    assert w.respond("no-such-host.com", "/") is None


def test_not_a_world_is_a_clear_error(tmp_path):
    with pytest.raises(WebWorldError, match="not a web directory"):
        World(tmp_path)
    with pytest.raises(WebWorldError, match="not found"):
        World(tmp_path / "missing")


def test_port_in_use_is_a_clear_error(world_dir):
    with WorldServer(World(world_dir)) as first:
        with pytest.raises(ServerError, match="already in use"):
            WorldServer(World(world_dir), port=first.port)


async def _http(world_dir, settings_for):
    results = {}
    async with Runtime(settings_for(world_dir)) as rt:
        async with rt.http_client() as client:
            for path in ("/", "/old-guide", "/retired", "/nope", "/blocked"):
                r = await client.get("http://www.example-shop.com" + path)
                results[path] = r.status_code
            r = await client.get("http://www.example-shop.com/old-guide", follow_redirects=True)
            results["followed"] = str(r.url)
            r = await client.get("https://www.example-shop.com/a/b")
            results["https"] = (r.status_code, str(r.url))
            t0 = time.perf_counter()
            await client.get("http://www.example-shop.com/slow")
            results["slow_s"] = time.perf_counter() - t0
            with pytest.raises(httpx.ConnectError, match="Name or service not known"):
                await client.get("http://unknown-host.example/")
            with pytest.raises(httpx.TooManyRedirects):
                await client.get("http://www.example-shop.com/redirect-loop", follow_redirects=True)
    return results


def test_http_client_reaches_world_under_real_names(world_dir, settings_for):
    r = asyncio.run(_http(world_dir, settings_for))
    assert r["/"] == 200 and r["/old-guide"] == 301 and r["/retired"] == 410
    assert r["/nope"] == 404 and r["/blocked"] == 429
    assert r["followed"] == "http://www.example-shop.com/new-guide"
    assert r["https"] == (200, "https://www.example-shop.com/a/b")
    assert r["slow_s"] >= 0.65


async def _browse(world_dir, settings_for):
    seen = {}
    async with Runtime(settings_for(world_dir)) as rt:
        browser = await rt.browser()
        ctx = await browser.new_context()
        page = await ctx.new_page()
        for url in ("http://www.example-shop.com/old-guide", "https://www.example-shop.com/old-guide",
                    "http://www.example-shop.com/nope", "https://www.example-shop.com/a"):
            resp = await page.goto(url)
            seen[url] = (resp.status, page.url, await page.title())
        for url in ("http://unknown-host.example/", "https://unknown-host.example/",
                    "http://www.example-shop.com/redirect-loop"):
            page = await ctx.new_page()  # an error page cannot be navigated away from reliably
            try:
                await page.goto(url)
                seen[url] = "loaded"
            except Exception as exc:  # Playwright raises its own Error type
                seen[url] = str(exc).splitlines()[0]
        page = await ctx.new_page()
        await page.goto("http://www.example-shop.com/legacy")
        seen["legacy"] = await page.title()
        t0 = time.perf_counter()
        await page.goto("http://www.example-shop.com/slow")
        seen["slow_s"] = time.perf_counter() - t0
        await ctx.close()
    return seen


def test_real_chromium_reaches_world_under_real_names(world_dir, settings_for):
    s = asyncio.run(_browse(world_dir, settings_for))
    assert s["http://www.example-shop.com/old-guide"] == (200, "http://www.example-shop.com/new-guide", "New guide")
    assert s["https://www.example-shop.com/old-guide"] == (200, "https://www.example-shop.com/new-guide", "New guide")
    assert s["http://www.example-shop.com/nope"][0] == 404
    assert s["https://www.example-shop.com/a"][2] == "A index"
    assert "ERR_NAME_NOT_RESOLVED" in s["http://unknown-host.example/"]
    assert "ERR_NAME_NOT_RESOLVED" in s["https://unknown-host.example/"]
    assert "ERR_TOO_MANY_REDIRECTS" in s["http://www.example-shop.com/redirect-loop"]
    assert s["legacy"] == "café"                 # charset from <meta> only
    assert s["slow_s"] >= 0.65


def test_pytest_playwright_page_fixture_uses_found_chromium(page, world_dir):
    """pytest-playwright's own fixtures launch the Chromium the tool finds."""
    with WorldServer(World(world_dir)) as server:
        page.goto(f"http://127.0.0.1:{server.port}/")   # the index of hosts
        assert "www.example-shop.com" in page.content()


def test_large_world_in_chromium(tmp_path, settings_for):
    """Thousands of hosts: the browser still reaches them (http and https) and fails unknown ones."""
    from discover.webworld.generate import generate_world

    generate_world(tmp_path / "big", sites=1500, pages_per_site=1, seed=3)

    async def go():
        async with Runtime(settings_for(tmp_path / "big")) as rt:
            hosts = sorted(rt.world.hosts)
            ctx = await (await rt.browser()).new_context()
            out = []
            for url in (f"http://{hosts[0]}/", f"https://{hosts[-1]}/"):
                page = await ctx.new_page()
                out.append((await page.goto(url)).status)
            page = await ctx.new_page()
            try:
                await page.goto("http://not-in-this-world.example/")
            except Exception as exc:
                out.append(str(exc).splitlines()[0])
            await ctx.close()
            return out

    out = asyncio.run(go())
    assert out[:2] == [200, 200]
    assert "ERR_NAME_NOT_RESOLVED" in out[2]
