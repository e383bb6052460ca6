"""Extraction: links with position/rel/context, page meta, forum activity; real-page text targets."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from discover.pages.extract import extract, parse_date
from discover.html import decode_html
from discover.records import FetchResult

from conftest import REALDATA as SHARED_REALDATA

REALDATA = SHARED_REALDATA / "pages"

PAGE = """<!doctype html><html lang="en-GB"><head><title>Vegan Baking Resources</title>
<meta name="robots" content="noindex, follow"><meta name="viewport" content="width=device-width">
<meta name="generator" content="WordPress 6.4"><meta property="og:site_name" content="Crumb Club">
<link rel="canonical" href="/resources/"><link rel="alternate" hreflang="fr" href="https://fr.crumbclub.co.uk/">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"LocalBusiness","name":"Crumb Club",
"address":{"@type":"PostalAddress","addressLocality":"Leeds"}}</script></head><body>
<header class="site-header"><a href="/">Crumb Club</a></header>
<nav><ul><li><a href="/about">About</a></li><li><a href="/blog/">Blog</a></li></ul></nav>
<main><article><h1>Vegan Baking Resources</h1>
<p>Baking without eggs takes practice. For egg replacers we trust <a href="https://www.aquafaba.example.org/guide"
 rel="nofollow sponsored">the aquafaba guide</a> more than any other source. It covers meringues too.</p>
<p>Our second pick is <a href="https://flourpower.example.net/">Flour Power</a>, a blog about wholegrain flours
that we have read for years and still enjoy.</p></article></main>
<div class="sidebar widget"><a href="https://ads.example.com/banner">Advertise here</a></div>
<section id="comments"><div class="comment"><p>Great list! <a href="https://spammy.example.biz/" rel="ugc nofollow">cheap
stuff</a></p></div></section>
<footer><a href="https://www.crumbclub.co.uk/privacy">Privacy</a> <a href="https://twitter.com/crumbclub">Twitter</a></footer>
<form class="search-form" action="/search"><input name="q" type="search"></form>
</body></html>"""

FORUM = """<html><head><title>Help with sourdough starter - Bread Board</title></head><body>
<div class="thread">""" + "".join(
    f"""<div class="post" id="p{i}"><div class="postdetails">Posted by user{i} on {d}</div>
<div class="content">Reply number {i}: my starter smells like acetone after {i} days, what should I do next?</div></div>"""
    for i, d in enumerate(["Jan 3, 2024", "Jan 5, 2024", "February 11, 2024", "Mar 2nd, 2024"], 1)) + """
</div></body></html>"""


def ok(url: str, html: str, **kw) -> FetchResult:
    return FetchResult(url=url, final_url=url, outcome="ok", html=html, **kw)


def test_links_positions_rel_internal_context():
    ext = extract(ok("https://www.crumbclub.co.uk/resources/", PAGE))
    by_url = {lk.url: lk for lk in ext.links}
    guide = by_url["https://www.aquafaba.example.org/guide"]
    assert guide.position == "content"
    assert guide.rel == ("nofollow", "sponsored")
    assert not guide.internal
    assert guide.context.startswith("For egg replacers we trust the aquafaba guide")
    assert by_url["https://flourpower.example.net/"].position == "content"
    assert by_url["https://www.crumbclub.co.uk/"].position == "header"
    assert by_url["https://www.crumbclub.co.uk/"].internal
    assert by_url["https://www.crumbclub.co.uk/about"].position == "navigation"
    assert by_url["https://ads.example.com/banner"].position == "sidebar"
    spam = by_url["https://spammy.example.biz/"]
    assert spam.position == "comments" and spam.rel == ("nofollow", "ugc")
    assert by_url["https://www.crumbclub.co.uk/privacy"].position == "footer"
    assert by_url["https://twitter.com/crumbclub"].position == "footer"


def test_page_meta():
    ext = extract(ok("https://www.crumbclub.co.uk/resources/", PAGE))
    m = ext.meta
    assert m["noindex"] is True and m["viewport"] is True
    assert m["canonical"] == "https://www.crumbclub.co.uk/resources/"
    assert m["hreflang"] == [{"lang": "fr", "url": "https://fr.crumbclub.co.uk/"}]
    assert m["schema"][0]["@type"] == "LocalBusiness"
    assert m["schema"][0]["address"]["addressLocality"] == "Leeds"
    assert m["og_site_name"] == "Crumb Club" and m["generator"].startswith("WordPress")
    assert [f["kind"] for f in m["forms"]] == ["search"]
    assert m["script_count"] == 1 and m["html_size"] == len(PAGE) and m["visible_text_length"] > 200
    assert ext.title == "Vegan Baking Resources" and ext.language == "en"
    assert "Baking without eggs takes practice" in ext.text
    assert "Advertise here" not in ext.text


def test_x_robots_tag_noindex():
    ext = extract(ok("http://a.example/", "<html><body><p>hello there</p></body></html>",
                     headers={"x-robots-tag": "noindex"}))
    assert ext.meta["noindex"] is True


def test_forum_activity_and_posts_in_text():
    ext = extract(ok("https://breadboard.example.com/t/1", FORUM))
    assert ext.forum_posts == 4
    assert ext.forum_last_post == "2024-03-02"
    for i in range(1, 5):
        assert f"Reply number {i}:" in ext.text


def test_parse_date_formats():
    assert parse_date("2024-03-05T10:00:00Z") == "2024-03-05"
    assert parse_date("20 Jul 2018 20:59") == "2018-07-20"
    assert parse_date("05.03.2024, 12:00") == "2024-03-05"
    assert parse_date("07/04/2026", dayfirst=True) == "2026-04-07"
    assert parse_date("07/04/2026") == "2026-07-04"
    assert parse_date("13/04/2026") == "2026-04-13"
    assert parse_date("no date here 99/99/9999") == ""


def test_non_ok_and_broken_html_do_not_crash():
    assert extract(FetchResult(url="http://x.example/", outcome="not_found")).text == ""
    broken = "<html><body><div><p>unclosed <b>tags <a href='http://[bad'>x</a> <table><tr><td>cell" * 2000
    ext = extract(ok("http://x.example/", broken))
    assert ext.meta["html_size"] == len(broken)
    huge = "<html><body>" + "<div class='x'><p>word " * 50_000 + "</body></html>"
    assert extract(ok("http://x.example/", huge)).meta["visible_text_length"] > 0
    xml_decl = "<?xml version='1.0' encoding='utf-8'?><html><body><p>hi</p></body></html>"
    assert extract(ok("http://x.example/", xml_decl)).full_text == "hi"


needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"{REALDATA} is not present (set DISCOVER_SHARED)")


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s)


@needs_realdata
def test_trafilatura_eval_snippets():
    """`with` snippets must be in our main text, `without` ones must not (floors pinned at measured rates)."""
    ev = json.loads((REALDATA / "trafilatura-eval/evaldata_subset.json").read_text(encoding="utf-8"))
    with_hit = with_total = without_ok = without_total = 0
    for url, e in ev.items():
        html, _ = decode_html((REALDATA / "trafilatura-eval" / e["file"]).read_bytes())
        text = _norm(extract(ok(url, html)).text)
        for s in e.get("with", []):
            with_total += 1
            with_hit += _norm(s) in text
        for s in e.get("without", []):
            without_total += 1
            without_ok += _norm(s) not in text
    assert with_hit / with_total >= 0.90, (with_hit, with_total)
    assert without_ok / without_total >= 0.90, (without_ok, without_total)


@needs_realdata
@pytest.mark.slow
def test_forum_gold_posts_come_through():
    """Share of harvest gold posts whose 4-grams are at least half present in our text (measured 0.92)."""
    tok = lambda s: re.findall(r"\w+", s.lower())  # noqa: E731
    grams = lambda ws: {tuple(ws[i:i + 4]) for i in range(max(1, len(ws) - 3))}  # noqa: E731
    hit = total = 0
    for f in sorted((REALDATA / "forums-harvest").glob("*.json.gz")):
        d = json.load(gzip.open(f, "rt", encoding="utf-8"))
        have = grams(tok(extract(ok(d["url"], d["html"])).text))
        for p in d["gold_standard_annotation"]:
            g = grams(tok(p["post_text"]["surface_form"]))
            total += 1
            hit += len(g & have) / max(1, len(g)) >= 0.5
    assert hit / total >= 0.88, (hit, total)
