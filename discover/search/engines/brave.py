"""Brave Search (search.brave.com), own index -- a useful second opinion to Google/Bing.

Web results are `div.snippet[data-type="web"]` (2024+ Svelte markup: first link is the result,
title in `div.title`; older markup: `a.result-header`, `span.snippet-title`). The infobox,
news/video clusters and discussions are other snippet types and stay out. Links are direct.

A web result's text comes in several layouts: the usual `div.generic-snippet`; a video result
(`div.video-snippet`: thumbnail, a line-clamped description, "Published 3 weeks ago"); others
(discussions, Q&A) have no fixed class, so the last resort is the result's own text without
its title link. The next page is the "Next" button in `#pagination-snippet` (`?offset=N`).
"""

from __future__ import annotations

from collections.abc import Mapping

from discover.search.engines._common import build_url, check_page, region_codes
from discover.search.serp import ParsedSerp, SerpSpec, parse_html

NAME = "brave"

#: Brave's documented operators: "…", -term, site:, intitle:, inbody:, filetype:/ext:, AND/OR/NOT.
#: There is no inurl:.
SUPPORTED_OPERATORS: frozenset[str] = frozenset({"phrase", "exclude", "site", "intitle", "filetype", "or"})

CONSENT_SELECTORS: tuple[str, ...] = (
    "button:has-text('Accept')",
    "button:has-text('Got it')",
)

SPEC = SerpSpec(
    engine=NAME,
    results=("div.snippet[data-type='web']",),
    link=(".//a[contains(@class,'result-header')][@href]", ".//a[@href]"),
    title=(".//div[contains(@class,'title')]", ".//*[contains(@class,'snippet-title')]"),
    snippet=(
        ".//div[contains(@class,'generic-snippet')]",
        ".//*[contains(@class,'snippet-description')]",
        ".//div[contains(@class,'video-snippet')]//div[contains(@class,'content')]/div[contains(@class,'line-clamp')]",
        ".//div[contains(@class,'result-content')]/*[not(self::a)][not(contains(@class,'video-snippet'))]"
        "[normalize-space()]",
    ),
    date=(".//div[contains(@class,'snippet-attributes')]//span[contains(@class,'t-tertiary')]",),
    exclude=("#infobox-snippet, .infobox, [data-type='ad'], #search-ad, .standalone",),
    drop_url=(r"^https?://search\.brave\.com/", r"^https?://([a-z]+\.)?brave\.com/(search|images|news|videos)"),
    no_results_text=("not many great matches came back for your search", "no results found for"),
    no_results_selectors=("#no-results",),
    next_page=("//div[@id='pagination-snippet']//a[@href][contains(normalize-space(.), 'Next')]",
               "//a[contains(@class,'btn')][contains(., 'Next')][@href]"),
)


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str:
    """search.brave.com URL; `offset` is the zero-based page number, `country` the region."""
    country, _language = region_codes(region)
    offset = check_page(page) - 1
    return build_url("https://search.brave.com/search", {
        "q": query, "source": "web", "offset": offset or None, "country": country,
    })


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse a Brave result page or result-list fragment."""
    return parse_html(html, SPEC, query=query, page=page, base_url=base_url or "https://search.brave.com/")
