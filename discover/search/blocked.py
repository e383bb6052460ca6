"""Is this page a block page rather than a result page?

Engines answer automated traffic with a captcha, an "unusual traffic" interstitial, a bot
challenge, a consent wall or a rate-limit status. The runner must then back off and try another
engine (`errors.SearchBlocked`) -- never record "0 results", which would silently drop a query.

`detect_block(html, url, status)` is what the browser runner calls on every loaded page;
`parse_serp` calls the same checks with the engine's own markers (`BlockSpec`). Markers are
specific phrases, selectors and URL patterns; generic words such as "captcha" are not used alone
because normal result pages mention them in scripts and results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from discover.html import load_html, select_first, visible_text

#: Reasons, in the order they are checked.
BLOCK_REASONS: tuple[str, ...] = ("rate_limit", "unusual_traffic", "captcha", "bot_challenge", "consent")


@dataclass(frozen=True)
class BlockSpec:
    """Block-page markers; each reason maps to phrases (lower-case, visible text), selectors
    and URL regexes. The defaults cover every engine we know; engines add their own."""

    text: tuple[tuple[str, str], ...] = ()        # (reason, phrase)
    selectors: tuple[tuple[str, str], ...] = ()   # (reason, selector)
    url: tuple[tuple[str, str], ...] = ()         # (reason, regex on the page URL)


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
        ("captcha", "please solve this captcha"),
        ("captcha", "type the characters you see"),
        ("captcha", "i'm not a robot"),
        ("rate_limit", "too many requests"),
        ("rate_limit", "rate limit exceeded"),
        ("consent", "before you continue to google"),
        ("consent", "bevor sie zu google weitergehen"),
        ("consent", "avant d'accéder à google"),
    ),
    selectors=(
        ("captcha", "form#captcha-form"),
        ("captcha", "div.g-recaptcha"),
        ("captcha", "iframe[src*='recaptcha/api']"),
        ("captcha", "iframe[src*='hcaptcha.com']"),
        ("bot_challenge", "form[action*='anomaly.js']"),
        ("bot_challenge", "div.anomaly-modal"),
        ("bot_challenge", "#challenge-form"),
        ("bot_challenge", "#cf-challenge-running"),
        ("consent", "form[action*='consent.google']"),
        ("consent", "form[action*='consent.youtube']"),
        ("consent", "form[action*='consent.yahoo']"),
    ),
    url=(
        ("unusual_traffic", r"://(www\.|ipv4\.|ipv6\.)?google\.[a-z.]+/sorry/"),
        ("consent", r"://consent\.(google|youtube)\.[a-z.]+/"),
        ("consent", r"://consent\.yahoo\.com/"),
        ("bot_challenge", r"duckduckgo\.com/anomaly"),
        ("captcha", r"/captcha[/?]|showcaptcha"),
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


def _matches_doc(doc: etree._Element, text: str, spec: BlockSpec) -> str | None:
    found: dict[str, str] = {}
    for reason, phrase in spec.text:
        if phrase in text and (reason != "consent" or len(text) <= CONSENT_WALL_MAX_TEXT):
            found.setdefault(reason, phrase)
    for reason, selector in spec.selectors:
        if select_first(doc, (selector,)) is not None:
            found.setdefault(reason, selector)
    return next((r for r in BLOCK_REASONS if r in found), None)


def detect_block_in_doc(doc: etree._Element, text: str, url: str, status: int | None,
                        spec: BlockSpec | None = None) -> str | None:
    """Block reason for a parsed page (`text`: lower-cased visible text), or None."""
    if status == 429:
        return "rate_limit"
    for candidate in (spec, COMMON):
        if candidate is None:
            continue
        reason = _matches_url(url, candidate) or _matches_doc(doc, text, candidate)
        if reason:
            return reason
    if status in (403, 503) and len(text) < 2000:
        return "bot_challenge"
    return None


def detect_block(html: str | bytes, url: str = "", status: int | None = None) -> str | None:
    """Why this loaded page is a block page ("captcha", "consent", "rate_limit",
    "unusual_traffic", "bot_challenge"), or None when it looks like a normal page."""
    if status == 429:
        return "rate_limit"
    doc = load_html(html)
    return detect_block_in_doc(doc, visible_text(doc).lower(), url, status)
