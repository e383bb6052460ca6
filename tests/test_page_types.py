"""Page types judged on sites the model never saw: site-grouped cross-validation over the real-page
corpus, leave-one-world-out, the floors of models/eval_floors.json, and the failure patterns of
issue 11 on real pages of the corpus.

The labelled pages are read once per session; their model inputs come from the model build's
feature cache (models/page_type_features.json.gz) while it matches the code, else from extract().
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from discover.evaluate import check_type_floors, page_type_report
from discover.pages import training
from discover.pages.classify import classify
from discover.pages.extract import extract
from discover.records import Extraction, FetchResult

from conftest import SHARED

REPO = Path(__file__).resolve().parents[1]
FLOORS = json.loads((REPO / "models" / "eval_floors.json").read_text(encoding="utf-8"))


def _real_pages() -> list[training.LabelledPage]:
    return training.load_real_pages(training.realpage_dirs(), SHARED)


@pytest.fixture(scope="session")
def rows() -> list[training.Row]:
    pages = [p for w in training.default_worlds() for p in training.load_world_pages(w, w.name)]
    real = _real_pages()
    if not real:
        pytest.skip("no real-page corpus (fixtures/realpages, $DISCOVER_SHARED/realdata)")
    return training.featurise(pages + real, jobs=2, cache=training.FEATURE_CACHE)


@pytest.fixture(scope="session")
def report(rows) -> dict:
    return page_type_report(rows, folds=5)


@pytest.fixture(scope="session")
def out_of_fold(rows) -> dict[str, object]:
    """Each real page's Classification by a model that never saw its site, by source file."""
    real = [r for r in rows if r.world == "real"]
    preds = training.grouped_cv(real, 5, extra_train=[r for r in rows if r.world != "real"])
    return {r.page.source: p for r, p in zip(real, preds)}


# --- the evaluation itself ---------------------------------------------------------------------

def _row(site: str, label: str, world: str = "real") -> training.Row:
    page = training.LabelledPage(url=f"http://{site}/", label=label, site=site, world=world, html="")
    return training.Row(page, None, {"x": 1.0}, "")


def test_site_folds_never_put_one_site_on_both_sides():
    rows = [_row(f"s{i % 13}.example", "blog" if i % 2 else "news") for i in range(60)]
    folds = training.site_folds(rows, 5)
    assert len(folds) == 5
    seen_test: set[int] = set()
    for train, test in folds:
        assert not {rows[i].site for i in train} & {rows[i].site for i in test}
        assert not seen_test & set(test)
        seen_test |= set(test)
    assert seen_test == set(range(60))   # every page is tested exactly once


def test_type_report_hand_computed():
    true = ["blog", "blog", "news", "news", "forum"]
    pred = ["blog", "news", "news", "news", "blog"]
    rep = training.type_report(true, pred)
    assert rep["per_type"]["blog"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert rep["per_type"]["news"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert rep["per_type"]["news"]["recall"] == 1.0
    assert rep["per_type"]["forum"]["f1"] == 0.0
    assert rep["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3, abs=1e-4)
    assert rep["confusion"]["blog"]["news"] == 1 and rep["confusion"]["forum"]["blog"] == 1
    assert rep["accuracy"] == 0.6


def test_leave_one_world_out_never_trains_on_the_held_out_world(monkeypatch):
    rows = [_row(f"w{i}.example", lab, "web") for i, lab in enumerate(["blog", "news"] * 4)]
    rows += [_row(f"r{i}.example", lab, "real") for i, lab in enumerate(["blog", "news"] * 4)]
    seen: list[set[str]] = []
    real_fit = training.fit_model

    def spy(train, *a, **k):
        seen.append({r.world for r in train})
        return real_fit(train, *a, **k)

    monkeypatch.setattr(training, "fit_model", spy)
    out = training.leave_one_world_out(rows)
    assert set(out) == {"web", "real"}
    assert sorted(map(sorted, seen)) == [["real"], ["web"]]


def test_manifest_rows_are_read_with_their_sites(tmp_path):
    (tmp_path / "pages" / "a.example").mkdir(parents=True)
    (tmp_path / "pages" / "a.example" / "p.html").write_text("<title>x</title><p>hola</p>", encoding="utf-8")
    (tmp_path / "manifest-x.csv").write_text(
        "file,site,url,type,language,repo,path,commit,licence,note\n"
        "pages/a.example/p.html,a.example,https://www.a.example/p,blog,es,o/r,p.html," + "0" * 40 + ",MIT,\n"
        "pages/a.example/missing.html,a.example,,blog,es,o/r,x," + "0" * 40 + ",MIT,\n"
        "pages/a.example/p.html,a.example,,nonsense,es,o/r,x," + "0" * 40 + ",MIT,\n", encoding="utf-8")
    skipped: list[str] = []
    pages = training.load_real_pages([tmp_path], tmp_path / "no-shared", on_skip=skipped.append)
    assert [(p.site, p.label, p.language, p.world) for p in pages] == [("a.example", "blog", "es", "real")]
    assert len(skipped) == 2


@pytest.mark.slow
def test_grouped_cv_and_leave_one_world_out_meet_the_floors(report):
    """The figures `discover eval --types` prints, against models/eval_floors.json."""
    problems = check_type_floors(report, FLOORS["page_types"])
    summary = {"grouped_cv": report["grouped_cv"]["macro_f1"],
               "lowo": {w: r["macro_f1"] for w, r in report["lowo"]["per_world"].items()}}
    assert not problems, (problems, summary)
    # every type of the real corpus is scored, and the confusion matrix covers every page
    g = report["grouped_cv"]
    assert sum(sum(row.values()) for row in g["confusion"].values()) == g["pages"]
    assert g["sites"] >= 100


@pytest.mark.slow
def test_uncertain_pages_are_the_doubtful_ones(report):
    """Calibration: pages marked uncertain are wrong far more often than the others, and when
    they are wrong the right type is usually the runner-up shown in their evidence."""
    u = report["grouped_cv"]["uncertainty"]
    assert u["uncertain"] >= 1
    assert u["accuracy_uncertain"] < u["accuracy_certain"] - 0.2, u
    assert u["uncertain_right_in_top2"] >= 0.7 * u["uncertain"], u


# --- the failure patterns of issue 11, on real pages ------------------------------------------

def _corpus() -> list[training.LabelledPage]:
    pages = _real_pages()
    if not pages:
        pytest.skip("no real-page corpus")
    return pages


def _read(page: training.LabelledPage) -> tuple[Extraction, str]:
    return extract(FetchResult(url=page.url, final_url=page.url, outcome="ok", status=200, html=page.html)), page.html
