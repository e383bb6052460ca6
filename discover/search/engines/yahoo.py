"""Yahoo web search -- parsing only (2015 `div.res` layout and the current `div.algo` one).

Yahoo's results come from Bing, so it adds little coverage; we parse its pages (they appear in
saved data and some runners land on them) but do not recommend it as a primary engine. Result
links are `r.search.yahoo.com/.../RU=<target>/RK=...` wrappers. When Yahoo silently rewrites the
query ("Showing results for … / Search instead for …", "Anzeigen der Ergebnisse für …"), the
page is a fallback: no results for the query as given.
"""

from __future__ import annotations

from collections.abc import Mapping

from discover.search.engines._common import build_url, check_page, region_codes
from discover.search.serp import ParsedSerp, SerpSpec, parse_html

NAME = "yahoo"

#: Yahoo (Bing-backed) honours "…", -term, site:, intitle: and OR; inurl: is unreliable.
SUPPORTED_OPERATORS: frozenset[str] = frozenset({"phrase", "exclude", "site", "intitle", "or"})

#: Playwright selectors for Yahoo's consent page (guce/consent.yahoo.com).
CONSENT_SELECTORS: tuple[str, ...] = (
    "button[name='agree']",
    "button.accept-all",
    "button:has-text('Accept all')",
    "button:has-text('Alle akzeptieren')",
)

SPEC = SerpSpec(
    engine=NAME,
    results=("div.algo", "div#web li > div.res"),
    link=(".//h3//a[@href]", ".//a[@href][.//h3]", ".//a[@href]"),
    title=(".//h3",),
    snippet=(".//div[contains(@class,'compText')]", ".//div[contains(@class,'abstr')]", ".//p"),
    exclude=(".ads, .spns, .searchCenterTopAds, .searchCenterBottomAds, div.res.sc, .sc-east, .compContainerExp",),
    drop_url=(
        r"^https?://([a-z]+\.)?(images|video|shopping|news)\.search\.yahoo\.com/",
        r"^https?://([a-z]+\.)?search\.yahoo\.com/search",
        r"^https?://([a-z]+\.)?r\.search\.yahoo\.com/",           # a wrapper we could not unwrap
        r"^https?://shopping\.yahoo\.com/",
        r"^https?://(www\.)?yahoo\.com/?$",
    ),
    no_results_text=(
        "we did not find results for",
        "no results found for",
        "keine ergebnisse für",
        "es wurden keine ergebnisse gefunden",
    ),
    rewrite_selectors=("//a[contains(@href,'fr2=sp-qrw-corr')]", "//*[contains(@class,'dym-rw')]"),
    next_page=("//a[contains(@class,'next')][@href]",),
)


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str:
    """search.yahoo.com URL (country sites such as uk.search.yahoo.com carry the region)."""
    country, _language = region_codes(region)
    host = "search.yahoo.com" if country in ("", "us") else f"{'uk' if country == 'gb' else country}.search.yahoo.com"
    start = (check_page(page) - 1) * 10 + 1
    return build_url(f"https://{host}/search", {"p": query, "b": start if start > 1 else None})


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse a Yahoo result page or result fragment."""
    return parse_html(html, SPEC, query=query, page=page, base_url=base_url or "https://search.yahoo.com/")
