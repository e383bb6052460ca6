"""The offline world's own search engine (discover.webworld.engine) as an engine plugin.

Markup (documented in discover/webworld/engine.py): `ol#results > li.result` with
`a.result-link`, `p.snippet` and `cite`; `div#no-results` when nothing matches; `a#next` for
the next page; the captcha page has `form#captcha-form` and "unusual traffic" text (and is
served with HTTP 429 + Retry-After, or 200).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from discover.search.blocked import BlockSpec
from discover.search.engines._common import build_url, check_page
from discover.search.serp import ParsedSerp, SerpSpec, parse_html

NAME = "local"

#: The virtual host the offline world serves this engine on (discover.webworld.engine).
ENGINE_HOST = "search.discover.test"

#: The local engine implements the whole footprint query language.
SUPPORTED_OPERATORS: frozenset[str] = frozenset({"phrase", "intitle", "inurl", "site", "exclude", "or",
                                                 "filetype"})

#: No consent dialog offline.
CONSENT_SELECTORS: tuple[str, ...] = ()

PAGE_SIZE = 10

BASE_URL = f"http://{ENGINE_HOST}/search"

SPEC = SerpSpec(
    engine=NAME,
    results=("ol#results > li.result",),
    link=(".//a[contains(@class,'result-link')][@href]",),
    title=(".//a[contains(@class,'result-link')]",),
    snippet=(".//p[contains(@class,'snippet')]",),
    drop_url=("^https?://" + re.escape(ENGINE_HOST) + "/",),
    block=BlockSpec(
        text=(("unusual_traffic", "our systems have detected unusual traffic"),),
        selectors=(("captcha", "form#captcha-form"),),
    ),
    no_results_text=("did not match any documents",),
    no_results_selectors=("div#no-results",),
    next_page=("//a[@id='next'][@href]",),
)


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str:
    """http://search.discover.test/search?q=…&p=N (the local world has no regions)."""
    page = check_page(page)
    return build_url(BASE_URL, {"q": query, "p": page if page > 1 else None})


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse a local-engine result page."""
    return parse_html(html, SPEC, query=query, page=page, base_url=base_url or BASE_URL)
