"""Read a fetched page: main text and metadata (trafilatura), every link with its position, page meta.

    extract(FetchResult) -> Extraction
      trafilatura (recall-leaning) → text, title, author, date, language, site name, description
      lxml tree → links (anchor, rel, position, internal, context sentence), meta (noindex,
                  canonical, hreflang, JSON-LD, forms, generator, forum fingerprints, sizes),
                  forum activity (newest post date, number of posts), contacts (contacts.py)

The page is untrusted: huge or broken HTML is cut and parsed leniently; nothing here executes
or fetches anything.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

from discover.domains import registrable_domain
from discover.html import MAX_HTML_CHARS, load_html, visible_text
from discover.pages.contacts import _country_of_numbers, company_name, find_contacts, page_country
from discover.records import Extraction, FetchOutcome, FetchResult, Link

log = logging.getLogger(__name__)

# Forum software fingerprints: (name, markers searched in the lower-cased HTML).
FORUM_FINGERPRINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phpBB", ("phpbb", "viewtopic.php", "memberlist.php?mode=viewprofile")),
    ("vBulletin", ("vbulletin", "showthread.php", "vb_postbit", "postbitlegacy")),
    ("XenForo", ("xenforo", "data-xf-init", "xf-body", "message--post")),
    ("Discourse", ("discourse", "topic-post", "data-discourse")),
    ("Vanilla", ("vanilla forums", "vanillaforums", "vanilla-", "class=\"discussion\"")),
    ("IPS Community", ("ips4", "ipsComment", "invisioncommunity", "ipb.")),
    ("SMF", ("simple machines", "smf_", "index.php?topic=")),
    ("MyBB", ("mybb", "showthread.php?tid=")),
    ("Flarum", ("flarum",)),
    ("NodeBB", ("nodebb",)),
    ("bbPress", ("bbpress", "bbp-reply")),
    ("phorum", ("phorum", "read.php?")),
    ("punBB/FluxBB", ("punbb", "fluxbb", "viewtopic.php?id=")),
    ("Forumotion", ("forumotion", "forumieren", "forumactif")),
)

_POSITION_TAGS = {"nav": "navigation", "header": "header", "footer": "footer", "aside": "sidebar"}
_POSITION_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("comments", re.compile(r"comment|respond|replies|disqus")),
    ("footer", re.compile(r"footer|colophon|copyright")),
    ("sidebar", re.compile(r"sidebar|widget|side-bar|aside")),
    ("navigation", re.compile(r"(^|[-_])(nav|navbar|navigation|menu|breadcrumbs?|pagination|topbar|tabs)($|[-_])|^menu|menu$")),
    ("header", re.compile(r"^(site-)?header$|masthead|^top-?bar$")),
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'])")
_WS = re.compile(r"\s+")

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
MONTHS.update({"mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12, "janv": 1, "févr": 2, "fév": 2,
               "mars": 3, "avr": 4, "juin": 6, "juil": 7, "août": 8, "déc": 12, "sept": 9})
_MONTH_RE = r"([A-Za-zäéû]{3,9})\.?"
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), "dmy"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), "mdy_or_dmy"),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.? " + _MONTH_RE + r",? (\d{4})\b"), "d_mon_y"),
    (re.compile(_MONTH_RE + r" (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b"), "mon_d_y"),
)
_POST_CLASS = re.compile(r"(^|[-_ ])(post|message|msg|reply|comment|entry|article|topic-post|postbit|postbody|"
                         r"forumpost|messagelist|post-?container|postrow|bbpost|tpost|thread-?item)s?($|[-_ \d])", re.I)




def parse_date(text: str, dayfirst: bool = False) -> str:
    """The first date in `text` as YYYY-MM-DD, or "". "04/07/2026" is read day-first when
    `dayfirst` (the page's locale writes dates that way) or when the first number is over 12."""
    for rx, kind in _DATE_PATTERNS:
        for m in rx.finditer(text):
            try:
                if kind == "ymd":
                    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
                elif kind == "dmy":
                    d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
                elif kind == "mdy_or_dmy":
                    a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
                    mo, d = (b, a) if (dayfirst or a > 12) and b <= 12 else (a, b)
                elif kind == "d_mon_y":
                    d, mo, y = int(m.group(1)), MONTHS.get(m.group(2).lower()[:4].rstrip("."), 0) or \
                        MONTHS.get(m.group(2).lower()[:3], 0), int(m.group(3))
                else:
                    mo, d, y = MONTHS.get(m.group(1).lower()[:4], 0) or MONTHS.get(m.group(1).lower()[:3], 0), \
                        int(m.group(2)), int(m.group(3))
                if not (1990 <= y <= 2100):
                    continue
                return date(y, mo, d).isoformat()
            except (ValueError, TypeError):
                continue
    return ""


def _classes(el) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _own_position(node) -> str | None:
    """The region an element itself declares (tag, class/id tokens, ARIA role), or None."""
    tag = node.tag
    if tag in _POSITION_TAGS:
        return _POSITION_TAGS[tag]
    if tag not in ("main", "article"):
        tokens = _classes(node).split()
        for pos, rx in _POSITION_CLASSES:
            if any(rx.search(t) for t in tokens):
                return pos
    role = node.get("role")
    if role in ("navigation", "banner", "contentinfo", "complementary"):
        return {"navigation": "navigation", "banner": "header", "contentinfo": "footer",
                "complementary": "sidebar"}[role]
    return None


_UNSET = object()


def _position(a, cache: dict | None = None) -> str | None:
    """The page region a link sits in, from its enclosing elements; None when nothing says.

    `cache` (element → region) makes a page's links cost one walk of the tree in all, not one
    walk up per link: 200,000 links in one list stay linear."""
    cache = {} if cache is None else cache
    path = []
    node = a.getparent()
    found: Any = None
    while node is not None and isinstance(node.tag, str) and node.tag not in ("body", "html"):
        hit = cache.get(node, _UNSET)
        if hit is not _UNSET:
            found = hit
            break
        path.append(node)
        own = _own_position(node)
        if own is not None:
            found = own
            break
        node = node.getparent()
    for n in path:
        cache[n] = found
    return found


#: Above this many characters a block's sentence is cut from around the link itself.
_BIG_BLOCK = 3000


def _block_of(a):
    block = a.getparent()
    while block is not None and block.tag in ("a", "span", "b", "strong", "em", "i", "u", "small", "code", "mark"):
        block = block.getparent()
    return block


def _sentence_with(text: str, anchor: str) -> str:
    if not anchor:
        return text[:300]
    for sentence in _SENTENCE_SPLIT.split(text):
        if anchor in sentence:
            return sentence.strip()[:400]
    return text[:300]


def _context(a, anchor: str, cache: dict | None = None) -> str:
    """The sentence around the link, from its nearest block-level ancestor.

    A block's text is read once (`cache`); in a big block (a link list, a link farm) the
    sentence comes from the text right around the link, so the cost per link stays constant."""
    block = _block_of(a)
    if block is None:
        return anchor
    cache = {} if cache is None else cache
    text = cache.get(block)
    if text is None:
        text = cache[block] = visible_text(block)
    if len(text) <= _BIG_BLOCK:
        return _sentence_with(text, anchor)
    prev = a.getprevious()
    before = (prev.tail if prev is not None else a.getparent().text) or ""
    local = _WS.sub(" ", f"{before[-600:]} {anchor} {(a.tail or '')[:600]}").strip()
    return _sentence_with(local, anchor)


def _meta_content(root, *names: str) -> str:
    for name in names:
        for m in root.iterfind(".//meta"):
            key = (m.get("name") or m.get("property") or m.get("itemprop") or "").lower()
            if key == name and m.get("content"):
                return m.get("content").strip()
    return ""


def _json_ld(root) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in root.iterfind(".//script"):
        if (s.get("type") or "").lower() != "application/ld+json" or not s.text:
            continue
        try:
            data = json.loads(s.text.strip())
        except (ValueError, RecursionError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack and len(out) < 50:
            item = stack.pop(0)
            if isinstance(item, dict):
                if "@graph" in item and isinstance(item["@graph"], list):
                    stack.extend(item["@graph"])
                if "@type" in item:
                    obj = {"@type": item.get("@type")}
                    for key in ("name", "address", "author", "datePublished", "dateModified", "telephone",
                                "email", "url", "headline"):
                        if key in item:
                            obj[key] = item[key]
                    out.append(obj)
    return out


def _forms(root, base: str) -> list[dict[str, Any]]:
    forms = []
    for f in root.iterfind(".//form"):
        names = " ".join(
            f"{i.get('name') or ''} {i.get('type') or ''} {i.get('id') or ''} {i.get('placeholder') or ''}"
            for i in f.iter("input", "textarea", "select")).lower()
        action = (f.get("action") or "").lower()
        label = f"{_classes(f)} {action} {visible_text(f)[:300].lower()}"
        has_email = "email" in names or "e-mail" in names
        has_text = any(True for _ in f.iter("textarea"))
        if "comment" in label or "comment" in names or "respond" in label:
            kind = "comment"
        elif re.search(r"search|\bq\b|query|keyword", names) and not has_text and len(list(f.iter("input"))) <= 4:
            kind = "search"
        elif re.search(r"submit.?(your|a|site|link|listing|url)|add.?(your|a)?.?(site|listing|business|link)|"
                       r"suggest|listing|site.?url|website|\burl\b", label + " " + names) and not re.search(
                       r"log.?in|sign.?in|password", names):
            kind = "submit"
        elif has_email and has_text:
            kind = "contact"
        elif "password" in names:
            kind = "login"
        elif has_email:
            kind = "subscribe"
        else:
            kind = "other"
        forms.append({"kind": kind, "action": _join(base, f.get("action") or ""), "email_field": has_email,
                      "textarea": has_text})
    return forms[:30]


def _post_groups(root) -> list[list]:
    """Groups of repeated post-like containers (same tag and class shape), outermost members only."""
    groups: dict[tuple[str, str], list] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("body", "html", "form", "a", "span", "time", "img", "input"):
            continue
        cls = _classes(el)
        if not cls.strip() or not _POST_CLASS.search(cls):
            continue
        sig = (el.tag, re.sub(r"\d+", "#", el.get("class") or el.get("id") or ""))
        groups.setdefault(sig, []).append(el)
    out = []
    for els in groups.values():
        if len(els) < 2:
            continue
        # Nested matches (post > post-body) would count twice: keep outermost only.
        ids = {id(e) for e in els}
        outer = [e for e in els if not any(id(p) in ids for p in e.iterancestors())]
        if len(outer) >= 2:
            out.append(outer)
    return out


def dayfirst_locale(root, url: str) -> bool:
    """Whether numeric dates on this page are day/month: everywhere but US English pages."""
    lang = (root.get("lang") or "").lower()
    if lang.startswith("en-us"):
        return False
    if lang and not lang.startswith("en"):
        return True
    host = (urlsplit(url).hostname or "").lower()
    if lang.startswith("en-") or host.endswith((".uk", ".au", ".nz", ".ie", ".in", ".za")):
        return not lang.startswith("en-us") and (lang != "en" or not host.endswith((".com", ".us", ".org", ".net")))
    return not host.endswith((".com", ".us", ".org", ".net", ".edu", ".gov"))


def _forum_activity(root, dayfirst: bool = False) -> tuple[str, int | None, list]:
    """(newest post date, number of posts, the post elements) from repeated dated post containers."""
    best: list[str] = []
    best_els: list = []
    undated: list = []
    for outer in _post_groups(root):
        dates = [d for d in (_element_date(e, dayfirst) for e in outer) if d]
        if len(dates) >= 2 and len(dates) >= len(outer) * 0.5 and len(outer) > len(best_els):
            best, best_els = dates, outer
        elif len(outer) >= 3 and len(outer) > len(undated):
            texts = [visible_text(e) for e in outer]
            if sum(len(t) for t in texts) / len(texts) >= 80:
                undated = outer
    if best_els:
        return max(best), len(best_els), best_els
    times = [t.get("datetime") for t in root.iter("time") if t.get("datetime")]
    dates = [d for d in (parse_date(t) for t in times) if d]
    if len(dates) >= 3:
        return max(dates), len(dates), undated
    return "", None, undated


def _with_posts(text: str, posts: list) -> str:
    """Main text plus the posts trafilatura left out (it often keeps only a thread's first post)."""
    if not posts:
        return text
    have = _WS.sub(" ", text)
    extra = []
    for el in posts[:500]:
        t = visible_text(el)
        if len(t) < 20:
            continue
        probe = t[len(t) // 3: len(t) // 3 + 60]
        if probe and probe in have:
            continue
        extra.append(t)
    return text + ("\n" + "\n".join(extra) if extra else "")


def _element_date(el, dayfirst: bool = False) -> str:
    for t in el.iter("time"):
        d = parse_date(t.get("datetime") or "") or parse_date(visible_text(t), dayfirst)
        if d:
            return d
    for sub in el.iter():
        if not isinstance(sub.tag, str):
            continue
        if sub.get("itemprop") in ("datePublished", "dateCreated") and (sub.get("content") or sub.get("datetime")):
            d = parse_date(sub.get("content") or sub.get("datetime") or "")
            if d:
                return d
        if sub.get("data-time") and sub.get("data-time", "").isdigit():
            try:
                return datetime.fromtimestamp(int(sub.get("data-time")), tz=timezone.utc).date().isoformat()
            except (ValueError, OverflowError, OSError):
                pass
        if re.search(r"date|time|posted|postdetails|author|meta|byline", _classes(sub)):
            d = parse_date(visible_text(sub)[:200], dayfirst)
            if d:
                return d
    return parse_date(visible_text(el)[:400], dayfirst)


def _trafilatura(html: str, url: str) -> dict[str, Any]:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html, url=url, favor_recall=True, include_comments=True, include_tables=True,
            include_links=False, include_images=False, deduplicate=False, with_metadata=True,
            # htmldate's extensive search falls back to dateparser, which compiles every locale on
            # first use (~10 s); the structured date sources are enough.
            date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as exc:  # trafilatura raises assorted errors on hostile markup
        log.debug("trafilatura failed on %s: %s", url, exc)
        return {}
    if doc is None:
        return {}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    comments = data.get("comments") or ""
    if comments:
        text = f"{text}\n{comments}" if text else comments
    data["text"] = text
    return data


def _join(base: str, href: str) -> str:
    """`urljoin`, or "" for an href no URL parser accepts ("http://[::1")."""
    try:
        return urljoin(base, href)
    except ValueError:
        return ""


def _fetchable(url: str) -> bool:
    """Whether an http(s) URL has a host and port an HTTP client accepts."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on "host:abc" or a port out of range
        host = parts.hostname or ""
        if host and (not host.isascii() or "xn--" in host):
            import httpx

            httpx.URL(url).host  # noqa: B018 - raises on a host IDNA cannot encode
    except (ValueError, ImportError):
        return False
    except Exception:  # noqa: BLE001 - httpx.InvalidURL
        return False
    return bool(host)


#: An href that is a plain root-relative path: no "//", no dot segments, no backslash or space.
_PLAIN_PATH = re.compile(r"(?=/)(?!//)(?:(?!/\.\.?(?:/|$|[?#]))[^\s\\])*$")

#: Links read from one page by default (settings.max_links); the rest are counted, not kept.
MAX_LINKS = 2000


def _links(root, base: str, page_domain: str, main_text: str,
           max_links: int = MAX_LINKS) -> tuple[list[Link], int]:
    """(the first `max_links` distinct links in document order, how many links the page has).

    Linear in the page: positions, block texts and link densities are computed once per
    element and shared by the links inside it."""
    links: list[Link] = []
    seen: set[tuple[str, str, str]] = set()
    total = 0
    main = main_text if len(main_text) > 200 else ""
    positions: dict = {}
    blocks: dict = {}
    density: dict = {}
    # Root-relative hrefs ("/p/1", most links of a big page) join by concatenation: urljoin and
    # the checks below cost more than everything else per link.
    base_parts = urlsplit(base) if base else None
    origin = f"{base_parts.scheme}://{base_parts.netloc}" if base_parts and base_parts.scheme in (
        "http", "https") and base_parts.netloc and _fetchable(base) else ""
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "data:")):
            continue
        total += 1
        if len(links) >= max_links:
            continue   # counted, not read
        if origin and _PLAIN_PATH.match(href):
            url, scheme, internal = origin + href, origin.split(":", 1)[0], True
        else:
            url = _join(base, href)
            scheme = urlsplit(url).scheme if url else ""
            if scheme not in ("http", "https", "mailto", "tel"):
                continue
            if scheme in ("http", "https") and not _fetchable(url):
                continue   # "https://x.test:abc/", "http://xn--/": no client could follow it
            internal = scheme in ("http", "https") and registrable_domain(url) == page_domain
        anchor = _WS.sub(" ", a.text_content() or "").strip()[:300] or (a.get("title") or "").strip()
        if not anchor:
            img = a.find(".//img")
            if img is not None:
                anchor = (img.get("alt") or "").strip()
        rel = tuple(sorted({r.lower() for r in (a.get("rel") or "").split() if r}))
        pos = _position(a, positions)
        if pos is None:
            if not main or not anchor or anchor in main:
                pos = "content"
            else:
                parent = a.getparent()
                pos = density.get(parent)
                if pos is None:
                    block_text = visible_text(parent) if parent is not None else ""
                    link_text = sum(len(x.text_content() or "") for x in parent.iter("a")) if parent is not None else 0
                    pos = density[parent] = ("navigation" if block_text and link_text / max(len(block_text), 1) > 0.7
                                             else "content")
        key = (url, anchor, pos)
        if key in seen:
            continue
        seen.add(key)
        links.append(Link(url=url, anchor=anchor, rel=rel, position=pos, internal=internal,
                          context=_context(a, anchor, blocks) if pos in ("content", "comments") else ""))
    return links, total


_A_OPEN = re.compile(r"<a\b[^>]*?\shref\s*=", re.I)
# A whole link element, or (when another link starts before it closes) its opening tag alone;
# the scan never crosses the next "<a", so removing 200,000 links stays linear.
_A_ELEMENT = re.compile(r"<a\b[^>]*>(?:(?!<a\b|</a\s*>)[\s\S])*</a\s*>|<a\b[^>]*>", re.I)


def _prune_links(html: str, max_links: int) -> tuple[str, int, bool]:
    """(the page with only its first `max_links` links, how many links it had, whether some
    were dropped). Done on the text before parsing: a link flood never becomes a tree of
    200,000 elements for trafilatura, contacts and forms to walk."""
    starts = [m.start() for m in _A_OPEN.finditer(html)]
    if len(starts) <= max_links:
        return html, len(starts), False
    cut = starts[max_links]
    return html[:cut] + _A_ELEMENT.sub("", html[cut:]), len(starts), True


def extract(result: FetchResult, *, max_links: int = MAX_LINKS, country: str = "") -> Extraction:
    """Extract one fetched page; a non-ok result gives an empty Extraction for its URL.

    A page with more than `max_links` links keeps the first ones; `meta["links_total"]` and
    `meta["links_truncated"]` say so. `country` is the run's --geo country: phone numbers on a
    page that does not say where it is (no ccTLD, no address) are read in it."""
    url = result.final_url or result.url
    ext = Extraction(url=url)
    html = result.html or ""
    if result.outcome != FetchOutcome.OK or not html.strip():
        return ext
    # Every later step (parsing, trafilatura, contacts, forms) reads the page with its first
    # max_links links only, so a link flood costs what a page of max_links links costs.
    html, links_total, _ = _prune_links(html[:MAX_HTML_CHARS], max_links)
    root = load_html(html)
    base = url
    base_el = root.find(".//base")
    if base_el is not None and base_el.get("href"):
        base = _join(url, base_el.get("href")) or url
    data = _trafilatura(html, url)
    body = root.find(".//body")
    full = visible_text(body if body is not None else root)
    ext.text = data.get("text") or ""
    ext.full_text = full[:500_000]
    title_el = root.find(".//title")
    ext.title = (data.get("title") or (visible_text(title_el) if title_el is not None else "")).strip()[:500]
    ext.date = str(data.get("date") or "")
    ext.language = (data.get("language") or root.get("lang") or "").split("-")[0].lower()
    ext.description = (data.get("description") or _meta_content(root, "description", "og:description")).strip()[:1000]
    page_domain = registrable_domain(url)
    ext.links, kept_total = _links(root, base, page_domain, ext.text, max_links)
    links_total = max(links_total, kept_total)

    low = html[:MAX_HTML_CHARS].lower()
    robots = _meta_content(root, "robots", "googlebot").lower()
    x_robots = (result.headers or {}).get("x-robots-tag", "").lower()
    canonical = hreflang = None
    hreflangs = []
    for link_el in root.iterfind(".//link"):
        rel = (link_el.get("rel") or "").lower().split()
        if "canonical" in rel and canonical is None:
            canonical = _join(base, link_el.get("href") or "")
        if "alternate" in rel and link_el.get("hreflang"):
            hreflangs.append({"lang": link_el.get("hreflang"), "url": _join(base, link_el.get("href") or "")})
    fingerprints = [name for name, markers in FORUM_FINGERPRINTS if any(m.lower() in low for m in markers)]
    generator = _meta_content(root, "generator")
    ext.meta = {
        "noindex": "noindex" in robots or "noindex" in x_robots,
        "nofollow_page": "nofollow" in robots or "nofollow" in x_robots,
        "viewport": bool(_meta_content(root, "viewport")),
        "canonical": canonical or "",
        "hreflang": hreflangs[:50],
        "schema": _json_ld(root),
        "og_site_name": _meta_content(root, "og:site_name"),
        "og_type": _meta_content(root, "og:type"),
        "forms": _forms(root, base),
        "generator": generator,
        "forum_software": fingerprints,
        "script_count": low.count("<script"),
        "visible_text_length": len(full),
        "html_size": len(html),
        "h1": [visible_text(h)[:200] for h in root.iter("h1")][:5],
        "headings": [visible_text(h)[:200] for h in root.iter("h2", "h3")][:40],
        "list_items": sum(1 for _ in root.iter("li")),
        "language_attr": root.get("lang") or "",
        "links_total": links_total,
        "links_truncated": links_total > max_links,
    }
    last, count, posts = _forum_activity(root, dayfirst_locale(root, url))
    ext.forum_last_post, ext.forum_posts = last, count
    ext.text = _with_posts(ext.text, posts)

    # trafilatura's author can be the text of ANY element whose id or class says "author" — a
    # <style id="co-authors-plus-…-css"> block included, so its CSS became "Wp-Block-Co-Authors-
    # Plus-Coauthors Is-Layout-Flow". Its name is only a hint, kept when the page shows it.
    hint = _visible_author(str(data.get("author") or ""), full)
    ext.country = page_country(root, url, country, text=full) or _country_of_numbers(full)
    # trafilatura's title drops the site part, which is what names the site
    page_title = _WS.sub(" ", title_el.text_content()).strip() if title_el is not None else ext.title
    ext.site_name = company_name(root, url, page_title, hint=str(data.get("sitename") or ""))[:200]
    ext.contacts = find_contacts(html, url, full, root=root, author=hint, country=ext.country, company=ext.site_name)
    ext.author = next((c.value for c in ext.contacts if c.kind == "person" and c.label == "author"), "")[:200]
    return ext


def _visible_author(author: str, visible: str) -> str:
    """The parts of an author string that are written in the page's visible text."""
    low = visible.lower()
    parts = [p.strip() for p in author.split(";") if p.strip()]
    return "; ".join(p for p in parts if p.lower() in low)
