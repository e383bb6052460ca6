"""The store test-suite again, on a real PostgreSQL: DISCOVER_TEST_PG_URL, or a throwaway cluster
started from Debian's postgresql (initdb + pg_ctl, as the postgres user when running as root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

import test_store
from discover.store import Store
from test_store import (  # noqa: F401 - the same tests, collected here with the postgres `store` fixture
    test_footprint_stats, test_fresh_and_old_database_reach_latest, test_pages_links_contacts,
    test_prospects_one_per_site_per_niche_idempotent, test_queries_serp_and_cache, test_review_decisions_labels_and_thumbnails,
    test_runs_lifecycle_and_resumable,
)

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server():
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
    port = _free_port()
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
    admin = sa.create_engine(pg_server.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


@pytest.fixture
def store(pg_url: str):
    s = Store.open(pg_url)
    assert s.engine.dialect.name == "postgresql" and s.engine.dialect.driver == "psycopg"
    yield s
    s.close()


def test_old_postgres_database_reaches_latest(pg_url: str) -> None:
    from discover.store import LATEST, current_version, migrate

    eng = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    assert migrate(eng, target=2) == 2
    eng.dispose()
    s = Store.open(pg_url)
    with s.engine.connect() as conn:
        assert current_version(conn) == LATEST
    s.close()


def test_suite_is_shared() -> None:
    # every store test except the SQLite-only ones runs here too
    shared = {n for n in dir(test_store) if n.startswith("test_")} - {
        "test_sqlite_pragmas", "test_url_normalisation", "test_bad_database_is_a_store_error",
        "test_resume_after_sigkill", "test_fresh_and_old_database_reach_latest"}
    assert shared <= set(globals())
