"""Matching journalist queries to a niche on the bundled world's digests; to_prospect; the CLI."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from discover.haro.mail import parse_mail
from discover.haro.match import match_queries, to_prospect

NOW = datetime(2026, 11, 19, 0, 0, tzinfo=timezone.utc)
DATA = Path(__file__).parent / "data" / "haro"


@pytest.fixture(scope="module")
def world_mail() -> Path:
    root = Path(__file__).resolve().parent.parent / "fixtures" / "web"
    if not (root / "mail").is_dir():
        pytest.skip("the bundled world's mail/ is missing")
    return root


def mail_labels(root: Path) -> dict[tuple[str, str], int]:
    with (root / "labels.csv").open(encoding="utf-8") as fh:
        return {(r["url"], r["niche"]): int(r["relevance"]) for r in csv.DictReader(fh) if r["url"].startswith("mail:")}


def test_every_labelled_query_is_split_out_with_its_fields(world_mail):
    queries = parse_mail(world_mail / "mail", now=NOW)
    assert {q.url for q in queries} == {u for u, _ in mail_labels(world_mail)}
    by = {q.source: q for q in queries}
    q = by["haro-2026-11-20-morning.eml#1"]
    assert (q.summary, q.journalist, q.category, q.outlet) == (
        "Maternity boutique owners: holiday gift ideas for expecting moms", "Tara McBride", "Retail", "Iowa News Daily")
    assert q.reply_to == "reply-41a2@helpareporter-digest.example"
    assert q.deadline.isoformat() == "2026-11-30T17:00:00-06:00"
    assert q.requirements == "Owners of maternity clothes boutiques in Iowa, preferably Des Moines."
    q = by["hab2bw-2026-11-19.eml#2"]     # base64 body, "Publication: X | Writer: Y"
    assert (q.outlet, q.journalist, q.reply_to) == ("Cafe Business Monthly", "Ria Sen", "ria@cafebusiness.example")
    assert q.deadline.isoformat() == "2026-11-24T17:00:00-05:00"
    q = by["journorequest-roundup-2026-11-22.eml#2"]   # iso-8859-1 quoted-printable
    assert q.summary == "Vegan bâtard and brioche bakers for a weekend feature"
    assert (q.outlet, q.journalist, q.reply_to) == ("The Weekend Table", "Olivia Marsh", "olivia.marsh@example.co.uk")
    assert q.requirements == "UK vegan bakers. Café or bakery owners preferred."
    assert q.deadline == datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
    q = by["sos-2026-11-21.eml#2"]        # HTML-only, a heading per query
    assert (q.outlet, q.journalist, q.reply_to) == ("Ethical Style Journal", "Rosa Kim", "rosa.kim@ethicalstyle.example")
    assert q.deadline.isoformat() == "2026-11-29T17:00:00-08:00"


def test_relevant_queries_rank_above_irrelevant_ones(world_mail):
    labels = mail_labels(world_mail)
    queries = parse_mail(world_mail / "mail", now=NOW)
    with (world_mail / "queries.toml").open("rb") as fh:
        niches = tomllib.load(fh)["niche"]
    for niche in niches:
        kw = niche["keyword"]
        ranked = match_queries(queries, kw, geo=niche.get("geo"), now=NOW)
        rel = [labels[(m.query.url, kw)] for m in ranked]
        n_relevant = sum(r >= 2 for r in rel)
        k = min(5, n_relevant + sum(r == 1 for r in rel))
        # precision@k where labels allow: the top k are all relevant or adjacent
        assert all(r >= 1 for r in rel[:k]), (kw, rel)
        first_irrelevant = rel.index(0)
        assert all(r == 0 for r in rel[first_irrelevant:]), (kw, rel)
        assert [r >= 2 for r in rel].count(True) == n_relevant
        matched = [labels[(m.query.url, kw)] for m in ranked if m.matched]
        assert matched and 0 not in matched, (kw, matched)


def test_local_reporter_ranks_first_with_an_explanation(world_mail):
    queries = parse_mail(world_mail / "mail", now=NOW)
    ranked = match_queries(queries, "maternity clothes", geo="Des Moines, IA, US", now=NOW)
    top = ranked[0]
    assert top.query.outlet == "Des Moines Parent Magazine" and top.geo_tier == "same_city"
    assert top.why.startswith("terms: maternity") and "outlet in Des Moines, IA, US" in top.why
    assert "deadline in" in top.why
    # without the place, a national query with the same words is no longer below it
    plain = match_queries(queries, "maternity clothes", now=NOW)
    assert plain[0].geo_tier == "unknown"


def test_to_prospect(world_mail):
    queries = parse_mail(world_mail / "mail", now=NOW)
    m = match_queries(queries, "vegan baking", now=NOW)[0]
    p = to_prospect(m.query, m, niche="vegan baking")
    assert p.type == "haro" and p.url == f"mail:{m.query.source}"
    assert p.domain == "cookbookreview.example" and p.email == "ellen@cookbookreview.example"
    assert p.deadline == m.query.deadline.isoformat() and p.pitch.startswith("answer by ")
    assert p.pitch.endswith(m.query.summary) and p.score == m.score and p.why == m.why
    board = to_prospect(m.query.__class__(source="http://b.example/r/1", summary="S", origin="board",
                                          reply_to="http://b.example/respond/1"), 0.5)
    assert (board.url, board.domain, board.contact_page, board.email) == (
        "http://b.example/r/1", "b.example", "http://b.example/respond/1", "")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "discover", "haro", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_json_and_errors(world_mail, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    for f in (world_mail / "mail").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "zz-broken.eml").write_bytes(b"")
    out = run_cli("--mail", str(folder), "--niche", "dog grooming", "--geo", "Leeds, West Yorkshire, GB",
                  "--now", "2026-11-19T00:00:00Z", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows[0]["source"] == "journorequest-roundup-2026-11-22.eml#1"
    for key in ("source", "summary", "outlet", "deadline", "reply_to", "score", "journalist", "category",
                "requirements", "urgent", "why"):
        assert key in rows[0]
    assert rows[0]["deadline"] == "2026-11-26T14:00:00+00:00"
    assert "zz-broken.eml: empty file" in out.stderr
    everything = json.loads(run_cli("--mail", str(folder), "--niche", "dog grooming", "--all", "--json",
                                    "--now", "2026-11-19T00:00:00Z").stdout)
    assert len(everything) == 24 > len(rows)
    table = run_cli("--mail", str(DATA), "--niche", "maternity clothes", "--now", "2026-11-19T09:00:00Z")
    assert table.returncode == 0 and "Maternit" in table.stdout and "1 of 4 queries match" in table.stdout
    none = run_cli("--niche", "x")
    assert none.returncode == 2 and "error: nothing to read" in none.stderr


def test_digests_of_other_styles_split_and_match_without_boilerplate():
    """An HTML-table digest and a plain one with no separators between queries: every query is
    split out, and shared reply links ("Respond: https://...") make nothing match."""
    from datetime import datetime, timezone
    from pathlib import Path

    from discover.haro.mail import read_mail
    from discover.haro.match import match_queries

    data = Path(__file__).parent / "data" / "haro-styles"
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    queries = []
    for name in ("sourcebottle-html-table.eml", "qwoted-no-separators.eml"):
        queries += read_mail(data / name, now=now).queries
    assert sorted(q.source for q in queries) == [
        "qwoted-no-separators.eml#1", "qwoted-no-separators.eml#2",
        "sourcebottle-html-table.eml#1", "sourcebottle-html-table.eml#2", "sourcebottle-html-table.eml#3"]
    by_source = {q.source: q for q in queries}
    assert by_source["qwoted-no-separators.eml#2"].summary == "Cybersecurity for small banks"
    assert by_source["qwoted-no-separators.eml#2"].reply_to == "https://qwoted.example/r/9002"
    matched = {m.query.source for m in match_queries(queries, "maternity clothes", now=now) if m.matched}
    assert matched == {"sourcebottle-html-table.eml#1", "qwoted-no-separators.eml#1"}


def test_a_query_about_a_neighbouring_town_ranks_below_an_open_one():
    """A Bradford story wants Bradford sources: for a Leeds business it ranks below an equally
    relevant query that names no place, and below one about Leeds itself."""
    from datetime import datetime, timezone

    from discover.haro import JournalistQuery
    from discover.haro.match import match_queries

    def q(n: int, summary: str) -> JournalistQuery:
        return JournalistQuery(source=f"t.eml#{n}", summary=summary, text=summary,
                               details="Looking for dog groomers to share grooming tips for dog owners.")

    queries = [q(1, "Bradford dog groomers on grooming prices"), q(2, "Dog groomers on grooming prices"),
               q(3, "Leeds dog groomers on grooming prices")]
    ranked = [m.query.source for m in match_queries(queries, "dog grooming", geo="Leeds, West Yorkshire, GB",
                                                     now=datetime(2026, 11, 21, tzinfo=timezone.utc))]
    assert ranked == ["t.eml#3", "t.eml#2", "t.eml#1"]
