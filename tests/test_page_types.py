"""Page types judged on sites the model never saw: site-grouped cross-validation over the real-page
corpus, leave-one-world-out, the floors of models/eval_floors.json, and the failure patterns of
issue 11 on real pages of the corpus.

The labelled pages are read once per session; their model inputs come from the model build's
feature cache (models/page_type_features.json.gz) while it matches the code, else from extract().
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from discover.evaluate import check_type_floors, page_type_report
from discover.pages import training

from conftest import SHARED

REPO = Path(__file__).resolve().parents[1]
FLOORS = json.loads((REPO / "models" / "eval_floors.json").read_text(encoding="utf-8"))


def _real_pages() -> list[training.LabelledPage]:
    return training.load_real_pages(training.realpage_dirs(), SHARED)


def _need_shared_corpus() -> None:
    # The floors and the named pages were measured on the repository's corpus *plus* the shared
    # one; without it the figures describe another corpus, and comparing them proves nothing.
    if not (SHARED / "realdata" / "pages").is_dir():
        pytest.skip(f"the shared real-page corpus is missing ({SHARED}/realdata): set DISCOVER_SHARED")


@pytest.fixture(scope="session")
def rows() -> list[training.Row]:
    _need_shared_corpus()
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
    # a world written to judge the tool is scored, never trained on
    seen.clear()
    judge = [_row(f"o{i}.example", lab, "web-other") for i, lab in enumerate(["blog", "news"] * 4)]
    out = training.leave_one_world_out(rows + judge)
    assert set(out) == {"web", "real", "web-other"}
    assert all("web-other" not in worlds for worlds in seen), seen
    cv_rows = [_row(f"c{i}.example", lab) for i, lab in enumerate(["blog", "blog", "news", "news"] * 3)]
    training.grouped_cv(cv_rows, 2, extra_train=judge)
    assert all("web-other" not in worlds for worlds in seen[-2:]), seen


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

def _by_file(oof: dict, *names: str) -> dict[str, object]:
    """Out-of-fold Classifications of the corpus files named (path ends), each found exactly once."""
    out = {}
    for name in names:
        hits = [src for src in oof if src.endswith(name)]
        if not hits:
            pytest.skip(f"{name} is not in the corpus")
        assert len(hits) == 1, hits
        out[name] = oof[hits[0]]
    return out


@pytest.mark.slow
def test_recipe_and_how_to_posts_with_comments_are_blogs_not_forums(rows, out_of_fold):
    """Issue 11: "recipe and how-to posts with reader comments become forum". Real food-blog posts
    (recipe markup or recipe wording, reader comments), each judged by a model that never saw its site."""
    recipes = [r for r in rows if r.world == "real" and r.label == "blog"
               and (r.feats.get("schema_recipe") or r.feats.get("cue_recipe", 0) > 1.8)]
    assert len(recipes) >= 20
    got = [out_of_fold[r.page.source].type for r in recipes]
    assert "forum" not in got, got
    assert got.count("blog") >= 0.9 * len(got), got
    named = _by_file(out_of_fold, "budgetbytes.com/budgetbytes.html.gz", "theppk.com/postpunkkitchen-2.html.gz",
                     "chefnini.com/chefnini-1.html", "emmikochteinfach.de/emmikochteinfach.html.gz")
    # each is a blog, or at worst marked uncertain with blog as the close second (its score is
    # then lowered rather than betting on the wrong type)
    wrong = {n: (c.type, c.runner_up, c.uncertain) for n, c in named.items()
             if c.type != "blog" and not (c.uncertain and c.runner_up == "blog")}
    assert not wrong, wrong
    assert sum(c.type == "blog" for c in named.values()) >= 3


@pytest.mark.slow
def test_news_front_pages_are_news_not_directories(out_of_fold):
    """Issue 11: "news front pages become directory"."""
    named = _by_file(out_of_fold, "bbc.com/bbc-front.html", "cnn.com/cnn-front.html",
                     "wired.com/wired-front.html.gz", "yahoo.com/yahoo-uk-front.html")
    assert not [n for n, c in named.items() if c.type == "directory"]
    # news, or at worst uncertain with news the close second (scored down, not bet on)
    wrong = {n: (c.type, c.runner_up, c.uncertain) for n, c in named.items()
             if c.type != "news" and not (c.uncertain and c.runner_up == "news")}
    assert not wrong, wrong
    assert sum(c.type == "news" for c in named.values()) >= 3


@pytest.mark.slow
def test_directory_home_and_entry_pages_are_directories(out_of_fold):
    """Issue 11: "directory home, category and 'list your company' pages become other": a real
    directory's home ("fill out our form" to be listed) and one of its entries ("if this is your
    entry, you can update or delete it")."""
    named = _by_file(out_of_fold, "rladies.org/directory.html.gz", "rladies.org/directory-listing.html")
    assert {n: c.type for n, c in named.items()} == dict.fromkeys(named, "directory")


@pytest.mark.slow
def test_cms_article_markup_does_not_make_company_pages_news(rows, out_of_fold):
    """Issue 11: "WordPress puts og:type=article on every page, so contact and about pages become
    news". Real company, shop and about pages carrying og:type=article."""
    og_article = re.compile(r"""<meta[^>]+(?:property|name)=["']og:type["'][^>]+content=["']article""", re.I)
    pages = [r for r in rows if r.world == "real" and r.label == "other" and og_article.search(r.page.html)]
    if len(pages) < 8:
        pytest.skip("fewer than 8 og:type=article company pages in the corpus")
    got = [out_of_fold[r.page.source].type for r in pages]
    assert got.count("news") <= 0.3 * len(got), got
    named = _by_file(out_of_fold, "shabka.org/shabka-org-about.html", "creativecommons.org/creativecommons-org.html",
                     "parallels.com/parallels-com-desktop.html", "wfm.com/wholefoods.html")
    assert all(c.type != "news" for c in named.values()), {n: c.type for n, c in named.items()}


@pytest.mark.slow
def test_blogs_in_spanish_french_and_german_are_blogs(rows, out_of_fold):
    """Issue 11: "a Spanish-language blog becomes other". Cue families read es/fr/de alike."""
    blogs = [r for r in rows if r.world == "real" and r.label == "blog" and r.page.language in ("es", "fr", "de")]
    assert len(blogs) >= 15
    got = [out_of_fold[r.page.source].type for r in blogs]
    assert got.count("blog") >= 0.85 * len(got), got
    named = _by_file(out_of_fold, "velocidadcuchara.com/velocidadcuchara-3.html.gz",
                     "latelierderoxane.com/latelierderoxane-1.html", "felix.kitchen/felixkitchen.html")
    assert {n: c.type for n, c in named.items()} == dict.fromkeys(named, "blog")


@pytest.fixture(scope="session")
def holdout_world_out(rows) -> list[tuple[training.Row, object]]:
    """Pages of fixtures/web-holdout (a world written by other hands) judged by a model fitted on
    fixtures/web and the real corpus only."""
    test = [r for r in rows if r.world == "web-holdout"]
    if not test:
        pytest.skip("fixtures/web-holdout is missing")
    model = training.fit_model([r for r in rows if r.world != "web-holdout"], calibrate_folds=0)
    return list(zip(test, training.predict_rows(model, test)))


@pytest.mark.slow
def test_invitations_without_the_word_guidelines_are_guest_posts(holdout_world_out):
    """Issue 11: "an invitation page ... has no literal 'guidelines' cue, so the rules veto
    guest_post". The real corpus holds too few invitation pages to test on; the held-out world's
    ("submit your wedding", "contribute"), never trained on, are invitations without that word."""
    invites = [(r, c) for r, c in holdout_world_out if r.label == "guest_post"
               and "guideline" not in r.page.html.lower()]
    assert len(invites) >= 2
    assert all(c.type == "guest_post" for _, c in invites), [(r.page.url, c.type) for r, c in invites]


@pytest.mark.slow
def test_journalist_request_board_pages_are_haro(holdout_world_out):
    """Issue 11: "journalist-request pages on a board become news". No real board page is in the
    corpus; the held-out world's board (never trained on) stands in."""
    board = [(r, c) for r, c in holdout_world_out if r.label == "haro"]
    assert len(board) >= 4
    got = [c.type for _, c in board]
    assert "news" not in got and got.count("haro") >= 0.75 * len(got), got


# --- the command -------------------------------------------------------------------------------

def _discover(*args: str, timeout: float = 300) -> "subprocess.CompletedProcess[str]":
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env["DISCOVER_SHARED"] = str(SHARED)
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO)


def test_eval_needs_a_world_or_types():
    r = _discover("eval")
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "--types" in r.stderr, r.stderr
    r = _discover("eval", "--types", "--ranking-only")
    assert r.returncode == 2 and "error: --types" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.slow
def test_eval_types_json_reports_and_checks_the_floors():
    """`discover eval --types --json --floors models/eval_floors.json`: one JSON document with the
    grouped and leave-one-world-out figures, exit 0 at or above the floors."""
    _need_shared_corpus()
    r = _discover("eval", "--types", "--json", "--floors", str(REPO / "models" / "eval_floors.json"))
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(r.stdout)
    assert data["floor_failures"] == []
    g = data["grouped_cv"]
    assert set(g) >= {"macro_f1", "per_type", "confusion", "folds", "sites", "uncertainty", "errors"}
    assert {"precision", "recall", "f1", "support"} <= set(g["per_type"]["forum"])
    assert set(data["lowo"]["per_world"]) >= {"web", "web-holdout", "real"}
