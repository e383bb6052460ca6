"""Postcodes of the US, Canada, Great Britain and Australia, resolved offline.

    lookup("S7K 1H1")        → [PostcodeHit(CA, SK, town "Saskatoon", precision "postcode_district")]
    find_in_text(text)       → postcodes written in page text, each with its matched span

The tables in discover/data/places/ (built from GeoNames' postal-code files by
scripts/build_places.py; provenance and licence in that folder's README) hold:

    US   every ZIP code                   → town, state, centroid    ZIP3 prefixes derived from them
    CA   every forward sortation area     → town, province, centroid (no full-postcode table: a
                                                                      full code resolves to its FSA)
    GB   every outward code (district)    → post town, county, nation, centroid (areas derived)
    AU   every postcode                   → town, state, centroid

How precise a hit is (`precision`):
    exact               the postcode itself is in a table (a US ZIP, an AU postcode)
    postcode_district   a GB outward code or an urban Canadian FSA: a few streets to a small town
    postcode_area       a US ZIP3 prefix, a rural Canadian FSA, a GB postcode area: a wide area
    region              only the state or province is known (an FSA's first letter, an AU range)
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

#: postal abbreviation → (GeoNames admin1 code of the gazetteer, name)
CA_PROVINCES: dict[str, tuple[str, str]] = {
    "AB": ("01", "Alberta"), "BC": ("02", "British Columbia"), "MB": ("03", "Manitoba"),
    "NB": ("04", "New Brunswick"), "NL": ("05", "Newfoundland and Labrador"), "NS": ("07", "Nova Scotia"),
    "ON": ("08", "Ontario"), "PE": ("09", "Prince Edward Island"), "QC": ("10", "Quebec"),
    "SK": ("11", "Saskatchewan"), "YT": ("12", "Yukon"), "NT": ("13", "Northwest Territories"),
    "NU": ("14", "Nunavut"),
}
AU_STATES: dict[str, tuple[str, str]] = {
    "ACT": ("01", "Australian Capital Territory"), "NSW": ("02", "New South Wales"),
    "NT": ("03", "Northern Territory"), "QLD": ("04", "Queensland"), "SA": ("05", "South Australia"),
    "TAS": ("06", "Tasmania"), "VIC": ("07", "Victoria"), "WA": ("08", "Western Australia"),
}
GB_NATIONS: dict[str, str] = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}

# Canada Post: the first letter of a postal code is its province (X is split between NT and NU).
_CA_FIRST_LETTER = {"A": "NL", "B": "NS", "C": "PE", "E": "NB", "G": "QC", "H": "QC", "J": "QC", "K": "ON",
                    "L": "ON", "M": "ON", "N": "ON", "P": "ON", "R": "MB", "S": "SK", "T": "AB", "V": "BC",
                    "X": "NT", "Y": "YT"}
# Australia Post allocation ranges, for a postcode missing from the table
_AU_RANGES: tuple[tuple[int, int, str], ...] = (
    (200, 299, "ACT"), (800, 999, "NT"), (1000, 2599, "NSW"), (2600, 2618, "ACT"), (2619, 2899, "NSW"),
    (2900, 2920, "ACT"), (2921, 2999, "NSW"), (3000, 3999, "VIC"), (4000, 4999, "QLD"), (5000, 5999, "SA"),
    (6000, 6999, "WA"), (7000, 7999, "TAS"), (8000, 8999, "VIC"), (9000, 9999, "QLD"),
)
# GeoNames files these Crown dependencies under GB; they have ISO codes of their own
_GB_DEPENDENCIES = {"IM": "IM", "JE": "JE", "GY": "GG"}



@dataclass(frozen=True)
class PostcodeHit:
    postcode: str          # normalised: "S7K 1H1", "LS1 4AP", "78701", "2000"
    country: str           # ISO 3166 code
    region_code: str       # US/CA/AU postal abbreviation of the state/province; GB nation (ENG ...)
    town: str = ""         # "" when the postcode spans no single town
    county: str = ""       # GB only
    lat: float | None = None
    lon: float | None = None
    precision: str = "exact"
    name: str = ""         # the postal area's own name, where the table has one (Canadian FSAs)


def fold(s: str) -> str:
    """Lower case without accents or dots: "Montréal", "montreal" and "St. Louis"/"st louis" compare equal."""
    if not s.isascii():
        # NFKD splits "é" into "e" + accent; the ASCII encoding drops the accent. A name in
        # another script would vanish whole: it stays as written.
        s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii") or s
    return " ".join(s.replace(".", " ").lower().split())


# --- tables ------------------------------------------------------------------------------------

def _lines(name: str) -> list[list[str]]:
    ref = resources.files("discover") / "data" / "places" / name
    raw = ref.read_bytes()
    text = (gzip.decompress(raw) if name.endswith(".gz") else raw).decode("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return rows[1:]   # the header line


@dataclass(frozen=True)
class _Area:
    town: str
    region_code: str
    county: str
    lat: float
    lon: float
    name: str = ""


def _mean_area(members: list[_Area]) -> _Area:
    """A prefix's area from its postcodes: centroid, the most common region/county, and the most
    common town when it holds at least a third of them (else none: the prefix spans several)."""
    towns = Counter(m.town for m in members if m.town)
    town, n = towns.most_common(1)[0] if towns else ("", 0)
    return _Area(town=town if n * 3 >= len(members) else "",
                 region_code=Counter(m.region_code for m in members).most_common(1)[0][0],
                 county=Counter(m.county for m in members).most_common(1)[0][0],
                 lat=round(sum(m.lat for m in members) / len(members), 3),
                 lon=round(sum(m.lon for m in members) / len(members), 3))


@lru_cache(maxsize=1)
def us_zips() -> tuple[dict[str, _Area], dict[str, _Area]]:
    """(ZIP → area, ZIP3 → area). Loaded on first use: ~41,000 rows, ~0.1 s."""
    zips = {r[0]: _Area(r[1], r[2], "", float(r[3]), float(r[4])) for r in _lines("us_zip.tsv.gz")}
    groups: dict[str, list[_Area]] = defaultdict(list)
    for z, a in zips.items():
        groups[z[:3]].append(a)
    return zips, {z3: _mean_area(m) for z3, m in groups.items()}


@lru_cache(maxsize=1)
def ca_fsas() -> dict[str, _Area]:
    return {r[0]: _Area(r[1], r[2], "", float(r[3]), float(r[4]), r[5]) for r in _lines("ca_fsa.tsv")}


@lru_cache(maxsize=1)
def gb_districts() -> tuple[dict[str, _Area], dict[str, _Area]]:
    """(outward code → area, postcode area letters → area)."""
    districts = {r[0]: _Area(r[1], r[3], r[2], float(r[4]), float(r[5])) for r in _lines("gb_district.tsv")}
    groups: dict[str, list[_Area]] = defaultdict(list)
    for d, a in districts.items():
        groups[_gb_area(d)].append(a)
    return districts, {k: _mean_area(m) for k, m in groups.items()}


@lru_cache(maxsize=1)
def au_postcodes() -> dict[str, _Area]:
    return {r[0]: _Area(r[1], r[2], "", float(r[3]), float(r[4])) for r in _lines("au_postcode.tsv")}


@lru_cache(maxsize=1)
def gb_town_counties() -> dict[int, str]:
    """GeoNames id of a British town of the gazetteer → its county."""
    return {int(r[0]): r[2] for r in _lines("gb_town_county.tsv")}


@lru_cache(maxsize=1)
def gb_counties() -> dict[str, str]:
    """Folded county name → county name as the tables spell it."""
    names = {a.county for a in gb_districts()[0].values() if a.county} | set(gb_town_counties().values())
    return {fold(n): n for n in names}


def _gb_area(outward: str) -> str:
    return "".join(ch for ch in outward[:2] if ch.isalpha())


# --- shapes ------------------------------------------------------------------------------------

_US = re.compile(r"^(\d{5})(?:-\d{4})?$")
_US3 = re.compile(r"^(\d{3})(?:xx|\*\*)?$", re.IGNORECASE)
# Canada Post never uses D F I O Q U in a code, nor W Z as its first letter
_CA = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(?:[\s-]?(\d[ABCEGHJ-NPRSTV-Z]\d))?$", re.IGNORECASE)
_GB = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(?:\s*(\d[A-Z]{2}))?$", re.IGNORECASE)
_AU = re.compile(r"^(\d{4})$")


def shapes(text: str) -> list[str]:
    """The countries whose postcodes look like `text` ("S7K": CA and GB; "2000": AU)."""
    t = " ".join(text.split())
    return [cc for cc, pats in (("US", (_US, _US3)), ("CA", (_CA,)), ("GB", (_GB,)), ("AU", (_AU,)))
            if any(p.match(t) for p in pats)]


def looks_like_postcode(text: str) -> bool:
    return bool(shapes(text))


def why_unknown(text: str, country: str = "") -> str:
    """Why `text` names no known postcode, for the error message."""
    t = " ".join(text.split()).upper()
    cands = [cc for cc in shapes(t) if not country or cc == country]
    if cands == ["US"]:
        return f"unknown US ZIP code {t!r}"
    if cands == ["AU"]:
        return f"unknown Australian postcode {t!r}"
    if "GB" in cands:
        m = _GB.match(t)
        area = _gb_area(m.group(1)) if m else ""
        if area and area not in gb_districts()[1]:
            return f"unknown UK postcode area {area!r} in {t!r}"
        if cands == ["GB"]:
            return f"unknown UK postcode district {m.group(1) if m else t!r} in {t!r}"
    if cands == ["CA"]:
        return f"unknown Canadian postcode {t!r}"
    return f"unknown postcode {t!r}"


def lookup(text: str, country: str = "") -> list[PostcodeHit]:
    """Every reading of `text` as a postcode of `country` (any of US/CA/GB/AU when ""), best first.

    [] when it has no postcode shape or names no known postcode. Several readings happen only
    for the three codes that are both a London district and a Canadian FSA (E1W, N1C, N1P)."""
    t = " ".join(text.split()).upper()
    hits: list[PostcodeHit] = []
    if country in ("", "US"):
        hits += _lookup_us(t)
    if country in ("", "CA"):
        hits += _lookup_ca(t)
    if country in ("", "GB", "IM", "JE", "GG"):
        hits += [h for h in _lookup_gb(t) if not country or h.country == country]
    if country in ("", "AU"):
        hits += _lookup_au(t)
    return hits


def _lookup_us(t: str) -> list[PostcodeHit]:
    m = _US.match(t)
    if not m and not _US3.match(t):
        return []
    zips, zip3s = us_zips()
    if m:
        a = zips.get(m.group(1))
        if a is not None:
            return [PostcodeHit(t, "US", a.region_code, a.town, "", a.lat, a.lon, "exact")]
        a = zip3s.get(m.group(1)[:3])
        if a is not None:   # a ZIP the table lacks (new, or a PO-box-only code): its ZIP3 area
            return [PostcodeHit(t, "US", a.region_code, a.town, "", a.lat, a.lon, "postcode_area")]
        return []
    m = _US3.match(t)
    if m and m.group(1) in zip3s:
        a = zip3s[m.group(1)]
        return [PostcodeHit(m.group(1), "US", a.region_code, a.town, "", a.lat, a.lon, "postcode_area")]
    return []


def _lookup_ca(t: str) -> list[PostcodeHit]:
    m = _CA.match(t)
    if not m:
        return []
    fsa, ldu = m.group(1), m.group(2)
    code = f"{fsa} {ldu}" if ldu else fsa
    a = ca_fsas().get(fsa)
    if a is not None:
        rural = fsa[1] == "0"
        return [PostcodeHit(code, "CA", a.region_code, a.town, "", a.lat, a.lon,
                            "postcode_area" if rural or not a.town else "postcode_district", a.name)]
    prov = _CA_FIRST_LETTER.get(fsa[0])
    return [PostcodeHit(code, "CA", prov, precision="region")] if prov else []


def _lookup_gb(t: str) -> list[PostcodeHit]:
    m = _GB.match(t)
    if not m:
        return []
    outward, inward = m.group(1), m.group(2)
    code = f"{outward} {inward}" if inward else outward
    districts, areas = gb_districts()
    area = _gb_area(outward)
    cc = _GB_DEPENDENCIES.get(area, "GB")
    a = districts.get(outward)
    if a is not None:
        return [PostcodeHit(code, cc, a.region_code, a.town, a.county, a.lat, a.lon, "postcode_district")]
    a = areas.get(area)
    if a is not None and inward:   # a district the table lacks, in a known area: the area
        return [PostcodeHit(code, cc, a.region_code, a.town, a.county, a.lat, a.lon, "postcode_area")]
    return []


def _lookup_au(t: str) -> list[PostcodeHit]:
    m = _AU.match(t)
    if not m:
        return []
    a = au_postcodes().get(t)
    if a is not None:
        return [PostcodeHit(t, "AU", a.region_code, a.town, "", a.lat, a.lon, "exact")]
    n = int(t)
    for lo, hi, st in _AU_RANGES:
        if lo <= n <= hi:
            return [PostcodeHit(t, "AU", st, precision="region")]
    return []


# --- in page text ------------------------------------------------------------------------------

_US_STATE_CODES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
                   "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR").split()
#: "Des Moines, IA 50309", "Washington DC 20006": a ZIP counts only after a state it belongs to
_TEXT_US = re.compile(r"\b([A-Z][a-zA-Z.'-]+(?: [A-Z][a-zA-Z.'-]+){0,3})?,?\s+(" + "|".join(_US_STATE_CODES)
                      + r")\.?,?\s+(\d{5})(?:-\d{4})?\b")
#: "M5W 1E6": full codes only, with their space (an FSA alone, "C6C6C6" or a hex colour is not one)
_TEXT_CA = re.compile(r"\b([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])[ \u00a0](\d[ABCEGHJ-NPRSTV-Z]\d)\b")
#: "LS1 4JB", "SW18 4ES": full codes only (an outward code alone is too often a model number)
_TEXT_GB = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)[ \u00a0]?(\d[ABD-HJLNP-UW-Z]{2})\b")
#: "Sydney NSW 2000", "Victoria 3000": a four-digit postcode counts only after its state
_AU_STATE_WORDS = {n: ab for ab, (_, n) in AU_STATES.items()} | {ab: ab for ab in AU_STATES}
_TEXT_AU = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(_AU_STATE_WORDS, key=len, reverse=True))
                      + r")\.?,?\s+(\d{4})\b")


@dataclass(frozen=True)
class TextPostcode:
    hit: PostcodeHit
    snippet: str          # the matched text
    town_text: str = ""   # the capitalised words before a US ZIP's state ("Mountain View")


def find_in_text(text: str, cap: int = 20) -> list[TextPostcode]:
    """Postcodes written in page text, each checked against the tables and its stated region."""
    out: list[TextPostcode] = []
    if not text or not any(ch.isdigit() for ch in text):
        return out
    for m in _TEXT_US.finditer(text):
        hits = _lookup_us(m.group(3))
        if hits and hits[0].region_code == m.group(2):   # "CA 94042" is California's; "AB 12345" nothing
            out.append(TextPostcode(hits[0], m.group(0).strip(" ,"), (m.group(1) or "").strip()))
    for m in _TEXT_CA.finditer(text):
        hits = _lookup_ca(f"{m.group(1)} {m.group(2)}")
        if hits and hits[0].precision != "region":
            out.append(TextPostcode(hits[0], m.group(0)))
    for m in _TEXT_GB.finditer(text):
        hits = _lookup_gb(f"{m.group(1)} {m.group(2)}")
        if hits and hits[0].precision == "postcode_district":
            out.append(TextPostcode(hits[0], m.group(0)))
    for m in _TEXT_AU.finditer(text):
        st = _AU_STATE_WORDS.get(m.group(1))
        hits = _lookup_au(m.group(2))
        if st and hits and hits[0].region_code == st:
            out.append(TextPostcode(hits[0], m.group(0)))
    return out[:cap]
