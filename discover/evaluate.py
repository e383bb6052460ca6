"""Measure the ranking against a web world's labels.csv.

    metric functions (pure):   ndcg_at_k, precision_at_k, recall_at_k, macro_f1, expected_tier
    one niche:                 evaluate_ranking(prospects, labels, niche, geo, candidates=...)
    a whole world:             await evaluate_world(settings, web, niches=None)  (runs the full pipeline)

Conventions (written down because the numbers depend on them):
- gains are exponential in the label's relevance, 2^rel − 1 (3 → 7, 2 → 3, 1 → 1, 0 → 0);
  unlabeled pages gain 0; the ideal DCG sorts *all* labelled pages of the niche;
- precision@k divides by k (a short list is penalised); "relevant" means relevance ≥ 2;
- recall@k is over relevance-3 pages; with none labelled it is 1.0 (nothing to miss);
- URLs are compared by `discover.urls.FOR_EVAL`: without scheme, "www.", fragment, trailing slash
  or ".html" (one page, several URLs: docs/web-dir.md).
"""

from __future__ import annotations

import csv
import math
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from discover.errors import InputError, WebWorldError
from discover.records import WANTED_TYPES, Candidate, FetchOutcome, GeoTier, Prospect
from discover.urls import FOR_EVAL, url_key

if TYPE_CHECKING:
    from discover.settings import Settings


@dataclass(frozen=True)
class Label:
    url: str
    niche: str
    type: str
    relevance: int
    geo: str = ""


# --- metrics ---------------------------------------------------------------------------------------

def _gain(rel: float) -> float:
    return 2.0 ** rel - 1.0


def dcg(gains: Sequence[float]) -> float:
    return sum(_gain(g) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked_urls: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """nDCG@k with graded relevance `gains` (url → relevance label); unknown URLs gain 0."""
    ideal = dcg(sorted(gains.values(), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg([gains.get(u, 0.0) for u in ranked_urls[:k]]) / ideal


def precision_at_k(ranked_urls: Sequence[str], relevant: Iterable[str], k: int) -> float:
    rel = set(relevant)
    return sum(1 for u in ranked_urls[:k] if u in rel) / k if k > 0 else 0.0


def _ndcg_sites(keys: Sequence[str], got: Mapping[str, float], ideal: Mapping[str, float], k: int) -> float:
    best = dcg(sorted(ideal.values(), reverse=True)[:k])
    return dcg([got.get(key, 0.0) for key in keys[:k]]) / best if best > 0 else 0.0


def recall_at_k(ranked_urls: Sequence[str], relevant: Iterable[str], k: int) -> float:
    rel = set(relevant)
    if not rel:
        return 1.0
    return len(rel & set(ranked_urls[:k])) / len(rel)


def macro_f1(true: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> float:
    """Unweighted mean of per-class F1 over the classes present in `true` (or `labels`)."""
    if len(true) != len(pred):
        raise ValueError("true and pred differ in length")
    if not true:
        return 0.0
    classes = list(labels) if labels is not None else sorted(set(true))
    f1s = []
    for c in classes:
        tp = sum(1 for t, p in zip(true, pred) if t == c and p == c)
        fp = sum(1 for t, p in zip(true, pred) if t != c and p == c)
        fn = sum(1 for t, p in zip(true, pred) if t == c and p != c)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s)


def expected_tier(label_geo: str, target_geo: str, nearby_km: float = 60.0) -> set[GeoTier]:
    """The geo tiers that count as right for a page labelled `label_geo` in a run for `target_geo`."""
    if not target_geo:
        return {GeoTier.UNKNOWN}
    if not label_geo.strip():
        # a page that is not about a place: "unknown" (or only its country known) is right
        return {GeoTier.UNKNOWN, GeoTier.SAME_COUNTRY}
    from discover.rank.geo import _tier, parse_place

    target = parse_place(target_geo)
    try:
        place = parse_place(label_geo)
    except InputError:
        return {GeoTier.UNKNOWN}
    if label_geo.strip().lower() == target_geo.strip().lower():
        return {GeoTier.SAME_CITY}
    tier, _ = _tier(target, place, nearby_km)
    return {tier}


# --- one niche -------------------------------------------------------------------------------------

def load_labels(path: str | Path) -> list[Label]:
    path = Path(path)
    if not path.exists():
        raise WebWorldError(f"no labels.csv in {path.parent}", hint="eval needs a labelled world (docs/web-dir.md)")
    out = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if not (row.get("url") or "").strip() or not (row.get("niche") or "").strip():
                    raise WebWorldError(f"{path}: line {n} has no url or niche",
                                        hint="header: url,niche,type,relevance,geo (docs/web-dir.md)")
                try:
                    rel = int(float(row.get("relevance") or 0))
                except ValueError:
                    raise WebWorldError(f"{path}: bad relevance {row.get('relevance')!r} for {row.get('url')}") from None
                out.append(Label(url=row["url"].strip(), niche=row["niche"].strip(),
                                 type=(row.get("type") or "").strip(), relevance=rel,
                                 geo=(row.get("geo") or "").strip()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise WebWorldError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}",
                            hint="labels.csv is UTF-8 CSV (docs/web-dir.md)") from None
    return out


def _site(key: str) -> str:
    """The host of a FOR_EVAL key."""
    return key.split("/", 1)[0]


def evaluate_ranking(ranked: Sequence[Prospect], labels: Sequence[Label], niche: str, geo: str = "", *,
                     candidates: Sequence[Candidate] = (), nearby_km: float = 60.0) -> dict[str, Any]:
    """Metrics of one run's ranked prospects against the niche's labels.

    The tool lists one prospect per site (its best page, the others attached), so the headline
    metrics are per site: a prospect gains the best label among its pages, and the ideal ranking
    sorts each labelled site's best label. `ndcg@20_pages` is the strict page-level variant
    (ideal from every labelled page), which one-prospect-per-site output cannot reach.
    """
    mine = [lb for lb in labels if lb.niche == niche and not lb.url.startswith("mail:")]
    gains = {url_key(lb.url, FOR_EVAL): float(lb.relevance) for lb in mine}
    site_gain: dict[str, float] = {}
    for u, g in gains.items():
        site_gain[_site(u)] = max(g, site_gain.get(_site(u), 0.0))
    keys = [_site(url_key(p.url, FOR_EVAL)) for p in ranked]
    prospect_gain = {}
    for p, key in zip(ranked, keys):
        pages = [url_key(p.url, FOR_EVAL)] + [url_key(u, FOR_EVAL) for u in p.other_urls]
        prospect_gain[key] = max(gains.get(u, 0.0) for u in pages)
    good = {k for k, g in prospect_gain.items() if g >= 2}
    ideal_sites = {k for k, g in site_gain.items() if g >= 3}
    found3 = {k for k, g in prospect_gain.items() if g >= 3}
    urls = [url_key(p.url, FOR_EVAL) for p in ranked]
    out: dict[str, Any] = {
        "niche": niche, "geo": geo, "prospects": len(ranked), "labelled": len(mine),
        "labelled_sites": len(site_gain),
        "ndcg@10": round(_ndcg_sites(keys, prospect_gain, site_gain, 10), 4),
        "ndcg@20": round(_ndcg_sites(keys, prospect_gain, site_gain, 20), 4),
        "ndcg@20_pages": round(ndcg_at_k(urls, gains, 20), 4),
        "p@10": round(precision_at_k(keys, good, 10), 4),
        "recall3@20": round(recall_at_k([k for k in keys[:20] if k in found3], ideal_sites, 20), 4),
        "unlabelled_in_top10": sum(1 for k in keys[:10] if k not in site_gain),
    }
    by_url = {url_key(lb.url, FOR_EVAL): lb for lb in mine}
    true_t, pred_t = [], []
    geo_ok = geo_n = 0
    labelled = [c for c in candidates if (lb := by_url.get(url_key(c.url, FOR_EVAL))) is not None and lb.type]
    for c in labelled:
        true_t.append(by_url[url_key(c.url, FOR_EVAL)].type)
        pred_t.append(c.classification.type)
    if geo and candidates:
        from discover.rank.geo import parse_place
        from discover.rank.score import candidate_geo

        # site evidence is shared between pages, so the geo of all candidates is computed together
        matches = candidate_geo(candidates, parse_place(geo), nearby_km)
        for c, m in zip(candidates, matches):
            lb = by_url.get(url_key(c.url, FOR_EVAL))
            if lb is None:
                continue
            geo_n += 1
            geo_ok += m.tier in expected_tier(lb.geo, geo, nearby_km)
    out["typed"] = len(true_t)
    out["type_f1"] = round(macro_f1(true_t, pred_t), 4) if true_t else None
    out["geo_checked"] = geo_n
    out["geo_acc"] = round(geo_ok / geo_n, 4) if geo_n else None
    return out


# --- a whole world ---------------------------------------------------------------------------------

def niche_requests(world: str | Path, labels: Sequence[Label] | None = None) -> list[tuple[str, str]]:
    """(keyword, geo) for every niche labels.csv judges: from queries.toml, else inferred."""
    root = Path(world)
    labels = list(labels) if labels is not None else load_labels(root / "labels.csv")
    niches = list(dict.fromkeys(lb.niche for lb in labels))
    given: dict[str, str] = {}
    qpath = root / "queries.toml"
    if qpath.exists():
        try:
            data = tomllib.loads(qpath.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise WebWorldError(f"cannot read {qpath}: {exc}") from None
        for entry in data.get("niche", []):
            if entry.get("keyword"):
                given[str(entry["keyword"])] = str(entry.get("geo", ""))
    out = []
    for n in niches:
        if n in given:
            out.append((n, given[n]))
            continue
        geos = Counter(lb.geo for lb in labels if lb.niche == n and lb.relevance >= 3 and lb.geo)
        out.append((n, geos.most_common(1)[0][0] if geos else ""))
    return out


def _macro(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


METRICS = ("ndcg@10", "ndcg@20", "p@10", "recall3@20", "type_f1", "geo_acc")


async def evaluate_world(settings: "Settings", web: str | Path, niches: Sequence[str] | None = None,
                         on_progress: Any = None) -> dict[str, Any]:
    """Run the full pipeline for each labelled niche of `web` and score the rankings."""
    from discover.pipeline import RunRequest, run_discovery
    from discover.runtime import Runtime

    root = Path(web)
    labels = load_labels(root / "labels.csv")
    pairs = niche_requests(root, labels)
    if niches:
        unknown = [n for n in niches if n not in {p[0] for p in pairs}]
        if unknown:
            raise InputError(f"niche {unknown[0]!r} is not labelled in {root / 'labels.csv'}",
                             hint="niches: " + ", ".join(p[0] for p in pairs))
        pairs = [p for p in pairs if p[0] in niches]
    settings = settings.replace(web=str(root))
    rows = []
    for keyword, geo in pairs:
        started = time.monotonic()
        async with Runtime(settings) as runtime:
            result = await run_discovery(runtime, RunRequest(keyword=keyword, geo=geo), on_progress=on_progress)
        row = evaluate_ranking(result.prospects, labels, keyword, geo, candidates=result.candidates,
                               nearby_km=settings.nearby_km)
        row["elapsed_s"] = round(time.monotonic() - started, 1)
        row["top10"] = [p.url for p in result.prospects[:10]]
        row.update(evaluate_mail(root, labels, keyword, geo, settings))
        rows.append(row)
    macro = {m: _macro(rows, m) for m in METRICS}
    if any(r.get("haro_p@5") is not None for r in rows):
        macro["haro_p@5"] = _macro(rows, "haro_p@5")
    return {"world": str(root), "niches": rows, "macro": macro}


def evaluate_mail(root: Path, labels: Sequence[Label], niche: str, geo: str, settings: "Settings") -> dict[str, Any]:
    """Journalist queries of the world's mail/ digests matched to the niche: precision of the top
    matches against the `mail:` labels (top 5, or fewer when fewer queries are relevant)."""
    mail = root / "mail"
    gains = {lb.url: lb.relevance for lb in labels if lb.niche == niche and lb.url.startswith("mail:")}
    if not mail.is_dir() or not gains:
        return {}
    from discover.haro.mail import read_mail
    from discover.haro.match import match_queries

    # A labelled world is a snapshot: its deadlines are judged as of the digests' own dates.
    batch = read_mail(mail, include_expired=True)
    matched = [m for m in match_queries(batch.queries, niche, geo=geo or None, settings=settings) if m.matched]
    relevant = sum(1 for g in gains.values() if g >= 2)
    k = min(5, relevant)
    top = [f"mail:{m.query.source}" for m in matched[:k]]
    return {"haro_queries": len(batch.queries),
            "haro_p@5": round(sum(1 for u in top if gains.get(u, 0) >= 2) / k, 4) if k else None}


def check_floors(report: Mapping[str, Any], floors: Mapping[str, Any]) -> list[str]:
    """Failures of `report` against the floors file's {"macro": {...}, "niches": {name: {...}}}."""
    problems = []
    for metric, floor in (floors.get("macro") or {}).items():
        got = (report.get("macro") or {}).get(metric)
        if got is None or got + 1e-9 < float(floor):
            problems.append(f"macro {metric} = {got} < floor {floor}")
    per = {r["niche"]: r for r in report.get("niches", [])}
    for niche, mfloors in (floors.get("niches") or {}).items():
        row = per.get(niche)
        if row is None:
            continue   # not evaluated this time (eval --niche ...)
        for metric, floor in mfloors.items():
            got = row.get(metric) if row else None
            if got is None or got + 1e-9 < float(floor):
                problems.append(f"{niche} {metric} = {got} < floor {floor}")
    return problems



def world_candidates(web: str | Path) -> list[Candidate]:
    """Every HTML page of a world, extracted and classified, as if search had found them all.

    Used by `discover eval --ranking-only`: it measures ranking alone, apart from search recall
    and fetch behaviour (no server, no browser).
    """
    from discover.pages.classify import classify
    from discover.domains import registrable_domain
    from discover.pages.extract import extract
    from discover.records import FetchResult

    root = Path(web)
    cands = []
    for f in sorted((root / "sites").glob("*/**/*.html")):
        host = f.relative_to(root / "sites").parts[0]
        rel = f.relative_to(root / "sites" / host).as_posix()
        path = "/" if rel == "index.html" else "/" + rel.removesuffix("index.html")
        url = f"http://{host}{path}"
        html = f.read_text(encoding="utf-8", errors="replace")
        fr = FetchResult(url=url, final_url=url, outcome=FetchOutcome.OK, status=200, content_type="text/html",
                         html=html)
        ex = extract(fr)
        cands.append(Candidate(url=url, domain=registrable_domain(url), extraction=ex,
                               classification=classify(ex, html), html=html))
    return cands


def evaluate_ranking_only(settings: "Settings", web: str | Path, niches: Sequence[str] | None = None,
                          candidates: Sequence[Candidate] | None = None) -> dict[str, Any]:
    """Score every page of the world per niche (no search) and report the same metrics."""
    from discover.outreach.policy import Policy
    from discover.outreach.prospects import build_prospects
    from discover.rank.geo import parse_place
    from discover.rank.score import score_candidates

    root = Path(web)
    labels = load_labels(root / "labels.csv")
    pairs = niche_requests(root, labels)
    unknown = [n for n in niches or () if n not in {p[0] for p in pairs}]
    if unknown:
        raise InputError(f"niche {unknown[0]!r} is not labelled in {root / 'labels.csv'}",
                         hint="niches: " + ", ".join(p[0] for p in pairs))
    pairs = [p for p in pairs if not niches or p[0] in niches]
    cands = list(candidates) if candidates is not None else world_candidates(root)
    rows = []
    for keyword, geo in pairs:
        target = parse_place(geo) if geo else None
        scores = score_candidates(cands, keyword=keyword, target=target, types=WANTED_TYPES, settings=settings)
        # What a run without a database would show (spam hidden).
        prospects = Policy().visible(build_prospects(cands, scores, keyword=keyword, geo=geo))
        row = evaluate_ranking(prospects, labels, keyword, geo, candidates=cands, nearby_km=settings.nearby_km)
        row["top10"] = [f"{p.url} {p.score:.3f}" for p in prospects[:10]]
        rows.append(row)
    return {"world": str(root), "mode": "ranking-only", "niches": rows,
            "macro": {m: _macro(rows, m) for m in METRICS}}


# --- page types --------------------------------------------------------------------------------

def page_type_report(rows: Sequence[Any], folds: int = 5) -> dict[str, Any]:
    """Page-type figures that never score a page with a model that saw its site.

    grouped_cv  k folds over the real corpus's sites; each fold's model is fitted on the other
                real sites plus every world page (minus any of the test sites);
    lowo        leave-one-world-out: each world (web worlds and the real corpus) scored by a
                model fitted on the other worlds only.
    Rows are featurised pages (discover/pages/training.featurise).
    """
    from discover.pages import training

    real = [r for r in rows if r.world == "real"]
    others = [r for r in rows if r.world != "real"]
    out: dict[str, Any] = {"data": {
        "real": training.corpus_summary([r.page for r in real]),
        "worlds": dict(Counter(r.world for r in others)),
    }}
    if real:
        preds = training.grouped_cv(real, folds, extra_train=others)
        rep = training.type_report([r.label for r in real], [p.type for p in preds])
        rep["folds"] = len(training.site_folds(real, folds))
        rep["sites"] = len({r.site for r in real})
        rep["uncertainty"] = training.uncertainty_summary(real, preds)
        rep["errors"] = training.errors(real, preds)
        out["grouped_cv"] = rep
    per_world: dict[str, Any] = {}
    true_all: list[str] = []
    pred_all: list[str] = []
    for world, preds in training.leave_one_world_out(rows).items():
        test = [r for r in rows if r.world == world]
        rep = training.type_report([r.label for r in test], [p.type for p in preds])
        rep["uncertainty"] = training.uncertainty_summary(test, preds)
        rep["errors"] = training.errors(test, preds, limit=15)
        per_world[world] = rep
        true_all += [r.label for r in test]
        pred_all += [p.type for p in preds]
    if per_world:
        pooled = training.type_report(true_all, pred_all)
        out["lowo"] = {"per_world": per_world, "pooled_macro_f1": pooled["macro_f1"],
                       "mean_macro_f1": round(sum(r["macro_f1"] for r in per_world.values()) / len(per_world), 4)}
    return out


def evaluate_page_types(worlds: Sequence[str | Path] | None = None, realpages: Sequence[str | Path] = (),
                        shared: str | Path | None = None, folds: int = 5, jobs: int | None = None,
                        on_progress: Any = None, fresh: bool = False) -> dict[str, Any]:
    """Load the labelled worlds and the real-page corpus, featurise them and report page-type figures.

    Pages whose inputs are in the model build's feature cache (same code) are not re-read unless
    `fresh`."""
    from discover.pages import training

    world_dirs = [Path(w) for w in worlds] if worlds else training.default_worlds()
    pages = []
    for w in world_dirs:
        if not (w / "labels.csv").is_file():
            raise InputError(f"no labels.csv in {w}", hint="--world takes a labelled web directory (docs/web-dir.md)")
        pages += training.load_world_pages(w, w.name)
    skipped: list[str] = []
    real = training.load_real_pages(training.realpage_dirs(realpages), shared, on_skip=skipped.append)
    if not real and not pages:
        raise InputError("no labelled pages to evaluate", hint="fixtures/realpages/manifest*.csv, "
                         "../shared/realdata (DISCOVER_SHARED) or --world DIR")
    rows = training.featurise(pages + real, jobs=jobs, on_progress=on_progress,
                              cache=None if fresh else training.FEATURE_CACHE)
    report = page_type_report(rows, folds=folds)
    report["skipped"] = skipped
    return report


def check_type_floors(report: Mapping[str, Any], floors: Mapping[str, Any]) -> list[str]:
    """Failures of a page-type report against {"grouped_cv": {"macro_f1": x}, "lowo": {world: x}}."""
    problems = []
    for metric, floor in (floors.get("grouped_cv") or {}).items():
        got = (report.get("grouped_cv") or {}).get(metric)
        if got is None or got + 1e-9 < float(floor):
            problems.append(f"grouped_cv {metric} = {got} < floor {floor}")
    per = (report.get("lowo") or {}).get("per_world", {})
    for world, floor in (floors.get("lowo") or {}).items():
        if world in ("pooled_macro_f1", "mean_macro_f1"):
            got = (report.get("lowo") or {}).get(world)
        else:
            got = (per.get(world) or {}).get("macro_f1")
        if got is None or got + 1e-9 < float(floor):
            problems.append(f"lowo {world} macro_f1 = {got} < floor {floor}")
    return problems
