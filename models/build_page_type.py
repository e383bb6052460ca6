#!/usr/bin/env python3
"""Rebuild the page-type classifier (discover/data/models/page_type.json, shipped inside the package),
the featurised corpus it was fitted on (page_type_corpus.json.gz beside it, for `discover train`)
and its held-out scores (models/page_type_scores.json).

    python models/build_page_type.py [--web fixtures/web] [--realdata DIR]

Data: the labelled pages of a web world (labels.csv; mail: items are skipped — they are not
pages) and the labelled real pages in realdata/pages/page_types.csv. Every page goes through
the tool's own extract(); the model sees what the pipeline sees.

Scores are measured before the final fit, never on pages a model was trained on:
  world     leave-hosts-out: GroupKFold by host (no host in both train and test), macro-F1;
            and leave-one-niche-out (hosts of the other niches only), macro-F1;
  realdata  GroupKFold by source host, the world pages always in training; accuracy.
The final model is then fitted on everything and written as JSON (no pickle).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from discover.html import decode_html  # noqa: E402
from discover.pages import train as T  # noqa: E402
from discover.records import PROSPECT_TYPES  # noqa: E402

# The source tree's copy, which classify.MODEL_PATH reads through importlib.resources.
MODEL_OUT = ROOT / "discover" / "data" / "models" / "page_type.json"
#: The featurised corpus beside it, from which `discover train` refits the user's model.
CORPUS_OUT = ROOT / "discover" / "data" / "models" / "page_type_corpus.json.gz"
SCORES_PATH = ROOT / "models" / "page_type_scores.json"
#: Shared read-only data: $DISCOVER_SHARED, else `shared/` next to the checkout.
SHARED = Path(os.environ.get("DISCOVER_SHARED") or ROOT.parent / "shared")
DEFAULT_REALDATA = SHARED / "realdata"
PARAMS = T.PARAMS


def load_world(web: Path) -> list[dict]:
    """Labelled pages of a web world: one row per URL (its type is the same for every niche)."""
    from discover.webworld.world import World

    world = World(web)
    types: dict[str, str] = {}
    niches: dict[str, str] = {}
    with open(web / "labels.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            url = row["url"]
            if url.startswith("mail:"):
                continue
            types.setdefault(url, row["type"])
            # A host's niche: the niche its pages are most relevant to.
            if int(row.get("relevance") or 0) >= 1:
                niches.setdefault(url, row["niche"])
    rows = []
    for url, label in sorted(types.items()):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        resp = world.respond(parts.hostname or "", path or "/")
        hops = 0
        while resp is not None and 300 <= resp.status < 400 and resp.headers.get("Location") and hops < 5:
            nxt = urlsplit(resp.headers["Location"])
            host = nxt.hostname or parts.hostname or ""
            resp = world.respond(host, nxt.path or "/")
            hops += 1
        if resp is None or resp.status != 200:
            continue
        html, _ = decode_html(resp.body, resp.headers.get("Content-Type", ""))
        rows.append({"url": url, "label": label, "group": parts.hostname, "source": "world",
                     "niche": niches.get(url, ""), "html": html})
    # A host belongs to the niche most of its pages are relevant to.
    host_niche: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        if r["niche"]:
            host_niche[r["group"]][r["niche"]] += 1
    for r in rows:
        c = host_niche.get(r["group"])
        r["niche"] = c.most_common(1)[0][0] if c else "none"
    return rows


def load_realdata(base: Path) -> list[dict]:
    rows = []
    with open(base / "pages" / "page_types.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            f = base / row["file"]
            if f.name.endswith(".json.gz"):
                html = json.load(gzip.open(f, "rt", encoding="utf-8"))["html"]
            elif f.name.endswith(".gz"):
                html, _ = decode_html(gzip.open(f, "rb").read())
            else:
                html, _ = decode_html(f.read_bytes())
            host = (urlsplit(row["url"]).hostname or f.name).removeprefix("www.")
            rows.append({"url": row["url"], "label": row["label"], "group": host, "source": "realdata",
                         "niche": "", "html": html})
    return rows


def featurise(rows: list[dict]) -> None:
    for r in rows:
        r["ex"] = T.example(r["url"], r["html"], r["label"], source=r["source"], group=r["group"], niche=r["niche"])
        r.pop("html")


# Fitting, predicting and the folds live in the package (discover/pages/train.py), so that
# `discover train` refits the user's model exactly as this script fits the shipped one.
def fit(rows: list[dict]) -> dict:
    return T.fit([r["ex"] for r in rows])


def predict(model_json: dict, rows: list[dict]) -> list[str]:
    return T.predict(model_json, [r["ex"] for r in rows])


def group_folds(rows: list[dict], k: int) -> list[tuple[list[int], list[int]]]:
    return T.group_folds([r["ex"] for r in rows], k)


macro_f1 = T.macro_f1


def evaluate(world: list[dict], real: list[dict], k: int = 5) -> dict:
    out: dict = {}
    if world:
        preds = [""] * len(world)
        for train, test in group_folds(world, k):
            m = fit([world[i] for i in train] + real)
            for i, p in zip(test, predict(m, [world[i] for i in test])):
                preds[i] = p
        f1, report = macro_f1([r["label"] for r in world], preds)
        out["world_hosts_out"] = {
            "macro_f1": round(f1, 4), "pages": len(world), "hosts": len({r["group"] for r in world}),
            "folds": k, "per_class_f1": {c: v for c, v in report.items() if c in PROSPECT_TYPES},
            "confusions": Counter(f"{r['label']}->{p}" for r, p in zip(world, preds) if r["label"] != p).most_common(12),
        }
        niche_scores = {}
        all_t, all_p = [], []
        for niche in sorted({r["niche"] for r in world} - {"none"}):
            test = [r for r in world if r["niche"] == niche]
            train = [r for r in world if r["niche"] != niche]
            m = fit(train + real)
            p = predict(m, test)
            niche_scores[niche] = round(macro_f1([r["label"] for r in test], p)[0], 4)
            all_t += [r["label"] for r in test]
            all_p += p
        if all_t:
            out["world_niche_out"] = {"macro_f1": round(macro_f1(all_t, all_p)[0], 4), "per_niche": niche_scores}
    if real:
        preds = [""] * len(real)
        for train, test in group_folds(real, k):
            m = fit(world + [real[i] for i in train])
            for i, p in zip(test, predict(m, [real[i] for i in test])):
                preds[i] = p
        acc = sum(p == r["label"] for p, r in zip(preds, real)) / len(real)
        by_src: dict[str, list[bool]] = defaultdict(list)
        for r, p in zip(real, preds):
            by_src[r["label"]].append(p == r["label"])
        out["realdata_hosts_out"] = {
            "accuracy": round(acc, 4), "pages": len(real), "folds": k,
            "accuracy_by_label": {lab: round(sum(v) / len(v), 3) for lab, v in sorted(by_src.items())},
            "errors": [f"{r['url']}: {r['label']}->{p}" for r, p in zip(real, preds) if p != r["label"]][:20],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--web", type=Path, default=ROOT / "fixtures" / "web")
    ap.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA)
    ap.add_argument("--out", type=Path, default=MODEL_OUT)
    ap.add_argument("--scores", type=Path, default=SCORES_PATH)
    ap.add_argument("--corpus-out", type=Path, default=CORPUS_OUT, help="the featurised corpus for `discover train`")
    ap.add_argument("--no-eval", action="store_true", help="fit only (skip the held-out measurements)")
    args = ap.parse_args(argv)
    t0 = time.time()
    world = load_world(args.web) if (args.web / "labels.csv").is_file() else []
    real = load_realdata(args.realdata) if (args.realdata / "pages" / "page_types.csv").is_file() else []
    if not world and not real:
        print("no labelled pages found", file=sys.stderr)
        return 2
    for rows in (world, real):
        featurise(rows)
    print(f"featurised {len(world)} world + {len(real)} real pages in {time.time() - t0:.1f}s", file=sys.stderr)
    scores = {} if args.no_eval else evaluate(world, real)
    model = fit(world + real)
    data = {
        "world": {"path": str(args.web.relative_to(ROOT) if args.web.is_relative_to(ROOT) else args.web),
                  "pages": len(world), "labels": dict(Counter(r["label"] for r in world))},
        "realdata": {"path": str(args.realdata), "pages": len(real), "labels": dict(Counter(r["label"] for r in real))},
    }
    model["info"] = {"params": PARAMS, "data": data, "built": time.strftime("%Y-%m-%d")}
    model_bytes = json.dumps(model, separators=(",", ":")).encode("utf-8")
    args.out.write_bytes(model_bytes)
    T.save_corpus(args.corpus_out, [r["ex"] for r in world + real], model_bytes)
    report = {"params": PARAMS, "data": data, "scores": scores,
              "notes": "world: leave-hosts-out GroupKFold (5) and leave-one-niche-out; realdata: GroupKFold by "
                       "source host with all world pages in training. Final model fitted on all pages."}
    args.scores.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(scores, indent=2))
    print(f"wrote {args.out}, {args.corpus_out} and {args.scores} in {time.time() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
