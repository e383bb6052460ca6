"""The distributed executor on real services: Debian's redis-server and a throwaway PostgreSQL
cluster (both started by the fixtures on free loopback ports), `discover worker` processes on
the bundled world, and a real Chromium. Marked `scale`; CI runs them (`./install.sh --dev`
installs redis-server)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

pytest.importorskip("celery", reason="the distributed executor needs the `scale` extra")

pytestmark = pytest.mark.scale

REPO = Path(__file__).resolve().parents[1]
#: A quick run on the bundled world that still has every kind of unit: searches, pages, contact
#: crawls and one resource page to link-check.
RUN = ["dog grooming", "--geo", "Leeds, West Yorkshire, GB", "--types", "resource,directory,forum", "--no-expand"]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env["DISCOVER_DATA_DIR"] = str(data)
    env.update(extra)
    return env


def discover(*args: str, data: Path, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=_env(data, **extra), timeout=timeout, cwd=REPO)


class Fleet:
    """`discover worker` processes on one broker and database, with their logs."""

    def __init__(self, redis_url: str, db_url: str, world: Path, root: Path, **env: str) -> None:
        self.redis_url, self.db_url, self.world, self.root, self.env = redis_url, db_url, world, root, env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, n: int, concurrency: int = 4) -> "Fleet":
        for i in range(n):
            name = f"w{i}-{os.getpid()}@test"
            log = (self.root / f"{name}.log").open("w")
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "discover", "worker", "--broker", self.redis_url, "--db", self.db_url,
                 "--web", str(self.world), "-c", str(concurrency), "--name", name, "--loglevel", "info"],
                env=_env(self.root / "data", **self.env), cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.wait_serving(n)
        return self

    def settings(self):
        from discover.settings import load_settings

        return load_settings({"broker": self.redis_url, "db": self.db_url}, env={})

    def wait_serving(self, n: int, timeout: float = 90) -> None:
        from discover.scale.app import make_app
        from discover.scale.checks import worker_queues

        app = make_app(self.settings())
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                dead = [w for w, p in self.procs.items() if p.poll() is not None]
                assert not dead, f"worker(s) exited: {dead}\n{self.logs()}"
                if sum(1 for q in worker_queues(app, timeout=1.0).values() if q) >= n:
                    return
                time.sleep(0.3)
        finally:
            app.close()
        raise AssertionError(f"{n} workers did not come up\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.root.glob("*.log"))

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def reference(tmp_path_factory, bundled_world):
    """The shortlist of the same run in one process (local executor, SQLite)."""
    data = tmp_path_factory.mktemp("reference")
    r = discover("run", *RUN, "--web", str(bundled_world), "--json", "--db", str(data / "ref.sqlite"), data=data)
    assert r.returncode == 0, r.stderr
    prospects = json.loads(r.stdout)
    assert len(prospects) >= 5
    return prospects


def _same(a: list[dict], b: list[dict]) -> None:
    """Same prospects, same order, same scores and contacts."""
    keys = ("url", "domain", "type", "score", "email", "broken_links", "geo_tier")
    assert [{k: p[k] for k in keys} for p in a] == [{k: p[k] for k in keys} for p in b]


def _no_duplicate_rows(db_url: str) -> dict[str, int]:
    eng = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    checks = {
        "pages": "select url from pages group by url having count(*) > 1",
        "queries": "select run_id, engine, text from queries group by 1, 2, 3 having count(*) > 1",
        "serp_results": "select run_id, engine, query, page, url, rank from serp_results group by 1,2,3,4,5,6 "
                        "having count(*) > 1",
        "links": "select page, url from links group by page, url having count(*) > 1",
        "contacts": "select page, kind, value from contacts group by 1, 2, 3 having count(*) > 1",
        "prospects": "select run_id, niche, domain from prospects group by 1, 2, 3 having count(*) > 1",
        "task_results": "select run_id, stage, key_hash from task_results group by 1, 2, 3 having count(*) > 1",
    }
    counts = {}
    with eng.connect() as conn:
        for table, sql in checks.items():
            dupes = conn.exec_driver_sql(sql).all()
            assert not dupes, f"duplicate rows in {table}: {dupes[:3]}"
        for table in ("pages", "queries", "task_results", "prospects"):
            counts[table] = conn.exec_driver_sql(f"select count(*) from {table}").scalar()
        counts["redone"] = conn.exec_driver_sql("select count(*) from task_results where attempts > 1").scalar()
        counts["runs_finished"] = conn.exec_driver_sql("select count(*) from runs where status = 'finished'").scalar()
    eng.dispose()
    return counts


def test_three_workers_give_the_in_process_shortlist(reference, redis_url, pg_url, bundled_world, tmp_path):
    fleet = Fleet(redis_url, pg_url, bundled_world, tmp_path).start(3)
    try:
        r = discover("run", *RUN, "--web", str(bundled_world), "--json", "--broker", redis_url, "--db", pg_url,
                     data=tmp_path / "data")
        assert r.returncode == 0, r.stderr + fleet.logs()
        _same(json.loads(r.stdout), reference)
        counts = _no_duplicate_rows(pg_url)
        assert counts["runs_finished"] == 1
        # One task per query, per URL, per site (contacts), per resource page — all recorded.
        assert counts["task_results"] >= counts["queries"] + counts["pages"]

        # The work was spread: every worker did some of it.
        eng = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.connect() as conn:
            by_worker = dict(conn.exec_driver_sql("select worker, count(*) from task_results group by worker").all())
        eng.dispose()
        assert set(by_worker) == set(fleet.procs), by_worker

        doc = discover("doctor", "--broker", redis_url, "--db", pg_url, "--web", str(bundled_world), "--json",
                       data=tmp_path / "data")
        checks = {c["check"].strip(): c for c in json.loads(doc.stdout)["checks"]}
        assert checks["broker"]["status"] == "ok" and "Redis" in checks["broker"]["detail"]
        assert checks["workers"]["status"] == "ok" and checks["workers"]["detail"].startswith("3 alive, 3 serving")
        assert all(checks[w]["status"] == "ok" for w in fleet.procs)

        # --resume of a finished run is refused the same way as on one machine.
        again = discover("run", "--resume", "--broker", redis_url, "--db", pg_url, "--web", str(bundled_world),
                         data=tmp_path / "data")
        assert again.returncode == 2 and "no interrupted run to resume" in again.stderr
    finally:
        fleet.stop()


def _claims(redis_url: str, worker: str) -> list[str]:
    from discover.scale.limits import RedisPoliteness

    async def go() -> list[str]:
        pol = RedisPoliteness(redis_url, worker="test")
        try:
            return await pol.claims_of(worker)
        finally:
            await pol.aclose()

    return asyncio.run(go())


def test_a_worker_killed_mid_task_loses_nothing_and_doubles_nothing(reference, redis_url, pg_url, bundled_world,
                                                                    tmp_path):
    # Short timeouts so the killed worker's tasks come back within seconds, not minutes.
    fleet = Fleet(redis_url, pg_url, bundled_world, tmp_path, DISCOVER_TASK_VISIBILITY_TIMEOUT="8",
                  DISCOVER_TASK_CLAIM_TTL="4").start(3)
    victim = next(iter(fleet.procs))
    try:
        run = subprocess.Popen([sys.executable, "-m", "discover", "run", *RUN, "--web", str(bundled_world), "--json",
                                "--broker", redis_url, "--db", pg_url],
                               env=_env(tmp_path / "data", DISCOVER_TASK_VISIBILITY_TIMEOUT="8",
                                        DISCOVER_TASK_CLAIM_TTL="4"),
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill the victim while it holds a task (its claim in Redis), after the run got going.
        deadline = time.monotonic() + 180
        held: list[str] = []
        while time.monotonic() < deadline and run.poll() is None:
            held = _claims(redis_url, victim)
            if held:
                break
            time.sleep(0.05)
        assert held, "the victim never held a task before the run ended"
        fleet.procs[victim].send_signal(signal.SIGKILL)
        fleet.procs[victim].wait()
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err + fleet.logs()
        _same(json.loads(out), reference)
        counts = _no_duplicate_rows(pg_url)
        assert counts["runs_finished"] == 1
        # The victim's claimed task was done by a survivor once its claim expired.
        assert not _claims(redis_url, victim)
        eng = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.connect() as conn:
            for claim in held:                      # discover:claim:<queue>:<run>:<stage>:<sha256 prefix>
                run_id, stage, digest = claim.split(":")[-3:]
                row = conn.execute(sa.text("select status, worker from task_results where run_id = :r and "
                                           "stage = :s and key_hash like :h"),
                                   {"r": int(run_id), "s": stage, "h": digest + "%"}).one()
                assert row.status == "done" and row.worker != victim
        eng.dispose()
    finally:
        fleet.stop()


def test_fleet_limits_hold_across_workers(redis_url):
    """Two politeness objects (two workers' connections) share one per-host limit, one spacing,
    one engine budget and one block list."""
    from discover.scale.limits import RedisPoliteness

    async def go() -> None:
        a = RedisPoliteness(redis_url, worker="worker-a")
        b = RedisPoliteness(redis_url, worker="worker-b")
        try:
            # per-host concurrency 2 across both workers, 12 requests
            inside, peak = 0, 0

            async def request(pol: RedisPoliteness) -> None:
                nonlocal inside, peak
                async with pol.host_limit("shop.example", 2):
                    inside += 1
                    peak = max(peak, inside)
                    await asyncio.sleep(0.05)
                    inside -= 1

            await asyncio.gather(*(request(a if i % 2 else b) for i in range(12)))
            assert peak == 2
            assert await a.leases("shop.example") == 0      # every lease given back

            # per-host spacing: 0.1 s between any two requests of the fleet
            stamps: list[float] = []

            async def spaced(pol: RedisPoliteness) -> None:
                await pol.host_slot("slow.example", 2).turn(0.1)
                stamps.append(time.monotonic())

            await asyncio.gather(*(spaced(a if i % 2 else b) for i in range(6)))
            stamps.sort()
            assert min(y - x for x, y in zip(stamps, stamps[1:])) >= 0.08   # server-timed, a little jitter

            # engine budget: at most 3 queries a minute for the whole fleet
            await a.engine_turn("bing", 0.0, 3)
            await b.engine_turn("bing", 0.0, 3)
            await a.engine_turn("bing", 0.0, 3)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5):
                    await b.engine_turn("bing", 0.0, 3)       # the fourth waits for the window

            # shared back-off: after a block seen by one, the other waits too
            await a.engine_backoff("brave", 0.4)
            started = time.monotonic()
            await b.engine_turn("brave", 0.0, 0)
            assert time.monotonic() - started >= 0.3

            # a block seen by one worker stops the engine for the other
            assert await b.engine_blocked("google") == ""
            await a.block_engine("google", "captcha page")
            assert await b.engine_blocked("google") == "captcha page (seen by worker-a)"

            # claims: one holder at a time; expire when the holder stops renewing them
            key = a.claim_key(1, "fetch", "http://x.example/")
            assert await a.claim(key, 0.3) and not await b.claim(key, 0.3)
            assert await a.refresh_claim(key, 0.3) and not await b.refresh_claim(key, 0.3)
            await asyncio.sleep(0.45)
            assert await b.claim(key, 5)
            await a.release_claim(key)                        # not a's any more: no effect
            assert await b.claims_of("worker-b") == [key]
            await b.release_claim(key)
            assert await b.claims_of("worker-b") == []
        finally:
            await a.aclose()
            await b.aclose()

    asyncio.run(go())


def test_a_captcha_seen_by_one_worker_stops_the_engine_for_the_others(redis_url, bundled_world, settings_for):
    from discover.records import Query
    from discover.runtime import Runtime
    from discover.scale.limits import RedisPoliteness
    from discover.search.runner import search_all
    from discover.webworld.engine import engine_of

    settings = settings_for(bundled_world)

    async def go():
        first = RedisPoliteness(redis_url, worker="worker-a")
        second = RedisPoliteness(redis_url, worker="worker-b")
        try:
            await second.redis.delete(second.key("engine", "local", "blocked"))
            async with Runtime(settings, captcha=True, politeness=first) as rt:
                engine_of(rt.world).retry_after = 0
                a = await search_all(rt, [Query("dog grooming forum", "forum")], ["local"], max_retries=0)
            # The second worker never opens a browser: the engine is known to be blocked.
            async with Runtime(settings, politeness=second) as rt:
                b = await search_all(rt, [Query("dog grooming directory", "directory")], ["local"])
                assert rt._browser is None
            return a, b
        finally:
            await first.redis.delete(first.key("engine", "local", "blocked"))
            await first.aclose()
            await second.aclose()

    a, b = asyncio.run(go())
    assert a[0].outcome == "blocked" and ("captcha" in a[0].reason or "rate" in a[0].reason)
    assert b[0].outcome == "blocked" and "seen by worker-a" in b[0].reason and "skipped" in b[0].reason


def test_a_dead_browser_endpoint_is_taken_out_of_the_pool(bundled_world, settings_for, tmp_path):
    from discover.browser import CHROMIUM_FLAGS, find_browser
    from discover.errors import BrowserError
    from discover.records import Query
    from discover.runtime import Runtime
    from discover.search.runner import search_all
    from conftest import free_port

    path, _ = find_browser("")
    port, dead = free_port(), free_port()
    chrome = subprocess.Popen([path, "--headless=new", f"--remote-debugging-port={port}",
                               "--remote-debugging-address=127.0.0.1", f"--user-data-dir={tmp_path / 'profile'}",
                               *CHROMIUM_FLAGS, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and chrome.poll() is None, "the remote Chromium did not start"
            time.sleep(0.2)
        settings = settings_for(bundled_world, browser_endpoint=f"http://127.0.0.1:{dead},http://127.0.0.1:{port}")

        async def go():
            async with Runtime(settings) as rt:
                first = await search_all(rt, [Query("dog grooming forum", "forum")], ["local"])
                pool = await rt.browser()
                removed = dict(pool.removed)
                chrome.send_signal(signal.SIGKILL)
                chrome.wait()
                for _ in range(50):         # the pool hears of the disconnection
                    if not pool.alive:
                        break
                    await asyncio.sleep(0.1)
                with pytest.raises(BrowserError, match="no remote browser of the pool is reachable"):
                    await pool.new_context()
                return first, removed

        first, removed = asyncio.run(go())
        assert first[0].outcome == "ok" and first[0].results
        assert list(removed) == [f"http://127.0.0.1:{dead}"]
    finally:
        if chrome.poll() is None:
            chrome.kill()
            chrome.wait()


def test_misconfigured_fleets_are_clear_errors(redis_url, pg_url, bundled_world, tmp_path):
    data = tmp_path / "data"
    r = discover("run", "dog grooming", "--web", str(bundled_world), "--broker", redis_url,
                 "--db", str(tmp_path / "x.sqlite"), data=data)
    assert r.returncode == 2 and "needs a PostgreSQL database" in r.stderr and "Traceback" not in r.stderr
    r = discover("run", "dog grooming", "--web", str(bundled_world), "--broker", "http://127.0.0.1:1/", data=data)
    assert r.returncode == 2 and "is not a Redis URL" in r.stderr
    r = discover("worker", "--broker", redis_url, "--db", str(tmp_path / "x.sqlite"), data=data)
    assert r.returncode == 2 and "needs a PostgreSQL database" in r.stderr
    # A broker nobody listens on, and a broker without workers for this database.
    from conftest import free_port

    r = discover("run", "dog grooming", "--web", str(bundled_world), "--broker",
                 f"redis://127.0.0.1:{free_port()}/0", "--db", pg_url, data=data)
    assert r.returncode == 3 and "cannot use the broker" in r.stderr and "Traceback" not in r.stderr
    r = discover("run", "dog grooming", "--web", str(bundled_world), "--broker", redis_url, "--db", pg_url, data=data)
    assert r.returncode == 3 and "no discover worker serves this database" in r.stderr
    assert "discover worker --broker" in r.stderr


def test_a_worker_refuses_a_run_of_another_world(redis_url, pg_url, tmp_path):
    """A task of a run in a web world must never reach the real internet from a worker outside it."""
    from discover.scale.worker import WorkerState
    from discover.settings import load_settings
    from discover.store import Store

    settings = load_settings({"broker": redis_url, "db": pg_url, "data_dir": str(tmp_path)}, env={})
    with Store.open(pg_url) as store:
        run_id = store.start_run("dog grooming")
    state = WorkerState(settings, "outside-worker")
    try:
        assert state.run_unit(run_id, "echo", "1", {"n": 1}, {}, world="offline-world") == "failed"
        rec = state.store.task_result(run_id, "echo", "1")
        assert rec is not None and rec.status == "failed" and "same --web" in rec.error["hint"]
        # the same unit in the right world is done once; sent again, it is not run again
        assert state.run_unit(run_id, "echo", "2", {"n": 2}, {}, world="") == "done"
        assert state.run_unit(run_id, "echo", "2", {"n": 2}, {}, world="") == "skipped"
        assert state.store.task_result(run_id, "echo", "2").result == {"n": 2}
    finally:
        state.close()


def test_a_killed_coordinator_resumes_without_redoing_a_unit(reference, redis_url, pg_url, bundled_world, tmp_path):
    """`discover run --resume` on the same broker and database sends only what is missing."""
    fleet = Fleet(redis_url, pg_url, bundled_world, tmp_path).start(2)
    eng = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        run = subprocess.Popen([sys.executable, "-m", "discover", "run", *RUN, "--web", str(bundled_world), "--json",
                                "--broker", redis_url, "--db", pg_url], env=_env(tmp_path / "data"), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        fetched = 0
        while time.monotonic() < deadline and run.poll() is None and fetched < 10:
            time.sleep(0.1)
            with eng.connect() as conn:
                fetched = conn.exec_driver_sql("select count(*) from task_results where stage = 'fetch'").scalar()
        assert run.poll() is None, "the run finished before it could be killed"
        run.send_signal(signal.SIGKILL)
        run.wait()
        with eng.connect() as conn:
            assert conn.exec_driver_sql("select status from runs").scalar() == "running"
        r = discover("run", "--resume", "--json", "--broker", redis_url, "--db", pg_url, "--web", str(bundled_world),
                     data=tmp_path / "data")
        assert r.returncode == 0, r.stderr + fleet.logs()
        assert "resuming run 1" in r.stderr
        _same(json.loads(r.stdout), reference)
        counts = _no_duplicate_rows(pg_url)
        assert counts["runs_finished"] == 1
        # Units done before the kill were not sent again, and the killed coordinator's queued
        # copies of the others were skipped by the workers: every unit ran exactly once.
        assert counts["redone"] == 0
    finally:
        eng.dispose()
        fleet.stop()
