"""Page-type classification: purpose-made pages, footprint hints that must not decide, the model
artefact's safety. Held-out floors on real pages and worlds: tests/test_page_types.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from discover.pages.classify import MODEL_PATH, PageTypeModel, classify, load_model
from discover.errors import ModelError
from discover.pages.extract import extract
from discover.records import FetchResult

REPO = Path(__file__).resolve().parents[1]
WORLD = REPO / "fixtures" / "web"


def page(url: str, body: str, head: str = "", title: str = "Page") -> tuple:
    html = f"<!doctype html><html lang='en'><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    ext = extract(FetchResult(url=url, final_url=url, outcome="ok", html=html))
    return ext, html


FILLER = "<p>" + "Our community shares tips about sourdough, proofing times and oven temperatures. " * 6 + "</p>"

FORUM = "".join(
    f"<div class='post' id='post{i}'><div class='postprofile'><a href='./memberlist.php?mode=viewprofile&u={i}'>"
    f"baker{i}</a> Joined: Jan 2020 Posts: {i * 7}</div><div class='postbody'><p class='author'>by baker{i} » "
    f"{d}</p><div class='content'>Re: starter help. My starter doubled in {i + 3} hours, is that normal for rye? "
    f"I feed it twice a day and keep it near the oven.</div></div></div>"
    for i, d in enumerate(["Mon Mar 04, 2024 9:12 am", "Tue Mar 05, 2024 10:01 am", "Wed Mar 06, 2024 8:40 pm",
                           "Thu Mar 07, 2024 7:15 am"], 1))

GUIDELINES = """<h1>Write for us</h1><p>We accept guest posts from home bakers. Guidelines:</p><ul>
<li>Original content only, 1200-2000 words, never published elsewhere.</li><li>One do-follow link in your author bio.</li>
<li>Pitch us your idea first; we do not accept sponsored posts.</li></ul><p>Send your pitch to editor@crumbclub.com.</p>"""

RESOURCE_LINKS = "".join(f"<li><a href='https://site{i}.example{i % 3}.org/'>Baking site number {i}</a> "
                         f"- a useful guide on topic {i}</li>" for i in range(14))

SPAM = "".join(f"<p>Best online casino bonus {i}! <a href='https://casino{i}-bonus.biz/'>casino slots</a> "
               f"<a href='https://pills{i}-shop.info/'>cheap viagra</a> payday loans today.</p>" for i in range(8))

HARO = """<h1>Source request: vegan bakers for a Christmas feature</h1><table><tr><th>Outlet</th><td>The Daily Loaf
</td></tr><tr><th>Deadline</th><td>5pm GMT 24 November</td></tr><tr><th>Requirements</th><td>UK-based vegan bakers
</td></tr></table><p>Journalist looking for sources: expert bakers to comment on egg-free Christmas baking.</p>"""


def test_forum_thread():
    ext, html = page("https://bakersboard.example.com/viewtopic.php?t=12", FORUM, title="Starter help")
    c = classify(ext, html)
    assert c.type == "forum", c
    assert any("phpBB" in e or "dated posts" in e for e in c.evidence)
    assert 0 < c.confidence <= 1


def test_guest_post_needs_guidelines():
    ext, html = page("https://crumbclub.example.com/write-for-us", GUIDELINES + FILLER, title="Write for us")
    c = classify(ext, html, hint_types=("guest_post",))
    assert c.type == "guest_post", c
    assert any("guidelines" in e for e in c.evidence)
    # A page found by a "write for us" footprint that is really a recipe post is not a guest-post page.
    body = ("<article><h1>Chocolate cake</h1>" + FILLER * 3 + "<p>Posted by Jane on March 3, 2024</p></article>"
            "<footer><a href='/write-for-us'>Write for us</a></footer>")
    ext2, html2 = page("https://crumbclub.example.com/blog/chocolate-cake", body, title="Chocolate cake")
    c2 = classify(ext2, html2, hint_types=("guest_post",))
    assert c2.type != "guest_post", c2
    assert any("found by a 'guest_post' footprint" in e for e in c2.evidence)


def test_resource_page_vs_thin_resources_page():
    ext, html = page("https://crumbclub.example.com/resources", f"<h1>Baking resources</h1><ul>{RESOURCE_LINKS}</ul>",
                     title="Useful baking resources")
    c = classify(ext, html, hint_types=("resource",))
    assert c.type == "resource", c
    assert any("outbound links" in e for e in c.evidence)
    thin = "<h1>Resources</h1><ul>" + "".join(f"<li><a href='https://x{i}.example.org/'>x{i}</a></li>" for i in range(3)) \
        + "</ul>" + FILLER
    ext2, html2 = page("https://crumbclub.example.com/resources-2", thin, title="Resources")
    c2 = classify(ext2, html2, hint_types=("resource",))
    assert c2.type != "resource", c2


def test_haro_and_spam():
    ext, html = page("https://pressreq.example.com/r/991", HARO, title="Source request")
    c = classify(ext, html)
    assert c.type == "haro" and "deadline and outlet fields" in c.evidence, c
    ext2, html2 = page("https://linkfarm.example.biz/page7", SPAM, title="best casino viagra loans")
    c2 = classify(ext2, html2, hint_types=("resource",))
    assert c2.type == "spam", c2
    assert any("anchors" in e for e in c2.evidence)


def test_model_artefact_is_json_and_fast_to_load(tmp_path):
    import time

    t0 = time.perf_counter()
    model = PageTypeModel.load(MODEL_PATH)
    assert time.perf_counter() - t0 < 1.0
    assert set(model.classes) <= {"forum", "directory", "haro", "resource", "guest_post", "blog", "news", "spam", "other"}
    json.loads(MODEL_PATH.read_text(encoding="utf-8"))   # plain JSON, never a pickle


def test_missing_or_corrupt_model_raises_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        PageTypeModel.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="corrupt"):
        PageTypeModel.load(bad)
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["coef"] = data["coef"][:-1]
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="shapes"):
        PageTypeModel.load(bad)


def test_shipped_model_cached():
    assert load_model() is load_model()


def test_plain_markup_directory_and_link_selling_page():
    """Markup by other hands: a directory with no listing classes and a submit *link*, and a
    link list whose title sells links, are a directory and spam (not other / resource)."""
    from discover.pages.classify import classify
    from discover.pages.extract import extract
    from discover.records import FetchResult

    items = "".join(f'<li><a href="http://site{i}.example/">Item {i}</a> — a short note.</li>' for i in range(8))
    pages = {
        "directory": ("<html><head><title>Baking Directory - Add a Site</title></head><body><nav>"
                      '<a href="/">Home</a></nav><main><h1>Baking Directory - Add a Site</h1><p>Business directory '
                      f'of baking sites. <a href="/submit.html">Submit a site</a></p><ul>{items}</ul></main></body></html>'),
        "spam": ("<html><head><title>Best baking links cheap buy backlinks casino</title></head><body><main>"
                 f"<h1>Best baking links cheap buy backlinks casino</h1><p>Buy links now.</p><ul>{items}</ul>"
                 "</main></body></html>"),
    }
    for want, html in pages.items():
        url = f"http://{want}-x.example/page-1.html"
        fr = FetchResult(url=url, final_url=url, outcome="ok", status=200, html=html, content_type="text/html")
        assert classify(extract(fr), html).type == want


def _rules(url: str, body: str, title: str = "Page", head: str = ""):
    from discover.pages.classify import VETO, rule_scores
    ext, html = page(url, body, head=head, title=title)
    scores, why = rule_scores(ext, html)
    return scores, why[VETO]


def test_plain_listing_pages_are_directories():
    """Old table rows, plain sections and classed shop rows, each with a join/add link."""
    rows = "".join(f"<tr><td><b>Bakery {i}</b><br><small>Town {i}</small></td><td>Rye and spelt loaves.</td></tr>"
                   for i in range(4))
    table = (f"<table><tr><td><font size=5>Bread Pros</font> <a href='/join.html'>Join the directory</a>"
             f"<table border=1><tr><th>Bakery</th><th>Notes</th></tr>{rows}</table></td></tr></table>")
    section = ("<main><section>" + "".join(f"<h2>Bakery {i}</h2><p>Sourdough and rolls.</p>" for i in range(3))
               + "</section><p><a href='/add'>Add your Leeds business</a></p></main>")
    shops = ("".join(f"<div class='shop'><b>Bakery {i}</b> — York<br>Flour and yeast.</div>" for i in range(4))
             + "<p><a href='/submit.html'>Submit a shop</a></p>")
    for body in (table, section, shops):
        scores, _ = _rules("http://breadpros.example/bakers.html", body, title="Bakers")
        assert scores["directory"] >= 2.0


def test_layout_table_is_not_a_listing():
    body = ("<table><tr><td>Logo</td></tr><tr><td><a href='/submit.html'>Submit a site</a></td></tr>"
            "<tr><td><h1>About us</h1><p>We review listings.</p></td></tr><tr><td>Footer</td></tr></table>")
    scores, _ = _rules("http://breadpros.example/about.html", body, title="About")
    assert scores["directory"] < 2.0


def test_links_page_with_section_list_is_resource():
    items = "".join(f"<li><a href='https://ref{i}.example.org/'>Reference {i}</a></li>" for i in range(10))
    body = f"<main><h1>Baking links</h1><section><h2>Starters</h2><ul>{items}</ul></section></main>"
    scores, vetoed = _rules("http://crumbclub.example/links.html", body, title="Baking links")
    assert scores["resource"] >= 3.0 and "resource" not in vetoed


def test_contribute_page_with_guidelines_is_guest_post():
    body = ("<h1>Contribute to Crumb Club</h1><p>Readers write half of what we publish.</p>"
            "<h2>How to submit a guest post</h2><p>Email a pitch. Finished posts run 900 to 2,000 words; "
            "contributors get a byline and a short bio.</p>")
    scores, vetoed = _rules("http://crumbclub.example/contribute.html", body, title="Contribute")
    assert scores["guest_post"] >= 3.0 and "guest_post" not in vetoed
    # A write-for-us title with no guidelines stays vetoed.
    _, vetoed = _rules("http://crumbclub.example/write-for-us.html", "<p>Email us.</p>", title="Write for us")
    assert "guest_post" in vetoed


def test_blog_home_page_listing_posts():
    posts = "".join(f"<article class='card'><h2><a href='/2024/0{i}/post-{i}/'>Post {i}</a></h2>"
                    f"<p>Excerpt {i}.</p></article>" for i in range(1, 4))
    body = f"<main>{posts}</main>"
    scores, _ = _rules("http://crumbblog.example/", body, title="Crumb blog",
                       head="<meta name='generator' content='WordPress 6.4'>")
    assert scores["blog"] >= 1.5


def test_link_farm_vetoes_resource_and_directory():
    items = "".join(f"<li><a href='https://s{i}.example/'>{a}</a></li>"
                    for i, a in enumerate(["online casino", "cheap viagra", "payday loans", "crypto"] * 3))
    body = (f"<h1>Link packages</h1><p>Buy backlinks today. Price list: $20 per link. Casino and forex links.</p>"
            f"<ul>{items}</ul>")
    scores, vetoed = _rules("http://linkvault.example/links.html", body, title="Baking links")
    assert scores["spam"] >= 3 and {"resource", "directory"} <= set(vetoed)


def test_spun_article_scores_spam():
    spun = ("The best bread machine is the great machine for the bread at home. The best bread machine "
            "makes the bread machine easy. Number one bread machine is the best bread machine for the home. "
            "Buy the best bread machine now, the bread machine is the best. ") * 3
    scores, _ = _rules("http://articlehub.example/best-bread-machine.html", f"<p>{spun}</p>",
                       title="Best bread machine")
    assert scores["spam"] >= 2.5


def test_journalist_request_list_is_haro():
    reqs = "".join(f"<div class='r'><div>Reporter, Paper {i} · Deadline May {10 + i}</div>"
                   f"<a href='/requests/{i}.html'>Bakers wanted for story {i}</a></div>" for i in range(4))
    body = f"<h1>Open requests</h1><p>Journalists post source requests here.</p>{reqs}"
    scores, _ = _rules("http://sourcedesk.example/", body, title="Open requests")
    assert scores["haro"] >= 2.5
