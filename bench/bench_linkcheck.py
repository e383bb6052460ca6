#!/usr/bin/env python3
"""Link-check throughput: discover's LinkChecker vs LinkChecker (the `linkchecker` CLI) on the same pages.

    /work/venv/bin/python bench/bench_linkcheck.py [--sites 2000] [--pages-per-site 3] [--seed 7]

1. generate a synthetic world (discover.webworld.generate) of --sites sites and serve it with
   WorldServer on a loopback port;
2. pick every resource, directory and spam page (the pages full of outbound links);
3. discover: fetch each page, extract its links, check them all (internal too) with LinkChecker;
4. LinkChecker 10: the same start pages, recursion level 1, --check-extern, through the WorldServer
   as its HTTP proxy (it cannot resolve the fake host names itself). Through the proxy an unknown
   host answers 421 Misdirected Request instead of failing DNS, so LinkChecker's "421" is counted
   as the dead host it stands for;
5. print both wall times, links per second, the ratio, and whether the broken sets agree.

Both tools get the same concurrency (settings.concurrency threads / tasks).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from discover.extract import extract  # noqa: E402
from discover.fetch import Fetcher  # noqa: E402
from discover.linkcheck import LinkChecker, normalise_url  # noqa: E402
from discover.runtime import Runtime  # noqa: E402
from discover.settings import Settings  # noqa: E402
from discover.webworld.generate import generate_world  # noqa: E402
from discover.webworld.server import WorldServer  # noqa: E402
from discover.webworld.world import World  # noqa: E402


def start_pages(root: Path) -> list[str]:
    rows = csv.DictReader((root / "labels.csv").open(encoding="utf-8"))
    seen: dict[str, None] = {}
    for r in rows:
        if r["type"] in ("resource", "directory", "spam") and r["url"].startswith("http"):
            seen[r["url"]] = None
    return list(seen)


async def run_discover(root: Path, server: WorldServer, pages: list[str], settings: Settings):
    rt = Runtime(settings)
    rt.world, rt.server = server.world, server
    broken: set[str] = set()
    checked: set[str] = set()
    async with Fetcher(rt, settings) as fetcher, LinkChecker(rt, settings) as checker:
        async def one(res):
            if res.outcome != "ok":
                return []
            return await checker.check_links(res.final_url or res.url, extract(res).links)

        results = await fetcher.fetch_many(pages)
        for checks in await asyncio.gather(*(one(r) for r in results)):
            for c in checks:
                checked.add(c.url)
                if c.cls == "broken":
                    broken.add(c.url)
        requests = checker.requests_made
    return checked, broken, requests


def run_linkchecker(server: WorldServer, pages: list[str], threads: int, workdir: Path):
    exe = shutil.which("linkchecker") or str(Path(sys.executable).parent / "linkchecker")
    url_file = workdir / "start-urls.txt"
    url_file.write_text("\n".join(pages) + "\n", encoding="utf-8")
    os.chmod(workdir, 0o777)
    os.chmod(url_file, 0o644)
    env = {**os.environ, "http_proxy": f"http://{server.address}", "HTTP_PROXY": f"http://{server.address}",
           "no_proxy": "", "NO_PROXY": ""}
    cmd = [exe, "--no-status", "-r", "1", "--check-extern", "-t", str(threads), "--timeout", "10",
           "-o", "csv", "--no-robots", *pages]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    text = "\n".join(line for line in proc.stdout.splitlines() if not line.startswith("#"))
    checked: set[str] = set()
    invalid: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        url = row.get("url") or row.get("urlname") or ""
        if not url.startswith("http"):
            continue
        url = normalise_url(url)
        if row.get("parentname"):
            checked.add(url)
        if row.get("valid", "").strip() in ("False", "0"):
            invalid[url] = row.get("result", "")
    return checked, invalid, proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--pages-per-site", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-linkcheck-"))
    root = work / "world"
    t = time.perf_counter()
    summary = generate_world(root, sites=args.sites, pages_per_site=args.pages_per_site, seed=args.seed)
    print(f"world: {summary['hosts']} hosts, {summary['pages']} pages, generated in {time.perf_counter() - t:.1f} s")
    pages = start_pages(root)
    print(f"start pages (resource/directory/spam): {len(pages)}")
    settings = Settings(web=str(root), timeout=10.0, concurrency=args.concurrency, per_host_concurrency=2,
                        ignore_robots=True)
    server = WorldServer(World(root)).start()
    try:
        t = time.perf_counter()
        ours_checked, ours_broken, requests = asyncio.run(run_discover(root, server, pages, settings))
        ours_s = time.perf_counter() - t
        print(f"discover LinkChecker: {len(ours_checked)} distinct links, {len(ours_broken)} broken, "
              f"{requests} requests, {ours_s:.1f} s, {len(ours_checked) / ours_s:.0f} links/s")

        t = time.perf_counter()
        lc_checked, lc_invalid, proc = run_linkchecker(server, pages, args.concurrency, work)
        lc_s = time.perf_counter() - t
        if not lc_checked:
            print("linkchecker produced no results; stderr:\n" + proc.stderr[-2000:])
            sys.exit(2)
        dead = ("404", "410", "421")
        lc_broken = {u for u, r in lc_invalid.items() if r.strip().startswith(dead)}
        print(f"linkchecker 10: {len(lc_checked)} distinct links, {len(lc_invalid)} invalid "
              f"({len(lc_broken)} of them 404/410/421=unknown host), {lc_s:.1f} s, "
              f"{len(lc_checked) / lc_s:.0f} links/s")
    finally:
        server.stop()

    common = ours_checked & lc_checked
    a, b = ours_broken & common, lc_broken & common
    print(f"links checked by both: {len(common)}; broken by discover: {len(a)}, by linkchecker: {len(b)}; "
          f"same broken set: {a == b}")
    if a != b:
        print(f"  only discover: {sorted(a - b)[:10]}")
        print(f"  only linkchecker: {sorted((b - a))[:10]} {[lc_invalid[u] for u in sorted(b - a)[:5]]}")
    other_invalid = {u: r for u, r in lc_invalid.items() if u not in lc_broken}
    if other_invalid:
        sample = list(other_invalid.items())[:5]
        print(f"  linkchecker also calls {len(other_invalid)} link(s) invalid for other reasons, e.g. {sample}")
    print(f"speed-up: {lc_s / ours_s:.1f}x (linkchecker {lc_s:.1f} s / discover {ours_s:.1f} s)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
