#!/usr/bin/env python3
"""Rebuild the page-type classifier (discover/data/models/page_type.json, shipped inside the package),
its held-out scores (models/page_type_scores.json) and feature cache (models/page_type_features.json.gz).

    python models/build_page_type.py [--world DIR ...] [--realpages DIR ...] [--shared DIR] [--no-eval]

Data (discover/pages/training.py reads it):
  real    the real-page corpus: fixtures/realpages/manifest*.csv (+ $DISCOVER_REALPAGES, --realpages)
          and <shared>/realdata/pages/page_types.csv (<shared> = $DISCOVER_SHARED or ../shared);
  worlds  the labelled pages of fixtures/web and fixtures/web-holdout (or --world ...);
          fixtures/web-other, written to judge the tool, is scored but never trained on.
Every page goes through the tool's own extract(); the model sees what the pipeline sees.

Scores are measured before the final fit, never on pages (or sites) a model was trained on:
  grouped_cv  k folds over the real corpus by site (world pages always in training);
  lowo        leave-one-world-out: each world (real corpus included) scored by a model fitted on
              the others only.
The final model is fitted on everything, its probabilities calibrated by a temperature fitted on
out-of-fold logits (folds by site), and written as JSON (no pickle).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from discover.pages import training  # noqa: E402

# The source tree's copy, which classify.MODEL_PATH reads through importlib.resources.
MODEL_OUT = ROOT / "discover" / "data" / "models" / "page_type.json"

SCORES_PATH = ROOT / "models" / "page_type_scores.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", type=Path, action="append", help="a labelled web world (repeatable; "
                    "default fixtures/web, fixtures/web-holdout and fixtures/web-other)")
    ap.add_argument("--realpages", type=Path, action="append", default=[],
                    help="another folder with manifest*.csv (repeatable)")
    ap.add_argument("--shared", type=Path, default=None, help="the shared data folder (default $DISCOVER_SHARED "
                    "or ../shared)")
    ap.add_argument("--out", type=Path, default=MODEL_OUT)
    ap.add_argument("--scores", type=Path, default=SCORES_PATH)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--fresh", action="store_true", help="re-read every page (ignore the feature cache)")
    ap.add_argument("--no-eval", action="store_true", help="fit only (skip the held-out measurements)")
    args = ap.parse_args(argv)
    t0 = time.time()
    worlds = args.world or training.default_worlds()
    pages = [p for w in worlds for p in training.load_world_pages(w, w.name)]
    real = training.load_real_pages(training.realpage_dirs(args.realpages), args.shared,
                                    on_skip=lambda m: print(f"skipped {m}", file=sys.stderr))
    if not pages and not real:
        print("no labelled pages found", file=sys.stderr)
        return 2
    rows = training.featurise(pages + real, jobs=args.jobs, cache=None if args.fresh else training.FEATURE_CACHE)
    training.save_feature_cache(rows)
    print(f"featurised {len(pages)} world + {len(real)} real pages in {time.time() - t0:.1f}s", file=sys.stderr)
    scores: dict = {}
    if not args.no_eval:
        from discover.evaluate import page_type_report

        scores = page_type_report(rows, folds=args.folds)
    model = training.fit_model(training.trainable(rows))
    data = {
        "worlds": {w.name: sum(1 for p in pages if p.world == w.name) for w in worlds},
        "not_trained_on": sorted(training.EVAL_ONLY_WORLDS & {w.name for w in worlds}),
        "real": training.corpus_summary(real),
    }
    model["info"] = {"params": training.PARAMS, "data": data, "built": time.strftime("%Y-%m-%d"),
                     "temperature": model["temperature"]}
    args.out.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    report = {"params": training.PARAMS, "data": data, "temperature": model["temperature"], "scores": scores,
              "notes": "grouped_cv: folds by site over the real corpus, world pages in training (minus test "
                       "sites); lowo: each world scored by a model fitted on the others. Final model fitted "
                       "on all pages, temperature from out-of-fold logits (folds by site)."}
    args.scores.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if scores:
        print(json.dumps({"grouped_cv_macro_f1": scores["grouped_cv"]["macro_f1"],
                          "lowo": {w: r["macro_f1"] for w, r in scores["lowo"]["per_world"].items()}}, indent=2))
    print(f"wrote {args.out} and {args.scores} in {time.time() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
