"""The local search engine: query language, BM25 ranking, result markup, captcha modes, index
cache, and the synthetic world generator it is benchmarked on."""

from __future__ import annotations

import asyncio
import csv
import hashlib
from pathlib import Path

import pytest

from discover.errors import InputError
from discover.search.query import parse_query
from discover.webworld.engine import ENGINE_HOST, engine_of, index_for, install_engine
from discover.webworld.generate import generate_world
from discover.webworld.world import World


def page(title: str, body: str, script: str = "") -> str:
    return (f"<!doctype html><html><head><title>{title}</title><script>{script}</script>"
            f"<style>.x{{}}</style></head><body>{body}</body></html>")


def engine_sites() -> dict[str, dict[str, str]]:
    sites = {
        "forum.mumsboard.com": {
            "index.html": page("Mums Board", "<p>Welcome to the board for parents.</p>"),
            "forum/viewtopic-12.html": page("Best maternity jeans? - Mums Board",
                                            "<p>Which maternity clothes shop do you like?</p>"
                                            "<footer>Powered by phpBB Forum Software</footer>"),
        },
        "www.bumpstyle.com": {
            "resources.html": page("Maternity Resources",
                                   "<h1>Useful links</h1><p>Recommended resources for maternity clothes shoppers."
                                   "</p>"),
            "write-for-us.html": page("Write for us",
                                      "<p>We accept guest posts about maternity clothes and pregnancy. See our "
                                      "resources for writers.</p>"),
            "secret.html": page("Hidden script page", "<p>nothing</p>", script="var s = 'zebracorn';"),
            "retired.html": page("Retired maternity page", "<p>maternity clothes archive</p>"),
            "_routes.toml": '["/retired"]\nstatus = 410\n',
        },
        "blog.veganbakes.org": {
            "post-1.html": page("Aquafaba meringue", "<p>Vegan baking with aquafaba. Leave a comment below.</p>"),
        },
        "dogs.leeds.gov.uk": {
            "resources.html": page("Dog grooming resources in Leeds", "<p>Council list of groomers.</p>"),
        },
        "www.long-text.com": {
            "index.html": page("Gardening notes", "<p>" + "soil compost seeds " * 80 + "maternity once.</p>"),
        },
    }
    sites["pages.example.com"] = {f"p-{i:02d}.html": page(f"Widget page {i}", f"<p>pagination widget {i}</p>")
                                  for i in range(25)}
    return sites


def write_world(root: Path, sites: dict[str, dict[str, str]]) -> Path:
    for host, files in sites.items():
        for rel, content in files.items():
            f = root / "sites" / host / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(content, encoding="utf-8")
    return root


@pytest.fixture()
def engine(tmp_path):
    world = World(write_world(tmp_path / "web", engine_sites()))
    return install_engine(world)


def urls(engine, q: str) -> list[str]:
    results, _ = engine.search(q)
    return [r["url"] for r in results]


# ── query language ───────────────────────────────────────────────────────────────────────

def test_exact_phrase_matches_words_in_order_only(engine):
    assert urls(engine, '"powered by phpbb"') == ["http://forum.mumsboard.com/forum/viewtopic-12.html"]
    assert urls(engine, '"phpbb by powered"') == []
    assert urls(engine, '"useful links" maternity') == ["http://www.bumpstyle.com/resources.html"]


def test_script_and_style_text_is_not_indexed(engine):
    assert urls(engine, "zebracorn") == []


def test_intitle_word_and_phrase(engine):
    assert set(urls(engine, "intitle:resources")) == {"http://www.bumpstyle.com/resources.html",
                                                      "http://dogs.leeds.gov.uk/resources.html"}
    # the write-for-us page says "resources" in its text, not its title
    assert "http://www.bumpstyle.com/write-for-us.html" in urls(engine, "resources")
    assert urls(engine, 'intitle:"maternity jeans"') == ["http://forum.mumsboard.com/forum/viewtopic-12.html"]
    assert urls(engine, 'intitle:"jeans maternity"') == []


def test_inurl_is_a_url_substring(engine):
    assert urls(engine, "inurl:viewtopic maternity") == ["http://forum.mumsboard.com/forum/viewtopic-12.html"]
    assert urls(engine, "inurl:write-for-us") == ["http://www.bumpstyle.com/write-for-us.html"]
    assert urls(engine, "inurl:nothing-like-this maternity") == []


def test_site_matches_host_subdomains_and_suffixes(engine):
    assert set(urls(engine, "site:bumpstyle.com maternity")) == {
        "http://www.bumpstyle.com/resources.html", "http://www.bumpstyle.com/write-for-us.html"}
    assert urls(engine, "site:leeds.gov.uk") == ["http://dogs.leeds.gov.uk/resources.html"]
    assert urls(engine, "site:.gov.uk grooming") == ["http://dogs.leeds.gov.uk/resources.html"]
    assert urls(engine, "site:uk grooming") == ["http://dogs.leeds.gov.uk/resources.html"]
    assert urls(engine, "site:umpstyle.com maternity") == []   # not a suffix on a label boundary


def test_exclusions(engine):
    both = set(urls(engine, "maternity clothes"))
    assert "http://forum.mumsboard.com/forum/viewtopic-12.html" in both
    assert "http://forum.mumsboard.com/forum/viewtopic-12.html" not in urls(engine, "maternity clothes -phpbb")
    assert not any("bumpstyle" in u for u in urls(engine, "maternity clothes -site:bumpstyle.com"))
    assert "http://www.bumpstyle.com/resources.html" not in urls(engine, 'maternity -"useful links"')
    assert "http://www.bumpstyle.com/write-for-us.html" not in urls(engine, "maternity -inurl:write")
    assert urls(engine, "-maternity") == []   # exclusions alone match nothing


def test_or_between_phrases_and_groups(engine):
    assert set(urls(engine, '"write for us" OR "powered by phpbb"')) == {
        "http://www.bumpstyle.com/write-for-us.html", "http://forum.mumsboard.com/forum/viewtopic-12.html"}
    assert set(urls(engine, "(aquafaba OR groomers) | zebra")) == {
        "http://blog.veganbakes.org/post-1.html", "http://dogs.leeds.gov.uk/resources.html"}
    assert set(urls(engine, "maternity (jeans OR pregnancy)")) == {
        "http://forum.mumsboard.com/forum/viewtopic-12.html", "http://www.bumpstyle.com/write-for-us.html"}


def test_combination_of_operators(engine):
    q = 'maternity intitle:resources -site:forum.mumsboard.com "useful links" OR "helpful links"'
    assert urls(engine, q) == ["http://www.bumpstyle.com/resources.html"]


def test_bm25_title_boost_and_length_normalisation(engine):
    ranked = urls(engine, "maternity")
    assert ranked[-1] == "http://www.long-text.com/"   # one mention in a long page comes last
    assert ranked[0] in ("http://www.bumpstyle.com/resources.html",
                         "http://forum.mumsboard.com/forum/viewtopic-12.html")   # title matches first


def test_pages_answering_non_2xx_are_not_indexed(engine):
    assert all("retired" not in u for u in urls(engine, "maternity"))


def test_parse_query_tree():
    tree = parse_query('(a OR b) -"x y" intitle:"q r" site:.gov http://x')
    kinds = [type(n).__name__ for n in tree.nodes]
    assert kinds == ["Or", "Not", "Field", "Field", "Phrase"]   # "http://x" is words, not an operator
    assert tree.nodes[2].op == "intitle" and tree.nodes[2].value == "q r" and tree.nodes[2].phrase
    assert tree.nodes[3].op == "site" and tree.nodes[3].value == ".gov"


# ── HTTP face ────────────────────────────────────────────────────────────────────────────

def get(world: World, path: str):
    return world.respond(ENGINE_HOST, path)


def test_result_page_markup_and_pagination(engine):
    world = engine.world
    r1 = get(world, "/search?q=pagination+widget")
    html = r1.body.decode()
    assert r1.status == 200 and html.count('class="result"') == 10
    assert 'id="results" start="1"' in html and 'id="next"' in html and "p=2" in html
    assert '<p class="snippet">' in html and "<b>pagination</b>" in html
    r3 = get(world, "/search?q=pagination+widget&p=3").body.decode()
    assert r3.count('class="result"') == 5 and 'id="next"' not in r3
    assert 'rel="prev"' in r3 and 'start="21"' in r3


def test_no_results_page_and_home(engine):
    html = get(engine.world, "/search?q=xylophonequartz").body.decode()
    assert 'id="no-results"' in html and "did not match any documents" in html
    home = get(engine.world, "/")
    assert home.status == 200 and b'id="search-form"' in home.body
    assert get(engine.world, "/search?q=").status == 302


def test_snippet_escapes_page_text(tmp_path):
    world = World(write_world(tmp_path / "w", {"x.com": {"index.html": page(
        "T", "<p>maternity &lt;script&gt;alert(1)&lt;/script&gt;</p>")}}))
    eng = install_engine(world)
    html = get(world, "/search?q=maternity").body.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert eng.queries == 1


def test_captcha_modes(engine):
    world = engine.world
    engine.captcha = True
    engine.retry_after = 7
    r = get(world, "/search?q=maternity")
    assert r.status == 429 and r.headers["Retry-After"] == "7"
    assert b'id="captcha-form"' in r.body and b"unusual traffic" in r.body
    engine.captcha_status = 200
    r = get(world, "/search?q=maternity")
    assert r.status == 200 and b'id="captcha-form"' in r.body and "Retry-After" not in r.headers
    engine.captcha = False
    assert b'class="result"' in get(world, "/search?q=maternity").body


def test_rate_limit_after_n_queries(tmp_path):
    world = World(write_world(tmp_path / "w", engine_sites()))
    eng = install_engine(world, rate_limit_after=2)
    assert engine_of(world) is eng
    statuses = [get(world, "/search?q=maternity").status for _ in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_index_is_cached_per_world_and_invalidated_on_change(tmp_path):
    root = write_world(tmp_path / "w", engine_sites())
    first = index_for(World(root))
    assert index_for(World(root)) is first
    (root / "sites" / "new.example.org").mkdir()
    (root / "sites" / "new.example.org" / "index.html").write_text(page("Quokka", "<p>quokka facts</p>"))
    eng = install_engine(World(root))
    assert eng.search("quokka")[0][0]["url"] == "http://new.example.org/"


def test_search_through_the_real_server_and_chromium(tmp_path):
    from discover.runtime import Runtime
    from discover.settings import Settings

    root = write_world(tmp_path / "w", engine_sites())

    async def go() -> tuple[str, list[str]]:
        async with Runtime(Settings(web=str(root), data_dir=str(tmp_path / "d"))) as rt:
            browser = await rt.browser()
            ctx = await browser.new_context()
            pg = await ctx.new_page()
            await pg.goto(f"http://{ENGINE_HOST}/")
            await pg.fill("input[name=q]", '"powered by phpbb"')
            await pg.click("button[type=submit]")
            await pg.wait_for_selector("ol#results")
            links = await pg.eval_on_selector_all("a.result-link", "els => els.map(e => e.href)")
            await ctx.close()
            return pg.url, links

    url, links = asyncio.run(go())
    assert url.startswith(f"http://{ENGINE_HOST}/search?q=")
    assert links == ["http://forum.mumsboard.com/forum/viewtopic-12.html"]


# ── generator ────────────────────────────────────────────────────────────────────────────

def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def test_generate_world_is_deterministic_and_valid(tmp_path):
    a = generate_world(tmp_path / "a", sites=60, pages_per_site=3, seed=7)
    b = generate_world(tmp_path / "b", sites=60, pages_per_site=3, seed=7)
    c = generate_world(tmp_path / "c", sites=60, pages_per_site=3, seed=8)
    assert a == b == {"hosts": 60, "pages": 180}
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")
    world = World(tmp_path / "a")
    assert len(world.hosts) == 60
    rows = list(csv.DictReader((tmp_path / "a" / "labels.csv").open(encoding="utf-8")))
    assert len(rows) == 180 and {r["type"] for r in rows} >= {"forum", "resource", "blog", "directory"}
    routes = list((tmp_path / "a" / "sites").glob("*/_routes.toml"))
    assert routes, "some hosts carry special routes"
    host = routes[0].parent.name
    assert world.respond(host, "/retired").status == 410
    assert world.respond(host, "/old-page").status == 301
    html = "".join(f.read_text() for f in (tmp_path / "a" / "sites").rglob("*.html"))
    assert ".example.com/" in html     # links to hosts that do not exist
    assert "queries.toml" in {p.name for p in (tmp_path / "a").iterdir()}
    with pytest.raises(InputError):
        generate_world(tmp_path / "a", sites=5, pages_per_site=1, seed=1)


def test_generated_world_answers_footprints_with_the_right_types(tmp_path):
    generate_world(tmp_path / "g", sites=120, pages_per_site=2, seed=3)
    labels = {r["url"]: r["type"] for r in csv.DictReader((tmp_path / "g" / "labels.csv").open())}
    eng = install_engine(World(tmp_path / "g"))
    for query, typ in (('"write for us"', "guest_post"), ('"leave a comment"', "blog"),
                       ("intitle:resources", "resource"), ('"journalist request"', "haro")):
        results, total = eng.search(query)
        assert total > 0, query
        assert all(labels[r["url"]] == typ for r in results), query


def test_word_forms_and_compounds_match_like_web_engines(tmp_path):
    """The keyword as typed finds pages that use other forms of its words, as real engines do:
    "home brewing" → "homebrewing", "wedding photography" → "wedding photographers"."""
    world = World(write_world(tmp_path / "forms", {
        "brew.example": {"index.html": page("Homebrewing club", "<p>Our homebrewers meet monthly.</p>")},
        "photo.example": {"index.html": page("Austin wedding photographers", "<p>Photographing weddings.</p>")},
        "other.example": {"index.html": page("Home improvement", "<p>Brewing coffee at home.</p>")},
    }))
    engine = install_engine(world)
    assert "http://brew.example/" in urls(engine, "home brewing")
    assert "http://photo.example/" in urls(engine, "wedding photography")
    assert urls(engine, '"wedding photography"') == []          # a phrase stays exact
