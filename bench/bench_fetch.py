#!/usr/bin/env python3
"""Fetch + extract throughput and memory on a generated web world, against the real local server.

    python bench/bench_fetch.py [--sites 2000 --pages-per-site 5] [--browser-pages 60]

Prints: static path pages/s (fetch + extract + classify, targets ≥ 50/s on 2 cores), browser
path pages/s (target ≥ 5/s), and RSS sampled along the run (target < 1 GB, flat).
Extraction runs in a small process pool so the event loop keeps fetching while pages are parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from discover.pages.fetch import Fetcher  # noqa: E402
from discover.runtime import Runtime  # noqa: E402
from discover.settings import load_settings  # noqa: E402
from discover.webworld.server import WorldServer  # noqa: E402
from discover.webworld.world import World  # noqa: E402


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_rss_mb() -> float:
    total = 0.0
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if int(fh.read().split(") ", 1)[1].split()[1]) != me:
                    continue
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            continue
    return total


def _analyse(args: tuple[str, str, str]) -> tuple[str, int, int]:
    from discover.pages.classify import classify
    from discover.pages.extract import extract
    from discover.records import FetchResult

    url, final, html = args
    ext = extract(FetchResult(url=url, final_url=final, outcome="ok", html=html))
    cls = classify(ext, html)
    return cls.type, len(ext.links), len(ext.text)


def _make_runtime(root: Path, **overrides):
    settings = load_settings({"web": str(root), **overrides}, env={})
    rt = Runtime(settings)
    rt.world = World(root)
    rt.server = WorldServer(rt.world).start()
    return settings, rt


async def static_run(root: Path, urls: list[str], workers: int, classify_pages: bool) -> dict:
    settings, rt = _make_runtime(root, concurrency=16, per_host_concurrency=2, max_pages=10**9)
    loop = asyncio.get_running_loop()
    outcomes: dict[str, int] = {}
    rss: list[float] = []
    pending: set[asyncio.Future] = set()
    done = 0
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        async with Fetcher(rt, settings) as fetcher:
            async for _i, res in fetcher.iter_fetch(urls):
                outcomes[res.outcome] = outcomes.get(res.outcome, 0) + 1
                if res.outcome == "ok":
                    fn = _analyse if classify_pages else _extract_only
                    pending.add(loop.run_in_executor(pool, fn, (res.url, res.final_url, res.html)))
                if len(pending) >= workers * 8:   # back-pressure: memory stays flat
                    finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    done += len(finished)
                if (done + len(pending)) % 500 == 0:
                    rss.append(rss_mb() + children_rss_mb())
            if pending:
                finished, _ = await asyncio.wait(pending)
                done += len(finished)
    elapsed = time.perf_counter() - t0
    await rt.close()
    return {"pages": len(urls), "analysed": done, "seconds": round(elapsed, 2),
            "pages_per_s": round(len(urls) / elapsed, 1), "outcomes": outcomes,
            "rss_mb_samples": [round(x) for x in rss[:: max(1, len(rss) // 10)]],
            "rss_mb_max": round(max(rss or [rss_mb()]))}


def _extract_only(args: tuple[str, str, str]) -> tuple[str, int, int]:
    from discover.pages.extract import extract
    from discover.records import FetchResult

    url, final, html = args
    ext = extract(FetchResult(url=url, final_url=final, outcome="ok", html=html))
    return "", len(ext.links), len(ext.text)


async def browser_run(root: Path, urls: list[str], pages: int) -> dict:
    settings, rt = _make_runtime(root, concurrency=max(2, pages), per_host_concurrency=2)
    fetcher = Fetcher(rt, settings, browser_pages=pages,
                      browser_hosts={u.split("/")[2] for u in urls})   # force the browser path
    # Warm-up: browser launch is a one-off cost, not throughput.
    warm = await fetcher.fetch(urls[0])
    t0 = time.perf_counter()
    res = await fetcher.fetch_many(urls[1:])
    elapsed = time.perf_counter() - t0
    await fetcher.aclose()
    await rt.close()
    outcomes: dict[str, int] = {}
    for r in [warm, *res]:
        outcomes[f"{r.path}:{r.outcome}"] = outcomes.get(f"{r.path}:{r.outcome}", 0) + 1
    return {"pages": len(urls) - 1, "seconds": round(elapsed, 2),
            "pages_per_s": round((len(urls) - 1) / elapsed, 1), "outcomes": outcomes, "browser_pages": pages}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--pages-per-site", type=int, default=5)
    ap.add_argument("--limit", type=int, default=0, help="fetch only the first N pages (0 = all)")
    ap.add_argument("--workers", type=int, default=2, help="extraction processes")
    ap.add_argument("--no-classify", action="store_true")
    ap.add_argument("--browser-pages", type=int, default=60, help="pages for the browser-path run (0 = skip)")
    ap.add_argument("--world", type=Path, help="use this world instead of generating one")
    args = ap.parse_args()
    from discover.webworld.generate import generate_world

    with tempfile.TemporaryDirectory() as tmp:
        root = args.world
        if root is None:
            root = Path(tmp) / "world"
            t = time.perf_counter()
            summary = generate_world(root, sites=args.sites, pages_per_site=args.pages_per_site, seed=7)
            print(f"generated {summary['hosts']} hosts / {summary['pages']} pages in {time.perf_counter() - t:.1f}s")
        world = World(root)
        urls = [u for u, _f in world.pages()]
        if args.limit:
            urls = urls[: args.limit]
        print(f"static path: {len(urls)} pages, fetch + extract{'' if args.no_classify else ' + classify'}, "
              f"{args.workers} extraction processes, {os.cpu_count()} cores")
        r = asyncio.run(static_run(root, urls, args.workers, not args.no_classify))
        print(f"  {r['pages_per_s']} pages/s ({r['pages']} pages in {r['seconds']}s; target ≥ 50)")
        print(f"  outcomes {r['outcomes']}")
        print(f"  RSS MB (parent + workers) along the run: {r['rss_mb_samples']}  max {r['rss_mb_max']} (target < 1024)")
        if args.browser_pages:
            b = asyncio.run(browser_run(root, urls[: args.browser_pages + 1], pages=4))
            print(f"browser path: {b['pages_per_s']} pages/s ({b['pages']} pages in {b['seconds']}s, "
                  f"{b['browser_pages']} tabs; target ≥ 5)  outcomes {b['outcomes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
