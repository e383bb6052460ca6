"""Evaluation: metric functions on hand-computed examples, label handling, and the quality gate."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from discover.evaluate import (
    Label, check_floors, evaluate_ranking, evaluate_ranking_only, evaluate_world, expected_tier, macro_f1,
    ndcg_at_k, niche_requests, precision_at_k, recall_at_k,
)
from discover.records import Prospect
from discover.settings import Settings

REPO = Path(__file__).resolve().parents[1]
WORLD = REPO / "fixtures" / "web"
FLOORS = json.loads((REPO / "models" / "eval_floors.json").read_text(encoding="utf-8"))


def test_ndcg_hand_computed():
    gains = {"a": 3, "b": 0, "c": 2, "d": 3}
    dcg = 7 + 0 + 3 / math.log2(4)
    ideal = 7 + 7 / math.log2(3) + 3 / math.log2(4)
    assert ndcg_at_k(["a", "b", "c"], gains, 3) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["a", "d", "c"], gains, 3) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], gains, 3) == 0.0            # unlabeled pages gain 0
    assert ndcg_at_k(["a"], {"a": 0}, 3) == 0.0              # no relevant page: defined as 0


def test_precision_recall_f1_hand_computed():
    assert precision_at_k(["a", "b", "c"], {"a", "c"}, 2) == 0.5
    assert precision_at_k(["a"], {"a"}, 10) == 0.1           # short lists are penalised
    assert recall_at_k(["a", "b", "c"], {"a", "d"}, 3) == 0.5
    assert recall_at_k(["a"], set(), 3) == 1.0
    assert macro_f1(["x", "x", "y", "y"], ["x", "y", "y", "y"]) == pytest.approx((2 / 3 + 0.8) / 2)
    with pytest.raises(ValueError):
        macro_f1(["x"], [])


def test_eval_url_identity():
    from discover.urls import FOR_EVAL

    assert FOR_EVAL.key("https://www.Example.com/a/") == FOR_EVAL.key("http://example.com/a") == "example.com/a"
    assert FOR_EVAL.key("http://example.com/index.html") == "example.com"


def test_expected_tier():
    assert expected_tier("Des Moines, IA, US", "Des Moines, IA, US") == {"same_city"}
    assert expected_tier("Omaha, NE, US", "Des Moines, IA, US") == {"elsewhere"}
    assert expected_tier("Bradford, West Yorkshire, GB", "Leeds, West Yorkshire, GB") == {"nearby"}
    assert expected_tier("", "Leeds, West Yorkshire, GB") == {"unknown", "same_country"}


def test_evaluate_ranking_per_site():
    labels = [Label("http://a.com/1", "n", "forum", 3), Label("http://a.com/2", "n", "forum", 3),
              Label("http://b.com/", "n", "blog", 2), Label("http://c.com/", "n", "spam", 0),
              Label("http://a.com/1", "other niche", "forum", 0)]
    ranked = [Prospect(url="http://c.com/", domain="c.com", type="spam", score=0.9),
              Prospect(url="http://a.com/2", domain="a.com", type="forum", score=0.8, other_urls=["http://a.com/1"]),
              Prospect(url="http://z.com/", domain="z.com", type="blog", score=0.1)]
    r = evaluate_ranking(ranked, labels, "n")
    ideal = 7 + 3 / math.log2(3)
    assert r["ndcg@10"] == pytest.approx(round((7 / math.log2(3)) / ideal, 4))
    assert r["p@10"] == pytest.approx(0.1)
    assert r["recall3@20"] == 1.0
    assert r["unlabelled_in_top10"] == 1
    assert r["labelled_sites"] == 3


def test_niche_requests_from_queries_and_inferred(tmp_path):
    (tmp_path / "labels.csv").write_text(
        "url,niche,type,relevance,geo\n"
        "http://a.com/,cakes,blog,3,\"Leeds, West Yorkshire, GB\"\n"
        "http://b.com/,cakes,blog,3,\"Leeds, West Yorkshire, GB\"\n"
        "http://c.com/,cakes,blog,3,\"York, North Yorkshire, GB\"\n"
        "http://c.com/,pies,blog,3,\n", encoding="utf-8")
    assert niche_requests(tmp_path) == [("cakes", "Leeds, West Yorkshire, GB"), ("pies", "")]
    (tmp_path / "queries.toml").write_text('[[niche]]\nkeyword = "cakes"\ngeo = "LS1"\n', encoding="utf-8")
    assert niche_requests(tmp_path)[0] == ("cakes", "LS1")


def test_check_floors():
    report = {"macro": {"ndcg@20": 0.9, "p@10": 0.7}, "niches": [{"niche": "x", "ndcg@20": 0.8}]}
    problems = check_floors(report, {"macro": {"ndcg@20": 0.85, "p@10": 0.75}, "niches": {"x": {"ndcg@20": 0.9}}})
    assert problems == ["macro p@10 = 0.7 < floor 0.75", "x ndcg@20 = 0.8 < floor 0.9"]
    assert check_floors({"macro": {}, "niches": []}, {"niches": {"x": {"ndcg@20": 0.9}}}) == []


def test_ranking_quality_gate_ranking_only():
    """Every page of the bundled world scored per niche (real extract + classify, no search)."""
    report = evaluate_ranking_only(Settings(), WORLD)
    assert not check_floors(report, FLOORS["ranking_only"]), report["macro"]


@pytest.mark.slow
def test_ranking_quality_gate_full_pipeline():
    """The full pipeline (local engine, browser, fetch ...) per labelled niche against the floors."""
    import asyncio

    report = asyncio.run(evaluate_world(Settings(), WORLD))
    assert not check_floors(report, FLOORS["full"]), json.dumps(report["niches"], indent=1)


@pytest.mark.slow
def test_quality_gate_on_the_holdout_world():
    """The world written after the models were fitted, with niches they never saw."""
    import asyncio

    section = FLOORS["holdout"]
    report = asyncio.run(evaluate_world(Settings(), REPO / section["world"]))
    assert not check_floors(report, section), json.dumps(report["macro"], indent=1)


def _cli(*args: str, cwd: Path = REPO):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          timeout=180, cwd=cwd)


def test_explain_unknown_prospect_is_one_line_error(tmp_path):
    out = _cli("explain", "http://nope.example/", "--db", str(tmp_path / "d.sqlite"))
    assert out.returncode == 2
    assert out.stderr.startswith("error: http://nope.example/ is not a prospect")
    assert "Traceback" not in out.stderr


def test_explain_live_scores_one_page(make_world, tmp_path):
    web = make_world({"www.leedsgroomers.co.uk": {"index.html": (
        "<html><head><title>Leeds dog grooming forum</title></head><body><h1>Dog grooming in Leeds</h1>"
        "<p>Members share dog grooming tips, clipper advice and salon reviews across Leeds. "
        "Meet-ups at our Leeds LS6 1AA hall; call 0113 496 0000.</p></body></html>")}})
    out = _cli("explain", "http://www.leedsgroomers.co.uk/", "--niche", "dog grooming",
               "--geo", "Leeds, West Yorkshire, GB", "--web", str(web), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["geo_tier"] == "same_city"
    assert data["explanation"]["top_terms"][0][0] in {"dog grooming", "dog", "grooming"}
    assert "Leeds, same city" in data["why"]


def test_mail_queries_are_evaluated_against_mail_labels(bundled_world):
    from discover.evaluate import evaluate_mail, load_labels
    from discover.settings import Settings

    labels = load_labels(bundled_world / "labels.csv")
    for niche, geo in (("maternity clothes", "Des Moines, IA, US"), ("vegan baking", ""),
                       ("dog grooming", "Leeds, West Yorkshire, GB")):
        row = evaluate_mail(bundled_world, labels, niche, geo, Settings())
        assert row["haro_queries"] == 24
        assert row["haro_p@5"] == 1.0, (niche, row)
