"""Places (issue 12, item 3): "City, Region" without a country, region abbreviations, postcodes of
US / CA / GB / AU resolved offline with their precision, "did you mean", regions kept on detected
places, and `discover place`.

Real material: addresses in real saved pages (fixtures/realpages, $DISCOVER_SHARED/realdata) and
the bundled GeoNames tables themselves; the issue's own cases are tested as written there.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from discover.errors import AmbiguousPlace, InputError
from discover.rank import postcodes as pc
from discover.rank.geo import gazetteer, geo_tier, haversine_km, locate, parse_place, suggest
from discover.records import FetchResult

from conftest import REALDATA, REPO

SASKATOON = (52.13, -106.67)


def _km(p, lat_lon) -> float:
    return haversine_km(p.lat, p.lon, *lat_lon)


# --- the cases ------------------------------------------------------------------------------

def test_city_and_region_without_a_country():
    p = parse_place("Saskatoon, SK")
    assert (p.city, p.region, p.region_code, p.country_code, p.precision) == (
        "Saskatoon", "Saskatchewan", "SK", "CA", "city")
    assert p.label == "Saskatoon, SK, CA"


@pytest.mark.parametrize("text", ["S7K", "S7K 1H1", "s7k1h1", "S7K-1H1"])
def test_saskatoon_postcodes_resolve_in_saskatoon(text):
    # the bug: S7K was read as Sheffield's S7, 6,391 km away
    p = parse_place(text)
    assert (p.city, p.region_code, p.country_code, p.kind) == ("Saskatoon", "SK", "CA", "postcode")
    assert p.precision == "postcode_district"          # there is no full-postcode table for Canada
    assert _km(p, SASKATOON) < 25


def test_springfeld_gets_did_you_mean():
    with pytest.raises(InputError) as err:
        parse_place("Springfeld")
    hint = err.value.hint or ""
    assert "did you mean" in hint
    for state in ("IL", "MO", "MA"):
        assert f'"Springfield, {state}, US"' in hint
    with pytest.raises(InputError) as err:          # with a region, that region's town comes first
        parse_place("Springfeld, IL")
    assert (err.value.hint or "").startswith('did you mean "Springfield, IL, US"')


# --- regions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,label", [
    ("Saskatoon, Saskatchewan", "Saskatoon, SK, CA"),
    ("London, ON", "London, ON, CA"),
    ("Toronto, CA", "Toronto, ON, CA"),             # CA: Canada here (no Toronto in California)
    ("Vancouver, WA", "Vancouver, WA, US"),         # WA: Washington here ...
    ("Perth, WA", "Perth, WA, AU"),                 # ... and Western Australia here
    ("Perth, Western Australia", "Perth, WA, AU"),
    ("Perth, Scotland", "Perth, Perth and Kinross, GB"),
    ("Darwin, NT", "Darwin, NT, AU"),               # NT: the Northern Territory ...
    ("Yellowknife, NT", "Yellowknife, NT, CA"),     # ... and the Northwest Territories
    ("Montreal, QC", "Montréal, QC, CA"),
    ("Quebec City, QC", "Québec, QC, CA"),
    ("St Louis, MO", "St. Louis, MO, US"),
    ("Ft Worth, TX", "Fort Worth, TX, US"),
    ("Leeds, West Yorkshire", "Leeds, West Yorkshire, GB"),
    ("Leeds, W Yorks", "Leeds, West Yorkshire, GB"),
    ("Leeds, W. Yorks.", "Leeds, West Yorkshire, GB"),
    ("Leeds, Yorkshire", "Leeds, West Yorkshire, GB"),
    ("Leeds, England", "Leeds, West Yorkshire, GB"),
    ("Leeds, UK", "Leeds, West Yorkshire, GB"),
    ("Reading, Berks", "Reading, Berkshire, GB"),
    ("Cambridge, Cambs", "Cambridge, Cambridgeshire, GB"),
    ("Cambridge, MA", "Cambridge, MA, US"),
    ("Cardiff, Wales", "Cardiff, Wales, GB"),
    ("Gold Coast, Queensland", "Gold Coast, QLD, AU"),
])
def test_region_names_and_abbreviations(text, label):
    assert parse_place(text).label == label


def _biggest_towns(country: str, key) -> dict[str, dict]:
    best: dict[str, dict] = {}
    for towns in gazetteer().by_name.values():
        for c in towns:
            if c["countrycode"] == country:
                k = key(c)
                if k and (k not in best or c["population"] > best[k]["population"]):
                    best[k] = c
    return best


@pytest.mark.parametrize("country,table", [("CA", pc.CA_PROVINCES), ("AU", pc.AU_STATES)])
def test_every_province_and_state_abbreviation(country, table):
    """The biggest town of every province/state, written "Town, XX" and "Town, Full Name"."""
    by_admin1 = _biggest_towns(country, lambda c: c["admin1code"])
    for abbr, (admin1, name) in table.items():
        town = by_admin1[admin1]["name"]
        for region in (abbr, name):
            p = parse_place(f"{town}, {region}")
            assert (p.country_code, p.region_code) == (country, abbr), (town, region, p)


def test_every_us_state_abbreviation():
    by_state = _biggest_towns("US", lambda c: c["admin1code"])
    states = gazetteer().states
    for code in states:
        if code not in by_state:
            continue
        p = parse_place(f"{by_state[code]['name']}, {code}")
        assert (p.country_code, p.region_code) == ("US", code), (code, p)


def test_every_british_county_of_the_tables():
    """The biggest town of every county the GB tables name, written "Town, County"."""
    county_of = pc.gb_town_counties()
    by_county = _biggest_towns("GB", lambda c: county_of.get(c["geonameid"], ""))
    assert len(by_county) > 80
    for county, c in by_county.items():
        p = parse_place(f"{c['name']}, {county}")
        assert p.country_code == "GB" and p.region == county, (county, c["name"], p)


def test_qualified_names_that_still_fit_several_towns_go_by_population():
    newport = parse_place("Newport, GB")
    assert newport.region == "Newport" and newport.city == "Newport"           # Newport, Wales: 160,000
    assert set(newport.alternatives) == {"Newport, Isle of Wight, GB", "Newport, Shropshire, GB"}
    springfield = parse_place("Springfield, US")
    assert springfield.region_code == "MO"
    assert {"Springfield, MA, US", "Springfield, IL, US"} <= set(springfield.alternatives)
    # a bare name with close namesakes stays an error listing them
    with pytest.raises(AmbiguousPlace) as err:
        parse_place("Halifax")
    assert any("NS, CA" in c for c in err.value.candidates) and any("West Yorkshire" in c for c in err.value.candidates)


@pytest.mark.parametrize("text,message", [
    ("Leeds, Kent", "no 'Leeds' in Kent"),
    ("Springfield, ZZ", "unknown region or country"),
    ("Omaha, GB", "not a town or region in GB"),
])
def test_wrong_regions_are_errors_with_suggestions(text, message):
    with pytest.raises(InputError, match=message) as err:
        parse_place(text)
    assert (err.value.hint or "").startswith("did you mean")


def test_suggestions_are_real_gazetteer_places():
    assert suggest("Sasktoon")[0] == "Saskatoon, SK, CA"
    assert suggest("Edinbrugh")[0].startswith("Edinburgh")
    assert suggest("Xyzzyville") == []


# --- postcodes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,label,precision", [
    ("78701", "Austin, TX, US", "exact"),
    ("78701-1234", "Austin, TX, US", "exact"),
    ("51501", "Council Bluffs, IA, US", "exact"),
    ("10003", "New York City, NY, US", "exact"),
    ("787", "Austin, TX, US", "postcode_area"),          # a ZIP3 prefix
    ("Austin, TX 78701", "Austin, TX, US", "exact"),
    ("West Des Moines, IA 50265", "West Des Moines, IA, US", "exact"),
    ("M5W 1E6", "Toronto, ON, CA", "postcode_district"),
    ("V6B", "Vancouver, BC, CA", "postcode_district"),
    ("T0A", "Alberta, CA", "postcode_area"),             # a rural FSA: a whole region
    ("LS1 4AP", "Leeds, West Yorkshire, GB", "postcode_district"),
    ("LS1", "Leeds, West Yorkshire, GB", "postcode_district"),
    ("Leeds LS1 4AP", "Leeds, West Yorkshire, GB", "postcode_district"),
    ("LS29", "Ilkley, West Yorkshire, GB", "postcode_district"),
    ("CB4", "Cambridge, Cambridgeshire, GB", "postcode_district"),
    ("SW1A", "London, Greater London, GB", "postcode_district"),
    ("SW18 4ES", "London, Greater London, GB", "postcode_district"),
    ("2000", "Sydney, NSW, AU", "exact"),
    ("Sydney NSW 2000", "Sydney, NSW, AU", "exact"),
    ("3000, AU", "Melbourne, VIC, AU", "exact"),
    ("0800", "Darwin, NT, AU", "exact"),
    ("6000", "Perth, WA, AU", "exact"),
])
def test_postcodes_full_and_partial(text, label, precision):
    p = parse_place(text)
    assert (p.label, p.precision, p.kind) == (label, precision, "postcode")
    assert p.lat is not None and p.postcode


def test_postcodes_missing_from_the_tables_fall_back_to_their_prefix():
    zips, zip3s = pc.us_zips()
    missing = next(f"787{i:02d}" for i in range(100) if f"787{i:02d}" not in zips)
    p = parse_place(missing)
    assert (p.region_code, p.precision) == ("TX", "postcode_area")
    fsas = pc.ca_fsas()
    unused = next(f"S{d}{x}" for d in range(1, 10) for x in "ABCEGHJKLMNPRSTVWXYZ" if f"S{d}{x}" not in fsas)
    p = parse_place(unused)
    assert (p.city, p.region_code, p.country_code, p.precision) == ("", "SK", "CA", "region")
    districts, _ = pc.gb_districts()
    odd = next(f"LS{n}" for n in range(30, 99) if f"LS{n}" not in districts)
    p = parse_place(f"{odd} 1AA")
    assert (p.city, p.precision) == ("Leeds", "postcode_area")
    aus = pc.au_postcodes()
    gap = next(f"{n:04d}" for n in range(4000, 5000) if f"{n:04d}" not in aus)
    p = parse_place(gap)
    assert (p.region_code, p.precision) == ("QLD", "region")


@pytest.mark.parametrize("text,message", [
    ("00000", "unknown US ZIP code"),
    ("ZZ9", "unknown UK postcode area 'ZZ'"),
    ("1010, AT", "no offline postcode table for AT"),
    ("Austin, CA 78701", "78701 is in Austin, TX, US"),
])
def test_unknown_or_contradicted_postcodes(text, message):
    with pytest.raises(InputError, match=message):
        parse_place(text)


def test_a_code_that_is_both_a_london_district_and_an_fsa_lists_the_other():
    p = parse_place("E1W")
    assert p.label == "London, Greater London, GB"
    assert len(p.alternatives) == 1 and p.alternatives[0].endswith("NB, CA (E1W)")
    assert parse_place("E1W 1AA").country_code == "GB" and parse_place("E1W 1A1").country_code == "CA"


def test_calgary_fsas_are_in_calgary():
    """GeoNames puts T2P (downtown Calgary) 27 km east of the city, where the build first named it
    Chestermere; the build now trusts the FSA's own name and moves such stray points to the town."""
    calgary = parse_place("Calgary, AB")
    urban = {fsa: a for fsa, a in pc.ca_fsas().items() if fsa[:2] in ("T2", "T3") and fsa != "T3Z"}
    assert len(urban) > 30
    for fsa, area in urban.items():
        assert area.town == "Calgary", fsa
        assert haversine_km(area.lat, area.lon, calgary.lat, calgary.lon) < 30, fsa
    p = parse_place("T2P 1J9")
    assert p.city == "Calgary" and _km(p, (calgary.lat, calgary.lon)) < 5


def test_tables_agree_with_the_postal_rules_and_stay_small():
    folder = REPO / "discover" / "data" / "places"
    assert sum(f.stat().st_size for f in folder.iterdir()) < 2_000_000
    for fsa, area in pc.ca_fsas().items():          # Canada Post: the first letter is the province
        expected = pc._CA_FIRST_LETTER[fsa[0]]
        assert area.region_code == expected or (fsa[0] == "X" and area.region_code == "NU"), fsa
    ranges = defaultdict(int)
    for code, area in pc.au_postcodes().items():      # Australia Post's ranges per state
        in_range = [st for lo, hi, st in pc._AU_RANGES if lo <= int(code) <= hi]
        ranges[area.region_code in in_range] += 1
    # a few hundred border postcodes belong to a neighbouring state (Albury 2640 is NSW; 2540
    # Jervis Bay is ACT): the table's state wins over the ranges, which only fill gaps
    assert ranges[True] / (ranges[True] + ranges[False]) > 0.97


# --- places on real pages keep their region --------------------------------------------------------

REALPAGES = REPO / "fixtures" / "realpages" / "pages"


def _page(path: Path, url: str | None = None):
    from discover.pages.extract import extract

    raw = gzip.open(path, "rt", encoding="utf-8").read() if path.suffix == ".gz" else \
        path.read_text(encoding="utf-8", errors="replace")
    if path.name.endswith(".json.gz"):
        doc = json.loads(raw)
        raw, url = doc["html"], doc["url"]
    assert url
    ex = extract(FetchResult(url=url, final_url=url, outcome="ok", html=raw))
    return ex, raw, url


# (page, URL, the address as written, the place it must give)
REAL_ADDRESSES = [
    (REALPAGES / "cbc.ca/www-cbc-ca.html", "https://www.cbc.ca/news/business/crea-september-numbers-1.6616369",
     "M5W 1E6", "Toronto, ON, CA"),
    (REALPAGES / "creativecommons.org/creativecommons-org.html", "https://creativecommons.org/about/",
     "Mountain View, CA 94042", "Mountain View, CA, US"),
    (REALPAGES / "postlight.com/postlight-com.html", "https://postlight.com/insights/three-ways-to-be-the-thermostat",
     "New York, NY 10003", "New York City, NY, US"),
    (REALPAGES / "zohaib-mzg.github.io/travelvista-contact.html", "https://zohaib-mzg.github.io/TravelVistaUSA/contact.html",
     "Austin, TX 78704", "Austin, TX, US"),
    (REALPAGES / "dtphx.org/dtphx-0898.html",
     "https://dtphx.org/post/23-new-businesses-now-open-in-downtown-phoenix", "Phoenix, AZ 85004", "Phoenix, AZ, US"),
]
SHARED_ADDRESSES = [
    ("pages/forums-harvest/shift.ms.topic.news-on-myelin-repair.json.gz", None, "LS1 4JB", "Leeds, West Yorkshire, GB"),
    ("pages/forums-harvest/shift.ms.topic.news-on-myelin-repair.json.gz", None, "WC2R 1LA",
     "London, Greater London, GB"),
    ("pages/forums-harvest/www.medschat.com.Discuss.how-important-is-this-medician-G-E-Sulfamethoxazole-TMP-DS-"
     "Tabitp-to-take-due-to-COPD-206090.htm.json.gz", None, "Denver, CO, 80123", "Denver, CO, US"),
    ("pages/trafilatura-eval/publishedreporter.com-Hottest.html", "https://publishedreporter.com/",
     "Newark, DE 19702", "Newark, DE, US"),
    ("pages/articles/html/156770d676ce79905198e1c8407f81e5ecfb617d9aa44712718707eb7e3b8e38.html.gz",
     "https://thehill.com/", "Washington DC 20006", "Washington, DC, US"),
]


def _check_address(path: Path, url: str | None, written: str, label: str) -> None:
    ex, html, url = _page(path, url)
    ev = [e for e in locate(ex, html, url) if e.source == "address" and e.snippet.endswith(written.split()[-1])]
    assert ev, (path.name, written)
    assert ev[0].place.label == label and ev[0].place.region
    target = parse_place(label)
    match = geo_tier(target, ev)
    assert match.tier == "same_city" and match.place == label      # the region reaches GeoMatch.place


@pytest.mark.parametrize("path,url,written,label", REAL_ADDRESSES, ids=[r[2] for r in REAL_ADDRESSES])
def test_addresses_on_real_pages(path, url, written, label):
    _check_address(path, url, written, label)


@pytest.mark.parametrize("rel,url,written,label", SHARED_ADDRESSES, ids=[r[2] for r in SHARED_ADDRESSES])
def test_addresses_on_shared_real_pages(rel, url, written, label):
    path = REALDATA / rel
    if not path.exists():
        pytest.skip(f"shared real data not found: {path}")
    _check_address(path, url, written, label)


def test_real_serp_postcodes_are_london_districts():
    path = REALDATA / "serp/se-scraper_NikolaiT/static_tests_21378da/google4.html"
    if not path.exists():
        pytest.skip(f"shared real data not found: {path}")
    from discover.html import load_html, visible_text

    text = visible_text(load_html(path.read_text(encoding="utf-8", errors="replace")))
    found = {f.hit.postcode: f.hit for f in pc.find_in_text(text)}
    assert set(found) == {"SW18 4ES", "SE13 6LS"}          # the query's postcode and a result's address
    assert all(h.town == "London" and h.county == "Greater London" for h in found.values())


def test_no_false_postcodes_in_real_pages_without_addresses():
    """Model numbers, call signs and colours on real pages are not postcodes: every hit in the
    visible text of all bundled real pages (more text than extraction keeps) is one of the
    addresses above."""
    import csv

    from discover.html import load_html, visible_text

    # Registered-office lines in the footers of gzipped corpus pages: real addresses too.
    footers = {"1YR", "02466", "1WG"}   # Brighton BN1 1YR, Newton MA 02466, London SW1P 1WG
    expected = {written.split()[-1] for *_, written, _ in REAL_ADDRESSES} | footers
    hits = []
    for manifest in sorted((REPO / "fixtures" / "realpages").glob("manifest-*.csv")):
        for row in csv.DictReader(manifest.open(encoding="utf-8")):
            raw = (REPO / "fixtures" / "realpages" / row["file"]).read_bytes()
            html = (gzip.decompress(raw) if row["file"].endswith(".gz") else raw).decode("utf-8", "replace")
            hits += [(row["file"], f.snippet) for f in pc.find_in_text(visible_text(load_html(html)))]
    assert hits and {s.split()[-1] for _, s in hits} == expected, hits


def test_schema_address_outside_the_us_keeps_its_region():
    html = ('<script type="application/ld+json">{"@type": "LocalBusiness", "address": {"@type": "PostalAddress", '
            '"addressLocality": "Saskatoon", "addressRegion": "SK", "addressCountry": "CA", "postalCode": "S7K 1H1"}}'
            '</script>')
    from discover.records import Extraction

    ev = locate(Extraction(url="http://x.ca/", title="Groomer", text=""), html, "http://x.ca/")
    schema = [e for e in ev if e.source == "schema"]
    assert schema and schema[0].place.label == "Saskatoon, SK, CA"
    far = parse_place("Regina, SK")
    assert geo_tier(far, ev).tier == "same_region"


def test_region_reaches_the_score_of_a_prospect():
    from discover.rank.score import score_candidates
    from discover.records import Candidate, Classification
    from discover.settings import Settings

    ex, html, url = _page(*REAL_ADDRESSES[0][:2])
    cand = Candidate(url=url, domain="cbc.ca", extraction=ex, classification=Classification("news", 0.9, []),
                     html=html)
    score = score_candidates([cand], keyword="housing market", target=parse_place("M5V"), types=("news",),
                             settings=Settings())[0]
    assert score.geo_place == "Toronto, ON, CA" and score.geo_tier == "same_city"


def test_a_rural_postcode_target_measures_distance():
    target = parse_place("S0K")                       # central Saskatchewan, no single town
    from discover.rank.geo import GeoEvidence

    near = parse_place("Saskatoon, SK")
    far = parse_place("Regina, SK")
    assert geo_tier(target, [GeoEvidence(near, "address", 4.0)], 150).tier == "nearby"
    assert geo_tier(target, [GeoEvidence(far, "address", 4.0)], 150).tier == "same_region"


# --- the command ---------------------------------------------------------------------------------

def _main(capsys, *args: str) -> tuple[int, str, str]:
    from discover.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["place", *args])
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), out.out, out.err


def test_place_command_json(capsys):
    code, out, _ = _main(capsys, "S7K 1H1", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("name", "region", "country", "lat", "lon", "kind", "precision", "alternatives"):
        assert key in data
    assert (data["name"], data["region"], data["country"], data["kind"], data["precision"]) == (
        "Saskatoon", "Saskatchewan", "CA", "postcode", "postcode_district")
    assert abs(data["lat"] - SASKATOON[0]) < 0.3 and abs(data["lon"] - SASKATOON[1]) < 0.3


def test_place_command_text(capsys):
    code, out, _ = _main(capsys, "Newport, GB")
    assert code == 0
    assert out.splitlines()[0] == "Newport, Newport, GB  (city)"
    assert "also       Newport, Isle of Wight, GB; Newport, Shropshire, GB" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    code, out, err = _main(capsys, "Paris", "--json")
    assert code == 2 and out == "" and "Paris, TX, US" in err


def test_place_command_unknown_is_one_error_line_and_a_hint():
    r = subprocess.run([sys.executable, "-m", "discover", "place", "Springfeld"], capture_output=True, text=True,
                       timeout=120, cwd=REPO)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert lines[0] == "error: unknown place: 'Springfeld'"
    assert lines[1].startswith('hint: did you mean "Springfield, MO, US"') and len(lines) == 2
