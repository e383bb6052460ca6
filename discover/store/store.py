"""The store: one database (SQLite by default, PostgreSQL the same way) for every stage.

Every write is its own short transaction, so a run killed with SIGKILL loses at most the
page in flight, and every save is an idempotent upsert, so resuming a run never duplicates
anything. Records go in and come out as the dataclasses of `discover.records`.

    store = Store.open(settings.db_url())          # creates and migrates
    run_id = store.start_run("vegan baking", geo="", types=["blog"])
    store.save_page(run_id, fetch_result, extraction, classification)
    store.save_prospects(run_id, prospects)         # as given: outreach.prospects makes them one per site
    store.finish_run(run_id, "finished", {"prospects": 12})
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa

from discover.errors import StoreError
from discover.records import (
    Classification, Contact, Extraction, FetchOutcome, FetchResult, GeoTier, Link, LinkCheck, LinkClass, Prospect,
    ProspectType, QueryOutcome, SearchOutcome, SerpResult, SiteQuality,
)
from discover.store import schema as s
from discover.store.migrations import migrate
from discover.domains import registrable_domain
from discover.urls import FOR_STORE, redact_url, url_key

RUN_STATUSES = ("running", "finished", "interrupted", "failed")
TASK_STATUSES = ("done", "failed")
#: Statuses `find_resumable_run` picks up (a SIGKILLed run is still "running").
RESUMABLE = ("running", "interrupted", "failed")
_BATCH = 5000


def normalise_db_url(url: str) -> str:
    """`postgresql://` and `postgres://` use the psycopg 3 driver; a bare path is a SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser().resolve())
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the report/shortlist read while a run writes; NORMAL is durable across a process kill.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # 64 MB page cache: the link indexes stay hot at a million rows (the default 2 MB thrashes).
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


_CORRUPT_HINT = ("restore it from a backup, or move it aside and start a new one (--db NEW); "
                 "`sqlite3 FILE .recover` may save what is still readable")


def check_integrity(url: str, engine: sa.Engine) -> None:
    """Refuse a damaged database (StoreError, exit 5) before it is used or written to.

    SQLite: `PRAGMA quick_check` on a read-only connection (it reads every page: a file with
    random bytes in the middle fails here, not after a run has written into it). PostgreSQL
    checks its own pages; a cheap query on our version table is enough there."""
    if engine.dialect.name == "sqlite":
        path = url.removeprefix("sqlite:///")
        if url == "sqlite:///:memory:" or not Path(path).is_file() or Path(path).stat().st_size == 0:
            return
        import sqlite3
        from urllib.parse import quote

        try:
            raw = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=10)
        except sqlite3.Error:
            return   # unreadable (permissions ...): opening it for real reports why
        try:
            rows = raw.execute("PRAGMA quick_check").fetchmany(3)
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "encrypted" in str(exc):
                raise StoreError(f"cannot open database {path}: file is not a database",
                                 hint="give a discover database file, or a new path to create one") from None
            raise StoreError(f"database {path} is corrupt: {exc}", hint=_CORRUPT_HINT) from None
        finally:
            raw.close()
        if rows != [("ok",)]:
            detail = " ".join("; ".join(str(r[0]) for r in rows).split())[:200]
            raise StoreError(f"database {path} is corrupt: {detail}", hint=_CORRUPT_HINT)
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
            if sa.inspect(conn).has_table("schema_version"):
                conn.exec_driver_sql("select count(*) from schema_version")
    except sa.exc.OperationalError:
        return   # unreachable: opening it for real reports why, in one line
    except sa.exc.DBAPIError as exc:
        reason = " ".join(str(exc.orig).split())[:200]
        raise StoreError(f"database {redact_url(url)} failed a sanity check: {reason}",
                         hint="ask its administrator to check the server's logs") from None


@dataclass
class RunInfo:
    id: int
    keyword: str
    geo: str
    types: list[str]
    settings: dict[str, Any]
    status: str
    started_at: float
    finished_at: float | None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskRecord:
    """One finished task of the distributed executor (see discover/scale/)."""

    key: str
    status: str                       # done | failed
    result: Any = None                # the task's JSON result
    error: dict[str, Any] = field(default_factory=dict)   # {"type", "message", "hint", "exit_code"}
    attempts: int = 1                 # how many times it was recorded (a redelivery re-records)
    worker: str = ""
    elapsed_s: float = 0.0


def task_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


_PROSPECT_FIELDS = tuple(f.name for f in dataclasses.fields(Prospect))
_PROSPECT_NAMES = frozenset(_PROSPECT_FIELDS)


def _prospect_from_row(data: dict[str, Any]) -> Prospect:
    if not _PROSPECT_NAMES.issuperset(data):
        data = {k: v for k, v in data.items() if k in _PROSPECT_NAMES}
    # JSON gives plain strings; the record holds the closed sets' members.
    return Prospect(**{**data, "type": ProspectType(data["type"]),
                       "geo_tier": GeoTier(data.get("geo_tier") or GeoTier.UNKNOWN)})


def prospect_dict(p: Prospect) -> dict[str, Any]:
    """A shallow dict of the record: dataclasses.asdict deep-copies and is 10x slower at 100k rows."""
    return {name: getattr(p, name) for name in _PROSPECT_FIELDS}


def _new_id(result: Any) -> int:
    """The primary key an INSERT just made."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _fetch_from_row(row: Any) -> FetchResult:
    html = zlib.decompress(row.html_z).decode("utf-8") if row.html_z else ""
    return FetchResult(url=row.url, final_url=row.final_url, outcome=FetchOutcome(row.outcome), status=row.status,
                       content_type=row.content_type, html=html, encoding=row.encoding,
                       redirects=list(row.redirects or []), path="cache", reason=row.reason,
                       elapsed_s=row.elapsed_s, headers=dict(row.headers or {}))


def _extraction_from_row(row: Any) -> tuple[Extraction | None, Classification | None]:
    ext = cls = None
    if row.extraction:
        d = dict(row.extraction)
        d["links"] = [Link(**{**ln, "rel": tuple(ln.get("rel") or ())}) for ln in d.get("links", [])]
        d["contacts"] = [Contact(**c) for c in d.get("contacts", [])]
        ext = Extraction(**d)
    if row.classification:
        cls = Classification(**{**row.classification, "type": ProspectType(row.classification["type"])})
    return ext, cls


class Store:
    """Typed access to the database; methods commit as they go."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # --- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> "Store":
        """Open (creating the SQLite file's folder) and migrate to the latest schema."""
        url = normalise_db_url(url)
        try:
            if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, future=True)
        except (sa.exc.ArgumentError, ModuleNotFoundError, OSError) as exc:
            raise StoreError(f"cannot open database {redact_url(url)}: {exc}",
                             hint="use a SQLite file path or postgresql://user@host/db "
                                  "(pip install 'psycopg[binary]')") from None
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        check_integrity(url, engine)   # before anything writes: a corrupt file is never written into
        store = cls(engine)
        if migrate_schema:
            try:
                migrate(engine)
            except sa.exc.DBAPIError as exc:  # unreachable server, unwritable path, not a database file
                reason = " ".join(str(exc.orig).split())  # drivers write several lines; keep one
                raise StoreError(f"cannot open database {redact_url(url)}: {reason}",
                                 hint="check the path or server, and its permissions") from None
        return store

    @classmethod
    def memory(cls) -> "Store":
        """A private in-memory database with the full schema: what a run without `--db` (an
        evaluation, a library call) writes to, so no stage needs a "no store" branch."""
        engine = sa.create_engine("sqlite://", future=True, poolclass=sa.pool.StaticPool,
                                  # one connection shared by every thread: a second one would see another database
                                  connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _upsert(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]],
                keys: Sequence[str], update: Sequence[str] | None = None) -> None:
        """INSERT ... ON CONFLICT (keys) DO UPDATE (or NOTHING), on SQLite and PostgreSQL."""
        if not rows:
            return
        stmt: Any
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(table)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table)
        cols = [c for c in (update if update is not None else rows[0].keys()) if c not in keys]
        if cols:
            stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                              set_={c: stmt.excluded[c] for c in cols})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        conn.execute(stmt, rows)

    # --- runs ---------------------------------------------------------------------------
    def start_run(self, keyword: str, geo: str = "", types: Iterable[str] = (),
                  settings: dict[str, Any] | None = None) -> int:
        with self.engine.begin() as conn:
            key = conn.execute(sa.insert(s.runs).values(
                keyword=keyword, geo=geo or "", types=list(types), settings=_json_safe(settings or {}),
                status="running", started_at=time.time(), summary={})).inserted_primary_key
            assert key is not None   # an INSERT always has one
            return int(key[0])

    def _run(self, row: Any) -> RunInfo:
        return RunInfo(id=row.id, keyword=row.keyword, geo=row.geo, types=list(row.types or []),
                       settings=dict(row.settings or {}), status=row.status, started_at=row.started_at,
                       finished_at=row.finished_at, summary=dict(row.summary or {}))

    def get_run(self, run_id: int) -> RunInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.runs).where(s.runs.c.id == run_id)).first()
        return self._run(row) if row else None

    def last_run(self, keyword: str | None = None) -> RunInfo | None:
        q = sa.select(s.runs).order_by(s.runs.c.id.desc()).limit(1)
        if keyword is not None:
            q = q.where(s.runs.c.keyword == keyword)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return self._run(row) if row else None

    def list_runs(self, limit: int | None = 50) -> list[RunInfo]:
        q = sa.select(s.runs).order_by(s.runs.c.id.desc())
        with self.engine.connect() as conn:
            rows = conn.execute(q.limit(limit) if limit is not None else q).all()
        return [self._run(r) for r in rows]

    def find_resumable_run(self, keyword: str | None = None, geo: str | None = None) -> RunInfo | None:
        """The latest unfinished run (running after a kill, interrupted, or failed), optionally for keyword/geo."""
        q = sa.select(s.runs).where(s.runs.c.status.in_(RESUMABLE)).order_by(s.runs.c.id.desc()).limit(1)
        if keyword is not None:
            q = q.where(s.runs.c.keyword == keyword)
        if geo is not None:
            q = q.where(s.runs.c.geo == geo)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return self._run(row) if row else None

    def resume_run(self, run_id: int) -> None:
        self._set_status(run_id, "running", None)

    def finish_run(self, run_id: int, status: str = "finished", summary: dict[str, Any] | None = None) -> None:
        if status not in RUN_STATUSES:
            raise StoreError(f"unknown run status {status!r}", hint="one of " + ", ".join(RUN_STATUSES))
        self._set_status(run_id, status, summary)

    def _set_status(self, run_id: int, status: str, summary: dict[str, Any] | None) -> None:
        values: dict[str, Any] = {"status": status,
                                  "finished_at": time.time() if status != "running" else None}
        if summary is not None:
            values["summary"] = _json_safe(summary)
        with self.engine.begin() as conn:
            if conn.execute(sa.update(s.runs).where(s.runs.c.id == run_id).values(**values)).rowcount == 0:
                raise StoreError(f"no run {run_id}", hint="`discover runs` lists them")

    # --- queries and SERPs --------------------------------------------------------------
    def save_query_outcome(self, run_id: int, outcome: QueryOutcome) -> None:
        """Record one query on one engine with its results (replaces an earlier record of it in this run)."""
        q = outcome.query
        row = dict(run_id=run_id, engine=outcome.engine, text=q.text, type=q.prospect_type,
                   footprint=q.footprint, outcome=outcome.outcome, reason=outcome.reason,
                   cached=bool(outcome.cached), results=len(outcome.results), pages_read=outcome.pages_read,
                   elapsed_s=outcome.elapsed_s, query=_json_safe(dataclasses.asdict(q)), created_at=time.time())
        with self.engine.begin() as conn:
            self._upsert(conn, s.queries, [row], ["run_id", "engine", "text"])
            self._replace_serp(conn, run_id, outcome.engine, q.text, outcome.results)

    def save_serp_results(self, run_id: int, engine: str, query_text: str, results: Sequence[SerpResult]) -> None:
        with self.engine.begin() as conn:
            self._replace_serp(conn, run_id, engine, query_text, results)

    def _replace_serp(self, conn: sa.Connection, run_id: int, engine: str, query_text: str,
                      results: Sequence[SerpResult]) -> None:
        t = s.serp_results
        conn.execute(sa.delete(t).where(t.c.run_id == run_id, t.c.engine == engine, t.c.query == query_text))
        if results:
            conn.execute(sa.insert(t), [dict(run_id=run_id, query=query_text, engine=engine, page=r.page,
                                             url=r.url, rank=r.rank, title=r.title, snippet=r.snippet)
                                        for r in results])

    def done_queries(self, run_id: int) -> set[tuple[str, str]]:
        """(engine, text) of the queries this run already recorded (a resume skips them)."""
        with self.engine.connect() as conn:
            return {(r.engine, r.text) for r in conn.execute(
                sa.select(s.queries.c.engine, s.queries.c.text).where(s.queries.c.run_id == run_id))}

    def query_outcomes(self, run_id: int) -> list[QueryOutcome]:
        from discover.records import Query

        qt, st = s.queries, s.serp_results
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(qt).where(qt.c.run_id == run_id).order_by(qt.c.id)).all()
            serps = conn.execute(sa.select(st).where(st.c.run_id == run_id).order_by(st.c.id)).all()
        by_query: dict[tuple[str, str], list[SerpResult]] = {}
        for r in serps:
            by_query.setdefault((r.engine, r.query), []).append(SerpResult(
                url=r.url, title=r.title, snippet=r.snippet, rank=r.rank, engine=r.engine, query=r.query,
                page=r.page))
        out = []
        for r in rows:
            qd = dict(r.query or {})
            qd["notes"] = tuple(qd.get("notes") or ())
            query = Query(**qd) if qd.get("text") else Query(text=r.text, prospect_type=r.type,
                                                              footprint=r.footprint)
            out.append(QueryOutcome(query=query, engine=r.engine, outcome=SearchOutcome(r.outcome),
                                    results=by_query.get((r.engine, r.text), []), reason=r.reason,
                                    pages_read=r.pages_read, cached=r.cached, elapsed_s=r.elapsed_s))
        return out

    # --- SERP cache ---------------------------------------------------------------------
    def serp_cache_get(self, engine: str, query_text: str, page: int = 1, ttl: float | None = None
                       ) -> list[SerpResult] | None:
        t = s.serp_cache
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.results, t.c.fetched_at).where(
                t.c.engine == engine, t.c.query == query_text, t.c.page == page)).first()
        if row is None or (ttl is not None and time.time() - row.fetched_at > ttl):
            return None
        return [SerpResult(**r) for r in row.results]

    def serp_cache_put(self, engine: str, query_text: str, page: int, results: Sequence[SerpResult]) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, s.serp_cache, [dict(
                engine=engine, query=query_text, page=page, fetched_at=time.time(),
                results=[dataclasses.asdict(r) for r in results])], ["engine", "query", "page"])

    def serp_cache(self, ttl: float) -> "SerpCache":
        return SerpCache(self, ttl)

    # --- pages --------------------------------------------------------------------------
    def is_fetched(self, url: str, ttl: float | None = None) -> bool:
        t = s.pages
        with self.engine.connect() as conn:
            at = conn.execute(sa.select(t.c.fetched_at).where(t.c.url == url)).scalar()
        return at is not None and (ttl is None or time.time() - at <= ttl)

    def get_page(self, url: str, ttl: float | None = None) -> FetchResult | None:
        """The stored fetch of `url` (path="cache"), or None when absent or older than `ttl` seconds."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.pages).where(s.pages.c.url == url)).first()
        if row is None or (ttl is not None and time.time() - row.fetched_at > ttl):
            return None
        return _fetch_from_row(row)

    def page_cache(self, run_id: int | None = None) -> "PageCache":
        return PageCache(self, run_id)

    def get_extraction(self, url: str) -> tuple[Extraction | None, Classification | None]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.pages.c.extraction, s.pages.c.classification)
                               .where(s.pages.c.url == url)).first()
        if row is None:
            return None, None
        return _extraction_from_row(row)

    def read_pages(self, urls: Sequence[str]) -> dict[str, tuple[FetchResult, Extraction | None, Classification | None]]:
        """url → (stored fetch, extraction, classification) for the stored ones of `urls`, in a few queries."""
        out: dict[str, tuple[FetchResult, Extraction | None, Classification | None]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(urls), 500):
                for row in conn.execute(sa.select(s.pages).where(s.pages.c.url.in_(list(urls[i:i + 500])))):
                    out[row.url] = (_fetch_from_row(row), *_extraction_from_row(row))
        return out


    def fetched_urls(self, run_id: int | None = None) -> set[str]:
        q = sa.select(s.pages.c.url)
        if run_id is not None:
            q = q.where(s.pages.c.run_id == run_id)
        with self.engine.connect() as conn:
            return set(conn.execute(q).scalars())

    def save_page(self, run_id: int | None, result: FetchResult, extraction: Extraction | None = None,
                  classification: Classification | None = None) -> None:
        """Upsert one fetched page (HTML zlib-compressed), its extracted links and contacts; one transaction."""
        raw = result.html.encode("utf-8", "replace")
        row = dict(url=result.url, run_id=run_id, final_url=result.final_url, outcome=result.outcome,
                   status=result.status, content_type=result.content_type, encoding=result.encoding,
                   path=result.path, reason=result.reason, redirects=list(result.redirects),
                   headers=dict(result.headers), elapsed_s=result.elapsed_s, fetched_at=time.time(),
                   content_hash=hashlib.sha256(raw).hexdigest() if raw else "",
                   html_z=zlib.compress(raw, 6) if raw else None,
                   title=extraction.title if extraction else "",
                   extraction=_json_safe(dataclasses.asdict(extraction)) if extraction else None,
                   classification=_json_safe(dataclasses.asdict(classification)) if classification else None)
        if extraction is None:
            # A bare cache put must not wipe what an earlier save extracted from the same page.
            for key in ("title", "extraction"):
                row.pop(key)
        if classification is None:
            row.pop("classification")
        with self.engine.begin() as conn:
            self._upsert(conn, s.pages, [row], ["url"])
            if extraction is not None:
                self._replace_extracted(conn, result.url, extraction)
            if result.screenshot:
                self._upsert(conn, s.screenshots, [dict(url=result.url, image=result.screenshot,
                                                        media_type="image/jpeg", taken_at=time.time())], ["url"])

    def _replace_extracted(self, conn: sa.Connection, page: str, ext: Extraction) -> None:
        lt, ct = s.links, s.contacts
        conn.execute(sa.delete(lt).where(lt.c.page == page))
        seen: set[str] = set()
        rows = []
        for ln in ext.links:
            if ln.url in seen:
                continue
            seen.add(ln.url)
            rows.append(dict(page=page, url=ln.url, anchor=ln.anchor, rel=" ".join(ln.rel), position=ln.position,
                             internal=ln.internal, final_url="", reason="", wayback=""))
        for i in range(0, len(rows), _BATCH):
            conn.execute(sa.insert(lt), rows[i:i + _BATCH])
        conn.execute(sa.delete(ct).where(ct.c.page == page))
        domain = registrable_domain(page)
        crow = [dict(domain=domain, page=page, kind=c.kind, value=c.value, label=c.label, name=c.name,
                     source_url=c.source_url) for c in dict.fromkeys(ext.contacts)]
        if crow:
            conn.execute(sa.insert(ct), crow)

    # --- links --------------------------------------------------------------------------
    def save_links(self, page_url: str, checks: Sequence[LinkCheck]) -> None:
        """Record link-check results for one page (updates extracted links, adds the others); batched."""
        lt = s.links
        now = time.time()
        latest = {c.url: c for c in checks}
        with self.engine.begin() as conn:
            existing = set(conn.execute(sa.select(lt.c.url).where(lt.c.page == page_url)).scalars())
            upd = [dict(b_page=page_url, b_url=c.url, cls=c.cls, status=c.status, chain=_json_safe(c.chain),
                        final_url=c.final_url, reason=c.reason, wayback=c.wayback, checked_at=now)
                   for u, c in latest.items() if u in existing]
            new = [dict(page=page_url, url=c.url, anchor=c.anchor, rel="", position="content", internal=False,
                        cls=c.cls, status=c.status, chain=_json_safe(c.chain), final_url=c.final_url,
                        reason=c.reason, wayback=c.wayback, checked_at=now)
                   for u, c in latest.items() if u not in existing]
            if upd:
                stmt = sa.update(lt).where(lt.c.page == sa.bindparam("b_page"), lt.c.url == sa.bindparam("b_url"))
                conn.execute(stmt.values(cls=sa.bindparam("cls"), status=sa.bindparam("status"),
                                         chain=sa.bindparam("chain"), final_url=sa.bindparam("final_url"),
                                         reason=sa.bindparam("reason"), wayback=sa.bindparam("wayback"),
                                         checked_at=sa.bindparam("checked_at")), upd)
            for i in range(0, len(new), _BATCH):
                conn.execute(sa.insert(lt), new[i:i + _BATCH])

    def link_checks(self, page_url: str) -> list[LinkCheck]:
        lt = s.links
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(lt).where(lt.c.page == page_url, lt.c.cls.is_not(None))
                                .order_by(lt.c.id)).all()
        return [LinkCheck(page=r.page, url=r.url, cls=LinkClass(r.cls), status=r.status, chain=list(r.chain or []),
                          final_url=r.final_url, anchor=r.anchor, reason=r.reason, wayback=r.wayback)
                for r in rows]

    def count_links(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(s.links)).scalar() or 0)

    def all_links_edges(self, *, domains: bool = False, include_internal: bool = False
                        ) -> Iterator[tuple[str, str]]:
        """Every stored link as (page, url), or (source domain, target domain) without self-loops, streamed."""
        lt = s.links
        q = sa.select(lt.c.page, lt.c.url)
        if not include_internal:
            q = q.where(lt.c.internal.is_(False))
        seen: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            for page, url in conn.execution_options(yield_per=10_000).execute(q):
                if not domains:
                    yield page, url
                    continue
                edge = (registrable_domain(page), registrable_domain(url))
                if edge[0] and edge[1] and edge[0] != edge[1] and edge not in seen:
                    seen.add(edge)
                    yield edge

    # --- sites --------------------------------------------------------------------------
    def save_site_quality(self, quality: SiteQuality) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, s.sites, [dict(domain=quality.domain, score=quality.score, spam=quality.spam,
                                              authority=quality.authority,
                                              quality=_json_safe(dataclasses.asdict(quality)),
                                              updated_at=time.time())], ["domain"])

    def get_site_quality(self, domain: str) -> SiteQuality | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.sites.c.quality).where(s.sites.c.domain == domain)).first()
        return SiteQuality(**row.quality) if row else None

    def contacts_for(self, domain: str) -> list[Contact]:
        ct = s.contacts
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(ct).where(ct.c.domain == domain).order_by(ct.c.id)).all()
        return list(dict.fromkeys(Contact(kind=r.kind, value=r.value, label=r.label, source_url=r.source_url,
                                          name=r.name) for r in rows))

    # --- prospects (one per site per niche: decided in discover.outreach.prospects) --------
    def save_prospects(self, run_id: int | None, prospects: Sequence[Prospect]) -> int:
        """Upsert prospects as given, keyed by (run, niche, domain); idempotent. Returns how many were written.

        Two records of one site in one call are a caller's bug: merge them first
        (`discover.outreach.prospects.save_prospects` does, with the run's earlier records too)."""
        keys = [(p.niche, p.domain) for p in prospects]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise ValueError(f"two prospects for {dup[1]!r} in niche {dup[0]!r}: merge them before saving")
        pt = s.prospects
        rows = [self._prospect_row(run_id, p) for p in prospects]
        with self.engine.begin() as conn:
            if run_id is None:
                # NULL never conflicts in a unique index: replace by hand.
                for row in rows:
                    conn.execute(sa.delete(pt).where(pt.c.run_id.is_(None), pt.c.niche == row["niche"],
                                                     pt.c.domain == row["domain"]))
                if rows:
                    conn.execute(sa.insert(pt), rows)
            else:
                for i in range(0, len(rows), _BATCH):
                    self._upsert(conn, pt, rows[i:i + _BATCH], ["run_id", "niche", "domain"])
        return len(rows)

    @staticmethod
    def _prospect_row(run_id: int | None, p: Prospect) -> dict[str, Any]:
        data = prospect_dict(p)
        return dict(run_id=run_id, niche=p.niche, domain=p.domain, url=p.url, canonical_url=url_key(p.url, FOR_STORE),
                    type=str(p.type), score=float(p.score), relevance=float(p.relevance),
                    geo_tier=str(p.geo_tier), quality=float(p.quality), spam=bool(p.spam),
                    explanation=data["explanation"], other_urls=data["other_urls"], data=data,
                    updated_at=time.time())

    def prospects_of_sites(self, run_id: int | None, sites: Iterable[tuple[str, str]]) -> list[Prospect]:
        """The run's stored prospects of these (niche, domain) sites."""
        wanted = set(sites)
        domains = sorted({d for _, d in wanted})
        pt = s.prospects
        same_run = pt.c.run_id == run_id if run_id is not None else pt.c.run_id.is_(None)
        out = []
        with self.engine.connect() as conn:
            # In chunks: one query per site is too slow, one IN list of 100k is too long.
            for i in range(0, len(domains), 500):
                for row in conn.execute(sa.select(pt.c.niche, pt.c.domain, pt.c.data)
                                        .where(same_run, pt.c.domain.in_(domains[i:i + 500]))):
                    if (row.niche, row.domain) in wanted:
                        out.append(_prospect_from_row(row.data))
        return out

    def prospects(self, run_id: int | None = None, niche: str | None = None, *, types: Iterable[str] | None = None,
                  min_score: float | None = None, limit: int | None = None) -> list[Prospect]:
        """Prospects, best first. Across runs (no run_id) a site appears once per niche: its latest record."""
        pt = s.prospects
        q = sa.select(pt.c.data, pt.c.run_id, pt.c.niche, pt.c.domain)
        if run_id is not None:
            q = q.where(pt.c.run_id == run_id)
        if niche is not None:
            q = q.where(pt.c.niche == niche)
        if types:
            q = q.where(pt.c.type.in_(list(types)))
        if min_score is not None:
            q = q.where(pt.c.score >= min_score)
        q = q.order_by(pt.c.score.desc(), pt.c.id)
        if limit is not None and run_id is not None:
            q = q.limit(limit)
        out: list[Prospect] = []
        latest: dict[tuple[str, str], tuple[int, int]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        for row in rows:
            if run_id is None:
                key = (row.niche, row.domain)
                rid = row.run_id or 0
                if key in latest and latest[key][0] >= rid:
                    continue
                if key in latest:
                    out[latest[key][1]] = _prospect_from_row(row.data)
                    latest[key] = (rid, latest[key][1])
                    continue
                latest[key] = (rid, len(out))
            out.append(_prospect_from_row(row.data))
        out.sort(key=lambda p: -p.score)
        return out[:limit] if limit is not None else out

    def iter_prospects(self, run_id: int | None = None, chunk: int = 10_000) -> Iterator[Prospect]:
        """Stream prospects best first (for exports of any size)."""
        pt = s.prospects
        q = sa.select(pt.c.data).order_by(pt.c.score.desc(), pt.c.id)
        if run_id is not None:
            q = q.where(pt.c.run_id == run_id)
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=chunk).execute(q):
                yield _prospect_from_row(row.data)

    def get_prospect(self, url: str, run_id: int | None = None) -> Prospect | None:
        """The prospect whose page (or one of whose other pages) is `url`, latest run first."""
        pt = s.prospects
        key = url_key(url, FOR_STORE)
        q = sa.select(pt.c.data, pt.c.other_urls).where(pt.c.domain == registrable_domain(url))
        if run_id is not None:
            q = q.where(pt.c.run_id == run_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(pt.c.run_id.desc(), pt.c.id.desc())).all()
        for row in rows:
            if url_key(row.data["url"], FOR_STORE) == key or key in {url_key(u, FOR_STORE) for u in row.other_urls or []}:
                return _prospect_from_row(row.data)
        return None

    # --- footprint statistics -----------------------------------------------------------
    def record_footprint(self, footprint: str, engine: str, results: int, good: int = 0) -> None:
        """Add one query's figures to the footprint's running totals on that engine."""
        ft = s.footprint_stats
        with self.engine.begin() as conn:
            n = conn.execute(sa.update(ft).where(ft.c.footprint == footprint, ft.c.engine == engine).values(
                queries=ft.c.queries + 1, results=ft.c.results + results, good=ft.c.good + good,
                updated_at=time.time())).rowcount
            if n == 0:
                self._upsert(conn, ft, [dict(footprint=footprint, engine=engine, queries=1, results=results,
                                             good=good, updated_at=time.time())], ["footprint", "engine"])

    def footprint_stats(self, engine: str | None = None) -> dict[tuple[str, str], dict[str, int]]:
        ft = s.footprint_stats
        q = sa.select(ft)
        if engine is not None:
            q = q.where(ft.c.engine == engine)
        with self.engine.connect() as conn:
            return {(r.footprint, r.engine): {"queries": r.queries, "results": r.results, "good": r.good}
                    for r in conn.execute(q)}

    # --- outreach ledger and suppression (policy lives in discover.ledger) ---------------
    def add_outreach_event(self, domain: str, status: str, *, email: str = "", note: str = "",
                           at: float | None = None) -> int:
        """Record one ledger event; returns its id."""
        with self.engine.begin() as conn:
            res = conn.execute(sa.insert(s.outreach).values(domain=domain, status=str(status), email=email, note=note,
                                                            at=time.time() if at is None else at))
            return _new_id(res)

    def outreach_events(self, domain: str | None = None) -> list[dict[str, Any]]:
        ot = s.outreach
        q = sa.select(ot).order_by(ot.c.at, ot.c.id)
        if domain is not None:
            q = q.where(ot.c.domain == domain)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def delete_outreach_event(self, event_id: int) -> bool:
        """Remove one event (review's undo: the decision just made)."""
        with self.engine.begin() as conn:
            return bool(conn.execute(sa.delete(s.outreach).where(s.outreach.c.id == event_id)).rowcount)

    def add_page_label(self, url: str, domain: str, ptype: str, *, was: str = "", niche: str = "",
                       at: float | None = None) -> int:
        """Record the type a person gave a page; returns its id (for undo)."""
        with self.engine.begin() as conn:
            res = conn.execute(sa.insert(s.page_labels).values(url=url, domain=domain, type=str(ptype), was=str(was),
                                                               niche=niche, at=time.time() if at is None else at))
            return _new_id(res)

    def delete_page_label(self, label_id: int) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(sa.delete(s.page_labels).where(s.page_labels.c.id == label_id)).rowcount)

    def page_labels(self) -> list[dict[str, Any]]:
        """Every type a person gave a page, oldest first."""
        pl = s.page_labels
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(pl).order_by(pl.c.at, pl.c.id))]

    def save_screenshot(self, url: str, image: bytes, media_type: str = "image/jpeg") -> None:
        """Keep the page's thumbnail beside it; the latest replaces an older one."""
        with self.engine.begin() as conn:
            self._upsert(conn, s.screenshots, [dict(url=url, image=image, media_type=media_type,
                                                    taken_at=time.time())], ["url"])

    def get_screenshot(self, url: str) -> tuple[bytes, str] | None:
        """(image bytes, media type) of a page's thumbnail, by its URL or final URL."""
        st, pt = s.screenshots, s.pages
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(st.c.image, st.c.media_type).where(st.c.url == url)).first()
            if row is None:
                row = conn.execute(sa.select(st.c.image, st.c.media_type).join(pt, pt.c.url == st.c.url)
                                   .where(pt.c.final_url == url)).first()
        return (bytes(row.image), row.media_type) if row is not None else None

    def screenshot_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of these page URLs (or final URLs) have a thumbnail."""
        urls = list(dict.fromkeys(u for u in urls if u))
        st, pt = s.screenshots, s.pages
        out: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(urls), 500):
                chunk = urls[i:i + 500]
                out.update(conn.execute(sa.select(st.c.url).where(st.c.url.in_(chunk))).scalars())
                out.update(conn.execute(sa.select(pt.c.final_url).join(st, pt.c.url == st.c.url)
                                        .where(pt.c.final_url.in_(chunk))).scalars())
        return out

    def page_rows(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """url → {url, final_url, extraction, classification} for stored pages whose URL or final URL is listed."""
        urls = list(dict.fromkeys(u for u in urls if u))
        pt = s.pages
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(urls), 500):
                chunk = urls[i:i + 500]
                q = sa.select(pt.c.url, pt.c.final_url, pt.c.extraction, pt.c.classification).where(
                    sa.or_(pt.c.url.in_(chunk), pt.c.final_url.in_(chunk)))
                for row in conn.execute(q):
                    d = dict(row._mapping)
                    for key in (row.url, row.final_url):
                        if key:
                            out.setdefault(key, d)
        return out

    def add_suppressions(self, entries: Sequence[tuple[str, str, str]], source: str = "") -> int:
        """Add (kind, value, domain) entries; returns how many were new."""
        st = s.suppression
        now = time.time()
        with self.engine.begin() as conn:
            before = conn.execute(sa.select(sa.func.count()).select_from(st)).scalar() or 0
            self._upsert(conn, st, [dict(value=v, kind=k, domain=d, source=source, added_at=now)
                                    for k, v, d in dict.fromkeys(entries)], ["value"], update=[])
            after = conn.execute(sa.select(sa.func.count()).select_from(st)).scalar() or 0
        return int(after - before)

    def suppressions(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(s.suppression).order_by(s.suppression.c.value))]

    # --- outbox (webhook push; policy lives in discover.push) ---------------------------
    def outbox_enqueue(self, items: Sequence[tuple[str, int | None, dict[str, Any]]]) -> int:
        """Add (key, run_id, payload); an unchanged payload already sent is not sent again. Returns new/changed."""
        ot = s.outbox
        changed = 0
        now = time.time()
        with self.engine.begin() as conn:
            keys = [k for k, _, _ in items]
            old: dict[str, Any] = {}
            withheld: set[str] = set()
            for i in range(0, len(keys), 500):
                for r in conn.execute(sa.select(ot.c.key, ot.c.payload, ot.c.status)
                                      .where(ot.c.key.in_(keys[i:i + 500]))):
                    old[r.key] = r.payload
                    if r.status == "withheld":
                        withheld.add(r.key)
            new_rows, upd_rows = [], []
            for key, run_id, payload in items:
                payload = _json_safe(payload)
                if key not in old:
                    new_rows.append(dict(key=key, run_id=run_id, payload=payload, status="pending", attempts=0,
                                         last_error="", created_at=now, sent_at=None))
                elif old[key] != payload or key in withheld:   # withheld, now let out again: send it
                    upd_rows.append(dict(b_key=key, payload=payload))
            if new_rows:
                conn.execute(sa.insert(ot), new_rows)
            if upd_rows:
                conn.execute(sa.update(ot).where(ot.c.key == sa.bindparam("b_key"))
                             .values(payload=sa.bindparam("payload"), status="pending"), upd_rows)
            changed = len(new_rows) + len(upd_rows)
        return changed

    def outbox_pending(self, limit: int | None = None) -> list[tuple[str, dict[str, Any]]]:
        ot = s.outbox
        q = sa.select(ot.c.key, ot.c.payload).where(ot.c.status == "pending").order_by(ot.c.created_at, ot.c.key)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [(r.key, r.payload) for r in conn.execute(q)]

    def outbox_mark(self, keys: Sequence[str], *, sent: bool, error: str = "") -> None:
        ot = s.outbox
        with self.engine.begin() as conn:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i:i + 500])
                values: dict[str, Any] = {"attempts": ot.c.attempts + 1, "last_error": error[:500]}
                if sent:
                    values.update(status="sent", sent_at=time.time())
                conn.execute(sa.update(ot).where(ot.c.key.in_(chunk)).values(**values))

    def outbox_withhold(self, keys: Sequence[str], reason: str) -> None:
        """Keep entries out of every push (status `withheld`) until they are enqueued again."""
        ot = s.outbox
        with self.engine.begin() as conn:
            for i in range(0, len(keys), 500):
                conn.execute(sa.update(ot).where(ot.c.key.in_(list(keys[i:i + 500])))
                             .values(status="withheld", last_error=f"withheld: {reason}"[:500]))

    def outbox_counts(self) -> dict[str, int]:
        ot = s.outbox
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(
                sa.select(ot.c.status, sa.func.count()).group_by(ot.c.status))}

    # --- identity ----------------------------------------------------------------------
    def instance_id(self) -> str:
        """A random id this database keeps for life: which database two processes share, whatever
        host name or address each of them reaches it by."""
        import uuid

        t = s.store_meta
        with self.engine.begin() as conn:
            self._upsert(conn, t, [dict(key="instance_id", value=uuid.uuid4().hex)], ["key"], update=[])
            return str(conn.execute(sa.select(t.c.value).where(t.c.key == "instance_id")).scalar_one())

    # --- task results (the distributed executor's idempotency record) ------------------
    def save_task_result(self, run_id: int, stage: str, key: str, *, status: str = "done",
                         result: Any = None, error: dict[str, Any] | None = None, worker: str = "",
                         elapsed_s: float = 0.0) -> None:
        """Record that the task (run, stage, key) finished; a second record of it replaces the first."""
        if status not in TASK_STATUSES:
            raise StoreError(f"unknown task status {status!r}", hint="one of " + ", ".join(TASK_STATUSES))
        t = s.task_results
        row = dict(run_id=run_id, stage=stage, key_hash=task_key_hash(key), key=key, status=status,
                   result=_json_safe(result), error=_json_safe(error) if error else None, attempts=1,
                   worker=worker[:200], elapsed_s=float(elapsed_s), updated_at=time.time())
        stmt: Any
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(t).values(**row)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(t).values(**row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "stage", "key_hash"],
            set_={**{c: stmt.excluded[c] for c in ("status", "result", "error", "worker", "elapsed_s",
                                                   "updated_at")},
                  "attempts": t.c.attempts + 1})
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def task_statuses(self, run_id: int, stage: str) -> dict[str, str]:
        """key → status of the finished tasks of one stage of a run (cheap: no results read)."""
        t = s.task_results
        with self.engine.connect() as conn:
            return {r.key: r.status for r in conn.execute(
                sa.select(t.c.key, t.c.status).where(t.c.run_id == run_id, t.c.stage == stage))}

    def task_done(self, run_id: int, stage: str, key: str) -> bool:
        """Whether (run, stage, key) is recorded as done (one indexed lookup, no result read)."""
        t = s.task_results
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.c.status).where(
                t.c.run_id == run_id, t.c.stage == stage, t.c.key_hash == task_key_hash(key))).scalar() == "done"

    def task_counts(self, run_id: int, stage: str) -> dict[str, int]:
        """status → how many tasks of one stage of a run finished so (cheap enough to poll)."""
        t = s.task_results
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(
                sa.select(t.c.status, sa.func.count()).where(t.c.run_id == run_id, t.c.stage == stage)
                .group_by(t.c.status))}

    def task_result(self, run_id: int, stage: str, key: str) -> TaskRecord | None:
        found = self.task_results(run_id, stage, [key])
        return found.get(key)

    def task_results(self, run_id: int, stage: str, keys: Sequence[str] | None = None) -> dict[str, TaskRecord]:
        """key → TaskRecord of the finished tasks of one stage of a run (optionally only `keys`)."""
        t = s.task_results
        q = sa.select(t).where(t.c.run_id == run_id, t.c.stage == stage)
        out: dict[str, TaskRecord] = {}
        with self.engine.connect() as conn:
            if keys is None:
                rows = list(conn.execute(q))
            else:
                hashes = [task_key_hash(k) for k in keys]
                rows = []
                for i in range(0, len(hashes), 500):
                    rows.extend(conn.execute(q.where(t.c.key_hash.in_(hashes[i:i + 500]))))
        for r in rows:
            out[r.key] = TaskRecord(key=r.key, status=r.status, result=r.result, error=dict(r.error or {}),
                                    attempts=r.attempts, worker=r.worker, elapsed_s=r.elapsed_s)
        return out

    # --- run statistics (report) --------------------------------------------------------
    def run_stats(self, run_id: int) -> dict[str, Any]:
        """Counts for the funnel and the charts of one run."""
        qt, st, pg, pt = s.queries, s.serp_results, s.pages, s.prospects
        with self.engine.connect() as conn:
            def count(table: sa.Table, *where: Any) -> int:
                return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar() or 0)

            per_engine: dict[str, dict[str, int]] = {}
            for engine, outcome, n in conn.execute(
                    sa.select(qt.c.engine, qt.c.outcome, sa.func.count()).where(qt.c.run_id == run_id)
                    .group_by(qt.c.engine, qt.c.outcome)):
                per_engine.setdefault(engine, {})[outcome] = int(n)
            fetch = {o: int(n) for o, n in conn.execute(
                sa.select(pg.c.outcome, sa.func.count()).where(pg.c.run_id == run_id).group_by(pg.c.outcome))}
            by_type = {t: int(n) for t, n in conn.execute(
                sa.select(pt.c.type, sa.func.count()).where(pt.c.run_id == run_id).group_by(pt.c.type))}
            scores = [float(x) for x in conn.execute(sa.select(pt.c.score).where(pt.c.run_id == run_id)).scalars()]
            distinct_urls = int(conn.execute(sa.select(sa.func.count(sa.distinct(st.c.url)))
                                             .where(st.c.run_id == run_id)).scalar() or 0)
            return {
                "queries": count(qt, qt.c.run_id == run_id),
                "results": count(st, st.c.run_id == run_id),
                "distinct_urls": distinct_urls,
                "pages": sum(fetch.values()),
                "pages_ok": fetch.get("ok", 0),
                "prospects": len(scores),
                "per_engine": per_engine,
                "fetch_outcomes": fetch,
                "by_type": by_type,
                "scores": scores,
            }


class PageCache:
    """The fetcher's page cache backed by the store: `get(url, ttl)` / `put(result)`."""

    def __init__(self, store: Store, run_id: int | None = None) -> None:
        self.store = store
        self.run_id = run_id

    def get(self, url: str, ttl: float | None = None) -> FetchResult | None:
        return self.store.get_page(url, ttl)

    def put(self, result: FetchResult) -> None:
        self.store.save_page(self.run_id, result)


class SerpCache:
    """The search runner's result cache backed by the store, with a TTL in seconds."""

    def __init__(self, store: Store, ttl: float) -> None:
        self.store = store
        self.ttl = ttl

    def get(self, engine: str, query_text: str, page: int = 1) -> list[SerpResult] | None:
        return self.store.serp_cache_get(engine, query_text, page, self.ttl)

    def put(self, engine: str, query_text: str, page: int, results: Sequence[SerpResult]) -> None:
        self.store.serp_cache_put(engine, query_text, page, results)
