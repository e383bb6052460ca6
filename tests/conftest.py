"""Shared fixtures: a real local server over web worlds, isolation, and the Chromium the tool finds.

pytest-playwright launches its browser through `browser_type_launch_args`; we point it at
the executable `discover.browser.find_browser` finds (Playwright's own download is not
reachable here), with the same flags the tool uses.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
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
    # Where the shared read-only corpus is stays known: code that reads it by itself
    # (`discover train`'s corpus) must see the same pages as the tests that pass SHARED.
    monkeypatch.setenv("DISCOVER_SHARED", str(SHARED))
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


# --- real services started by the tests ---------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster on a free loopback port (or DISCOVER_TEST_PG_URL): initdb +
    pg_ctl from Debian's postgresql, as the postgres user when running as root."""
    url = os.environ.get("DISCOVER_TEST_PG_URL")
    if url:
        yield url
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL not installed (no /usr/lib/postgresql/*/bin/initdb) and DISCOVER_TEST_PG_URL unset")
    bindir = Path(bins[-1]).parent
    as_user: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser: cannot start PostgreSQL as a non-root user")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="discover-pg-"))
    os.chmod(root, 0o777)
    data = root / "data"
    port = free_port()
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"could not start a throwaway PostgreSQL: {exc} {detail.decode(errors='replace')[:200]}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str):
    """A fresh database per test on the session's server."""
    name = "t_" + uuid.uuid4().hex[:12]
    import sqlalchemy as sa

    admin = sa.create_engine(pg_server.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url():
    """A throwaway Debian redis-server on a free loopback port: no persistence, gone after the session."""
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else "")
    if not binary:
        pytest.skip("redis-server not installed (apt-get install redis-server; ./install.sh --dev does it)")
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="discover-redis-"))
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(root), "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import time

        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
