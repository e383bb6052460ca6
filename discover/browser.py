"""Find, launch or connect to a Chromium, and wire it to the offline web world.

Lookup order for the executable: the `browser` setting (`DISCOVER_BROWSER`), Playwright's
own download, then `/usr/bin/chromium` and the usual names on PATH. A remote browser
(`--browser-endpoint`, CDP `http://host:9222` or a Playwright `ws://` server) is used as is.

Inside a web world a locally launched Chromium reaches world hosts (http and https) on the
real local server through a proxy auto-config script the server hands out, and every other
name fails as NOTFOUND, exactly like an unknown domain. A remote browser cannot reach our
loopback, so it is answered in-process by a route that calls `World.respond` (redirects
there are followed by the browser outside the route: documented limit).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from discover.budgets import Stalled as BrowserStalled, bounded, close_quietly  # noqa: F401 - re-exported
from discover.errors import BrowserError

if TYPE_CHECKING:  # heavy import kept out of CLI start-up
    from playwright.async_api import Browser, BrowserContext, Playwright, Route

    from discover.net import EgressPolicy
    from discover.webworld.world import World

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-quic",
    "--disable-dev-shm-usage", "--mute-audio", "--ignore-certificate-errors",
]

CANDIDATE_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]
CANDIDATE_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium",
                   "/snap/bin/chromium", "/usr/bin/google-chrome"]

INSTALL_HINT = ("install one: `sudo apt-get install -y chromium` (Debian/Ubuntu), or "
                "`python -m playwright install chromium` where the internet is reachable, "
                "or point DISCOVER_BROWSER at a Chrome/Chromium executable")

REALISTIC_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/124.0.0.0 Safari/537.36")


def _playwright_own() -> str | None:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    if not root.is_dir():
        return None
    for cand in sorted(root.glob("chromium-*/chrome-linux*/chrome"), reverse=True):
        if os.access(cand, os.X_OK):
            return str(cand)
    return None


def find_browser(configured: str = "") -> tuple[str, str]:
    """Return (path, how it was found); raise BrowserError with an install hint when none."""
    if configured:
        path = shutil.which(configured) or configured
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path, "setting DISCOVER_BROWSER / --browser"
        raise BrowserError(f"the configured browser {configured!r} does not exist or is not executable",
                           hint=INSTALL_HINT)
    own = _playwright_own()
    if own:
        return own, "Playwright's own download"
    for cand in CANDIDATE_PATHS:
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand, "system package"
    for name in CANDIDATE_NAMES:
        found = shutil.which(name)
        if found:
            return found, "PATH"
    raise BrowserError("no Chromium or Chrome browser found", hint=INSTALL_HINT)


def world_flags(address: str) -> list[str]:
    """Chromium flags that put the browser inside a world served at `address` (host:port).

    A proxy auto-config script from the world server sends world hosts to it (https through
    CONNECT, TLS ending there); every other name fails to resolve, like an unknown domain. The
    server is known to the browser by a reserved name mapped to its address, so that no literal
    address needs an exception: `127.0.0.1:22`, `localhost:5432` or `[::1]` in a world page fail
    like unknown hosts instead of reaching the machine's own services.
    The PAC keeps the command line short whatever the size of the world (per-host resolver
    rules for thousands of hosts make Chromium fail to open pages).
    """
    from discover.webworld.server import PAC_PATH, SERVER_NAME

    host, port = address.rsplit(":", 1)
    return [f"--proxy-pac-url=http://{SERVER_NAME}:{port}{PAC_PATH}",
            f"--host-resolver-rules=MAP {SERVER_NAME} {host}, MAP * ~NOTFOUND"]


#: The URL of Chromium's own error page (a failed navigation, a crashed or aborted load).
CHROME_ERROR_PREFIX = "chrome-error://"
_ERROR_PAGE_MARKERS = ('id="main-frame-error"', "id='main-frame-error'", 'class="neterror"',
                       'id="interstitial-wrapper"', 'class="interstitial-wrapper"')


def error_page_reason(final_url: str, html: str) -> str:
    """Why what the browser shows is not a page of the site: its own error page, an interstitial,
    a blank page. "" when it is a page."""
    scheme = final_url.split(":", 1)[0].lower()
    if final_url.startswith(CHROME_ERROR_PREFIX):
        return f"the browser shows its own error page ({final_url})"
    if final_url in ("", "about:blank") or scheme == "about":
        return "the browser is on a blank page (about:blank)"
    if scheme not in ("http", "https"):
        return f"the browser ended on a {scheme}: page, not a web page"
    head = html[:200_000]
    if any(m in head for m in _ERROR_PAGE_MARKERS):
        return "the browser shows its own error or warning page, not the site's"
    return ""


async def egress_route(route: "Route", policy: "EgressPolicy") -> None:
    """A remote browser cannot use our proxy: check each request it makes against the policy
    (names resolved here; a remote browser resolving differently is a documented limit)."""
    from discover.net import EgressBlocked

    parts = urlsplit(route.request.url)
    try:
        port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
        await policy.aresolve(parts.hostname or "", port)
    except EgressBlocked:
        await route.abort("blockedbyclient")
        return
    except (OSError, ValueError):
        await route.abort("namenotresolved")
        return
    await route.fallback()


async def world_route(route: "Route", world: "World") -> None:
    """Answer a browser request from the world in-process (https:// and remote browsers)."""
    url = route.request.url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        await route.continue_()
        return
    host = parts.hostname or ""
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    resp = await asyncio.to_thread(world.respond, host, path) if world.knows(host) else None
    if resp is None:
        await route.abort("namenotresolved")
        return
    if resp.delay_s:
        await asyncio.sleep(resp.delay_s)
    await route.fulfill(status=resp.status, headers=resp.headers, body=resp.body)


class BrowserSession:
    """A running (or connected) browser plus its Playwright driver; use `async with`."""

    def __init__(self, *, executable: str = "", endpoint: str = "", headed: bool = False,
                 world: "World | None" = None, world_address: str = "",
                 proxy_flags: list[str] | None = None, policy: "EgressPolicy | None" = None) -> None:
        self.executable = executable
        self.proxy_flags = list(proxy_flags or [])
        self.policy = policy
        self.endpoint = endpoint
        self.headed = headed
        self.world = world
        self.world_address = world_address
        self.found_by = ""
        self._pw: Playwright | None = None
        self.browser: Browser | None = None
        self.remote = bool(endpoint)

    async def __aenter__(self) -> "BrowserSession":
        try:
            from playwright.async_api import Error as PWError
            from playwright.async_api import async_playwright
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise BrowserError(f"playwright is not installed: {exc}") from None
        self._pw = await async_playwright().start()
        try:
            if self.endpoint:
                self.browser = await self._connect(self.endpoint)
            else:
                path, self.found_by = find_browser(self.executable)
                args = list(CHROMIUM_FLAGS)
                if self.world is not None and self.world_address:
                    args.extend(world_flags(self.world_address))
                else:
                    args.extend(self.proxy_flags)
                try:
                    self.browser = await self._pw.chromium.launch(
                        executable_path=path, headless=not self.headed, args=args)
                except PWError as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    raise BrowserError(f"the browser at {path} failed to start: {first}",
                                       hint=INSTALL_HINT) from None
        except BaseException:
            await self._pw.stop()
            raise
        return self

    async def _connect(self, endpoint: str) -> "Browser":
        from playwright.async_api import Error as PWError

        assert self._pw is not None
        try:
            if endpoint.startswith(("http://", "https://")):
                return await self._pw.chromium.connect_over_cdp(endpoint, timeout=15000)
            try:
                return await self._pw.chromium.connect(endpoint, timeout=15000)
            except PWError:
                return await self._pw.chromium.connect_over_cdp(endpoint, timeout=15000)
        except PWError as exc:
            first = str(exc).strip().splitlines()[0]
            raise BrowserError(f"cannot connect to the remote browser at {endpoint}: {first}") from None

    async def new_context(self, **kwargs: Any) -> "BrowserContext":
        assert self.browser is not None
        kwargs.setdefault("user_agent", REALISTIC_UA)
        kwargs.setdefault("viewport", {"width": 1366, "height": 900})
        kwargs.setdefault("locale", "en-US")
        kwargs.setdefault("ignore_https_errors", True)
        # Requests a service worker makes are invisible to routes; pages get none.
        kwargs.setdefault("service_workers", "block")
        ctx = await bounded(self.browser.new_context(**kwargs), 30, "opening a browser context")
        if self.world is not None:
            world = self.world
            # A local launch reaches the real server through resolver rules (http and https on
            # one port); a remote browser cannot, so the world answers it in-process.
            if self.remote:
                await ctx.route(re.compile(r"^https?://"), lambda route: world_route(route, world))
        elif self.remote and self.policy is not None:
            policy = self.policy
            await ctx.route(re.compile(r"^(https?|wss?)://"), lambda route: egress_route(route, policy))
        return ctx

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.browser is not None:
                await close_quietly(self.browser, 10.0)
        finally:
            if self._pw is not None:
                try:
                    await asyncio.wait_for(self._pw.stop(), 10.0)
                except Exception:  # noqa: BLE001 - a driver that will not stop dies with us
                    pass
