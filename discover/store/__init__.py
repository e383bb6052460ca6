"""The database of runs, queries, pages, links, sites, prospects, outreach and the outbox.

`Store.open(url)` opens SQLite (a file path or `sqlite:///...`) or PostgreSQL
(`postgresql://...`, psycopg 3) and migrates it to the latest schema version.
"""

from discover.store.migrations import LATEST, current_version, migrate
from discover.store.store import PageCache, RunInfo, SerpCache, Store, TaskRecord, normalise_db_url, redact
from discover.store.urls import canonical_url, registrable_domain

__all__ = ["LATEST", "PageCache", "RunInfo", "SerpCache", "Store", "TaskRecord", "canonical_url", "current_version",
           "migrate", "normalise_db_url", "redact", "registrable_domain"]
