"""The search layer through real Chromium and a real local server: outcomes, pagination,
blocks and back-off, engine skipping and failover, SERP cache, multi-engine fusion, CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from discover.records import Query, QueryOutcome, SerpResult
from discover.runtime import Runtime
from discover.search.cache import MemorySerpCache
from discover.search.merge import fuse
from discover.urls import FOR_MERGE
from discover.search.runner import backoff_delay, check_operators, parse_retry_after, search_all
from discover.settings import Settings
from discover.webworld.engine import engine_of

FORUM = "http://forum.mumsboard.com/forum/viewtopic-12.html"
RESOURCES = "http://www.bumpstyle.com/resources.html"
WRITE = "http://www.bumpstyle.com/write-for-us.html"


def page(title: str, body: str) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


def ddg_page(urls: list[tuple[str, str]]) -> str:
    """A DuckDuckGo html-endpoint result page (static: the same for every query)."""
    items = "".join(
        f'<div class="result results_links web-result"><div class="links_main">'
        f'<h2 class="result__title"><a class="result__a" href="{u}">{t}</a></h2>'
        f'<a class="result__snippet" href="{u}">about {t}</a></div></div>' for u, t in urls)
    return f"<!doctype html><html><head><title>DuckDuckGo</title></head><body><div id='links'>{items}</div></body></html>"


def sites() -> dict[str, dict[str, str]]:
    out = {
        "forum.mumsboard.com": {"forum/viewtopic-12.html": page(
            "Best maternity jeans? - Mums Board",
            "<p>Which maternity clothes shop?</p><p>Powered by phpBB Forum Software</p>")},
        "www.bumpstyle.com": {
            "resources.html": page("Maternity Resources", "<p>Useful links for maternity clothes.</p>"),
            "write-for-us.html": page("Write for us", "<p>Guest posts about maternity clothes welcome.</p>"),
        },
        # a second engine inside the world: DuckDuckGo's html endpoint answering a fixed page
        "html.duckduckgo.com": {"html/index.html": ddg_page([
            (WRITE, "Write for us"), (RESOURCES, "Maternity Resources"),
            ("https://www.bumpstyle.com/resources.html?utm_source=ddg#top", "Maternity Resources")])},
    }
    out["pages.example.com"] = {f"p-{i:02d}.html": page(f"Widget page {i}", f"<p>pagination widget {i}</p>")
                                for i in range(25)}
    return out


@pytest.fixture()
def world_dir(tmp_path) -> Path:
    root = tmp_path / "web"
    for host, files in sites().items():
        for rel, content in files.items():
            f = root / "sites" / host / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(content, encoding="utf-8")
    return root


def run(world_dir: Path, tmp_path: Path, body, *, captcha: bool = False, **settings):
    """Run `body(runtime, engine)` inside a Runtime over the test world."""
    s = Settings(web=str(world_dir), data_dir=str(tmp_path / "data"), **settings)

    async def go():
        async with Runtime(s, captcha=captcha) as rt:
            return await body(rt, engine_of(rt.world))

    return asyncio.run(go())


def q(text: str, typ: str = "forum", fp: str = "") -> Query:
    return Query(text=text, prospect_type=typ, footprint=fp)


# ── outcomes on the local engine ─────────────────────────────────────────────────────────

def test_ok_no_results_and_pagination(world_dir, tmp_path):
    async def body(rt, eng):
        return await search_all(rt, [q('"powered by phpbb"'), q("xylophonequartz"), q("pagination widget")],
                                ["local"], pages=3)

    ok, empty, paged = run(world_dir, tmp_path, body)
    assert ok.outcome == "ok" and [r.url for r in ok.results] == [FORUM]
    assert ok.results[0].title.startswith("Best maternity jeans") and ok.results[0].engine == "local"
    assert "<b>" not in ok.results[0].snippet and "Powered by phpBB" in ok.results[0].snippet
    assert empty.outcome == "no_results" and not empty.results and "did not match" in empty.reason
    assert paged.outcome == "ok" and paged.pages_read == 3
    assert [r.rank for r in paged.results] == list(range(1, 26))
    assert [r.page for r in paged.results] == [1] * 10 + [2] * 10 + [3] * 5
    assert len({r.url for r in paged.results}) == 25


def test_pages_limit_stops_early(world_dir, tmp_path):
    async def body(rt, eng):
        return await search_all(rt, [q("pagination widget")], ["local"], pages=2)

    (oc,) = run(world_dir, tmp_path, body)
    assert oc.pages_read == 2 and len(oc.results) == 20


@pytest.mark.parametrize("status", [429, 200])
def test_captcha_is_blocked_never_no_results(world_dir, tmp_path, status):
    async def body(rt, eng):
        eng.captcha, eng.captcha_status = True, status
        return await search_all(rt, [q("maternity"), q("xylophonequartz")], ["local"], max_retries=0)

    first, second = run(world_dir, tmp_path, body)
    assert first.outcome == "blocked" and first.reason.startswith("local:")
    assert second.outcome == "blocked" and "skipped for the rest of the run" in second.reason


def test_backoff_honours_retry_after_then_succeeds(world_dir, tmp_path):
    from discover.webworld.engine import ENGINE_HOST

    blocked_at: list[float] = []

    async def body(rt, eng):
        eng.captcha, eng.retry_after = True, 1

        def handle(path, query):   # the engine relents right after its first captcha
            resp = eng.handle(path, query)
            if resp.status == 429:
                blocked_at.append(time.monotonic())
                eng.captcha = False
            return resp

        rt.world.virtual_hosts[ENGINE_HOST] = handle
        out = await search_all(rt, [q('"powered by phpbb"')], ["local"], max_retries=2, backoff_base=0.01)
        return out, time.monotonic(), eng.queries

    (oc,), done, sent = run(world_dir, tmp_path, body)
    assert oc.outcome == "ok" and [r.url for r in oc.results] == [FORUM]
    assert len(blocked_at) == 1 and sent == 2
    assert done - blocked_at[0] >= 1.0     # waited the Retry-After, not the 10 ms back-off base


def test_blocked_engine_is_skipped_after_retries(world_dir, tmp_path):
    async def body(rt, eng):
        eng.captcha, eng.retry_after = True, 0
        out = await search_all(rt, [q("a"), q("b"), q("c")], ["local"], max_retries=2, backoff_base=0.01)
        return out, eng.queries

    outcomes, sent = run(world_dir, tmp_path, body)
    assert [o.outcome for o in outcomes] == ["blocked"] * 3
    assert sent == 3               # 1 try + 2 retries on the first query, nothing after


def test_retry_after_beyond_the_cap_gives_up_at_once(world_dir, tmp_path):
    async def body(rt, eng):
        eng.captcha, eng.retry_after = True, 3600
        t = time.monotonic()
        out = await search_all(rt, [q("a")], ["local"], max_retries=3, max_backoff=5)
        return out, time.monotonic() - t

    (oc,), elapsed = run(world_dir, tmp_path, body)
    assert oc.outcome == "blocked" and "exceeds" in oc.reason and elapsed < 5


def test_failover_moves_remaining_queries_to_the_next_engine(world_dir, tmp_path):
    async def body(rt, eng):
        eng.captcha = True
        return await search_all(rt, [q('"write for us"', "guest_post"), q("maternity")],
                                ["local", "duckduckgo"], failover=True, max_retries=0)

    outcomes = run(world_dir, tmp_path, body)
    assert [(o.engine, o.outcome) for o in outcomes] == [
        ("local", "blocked"), ("duckduckgo", "ok"), ("duckduckgo", "ok")]
    assert outcomes[1].results[0].url == WRITE


def test_operator_ignored_when_results_break_the_operator(world_dir, tmp_path):
    async def body(rt, eng):
        return await search_all(rt, [q("maternity inurl:viewtopic")], ["local", "duckduckgo"])

    local, ddg = run(world_dir, tmp_path, body)
    assert local.outcome == "ok"
    assert ddg.outcome == "operator_ignored" and "inurl:viewtopic" in ddg.reason


def test_cache_hits_skip_the_engine(world_dir, tmp_path):
    cache = MemorySerpCache(ttl=3600)

    async def body(rt, eng):
        first = await search_all(rt, [q('"powered by phpbb"'), q("xylophonequartz")], ["local"], cache=cache)
        sent = eng.queries
        second = await search_all(rt, [q('"powered by phpbb"'), q("xylophonequartz")], ["local"], cache=cache)
        return first, second, sent, eng.queries

    first, second, sent, sent_after = run(world_dir, tmp_path, body)
    assert [o.cached for o in first] == [False, False] and [o.cached for o in second] == [True, True]
    assert sent == sent_after == 2
    assert [r.url for r in second[0].results] == [FORUM] and second[1].outcome == "no_results"


def test_memory_cache_ttl():
    now = [1000.0]
    cache = MemorySerpCache(ttl=10, clock=lambda: now[0])
    cache.put("local", "a  b", 1, [SerpResult(url="http://x/")])
    assert cache.get("LOCAL", "a b", 1) == [SerpResult(url="http://x/")]
    assert cache.get("local", "a b", 2) is None
    now[0] += 11
    assert cache.get("local", "a b", 1) is None


def test_multi_engine_fusion(world_dir, tmp_path):
    async def body(rt, eng):
        return await search_all(rt, [q('"write for us"', "guest_post", "gp-write-for-us"),
                                     q('maternity "useful links"', "resource", "res-useful-links")],
                                ["local", "duckduckgo"], region={"country": "gb", "language": "en"})

    outcomes = run(world_dir, tmp_path, body)
    assert [(o.engine, o.outcome) for o in outcomes] == [("local", "ok"), ("duckduckgo", "ok")] * 2
    fused = fuse(outcomes)
    by_url = {FOR_MERGE.key(f.url): f for f in fused}
    # RESOURCES: local #1 for one query + ddg #2 and (utm/fragment/https duplicate) #3 for both queries
    assert fused[0].url == RESOURCES or FOR_MERGE.key(fused[0].url) == FOR_MERGE.key(RESOURCES)
    res = by_url[FOR_MERGE.key(RESOURCES)]
    assert {e for e, _, _ in res.found_by} == {"local", "duckduckgo"}
    assert set(res.types) == {"guest_post", "resource"} and "res-useful-links" in res.footprints
    expected = 1 / 61 + 2 * (1 / 62 + 1 / 63)
    assert res.score == pytest.approx(expected, abs=1e-6)
    assert [f.score for f in fused] == sorted((f.score for f in fused), reverse=True)
    # the fake DuckDuckGo page is itself a page of the world, so the local engine finds it too
    assert set(by_url) == {FOR_MERGE.key(u) for u in (RESOURCES, WRITE, "http://html.duckduckgo.com/html/")}
    assert len(fused) == 3


# ── pure helpers ─────────────────────────────────────────────────────────────────────────

def test_fuse_normalisation_and_rrf_order():
    def oc(engine, text, urls, typ="forum"):
        return QueryOutcome(query=Query(text=text, prospect_type=typ), engine=engine, outcome="ok",
                            results=[SerpResult(url=u, title=u, rank=i + 1) for i, u in enumerate(urls)])

    fused = fuse([oc("a", "q1", ["http://x.com/a/", "http://y.com/"]),
                  oc("b", "q1", ["https://y.com/?utm_source=z#frag", "http://x.com/a"]),
                  oc("a", "q2", ["http://z.com/"], "blog"),
                  QueryOutcome(query=Query(text="q3", prospect_type="x"), engine="a", outcome="blocked")])
    assert [FOR_MERGE.key(f.url) for f in fused] == ["https://x.com/a", "https://y.com/", "https://z.com/"]
    assert fused[1].url.startswith("https://")
    assert fused[0].found_by == [("a", "q1", 1), ("b", "q1", 2)]
    assert FOR_MERGE.key("HTTP://WWW.X.com:80/p/?b=1&gclid=3") == "https://www.x.com/p?b=1"
    assert FOR_MERGE.key("http://www.x.com/") != FOR_MERGE.key("http://x.com/")


def test_check_operators():
    ok = [SerpResult(url="http://a.com/forum/1", title="Maternity Resources")]
    assert check_operators("x inurl:forum", ok) == (True, "")
    assert check_operators("x intitle:resources site:a.com", ok) == (True, "")
    honoured, why = check_operators("x site:b.com", ok * 3)
    assert not honoured and "site:b.com" in why
    assert check_operators("x -inurl:forum", ok)[0]     # exclusions are not checked


def test_retry_after_and_backoff():
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    import random

    rng = random.Random(1)
    delays = [backoff_delay(a, 1.0, 8.0, rng=rng) for a in range(6)]
    assert all(0.5 * min(8, 2 ** a) <= d <= min(8, 2 ** a) for a, d in enumerate(delays))
    assert backoff_delay(0, 1.0, 8.0, retry_after=5, rng=rng) == 5


# ── CLI ──────────────────────────────────────────────────────────────────────────────────

def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env["XDG_DATA_HOME"] = str(cwd / "xdg-data")
    env["XDG_CONFIG_HOME"] = str(cwd / "xdg-config")
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def test_cli_plan_json_and_errors(tmp_path):
    r = cli("plan", "maternity clothes", "--geo", "Des Moines, IA, US", "--types", "forum,local",
            "-e", "local,bing", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["place"] == '"Des Moines"'
    assert {x["type"] for x in data["queries"]} == {"forum", "local"}
    assert all(set(x["engines"]) == {"local", "bing"} for x in data["queries"])
    r = cli("plan", "   ", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: the keyword is empty")
    r = cli("plan", "baking", "--types", "podcast", cwd=tmp_path)
    assert r.returncode == 2 and "valid types" in r.stderr and "Traceback" not in r.stderr


def test_cli_search_results_and_blocked_exit(world_dir, tmp_path):
    r = cli("search", '"powered by phpbb"', "--web", str(world_dir), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (oc,) = json.loads(r.stdout)
    assert oc["outcome"] == "ok" and oc["results"][0]["url"] == FORUM
    r = cli("search", "maternity", "--web", str(world_dir), "--captcha", cwd=tmp_path)
    assert r.returncode == 4
    assert "blocked" in r.stderr and "Traceback" not in r.stderr


def test_cli_serp_parse(world_dir, tmp_path):
    from discover.webworld.engine import install_engine
    from discover.webworld.world import World

    world = World(world_dir)
    install_engine(world)
    saved = tmp_path / "local.html"
    saved.write_bytes(world.respond("search.discover.test", "/search?q=maternity").body)
    r = cli("serp", "parse", str(saved), "--engine", "local", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["kind"] == "results" and {x["url"] for x in data["results"]} >= {FORUM, RESOURCES}


def test_politeness_spacing_for_real_engines_none_for_local():
    from types import SimpleNamespace

    from discover.search.runner import _Engine, _Runner

    settings = Settings(query_delay=0.2, queries_per_minute=3)
    runner = _Runner(SimpleNamespace(settings=settings), pages=1, cache=None, region=None, on_progress=None,
                     max_retries=0, backoff_base=1, max_backoff=1, captcha_wait=0)

    async def go():
        polite, local = _Engine("bing", None), _Engine("local", None)
        t = time.monotonic()
        for _ in range(3):
            await runner.wait_turn(polite)
        spaced = time.monotonic() - t
        t = time.monotonic()
        for _ in range(5):
            await runner.wait_turn(local)
        return spaced, time.monotonic() - t, len(polite.recent)

    spaced, local_s, recent = asyncio.run(go())
    assert 0.4 <= spaced < 1.5        # two gaps of 0.2–0.26 s; the first query goes at once
    assert local_s < 0.05 and recent == 3


def test_progress_callback_sees_every_outcome(world_dir, tmp_path):
    seen: list[QueryOutcome] = []

    async def body(rt, eng):
        return await search_all(rt, [q("maternity"), q("xylophonequartz")], ["local"], on_progress=seen.append)

    outcomes = run(world_dir, tmp_path, body)
    assert [o.outcome for o in seen] == ["ok", "no_results"] and seen == outcomes


def test_offline_engines_fail_fast_with_the_reason(tmp_path, make_world):
    """Every engine unreachable (here: hosts the world does not have, so the lookup fails with no
    traffic leaving the machine): the run stops after a couple of queries with the reason,
    instead of trying every query on every engine."""
    world = make_world({"example-blog.test": {"index.html": "<title>dog grooming tips</title><p>dog grooming</p>"}})
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "discover", "run", "dog grooming", "--no-expand", "--web", str(world),
                        "--engine", "duckduckgo,bing", "--db", str(tmp_path / "d.sqlite")],
                       capture_output=True, text=True, timeout=120,
                       env={k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")})
    took = time.monotonic() - started
    assert r.returncode == 4, r.stderr
    assert r.stderr.startswith("error: no search engine answered"), r.stderr
    assert "cannot reach duckduckgo (ERR_NAME_NOT_RESOLVED)" in r.stderr or "ERR_NAME_NOT_RESOLVED" in r.stderr
    print(f"offline run gave up after {took:.1f} s")
    assert took < 60   # a bound on the behaviour (a handful of queries), not a benchmark
    import sqlite3
    with sqlite3.connect(tmp_path / "d.sqlite") as db:
        tried = db.execute("select count(*) from queries where reason not like '%skipped%'").fetchone()[0]
    assert tried <= 2 * 2 + 2, tried
