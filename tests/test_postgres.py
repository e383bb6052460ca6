"""The store test-suite again, on a real PostgreSQL: DISCOVER_TEST_PG_URL, or a throwaway cluster
started from Debian's postgresql (the `pg_server` / `pg_url` fixtures of conftest.py)."""

from __future__ import annotations

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
