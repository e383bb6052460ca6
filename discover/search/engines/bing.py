"""Bing web search (2015, 2019–2021 and 2026 markup).

Every organic result is an `li.b_algo` with its title link in `h2 > a`; answers (images,
videos, news, hotels, people-also-ask, entity pane) use other containers and ads use
`li.b_ad`, so container selection alone keeps them out. Links may be `/ck/a?...&u=a1<base64>`
click wrappers (2026), which `serp.unwrap_url` decodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from discover.search.engines._common import build_url, check_page, region_codes
from discover.search.serp import ParsedSerp, SerpSpec, parse_html

NAME = "bing"

#: Bing has site:, intitle:, "…", -term and OR, but no inurl: (its `instreamset:url:` is not
#: reliable) and filetype: only for some types; we treat filetype as supported (documented).
SUPPORTED_OPERATORS: frozenset[str] = frozenset({"phrase", "intitle", "site", "exclude", "or", "filetype"})

#: Playwright selectors for Bing's cookie banner.
CONSENT_SELECTORS: tuple[str, ...] = (
    "#bnp_btn_accept",
    "button#bnp_btn_accept",
    "#adlt_set_save",
    "button:has-text('Accept')",
    "button:has-text('Akzeptieren')",
    "button:has-text('Accepter')",
)

SPEC = SerpSpec(
    engine=NAME,
    results=("li.b_algo",),
    link=(".//h2//a[@href]", ".//a[contains(@class,'tilk')][@href]", ".//a[@href]"),
    title=(".//h2",),
    snippet=(".//div[contains(@class,'b_caption')]//p", ".//p[contains(@class,'b_lineclamp')]", ".//p"),
    date=(".//span[contains(@class,'news_dt')]",),
    exclude=(
        "li.b_ad, .b_adTop, .b_adBottom, .sb_add, #b_context",
        "li.b_ans, .b_rs, .b_vlist2col.b_deep",
    ),
    drop_url=(
        r"^https?://(www\.|cc\.)?bing\.com/(search|aclick|ck/a|images|videos|news|maps|shop)\b",
        r"^https?://[^/]*\.r\.msn\.com/",
        r"^https?://cc\.bingj\.com/cache",
    ),
    no_results_text=(
        "there are no results for",
        "no results found for",
        "es gibt keine ergebnisse für",
        "keine ergebnisse für",
        "il n'y a aucun résultat pour",
        "aucun résultat trouvé pour",
        "no hay resultados para",
        "no se encontraron resultados para",
    ),
    no_results_selectors=("li.b_no",),
    next_page=("//a[contains(@class,'sb_pagN')]", "//a[@title='Next page']"),
)


def _market(country: str, language: str) -> str:
    """Bing market code ("en-GB"): language + country, the form `mkt` and `setmkt` take."""
    return f"{language}-{country.upper()}" if country and language else ""


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str:
    """Bing web search URL; `cc` is the country, `mkt` the market (en-GB), `first` the offset."""
    country, language = region_codes(region)
    first = (check_page(page) - 1) * 10 + 1
    return build_url("https://www.bing.com/search", {
        "q": query, "first": first if first > 1 else None, "cc": country.upper(),
        "mkt": _market(country, language), "setlang": language,
    })


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse a Bing result page."""
    return parse_html(html, SPEC, query=query, page=page, base_url=base_url or "https://www.bing.com/")
