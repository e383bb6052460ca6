"""Journalist queries matched to a niche with the same models as every other prospect.

    relevance  discover.relevance.TopicModel, fitted on the niche profile with the queries as corpus
    geo        discover.geo.locate / geo_tier on the query's text, outlet and outlet URL
    total      (w_rel·relevance + w_geo·geo) / (w_rel + w_geo) with the settings' weights,
               relevance alone when no place is given

Sorted by total score, then by the earlier deadline. Each match carries a one-line reason:
"terms: maternity, pregnancy; outlet in Des Moines, IA, US; deadline in 20 h".
`to_prospect` turns a match into a records.Prospect (type "haro") so journalist queries go
through the same shortlist, export and push paths as pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol, Sequence

from discover.haro import JournalistQuery
from discover.records import GeoTier, Prospect, ProspectType

if TYPE_CHECKING:
    from discover.rank.geo import Place
    from discover.settings import Settings

__all__ = ["QueryMatch", "match_queries", "to_prospect", "query_text", "MIN_RELEVANCE"]

#: A query about another town wants sources there, even a neighbouring one (unlike a page,
#: which can still link to a business next door); a query naming no place is open to anyone.
HARO_GEO_SCORES = {GeoTier.SAME_CITY: 1.0, GeoTier.SAME_REGION: 0.6, GeoTier.SAME_COUNTRY: 0.6,
                   GeoTier.UNKNOWN: 0.5, GeoTier.NEARBY: 0.3, GeoTier.ELSEWHERE: 0.0}

#: Below this relevance a query does not match the niche (still listed with --all).
MIN_RELEVANCE = 0.15
_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})$")


class _TopicModel(Protocol):
    def fit(self, profile: Sequence[str], corpus: Sequence[str]) -> "_TopicModel": ...

    def score(self, texts: Sequence[str]) -> Sequence[float]: ...

    def top_terms(self, text: str) -> Sequence[Any]: ...


@dataclass
class QueryMatch:
    query: JournalistQuery
    score: float                  # 0..1
    relevance: float = 0.0
    geo: float = 0.0
    geo_tier: GeoTier = GeoTier.UNKNOWN
    geo_place: str = ""
    terms: list[str] = field(default_factory=list)
    why: str = ""
    matched: bool = False

    def to_json(self) -> dict[str, Any]:
        d = self.query.to_json()
        d.update(score=round(self.score, 4), relevance=round(self.relevance, 4), geo_tier=self.geo_tier,
                 geo_place=self.geo_place, terms=self.terms, why=self.why, matched=self.matched)
        return d


#: Reply links and addresses: every query of a digest carries them; they say nothing of the topic.
_ADDRESSES = re.compile(r"https?://\S+|www\.\S+|[^\s@]+@[^\s@]+\.\w+")


def query_text(q: JournalistQuery) -> str:
    """What the topic model reads: the headline twice (it says what the story is), then the rest."""
    body = q.details or q.text
    # Requirements read out of the body are already in it: counted once.
    extra = "\n".join(line for line in q.requirements.split("\n") if line and " ".join(line.split()) not in
                      " ".join(body.split()))
    parts = [q.summary, q.summary, q.category, body, extra, q.outlet]
    return _ADDRESSES.sub(" ", "\n".join(p for p in parts if p))


def _term(t: Any) -> str:
    return str(t[0] if isinstance(t, (tuple, list)) else t)


def _hours(deadline: datetime, now: datetime) -> str:
    left = (deadline - now).total_seconds() / 3600
    if left < 0:
        return f"deadline passed {abs(left):.0f} h ago"
    if left < 48:
        return f"deadline in {left:.0f} h"
    return f"deadline in {left / 24:.0f} days"


def match_queries(queries: Sequence[JournalistQuery], niche: str, *, geo: "str | Place | None" = None,
                  now: datetime | None = None, settings: "Settings | None" = None,
                  profile: Sequence[str] = (), min_relevance: float = MIN_RELEVANCE,
                  model: _TopicModel | None = None) -> list[QueryMatch]:
    """Every query scored against the niche (and place), best first; `matched` marks the relevant.

    `profile` adds texts describing the niche (expansion terms, the user's own pages) to the
    keyword; `model` replaces the TopicModel (anything with its fit/score/top_terms).
    """
    from discover.rank.geo import GeoMatch, Place, geo_tier, locate, parse_place
    from discover.records import Extraction

    from discover.inputs import clean_keyword

    niche = clean_keyword(niche, example='--niche "maternity clothes"')
    now = now or datetime.now(timezone.utc)
    target = parse_place(geo) if isinstance(geo, str) and geo.strip() else (geo if isinstance(geo, Place) else None)
    w_rel, w_geo, nearby_km = 0.5, 0.2, 60.0
    if settings is not None:
        w_rel, w_geo, nearby_km = settings.weights_relevance, settings.weights_geo, settings.nearby_km
    if not queries:
        return []
    texts = [query_text(q) for q in queries]
    from discover.rank.relevance import TopicModel, profile_text

    if model is None:
        # Every local query shares the town's name: feedback must not learn it as a topic word.
        place_words = tuple(w for w in re.findall(r"[a-z]+", (getattr(target, "city", "") or "").lower()))
        model = TopicModel(feedback_exclude=place_words)
    try:
        fitted = model.fit(profile_text(niche, profile), texts)
    except ValueError:
        from discover.errors import InputError

        raise InputError(f"the niche keyword {niche!r} has no words to match queries on",
                         hint='use the niche\'s own words, e.g. --niche "maternity clothes"') from None
    relevances = [float(s) for s in fitted.score(texts)]

    out: list[QueryMatch] = []
    for q, text, rel in zip(queries, texts, relevances):
        terms = [_term(t) for t in list(fitted.top_terms(text))[:4]] if rel > 0 else []
        if target is not None:
            # The journalist's name stays out: "Ana Lima" is a person, not Lima, Peru.
            about = "\n".join(p for p in (q.outlet, q.summary, q.details, q.requirements, q.category) if p)
            ex = Extraction(url=q.outlet_url or "", title=q.summary, text=about, full_text=about,
                            site_name=q.outlet)
            gm = geo_tier(target, locate(ex, "", q.outlet_url or ""), nearby_km)
        else:
            gm = GeoMatch(GeoTier.UNKNOWN, score=0.5)
        geo_score = HARO_GEO_SCORES.get(gm.tier, gm.score) if target is not None else gm.score
        total = (w_rel * rel + w_geo * geo_score) / (w_rel + w_geo) if target is not None and w_rel + w_geo > 0 \
            else rel
        matched = rel >= min_relevance and bool(terms)
        if not matched and target is not None:
            total = min(total, w_rel * rel)  # a local but off-topic query never outranks a relevant one
        why: list[str] = []
        why.append("terms: " + ", ".join(terms) if terms else "no niche terms")
        if target is not None and gm.tier not in (GeoTier.UNKNOWN, GeoTier.ELSEWHERE):
            where = "outlet in " if gm.tier in (GeoTier.SAME_CITY, GeoTier.NEARBY) else ""
            why.append(f"{where}{gm.place} ({gm.tier.replace('_', ' ')})")
        if q.deadline is not None:
            why.append(_hours(q.deadline, now) if q.deadline_time_known else
                       f"deadline {q.deadline:%a %d %b}, no time given")
        if q.urgent:
            why.append("urgent")
        out.append(QueryMatch(q, round(total, 4), round(rel, 4), round(geo_score, 4), gm.tier, gm.place,
                              terms, "; ".join(why), matched))
    far = datetime.max.replace(tzinfo=timezone.utc)
    out.sort(key=lambda m: (not m.matched, -m.score, m.query.deadline or far, m.query.source))
    return out


def _domain(value: str) -> str:
    from discover.domains import registrable_domain

    value = value.strip()
    if not value:
        return ""
    m = _EMAIL.match(value.removeprefix("mailto:"))
    if m:
        return registrable_domain(m.group(1))
    if "://" in value or re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", value):
        return registrable_domain(value)
    return ""


def to_prospect(query: JournalistQuery, score: "float | QueryMatch", *, niche: str = "", geo: str = "") -> Prospect:
    """A journalist query as a shortlist prospect (type "haro")."""
    m = score if isinstance(score, QueryMatch) else None
    total = score.score if isinstance(score, QueryMatch) else float(score)
    reply = query.reply_to
    is_email = bool(_EMAIL.match(reply))
    # A date alone stays a date in exports: no invented clock time.
    deadline = "" if query.deadline is None else \
        query.deadline.isoformat() if query.deadline_time_known else query.deadline.date().isoformat()
    if query.deadline is None:
        when = "no deadline given"
    elif query.deadline_time_known:
        when = query.deadline.strftime("%a %d %b %Y %H:%M %Z").strip()
    else:
        when = query.deadline.strftime("%a %d %b %Y") + " (no time given)"
    return Prospect(
        url=query.url,
        domain=_domain(query.outlet_url) or _domain(reply),
        type=ProspectType.HARO,
        score=round(total, 4),
        title=query.summary,
        relevance=m.relevance if m else 0.0,
        geo_tier=m.geo_tier if m else GeoTier.UNKNOWN,
        why=m.why if m else "",
        email=reply if is_email else "",
        email_kind=("person" if query.journalist else "generic") if is_email else "",
        contact_page=reply if reply and not is_email else "",
        pitch=f"answer by {when}: {query.summary}",
        found_by=[f"{query.origin}: {query.source}"],
        explanation={"journalist": query.journalist, "outlet": query.outlet, "category": query.category,
                     "requirements": query.requirements, "urgent": query.urgent,
                     "terms": m.terms if m else [], "geo_place": m.geo_place if m else ""},
        niche=niche,
        geo=geo,
        deadline=deadline,
    )
