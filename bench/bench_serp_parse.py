"""Benchmark: parse every real saved SERP (shared/realdata/serp) with `parse_serp`.

Run:  python bench/bench_serp_parse.py [--repeat N]

Last run (Python 3.11.7, lxml 6.1.3, 2-core container, --repeat 7):

    46 pages, 10.6 MB: median 4.78 ms/page, mean 7.05 ms/page, max 64.00 ms, 142 pages/s
    largest: Google desktop coffee.html (1.9 MB, 89 results) 64.0 ms; google.html (651 KB) 17.9 ms;
    html.duckduckgo.com (31 KB) 3.3 ms; Bing 2026 (133 KB) 3.7 ms; blocked pages < 0.5 ms.

Parsing is far below a browser page load (seconds), so it never limits a search run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from discover.search.serp import parse_serp  # noqa: E402

# $DISCOVER_SHARED, else shared/ next to the checkout (as in tests/conftest.py)
SERP_DIR = Path(os.environ.get("DISCOVER_SHARED") or Path(__file__).resolve().parents[2] / "shared") / "realdata" / "serp"


def time_one(html: bytes, engine: str, repeat: int) -> tuple[float, int]:
    """Median wall time in ms over `repeat` parses, and the number of results found."""
    times = []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = len(parse_serp(html, engine).results)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="parses per page (median is reported)")
    args = parser.parse_args()
    expected = SERP_DIR / "expected.json"
    if not expected.is_file():
        print(f"no real SERP data at {SERP_DIR}", file=sys.stderr)
        return 1
    rows = []
    for entry in json.loads(expected.read_text(encoding="utf-8")):
        html = (SERP_DIR / entry["file"]).read_bytes()
        ms, count = time_one(html, entry["engine"], args.repeat)
        rows.append((entry["file"], entry["engine"], len(html) / 1024, ms, count))
    width = max(len(r[0]) for r in rows)
    print(f"{'file':<{width}}  {'engine':<15} {'KB':>7} {'ms':>8} {'results':>7}")
    for name, engine, kb, ms, count in rows:
        print(f"{name:<{width}}  {engine:<15} {kb:7.0f} {ms:8.2f} {count:7d}")
    per_page = [r[3] for r in rows]
    total_s = sum(per_page) / 1000
    print(f"\n{len(rows)} pages, {sum(r[2] for r in rows) / 1024:.1f} MB: median {statistics.median(per_page):.2f} ms/page, "
          f"mean {statistics.mean(per_page):.2f} ms/page, max {max(per_page):.2f} ms, "
          f"{len(rows) / total_s:.0f} pages/s (sequential, one core)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
