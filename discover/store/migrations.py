"""Versioned schema migrations: a `schema_version` table and ordered migration functions.

`migrate(engine)` applies every migration above the database's version, each in its own
transaction, so a fresh database and an older one both end at `LATEST`. To change the
schema, append a function to `MIGRATIONS` (never edit an applied one).
"""

from __future__ import annotations

import time
from typing import Callable

import sqlalchemy as sa

from discover.errors import StoreError
from discover.store import schema as s


def _m1_initial(conn: sa.Connection) -> None:
    s.metadata.create_all(conn, tables=list(s.V1_TABLES))


def _m2_outbox(conn: sa.Connection) -> None:
    s.outbox.create(conn)


def _m3_links_url_index(conn: sa.Connection) -> None:
    # Broken-link lookups and PageRank go by target URL; added once link tables got large.
    # Plain DDL: an sa.Index object would attach itself to the shared Table for good.
    conn.execute(sa.text("CREATE INDEX ix_links_url ON links (url)"))


def _m4_review(conn: sa.Connection) -> None:
    s.page_labels.create(conn)
    s.screenshots.create(conn)


def _m5_task_results(conn: sa.Connection) -> None:
    s.task_results.create(conn)
    s.store_meta.create(conn)


MIGRATIONS: list[tuple[str, Callable[[sa.Connection], None]]] = [
    ("initial", _m1_initial),
    ("outbox", _m2_outbox),
    ("links_url_index", _m3_links_url_index),
    ("page_labels_and_screenshots", _m4_review),
    ("task_results", _m5_task_results),
]
LATEST = len(MIGRATIONS)


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(s.schema_version.c.version))).scalar() or 0


def migrate(engine: sa.Engine, target: int | None = None) -> int:
    """Bring the database to `target` (default: the latest version); return the version reached."""
    target = LATEST if target is None else target
    if engine.dialect.name == "postgresql":
        # Several workers starting at once on a fresh database: one migrates, the others wait
        # for it and then find nothing left to do (instead of "table already exists").
        with engine.connect() as lock:
            lock.exec_driver_sql(f"SELECT pg_advisory_lock({_LOCK_ID})")
            try:
                return _migrate(engine, target)
            finally:
                lock.exec_driver_sql(f"SELECT pg_advisory_unlock({_LOCK_ID})")
                lock.commit()
    return _migrate(engine, target)


#: pg_advisory_lock key of migrations (any constant: it only has to be the same everywhere).
_LOCK_ID = 0x64697363  # "disc"


def _migrate(engine: sa.Engine, target: int) -> int:
    with engine.begin() as conn:
        s.schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
    if version > LATEST:
        raise StoreError(f"the database is at schema version {version}, newer than this discover ({LATEST})",
                         hint="upgrade discover, or use another --db")
    for number in range(version + 1, target + 1):
        name, func = MIGRATIONS[number - 1]
        try:
            with engine.begin() as conn:
                func(conn)
                conn.execute(sa.insert(s.schema_version).values(version=number, applied_at=time.time(), name=name))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"migration {number} ({name}) failed: {exc.__class__.__name__}",
                             hint=str(exc).splitlines()[0][:200]) from None
    return max(version, target)
