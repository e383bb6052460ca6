"""Shared fixtures: a real local server over web worlds, isolation, and the Chromium the tool finds.

pytest-playwright launches its browser through `browser_type_launch_args`; we point it at
the executable `discover.browser.find_browser` finds (Playwright's own download is not
reachable here), with the same flags the tool uses.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from discover.browser import CHROMIUM_FLAGS, find_browser
from discover.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
BUNDLED_WORLD = REPO / "fixtures" / "web"
#: Shared read-only data (real saved pages and SERPs): $DISCOVER_SHARED, else `shared/` next to the
#: checkout. Read once at import, before `_isolated` clears DISCOVER_* for each test.
SHARED = Path(os.environ.get("DISCOVER_SHARED") or REPO.parent / "shared")
REALDATA = SHARED / "realdata"


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    """No test reads the user's config, data directory or DISCOVER_* environment."""
    for key in list(os.environ):
        if key.startswith("DISCOVER_"):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


_SYNC_PLAYWRIGHT_FIXTURES = {"page", "context", "browser", "playwright", "new_context"}


@pytest.fixture(autouse=True)
def _asyncio_after_sync_playwright(request):
    """pytest-playwright's session-wide sync driver leaves its event loop registered as the
    running loop of the main thread; `asyncio.run` in later tests would refuse to start.
    Tests that do not use those fixtures get a clean slate for their duration."""
    if _SYNC_PLAYWRIGHT_FIXTURES & set(request.fixturenames):
        yield
        return
    leaked = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(leaked)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path, _ = find_browser(os.environ.get("DISCOVER_BROWSER", ""))
    return {**browser_type_launch_args, "executable_path": path, "args": list(CHROMIUM_FLAGS)}


@pytest.fixture()
def make_world(tmp_path):
    """Write a small web directory: make_world({"host": {"index.html": "...", "_routes.toml": "..."}})."""

    def _make(sites: dict[str, dict[str, str | bytes]], **extra: str) -> Path:
        root = tmp_path / "web"
        for host, files in sites.items():
            for rel, content in files.items():
                f = root / "sites" / host / rel
                f.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    f.write_bytes(content)
                else:
                    f.write_text(content, encoding="utf-8")
        for name, content in extra.items():
            (root / name.replace("_", ".", 1) if name in ("labels_csv", "queries_toml", "web_toml") else root / name).write_text(content, encoding="utf-8")
        (root / "sites").mkdir(parents=True, exist_ok=True)
        return root

    return _make


@pytest.fixture()
def settings_for(tmp_path):
    """Settings bound to a world and a throwaway database."""

    def _settings(web: Path | None = None, **overrides) -> Settings:
        values = {"data_dir": str(tmp_path / "data"), "web": str(web) if web else None, **overrides}
        return load_settings(values, env={})

    return _settings


@pytest.fixture(scope="session")
def bundled_world() -> Path:
    if not (BUNDLED_WORLD / "sites").is_dir():
        pytest.skip("the bundled world fixtures/web is missing")
    return BUNDLED_WORLD
