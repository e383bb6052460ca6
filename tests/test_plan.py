"""Planning: the footprint library, place slots, operator translation per engine, input
validation, yield ordering and keyword expansion."""

from __future__ import annotations

import pytest

from discover.errors import ConfigError, InputError
from discover.plan import (
    PLAN_TYPES, FootprintStats, expand_terms, load_footprints, place_text, plan_queries, record_yield,
    region_for, yield_score,
)
from discover.search.engines import translate
from discover.search.query import rewrite

ALL_OPS = frozenset({"phrase", "intitle", "inurl", "site", "exclude", "or", "filetype"})


def test_library_covers_every_type_with_the_classic_footprints():
    fps = load_footprints()
    assert {fp.type for fp in fps} == set(PLAN_TYPES)
    assert len({fp.id for fp in fps}) == len(fps)
    templates = " | ".join(fp.template for fp in fps)
    for needle in ('"Powered by phpBB"', "inurl:viewtopic.php", '"powered by vBulletin" inurl:showthread',
                   '"Powered by SMF"', '"Powered By MyBB"', '"Forum software by XenForo"', "site:reddit.com",
                   '"add a site"', '"submit a site"', '"suggest a listing"', '"business directory"',
                   '"chamber of commerce"', '"journalist request"', '"looking for sources"', '"#journorequest"',
                   "intitle:resources", "inurl:links", '"useful links"', '"recommended resources"',
                   '"write for us"', '"guest post guidelines"', '"become a contributor"', "inurl:write-for-us",
                   '"leave a comment"', '"sponsored by"', "scholarship", "site:.gov", "site:.edu"):
        assert needle in templates, needle
    for fp in fps:
        assert "{keyword}" in fp.template or "{place}" in fp.template, fp.id
        assert ("{place}" in fp.template) == fp.place, fp.id


def test_plan_per_type_without_place():
    plan = plan_queries("vegan baking", engines=["local"])
    types = {q.prospect_type for q in plan.queries}
    assert types == set(PLAN_TYPES) - {"local"}
    assert all(q.round == 1 and q.keyword == "vegan baking" and q.footprint for q in plan.queries)
    assert all("vegan baking" in q.text for q in plan.queries)
    assert all("{" not in q.text for q in plan.queries)
    assert any("no --geo" in n for n in plan.notes)
    per_type = {t: sum(q.prospect_type == t for q in plan.queries) for t in types}
    assert max(per_type.values()) <= 6
    forum = [q.text for q in plan.queries if q.prospect_type == "forum"]
    assert 'vegan baking "Powered by phpBB"' in forum


def test_plan_with_place_inserts_the_city_only():
    plan = plan_queries("maternity clothes", geo="Des Moines, IA, US", types=["directory", "local"])
    assert plan.place == '"Des Moines"'
    texts = [q.text for q in plan.queries]
    assert '"add your business" OR "submit a site" OR "add a listing" "Des Moines"' in texts
    assert any(t.startswith('"sponsored by" OR "proud sponsor" "Des Moines"') for t in texts)
    assert all(", IA" not in t and "US" not in t.split() for t in texts)
    assert {q.prospect_type for q in plan.queries} == {"directory", "local"}
    assert all(q.geo == "Des Moines, IA, US" for q in plan.queries)
    # place variants lead their type when a place is given
    assert plan.queries[0].footprint.endswith("place")
    assert place_text("Leeds, West Yorkshire, GB") == "Leeds"


def test_max_per_type_and_types_filter():
    plan = plan_queries("dog grooming", types=["forum"], max_per_type=2)
    assert [q.footprint for q in plan.queries] == ["forum-software-any", "forum-xenforo"]


@pytest.mark.parametrize("bad", ["", "   ", "x" * 201, "12345 !!", "site:example.com -spam", "OR |",
                                 'intitle:"" inurl:x'])
def test_bad_keywords_are_input_errors(bad):
    with pytest.raises(InputError):
        plan_queries(bad)


def test_unknown_type_lists_the_valid_ones():
    with pytest.raises(InputError) as err:
        plan_queries("vegan baking", types=["forum", "podcast"])
    assert "podcast" in str(err.value) and "guest_post" in (err.value.hint or "")


def test_unknown_engine_is_a_config_error():
    with pytest.raises(ConfigError):
        plan_queries("vegan baking", engines=["altavista"])


def test_rewrite_unsupported_operators_with_notes():
    text, notes = rewrite('baking inurl:write-for-us intitle:resources -site:spam.com "a b" OR "c d"',
                          frozenset({"phrase", "site"}), "toy")
    assert text == 'baking "write for us" resources "a b"'
    joined = " / ".join(notes)
    assert "inurl: rewritten" in joined and "intitle: rewritten" in joined
    assert "exclusion -site:spam.com dropped" in joined and "OR dropped" in joined
    assert all(n.endswith("unsupported by toy") for n in notes)
    # nothing changes when everything is supported
    q = 'baking inurl:links -"x y" (a OR b) site:.gov'
    assert rewrite(q, ALL_OPS, "all") == (q, ())
    # suffix site: filters cannot be expressed as words: dropped with a note
    text, notes = rewrite('"Des Moines" site:.gov baking', frozenset({"phrase"}), "toy")
    assert text == '"Des Moines" baking' and "site:.gov dropped" in notes[0]
    text, notes = rewrite('"write for us" baking', frozenset(), "toy")
    assert text == "write for us baking" and "quotes removed" in notes[0]
    text, _ = rewrite("baking inurl:viewtopic.php site:reddit.com", frozenset(), "toy")
    assert text == "baking viewtopic reddit"


def test_translate_uses_each_engines_declared_operators():
    from discover.search.engines import get_engine

    plan = plan_queries("vegan baking", types=["forum", "guest_post"], engines=["local", "bing"])
    assert all(not notes for _, notes in plan.translations["local"])
    bing_ops = get_engine("bing").SUPPORTED_OPERATORS
    i = [q.footprint for q in plan.queries].index("forum-inurl")
    text, notes = plan.translations["bing"][i]
    if "inurl" in bing_ops:
        assert text == plan.queries[i].text and not notes
    else:
        assert "inurl:" not in text and "forum" in text and notes
    assert translate('"a" site:x.com', "local") == ('"a" site:x.com', ())
    bing_queries = plan.for_engine("bing")
    assert [q.footprint for q in bing_queries] == [q.footprint for q in plan.queries]
    assert bing_queries[i].notes == notes
    assert plan.to_json()["queries"][i]["engines"]["bing"]["text"] == text


def test_yield_statistics_sink_footprints_that_produce_nothing():
    stats: dict = {}
    for _ in range(4):
        record_yield(stats, "forum-phpbb", "local", 0, 0)
    record_yield(stats, "forum-mybb", "local", 12, 4)
    assert stats[("forum-phpbb", "local")] == FootprintStats(results=0, good=0, queries=4)
    assert yield_score(stats[("forum-mybb", "local")]) > yield_score(None) > yield_score(stats[("forum-phpbb", "local")])
    ids = [q.footprint for q in plan_queries("dog grooming", types=["forum"], max_per_type=20, stats=stats).queries]
    assert ids[0] == "forum-mybb" and ids[-1] == "forum-phpbb"
    # statistics for another engine do not count
    ids = [q.footprint for q in plan_queries("dog grooming", types=["forum"], engines=["bing"], stats=stats).queries]
    assert ids[0] == "forum-software-any"
    # the store's row shape and plain (results, good) tuples are accepted
    assert yield_score({"queries": 3, "results": 0, "good": 0}) == pytest.approx(0.2)
    assert yield_score((10, 5)) == pytest.approx(2.0)


def test_region_for_places():
    assert region_for("Leeds, West Yorkshire, GB") == {"country": "gb", "language": "en"}
    assert region_for("Des Moines, IA, US") == {"country": "us", "language": "en"}
    assert region_for("Austin, TX") == {"country": "us", "language": "en"}
    assert region_for("Lyon, Auvergne-Rhône-Alpes, FR") == {"country": "fr", "language": "fr"}
    assert region_for("") == {} and region_for("Springfield") == {}


def test_expand_terms_mines_niche_words_and_feeds_round_two():
    texts = [
        "Best maternity jeans for the bump, plus nursing bras. Powered by phpBB. Leave a comment.",
        "Nursing bras and maternity jeans: a guide for expecting mums. Write for us.",
        "Our favourite nursing tops and maternity jeans for the third trimester.",
        "Trimester by trimester: nursing and bump care. Useful links.",
    ]
    terms = expand_terms(texts, "maternity clothes", n=4)
    assert terms and len(terms) <= 4
    joined = " ".join(terms)
    assert "nursing" in joined and "jeans" in joined
    for bad in ("maternity", "powered", "phpbb", "comment", "useful", "links", "write"):
        assert bad not in joined.split()
    plan = plan_queries("maternity clothes", types=["forum", "resource"], extra_terms=terms, max_per_type=3)
    assert plan.queries and all(q.round == 2 for q in plan.queries)
    assert all(any(t in q.text for t in terms) and "maternity clothes" in q.text for q in plan.queries)
    assert sum(q.prospect_type == "forum" for q in plan.queries) <= 3
    assert expand_terms([], "x") == [] and expand_terms(["the and of"], "x") == []


def test_expand_terms_leaves_out_the_place_and_keyword_variants():
    texts = ["Des Moines Iowa groomers offer puppy cuts and nail trims",
             "Puppy cuts in Des Moines, Iowa: our groomer does nail trims",
             "Nail trims and puppy cuts from a mobile groomer in Iowa"]
    terms = expand_terms(texts, "dog grooming", n=6, geo="Des Moines, IA, US")
    words = {w for t in terms for w in t.split()}
    assert words & {"puppy", "cuts", "nail", "trims"}
    assert not words & {"des", "moines", "iowa", "groomers", "groomer"}
