"""How fast does `discover --help` answer? (target: < 0.5 s; heavy libraries are imported lazily)

Runs `discover --help` N times in fresh processes and compares with `python -c pass` (the floor
any Python CLI pays) and with importing the heavy libraries eagerly (what the CLI would cost
without lazy imports).

    python bench/bench_help.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def timed(cmd: list[str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    py = sys.executable
    rows = [
        ("python -c pass (floor)", timed([py, "-c", "pass"], n)),
        ("discover --help", timed([py, "-m", "discover", "--help"], n)),
        ("discover run --help", timed([py, "-m", "discover", "run", "--help"], n)),
        ("eager import playwright+sklearn+trafilatura",
         timed([py, "-c", "import playwright.async_api, sklearn.feature_extraction.text, trafilatura"], n)),
    ]
    print(f"{'command':48} {'median s':>9} {'max s':>7}   (n={n})")
    for name, xs in rows:
        print(f"{name:48} {statistics.median(xs):9.3f} {max(xs):7.3f}")
    median_help = statistics.median(rows[1][1])
    print(f"\n`discover --help` median {median_help:.3f} s — target < 0.5 s: {'met' if median_help < 0.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
