"""Benchmark: score 100,000 synthetic pages (topic model fit + geo + explanations).

Run:  python bench/bench_score.py [--pages 100000] [--words 150]
Prints wall time per phase and peak RSS. Target: < 20 s and < 2 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time

from discover.rank.geo import gazetteer, parse_place
from discover.records import Candidate, Classification, Extraction, SiteQuality
from discover.rank.score import score_candidates
from discover.settings import Settings

NICHE = ("maternity clothes dresses jeans bump nursing pregnancy moms baby shower swap boutique "
         "wardrobe capsule leggings tops").split()
FILLER = ("the a of and to in for with on our your we you this that is are was be have has from at "
          "news update guide tips best local shop forum thread reply post community price review "
          "cars insurance finance stock market recipe vegan baking dog grooming garden travel hotel "
          "football weather school health fitness music movie game phone laptop software").split()
PLACES = ["Des Moines, IA 50309", "Omaha, NE 68102", "Leeds LS1 4AP", "Ames", "Chicago", "Austin, TX 78701",
          "West Des Moines", "Bradford BD1 2AB", "", "", ""]
TYPES = ["forum", "blog", "directory", "news", "resource", "guest_post", "other", "spam"]


def make_pages(n: int, words: int, seed: int = 1) -> list[Candidate]:
    rng = random.Random(seed)
    pages = []
    for i in range(n):
        on_topic = rng.random() < 0.3
        vocab = NICHE + FILLER if on_topic else FILLER
        text = " ".join(rng.choice(vocab) for _ in range(words))
        place = rng.choice(PLACES)
        title = " ".join(rng.choice(vocab) for _ in range(6)) + (f" {place.split(',')[0]}" if place else "")
        text = f"{text}. Visit us in {place}." if place else text
        host = f"site{i % 20000}.example"
        url = f"http://{host}/p/{i}"
        pages.append(Candidate(
            url=url, domain=host,
            extraction=Extraction(url=url, title=title.title(), text=text, full_text=text),
            classification=Classification(rng.choice(TYPES), rng.random(), ["synthetic"]),
            quality=SiteQuality(domain=host, score=rng.random(), reasons=["synthetic"]) if rng.random() < 0.7 else None))
    return pages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--words", type=int, default=150)
    args = ap.parse_args()
    t0 = time.perf_counter()
    pages = make_pages(args.pages, args.words)
    t1 = time.perf_counter()
    gazetteer()
    target = parse_place("Des Moines, IA, US")
    t2 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    kid0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    scores = score_candidates(pages, keyword="maternity clothes", target=target,
                              types=("forum", "blog", "directory"), settings=Settings())
    t3 = time.perf_counter()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    kid1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    neutral = score_candidates(pages[: args.pages // 10], keyword="maternity clothes", target=None, settings=Settings())
    t4 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kid_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    tiers: dict[str, int] = {}
    for s in scores:
        tiers[s.geo_tier] = tiers.get(s.geo_tier, 0) + 1
    print(f"pages: {len(pages):,} x ~{args.words} words (generated in {t1 - t0:.1f} s)")
    print(f"gazetteer load: {t2 - t1:.2f} s")
    print(f"score_candidates with target (fit + geo + explanations): {t3 - t2:.2f} s "
          f"({len(pages) / (t3 - t2):,.0f} pages/s)")
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    kid = (kid1.ru_utime - kid0.ru_utime) + (kid1.ru_stime - kid0.ru_stime)
    print(f"  CPU: parent {cpu:.2f} s + geo worker {kid:.2f} s (run in parallel on 2 cores; "
          f"load average {os.getloadavg()[0]:.1f} — wall above max(parent, worker) means other processes)")
    print(f"score_candidates without target, {len(neutral):,} pages: {t4 - t3:.2f} s")
    print(f"peak RSS: {rss_mb:,.0f} MB (geo worker, copy-on-write fork: {kid_rss_mb:,.0f} MB)")
    print(f"geo tiers: {dict(sorted(tiers.items()))}")
    print(f"best: {max(scores, key=lambda s: s.total).explanation}")
    ok = (t3 - t2) < 20 and rss_mb < 2048
    print("target (< 20 s, < 2 GB):", "met" if ok else "NOT met")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
