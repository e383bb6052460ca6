"""Journalist-query boards: list pages → individual request pages → JournalistQuery.

    crawl_boards(runtime, start_urls)
      list page ── links that look like request pages ──→ request pages (parsed into fields)
                └─ pagination: rel=next, "Next"/"Older"/"»", ?page=N, /page/N ──→ more list pages
      stops at max_pages fetched in total; each host's pages stay on that host

A page is a list page when it links to several request pages; otherwise it is read as a
request: labelled structures first (dl/dt/dd, two-cell table rows, elements whose class,
itemprop or data-field names a field), then "Label: value" lines in its text.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urljoin, urlsplit

from discover.haro import JournalistQuery
from discover.haro.digest import (
    FIELD_LABELS, Block, extract_fields, fields_to_query, html_to_text, is_query, split_digest,
)
from discover.records import FetchOutcome
from discover.urls import FOR_FETCH, bare_host, url_key

if TYPE_CHECKING:
    from discover.records import FetchResult
    from discover.runtime import Runtime
    from discover.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["crawl_boards", "parse_request_page", "classify_links", "BoardCrawl"]

#: Path words of request pages on query boards.
_REQUEST_WORDS = {"request", "requests", "query", "queries", "opportunity", "opportunities", "callout",
                  "callouts", "journorequest", "journorequests", "pitch", "pitches", "source-request",
                  "source-requests", "req", "r", "q", "listing", "listings", "brief", "briefs", "job", "jobs",
                  "p", "post", "posts", "item", "items"}
_CONTAINER_HINT = re.compile(r"request|query|queries|listing|opportunit|callout|brief|result|item|entry|card", re.I)
_NOT_REQUEST = re.compile(
    r"/(?:about|contact|login|log-in|signin|sign-in|signup|sign-up|register|privacy|terms|faq|pricing|"
    r"help|search|tag|tags|category|categories|author|authors|feed|rss|cart|account|subscribe|"
    r"unsubscribe|advertise|sitemap|cookies?)(?:/|$|\.|\?)", re.I)
_ASSET = re.compile(r"\.(?:css|js|png|jpe?g|gif|svg|ico|pdf|zip|xml|json|rss|webp|woff2?)$", re.I)
_NEXT_TEXT = re.compile(r"^(?:next(?:\s+page)?|older(?:\s+(?:requests|queries|posts|entries))?|more(?:\s+requests)?|"
                        r"load more|[›»→>]+|next\s*[›»→>]+|page\s+\d+|\d{1,3})$", re.I)
_PAGE_PARAM = re.compile(r"[?&](?:page|pg|paged|offset|start)=\d+", re.I)
_PAGE_PATH = re.compile(r"/page/\d+/?$", re.I)
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_REPLY_TEXT = re.compile(r"\b(respond|reply|pitch|apply|submit|answer|send (?:your )?(?:pitch|response))\b", re.I)
# Class / itemprop / data-field tokens that name a field. Curated: generic words such as
# "title", "name", "body" or "media" name other things on most pages.
_CLASS_FIELDS: dict[str, str] = {}
for _name, _labels in FIELD_LABELS.items():
    for _label in _labels:
        if " " in _label:
            for _sep in ("-", "_", ""):
                _CLASS_FIELDS[_label.replace(" ", _sep)] = _name
_CLASS_FIELDS.update({
    "summary": "summary", "query-title": "summary", "request-title": "summary", "headline": "summary",
    "category": "category", "categories": "category", "beat": "category",
    "journalist": "journalist", "reporter": "journalist", "author": "journalist", "byline": "journalist",
    "outlet": "outlet", "publication": "outlet", "publisher": "outlet", "masthead": "outlet",
    "outlet-url": "outlet_url", "outlet_url": "outlet_url", "website": "outlet_url",
    "deadline": "deadline", "query-deadline": "deadline", "request-deadline": "deadline", "duedate": "deadline",
    "requirements": "requirements", "criteria": "requirements",
    "reply-to": "reply_to", "reply_to": "reply_to", "replyto": "reply_to", "reply-link": "reply_to",
    "respond": "reply_to", "email": "reply_to",
    "description": "details", "details": "details", "query-body": "details", "request-body": "details",
    "query-details": "details", "request-details": "details", "brief": "details", "request-brief": "details",
})


def _is_pagination(a, href: str, base: str) -> bool:
    rel = (a.get("rel") or "").lower().split()
    if "next" in rel:
        return True
    if "prev" in rel or "previous" in rel:
        return False
    text = " ".join(a.text_content().split())
    aria = (a.get("aria-label") or "").strip()
    query = urlsplit(href).query
    if (query and _PAGE_PARAM.search("?" + query)) or _PAGE_PATH.search(urlsplit(href).path):
        return True
    if (_NEXT_TEXT.match(text) or _NEXT_TEXT.match(aria)) and urlsplit(href).path == urlsplit(base).path:
        return True
    cls = " ".join(filter(None, (a.get("class"), a.getparent().get("class") if a.getparent() is not None else "")))
    return bool(re.search(r"\b(?:next|pagination|pager)\b", cls, re.I)) and bool(_NEXT_TEXT.match(text) or aria)


def _looks_like_request(a, href: str, base: str) -> bool:
    parts = urlsplit(href)
    if bare_host(href) != bare_host(base) or parts.scheme not in ("http", "https"):
        return False
    path = parts.path or "/"
    if path in ("/", urlsplit(base).path) or _NOT_REQUEST.search(path) or _ASSET.search(path):
        return False
    segments = [s for s in path.split("/") if s]
    last = re.sub(r"\.html?$", "", segments[-1]) if segments else ""
    detail_slug = bool(re.search(r"\d", last)) or last.count("-") >= 2
    if any(s.lower() in _REQUEST_WORDS for s in segments[:-1]) and last:
        return True
    if detail_slug and len(segments) >= 1:
        el = a
        for _ in range(4):  # a link inside a listing item
            el = el.getparent()
            if el is None:
                break
            if _CONTAINER_HINT.search(" ".join(filter(None, (el.get("class"), el.get("id"))))):
                return True
        return len(segments) >= 2
    return False


def classify_links(html: str, base: str) -> tuple[list[str], list[str]]:
    """(request page links, pagination links) of a board page, in page order, deduplicated."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except Exception:  # noqa: BLE001 - an unparsable page simply has no links
        return [], []
    requests: list[str] = []
    pages: list[str] = []
    for link in root.iter("link"):
        if "next" in (link.get("rel") or "").lower().split() and link.get("href"):
            try:
                pages.append(url_key(urljoin(base, link.get("href")), FOR_FETCH))
            except ValueError:  # a malformed href ("http://[::1") is no link
                continue
    for a in root.iter("a"):
        raw = (a.get("href") or "").strip()
        if not raw or raw.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        try:
            href = url_key(urljoin(base, raw), FOR_FETCH)
            if href == url_key(base, FOR_FETCH):
                continue
            if bare_host(href) == bare_host(base) and _is_pagination(a, href, base):
                pages.append(href)
            elif _looks_like_request(a, href, base):
                requests.append(href)
        except ValueError:  # a malformed href ("http://[::1", a bad port) is no link
            continue
    return list(dict.fromkeys(requests)), [p for p in dict.fromkeys(pages) if p not in requests]


def _class_field(el) -> str | None:
    names = " ".join(filter(None, (el.get("class"), el.get("itemprop"), el.get("data-field"), el.get("id"))))
    for token in names.lower().split():
        if token in _CLASS_FIELDS:
            return _CLASS_FIELDS[token]
    return None


def _strip_label(text: str, name: str) -> str:
    text = " ".join(text.split()) if name not in ("details", "requirements") else text.strip()
    m = re.match(r"^\s*([A-Za-z][A-Za-z /&'-]{0,34}?)\s*:\s*", text)
    if m and m.group(1).lower().strip() in FIELD_LABELS.get(name, ()):
        return text[m.end():].strip()
    return text.strip()


def parse_request_page(html: str, url: str) -> Block:
    """The labelled fields of one request page (see module docstring for the order)."""
    import lxml.html

    root = lxml.html.document_fromstring(html)
    for bad in root.xpath("//script|//style|//noscript|//nav|//footer"):
        bad.drop_tree()
    fields: dict[str, str] = {}

    def put(name: str | None, value: str) -> None:
        if name and value.strip() and name not in fields:
            fields[name] = value.strip()

    from discover.haro.digest import _label_field  # noqa: PLC0415 - shared label table

    for dl in root.iter("dl"):
        for dt in dl.iter("dt"):
            dd = dt.getnext()
            while dd is not None and dd.tag != "dd":
                dd = dd.getnext()
            if dd is not None:
                name = _label_field(dt.text_content().strip().rstrip(":"))
                put(name, _link_aware_text(dd, name, url))
    for tr in root.iter("tr"):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("th", "td")]
        if len(cells) == 2:
            name = _label_field(cells[0].text_content().strip().rstrip(":"))
            put(name, _link_aware_text(cells[1], name, url))
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "dl", "table", "tr"):
            continue
        name = _class_field(el)
        if name:
            put(name, _strip_label(_link_aware_text(el, name, url), name))

    text = html_to_text(lxml.html.tostring(root, encoding="unicode"))
    for piece in split_digest(text):
        for name, value in extract_fields(piece).fields.items():
            put(name, value)

    h1 = root.find(".//h1")
    heading = " ".join(h1.text_content().split()) if h1 is not None else ""
    if not heading:
        t = root.find(".//title")
        heading = " ".join(t.text_content().split()) if t is not None else ""
    if "reply_to" not in fields:
        for a in root.iter("a"):
            href = (a.get("href") or "").strip()
            if href.lower().startswith("mailto:"):
                put("reply_to", href[7:].split("?")[0])
                break
        else:
            for a in root.iter("a"):
                if _REPLY_TEXT.search(a.text_content() or "") and a.get("href"):
                    put("reply_to", urljoin(url, a.get("href")))
                    break
            else:
                for form in root.iter("form"):
                    put("reply_to", urljoin(url, form.get("action") or url))
                    break
    if "details" not in fields:
        paragraphs = sorted((" ".join(p.text_content().split()) for p in root.iter("p")), key=len, reverse=True)
        if paragraphs and len(paragraphs[0]) > 60:
            put("details", paragraphs[0])
    return Block(fields=fields, heading=heading, text=text)


def _link_aware_text(el, name: str | None, url: str) -> str:
    """Text of a field element; for reply/outlet-url fields, the link target when there is one."""
    if name in ("reply_to", "outlet_url"):
        links = [(a.get("href") or "").strip() for a in el.iter("a")]
        for href in links:
            if href.lower().startswith("mailto:"):
                return href[7:].split("?")[0]
        # an address written out beats a link that merely sits beside it (a social profile)
        email = _EMAIL_IN_TEXT.search(el.text_content()) if name == "reply_to" else None
        if email:
            return email.group(0).rstrip(".")
        for href in links:
            if href and not href.startswith(("#", "javascript:")):
                return urljoin(url, href)
    if name in ("details", "requirements"):
        return html_to_text(_outer(el))
    return " ".join(el.text_content().split())


def _outer(el) -> str:
    import lxml.html

    return "<div>" + lxml.html.tostring(el, encoding="unicode") + "</div>"


class BoardCrawl:
    """The state of one crawl: what was fetched, found and why pages failed."""

    def __init__(self) -> None:
        self.queries: list[JournalistQuery] = []
        self.failures: list[tuple[str, str]] = []   # (url, "outcome: reason")
        self.pages_fetched = 0


async def crawl_boards(runtime: "Runtime", start_urls: Iterable[str], *, max_pages: int = 60,
                       now: datetime | None = None, include_expired: bool = False,
                       settings: "Settings | None" = None, crawl: BoardCrawl | None = None) -> list[JournalistQuery]:
    """Every journalist request reachable from the board list pages `start_urls`.

    Fetches at most `max_pages` pages in all (list and request pages together); request pages
    are fetched concurrently (the Fetcher keeps per-host politeness). Expired requests are
    dropped unless `include_expired`. Pass a BoardCrawl to see failures and counts.
    """
    from discover.pages.fetch import Fetcher

    now = now or datetime.now(timezone.utc)
    state = crawl or BoardCrawl()
    seen: set[str] = set()
    lists: list[str] = []
    for u in start_urls:
        try:
            u = url_key(u, FOR_FETCH)
        except ValueError:
            state.failures.append((u, "error: not an http(s) URL"))
            continue
        if u not in seen:
            seen.add(u)
            lists.append(u)
    requests: list[str] = []
    async with Fetcher(runtime, settings or runtime.settings) as fetcher:
        while (lists or requests) and state.pages_fetched < max_pages:
            # List pages first (one at a time: each may reveal the next), then a batch of requests.
            if lists:
                url = lists.pop(0)
                state.pages_fetched += 1
                res = await fetcher.fetch(url)
                if res.outcome != FetchOutcome.OK:
                    state.failures.append((url, f"{res.outcome}: {res.reason}"))
                    continue
                found, pages = classify_links(res.html, res.final_url or url)
                if not found:  # a start URL may be a request page itself
                    _read_request(res, now, state)
                for link in found:
                    if link not in seen:
                        seen.add(link)
                        requests.append(link)
                for link in pages:
                    if link not in seen:
                        seen.add(link)
                        lists.append(link)
                continue
            room = max_pages - state.pages_fetched
            batch, requests = requests[:room], requests[room:]
            state.pages_fetched += len(batch)
            results = await fetcher.fetch_many(batch)
            for res in results:
                if res.outcome != FetchOutcome.OK:
                    state.failures.append((res.url, f"{res.outcome}: {res.reason}"))
                    continue
                _read_request(res, now, state)
            if state.pages_fetched >= max_pages:
                break
            await asyncio.sleep(0)
    if requests or lists:
        log.info("board crawl stopped at max_pages=%d with %d pages left", max_pages, len(requests) + len(lists))
    out = state.queries if include_expired else [q for q in state.queries if not q.expired]
    return out


def _read_request(res: "FetchResult", now: datetime, state: BoardCrawl) -> None:
    url = res.final_url or res.url
    try:
        block = parse_request_page(res.html, url)
    except Exception as exc:  # noqa: BLE001 - a broken page is a recorded failure, not a crash
        state.failures.append((url, f"unparsable: {exc}"))
        return
    if not is_query(block):
        state.failures.append((url, "no request fields found"))
        return
    q = fields_to_query(block, source=url, origin="board", number=0, reference=now, now=now)
    if not q.summary:
        q.summary = block.heading
    state.queries.append(q)

