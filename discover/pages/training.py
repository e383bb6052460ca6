"""Labelled pages, the page-type model's fitting, and its site-grouped evaluation.

    load_world_pages(dir)        labelled pages of a web world (labels.csv; `mail:` items are not pages)
    load_real_pages(...)         the real-page corpus: fixtures/realpages/manifest*.csv of the repository
                                 (plus DISCOVER_REALPAGES dirs) and <shared>/realdata/pages/page_types.csv
    featurise(pages)             every page through the tool's own extract() and features, once
    fit_model(rows)              logistic regression → the JSON artefact (models/page_type.json)
    calibrate(rows)              temperature from out-of-fold logits (sites held out), stored in the model
    site_folds / grouped_cv      k folds over sites: no site on both sides
    leave_one_world_out          train on every other world, test on one
    type_report(true, pred)      per-type precision / recall / F1, macro-F1, confusion matrix

Shared by models/build_page_type.py (which writes the artefact) and `discover eval --types`
(which measures it); one implementation of each step. scikit-learn is imported only here, when
fitting; classify() needs nothing but the JSON.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import os
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlsplit

from discover.errors import InputError
from discover.records import PROSPECT_TYPES, Extraction

#: The repository root (fixtures/, models/ live there in a checkout).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Fitting parameters; recorded in the artefact.
PARAMS: dict[str, Any] = {
    # Chosen on held-out sites over C in 0.005..0.3 (1,005 pages): grouped CV on the real corpus
    # rises from 0.713 at the old 0.3 to 0.73-0.77 at 0.05-0.01, and leave-one-world-out rises on
    # every world but `web`; 0.05 taken from that plateau (best there on web and web-other).
    # Stronger regularisation keeps the model off the tokens of the few sites a rare type has.
    "C": 0.05,
    "max_iter": 4000,
    "class_weight": "balanced",
    "tfidf_min_df": 2,
    "sublinear_tf": True,
    # The real web is the target: a synthetic world's page counts this much of a real one.
    "world_weight": 0.5,
    # A person's own correction (`discover train`) counts this much of a real page: a few of them
    # must be able to move a model regularised to resist the tokens of a few sites.
    "review_weight": 3.0,
    "calibration_folds": 4,
}


@dataclass
class LabelledPage:
    """One labelled page: its HTML, its type, and the site and world it comes from."""

    url: str
    label: str
    site: str                 # registrable domain: the unit a test fold holds out
    world: str                # "web", "web-holdout", "real", ...: the unit leave-one-world-out holds out
    html: str
    language: str = ""
    source: str = ""          # file the page was read from (for messages)
    note: str = ""


@dataclass
class Row:
    """A featurised labelled page: what the model reads (`ext` is None when read from the cache)."""

    page: LabelledPage
    ext: Extraction | None
    feats: dict[str, float]
    tokens: str
    why: dict[str, list[str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.page.label

    @property
    def site(self) -> str:
        return self.page.site

    @property
    def world(self) -> str:
        return self.page.world


# --- where the data lives ---------------------------------------------------------------------

def shared_dir() -> Path:
    """The shared data folder: $DISCOVER_SHARED, else `../shared` beside the repository."""
    env = os.environ.get("DISCOVER_SHARED", "").strip()
    return Path(env) if env else REPO_ROOT.parent / "shared"


def realpage_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Folders holding `manifest*.csv`: the repository's fixtures/realpages, $DISCOVER_REALPAGES
    (os.pathsep-separated) and `extra`; duplicates removed, missing ones skipped."""
    dirs = [REPO_ROOT / "fixtures" / "realpages"]
    dirs += [Path(p) for p in os.environ.get("DISCOVER_REALPAGES", "").split(os.pathsep) if p.strip()]
    dirs += [Path(p) for p in extra]
    out: list[Path] = []
    for d in dirs:
        r = d.resolve()
        if r.is_dir() and r not in out:
            out.append(r)
    return out


#: Worlds written to judge the tool, never to teach it: scored (leave-one-world-out), never trained on.
EVAL_ONLY_WORLDS = frozenset({"web-other"})


def default_worlds() -> list[Path]:
    return [p for p in (REPO_ROOT / "fixtures" / name for name in ("web", "web-holdout", "web-other"))
            if (p / "labels.csv").is_file()]


def trainable(rows: Iterable[Row]) -> list[Row]:
    """Rows a model may be fitted on (no evaluation-only world)."""
    return [r for r in rows if r.world not in EVAL_ONLY_WORLDS]


def _site_of(url: str, fallback: str) -> str:
    from discover.domains import registrable_domain

    return (registrable_domain(url) if url.startswith(("http://", "https://")) else "") or fallback


def _read_html(path: Path) -> str:
    from discover.html import decode_html

    name = path.name
    if name.endswith(".json.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return str(json.load(fh)["html"])
    data = gzip.open(path, "rb").read() if name.endswith(".gz") else path.read_bytes()
    html, _ = decode_html(data)
    return html


# --- loading ----------------------------------------------------------------------------------

def load_world_pages(web: str | Path, name: str | None = None) -> list[LabelledPage]:
    """Labelled pages of a web world, one per URL (a URL's type is the same in every niche)."""
    from discover.html import decode_html
    from discover.webworld.world import World

    web = Path(web)
    labels = web / "labels.csv"
    if not labels.is_file():
        raise InputError(f"no labels.csv in {web}", hint="a labelled web world has labels.csv (docs/web-dir.md)")
    world = World(web)
    types: dict[str, str] = {}
    with labels.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            url = (row.get("url") or "").strip()
            if url and not url.startswith("mail:") and (row.get("type") or "").strip() in PROSPECT_TYPES:
                types.setdefault(url, row["type"].strip())
    out = []
    for url, label in sorted(types.items()):
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname or ""
        resp = world.respond(host, path)
        hops = 0
        while resp is not None and 300 <= resp.status < 400 and resp.headers.get("Location") and hops < 5:
            nxt = urlsplit(resp.headers["Location"])
            host = nxt.hostname or host
            resp = world.respond(host, nxt.path or "/")
            hops += 1
        if resp is None or resp.status != 200:
            continue
        html, _ = decode_html(resp.body, resp.headers.get("Content-Type", ""))
        out.append(LabelledPage(url=url, label=label, site=_site_of(url, host), world=name or web.name,
                                html=html, source=str(labels)))
    return out


MANIFEST_FIELDS = ("file", "site", "url", "type", "language", "repo", "path", "commit", "licence", "note")


def read_manifest(path: Path) -> list[dict[str, str]]:
    """Rows of one realpages manifest (header checked: CORPUS.md's format)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [f for f in ("file", "site", "type") if f not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: manifest lacks column(s) {', '.join(missing)}",
                             hint="header: " + ",".join(MANIFEST_FIELDS))
        return [dict(r) for r in reader]


def load_real_pages(dirs: Sequence[str | Path] | None = None, shared: str | Path | None = None, *,
                    on_skip: Callable[[str], None] | None = None) -> list[LabelledPage]:
    """The real-page corpus: every manifest*.csv of `dirs` (default realpage_dirs()) plus the
    shared realdata page_types.csv. Rows with an unknown type or a missing file are skipped
    (reported to `on_skip`); a page listed twice (same file) counts once."""
    pages: list[LabelledPage] = []
    seen: set[Path] = set()
    skip = on_skip or (lambda msg: None)
    for d in (realpage_dirs() if dirs is None else [Path(x) for x in dirs]):
        for manifest in sorted(Path(d).glob("manifest*.csv")):
            for row in read_manifest(manifest):
                label = (row.get("type") or "").strip()
                f = (Path(d) / (row.get("file") or "")).resolve()
                if label not in PROSPECT_TYPES:
                    skip(f"{manifest.name}: {row.get('file')}: unknown type {label!r}")
                    continue
                if not f.is_relative_to(Path(d).resolve()):
                    skip(f"{manifest.name}: {row.get('file')}: outside {d}")
                    continue
                if not f.is_file():
                    skip(f"{manifest.name}: {row.get('file')}: file missing")
                    continue
                if f in seen:
                    continue
                seen.add(f)
                url = (row.get("url") or "").strip()
                site = (row.get("site") or "").strip().lower().removeprefix("www.") or _site_of(url, f.parent.name)
                pages.append(LabelledPage(url=url or f"http://{site}/{f.stem}", label=label, site=site,
                                          world="real", html=_read_html(f), language=(row.get("language") or "").strip(),
                                          source=str(f), note=(row.get("note") or "").strip()))
    base = Path(shared) if shared is not None else shared_dir()
    table = base / "realdata" / "pages" / "page_types.csv"
    if table.is_file():
        with table.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                label = (row.get("label") or "").strip()
                f = (table.parent.parent / (row.get("file") or "")).resolve()
                if label not in PROSPECT_TYPES or not f.is_file() or f in seen:
                    if f not in seen:
                        skip(f"page_types.csv: {row.get('file')}: {'file missing' if label in PROSPECT_TYPES else 'bad label'}")
                    continue
                seen.add(f)
                url = (row.get("url") or "").strip()
                pages.append(LabelledPage(url=url, label=label, site=_site_of(url, f.name), world="real",
                                          html=_read_html(f), source=str(f), note=(row.get("label_source") or "")))
    return pages


# --- features ---------------------------------------------------------------------------------

def _featurise_one(page: LabelledPage) -> tuple[Extraction, dict[str, float], str, dict[str, list[str]]]:
    from discover.pages.classify import model_inputs
    from discover.pages.extract import extract
    from discover.records import FetchOutcome, FetchResult

    res = FetchResult(url=page.url, final_url=page.url, outcome=FetchOutcome.OK, status=200, html=page.html)
    ext = extract(res)
    feats, tokens, why = model_inputs(ext, page.html, with_evidence=True)
    return ext, feats, tokens, why


#: Features of every labelled page as of the last model build: the fast path of the evaluation
#: (tests, `discover eval --types`). Used only while its fingerprint matches the code.
FEATURE_CACHE = REPO_ROOT / "models" / "page_type_features.json.gz"
_FINGERPRINT_FILES = ("features.py", "classify.py", "extract.py", "contacts.py")


def code_fingerprint() -> str:
    """Hash of the code that turns HTML into model inputs (and the extractor's version)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _FINGERPRINT_FILES:
        h.update((here / name).read_bytes())
    for pkg in ("trafilatura", "lxml"):
        try:
            h.update(version(pkg).encode())
        except PackageNotFoundError:
            pass
    return h.hexdigest()[:20]


def page_key(page: LabelledPage) -> str:
    import hashlib

    return hashlib.sha256((page.url + "\0" + page.html).encode("utf-8", "replace")).hexdigest()[:24]


def save_feature_cache(rows: Sequence[Row], path: Path = FEATURE_CACHE) -> None:
    data = {"format": "discover-page-features/1", "fingerprint": code_fingerprint(),
            "names": sorted({n for r in rows for n in r.feats}),
            "pages": {page_key(r.page): {"f": {k: round(v, 6) for k, v in r.feats.items() if v},
                                         "t": r.tokens} for r in rows}}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(data, fh, separators=(",", ":"), sort_keys=True)


def _load_feature_cache(path: Path) -> dict[str, dict[str, Any]]:
    """Cached inputs by page key, or {} when the cache is missing, unreadable or stale."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError, EOFError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != code_fingerprint():
        return {}
    pages, names = data.get("pages"), data.get("names")
    if not isinstance(pages, dict) or not isinstance(names, list):
        return {}
    for entry in pages.values():
        if isinstance(entry, dict) and isinstance(entry.get("f"), dict):
            entry["f"] = {**dict.fromkeys(names, 0.0), **entry["f"]}
    return pages


def featurise(pages: Sequence[LabelledPage], jobs: int | None = None,
              on_progress: Callable[[int, int], None] | None = None, cache: Path | None = None) -> list[Row]:
    """Every page through extract() and the classifier's inputs (in `jobs` processes).

    With `cache` (a feature cache written by the same code), pages found there are not re-read;
    their rows carry no Extraction and no evidence lines."""
    jobs = jobs if jobs is not None else min(4, os.cpu_count() or 1)
    cached = _load_feature_cache(cache) if cache is not None else {}
    out: list[Row | None] = [None] * len(pages)
    todo: list[int] = []
    for i, page in enumerate(pages):
        hit = cached.get(page_key(page))
        if isinstance(hit, dict) and isinstance(hit.get("f"), dict):
            out[i] = Row(page, None, {str(k): float(v) for k, v in hit["f"].items()}, str(hit.get("t", "")))
        else:
            todo.append(i)
    done = len(pages) - len(todo)
    if on_progress and done:
        on_progress(done, len(pages))
    if jobs > 1 and len(todo) > 40 and sys.platform != "win32":
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
            results = pool.map(_featurise_one, [pages[i] for i in todo], chunksize=4)
            for n, (i, res) in enumerate(zip(todo, results), done + 1):
                out[i] = Row(pages[i], *res)
                if on_progress:
                    on_progress(n, len(pages))
    else:
        for n, i in enumerate(todo, done + 1):
            out[i] = Row(pages[i], *_featurise_one(pages[i]))
            if on_progress:
                on_progress(n, len(pages))
    return [r for r in out if r is not None]


# --- fitting ----------------------------------------------------------------------------------

#: The world of a page whose type a person set in `discover review` (weighed by review_weight).
REVIEWED = "review"


def _weights(rows: Sequence[Row], params: dict[str, Any]) -> list[float]:
    def weight(world: str) -> float:
        if world == "real":
            return 1.0
        return float(params["review_weight"]) if world == REVIEWED else float(params["world_weight"])

    return [weight(r.world) for r in rows]


def fit_model(rows: Sequence[Row], params: dict[str, Any] | None = None, *, calibrate_folds: int | None = None
              ) -> dict[str, Any]:
    """Fit the model on `rows` and return the JSON artefact (a dict).

    With `calibrate_folds` (default PARAMS['calibration_folds']; 0 = none) a temperature is fitted
    on out-of-fold logits of these rows, folds by site, so the stored probabilities mean what they say.
    """
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from discover.pages.classify import MODEL_FORMAT, TOKEN_PATTERN

    params = {**PARAMS, **(params or {})}
    names = sorted({n for r in rows for n in r.feats})
    dense = np.array([[r.feats.get(n, 0.0) for n in names] for r in rows], dtype=float)
    scaler = StandardScaler().fit(dense)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    vec = TfidfVectorizer(min_df=params["tfidf_min_df"], sublinear_tf=params["sublinear_tf"],
                          token_pattern=TOKEN_PATTERN, lowercase=True)
    try:
        tfidf = vec.fit_transform([r.tokens for r in rows])
        vocab = {k: int(v) for k, v in vec.vocabulary_.items()}
        idf = [float(v) for v in vec.idf_]
    except ValueError:   # no token reaches min_df (tiny training sets)
        tfidf = sparse.csr_matrix((len(rows), 0))
        vocab, idf = {}, []
    x = sparse.hstack([sparse.csr_matrix((dense - scaler.mean_) / scale), tfidf]).tocsr()
    y = [r.label for r in rows]
    clf = LogisticRegression(C=params["C"], max_iter=params["max_iter"], class_weight=params["class_weight"])
    from threadpoolctl import threadpool_limits

    # A small problem: BLAS threads only contend (100x slower on a busy 2-core machine).
    with threadpool_limits(1):
        clf.fit(x, y, sample_weight=_weights(rows, params))
    classes = [str(c) for c in clf.classes_]
    coef, intercept = clf.coef_, clf.intercept_
    if len(classes) == 2:   # binary LR stores one row; expand so every class has its own
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    model = {
        "format": MODEL_FORMAT,
        "classes": classes,
        "feature_names": names,
        "mean": [float(v) for v in scaler.mean_],
        "scale": [float(v) for v in scale],
        "vocab": vocab,
        "idf": idf,
        "coef": [[round(float(v), 6) for v in row] for row in coef],
        "intercept": [float(v) for v in intercept],
        "temperature": 1.0,
    }
    folds = params["calibration_folds"] if calibrate_folds is None else calibrate_folds
    if folds and len({r.site for r in rows}) >= folds:
        model["temperature"] = calibrate(rows, params, folds)
    return model


def _logits(model: dict[str, Any], rows: Sequence[Row]) -> list[list[float]]:
    from discover.pages.classify import PageTypeModel

    m = PageTypeModel.from_dict(model)
    return [m.logits(r.feats, r.tokens) for r in rows]


def calibrate(rows: Sequence[Row], params: dict[str, Any], folds: int) -> float:
    """Temperature T minimising the log-loss of out-of-fold softmax(logits / T) (sites held out).

    One scalar: it keeps the argmax (the label) and only makes the probabilities honest, which
    the `uncertain` mark and the score's type fit rely on."""
    logits: list[list[float]] = []
    truth: list[int] = []
    classes = sorted({r.label for r in rows})
    for train, test in site_folds(rows, folds):
        tr = [rows[i] for i in train]
        if len({r.label for r in tr}) < 2:
            continue
        m = fit_model(tr, params, calibrate_folds=0)
        for r, z in zip((rows[i] for i in test), _logits(m, [rows[i] for i in test])):
            full = [-1e9] * len(classes)
            for c, v in zip(m["classes"], z):
                full[classes.index(c)] = v
            logits.append(full)
            truth.append(classes.index(r.label))
    if not logits:
        return 1.0

    def nll(t: float) -> float:
        total = 0.0
        for z, y in zip(logits, truth):
            s = [v / t for v in z]
            top = max(s)
            total += top + math.log(sum(math.exp(v - top) for v in s)) - s[y]
        return total / len(logits)

    from scipy.optimize import minimize_scalar

    res = minimize_scalar(nll, bounds=(0.2, 10.0), method="bounded", options={"xatol": 1e-3})
    return round(float(res.x), 4)


def predict_rows(model: dict[str, Any], rows: Sequence[Row]) -> list[Any]:
    """The classifier's decision (a Classification) for each featurised row, as classify() makes it."""
    from discover.pages.classify import PageTypeModel, decide

    m = PageTypeModel.from_dict(model)
    return [decide(m, r.feats, r.tokens, r.why) for r in rows]


# --- evaluation -------------------------------------------------------------------------------

def site_folds(rows: Sequence[Row], k: int) -> list[tuple[list[int], list[int]]]:
    """k folds over sites, balanced by pages; deterministic. No site is on both sides."""
    sizes = Counter(r.site for r in rows)
    k = max(2, min(k, len(sizes)))
    buckets: list[set[str]] = [set() for _ in range(k)]
    load = [0] * k
    for g, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = load.index(min(load))
        buckets[i].add(g)
        load[i] += n
    folds = []
    for b in buckets:
        test = [i for i, r in enumerate(rows) if r.site in b]
        train = [i for i, r in enumerate(rows) if r.site not in b]
        if test and train:
            folds.append((train, test))
    return folds


def grouped_cv(rows: Sequence[Row], k: int = 5, *, extra_train: Sequence[Row] = (),
               params: dict[str, Any] | None = None, calibrate_folds: int = 0) -> list[Any]:
    """Out-of-fold Classifications of `rows` (k folds by site; `extra_train` always in training,
    minus any page of a test site, so no site is ever on both sides)."""
    preds: list[Any] = [None] * len(rows)
    for train, test in site_folds(rows, k):
        test_sites = {rows[i].site for i in test}
        tr = trainable([rows[i] for i in train] + [r for r in extra_train if r.site not in test_sites])
        model = fit_model(tr, params, calibrate_folds=calibrate_folds)
        for i, c in zip(test, predict_rows(model, [rows[i] for i in test])):
            preds[i] = c
    return preds


def leave_one_world_out(rows: Sequence[Row], params: dict[str, Any] | None = None,
                        calibrate_folds: int = 0) -> dict[str, list[Any]]:
    """For each world: Classifications of its pages by a model fitted on the other worlds only
    (and without any page of the held-out world's sites; evaluation-only worlds never train)."""
    out: dict[str, list[Any]] = {}
    for world in sorted({r.world for r in rows}):
        test = [r for r in rows if r.world == world]
        sites = {r.site for r in test}
        train = trainable(r for r in rows if r.world != world and r.site not in sites)
        if len({r.label for r in train}) < 2:
            continue
        model = fit_model(train, params, calibrate_folds=calibrate_folds)
        out[world] = predict_rows(model, test)
    return out


def type_report(true: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-type precision / recall / F1 / support, macro-F1 (over types present in `true`),
    accuracy and the confusion matrix (rows: true type, columns: predicted type)."""
    if len(true) != len(pred):
        raise ValueError("true and pred differ in length")
    present = sorted(set(true))
    cols = list(labels) if labels is not None else [t for t in PROSPECT_TYPES if t in set(true) | set(pred)]
    per: dict[str, dict[str, float]] = {}
    for c in present:
        tp = sum(1 for t, p in zip(true, pred) if t == c and p == c)
        fp = sum(1 for t, p in zip(true, pred) if t != c and p == c)
        fn = sum(1 for t, p in zip(true, pred) if t == c and p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        per[c] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
                  "support": tp + fn}
    matrix = {t: {p: 0 for p in cols} for t in cols if t in present}
    for t, p in zip(true, pred):
        if t in matrix and p in matrix[t]:
            matrix[t][p] += 1
    return {
        "pages": len(true),
        "accuracy": round(sum(t == p for t, p in zip(true, pred)) / len(true), 4) if true else 0.0,
        "macro_f1": round(sum(v["f1"] for v in per.values()) / len(per), 4) if per else 0.0,
        "per_type": per,
        "labels": cols,
        "confusion": matrix,
    }


def uncertainty_summary(rows: Sequence[Row], preds: Sequence[Any]) -> dict[str, Any]:
    """How often pages are marked uncertain and how right the certain and uncertain ones are."""
    unc = [(r, p) for r, p in zip(rows, preds) if p.uncertain]
    sure = [(r, p) for r, p in zip(rows, preds) if not p.uncertain]

    def acc(pairs: list) -> float | None:
        return round(sum(r.label == p.type for r, p in pairs) / len(pairs), 4) if pairs else None

    return {"uncertain": len(unc), "accuracy_certain": acc(sure), "accuracy_uncertain": acc(unc),
            # an uncertain page whose runner-up is the right type: the mark did its job
            "uncertain_right_in_top2": sum(1 for r, p in unc if r.label in (p.type, p.runner_up))}


def errors(rows: Sequence[Row], preds: Sequence[Any], limit: int = 40) -> list[str]:
    out = []
    for r, p in zip(rows, preds):
        if p.type != r.label:
            out.append(f"{r.page.url} [{r.site}]: {r.label} -> {p.type}"
                       + (f" (uncertain, {p.runner_up} second)" if p.uncertain else ""))
    return out[:limit]


def corpus_summary(pages: Sequence[LabelledPage]) -> dict[str, Any]:
    by_type: dict[str, set[str]] = defaultdict(set)
    for p in pages:
        by_type[p.label].add(p.site)
    return {
        "pages": len(pages),
        "sites": len({p.site for p in pages}),
        "pages_by_type": dict(sorted(Counter(p.label for p in pages).items())),
        "sites_by_type": {t: len(s) for t, s in sorted(by_type.items())},
        "languages": dict(Counter(p.language or "?" for p in pages).most_common()),
    }
