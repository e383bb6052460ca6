"""DuckDuckGo: the no-JS endpoint html.duckduckgo.com/html (what the runner uses), plus the
rendered duckduckgo.com JS layout and the 2015 HTML mode, which share the result markup.

    html endpoint / JS DOM   div.result … a.result__a, a.result__snippet / div.result__snippet
    2015 HTML mode           div.web-result … a.large, div.snippet
    lite (lite.duckduckgo)   see duckduckgo_lite.py

Ads (`results--ads`, `result--ad`, `y.js` links) and the zero-click box are excluded. Links on
the html endpoint are `//duckduckgo.com/l/?uddg=` wrappers (unwrapped); the JS DOM has direct
links. The 2015 JS shells loaded results from /d.js and hold none: they parse as empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from discover.search.blocked import BlockSpec
from discover.search.engines._common import build_url, check_page, region_codes
from discover.search.serp import ParsedSerp, SerpSpec, load_html, parse_doc

NAME = "duckduckgo"

#: DuckDuckGo's syntax help lists "…", -term, site:, intitle:, inurl: and filetype:.
#: Observed behaviour: inurl: is honoured loosely on the html endpoint; OR is not an operator.
SUPPORTED_OPERATORS: frozenset[str] = frozenset({"phrase", "exclude", "site", "intitle", "inurl", "filetype"})

#: The html endpoint shows no consent dialog; these cover the JS site's privacy banners.
CONSENT_SELECTORS: tuple[str, ...] = (
    "button:has-text('Got It')",
    "button:has-text('Verstanden')",
)

#: Approximate results per page on the html endpoint. The exact offset of the next page varies
#: (page 1 may hold 28 results, then s=28): prefer `ParsedSerp.next_page_url`, which is built
#: from the page's own "Next" form; `search_url(page>1)` is the fallback.
PAGE_SIZE = 30

#: Fields of the "Next" form that make up the GET URL of the next page.
_NEXT_FIELDS = ("q", "s", "dc", "kl", "df")

_RESULT = "contains(concat(' ',normalize-space(@class),' '),' result ')"
_WEB = "contains(concat(' ',normalize-space(@class),' '),' web-result ')"

SPEC = SerpSpec(
    engine=NAME,
    results=("a.result__a", "div.web-result a.large"),
    link=(".",),
    title=(".",),
    snippet=(
        f"ancestor::div[{_RESULT} or {_WEB}][1]//*[contains(@class,'result__snippet')]",
        f"ancestor::div[{_WEB}][1]//div[contains(@class,'snippet')]",
    ),
    date=(f"ancestor::div[{_RESULT} or {_WEB}][1]//span[contains(@class,'result__date')]",
          f"ancestor::div[{_RESULT} or {_WEB}][1]//span[contains(@class,'result__timestamp')]"),
    exclude=(
        ".results--ads, #ads, .result--ad, .badge--ad, .zero-click-result, .zci-wrapper, .module--carousel",
        ".results--sidebar, .footer",
    ),
    drop_url=(
        r"^https?://([a-z]+\.)?duckduckgo\.com/(y\.js|l/|\?|html|lite|d\.js|anomaly)",
        r"^https?://([a-z]+\.)?duckduckgo\.com/?$",
    ),
    block=BlockSpec(
        text=(("bot_challenge", "bots use duckduckgo too"),
              ("bot_challenge", "select all squares containing a duck")),
        selectors=(("bot_challenge", "form[action*='anomaly']"), ("bot_challenge", ".anomaly-modal__title")),
    ),
    no_results_text=("no results found for", "no results.", "keine ergebnisse gefunden für"),
    no_results_selectors=("div.no-results", ".result--no-result"),
    next_page=("//a[contains(@class,'result--more__btn')][@href]", "//a[@rel='next'][@href]"),
)


def kl_code(region: Mapping[str, str] | None) -> str:
    """DuckDuckGo's `kl` region code: country then language ("uk-en", "us-en", "de-de");
    "wt-wt" (no region) when unset. DDG writes the United Kingdom as "uk"."""
    country, language = region_codes(region)
    if not country:
        return "wt-wt"
    country = "uk" if country == "gb" else country
    return f"{country}-{language or 'en'}"


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str:
    """html.duckduckgo.com URL; later pages are addressed by the result offset `s`."""
    offset = (check_page(page) - 1) * PAGE_SIZE
    return build_url("https://html.duckduckgo.com/html/", {
        "q": query, "kl": kl_code(region), "s": offset or None, "dc": (offset + 1) if offset else None,
    })


def _next_from_form(doc: etree._Element) -> str | None:
    """The html endpoint pages with a POST form ("Next"); the same fields work as a GET URL."""
    best: dict[str, str] = {}
    for form in doc.xpath("//div[contains(@class,'nav-link')]//form"):
        fields = {i.get("name"): i.get("value", "") for i in form.xpath(".//input[@name]")}
        if fields.get("s", "").isdigit() and int(fields["s"]) > int(best.get("s", "-1") or -1):
            best = fields
    if not best:
        return None
    return build_url("https://html.duckduckgo.com/html/", {k: best.get(k) for k in _NEXT_FIELDS})


def _is_js_shell(doc: etree._Element) -> bool:
    """The 2015-era duckduckgo.com page: results arrive later from /d.js, none are in the HTML."""
    return any("d.js?" in (script.text or "") for script in doc.iter("script"))


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse any DuckDuckGo result page (html endpoint, rendered JS DOM, 2015 HTML mode)."""
    doc = load_html(html)
    parsed = parse_doc(doc, SPEC, query=query, page=page,
                       base_url=base_url or "https://html.duckduckgo.com/html/")
    if parsed.kind == "blocked":
        return parsed
    if parsed.results and parsed.next_page_url is None:
        parsed.next_page_url = _next_from_form(doc)
    if not parsed.results and parsed.kind == "results" and _is_js_shell(doc):
        parsed.reason = "JavaScript shell: results load from /d.js, the HTML holds none (render it)"
    return parsed
