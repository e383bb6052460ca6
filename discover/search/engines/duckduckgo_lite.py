"""DuckDuckGo Lite (lite.duckduckgo.com/lite): one table, a result per `a.result-link` row.

Lite is the lightest endpoint but also the first to answer with the "bots use DuckDuckGo too"
challenge (the only real lite page we hold is that challenge), so block detection matters most.
"""

from __future__ import annotations

from collections.abc import Mapping

from discover.search.engines import duckduckgo
from discover.search.engines._common import build_url, check_page
from discover.search.serp import ParsedSerp, SerpSpec, parse_html

NAME = "duckduckgo-lite"
SUPPORTED_OPERATORS: frozenset[str] = duckduckgo.SUPPORTED_OPERATORS
CONSENT_SELECTORS: tuple[str, ...] = ()

SPEC = SerpSpec(
    engine=NAME,
    results=("a.result-link",),
    link=(".",),
    title=(".",),
    snippet=("ancestor::tr[1]/following-sibling::tr[1]//td[contains(@class,'result-snippet')]",),
    exclude=("tr.result-sponsored", ".result-sponsored"),
    drop_url=duckduckgo.SPEC.drop_url,
    block=duckduckgo.SPEC.block,
    no_results_text=("no results.", "no more results."),
    next_page=(),
)


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str:
    """lite.duckduckgo.com URL; Lite pages hold about 30 results, addressed by offset `s`."""
    offset = (check_page(page) - 1) * duckduckgo.PAGE_SIZE
    return build_url("https://lite.duckduckgo.com/lite/", {
        "q": query, "kl": duckduckgo.kl_code(region), "s": offset or None,
    })


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse a DuckDuckGo Lite page."""
    return parse_html(html, SPEC, query=query, page=page,
                      base_url=base_url or "https://lite.duckduckgo.com/lite/")
