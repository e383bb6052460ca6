"""The database of runs, queries, pages, links, sites, prospects, outreach and the outbox.

`Store.open(url)` opens SQLite (a file path or `sqlite:///...`) or PostgreSQL
(`postgresql://...`, psycopg 3) and migrates it to the latest schema version.
"""

from discover.store.migrations import LATEST, current_version, migrate
from discover.store.store import PageCache, RunInfo, SerpCache, Store, TaskRecord, normalise_db_url

__all__ = ["LATEST", "PageCache", "RunInfo", "SerpCache", "Store", "TaskRecord", "current_version", "migrate",
           "normalise_db_url"]
