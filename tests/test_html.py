"""discover.html: the one parser, visible text and selectors every stage uses."""

from __future__ import annotations

import pytest

from discover.html import compile_selector, load_html, select, select_first, text_of, visible_text


def test_load_html_gives_a_document_whatever_the_input():
    for raw in ("", "   ", "<p>fragment</p>", "<?xml version='1.0' encoding='utf-8'?><html><body>x</body></html>",
                b"<html><head><meta charset='iso-8859-1'></head><body>caf\xe9</body></html>", "<<<>>>"):
        root = load_html(raw)
        assert root.tag == "html"
    assert visible_text(load_html(b"<html><head><meta charset='iso-8859-1'></head><body>caf\xe9</body></html>")) == "café"


def test_visible_text_skips_what_a_reader_does_not_see():
    root = load_html("<html><head><title>T</title><style>p{}</style></head><body><p>Hello <b>there</b></p>"
                     "<script>var x = 1;</script><noscript>enable js</noscript><svg><text>chart</text></svg>"
                     "<!-- a comment --><template><p>later</p></template>\n\n<p>friend</p></body></html>")
    assert visible_text(root) == "Hello there friend"
    assert text_of(root.find(".//p")) == "Hello there"


def test_css_selectors_match_below_the_node_not_the_node_itself():
    root = load_html("<div class='r'><a class='r' href='/1'>one</a></div><div class='r'><span>none</span></div>")
    containers = select(root, ("div.r",))
    assert len(containers) == 2
    # the container is a div.r too, but a field selector looks inside it
    assert select_first(containers[0], ("div.r",)) is None
    assert select_first(containers[0], ("a.r",)).get("href") == "/1"
    assert select_first(containers[1], ("a", "span")).text == "none"       # a priority list
    assert select_first(containers[0], (".",)) is containers[0]            # XPath stays XPath


def test_select_keeps_document_order_across_selectors():
    root = load_html("<p id='1'></p><span id='2'></span><p id='3'></p>")
    assert [e.get("id") for e in select(root, ("span", "p"))] == ["1", "2", "3"]


def test_invalid_selectors_are_value_errors():
    for bad in ("li >> [", "a[", "//*[", ".//a[@href"):
        with pytest.raises(ValueError):
            compile_selector(bad)
