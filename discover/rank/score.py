"""Rank candidates: topic relevance, geography, type fit and site quality, with explanations.

    base   = (w_rel·topic + gate·(w_type·type_fit + w_quality·quality)) / (w_rel + w_type + w_quality)
    total  = base · geo_factor · type_factor   (spam 0.15, unwanted type 0.6, wanted 1)

The topic is read from each page's own text: lines its host repeats on other pages (template)
are dropped first (`topic_docs`). A page whose type is `uncertain` (classify.py) is judged as
both of its likely types, weighted by probability, and its type factor never goes below the
unwanted-type factor (`type_terms`): the score is lowered, not bet on the wrong type.

`gate` = min(1, topic / 0.5): type and quality only count in proportion to topical fit, so a
clean, high-authority site about something else cannot climb above an on-topic forum.

Geography is a multiplier, not a term: with a target place, geo_factor = 1 − γ·(1 − geo) with
γ = min(1, 4·w_geo / Σw) (0.8 with the default weights), geo from discover.rank.geo.GEO_SCORES.
For an `elsewhere` page the quality term is dropped as well. Together these make a wrong-place
page never outrank a right-place (same_city) page of the same type and equal topic fit: its
base is ≤ the right-place page's base and its factor is < 1 (= 1 − γ). Without a target the
factor is 1 (geo-neutral). Scores come back in input order; `rank()` sorts them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from discover.errors import InputError
from discover.rank.geo import GEO_SCORES, GeoEvidence, GeoMatch, Place, geo_tier, locate
from discover.records import WANTED_TYPES, Candidate, Classification, GeoTier, ProspectType, Score
from discover.rank.relevance import TopicDoc, TopicModel, profile_text, repeated_in_host, strip_template
from discover.settings import Settings

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

#: Types a user gets when they ask for none.
DEFAULT_TYPES: tuple[ProspectType, ...] = WANTED_TYPES
#: A spam page (by type or by site quality) keeps this share of its score: visible, never on top.
SPAM_FACTOR = 0.15
#: A page of a type the user did not ask for ("other": a shop's own site, a competitor) keeps
#: this share: it can still be listed, below the prospects of the wanted types.
UNWANTED_TYPE_FACTOR = 0.6
#: Topic score at which type and quality count fully.
GATE_AT = 0.5


def type_fit(ptype: ProspectType, confidence: float, types: Sequence[str]) -> float:
    """How well a page's type matches what the user asked for (0..1)."""
    wanted = set(types) or set(DEFAULT_TYPES)
    if ptype == ProspectType.SPAM:
        return 0.0
    if ptype in wanted:
        return 0.7 + 0.3 * max(0.0, min(1.0, confidence))
    if ptype == ProspectType.OTHER:
        return 0.15
    return 0.35


def type_factor(ptype: ProspectType, types: Sequence[str]) -> float:
    """The share of its score a page of this type keeps: spam and unwanted types sink."""
    if ptype == ProspectType.SPAM:
        return SPAM_FACTOR
    return 1.0 if ptype in (set(types) or set(DEFAULT_TYPES)) else UNWANTED_TYPE_FACTOR


def type_terms(cls: Classification, types: Sequence[str]) -> tuple[float, float]:
    """(type fit, type factor) of a classification.

    A certain page is judged as its type. An `uncertain` one is judged as both of its likely
    types, weighted by their probabilities — so its score is lowered from the better type's,
    never bet on the worse — and its factor never drops below UNWANTED_TYPE_FACTOR: a page of
    the right topic and place with an unsure type stays above pages of the wrong place or topic.
    """
    if not cls.uncertain or not cls.runner_up:
        return type_fit(cls.type, cls.confidence, types), type_factor(cls.type, types)
    second = ProspectType(cls.runner_up)
    p1 = max(cls.confidence, 1e-6)
    p2 = max(cls.probabilities.get(second, 0.0), 1e-6)
    w1, w2 = p1 / (p1 + p2), p2 / (p1 + p2)
    fit = w1 * type_fit(cls.type, 1.0, types) + w2 * type_fit(second, 1.0, types)
    # A type the page is unsure of carries no confidence bonus beyond its share.
    fit *= 0.7 + 0.3 * (p1 + p2)
    factor = w1 * type_factor(cls.type, types) + w2 * type_factor(second, types)
    return min(1.0, fit), max(UNWANTED_TYPE_FACTOR, factor)


def geo_factor(match: GeoMatch, target: Place | None, settings: Settings) -> float:
    if target is None:
        return 1.0
    total_w = settings.weights_relevance + settings.weights_geo + settings.weights_type + settings.weights_quality
    gamma = min(1.0, 4.0 * settings.weights_geo / total_w) if total_w > 0 else 0.0
    return 1.0 - gamma * (1.0 - match.score)


#: Share of a site's other pages' evidence lent to a page that names no town itself
#: (a forum's member list is as local as the forum).
SITE_EVIDENCE_SHARE = 0.5
_IDENTITY_SOURCES = {"address", "phone", "schema"}


#: From this many candidates on, geography is computed in a forked child process while the
#: parent fits the topic model (both are CPU-bound pure Python; a run has ~400 pages, a bulk
#: re-score of a big database 100,000). Forking is skipped where it is not the start method.
PARALLEL_FROM = 5000


def _geo_child(candidates: Sequence[Candidate], target: Place, nearby_km: float, conn: Connection) -> None:
    try:
        conn.send(("ok", candidate_geo(candidates, target, nearby_km)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which re-raises
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def _start_geo(candidates: Sequence[Candidate], target: Place | None, nearby_km: float
               ) -> Callable[[], list[GeoMatch]]:
    """Start geo matching in a forked child for big batches; returns a callable giving the result."""
    import multiprocessing as mp
    import os

    if target is None or len(candidates) < PARALLEL_FROM or (os.cpu_count() or 1) < 2 \
            or "fork" not in mp.get_all_start_methods():
        result = candidate_geo(candidates, target, nearby_km)
        return lambda: result
    from discover.rank.geo import gazetteer

    gazetteer()   # loaded once, before the fork, and shared copy-on-write
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_geo_child, args=(candidates, target, nearby_km, send), daemon=True)
    proc.start()
    send.close()

    def wait() -> list[GeoMatch]:
        try:
            status, payload = recv.recv()
        except EOFError:
            status, payload = "error", f"exit code {proc.exitcode}"
        proc.join()
        if status != "ok":
            # the child died or raised: do it here rather than lose the run
            return candidate_geo(candidates, target, nearby_km)
        matches: list[GeoMatch] = payload
        return matches

    return wait


def candidate_geo(candidates: Sequence[Candidate], target: Place | None, nearby_km: float = 60.0) -> list[GeoMatch]:
    """The geo match of each candidate; a page without town-level clues borrows its site's."""
    if target is None:
        return [GeoMatch(GeoTier.UNKNOWN, score=0.5) for _ in candidates]
    own = [locate(c.extraction, c.html, c.url, near=target) for c in candidates]
    by_site: dict[str, list[GeoEvidence]] = defaultdict(list)
    for c, ev in zip(candidates, own):
        # only identity signals travel: an address or phone number is the site's, a town named
        # in one thread is that thread's
        by_site[c.domain].extend(e for e in ev if e.place.city and e.source in _IDENTITY_SOURCES)
    out = []
    for c, ev in zip(candidates, own):
        if not any(e.place.city for e in ev):
            ev = ev + [replace(e, weight=e.weight * SITE_EVIDENCE_SHARE, source="site")
                       for e in by_site.get(c.domain, [])]
        out.append(geo_tier(target, ev, nearby_km))
    return out


def topic_docs(candidates: Sequence[Candidate]) -> list[str]:
    """What the topic model reads of each page: its own words, not its site's template.

    Pages are grouped by host; lines a host repeats across its pages (menus, sidebars, footers,
    thread chrome) are dropped, as are a title or description the host repeats (the site's
    name says what every page of it is, not what this one is: it keeps weight 1, not 3)."""
    from urllib.parse import urlsplit

    hosts = [(urlsplit(c.url).hostname or c.domain or "").lower() for c in candidates]
    texts = strip_template([c.extraction.text or c.extraction.full_text for c in candidates], hosts)
    shared_title = repeated_in_host([c.extraction.title for c in candidates], hosts)
    shared_desc = repeated_in_host([c.extraction.description for c in candidates], hosts)
    out = []
    for c, text, st, sd in zip(candidates, texts, shared_title, shared_desc):
        e = c.extraction
        doc = TopicDoc(title=e.title, text=text, description="" if sd else e.description)
        out.append(doc.render(title_weight=1 if st else 3))
    return out


def _place_words(target: Place | None) -> frozenset[str]:
    from discover.rank.geo import place_words

    words = set(place_words())
    if target is not None:
        for part in (target.city, target.region, target.region_code):
            words.update(part.lower().replace("-", " ").split())
    return frozenset(words)


def _type_evidence(c: Candidate) -> str:
    cls = c.classification
    ev = [e for e in cls.evidence if e][:1]
    name = f"{cls.type} or {cls.runner_up} (uncertain)" if cls.uncertain and cls.runner_up else cls.type
    return f"{name} ({ev[0]})" if ev else name


def _geo_phrase(m: GeoMatch, target: Place | None) -> str:
    if target is None:
        return "not local"
    if m.tier == GeoTier.UNKNOWN:
        return "place unknown"
    tier = m.tier.replace("_", " ")
    dist = f", {m.distance_km:.0f} km" if m.distance_km and m.tier != GeoTier.SAME_CITY else ""
    return f"{m.place.split(',')[0] or m.place}, {tier}{dist}"


def score_candidates(candidates: Sequence[Candidate], *, keyword: str, target: Place | None,
                     types: tuple[str, ...] = (), settings: Settings | None = None,
                     about_texts: Sequence[str] = (), expansions: Sequence[str] = (),
                     model: TopicModel | None = None) -> list[Score]:
    """One Score per candidate, in the input order (sort by `.total` to rank).

    `model`: an already fitted TopicModel to reuse (e.g. scoring one page against a stored run);
    by default one is fitted on these candidates plus the niche profile.
    """
    settings = settings or Settings()
    if not candidates:
        return []
    docs = topic_docs(candidates)
    geo_result = _start_geo(candidates, target, settings.nearby_km)
    if model is None:
        model = TopicModel(feedback_exclude=_place_words(target))
        try:
            topic, all_terms = model.fit_score_with_terms(profile_text(keyword, expansions, about_texts, docs),
                                                          docs, 5)
        except ValueError:
            raise InputError(f"the keyword {keyword!r} has no words to match pages on",
                             hint="use the niche's own words, e.g. \"maternity clothes\"") from None
    else:
        topic, all_terms = model.score_with_terms(docs, 5)
    wr, wt, wq = settings.weights_relevance, settings.weights_type, settings.weights_quality
    denom = (wr + wt + wq) or 1.0
    matches = geo_result()
    out: list[Score] = []
    for c, rel, match, terms in zip(candidates, topic.tolist(), matches, all_terms):
        cls = c.classification
        tfit, tfactor = type_terms(cls, types)
        q = c.quality
        quality = float(q.score) if q is not None else 0.5
        site_spam = bool(q is not None and q.spam)
        spam = (cls.type == ProspectType.SPAM and not cls.uncertain) or site_spam
        gate = min(1.0, rel / GATE_AT)
        q_term = 0.0 if (target is not None and match.tier == GeoTier.ELSEWHERE) else wq * quality
        base = (wr * rel + gate * (wt * tfit + q_term)) / denom
        total = base * geo_factor(match, target, settings) * (SPAM_FACTOR if site_spam else tfactor)
        terms = terms if rel > 0 else []
        reasons = list(q.reasons[:2]) if q is not None else []
        parts = [
            f"topic {rel:.2f}" + (f" ({', '.join(t for t, _ in terms[:3])})" if terms else ""),
            _geo_phrase(match, target),
            _type_evidence(c),
            (f"quality {quality:.1f}" + (f" ({', '.join(reasons)})" if reasons else "")) if q is not None
            else "quality unknown",
        ]
        if spam:
            parts.append("spam signals")
        out.append(Score(
            total=round(float(total), 4), relevance=round(float(rel), 4),
            geo=round(match.score, 4), type_fit=round(tfit, 4), quality=round(quality, 4),
            geo_tier=match.tier, geo_place=match.place, geo_distance_km=match.distance_km,
            top_terms=terms, explanation=" · ".join(parts)))
    return out


def rank(candidates: Sequence[Candidate], scores: Sequence[Score]) -> list[tuple[Candidate, Score]]:
    """Candidates with their scores, best first (ties broken by URL for a stable order)."""
    pairs = list(zip(candidates, scores))
    pairs.sort(key=lambda p: (-p[1].total, p[0].url))
    return pairs


__all__ = ["DEFAULT_TYPES", "GEO_SCORES", "candidate_geo", "geo_factor", "rank", "score_candidates", "type_fit"]
