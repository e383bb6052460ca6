"""Prospects: ONE per site (registrable domain) per niche. This module alone decides it.

    build_prospects(candidates, scores, keyword=..., geo=...)   scored pages → one prospect per site
    one_per_site(prospects)                                     merge any list to one per site
    save_prospects(store, run_id, prospects)                    merge with what the run already
                                                                stored (a resumed run), then save

A site's prospect is its best page: the highest score, then not spam, then the shortest URL.
The site's other pages are kept in `other_urls` (one each by `urls.FOR_STORE`: http/https,
`www.`, trailing slash and tracking parameters do not make another page), and the searches
that found any of them in `found_by`. The store only saves what it is given.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import TYPE_CHECKING, Iterable, Sequence

from discover.domains import registrable_domain
from discover.records import Candidate, LinkClass, Prospect, ProspectType, Score
from discover.urls import FOR_STORE, url_key

if TYPE_CHECKING:
    from discover.store import Store

SiteKey = tuple[str, str]   # (niche, registrable domain)


def site_key(p: Prospect) -> SiteKey:
    return p.niche, registrable_domain(p.domain or p.url) or registrable_domain(p.url)


def _rank(score: float, spam: bool, url: str) -> tuple[float, bool, int]:
    """Which page stands for its site: the best score, then not spam, then the shortest URL."""
    return score, not spam, -len(url)


def merge_site(group: Sequence[Prospect]) -> Prospect:
    """The one prospect of a site from several of its records (best page kept, the rest attached)."""
    best = max(group, key=lambda p: _rank(p.score, p.spam, p.url))
    niche, domain = site_key(best)
    best_key = url_key(best.url, FOR_STORE)
    others: dict[str, str] = {}
    for p in group:
        for u in (p.url, *p.other_urls):
            k = url_key(u, FOR_STORE)
            if k != best_key and k not in others:
                others[k] = u
    found_by = list(dict.fromkeys(fb for p in group for fb in p.found_by))
    return dataclasses.replace(best, domain=domain, niche=niche, other_urls=list(others.values()),
                               found_by=found_by)


def one_per_site(prospects: Iterable[Prospect]) -> list[Prospect]:
    """One prospect per (niche, site), best first (ties keep their order)."""
    groups: dict[SiteKey, list[Prospect]] = defaultdict(list)
    for p in prospects:
        groups[site_key(p)].append(p)
    merged = [merge_site(g) for g in groups.values()]
    merged.sort(key=lambda p: -p.score)
    return merged


def build_prospects(cands: Sequence[Candidate], scores: Sequence[Score], *, keyword: str, geo: str
                    ) -> list[Prospect]:
    """Scored pages → one prospect per site: its best page, the site's other pages attached."""
    from discover.outreach.shortlist import pitch_angle
    from discover.pages.contacts import best_email, best_phone, contact_person, split_name

    def spam(c: Candidate) -> bool:
        # an unsure spam reading is not a verdict (rank/score.py weighs both types)
        return bool(c.quality and c.quality.spam) or (
            c.classification.type == ProspectType.SPAM and not c.classification.uncertain)

    by_site: dict[str, list[tuple[Candidate, Score]]] = defaultdict(list)
    # Best first, so a site's other pages are listed best first too.
    for cand, score in sorted(zip(cands, scores), key=lambda cs: -cs[1].total):
        by_site[registrable_domain(cand.domain or cand.url) or cand.domain].append((cand, score))
    prospects = []
    for domain, pages in by_site.items():
        # Unrounded totals decide, as the stored prospect's rounded score would (merge_site).
        cand, score = max(pages, key=lambda cs: _rank(cs[1].total, spam(cs[0]), cs[0].url))
        ex = cand.extraction
        email = best_email(ex.contacts)
        phone = best_phone(ex.contacts)
        person = contact_person(ex.contacts, email)
        first, last = split_name(person)
        contact_page = next((c.value for c in ex.contacts if c.kind == "page"), "")
        p = Prospect(
            url=cand.url, domain=domain, type=cand.classification.type, score=round(score.total, 4),
            title=ex.title, relevance=round(score.relevance, 4), geo_tier=score.geo_tier,
            quality=round(cand.quality.score, 4) if cand.quality else 0.0, why=score.explanation,
            email=email.value if email else "", email_kind=email.label if email else "",
            contact_page=contact_page, social=[c.value for c in ex.contacts if c.kind == "social"],
            broken_links=[lc.url for lc in cand.link_checks if lc.cls == LinkClass.BROKEN],
            found_by=list(cand.found_by),
            other_urls=[c.url for c, _ in pages if c is not cand],
            explanation={
                "top_terms": score.top_terms, "geo_place": score.geo_place,
                "geo_distance_km": score.geo_distance_km, "type_evidence": cand.classification.evidence,
                "type_probabilities": cand.classification.probabilities,
                "type_runner_up": cand.classification.runner_up if cand.classification.uncertain else "",
                "quality_reasons": cand.quality.reasons if cand.quality else [],
                "components": {"relevance": score.relevance, "geo": score.geo, "type_fit": score.type_fit,
                               "quality": score.quality},
            },
            niche=keyword, geo=geo, spam=spam(cand), type_uncertain=cand.classification.uncertain,
            phone=phone.value if phone else "", contact_name=person, first_name=first, last_name=last,
            company=ex.site_name,
        )
        if ex.author:
            p.explanation["author"] = ex.author
        # The other pages, one per URL identity (the same rule the store's records follow).
        p = merge_site([p])
        p.pitch = pitch_angle(p)
        prospects.append(p)
    prospects.sort(key=lambda p: -p.score)
    return prospects


def save_prospects(store: "Store", run_id: int | None, prospects: Iterable[Prospect]) -> list[Prospect]:
    """Save one prospect per site per niche, merged with the run's earlier records of those sites
    (a resumed run adds to what it found, never duplicates it). Returns what was saved."""
    fresh = one_per_site(prospects)
    earlier = store.prospects_of_sites(run_id, [(p.niche, p.domain) for p in fresh])
    merged = one_per_site([*fresh, *earlier]) if earlier else fresh
    store.save_prospects(run_id, merged)
    return merged
