"""Merge the results of many (engine, query) searches into one list by reciprocal-rank fusion.

A URL's score is Σ 1 / (k + rank) over every search that returned it, so a page that several
footprints or engines agree on rises above one that a single search ranked first. URLs are
merged on a normalised form (http/https, fragments, tracking parameters, trailing slash);
the host is kept as is (www.example.com and example.com may be different sites).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from discover.records import FusedResult, QueryOutcome

#: Query parameters that only track a click and never change the page.
TRACKING_PARAMS = frozenset({
    "gclid", "fbclid", "msclkid", "dclid", "yclid", "mc_cid", "mc_eid", "igshid", "ref_src", "_ga",
    "srsltid",
})


def normalise_url(url: str) -> str:
    """The merge key of `url`: lower-case host, no scheme difference, no fragment, no utm_*/click
    ids, no default port, and no trailing slash (except the root path)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
    return urlunsplit(("http", netloc, path, urlencode(params), ""))


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
        if oc.outcome not in ("ok", "operator_ignored") and not oc.results:
            continue
        for res in oc.results:
            if not res.url:
                continue
            key = normalise_url(res.url)
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
    return sorted(merged.values(), key=lambda f: (-f.score, order[normalise_url(f.url)]))
