"""SearXNG metasearch (a self-hosted or chosen public instance), "simple" theme HTML.

Results are `article.result` with the title link in `h3 > a` and the text in `p.content`
(searx/templates/simple/macros.html `result_header`, result_templates/default.html). Answers,
infoboxes, suggestions and corrections live outside `#urls`. An empty `#urls` carries the
"Sorry! we didn't find any results" dialog. Paging is a form (`pageno`), so there is no next link.
"""

from __future__ import annotations

from collections.abc import Mapping

from discover.search.engines._common import build_url, check_page, region_codes
from discover.search.serp import ParsedSerp, SerpSpec, parse_html

NAME = "searxng"

#: Where a local instance usually listens (docker image default); override per call.
DEFAULT_INSTANCE = "http://127.0.0.1:8888"

#: SearXNG passes the query through to its upstream engines, so operators work only as far as
#: those engines honour them; phrase, exclude and site: are safe across the common ones.
SUPPORTED_OPERATORS: frozenset[str] = frozenset({"phrase", "exclude", "site"})

CONSENT_SELECTORS: tuple[str, ...] = ()

SPEC = SerpSpec(
    engine=NAME,
    results=("#urls article.result",),
    link=(".//h3/a[@href]", ".//a[contains(@class,'url_wrapper')][@href]"),
    title=(".//h3",),
    snippet=(".//p[contains(@class,'content')]",),
    exclude=("#answers, #infoboxes, #sidebar, #corrections",),
    no_results_text=("we didn't find any results",),
    no_results_selectors=("#urls div.dialog-error",),
)


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None,
               instance: str = DEFAULT_INSTANCE) -> str:
    """`<instance>/search` URL (GET) for the general category; `language` is e.g. "en-GB"."""
    country, language = region_codes(region)
    lang = f"{language}-{country.upper()}" if language and country else language
    pageno = check_page(page)
    return build_url(instance.rstrip("/") + "/search", {
        "q": query, "categories": "general", "pageno": pageno if pageno > 1 else None, "language": lang,
    })


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse a SearXNG result page."""
    return parse_html(html, SPEC, query=query, page=page, base_url=base_url or DEFAULT_INSTANCE + "/")
