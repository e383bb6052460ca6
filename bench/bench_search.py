"""Benchmark the search layer on a generated world (default 2,000 sites x 5 pages).

Prints: world generation time, index build time, engine-only queries/s (library call), queries/s
through the real local HTTP server (httpx), and queries/s through real Chromium
(`search_all`, one and three result pages per query).

    python bench/bench_search.py [--sites 2000] [--pages-per-site 5] [--browser-queries 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus


def footprint_queries() -> list[str]:
    from discover.plan import plan_queries
    from discover.webworld.generate import NICHES

    out: list[str] = []
    for n in NICHES:
        out += [q.text for q in plan_queries(n.keyword, geo=n.geo or None, max_per_type=6).queries]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--pages-per-site", type=int, default=5)
    ap.add_argument("--browser-queries", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from discover.webworld.engine import ENGINE_HOST, build_index, install_engine
    from discover.webworld.generate import generate_world
    from discover.webworld.world import World

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "web"
        t = time.perf_counter()
        summary = generate_world(root, sites=args.sites, pages_per_site=args.pages_per_site, seed=args.seed)
        gen_s = time.perf_counter() - t
        print(f"world: {summary['hosts']} hosts, {summary['pages']} pages generated in {gen_s:.2f} s")

        world = World(root)
        t = time.perf_counter()
        idx = build_index(world)
        index_s = time.perf_counter() - t
        print(f"index: {len(idx.docs)} docs, {len(idx.postings)} terms built in {index_s:.2f} s "
              f"({len(idx.docs) / index_s:.0f} pages/s)")

        engine = install_engine(world)
        queries = footprint_queries()
        engine.search(queries[0])   # first query builds (or reuses) the cached index
        lat = []
        hits = 0
        t = time.perf_counter()
        for q in queries:
            t1 = time.perf_counter()
            _, total = engine.search(q)
            lat.append(time.perf_counter() - t1)
            hits += total > 0
        eng_s = time.perf_counter() - t
        print(f"engine-only: {len(queries)} footprint queries in {eng_s:.3f} s = {len(queries) / eng_s:.0f} q/s "
              f"(median {statistics.median(lat) * 1000:.2f} ms, p95 {sorted(lat)[int(len(lat) * .95)] * 1000:.2f} ms; "
              f"{hits} with results)")

        asyncio.run(_through_server(root, queries, args.browser_queries))


async def _through_server(root: Path, queries: list[str], n_browser: int) -> None:
    from discover.records import Query
    from discover.runtime import Runtime
    from discover.search.runner import search_all
    from discover.settings import Settings
    from discover.webworld.engine import ENGINE_HOST

    settings = Settings(web=str(root), data_dir=tempfile.mkdtemp())
    async with Runtime(settings) as rt:
        async with rt.http_client() as client:
            await client.get(f"http://{ENGINE_HOST}/search?q=warmup")
            t = time.perf_counter()
            for q in queries:
                r = await client.get(f"http://{ENGINE_HOST}/search?q={quote_plus(q)}")
                r.raise_for_status()
            http_s = time.perf_counter() - t
        print(f"HTTP server (httpx, sequential): {len(queries)} queries in {http_s:.2f} s = "
              f"{len(queries) / http_s:.0f} q/s")

        picked = [Query(text=q, prospect_type="bench") for q in (queries * 3)[:n_browser]]
        await search_all(rt, picked[:1], ["local"])   # browser start-up is not query time
        await _browser_runs(rt, picked, "proxy auto-config to the world server")


async def _browser_runs(rt, picked, how: str) -> None:
    from discover.search.runner import search_all

    for pages in (1, 3):
        t = time.perf_counter()
        outcomes = await search_all(rt, picked, ["local"], pages=pages)
        br_s = time.perf_counter() - t
        kinds: dict[str, int] = {}
        for o in outcomes:
            kinds[o.outcome] = kinds.get(o.outcome, 0) + 1
        if kinds.get("error"):
            reason = next(o.reason for o in outcomes if o.outcome == "error")
            raise RuntimeError(f"{kinds['error']} errors, first: {reason}")
        read = sum(o.pages_read for o in outcomes)
        print(f"browser ({how}; Chromium, search_all, pages={pages}): {len(picked)} queries, {read} result "
              f"pages in {br_s:.2f} s = {len(picked) / br_s:.1f} q/s, {read / br_s:.1f} pages/s; {kinds}")

if __name__ == "__main__":
    main()
