"""`discover train`: the page-type model refitted on the bundled corpus plus the user's corrections.

The types corrected in review (the ledger's labelled examples) become examples like the corpus
pages; the corpus page of a URL the user labelled takes their label. The same site-grouped folds
are measured twice over the same truth (the corpus, with the user's label wherever they gave one):

    before   every fold fitted as the shipped model was: corpus labels, no corrections
    after    every fold fitted as the user's model is: the user's labels and pages included

so a correction that makes the model worse at the rest shows as a lower "after". The user's
model is then fitted on everything and written to their data folder (never over the shipped
one), where classify.preferred_model finds it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from discover.errors import InputError, ModelError
from discover.pages.train import (
    PARAMS, USER, Example, example, fit, group_folds, load_corpus, macro_f1, model_digest, predict,
    user_model_path, write_model,
)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from discover.settings import Settings
    from discover.store import Store


def corrections(store: "Store") -> tuple[list[Example], list[str]]:
    """The pages whose type the user corrected, as examples; and notes on those that could not be used."""
    from discover.outreach.ledger import labelled_pages

    labels = labelled_pages(store)
    rows = store.page_rows(labels)
    out: list[Example] = []
    notes: list[str] = []
    for url, label in sorted(labels.items()):
        row = rows.get(url)
        page = store.get_page(row["url"]) if row else None
        if page is None or not page.html:
            notes.append(f"{url}: the page is no longer in the database")
            continue
        out.append(example(page.final_url or url, page.html, label, source=USER))
    return out, notes


#: A fall that counts as "worse". Smaller falls are about one page of the few hundred changing its
#: type: not a pattern the corrections taught.
WORSE_MACRO = 0.003
WORSE_CLASS = 0.02


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


def _figures(rows: Sequence[Example], truth: Sequence[str], pred: Sequence[str], corrected: set[int]) -> Figures:
    f1, _ = macro_f1(truth, pred)
    others = [i for i in range(len(rows)) if i not in corrected]
    cf1, per = macro_f1([truth[i] for i in others], [pred[i] for i in others])
    acc = (sum(truth[i] == pred[i] for i in corrected) / len(corrected)) if corrected else None
    return Figures(round(f1, 4), round(cf1, 4), round(acc, 4) if acc is not None else None, per)


def train(store: "Store", settings: "Settings", *, folds: int = 5, corpus_path: "Traversable | Path | None" = None,
          now: float | None = None) -> TrainReport:
    """Refit on the bundled corpus plus the user's corrections; write the user's model; report before/after."""
    from discover.pages.classify import MODEL_PATH
    from discover.urls import FOR_STORE, url_key

    t0 = time.monotonic()
    corpus, meta = load_corpus(corpus_path)
    shipped = MODEL_PATH.read_bytes()
    if meta.get("model_sha256") != model_digest(shipped):
        raise ModelError("the bundled training corpus was not built with the shipped page-type model",
                         hint="rebuild both: python models/build_page_type.py")
    user, notes = corrections(store)
    if not user:
        raise InputError("there are no type corrections to learn from yet",
                         hint="correct page types in `discover review` (key t), then run `discover train`")
    # The user's word wins: a corpus page they labelled takes their label and source.
    by_url = {url_key(r.url, FOR_STORE): r for r in user}
    rows: list[Example] = []
    shipped_labels: list[str] = []
    corrected: set[int] = set()
    for r in corpus:
        mine = by_url.pop(url_key(r.url, FOR_STORE), None)
        rows.append(r if mine is None else Example(**{**r.__dict__, "label": mine.label}))
        shipped_labels.append(r.label)
        if mine is not None:
            corrected.add(len(rows) - 1)
    for r in by_url.values():   # pages the corpus does not have: the shipped model never saw them
        rows.append(r)
        shipped_labels.append("")
        corrected.add(len(rows) - 1)
    truth = [r.label for r in rows]
    before = [""] * len(rows)
    after = [""] * len(rows)
    fold_list = group_folds(rows, folds)
    for train_idx, test_idx in fold_list:
        test = [rows[i] for i in test_idx]
        shipped_train = [Example(**{**rows[i].__dict__, "label": shipped_labels[i]}) for i in train_idx
                         if shipped_labels[i]]
        for i, p in zip(test_idx, predict(fit(shipped_train), test)):
            before[i] = p
        for i, p in zip(test_idx, predict(fit([rows[i] for i in train_idx]), test)):
            after[i] = p
    model = fit(rows)
    model["info"] = {
        "params": PARAMS, "built": time.strftime("%Y-%m-%d", time.localtime(now)),
        "base_model_sha256": model_digest(shipped),
        "data": {"corpus": len(corpus), "corrections": len(user),
                 "corrected_labels": dict(Counter(r.label for r in user))},
    }
    path = user_model_path(settings)
    write_model(path, model)
    changed = [f"{rows[i].url}: {before[i]} → {after[i]}" for i in sorted(corrected) if before[i] != after[i]]
    return TrainReport(
        corrections=len(user), corpus=len(corpus), folds=len(fold_list), sites=len({r.group for r in rows}),
        before=_figures(rows, truth, before, corrected), after=_figures(rows, truth, after, corrected),
        changed=changed, model_path=str(path), notes=notes, elapsed_s=round(time.monotonic() - t0, 1))
