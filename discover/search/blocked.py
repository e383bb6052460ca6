"""Is this page a block page rather than a result page?

Engines answer automated traffic with a captcha, an "unusual traffic" interstitial, a bot
challenge, a consent wall, a refusal ("access denied", "not available in your country") or a
rate-limit status. The runner must then back off and try another engine
(`errors.SearchBlocked`) -- never record "0 results", which would silently drop a query.

The check runs before any parser and needs no engine: `detect_block(html, url, status)` is
what the browser runner calls on every loaded page and what `parse_serp` calls first, with the
engine's own extra markers (`BlockSpec`) when there is one. A page from an engine we have no
parser for is judged the same way.

Markers come in three strengths:
  - structural: challenge forms and widgets (reCAPTCHA, hCaptcha, Turnstile, Cloudflare's
    challenge platform, DataDome, PerimeterX, Incapsula), anywhere on the page;
  - engine phrases: long, specific sentences ("our systems have detected unusual traffic");
  - generic phrases ("verify you are human", "just a moment", "access denied"): only on an
    interstitial -- a page with little visible text -- or in its title, because a real result
    page for a query about captchas quotes them in its snippets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from discover.html import load_html, select_first, visible_text

#: Reasons, in the order they are checked.
BLOCK_REASONS: tuple[str, ...] = ("rate_limit", "unusual_traffic", "captcha", "bot_challenge", "access_denied",
                                  "consent")


@dataclass(frozen=True)
class BlockSpec:
    """Block-page markers; each reason maps to phrases (lower-case, visible text), selectors
    and URL regexes. The defaults cover every engine we know; engines add their own."""

    text: tuple[tuple[str, str], ...] = ()        # (reason, phrase)
    selectors: tuple[tuple[str, str], ...] = ()   # (reason, selector)
    url: tuple[tuple[str, str], ...] = ()         # (reason, regex on the page URL)


#: Specific sentences and widgets: a block wherever they appear.
COMMON = BlockSpec(
    text=(
        ("unusual_traffic", "our systems have detected unusual traffic"),
        ("unusual_traffic", "unusual traffic from your computer network"),
        ("unusual_traffic", "ungewöhnlichen datenverkehr"),
        ("unusual_traffic", "trafic exceptionnel"),
        ("bot_challenge", "bots use duckduckgo too"),
        ("bot_challenge", "please complete the following challenge"),
        ("bot_challenge", "verify you are a human"),
        ("bot_challenge", "checking if the site connection is secure"),
        ("bot_challenge", "needs to review the security of your connection"),
        ("bot_challenge", "checking your browser before accessing"),
        ("bot_challenge", "please solve the challenge below to continue"),
        ("captcha", "please solve this captcha"),
        ("captcha", "type the characters you see"),
        ("captcha", "i'm not a robot"),
        ("captcha", "why do i have to complete a captcha"),
        ("rate_limit", "too many requests"),
        ("rate_limit", "rate limit exceeded"),
        ("consent", "before you continue to google"),
        ("consent", "bevor sie zu google weitergehen"),
        ("consent", "avant d'accéder à google"),
    ),
    selectors=(
        ("captcha", "form#captcha-form"),
        ("captcha", "div.g-recaptcha"),
        ("captcha", "div.h-captcha"),
        ("captcha", "div.cf-turnstile"),
        ("captcha", "#px-captcha"),
        ("captcha", "iframe[src*='recaptcha/api']"),
        ("captcha", "iframe[src*='hcaptcha.com']"),
        ("captcha", "iframe[src*='captcha-delivery.com']"),
        ("captcha", "script[src*='captcha-delivery.com']"),
        ("captcha", "input[name='cf_captcha_kind']"),
        ("bot_challenge", "form[action*='anomaly.js']"),
        ("bot_challenge", "div.anomaly-modal"),
        ("bot_challenge", "#challenge-form"),
        ("bot_challenge", "#challenge-stage"),
        ("bot_challenge", "#cf-challenge-running"),
        ("bot_challenge", "form[action*='__cf_chl']"),
        ("bot_challenge", "script[src*='/cdn-cgi/challenge-platform/']"),
        ("bot_challenge", "script[src*='challenges.cloudflare.com']"),
        ("bot_challenge", "iframe[src*='challenges.cloudflare.com']"),
        ("bot_challenge", "script[src*='_Incapsula_Resource']"),
        ("bot_challenge", "iframe[src*='_Incapsula_Resource']"),
        ("consent", "form[action*='consent.google']"),
        ("consent", "form[action*='consent.youtube']"),
        ("consent", "form[action*='consent.yahoo']"),
    ),
    url=(
        ("unusual_traffic", r"://(www\.|ipv4\.|ipv6\.)?google\.[a-z.]+/sorry/"),
        ("consent", r"://consent\.(google|youtube)\.[a-z.]+/"),
        ("consent", r"://consent\.yahoo\.com/"),
        ("bot_challenge", r"duckduckgo\.com/anomaly"),
        ("bot_challenge", r"/cdn-cgi/challenge-platform/|[?&]__cf_chl_"),
        ("captcha", r"/captcha[/?]|showcaptcha|captcha-delivery\.com"),
    ),
)

#: Wording of challenge, captcha and refusal pages of any engine or CDN. Only read on an
#: interstitial (little visible text) or in the page title.
GENERIC = BlockSpec(
    text=(
        ("bot_challenge", "just a moment..."),
        ("bot_challenge", "verifying you are human"),
        ("bot_challenge", "verify you are human"),
        ("bot_challenge", "verifying your request"),
        ("bot_challenge", "verifying your browser"),
        ("bot_challenge", "checking your browser"),
        ("bot_challenge", "one more step"),
        ("bot_challenge", "one last step"),
        ("bot_challenge", "solve the challenge"),
        ("bot_challenge", "complete the security check"),
        ("bot_challenge", "please enable javascript and cookies"),
        ("bot_challenge", "enable javascript and cookies to continue"),
        ("bot_challenge", "please turn javascript on and reload the page"),
        ("bot_challenge", "ddos protection by"),
        ("bot_challenge", "attention required"),
        ("bot_challenge", "press & hold"),
        ("bot_challenge", "pardon our interruption"),
        ("captcha", "are you a robot"),
        ("captcha", "not a robot"),
        ("captcha", "complete the captcha"),
        ("captcha", "enter the characters"),
        ("unusual_traffic", "unusual traffic"),
        ("unusual_traffic", "automated queries"),
        ("unusual_traffic", "automated requests"),
        ("access_denied", "access denied"),
        ("access_denied", "access to this page has been denied"),
        ("access_denied", "you have been blocked"),
        ("access_denied", "your request has been blocked"),
        ("access_denied", "request blocked"),
        ("access_denied", "not available in your country"),
        ("access_denied", "not yet available in your country"),
        ("access_denied", "not available in your region"),
        ("rate_limit", "rate limited"),
    ),
)


def _matches_url(url: str, spec: BlockSpec) -> str | None:
    for reason, pattern in spec.url:
        if url and re.search(pattern, url, re.I):
            return reason
    return None


#: A page with more visible text than this that shows a consent dialog is a real page under an
#: overlay (Google's EU SERPs embed "Before you continue to Google"), not a consent wall: the
#: runner clicks CONSENT_SELECTORS on every page anyway.
CONSENT_WALL_MAX_TEXT = 5000

#: Challenge and refusal pages carry a few sentences: every one in the saved corpora has under
#: 1,300 characters of visible text. Result pages that short exist (fragments, no-results pages),
#: so this only limits where the generic wording is read; full result pages have 2,400+.
INTERSTITIAL_MAX_TEXT = 2000


def _title(doc: etree._Element) -> str:
    found = doc.xpath("//title")
    return " ".join("".join(found[0].itertext()).split()).lower() if found else ""


def _first(found: dict[str, str]) -> str | None:
    return next((r for r in BLOCK_REASONS if r in found), None)


def _matches_doc(doc: etree._Element, text: str, spec: BlockSpec) -> str | None:
    found: dict[str, str] = {}
    for reason, phrase in spec.text:
        if phrase in text and (reason != "consent" or len(text) <= CONSENT_WALL_MAX_TEXT):
            found.setdefault(reason, phrase)
    for reason, selector in spec.selectors:
        if select_first(doc, (selector,)) is not None:
            found.setdefault(reason, selector)
    return _first(found)


def _without_query(text: str, query: str) -> str:
    """`text` with the query removed: a no-results page for "access denied" repeats it."""
    if not query:
        return text
    pieces = {query.lower(), query.lower().replace('"', "")} | {p.lower() for p in re.findall(r'"([^"]+)"', query)}
    for piece in sorted(pieces, key=len, reverse=True):
        if piece.strip():
            text = text.replace(piece, " ")
    return text


def _matches_generic(doc: etree._Element, text: str, query: str = "") -> str | None:
    title = _title(doc)
    where = _without_query(text if len(text) <= INTERSTITIAL_MAX_TEXT else title, query)
    if not where.strip():
        return None
    found: dict[str, str] = {}
    for reason, phrase in GENERIC.text:
        if phrase in where:
            found.setdefault(reason, phrase)
    return _first(found)


def detect_block_in_doc(doc: etree._Element, text: str, url: str, status: int | None,
                        spec: BlockSpec | None = None, query: str = "") -> str | None:
    """Block reason for a parsed page (`text`: lower-cased visible text), or None. `query`, when
    known, is not read as the page's own wording."""
    if status == 429:
        return "rate_limit"
    for candidate in (spec, COMMON):
        if candidate is None:
            continue
        reason = _matches_url(url, candidate) or _matches_doc(doc, text, candidate)
        if reason:
            return reason
    reason = _matches_generic(doc, text, query)
    if reason:
        return reason
    if status in (403, 503) and len(text) < 2000:
        return "bot_challenge"
    return None


def detect_block(html: str | bytes, url: str = "", status: int | None = None,
                 spec: BlockSpec | None = None, query: str = "") -> str | None:
    """Why this loaded page is a block page ("captcha", "consent", "rate_limit",
    "unusual_traffic", "bot_challenge", "access_denied"), or None when it looks like a normal
    page. Needs no engine; `spec` adds an engine's own markers."""
    if status == 429:
        return "rate_limit"
    doc = load_html(html)
    return detect_block_in_doc(doc, visible_text(doc).lower(), url, status, spec, query)
