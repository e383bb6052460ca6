"""Fit the page-type model: one implementation for the shipped model (models/build_page_type.py)
and the user's own (`discover train`, discover/review/learn.py).

The bundled corpus ships inside the package already featurised (`page_type_corpus.json.gz`,
written by models/build_page_type.py together with the shipped model it was fitted into), so
training needs neither the repository's fixtures nor minutes of extraction. A page the user
corrected goes through the same `example()` as every corpus page. Folds are grouped by site:
no site is in both the training and the test part of a fold.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from discover.errors import ModelError
from discover.records import PROSPECT_TYPES

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from discover.settings import Settings

PARAMS: dict[str, Any] = {"C": 2.0, "max_iter": 3000, "class_weight": "balanced", "tfidf_min_df": 2, "sublinear_tf": True,
          "realdata_weight_cap": 3.0}
CORPUS_PATH: "Traversable" = resources.files("discover") / "data" / "models" / "page_type_corpus.json.gz"
CORPUS_FORMAT = "discover-page-type-corpus/1"
#: Sources other than the world are real pages: weighted up so the world's pages do not drown them.
WORLD = "world"
USER = "user"
_TOKEN = re.compile(r"(?u)\b\w\w+\b")   # as classify.PageTypeModel and TfidfVectorizer


@dataclass
class Example:
    """One labelled page as the model reads it."""

    url: str
    label: str
    group: str                    # the site (registrable domain): folds never split one
    source: str                   # world | realdata | user | ...
    feats: dict[str, float]
    tokens: str
    vetoed: list[str] = field(default_factory=list)
    niche: str = ""


def site_of(url_or_host: str) -> str:
    from discover.domains import registrable_domain

    return registrable_domain(url_or_host) or url_or_host


def example(url: str, html: str, label: str, *, source: str, group: str = "", niche: str = "") -> Example:
    """A page through the tool's own extract() and classify inputs: what the pipeline sees."""
    from discover.pages.classify import VETO, model_inputs, rule_scores
    from discover.pages.extract import extract
    from discover.records import FetchOutcome, FetchResult

    ext = extract(FetchResult(url=url, final_url=url, outcome=FetchOutcome.OK, html=html))
    feats, tokens = model_inputs(ext, html)
    _scores, why = rule_scores(ext, html, feats)
    return Example(url=url, label=label, group=group or site_of(url), source=source, feats=feats, tokens=tokens,
                   vetoed=list(why[VETO]), niche=niche)


# --- fitting and predicting ------------------------------------------------------------------
def fit(rows: Sequence[Example]) -> dict[str, Any]:
    """A multinomial logistic regression over the hand-made features and TF-IDF words → the model JSON."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from discover.pages.classify import MODEL_FORMAT

    names = sorted(rows[0].feats)
    dense = np.array([[r.feats.get(n, 0.0) for n in names] for r in rows])
    scaler = StandardScaler().fit(dense)
    vec = TfidfVectorizer(min_df=PARAMS["tfidf_min_df"], sublinear_tf=PARAMS["sublinear_tf"])
    sparse = vec.fit_transform([r.tokens for r in rows]).toarray()
    x = np.hstack([scaler.transform(dense), sparse])
    y = [r.label for r in rows]
    clf = LogisticRegression(C=PARAMS["C"], max_iter=PARAMS["max_iter"], class_weight=PARAMS["class_weight"])
    # Real pages count as much as the world's: the few would otherwise be drowned by the many.
    n_real = sum(1 for r in rows if r.source != WORLD)
    n_world = len(rows) - n_real
    boost = min(PARAMS["realdata_weight_cap"], n_world / n_real) if n_real and n_world else 1.0
    # One BLAS thread: on a matrix this small, threads cost more than they give (10x slower on a busy machine).
    with threadpool_limits(limits=1):
        clf.fit(x, y, sample_weight=[boost if r.source != WORLD else 1.0 for r in rows])
    classes = list(clf.classes_)
    coef, intercept = clf.coef_, clf.intercept_
    if len(classes) == 2:  # binary LR stores one row; expand so every class has its own
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    return {
        "format": MODEL_FORMAT,
        "classes": classes,
        "feature_names": names,
        "mean": [float(v) for v in scaler.mean_],
        "scale": [float(v) if v else 1.0 for v in scaler.scale_],
        "vocab": {k: int(v) for k, v in vec.vocabulary_.items()},
        "idf": [float(v) for v in vec.idf_],
        "coef": [[round(float(v), 6) for v in row] for row in coef],
        "intercept": [float(v) for v in intercept],
    }


def predict(model: dict[str, Any], rows: Sequence[Example]) -> list[str]:
    """The label classify() would give each page with this model (model and rules combined)."""
    import numpy as np

    from discover.pages.classify import combine

    names, vocab, idf = model["feature_names"], model["vocab"], model["idf"]
    mean, scale = np.array(model["mean"]), np.array(model["scale"])
    dense = (np.array([[r.feats.get(n, 0.0) for n in names] for r in rows]) - mean) / scale
    sparse = np.zeros((len(rows), len(vocab)))
    for i, r in enumerate(rows):
        for tok, n in Counter(_TOKEN.findall(r.tokens.lower())).items():
            j = vocab.get(tok)
            if j is not None:
                sparse[i, j] = (1.0 + math.log(n)) * idf[j]
    norms = np.linalg.norm(sparse, axis=1, keepdims=True)
    sparse /= np.where(norms > 0, norms, 1.0)
    logits = np.hstack([dense, sparse]) @ np.array(model["coef"]).T + np.array(model["intercept"])
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    out = []
    for r, p in zip(rows, proba):
        scores = {str(t): r.feats.get(f"rule_{t}", 0.0) for t in PROSPECT_TYPES}
        combined = combine(dict(zip(model["classes"], p.tolist())), scores, r.vetoed)
        out.append(max(combined, key=lambda t: combined[t]))
    return out


def group_folds(rows: Sequence[Example], k: int) -> list[tuple[list[int], list[int]]]:
    """k folds over sites, balanced by size; deterministic."""
    sizes = Counter(r.group for r in rows)
    buckets: list[list[str]] = [[] for _ in range(k)]
    load = [0] * k
    for g, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = load.index(min(load))
        buckets[i].append(g)
        load[i] += n
    folds = []
    for b in buckets:
        gs = set(b)
        test = [i for i, r in enumerate(rows) if r.group in gs]
        train = [i for i, r in enumerate(rows) if r.group not in gs]
        if test:
            folds.append((train, test))
    return folds


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> tuple[float, dict[str, float]]:
    """Macro-F1 over the labels present in the truth, and the F1 of each."""
    from sklearn.metrics import f1_score

    labels = sorted(set(y_true))
    per = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return (float(per.mean()) if len(labels) else 0.0), {c: round(float(v), 3) for c, v in zip(labels, per)}


# --- the bundled corpus -------------------------------------------------------------------------
def model_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_corpus(path: Path, rows: Sequence[Example], model_bytes: bytes) -> None:
    """The featurised corpus beside the model fitted on it (a wheel then carries both)."""
    names = sorted({n for r in rows for n in r.feats})
    doc = {
        "format": CORPUS_FORMAT, "model_sha256": model_digest(model_bytes), "params": PARAMS,
        "feature_names": names,
        "rows": [{"url": r.url, "label": r.label, "group": r.group, "source": r.source, "niche": r.niche,
                  "x": [round(r.feats.get(n, 0.0), 6) for n in names], "tokens": r.tokens, "vetoed": r.vetoed}
                 for r in rows],
    }
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(doc, fh, separators=(",", ":"))


def load_corpus(path: "Traversable | Path | None" = None) -> tuple[list[Example], dict[str, Any]]:
    path = CORPUS_PATH if path is None else path
    try:
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
        if doc.get("format") != CORPUS_FORMAT:
            raise ValueError(f"format {doc.get('format')!r}")
        names = doc["feature_names"]
        rows = [Example(url=r["url"], label=r["label"], group=site_of(r["group"]), source=r["source"],
                        feats=dict(zip(names, r["x"])), tokens=r["tokens"], vetoed=list(r["vetoed"]),
                        niche=r.get("niche", "")) for r in doc["rows"]]
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise ModelError(f"the bundled training corpus at {path} is missing or corrupt: {exc}",
                         hint="rebuild it with the model: python models/build_page_type.py") from None
    return rows, {k: v for k, v in doc.items() if k != "rows"}


# --- the user's model ----------------------------------------------------------------------------
def user_model_path(settings: "Settings") -> Path:
    """Where `discover train` writes the user's model and classify.preferred_model looks for it."""
    return settings.data_path() / "models" / "page_type.json"


def write_model(path: Path, model: dict[str, Any]) -> None:
    """Write a model atomically, never over the shipped one."""
    from discover.pages.classify import MODEL_PATH

    if path.resolve() == Path(str(MODEL_PATH)).resolve():
        raise ModelError(f"refusing to overwrite the shipped model at {path}", hint="set another data_dir")
    _write_atomic(path, json.dumps(model, separators=(",", ":")).encode())


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".page_type.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
