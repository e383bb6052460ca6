"""Place parsing, page location and geo tiers against the offline gazetteer."""

from __future__ import annotations

import pytest

from discover.errors import AmbiguousPlace, InputError
from discover.rank.geo import geo_tier, haversine_km, locate, parse_place
from discover.records import Extraction


def test_full_forms():
    leeds = parse_place("Leeds, West Yorkshire, GB")
    assert (leeds.city, leeds.country_code, leeds.region, leeds.kind) == ("Leeds", "GB", "West Yorkshire", "city")
    dsm = parse_place("Des Moines, IA, US")
    assert (dsm.city, dsm.region_code, dsm.country_code) == ("Des Moines", "IA", "US")
    assert dsm.lat == pytest.approx(41.60, abs=0.05)


@pytest.mark.parametrize("text", ["Austin, TX", "Austin, Texas", "austin, tx"])
def test_city_with_us_state(text):
    p = parse_place(text)
    assert (p.city, p.region_code, p.country_code) == ("Austin", "TX", "US")


def test_us_zip_known_city_and_state_only():
    p = parse_place("78701")
    assert (p.city, p.region_code, p.kind, p.postcode) == ("Austin", "TX", "postcode", "78701")
    assert p.precision == "exact"
    bluffs = parse_place("51501")              # every ZIP is in the bundled table, not only big cities'
    assert (bluffs.city, bluffs.region_code, bluffs.kind, bluffs.precision) == ("Council Bluffs", "IA", "postcode", "exact")
    with pytest.raises(InputError, match="ZIP"):
        parse_place("00000")


def test_uk_outward_code():
    p = parse_place("LS1")
    assert (p.city, p.country_code, p.kind) == ("Leeds", "GB", "postcode")
    assert parse_place("BD1 2AB").city == "Bradford"
    with pytest.raises(InputError, match="postcode area"):
        parse_place("ZZ9")


def test_ambiguous_bare_name_lists_candidates():
    with pytest.raises(AmbiguousPlace) as err:
        parse_place("Paris")
    assert any("FR" in c for c in err.value.candidates)
    assert any("TX, US" in c for c in err.value.candidates)
    assert "pop." in err.value.candidates[0]


def test_dominant_bare_name_resolves():
    # Leeds, AL has 12k people, Leeds GB half a million: the rule in geo.py's docstring
    assert parse_place("Leeds").country_code == "GB"


@pytest.mark.parametrize("text", ["Xyzzyville", "Springfield, ZZ", "Omaha, GB", ""])
def test_unknown_places(text):
    with pytest.raises(InputError):
        parse_place(text)


def test_region_and_country_targets():
    assert parse_place("Iowa").kind == "region"
    assert parse_place("United Kingdom").country_code == "GB"


def _page(title: str, text: str, html: str = "", url: str = "http://example.com/") -> list:
    return locate(Extraction(url=url, title=title, text=text, full_text=text), html, url)


def test_leeds_bradford_nearby_with_distance():
    leeds = parse_place("Leeds, West Yorkshire, GB")
    m = geo_tier(leeds, _page("Bradford dog groomers", "Grooming salon in Bradford. BD1 2AB"), 60)
    assert m.tier == "nearby"
    assert 10 < m.distance_km < 18
    assert m.place.startswith("Bradford")
    assert geo_tier(leeds, _page("Leeds groomers", "Salon in Leeds, LS6 1AA"), 60).tier == "same_city"


def test_omaha_is_elsewhere_for_des_moines_but_same_country_by_tld_only():
    dsm = parse_place("Des Moines, IA, US")
    m = geo_tier(dsm, _page("Omaha maternity boutique", "Visit us at 12 Main St, Omaha, NE 68102."), 60)
    assert m.tier == "elsewhere"
    assert m.distance_km == pytest.approx(haversine_km(41.60, -93.61, 41.26, -95.94), abs=5)
    leeds = parse_place("Leeds, West Yorkshire, GB")
    assert geo_tier(leeds, _page("A grooming shop", "no place named", url="http://shop.co.uk/")).tier == "same_country"
    assert geo_tier(dsm, _page("A shop", "no place named", url="http://shop.co.uk/")).tier == "unknown"


def test_schema_phone_and_address_evidence():
    html = ('<html lang="en-US"><script type="application/ld+json">{"@type": "LocalBusiness", "address": '
            '{"@type": "PostalAddress", "addressLocality": "Des Moines", "addressRegion": "IA"}}</script></html>')
    ev = _page("Bump boutique", "Call (515) 555-1234. 420 E Locust St, Des Moines, IA 50309", html)
    sources = {e.source for e in ev if e.place.city == "Des Moines"}
    assert {"schema", "phone", "address"} <= sources
    broken = _page("Shop", "text", '<script type="application/ld+json">{not json</script>')
    assert all(e.source != "schema" for e in broken)


def test_common_word_towns_are_not_places():
    dsm = parse_place("Des Moines, IA, US")
    ev = locate(Extraction(url="u", title="Best stroller for jogging", text="Reading is fun. Mobile friendly."),
                "", "http://x.com/", near=dsm)
    assert not [e for e in ev if e.place.city]
    assert geo_tier(dsm, ev).tier == "unknown"


def test_no_target_is_geo_neutral():
    m = geo_tier(None, _page("Leeds", "Leeds"))
    assert m.tier == "unknown" and m.score == 0.5


def test_region_qualifier_picks_the_namesake():
    labels = [e.place.label for e in _page("", "Our other shop is in Des Moines, WA. Also Reading, PA.")]
    assert "Des Moines, WA, US" in labels and "Reading, PA, US" in labels
    assert not [e for e in _page("", "Reading is fun.") if e.place.city]


def test_schema_coordinates_and_target_hint():
    html = '<script type="application/ld+json">{"@type": "Place", "geo": {"latitude": 53.80, "longitude": -1.55}}</script>'
    leeds = parse_place("Leeds, West Yorkshire, GB")
    ev = locate(Extraction(url="u", title="Groomers", text="Welcome to Morley Grooming"), html, "http://x.com/", near=leeds)
    assert any(e.source == "schema" and e.place.city == "Leeds" for e in ev)
    assert geo_tier(leeds, ev).tier == "same_city"
