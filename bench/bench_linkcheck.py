#!/usr/bin/env python3
"""Link-check throughput: discover's LinkChecker vs LinkChecker (the `linkchecker` CLI) on the same pages.

    python bench/bench_linkcheck.py [--sites 2000] [--pages-per-site 3] [--seed 7]

1. generate a synthetic world (discover.webworld.generate) of --sites sites and serve it with
   WorldServer on a loopback port;
2. pick every resource, directory and spam page (the pages full of outbound links);
3. discover: fetch each page, extract its links, check them all (internal too) with LinkChecker;
   (the server runs in its own process, as it would for LinkChecker);
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

from discover.pages.extract import extract  # noqa: E402
from discover.pages.fetch import Fetcher  # noqa: E402
from discover.links.linkcheck import LinkChecker  # noqa: E402
from discover.urls import FOR_FETCH  # noqa: E402
from discover.runtime import Runtime  # noqa: E402
from discover.settings import Settings  # noqa: E402
from discover.webworld.generate import generate_world  # noqa: E402
from discover.webworld.world import World  # noqa: E402


def start_pages(root: Path) -> list[str]:
    rows = csv.DictReader((root / "labels.csv").open(encoding="utf-8"))
    seen: dict[str, None] = {}
    for r in rows:
        if r["type"] in ("resource", "directory", "spam") and r["url"].startswith("http"):
            seen[r["url"]] = None
    return list(seen)


class _ExternalServer:
    """The WorldServer running in its own process, so it does not share our GIL (LinkChecker runs in
    its own process too; both tools then talk to the same server on equal terms)."""

    def __init__(self, root: Path) -> None:
        code = ("import sys,time;from discover.webworld.world import World;"
                "from discover.webworld.server import WorldServer;"
                "s=WorldServer(World(sys.argv[1])).start();print(s.port,flush=True);"
                "sys.stdin.read();s.stop()")
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(root)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.host, self.port = "127.0.0.1", int(self.proc.stdout.readline())

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


async def run_discover(root: Path, server, pages: list[str], settings: Settings):
    rt = Runtime(settings)
    rt.world, rt.server = World(root), server
    broken: set[str] = set()
    checked: set[str] = set()
    async with Fetcher(rt, settings) as fetcher, LinkChecker(rt, settings) as checker:
        t = time.perf_counter()
        extracted = [(r.final_url or r.url, extract(r).links)
                     for r in await fetcher.fetch_many(pages) if r.outcome == "ok"]
        fetch_s = time.perf_counter() - t
        t = time.perf_counter()
        for checks in await asyncio.gather(*(checker.check_links(page, links) for page, links in extracted)):
            for c in checks:
                checked.add(c.url)
                if c.cls == "broken":
                    broken.add(c.url)
        check_s = time.perf_counter() - t
        requests = checker.requests_made
    return checked, broken, requests, fetch_s, check_s


#: Run LinkChecker with its per-host throttle switched off (it waits 0.1-0.6 s between two requests to
#: one host, under a global lock, unless the server answers with a "LinkChecker" header). This measures
#: its checking itself, next to the default that users get.
_UNTHROTTLED = ("import sys; import linkcheck.director.aggregator as a; "
                "a.Aggregate.wait_time_min_default = 0.0; a.Aggregate.wait_time_max_default = 0.0; "
                "from linkcheck.command.linkchecker import linkchecker; sys.argv[0] = 'linkchecker'; "
                "sys.exit(linkchecker())")


def run_linkchecker(server, pages: list[str], threads: int, unthrottled: bool, workdir: Path):
    exe = shutil.which("linkchecker") or str(Path(sys.executable).parent / "linkchecker")
    env = {**os.environ, "http_proxy": f"http://{server.address}", "HTTP_PROXY": f"http://{server.address}",
           "no_proxy": "", "NO_PROXY": ""}
    args = ["--no-status", "-r", "1", "--check-extern", "-t", str(threads), "--timeout", "10",
            "-o", "csv", "--verbose", "--no-robots"]
    if unthrottled:
        cfg = workdir / "linkcheckerrc"
        cfg.write_text("[checking]\nmaxrequestspersecond=1000\n", encoding="utf-8")
        os.chmod(workdir, 0o755)
        os.chmod(cfg, 0o644)
        cmd = [sys.executable, "-c", _UNTHROTTLED, "-f", str(cfg), *args, *pages]
    else:
        cmd = [exe, *args, *pages]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    text = "\n".join(line for line in proc.stdout.splitlines() if not line.startswith("#"))
    checked: set[str] = set()
    invalid: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        url = row.get("url") or row.get("urlname") or ""
        if not url.startswith("http"):
            continue
        url = FOR_FETCH.key(url)
        if row.get("parentname"):
            checked.add(url)
        if row.get("valid", "").strip() in ("False", "0"):
            invalid[url] = row.get("result", "")
    return checked, invalid, proc


def compare(name: str, ours_checked: set[str], ours_broken: set[str], ours_s: float,
            lc_checked: set[str], lc_invalid: dict[str, str], lc_s: float) -> None:
    dead = ("404", "410", "421")
    lc_broken = {u for u, r in lc_invalid.items() if r.strip().startswith(dead)}
    print(f"{name}: {len(lc_checked)} distinct links, {len(lc_invalid)} invalid "
          f"({len(lc_broken)} of them 404/410/421=unknown host), {lc_s:.1f} s, "
          f"{len(lc_checked) / lc_s:.0f} links/s")
    common = ours_checked & lc_checked
    a, b = ours_broken & common, lc_broken & common
    print(f"  links checked by both: {len(common)}; broken by discover: {len(a)}, by linkchecker: {len(b)}; "
          f"same broken set: {a == b}")
    if a != b:
        print(f"  only discover: {sorted(a - b)[:10]}")
        print(f"  only linkchecker: {sorted(b - a)[:10]} {[lc_invalid[u] for u in sorted(b - a)[:5]]}")
    other_invalid = {u: r for u, r in lc_invalid.items() if u not in lc_broken}
    if other_invalid:
        print(f"  linkchecker also calls {len(other_invalid)} link(s) invalid for other reasons, "
              f"e.g. {list(other_invalid.items())[:5]}")
    print(f"  speed-up: {lc_s / ours_s:.1f}x ({name} {lc_s:.1f} s / discover {ours_s:.1f} s end to end)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--pages-per-site", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--linkchecker", default="default,unthrottled",
                    help="LinkChecker runs: default (as users run it) and/or unthrottled (per-host wait off)")
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
    server = _ExternalServer(root)
    try:
        t = time.perf_counter()
        ours_checked, ours_broken, requests, fetch_s, check_s = asyncio.run(
            run_discover(root, server, pages, settings))
        ours_s = time.perf_counter() - t
        print(f"discover: {len(ours_checked)} distinct links, {len(ours_broken)} broken, {requests} link-check "
              f"requests; fetch+extract {fetch_s:.1f} s, link check {check_s:.1f} s "
              f"({len(ours_checked) / check_s:.0f} links/s), total {ours_s:.1f} s "
              f"({len(ours_checked) / ours_s:.0f} links/s end to end)")

        modes = [m.strip() for m in args.linkchecker.split(",") if m.strip()]
        for mode in modes:
            t = time.perf_counter()
            lc_checked, lc_invalid, proc = run_linkchecker(server, pages, args.concurrency,
                                                           mode == "unthrottled", work)
            lc_s = time.perf_counter() - t
            if not lc_checked:
                print(f"linkchecker ({mode}) produced no results; stderr:\n" + proc.stderr[-2000:])
                continue
            compare(f"linkchecker 10 ({mode})", ours_checked, ours_broken, ours_s, lc_checked, lc_invalid, lc_s)
    finally:
        server.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
