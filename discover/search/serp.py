"""Engine-independent parsing of search-engine result pages (SERPs).

Each engine module declares a `SerpSpec` -- selectors and marker phrases as *data* -- and
`parse_serp` applies it. Keeping the engine knowledge in data means a saved real result page
pins every selector in a test (tests/test_serp_realdata.py), and a layout change is a one-line
edit rather than new code.

    html ──► detect_block (any engine, before parsing) ──► blocked? → ParsedSerp(kind="blocked")
         └─► organic results (containers − excluded modules − ads − internal links)
               └─ snippets cleaned: "Read more" links dropped, a leading date moved to `date`
         └─► no-results markers                   → "no_results" (fallback=True if results remain)

Selectors are CSS (cssselect, matching below the node they are applied to) or XPath (".", or
starting with "/", "./", "(", or containing an axis such as "parent::"); see discover/html.py.
A selector list is a tuple of such strings; for per-result fields the first one that matches wins.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from lxml import etree

from discover.html import collapse, load_html, select, select_first, text_of, visible_text
from discover.records import SerpResult
from discover.search.blocked import BlockSpec, detect_block_in_doc

SerpKind = Literal["results", "no_results", "blocked"]


@dataclass(frozen=True)
class SerpSpec:
    """Everything an engine's result page needs to be parsed, as data.

    `results` select one node per organic result (the container, or the title link itself
    when `link` is `(".",)`). `exclude` lists modules whose content is never organic (ads,
    local packs, people-also-ask, top stories, knowledge panels, video/image blocks, related
    searches, sitelinks); a candidate inside any of them is dropped.
    """

    engine: str
    results: tuple[str, ...]
    link: tuple[str, ...] = (".//a[@href]",)
    title: tuple[str, ...] = ()                 # empty: the link's own text
    snippet: tuple[str, ...] = ()
    date: tuple[str, ...] = ()                  # an element holding the result's date, outside the snippet
    exclude: tuple[str, ...] = ()               # modules and ads: never organic
    drop_url: tuple[str, ...] = ()              # regexes on the unwrapped URL: engine-internal links
    block: BlockSpec = field(default_factory=BlockSpec)
    no_results_text: tuple[str, ...] = ()       # lower-case phrases in the visible text
    no_results_selectors: tuple[str, ...] = ()
    rewrite_selectors: tuple[str, ...] = ()     # "showing results for <relaxed query>" banners
    next_page: tuple[str, ...] = ()


@dataclass
class ParsedSerp:
    """What one result page says.

    `fallback` is True when the engine found nothing for the exact query but shows results
    for a relaxed one (quotes dropped, query rewritten): `kind` is then "no_results" and
    `results` holds those relaxed results, so a footprint search can flag the miss.
    """

    kind: SerpKind
    results: list[SerpResult] = field(default_factory=list)
    reason: str = ""
    fallback: bool = False
    next_page_url: str | None = None


# ── snippets ─────────────────────────────────────────────────────────────────────────────

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = (r"(?:\d{1,2}|an?|one)\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago"
         r"|yesterday|today"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
         rf"|\d{{1,2}}\.?\s+{_MONTH}\s+\d{{4}}"
         rf"|{_MONTH}\s+\d{{4}}"
         r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}")
_FULL_DATE = (rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\.?\s+{_MONTH}\s+\d{{4}}"
              r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}")
#: Engines put the page's date before the snippet: "4 days ago - ", "Jun 3, 2024 — ", "24/1/2013 · ";
#: a full date may also stand before the text with only a space ("Nov 5, 2012 McFly star ...").
_LEADING_DATE = re.compile(rf"^\s*(?:(?P<date>{_DATE})\s*(?:[·•—–|-]|\.\.\.|…)\s*"
                           rf"|(?P<full>{_FULL_DATE})\s+(?=[A-Z\u00c0-\u00de\"'“‘(]))", re.I)
_SEPARATORS = re.compile(r"^[\s·•—–|-]+")
#: "… Read more" links that engines append to truncated snippets.
_READ_MORE = re.compile(r"\s*(?:read|see|show) more\s*[»›>]?\s*$", re.I)


def clean_snippet(text: str, date: str = "") -> tuple[str, str]:
    """(snippet, date): whitespace collapsed, a trailing "Read more" dropped, and a leading
    date ("4 days ago - ", "Jun 3, 2024 — ") moved out of the snippet into the date. `date` is
    one the engine marked up on its own (its separator is then dropped from the text)."""
    text = _READ_MORE.sub("", collapse(text))
    if date:
        return _SEPARATORS.sub("", text), date
    m = _LEADING_DATE.match(text)
    if m and len(text) > m.end():
        return text[m.end():].strip(), m.group("date") or m.group("full")
    return text, ""


def _snippet_text(el: etree._Element, without: etree._Element | None = None) -> str:
    """The snippet element's text without the "Read more" links inside it (and without
    `without`, the date element when it sits inside the snippet)."""
    skip = {id(a) for a in el.xpath(".//a") if _READ_MORE.fullmatch(" " + text_of(a))}
    if without is not None:
        skip.add(id(without))
    parts = []
    for t in el.xpath(".//text()[not(ancestor::script or ancestor::style)]"):
        owner = t.getparent()
        if t.is_tail:   # a tail belongs to the element around the one it follows
            owner = owner.getparent()
        inside = False
        while skip and owner is not None and owner is not el:
            if id(owner) in skip:
                inside = True
                break
            owner = owner.getparent()
        if not inside:
            parts.append(t)
    return collapse("".join(parts))


# ── URLs ─────────────────────────────────────────────────────────────────────────────────

def _b64url(data: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _query_value(query: str, *names: str) -> str | None:
    params = parse_qs(query, keep_blank_values=False)
    for name in names:
        if params.get(name):
            return params[name][0]
    return None


def unwrap_url(href: str, base_url: str = "") -> str:
    """The destination behind an engine's click-tracking wrapper, resolved to an absolute URL.

    Handles Google `/url?q=` and `/url?url=`, DuckDuckGo `//duckduckgo.com/l/?uddg=`, Bing
    `/ck/a?...&u=a1<base64url>`, Yahoo `.../RU=<encoded>/RK=...`; anything else is returned
    resolved against `base_url`. Unknown wrappers are returned as they are (then filtered as
    engine-internal by the spec's `drop_url`).
    """
    href = (href or "").strip()
    if not href:
        return ""
    absolute = urljoin(base_url or "https://localhost/", href) if not href.startswith("//") else "https:" + href
    parts = urlsplit(absolute)
    host, path = parts.netloc.lower(), parts.path
    if path == "/url" and (target := _query_value(parts.query, "q", "url")):
        if target.startswith(("http://", "https://")):
            return target
    if path.startswith("/l/") and "duckduckgo" in host and (target := _query_value(parts.query, "uddg")):
        return target
    if path == "/ck/a" and "bing." in host and (u := _query_value(parts.query, "u")):
        decoded = _b64url(u[2:]) if u.startswith("a1") else None
        if decoded and decoded.startswith(("http://", "https://")):
            return decoded
    if "/RU=" in absolute and "yahoo." in host:
        m = re.search(r"/RU=([^/]+)/R[KS]=", absolute)
        if m:
            return unquote(m.group(1))
    if href.startswith(("http://", "https://")) or base_url or href.startswith("//"):
        return absolute
    return href


# ── parsing ──────────────────────────────────────────────────────────────────────────────

def _excluded_nodes(doc: etree._Element, spec: SerpSpec) -> set[etree._Element]:
    return set(select(doc, spec.exclude)) if spec.exclude else set()


def _inside(el: etree._Element, nodes: set[etree._Element]) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node in nodes:
            return True
        node = node.getparent()
    return False


def _dropped(url: str, spec: SerpSpec) -> bool:
    if not url.startswith(("http://", "https://")):
        return True
    return any(re.search(p, url) for p in spec.drop_url)


def _one_result(node: etree._Element, spec: SerpSpec, base_url: str) -> tuple[str, str, str, str] | None:
    link = select_first(node, spec.link)
    if link is None:
        return None
    url = unwrap_url(link.get("href", ""), base_url)
    title_el = select_first(node, spec.title) if spec.title else None
    title = text_of(title_el if title_el is not None else link)
    snippet_el = select_first(node, spec.snippet) if spec.snippet else None
    date_el = select_first(node, spec.date) if spec.date else None
    marked = text_of(date_el) if date_el is not None else ""
    if snippet_el is None:
        return url, title, "", marked
    snippet, date = clean_snippet(_snippet_text(snippet_el, date_el), marked)
    return url, title, snippet, date


def extract_results(doc: etree._Element, spec: SerpSpec, *, query: str = "", page: int = 1,
                    base_url: str = "") -> list[SerpResult]:
    """Organic results in page order: containers minus excluded modules, wrappers unwrapped,
    engine-internal links and repeats dropped, ranks from 1."""
    excluded = _excluded_nodes(doc, spec)
    results: list[SerpResult] = []
    seen: set[str] = set()
    for node in select(doc, spec.results):
        if _inside(node, excluded):
            continue
        found = _one_result(node, spec, base_url)
        if found is None:
            continue
        url, title, snippet, date = found
        if _dropped(url, spec) or url in seen or not title:
            continue
        seen.add(url)
        results.append(SerpResult(url=url, title=title, snippet=snippet, rank=len(results) + 1,
                                  engine=spec.engine, query=query, page=page, date=date))
    return results


def _no_results_reason(doc: etree._Element, text: str, spec: SerpSpec) -> str:
    for phrase in spec.no_results_text:
        if phrase in text:
            return f"engine says no results: {phrase!r}"
    if spec.no_results_selectors and select_first(doc, spec.no_results_selectors) is not None:
        return "engine shows its no-results block"
    return ""


def _next_page(doc: etree._Element, spec: SerpSpec, base_url: str) -> str | None:
    el = select_first(doc, spec.next_page) if spec.next_page else None
    if el is None or not el.get("href"):
        return None
    url = urljoin(base_url, el.get("href")) if base_url else el.get("href", "")
    return url if url.startswith(("http://", "https://")) else None


def parse_doc(doc: etree._Element, spec: SerpSpec, *, query: str = "", page: int = 1,
              base_url: str = "") -> ParsedSerp:
    """`parse_serp` on an already-parsed document (lets callers and benchmarks reuse a tree)."""
    text = visible_text(doc).lower()
    # Challenges and captchas are recognised before any result is looked for: a block page is
    # never "0 results".
    block = detect_block_in_doc(doc, text, base_url, None, spec.block, query)
    if block and block != "consent":
        return ParsedSerp(kind="blocked", reason=block)
    results = extract_results(doc, spec, query=query, page=page, base_url=base_url)
    reason = _no_results_reason(doc, text, spec)
    # A consent dialog over a real page (results or a no-results message) is not a wall:
    # the runner clicks it away.
    if block and not (results or reason):
        return ParsedSerp(kind="blocked", reason=block)
    next_url = _next_page(doc, spec, base_url)
    if not reason and results and spec.rewrite_selectors:
        banner = select_first(doc, spec.rewrite_selectors)
        if banner is not None:
            reason = f"engine rewrote the query: {text_of(banner)[:120]!r}"
    if reason:
        return ParsedSerp(kind="no_results", results=results, reason=reason,
                          fallback=bool(results), next_page_url=next_url if results else None)
    return ParsedSerp(kind="results", results=results, next_page_url=next_url,
                      reason="" if results else "no organic results found on the page")


def parse_html(html: str | bytes, spec: SerpSpec, *, query: str = "", page: int = 1,
               base_url: str = "") -> ParsedSerp:
    """Parse one result page with an explicit spec (what each engine's `parse` calls)."""
    return parse_doc(load_html(html), spec, query=query, page=page, base_url=base_url)


def parse_serp(html: str | bytes, engine: str, *, query: str = "", page: int = 1,
               base_url: str = "") -> ParsedSerp:
    """Parse one result page of `engine` (a registry name or alias such as "ddg")."""
    from discover.search.engines import get_engine

    return get_engine(engine).parse(html, query=query, page=page, base_url=base_url)


#: Order of the guess: engines whose result markup is most specific first. Markup alone is not
#: enough (Startpage's results are `a.result-link`, as on DuckDuckGo Lite): the page must also
#: name the engine's own host or software.
_GUESS_ORDER: tuple[tuple[str, str], ...] = (
    ("local", r"search\.discover\.test"),
    ("searxng", r"searx"),
    ("brave", r"search\.brave\.com|brave\.com/"),
    ("bing", r"bing\.com|bing\.net"),
    ("duckduckgo", r"duckduckgo\.com"),
    ("duckduckgo-lite", r"duckduckgo\.com"),
    ("yahoo", r"yahoo\.com|yimg\.com"),
    ("google", r"google\.[a-z.]+/|gstatic\.com"),
)


def guess_engine(html: "str | bytes | object") -> str | None:
    """The registry name of the engine whose organic-result markup this page carries and whose
    host it names, or None."""
    import re

    from lxml import etree

    from discover.search.engines import ENGINES

    doc = html if not isinstance(html, (str, bytes)) else load_html(html)
    source = etree.tostring(doc, encoding="unicode")  # type: ignore[arg-type]
    for name, host in _GUESS_ORDER:
        try:
            spec = ENGINES[name].SPEC
        except ImportError:  # an engine written elsewhere that is not installed here
            continue
        if re.search(host, source, re.I) and extract_results(doc, spec):  # type: ignore[arg-type]
            return name
    return None
