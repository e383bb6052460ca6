"""The store on real SQLite (and, through tests/test_postgres.py, on a real PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from discover.errors import StoreError
from discover.records import (
    Classification, Contact, Extraction, FetchResult, Link, LinkCheck, Prospect, Query, QueryOutcome, SerpResult,
    SiteQuality,
)
from discover.store import LATEST, Store, current_version, migrate, normalise_db_url


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(str(tmp_path / "t.sqlite"))
    yield s
    s.close()


def _prospect(url: str, score: float, niche: str = "vegan baking", **kw) -> Prospect:
    from discover.domains import registrable_domain

    return Prospect(url=url, domain=kw.pop("domain", registrable_domain(url)), type=kw.pop("type", "blog"),
                    score=score, niche=niche, **kw)


def test_url_normalisation() -> None:
    assert normalise_db_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_db_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalise_db_url("x.sqlite").startswith("sqlite:////")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    s = Store.open(str(tmp_path / "p.sqlite"))
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_fresh_and_old_database_reach_latest(store: Store, tmp_path: Path) -> None:
    with store.engine.connect() as conn:
        assert current_version(conn) == LATEST
    old = sa.create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    assert migrate(old, target=1) == 1
    with old.begin() as conn:
        assert not sa.inspect(conn).has_table("outbox")
        conn.execute(sa.text("INSERT INTO runs (keyword, geo, types, settings, status, started_at, summary) "
                             "VALUES ('k', '', '[]', '{}', 'finished', 1.0, '{}')"))
    old.dispose()
    s = Store.open(str(tmp_path / "old.sqlite"))
    with s.engine.connect() as conn:
        assert current_version(conn) == LATEST
        assert sa.inspect(conn).has_table("outbox")
        assert "ix_links_url" in {i["name"] for i in sa.inspect(conn).get_indexes("links")}
    assert s.get_run(1).keyword == "k"
    assert migrate(s.engine) == LATEST   # idempotent


def test_runs_lifecycle_and_resumable(store: Store) -> None:
    a = store.start_run("maternity clothes", geo="Des Moines, IA, US", types=["blog"], settings={"pages": 1})
    b = store.start_run("vegan baking")
    assert store.find_resumable_run("maternity clothes", "Des Moines, IA, US").id == a
    store.finish_run(a, "finished", {"prospects": 3})
    assert store.find_resumable_run("maternity clothes", "Des Moines, IA, US") is None
    assert store.find_resumable_run().id == b
    run = store.get_run(a)
    assert run.status == "finished" and run.summary == {"prospects": 3} and run.finished_at
    assert run.types == ["blog"] and run.settings == {"pages": 1}
    with pytest.raises(StoreError):
        store.finish_run(a, "bogus")
    with pytest.raises(StoreError):
        store.finish_run(999, "finished")


def test_queries_serp_and_cache(store: Store) -> None:
    run = store.start_run("k")
    q = Query(text='"k" intitle:resources', prospect_type="resource", footprint="res-1", notes=("x",))
    res = [SerpResult(url=f"http://s{i}.com/", title=f"t{i}", rank=i, engine="local", query=q.text) for i in range(3)]
    store.save_query_outcome(run, QueryOutcome(query=q, engine="local", outcome="ok", results=res))
    store.save_query_outcome(run, QueryOutcome(query=q, engine="local", outcome="ok", results=res))  # resume
    outs = store.query_outcomes(run)
    assert len(outs) == 1 and outs[0].query == q and [r.url for r in outs[0].results] == [r.url for r in res]
    assert store.done_queries(run) == {("local", q.text)}
    assert store.run_stats(run)["results"] == 3
    cache = store.serp_cache(ttl=60)
    assert cache.get("local", q.text, 1) is None
    cache.put("local", q.text, 1, res)
    assert cache.get("local", q.text, 1) == res
    assert store.serp_cache(ttl=-1).get("local", q.text, 1) is None   # expired


def test_pages_links_contacts(store: Store) -> None:
    run = store.start_run("k")
    html = "<html><title>Ünïcode</title>" + "x" * 5000 + "</html>"
    fr = FetchResult(url="http://a.com/p", final_url="http://a.com/p/", outcome="ok", status=200, html=html,
                     redirects=["http://a.com/p"], headers={"content-type": "text/html"})
    ext = Extraction(url=fr.url, title="Ünïcode", links=[Link(url="http://b.com/", anchor="B", rel=("nofollow",)),
                                                          Link(url="http://a.com/q", internal=True)],
                     contacts=[Contact(kind="email", value="ed@a.com", label="person")])
    store.save_page(run, fr, ext, Classification(type="resource", confidence=0.9, evidence=["title"]))
    assert store.is_fetched(fr.url) and store.is_fetched(fr.url, ttl=60) and not store.is_fetched("http://x.com/")
    got = store.get_page(fr.url, ttl=60)
    assert got.html == html and got.path == "cache" and got.status == 200 and got.redirects == fr.redirects
    assert store.get_page(fr.url, ttl=-1) is None
    e, c = store.get_extraction(fr.url)
    assert e == ext and c.type == "resource"
    # a bare cache put keeps the extraction
    store.page_cache().put(FetchResult(url=fr.url, outcome="ok", html=html))
    assert store.get_extraction(fr.url)[0] == ext
    store.save_links(fr.url, [LinkCheck(page=fr.url, url="http://b.com/", cls="broken", status=404,
                                        chain=[{"url": "http://b.com/", "status": 404}]),
                              LinkCheck(page=fr.url, url="http://c.com/", cls="ok", status=200)])
    checks = {c.url: c for c in store.link_checks(fr.url)}
    assert checks["http://b.com/"].cls == "broken" and checks["http://b.com/"].anchor == "B"
    assert checks["http://b.com/"].chain == [{"url": "http://b.com/", "status": 404}]
    assert store.count_links() == 3
    assert set(store.all_links_edges(domains=True)) == {("a.com", "b.com"), ("a.com", "c.com")}
    assert store.contacts_for("a.com") == [Contact(kind="email", value="ed@a.com", label="person")]
    store.save_site_quality(SiteQuality(domain="a.com", score=0.8, signals={"https": False}, reasons=["ok"]))
    store.save_site_quality(SiteQuality(domain="a.com", score=0.6, spam=True))
    assert store.get_site_quality("a.com").score == 0.6 and store.get_site_quality("a.com").spam


def test_prospects_one_per_site_per_niche_idempotent(store: Store) -> None:
    from discover.outreach.prospects import save_prospects

    run = store.start_run("vegan baking")
    batch = [_prospect("http://bakes.co.uk/a", 0.4), _prospect("https://www.bakes.co.uk/best", 0.9),
             _prospect("http://www.bakes.co.uk/a/?utm_source=x", 0.3),  # the first page again, canonically
             _prospect("http://blog.bakes.co.uk/b", 0.35),              # same registrable domain
             _prospect("http://other.com/", 0.5),
             _prospect("http://other.com/", 0.7, niche="dog grooming")]
    assert len(save_prospects(store, run, batch)) == 3
    save_prospects(store, run, batch)                                  # resume: no duplicates
    save_prospects(store, run, [_prospect("http://bakes.co.uk/new", 0.2)])
    with pytest.raises(ValueError, match="merge them"):                # the store only saves
        store.save_prospects(run, batch)
    ps = store.prospects(run_id=run, niche="vegan baking")
    assert [p.domain for p in ps] == ["bakes.co.uk", "other.com"]
    best = ps[0]
    assert best.url == "https://www.bakes.co.uk/best" and best.score == 0.9
    assert sorted(best.other_urls) == ["http://bakes.co.uk/a", "http://bakes.co.uk/new", "http://blog.bakes.co.uk/b"]
    assert len(store.prospects(run_id=run)) == 3
    assert store.get_prospect("http://bakes.co.uk/new", run).url == best.url
    assert store.get_prospect("http://nothing.com/") is None
    # across runs a site appears once per niche: its latest record
    run2 = store.start_run("vegan baking")
    save_prospects(store, run2, [_prospect("http://other.com/x", 0.1)])
    across = store.prospects(niche="vegan baking")
    assert [(p.domain, p.score) for p in across] == [("bakes.co.uk", 0.9), ("other.com", 0.1)]
    assert {p.domain for p in store.prospects(run_id=run, min_score=0.6)} == {"bakes.co.uk", "other.com"}
    assert [p.domain for p in store.prospects(run_id=run, min_score=0.8)] == ["bakes.co.uk"]


def test_footprint_stats(store: Store) -> None:
    store.record_footprint("res-1", "local", results=10, good=2)
    store.record_footprint("res-1", "local", results=5, good=1)
    store.record_footprint("res-1", "bing", results=1)
    assert store.footprint_stats()[("res-1", "local")] == {"queries": 2, "results": 15, "good": 3}
    assert list(store.footprint_stats("bing")) == [("res-1", "bing")]


def test_bad_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(StoreError):
        Store.open(str(tmp_path / "dir.sqlite"))
    with pytest.raises(StoreError):
        Store.open("nosuchdialect://x")


WORKER = textwrap.dedent("""
    import sys, time
    from discover.records import FetchResult, Extraction, Prospect
    from discover.store import Store
    db, n, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    store = Store.open(db)
    run = store.find_resumable_run("kill test", "")
    if run is None:
        run_id = store.start_run("kill test")
        print("started", run_id, flush=True)
    else:
        run_id = run.id
        store.resume_run(run_id)
        print("resumed", run_id, flush=True)
    for i in range(n):
        url = f"http://site{i}.com/page"
        if store.is_fetched(url):
            continue
        store.save_page(run_id, FetchResult(url=url, outcome="ok", status=200, html="<p>%d</p>" % i),
                        Extraction(url=url, title=f"page {i}"))
        store.save_prospects(run_id, [Prospect(url=url, domain=f"site{i}.com", type="blog", score=i / n,
                                               niche="kill test")])
        print("fetched", url, flush=True)
        time.sleep(delay)
    store.finish_run(run_id, "finished", {"pages": n})
    print("finished", flush=True)
""")


def test_resume_after_sigkill(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    db = str(tmp_path / "kill.sqlite")
    n = 40
    proc = subprocess.Popen([sys.executable, str(script), db, str(n), "0.05"], stdout=subprocess.PIPE, text=True)
    fetched_first = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("fetched"):
            fetched_first.append(line.split()[1])
            if len(fetched_first) == 8:
                os.kill(proc.pid, signal.SIGKILL)
                break
    proc.wait(timeout=20)
    assert proc.returncode == -signal.SIGKILL
    s = Store.open(db)
    run = s.find_resumable_run("kill test", "")
    assert run is not None and run.status == "running"
    done_before = s.fetched_urls(run.id)
    assert set(fetched_first) <= done_before and len(done_before) < n
    s.close()
    out = subprocess.run([sys.executable, str(script), db, str(n), "0"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"resumed {run.id}" and lines[-1] == "finished"
    refetched = [ln.split()[1] for ln in lines if ln.startswith("fetched")]
    assert not set(refetched) & done_before                        # nothing fetched twice
    assert len(refetched) + len(done_before) == n
    s = Store.open(db)
    assert s.get_run(run.id).status == "finished"
    assert len(s.fetched_urls(run.id)) == n
    assert len(s.prospects(run_id=run.id)) == n                    # no duplicates
    assert len(s.list_runs()) == 1
