#!/usr/bin/env python3
"""The distributed executor against the in-process run, on a generated 2,000-site world.

    python bench/bench_scale.py [--sites 2000] [--pages 2000] [--workers 1,2,4] [--threads 8]
                                [--echo 2000] [--world DIR] [--broker URL --db URL]

Workload: the pipeline's fetch stage (fetch + extract + classify + save, one unit per URL)
over `--pages` URLs of the world taken round-robin over its sites (with the defaults: the
first page of each of the 2,000 sites), through the same `executor.map(FETCH, ...)` call the
pipeline makes: once in this process (the local executor; with PostgreSQL and with SQLite as
the store) and once per fleet size with that many `discover worker` processes (`--threads`
tasks each). Workers are started and connected before the clock starts; every configuration
gets a fresh database, so no page comes from a cache. Then `--echo` empty tasks measure what
a task costs by itself (send, claim, store upsert, coordinator poll).

Without --broker/--db it starts its own redis-server and a throwaway PostgreSQL cluster on
free loopback ports (Debian's packages, like the tests). Prints pages/s per configuration,
the load average around each, and the per-task overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from discover.executor import LocalExecutor  # noqa: E402
from discover.pipeline import RunContext, RunRequest, RunResult  # noqa: E402
from discover.runtime import Runtime  # noqa: E402
from discover.settings import Settings, load_settings  # noqa: E402
from discover.store import Store  # noqa: E402
from discover.tasks import ECHO, FETCH, EchoTask, FetchTask, TaskEnv  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


@contextmanager
def services() -> Iterator[tuple[str, str]]:
    """A redis-server and a PostgreSQL cluster on free loopback ports; (redis URL, admin DB URL)."""
    root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    os.chmod(root, 0o777)
    rport, pport = free_port(), free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(root)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bindir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = root / "pg"
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E",
                    "UTF8", "--no-sync"], check=True, capture_output=True)
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "pg.log"), "-w", "-o",
                    f"-p {pport} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
                    "start"], check=True, capture_output=True)
    try:
        yield f"redis://127.0.0.1:{rport}/0", f"postgresql://postgres@127.0.0.1:{pport}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        redis.terminate()
        redis.wait()
        shutil.rmtree(root, ignore_errors=True)


def fresh_db(admin_url: str) -> str:
    name = "bench_" + uuid.uuid4().hex[:10]
    eng = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    eng.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def start_workers(n: int, threads: int, broker: str, db: str, world: Path, logdir: Path) -> list[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env["DISCOVER_DATA_DIR"] = str(logdir / "data")
    env["PYTHONPATH"] = str(ROOT)
    procs = []
    for i in range(n):
        log = (logdir / f"worker{i}.log").open("w")
        procs.append(subprocess.Popen([sys.executable, "-m", "discover", "worker", "--broker", broker, "--db", db,
                                       "--web", str(world), "-c", str(threads), "--name", f"bench{i}@{os.getpid()}"],
                                      env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
    from discover.scale.app import make_app
    from discover.scale.checks import worker_queues

    app = make_app(load_settings({"broker": broker, "db": db}, env={}))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if sum(1 for q in worker_queues(app, timeout=1.0).values() if q) >= n:
            break
        if any(p.poll() is not None for p in procs):
            raise SystemExit(f"a worker exited; see {logdir}")
        time.sleep(0.3)
    else:
        raise SystemExit(f"{n} workers did not come up; see {logdir}")
    app.close()
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def context(runtime: Runtime, store: Store, executor: Any) -> RunContext:
    run_id = store.start_run("bench scale", "", ("blog",))
    request = RunRequest(keyword="bench scale")
    return RunContext(runtime=runtime, store=store, run_id=run_id, request=request, keyword="bench scale",
                      target=None, types=("blog",), engines=["local"], executor=executor,
                      env=TaskEnv(runtime, store, run_id), result=RunResult(run_id=run_id, request=request))


async def timed_map(settings: Settings, db: str, executor: Any, kind: Any, items: list[Any],
                    politeness: Any = None) -> tuple[float, list[Any]]:
    store = Store.open(db)
    try:
        async with Runtime(settings, politeness=politeness) as runtime:
            ctx = context(runtime, store, executor)
            if not isinstance(executor, LocalExecutor):   # the local one would only start a browser
                await executor.start(ctx)
            t0 = time.perf_counter()
            out = await executor.map(kind, items, ctx)
            elapsed = time.perf_counter() - t0
            await ctx.env.aclose()
            await executor.aclose()
            return elapsed, out
    finally:
        store.close()


def outcomes(results: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[str(r.fetch.outcome)] = counts.get(str(r.fetch.outcome), 0) + 1
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--pages", type=int, default=2000, help="URLs fetched per configuration")
    ap.add_argument("--workers", default="1,2,4", help="fleet sizes (worker processes)")
    ap.add_argument("--threads", type=int, default=16, help="tasks at once per worker")
    ap.add_argument("--echo", type=int, default=2000, help="empty tasks for the per-task overhead (0 = skip)")
    ap.add_argument("--world", type=Path, help="use this world instead of generating one")
    ap.add_argument("--broker", help="use this Redis instead of starting one (with --db: a PostgreSQL admin URL)")
    ap.add_argument("--db", help="PostgreSQL URL whose server gets one fresh database per configuration")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the in-process run with SQLite")
    args = ap.parse_args()
    from discover.webworld.generate import generate_world
    from discover.webworld.world import World

    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-world-"))
    try:
        world = args.world
        if world is None:
            world = tmp / "world"
            t = time.perf_counter()
            summary = generate_world(world, sites=args.sites, pages_per_site=5, seed=7)
            print(f"generated {summary['hosts']} hosts / {summary['pages']} pages in {time.perf_counter() - t:.1f} s")
        # Round-robin over hosts (each site's first page, then each site's second ...): the order a
        # run's fused results come in, mixed across sites, rather than one site's pages in a row.
        by_host: dict[str, list[str]] = {}
        for u, _f in World(world).pages():
            by_host.setdefault(u.split("/")[2], []).append(u)
        rounds = max((len(v) for v in by_host.values()), default=0)
        urls = [v[i] for i in range(rounds) for v in by_host.values() if i < len(v)][: args.pages]
        items = [FetchTask(u) for u in urls]
        hosts = len({u.split("/")[2] for u in urls})
        print(f"{len(urls)} URLs on {hosts} hosts; {os.cpu_count()} cores; load {load()} (1/5/15 min)")
        rows: list[dict[str, Any]] = []
        with (services() if not args.broker else _given(args.broker, args.db)) as (broker, admin):
            base = {"web": str(world), "page_cache_ttl": 0, "max_pages": 10**6, "data_dir": str(tmp / "data")}

            def record(label: str, elapsed: float, res: list[Any], before: str) -> None:
                row = {"config": label, "pages": len(res), "seconds": round(elapsed, 1),
                       "pages_per_s": round(len(res) / elapsed, 1), "outcomes": outcomes(res),
                       "load_before": before, "load_after": load()}
                rows.append(row)
                print(f"  {label:<32} {row['pages_per_s']:>6} pages/s  ({row['seconds']} s; load {before} → "
                      f"{row['load_after']})  {row['outcomes']}", flush=True)

            print("fetch + extract + classify + save, one unit per URL:")
            if not args.no_sqlite:
                settings = load_settings({**base, "db": str(tmp / "local.sqlite")}, env={})
                before = load()
                elapsed, res = asyncio.run(timed_map(settings, settings.db_url(), LocalExecutor(), FETCH, items))
                record("in-process, SQLite store", elapsed, res, before)
            db = fresh_db(admin)
            settings = load_settings({**base, "db": db}, env={})
            before = load()
            elapsed, res = asyncio.run(timed_map(settings, db, LocalExecutor(), FETCH, items))
            record("in-process, PostgreSQL store", elapsed, res, before)

            for n in [int(x) for x in args.workers.split(",") if x.strip()]:
                db = fresh_db(admin)
                settings = load_settings({**base, "db": db, "broker": broker, "executor": "celery"}, env={})
                logdir = Path(tempfile.mkdtemp(prefix=f"bench-scale-w{n}-", dir=tmp))
                procs = start_workers(n, args.threads, broker, db, world, logdir)
                try:
                    from discover.scale.executor import CeleryExecutor
                    from discover.scale.limits import RedisPoliteness

                    async def go() -> tuple[float, list[Any]]:
                        pol = RedisPoliteness(broker, worker="bench")
                        try:
                            return await timed_map(settings, db, CeleryExecutor(settings, poll_s=0.1), FETCH, items,
                                                   politeness=pol)
                        finally:
                            await pol.aclose()

                    before = load()
                    elapsed, res = asyncio.run(go())
                    record(f"celery, {n} worker(s) x {args.threads} threads", elapsed, res, before)
                    if args.echo and n == 1:
                        echo = [EchoTask(i) for i in range(args.echo)]
                        before = load()
                        elapsed, _ = asyncio.run(timed_map(settings, db, CeleryExecutor(settings, poll_s=0.05),
                                                           ECHO, echo))
                        per = elapsed / len(echo) * 1000
                        rows.append({"config": "echo, 1 worker", "tasks": len(echo), "seconds": round(elapsed, 2),
                                     "ms_per_task": round(per, 2), "tasks_per_s": round(len(echo) / elapsed, 1)})
                        print(f"  per-task overhead: {len(echo)} empty tasks in {elapsed:.1f} s = {per:.1f} ms/task "
                              f"({len(echo) / elapsed:.0f} tasks/s; 1 worker x {args.threads} threads; load {before})",
                              flush=True)
                finally:
                    stop_workers(procs)
        print(json.dumps(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


@contextmanager
def _given(broker: str, db: str | None) -> Iterator[tuple[str, str]]:
    if not db:
        raise SystemExit("--broker needs --db (a PostgreSQL server where databases can be created)")
    yield broker, db


if __name__ == "__main__":
    sys.exit(main())
