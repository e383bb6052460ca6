"""The query language (discover.search.query) and the engine protocol."""

from __future__ import annotations

import inspect

import pytest

from discover.errors import InputError
from discover.plan import clean_keyword
from discover.search.engines import ENGINES, OPERATORS, SearchEngine, translate
from discover.search.query import (
    And, Field, Not, Or, Phrase, Term, compound_stems, host_matches, lex, parse_query, plain_words, stem,
)


def test_lex_keeps_what_was_written():
    toks = lex('-site:spam.com allintitle:a b ("x y" | z) http://u.v/w')
    assert [(t.kind, t.op, t.value, t.neg, t.quoted) for t in toks] == [
        ("atom", "site", "spam.com", True, False), ("atom", "intitle", "a", False, False),
        ("atom", "", "b", False, False), ("(", "", "", False, False), ("atom", "", "x y", False, True),
        ("OR", "", "", False, False), ("atom", "", "z", False, False), (")", "", "", False, False),
        ("atom", "", "http://u.v/w", False, False)]
    assert toks[0].text == "-site:spam.com" and toks[1].spelled == "allintitle"


def test_parse_query_tree():
    tree = parse_query('Baking intitle:"Write for us" -site:x.com (forum OR board) "home brew" filetype:PDF')
    assert tree == And((Term("baking"), Field("intitle", "write for us", True), Not(Field("site", "x.com")),
                        Or((Term("forum"), Term("board"))), Phrase(("home", "brew")), Field("filetype", "pdf")))
    assert parse_query("allintitle:dog grooming") == And((Field("intitle", "dog"), Term("grooming")))
    assert parse_query('allintitle:"dog grooming"') == And((Field("intitle", "dog grooming", True),))


def test_words_and_hosts():
    assert stem("groomers") == stem("grooming") == "groom"
    assert compound_stems(["home", "brewing"]) == [(0, "homebrew")]
    assert host_matches("forum.example.com", "example.com") and not host_matches("badexample.com", "example.com")
    assert host_matches("city.leeds.gov.uk", ".gov.uk") and host_matches("x.gov", "gov")


def test_plain_words_and_keywords_made_of_operators():
    assert plain_words('dog intitle:"grooming tips" -cats OR related:x AND "dog show"') == ["dog", "dog show"]
    with pytest.raises(InputError, match="only search operators"):
        clean_keyword('intitle:"dog grooming"')         # a quoted operator value is not a plain word
    assert clean_keyword("  dog   grooming ") == "dog grooming"


def _fits(function, protocol_method) -> bool:
    """The protocol's parameters come first, in order; anything an engine adds has a default."""
    want = list(inspect.signature(protocol_method).parameters)[1:]     # without self
    have = list(inspect.signature(function).parameters.values())
    return [p.name for p in have[:len(want)]] == want and all(
        p.default is not inspect.Parameter.empty for p in have[len(want):])


def test_every_engine_implements_the_protocol():
    for name in ENGINES:
        engine = ENGINES[name]
        assert isinstance(engine, SearchEngine), name
        assert engine.SUPPORTED_OPERATORS <= OPERATORS, name
        assert _fits(engine.search_url, SearchEngine.search_url), name
        assert _fits(engine.parse, SearchEngine.parse), name


def test_translate_uses_the_engines_operators():
    assert translate('"write for us" inurl:guest-post baking', "bing") == (
        '"write for us" "guest post" baking', ("inurl: rewritten as plain words: unsupported by bing",))
    assert translate("a OR b", "ddg") == ("a", ("OR dropped, first alternative kept: unsupported by duckduckgo",))
