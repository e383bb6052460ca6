"""Google web search (desktop JS layouts 2015–2025 and the basic-HTML/no-JS layout).

Organic results are the links that carry an `<h3>` title (`a > h3` since ~2019, `h3.r > a` in
2015); the modules that also use h3 titles (ads, people-also-ask, image/video/news groups,
sitelinks, the knowledge panel) are excluded by container. Pinned by 17 saved pages in
shared/realdata (see tests/test_serp_realdata.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from discover.search.blocked import BlockSpec
from discover.search.engines._common import build_url, check_page, region_codes
from discover.search.serp import ParsedSerp, SerpSpec, parse_html

NAME = "google"

#: Google documents all of these (site:, intitle:, inurl:, filetype:, "…", -term, OR).
SUPPORTED_OPERATORS: frozenset[str] = frozenset(
    {"phrase", "intitle", "inurl", "site", "exclude", "or", "filetype"}
)

#: Playwright selectors for the consent dialog ("Accept all" in several UI languages).
CONSENT_SELECTORS: tuple[str, ...] = (
    "button#L2AGLb",
    "form[action*='consent.google'] button[aria-label='Accept all']",
    "button:has-text('Accept all')",
    "button:has-text('Alle akzeptieren')",
    "button:has-text('Tout accepter')",
    "button:has-text('Aceptar todo')",
    "button:has-text('Accetta tutto')",
    "button:has-text('Alles accepteren')",
)

_G = "contains(concat(' ',normalize-space(@class),' '),' g ') or contains(@class,'tF2Cxc') or @data-hveid"

SPEC = SerpSpec(
    engine=NAME,
    results=(
        "//a[@href][.//h3]",            # 2019+ desktop and basic HTML: <a><h3>title</h3>…</a>
        "//h3/a[@href]",                # 2015 desktop: <h3 class="r"><a>title</a></h3>
    ),
    link=(".",),
    title=(".//h3", "parent::h3", "."),
    snippet=(
        f"ancestor::*[{_G}][1]//*[contains(@class,'VwiC3b')]",
        f"ancestor::*[{_G}][1]//span[@class='st']",
        f"ancestor::*[{_G}][1]//div[contains(@class,'IsZvec')]",
        "ancestor::div[contains(@class,'xpd')][1]//div[contains(@class,'s3v9rd')]",
    ),
    exclude=(
        # ads
        "#tads, #tadsb, #bottomads, #tvcap, .ads-ad, .commercial-unit-desktop-top, [data-text-ad]",
        # people also ask, knowledge panel, related searches
        ".related-question-pair, .kno-ahide, [data-initq], #rhs, #brs, #bres",
        # image / video / news groups, top stories, carousels
        "g-section-with-header, g-scrolling-carousel, #imagebox_bigimages, video-voyager",
        # sitelinks (modern list, 2015 table, ad sitelinks)
        "ul.FxLDp, table.nrgt, .osl, .St0YAf, tr.mslg, .usJj9c",
    ),
    drop_url=(
        r"^https?://(www\.)?google\.[a-z.]+/(search|aclk|url|imgres|sorry|setprefs|preferences|advanced_search)\b",
        r"^https?://[^/]*googleadservices\.com/",
        r"^https?://webcache\.googleusercontent\.com/",
        r"^https?://translate\.google\.[a-z.]+/translate",
        r"^https?://(www\.|maps\.)?google\.[a-z.]+/maps/(place|dir|search)/",
    ),
    block=BlockSpec(url=(("unusual_traffic", r"/sorry/index"),)),
    no_results_text=(
        "did not match any documents",
        "no results found for",
        "keine ergebnisse für",
        "es wurden keine mit deiner suchanfrage",
        "es wurden keine mit ihrer suchanfrage",
        "aucun document ne correspond",
        "no se han encontrado resultados",
        "nessun risultato trovato per",
        "geen resultaten gevonden voor",
    ),
    next_page=("//a[@id='pnnext']", "//a[@aria-label='Next page']", "//footer//a[contains(., 'Next')]"),
)


def search_url(query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str:
    """Google web search URL; `gl` is the result country, `hl` the interface language."""
    country, language = region_codes(region)
    start = (check_page(page) - 1) * 10
    return build_url("https://www.google.com/search", {
        "q": query, "start": start or None, "gl": country, "hl": language, "pws": 0,
    })


def parse(html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> ParsedSerp:
    """Parse a Google result page (relative wrapper links resolve against google.com)."""
    return parse_html(html, SPEC, query=query, page=page, base_url=base_url or "https://www.google.com/")
