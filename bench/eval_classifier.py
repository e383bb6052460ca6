#!/usr/bin/env python3
"""Page-type and extraction figures, all on held-out data.

    python bench/eval_classifier.py [--world DIR ...] [--realdata DIR]   (default: $DISCOVER_SHARED/realdata)

Prints:
  real      macro-F1 on the real-page corpus by cross-validation over sites (no site on both
            sides; target ≥ 0.90) — the same figures as `discover eval --types`
  lowo      macro-F1 of each world (fixtures/web, fixtures/web-holdout, the real corpus) scored by
            a model fitted on the other worlds (target ≥ 0.90)
  extract   trafilatura-eval `with` snippets found / `without` snippets kept out of our text,
            and the share of harvest forum gold posts that come through (≥ half their 4-grams)
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def extraction_figures(realdata: Path) -> dict:
    from discover.pages.extract import extract
    from discover.html import decode_html
    from discover.records import FetchResult

    def norm(s: str) -> str:
        return re.sub(r"\s+", " ", s)

    pages = realdata / "pages"
    ev = json.loads((pages / "trafilatura-eval" / "evaldata_subset.json").read_text(encoding="utf-8"))
    w = wt = wo = wot = 0
    for url, e in ev.items():
        html, _ = decode_html((pages / "trafilatura-eval" / e["file"]).read_bytes())
        text = norm(extract(FetchResult(url=url, final_url=url, outcome="ok", html=html)).text)
        for s in e.get("with", []):
            wt += 1
            w += norm(s) in text
        for s in e.get("without", []):
            wot += 1
            wo += norm(s) not in text

    def grams(s: str) -> set:
        ws = re.findall(r"\w+", s.lower())
        return {tuple(ws[i:i + 4]) for i in range(max(1, len(ws) - 3))}

    hit = total = 0
    char_hit = char_total = 0
    for f in sorted((pages / "forums-harvest").glob("*.json.gz")):
        d = json.load(gzip.open(f, "rt", encoding="utf-8"))
        text = extract(FetchResult(url=d["url"], final_url=d["url"], outcome="ok", html=d["html"])).text
        have = grams(text)
        for p in d["gold_standard_annotation"]:
            g = grams(p["post_text"]["surface_form"])
            total += 1
            share = len(g & have) / max(1, len(g))
            hit += share >= 0.5
            char_total += len(g)
            char_hit += len(g & have)
    return {"with_found": f"{w}/{wt} ({w / wt:.1%})", "without_kept_out": f"{wo}/{wot} ({wo / wot:.1%})",
            "forum_posts_recalled": f"{hit}/{total} ({hit / total:.1%})",
            "forum_post_4gram_recall": f"{char_hit / max(1, char_total):.1%}"}


def main() -> int:
    from discover.evaluate import evaluate_page_types
    from discover.pages.training import shared_dir

    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=Path, action="append", help="labelled world (default fixtures/web, -holdout)")
    ap.add_argument("--realdata", type=Path, default=shared_dir() / "realdata")
    ap.add_argument("--fresh", action="store_true", help="re-read every page (ignore the feature cache)")
    args = ap.parse_args()
    t0 = time.time()
    report = evaluate_page_types(args.world, shared=args.realdata.parent, fresh=args.fresh)
    if "grouped_cv" in report:
        g = report["grouped_cv"]
        print(f"real    {g['folds']}-fold CV by site: macro-F1 {g['macro_f1']:.3f}, accuracy {g['accuracy']:.3f} "
              f"({g['pages']} pages, {g['sites']} sites; target >= 0.90)")
        print("        per type F1: " + ", ".join(f"{t} {v['f1']:.2f}" for t, v in g["per_type"].items()))
    for w, rep in (report.get("lowo") or {}).get("per_world", {}).items():
        print(f"lowo    {w}: macro-F1 {rep['macro_f1']:.3f} ({rep['pages']} pages; target >= 0.90)")
    if (args.realdata / "pages" / "page_types.csv").is_file():
        print(f"extract {extraction_figures(args.realdata)}")
    print(f"({time.time() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
