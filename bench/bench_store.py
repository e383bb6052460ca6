"""Store benchmarks: export 100,000 prospects, and page+link inserts at 0 vs 1,000,000 links.

    python bench/bench_store.py [--db URL] [--prospects 100000] [--links 1000000]

Prints its figures; a temp SQLite file is used unless --db is given.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from discover.outreach.export import export_prospects
from discover.records import Extraction, FetchResult, Link, Prospect
from discover.store import Store

TYPES = ("forum", "directory", "resource", "guest_post", "blog", "news")


def bench_export(store: Store, n: int, out_dir: Path) -> None:
    run = store.start_run("bench export")
    t = time.perf_counter()
    for i in range(0, n, 10_000):
        store.save_prospects(run, [Prospect(
            url=f"https://www.site{j}.com/page", domain=f"site{j}.com",
            type=TYPES[j % len(TYPES)], score=(j % 1000) / 1000, title=f"=Title {j}", why="relevance 0.8",
            email=f"ed@site{j}.com", email_kind="person", niche="bench", broken_links=[f"http://dead{j}.com/"],
            explanation={"top_terms": [["bench", 0.5]]}) for j in range(i, min(n, i + 10_000))])
    print(f"save_prospects {n:,}: {time.perf_counter() - t:.2f} s")
    for fmt in ("csv", "hubspot", "jsonl"):
        t = time.perf_counter()
        count = export_prospects(store.iter_prospects(run), fmt, out_dir / f"export.{fmt}")
        print(f"export {count:,} prospects as {fmt}: {time.perf_counter() - t:.2f} s (target < 10 s)")
    t = time.perf_counter()
    ps = store.prospects(run_id=run)
    print(f"store.prospects(run) {len(ps):,}: {time.perf_counter() - t:.2f} s")


def _page_batch(store: Store, run: int, start: int, pages: int, links_per_page: int) -> float:
    t = time.perf_counter()
    for p in range(start, start + pages):
        url = f"http://host{p % 5000}.com/p{p}"
        ext = Extraction(url=url, title=f"page {p}", links=[
            Link(url=f"http://t{(p * 7 + k) % 20000}.com/x{k}", anchor=f"a{k}") for k in range(links_per_page)])
        store.save_page(run, FetchResult(url=url, outcome="ok", status=200, html="<p>x</p>" * 200), ext)
    return (time.perf_counter() - t) / pages


def bench_links(store: Store, total: int) -> None:
    run = store.start_run("bench links")
    per_page, batch_pages = 100, 100
    first = _page_batch(store, run, 0, batch_pages, per_page)
    print(f"page insert (100 links each) at {store.count_links():,} links: {first * 1000:.1f} ms/page")
    done, t = batch_pages, time.perf_counter()
    while store.count_links() < total:
        _page_batch(store, run, done, 1000, per_page)
        done += 1000
    print(f"filled to {store.count_links():,} links in {time.perf_counter() - t:.1f} s")
    last = _page_batch(store, run, done, batch_pages, per_page)
    print(f"page insert (100 links each) at {store.count_links():,} links: {last * 1000:.1f} ms/page "
          f"(x{last / first:.2f} vs empty)")
    t = time.perf_counter()
    for p in range(0, 1000, 10):
        store.link_checks(f"http://host{p % 5000}.com/p{p}")
        store.is_fetched(f"http://host{p % 5000}.com/p{p}")
    print(f"link_checks + is_fetched lookup at {store.count_links():,} links: "
          f"{(time.perf_counter() - t) / 100 * 1000:.2f} ms")
    t = time.perf_counter()
    n = sum(1 for _ in store.all_links_edges())
    print(f"all_links_edges stream of {n:,}: {time.perf_counter() - t:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="")
    ap.add_argument("--prospects", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.db or str(Path(tmp) / "bench.sqlite"))
        bench_export(store, args.prospects, Path(tmp))
        bench_links(store, args.links)
        store.close()


if __name__ == "__main__":
    main()
