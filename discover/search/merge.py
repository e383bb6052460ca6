"""Merge the results of many (engine, query) searches into one list by reciprocal-rank fusion.

A URL's score is Σ 1 / (k + rank) over every search that returned it, so a page that several
footprints or engines agree on rises above one that a single search ranked first. URLs are
merged on their identity `discover.urls.FOR_MERGE` (http/https, fragments, tracking parameters,
trailing slash); `www.` is kept (www.example.com and example.com may be different sites).
"""

from __future__ import annotations

from discover.records import FusedResult, QueryOutcome, SearchOutcome
from discover.urls import FOR_MERGE, url_key


def fuse(outcomes: list[QueryOutcome], k: int = 60) -> list[FusedResult]:
    """One FusedResult per distinct page, best first (score desc, then first-seen order).

    The kept URL is the first one seen (https preferred when both schemes appear); title and
    snippet come from the best-ranked sighting that has them."""
    merged: dict[str, FusedResult] = {}
    best_rank: dict[str, int] = {}
    order: dict[str, int] = {}
    types: dict[str, list[str]] = {}
    footprints: dict[str, list[str]] = {}
    for oc in outcomes:
        if oc.outcome not in (SearchOutcome.OK, SearchOutcome.OPERATOR_IGNORED) and not oc.results:
            continue
        for res in oc.results:
            if not res.url:
                continue
            key = url_key(res.url, FOR_MERGE)
            fr = merged.get(key)
            if fr is None:
                fr = merged[key] = FusedResult(url=res.url)
                order[key] = len(order)
                types[key], footprints[key] = [], []
                best_rank[key] = 10**9
            elif res.url.startswith("https://") and fr.url.startswith("http://"):
                fr.url = res.url
            fr.score += 1.0 / (k + max(1, res.rank))
            fr.found_by.append((oc.engine, res.query or oc.query.text, res.rank))
            if res.rank < best_rank[key] and res.title:
                best_rank[key] = res.rank
                fr.title, fr.snippet = res.title, res.snippet or fr.snippet
            elif not fr.snippet and res.snippet:
                fr.snippet = res.snippet
            if oc.query.prospect_type and oc.query.prospect_type not in types[key]:
                types[key].append(oc.query.prospect_type)
            if oc.query.footprint and oc.query.footprint not in footprints[key]:
                footprints[key].append(oc.query.footprint)
    for key, fr in merged.items():
        fr.types = tuple(types[key])
        fr.footprints = tuple(footprints[key])
        fr.score = round(fr.score, 6)
    return sorted(merged.values(), key=lambda f: (-f.score, order[url_key(f.url, FOR_MERGE)]))
