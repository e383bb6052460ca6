#!/usr/bin/env python3
"""Page-type and extraction figures, all on held-out data.

    python bench/eval_classifier.py [--web fixtures/web] [--realdata DIR]   (default: $DISCOVER_SHARED/realdata)

Prints:
  world     macro-F1 with whole hosts held out (5-fold GroupKFold by host), and leave-one-niche-out
            (target ≥ 0.90)
  realdata  accuracy on real pages, each scored by a model that never saw its host (target ≥ 0.90)
  extract   trafilatura-eval `with` snippets found / `without` snippets kept out of our text,
            and the share of harvest forum gold posts that come through (≥ half their 4-grams)
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _builder():
    spec = importlib.util.spec_from_file_location("build_page_type", ROOT / "models" / "build_page_type.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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
    b = _builder()
    ap = argparse.ArgumentParser()
    ap.add_argument("--web", type=Path, default=ROOT / "fixtures" / "web")
    ap.add_argument("--realdata", type=Path, default=b.DEFAULT_REALDATA)
    args = ap.parse_args()
    t0 = time.time()
    world = b.load_world(args.web) if (args.web / "labels.csv").is_file() else []
    real = b.load_realdata(args.realdata) if (args.realdata / "pages" / "page_types.csv").is_file() else []
    for rows in (world, real):
        for r in rows:
            r["raw_html"] = r["html"]
        b.featurise(rows)
    scores = b.evaluate(world, real)
    if "world_hosts_out" in scores:
        s = scores["world_hosts_out"]
        print(f"world   hosts held out: macro-F1 {s['macro_f1']:.3f}  ({s['pages']} pages, {s['hosts']} hosts, "
              f"{s['folds']} folds; target ≥ 0.90)")
        print(f"        per class F1: {s['per_class_f1']}")
        print(f"        top confusions: {s['confusions'][:6]}")
    if "world_niche_out" in scores:
        s = scores["world_niche_out"]
        print(f"world   niche held out: macro-F1 {s['macro_f1']:.3f}  per niche {s['per_niche']}")
    if "realdata_hosts_out" in scores:
        s = scores["realdata_hosts_out"]
        print(f"real    hosts held out: accuracy {s['accuracy']:.3f}  ({s['pages']} pages; target ≥ 0.90)  "
              f"by label {s['accuracy_by_label']}")
    if real:
        print(f"extract {extraction_figures(args.realdata)}")
    print(f"({time.time() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
