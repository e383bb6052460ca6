"""Link-graph authority: PageRank over the sites the run has seen.

    site_graph(links_by_page)  page → outbound URLs, collapsed to registrable-domain edges
    pagerank(edges)            power iteration on a sparse matrix (dangling mass spread evenly)
    authority_scores(...)      PageRank rescaled to 0..1 per domain

The graph is only what this run fetched, so the figure is relative ("linked to by the other
sites in this niche"), not a web-wide Domain Authority.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

from discover.domains import registrable_domain  # noqa: F401 - re-exported for callers




def site_graph(links_by_page: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    """Distinct domain → domain edges (self-links dropped) from each page's outbound link URLs.

    Several links between the same two sites count once: a sitewide footer link is one vote.
    """
    edges: set[tuple[str, str]] = set()
    for page, urls in links_by_page.items():
        src = registrable_domain(page)
        if not src:
            continue
        for url in urls:
            if not url.lower().startswith(("http://", "https://")):
                continue
            dst = registrable_domain(url)
            if dst and dst != src:
                edges.add((src, dst))
    return sorted(edges)


def pagerank(edges: Iterable[tuple[str, str]], *, damping: float = 0.85, tol: float = 1e-9,
             max_iter: int = 100, nodes: Iterable[str] = ()) -> dict[str, float]:
    """PageRank by power iteration; scores sum to 1. Dangling nodes spread their rank evenly.

    Duplicate edges add weight (pass distinct edges for one vote per pair).
    """
    from scipy.sparse import csr_matrix

    edge_list = list(edges)
    names = sorted({n for e in edge_list for n in e} | set(nodes))
    n = len(names)
    if n == 0:
        return {}
    index = {name: i for i, name in enumerate(names)}
    src = np.fromiter((index[a] for a, _ in edge_list), dtype=np.int64, count=len(edge_list))
    dst = np.fromiter((index[b] for _, b in edge_list), dtype=np.int64, count=len(edge_list))
    out_degree = np.bincount(src, minlength=n).astype(float)
    weights = 1.0 / out_degree[src] if len(src) else np.zeros(0)
    # M[j, i] = 1/outdeg(i) for an edge i → j, so rank_next = d * M @ rank + ...
    matrix = csr_matrix((weights, (dst, src)), shape=(n, n))
    dangling = out_degree == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        nxt = damping * (matrix @ rank + rank[dangling].sum() / n) + (1.0 - damping) / n
        delta = np.abs(nxt - rank).sum()
        rank = nxt
        if delta < tol:
            break
    rank /= rank.sum()
    return {name: float(rank[i]) for i, name in enumerate(names)}


def authority_scores(links_by_page: Mapping[str, Iterable[str]], *, damping: float = 0.85) -> dict[str, float]:
    """Per registrable domain, PageRank rescaled to 0..1 (the best-linked site = 1, the least = 0).

    Every page's own domain is a node, so a site nobody links to still gets a (low) score.
    """
    edges = site_graph(links_by_page)
    nodes = {registrable_domain(p) for p in links_by_page} - {""}
    ranks = pagerank(edges, damping=damping, nodes=nodes)
    if not ranks:
        return {}
    lo, hi = min(ranks.values()), max(ranks.values())
    if hi - lo < 1e-12:
        return {d: 0.0 for d in ranks}
    return {d: (r - lo) / (hi - lo) for d, r in ranks.items()}
