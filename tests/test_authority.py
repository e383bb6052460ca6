"""PageRank on small graphs whose values are computed by hand."""

from __future__ import annotations

import pytest

from discover.links.authority import authority_scores, pagerank, registrable_domain, site_graph


def test_pagerank_classic_three_node_graph():
    # A→B, A→C, B→C, C→A. Solving the linear system by hand (d = 0.85):
    #   a = .05 + .85c ; b = .05 + .425a ; c = .05 + .425a + .85b  →  a = .128625 / .3316875
    pr = pagerank([("A", "B"), ("A", "C"), ("B", "C"), ("C", "A")])
    a = 0.128625 / 0.3316875
    assert pr["A"] == pytest.approx(a, abs=1e-6)
    assert pr["B"] == pytest.approx(0.05 + 0.425 * a, abs=1e-6)
    assert pr["C"] == pytest.approx(0.0925 + 0.78625 * a, abs=1e-6)
    assert sum(pr.values()) == pytest.approx(1.0)


def test_pagerank_dangling_node_spreads_its_rank():
    # A→B, B has no outlinks: a = .075 + .425b, a + b = 1  →  a = .5 / 1.425
    pr = pagerank([("A", "B")])
    assert pr["A"] == pytest.approx(0.5 / 1.425, abs=1e-6)
    assert pr["B"] == pytest.approx(1 - 0.5 / 1.425, abs=1e-6)


def test_pagerank_symmetric_cycle_and_empty():
    pr = pagerank([("x", "y"), ("y", "z"), ("z", "x")])
    assert all(v == pytest.approx(1 / 3) for v in pr.values())
    assert pagerank([]) == {}
    assert pagerank([], nodes=["lonely"]) == {"lonely": pytest.approx(1.0)}


def test_site_graph_collapses_pages_to_registrable_domains():
    links = {
        "http://www.blog.example.co.uk/post/1": ["https://shop.example.com/a", "http://example.com/b",
                                                  "/relative", "mailto:x@y.z", "http://blog.example.co.uk/self"],
        "http://blog.example.co.uk/post/2": ["https://www.example.com/"],
    }
    assert site_graph(links) == [("example.co.uk", "example.com")]
    assert registrable_domain("https://a.b.dsm-moms.org/x") == "dsm-moms.org"
    assert registrable_domain("localhost") == "localhost"


def test_authority_scores_normalised_and_ordered():
    links = {
        "http://hub.com/": ["http://a.com/", "http://b.com/"],
        "http://a.com/": ["http://hub.com/"],
        "http://b.com/": ["http://hub.com/"],
        "http://c.com/": ["http://hub.com/"],
    }
    scores = authority_scores(links)
    assert scores["hub.com"] == pytest.approx(1.0)
    assert scores["c.com"] == pytest.approx(0.0)   # nobody links to it
    assert scores["a.com"] == pytest.approx(scores["b.com"])
    assert 0 < scores["a.com"] < 1
