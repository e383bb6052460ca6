"""`discover train`: the page-type model refitted on the bundled corpus plus the user's corrections.

The corpus is the one the shipped model is built from (discover/pages/training.py: the labelled
worlds and the real-page corpus of the repository, read through the feature cache). The types
corrected in review (the ledger's labelled examples) become labelled pages like the real ones; a
corpus page the user labelled takes their label. The same site-grouped folds are measured twice
over the same truth (the corpus, with the user's label wherever they gave one):

    before   every fold fitted as the shipped model is: corpus labels, no corrections
    after    every fold fitted as the user's model is: the user's labels and pages included

so a correction that makes the model worse at the rest shows as a lower "after" on the pages the
user did not label. The user's model is then fitted (and calibrated) on everything and written to
their data folder, never over the shipped one; classification prefers it (pages/user_model.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from discover.errors import InputError, ModelError

if TYPE_CHECKING:
    from discover.pages.training import Row
    from discover.settings import Settings
    from discover.store import Store

#: A fall that counts as "worse". Smaller falls are about one page of the several hundred
#: changing its type: not a pattern the corrections taught.
WORSE_MACRO = 0.003
WORSE_CLASS = 0.02


def corpus() -> list["Row"]:
    """The bundled labelled pages, featurised (from the feature cache while it is current)."""
    from discover.pages import training

    worlds = [w for w in training.default_worlds() if w.name not in training.EVAL_ONLY_WORLDS]
    pages = [p for w in worlds for p in training.load_world_pages(w, w.name)]
    real = training.load_real_pages()
    if not pages and not real:
        raise ModelError("the labelled page corpus is not here (fixtures/ of the repository)",
                         hint="run `discover train` from a checkout of the repository (./install.sh installs one)")
    return training.trainable(training.featurise(pages + real, cache=training.FEATURE_CACHE))


def corrections(store: "Store") -> tuple[list["Row"], list[str]]:
    """The pages whose type the user corrected, featurised; and notes on those that could not be used."""
    from discover.domains import registrable_domain
    from discover.outreach.ledger import labelled_pages
    from discover.pages import training

    labels = labelled_pages(store)
    rows = store.page_rows(labels)
    pages: list[training.LabelledPage] = []
    notes: list[str] = []
    for url, label in sorted(labels.items()):
        row = rows.get(url)
        page = store.get_page(row["url"]) if row else None
        if page is None or not page.html:
            notes.append(f"{url}: the page is no longer in the database")
            continue
        final = page.final_url or url
        # A person's label weighs review_weight real pages (training.PARAMS).
        pages.append(training.LabelledPage(url=final, label=label, site=registrable_domain(final) or final,
                                           world=training.REVIEWED, html=page.html, source="review"))
    return training.featurise(pages, jobs=1), notes


@dataclass
class Figures:
    macro_f1: float                   # over every page, the user's labels as the truth
    unlabelled_macro_f1: float        # over the pages the user did not label: what a correction may cost
    corrected_accuracy: float | None  # share of the user's labelled pages typed as they said
    per_class_f1: dict[str, float]    # over the pages the user did not label


@dataclass
class TrainReport:
    corrections: int
    corpus: int
    folds: int
    sites: int
    before: Figures
    after: Figures
    changed: list[str]                # labelled pages whose held-out type changed (url: before → after)
    model_path: str
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def worse_types(self) -> dict[str, tuple[float, float]]:
        """Types whose F1 on the pages the user did not label fell (before, after)."""
        b, a = self.before.per_class_f1, self.after.per_class_f1
        return {t: (b[t], a.get(t, 0.0)) for t in sorted(b) if a.get(t, 0.0) < b[t] - WORSE_CLASS}

    @property
    def worse(self) -> bool:
        """The corrections cost the model on the pages that were not labelled."""
        return (self.after.unlabelled_macro_f1 < self.before.unlabelled_macro_f1 - WORSE_MACRO
                or bool(self.worse_types))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "worse": self.worse, "worse_types": self.worse_types}


def _figures(truth: Sequence[str], pred: Sequence[str], corrected: set[int]) -> Figures:
    from discover.pages.training import type_report

    every = type_report(truth, pred)
    others = [i for i in range(len(truth)) if i not in corrected]
    rest = type_report([truth[i] for i in others], [pred[i] for i in others])
    acc = (sum(truth[i] == pred[i] for i in corrected) / len(corrected)) if corrected else None
    return Figures(every["macro_f1"], rest["macro_f1"], round(acc, 4) if acc is not None else None,
                   {t: v["f1"] for t, v in rest["per_type"].items()})


def train(store: "Store", settings: "Settings", *, folds: int = 5) -> TrainReport:
    """Refit on the bundled corpus plus the user's corrections; write the user's model; report before/after."""
    from discover.pages import training
    from discover.pages.user_model import shipped_digest, user_model_path
    from discover.urls import FOR_STORE, url_key

    t0 = time.monotonic()
    user, notes = corrections(store)
    if not user:
        raise InputError("there are no type corrections to learn from yet",
                         hint="correct page types in `discover review` (key t), then run `discover train`")
    base = corpus()
    by_url = {url_key(r.page.url, FOR_STORE): r for r in user}
    rows: list["Row"] = []
    shipped_rows: list["Row | None"] = []   # each page as the shipped model was fitted on it
    corrected: set[int] = set()

    def reviewed(r: "Row", label: str) -> "Row":
        return dataclasses.replace(r, page=dataclasses.replace(r.page, label=label, world=training.REVIEWED))

    for r in base:
        shipped_rows.append(r)
        mine = by_url.pop(url_key(r.page.url, FOR_STORE), None)
        if mine is not None:            # the user's word wins
            corrected.add(len(rows))
            r = reviewed(r, mine.label)
        rows.append(r)
    for r in by_url.values():
        corrected.add(len(rows))
        rows.append(r)
        shipped_rows.append(None)

    truth = [r.label for r in rows]
    before = [""] * len(rows)
    after = [""] * len(rows)
    fold_list = training.site_folds(rows, folds)
    for train_idx, test_idx in fold_list:
        test = [rows[i] for i in test_idx]
        shipped_train = [row for i in train_idx if (row := shipped_rows[i]) is not None]
        for i, c in zip(test_idx, training.predict_rows(training.fit_model(shipped_train, calibrate_folds=0), test)):
            before[i] = str(c.type)
        for i, c in zip(test_idx, training.predict_rows(
                training.fit_model([rows[i] for i in train_idx], calibrate_folds=0), test)):
            after[i] = str(c.type)
    model = training.fit_model(rows)
    model["info"] = {
        "params": training.PARAMS, "built": time.strftime("%Y-%m-%d"), "temperature": model["temperature"],
        "base_model_sha256": shipped_digest(),
        "data": {"corpus": len(base), "corrections": len(user),
                 "corrected_labels": dict(Counter(rows[i].label for i in corrected))},
    }
    path = user_model_path(settings.data_path())
    _write_model(path, model)
    changed = [f"{rows[i].page.url}: {before[i]} → {after[i]}" for i in sorted(corrected) if before[i] != after[i]]
    return TrainReport(
        corrections=len(user), corpus=len(base), folds=len(fold_list), sites=len({r.site for r in rows}),
        before=_figures(truth, before, corrected), after=_figures(truth, after, corrected),
        changed=changed, model_path=str(path), notes=notes, elapsed_s=round(time.monotonic() - t0, 1))


def _write_model(path: Path, model: dict[str, Any]) -> None:
    """Atomically, and never over the shipped model."""
    from discover.pages.classify import MODEL_PATH

    if path.resolve() == Path(str(MODEL_PATH)).resolve():
        raise ModelError(f"refusing to overwrite the shipped model at {path}", hint="set another data_dir")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".page_type.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(model, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
