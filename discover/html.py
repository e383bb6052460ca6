"""HTML helpers shared by every stage that reads markup (pages, search result pages, block pages).

    decode_html(bytes, content_type) -> (text, encoding)   BOM, header, <meta>, UTF-8, sniffing
    load_html(html)                  -> lxml root           lenient, capped, never raises
    visible_text(element)            -> str                 text a reader sees, whitespace collapsed
    text_of(element)                 -> str                 an element's text (scripts/styles skipped)
    compile_selector / select / select_first                CSS (via cssselect) or XPath selectors

The pages are untrusted: parsing is lenient, input is capped, comments and processing
instructions are dropped, and nothing here fetches or executes anything.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterable, Sequence

import lxml.html
from lxml import etree

#: HTML beyond this many characters is not parsed (the fetcher caps bytes already; this caps work).
MAX_HTML_CHARS = 3_000_000

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_SKIP_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})
_WS = re.compile(r"\s+")


# ── charset decoding ─────────────────────────────────────────────────────────────────────

def normalise_charset(name: str) -> str | None:
    """A Python codec for a declared charset, with the WHATWG aliases browsers use; None if unknown."""
    name = name.strip().strip("'\"").lower()
    if not name:
        return None
    # Browsers decode these labels as windows-1252 (WHATWG Encoding), and so do pages' authors.
    if name in ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii", "l1", "cp819"):
        return "cp1252"
    if name in ("x-sjis", "shift-jis"):
        return "shift_jis"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_header(content_type: str) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type or "", re.IGNORECASE)
    return normalise_charset(m.group(1)) if m else None


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """(text, encoding used): BOM, HTTP header, <meta> charset, then sniffing; never raises."""
    for bom, bom_enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                         (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(bom_enc, errors="replace"), bom_enc
    enc = charset_from_header(content_type)
    if enc is None:
        m = _META_CHARSET.search(body[:8192])
        if m:
            enc = normalise_charset(m.group(1).decode("ascii", "ignore"))
    if enc is None:
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        enc = normalise_charset(best.encoding) if best is not None else None
        enc = enc or "cp1252"
    if enc in ("utf-16", "utf-32"):  # a meta tag cannot truthfully declare these in ASCII bytes
        enc = "utf-8"
    return body.decode(enc, errors="replace"), enc


# ── parsing ──────────────────────────────────────────────────────────────────────────────

def load_html(html: str | bytes) -> etree._Element:
    """The page as an lxml tree rooted at <html>, whatever the input (empty, a fragment, broken,
    bytes in any charset); cut at MAX_HTML_CHARS."""
    text = decode_html(html)[0] if isinstance(html, bytes) else html
    # lxml refuses str input with an XML encoding declaration; drop it.
    text = _XML_DECLARATION.sub("", text[:MAX_HTML_CHARS])
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, recover=True, huge_tree=False)
    try:
        return lxml.html.document_fromstring(text if text.strip() else "<html></html>", parser=parser)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")


# ── text ─────────────────────────────────────────────────────────────────────────────────

def collapse(text: str) -> str:
    """Whitespace runs (including newlines from pretty-printed pages) to single spaces."""
    return " ".join(text.split())


def _iter_text(el: etree._Element) -> Iterable[str]:
    if not isinstance(el.tag, str) or el.tag in _SKIP_TEXT_TAGS:
        return
    if el.text:
        yield el.text
    for child in el:
        yield from _iter_text(child)
        if child.tail:
            yield child.tail


def visible_text(el: etree._Element) -> str:
    """What a reader sees of `el`: no scripts, styles, templates, SVG or <head>; whitespace collapsed."""
    return _WS.sub(" ", " ".join(_iter_text(el))).strip()


def text_of(el: etree._Element) -> str:
    """Collapsed text content of an element, skipping scripts and styles inside it."""
    return collapse("".join(el.xpath(".//text()[not(ancestor::script or ancestor::style)]")))


# ── selectors ────────────────────────────────────────────────────────────────────────────

def _is_xpath(selector: str) -> bool:
    """XPath: ".", paths ("/", "./", ".//", "("), or anything with an axis ("parent::h3")."""
    return selector in (".", "..") or selector.startswith(("/", "./", "(", "../")) or "::" in selector


@functools.lru_cache(maxsize=1024)
def compile_selector(selector: str) -> etree.XPath:
    """A compiled XPath for a CSS selector (matching descendants of the node it is applied to)
    or an XPath selector; cached because specs are reused on every page. ValueError if invalid."""
    from cssselect import HTMLTranslator, SelectorError

    try:
        if _is_xpath(selector):
            return etree.XPath(selector)
        return etree.XPath(HTMLTranslator().css_to_xpath(selector, prefix="descendant::"))
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise ValueError(f"invalid selector {selector!r}: {exc}") from None


def select(node: etree._Element, selectors: Sequence[str]) -> list[etree._Element]:
    """All nodes matched by any selector, in document order, without duplicates."""
    seen: set[etree._Element] = set()
    found: list[etree._Element] = []
    for sel in selectors:
        for hit in compile_selector(sel)(node):
            if isinstance(hit, etree._Element) and hit not in seen:
                seen.add(hit)
                found.append(hit)
    if len(selectors) > 1:
        order = {el: i for i, el in enumerate(node.getroottree().iter())}
        found.sort(key=lambda el: order.get(el, 0))
    return found


def select_first(node: etree._Element, selectors: Sequence[str]) -> etree._Element | None:
    """The first match of the first selector that matches anything (a priority list)."""
    for sel in selectors:
        for hit in compile_selector(sel)(node):
            if isinstance(hit, etree._Element):
                return hit
    return None
