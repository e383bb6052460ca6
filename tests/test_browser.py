"""Finding the browser, a remote browser over CDP, and clear errors when none is there."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time

import pytest

from discover.browser import BrowserSession, find_browser
from discover.errors import BrowserError
from discover.runtime import Runtime


def test_find_browser_prefers_the_setting(tmp_path):
    path, how = find_browser()
    assert path and how
    assert find_browser(path) == (path, "setting DISCOVER_BROWSER / --browser")
    with pytest.raises(BrowserError, match="does not exist") as err:
        find_browser(str(tmp_path / "no-chrome"))
    assert "apt-get install" in (err.value.hint or "")


def test_missing_browser_fails_with_install_hint(settings_for, tmp_path):
    async def go():
        async with Runtime(settings_for(browser=str(tmp_path / "nothing"))) as rt:
            await rt.browser()

    with pytest.raises(BrowserError):
        asyncio.run(go())


@pytest.fixture()
def remote_chromium(tmp_path):
    path, _ = find_browser()
    proc = subprocess.Popen(
        [path, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
         "--remote-debugging-address=127.0.0.1", f"--user-data-dir={tmp_path / 'profile'}",
         "--disable-background-networking", "--no-first-run", "about:blank"],
        stderr=subprocess.PIPE, text=True)
    endpoint = None
    deadline = time.time() + 30
    assert proc.stderr is not None
    while time.time() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            endpoint = m.group(1)
            break
    if endpoint is None:
        proc.kill()
        pytest.fail("remote Chromium did not announce its DevTools endpoint")
    yield endpoint
    proc.kill()
    proc.wait()


def test_remote_browser_over_cdp_reaches_the_world(remote_chromium, make_world, settings_for):
    world = make_world({"forum.example-bumps.com": {
        "index.html": "<html><head><title>Bump forum</title></head><body>hello</body></html>"}})
    http_endpoint = "http://" + remote_chromium.split("//", 1)[1].split("/", 1)[0]

    async def go():
        out = {}
        async with Runtime(settings_for(world, browser_endpoint=http_endpoint)) as rt:
            session = await rt.browser()
            assert session.remote
            ctx = await session.new_context()
            page = await ctx.new_page()
            await page.goto("http://forum.example-bumps.com/")
            out["title"] = await page.title()
            page = await ctx.new_page()
            try:
                await page.goto("http://no-such-host.example/")
            except Exception as exc:
                out["unknown"] = str(exc).splitlines()[0]
            await ctx.close()
        return out

    out = asyncio.run(go())
    assert out["title"] == "Bump forum"
    assert "ERR_NAME_NOT_RESOLVED" in out["unknown"]


def test_unreachable_remote_endpoint_is_a_clear_error(settings_for):
    async def go():
        async with BrowserSession(endpoint="http://127.0.0.1:9"):
            pass

    with pytest.raises(BrowserError, match="cannot connect"):
        asyncio.run(go())
