"""Find who to write to on a page: emails, contact pages, social profiles, forms and named people.

Only addresses that are written on the page (in clear, as entities, or obfuscated with
[at]/(dot) and the like) are returned; nothing is ever guessed from a name or a domain.
Emails are labelled "person" (jane@, jane.doe@, or a mailto whose link text is a name) or
"generic" (info@, editor@, ...). `enrich_contacts` follows the site's contact/about/
write-for-us pages one hop and merges what they hold.
"""

from __future__ import annotations

import html as htmlmod
import re
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import unquote, urljoin, urlsplit

from discover.html import load_html, visible_text
from discover.records import Contact, FetchOutcome
from discover.urls import bare_host

if TYPE_CHECKING:
    from discover.pages.fetch import Fetcher
    from discover.records import Extraction

GENERIC_LOCALS = frozenset("""
info contact contacts hello hi enquiries enquiry inquiries inquiry office admin administrator support help
team press media news newsroom editor editors editorial sales marketing billing accounts noreply no-reply
donotreply do-not-reply webmaster postmaster hostmaster abuse privacy legal mail email general service
customerservice customer-service feedback jobs careers hr reception bookings booking orders shop store
partners partnerships advertising ads sponsor sponsorship submissions submit tips pitches pitch studio
hq hallo kontakt redaktion write writers guestpost guest-post outreach community membership members
""".split())

_TLD = r"[a-z]{2,24}"
_LOCAL = r"[a-z0-9][a-z0-9._%+\-]{0,63}"
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+" + _TLD
EMAIL_RE = re.compile(rf"(?<![a-z0-9._%+\-])({_LOCAL})@({_DOMAIN})(?![a-z0-9\-])", re.I)
# "name [at] site [dot] com", "name (at) site (dot) co (dot) uk", "name AT site DOT com",
# "name(at)site.com", "name {at} site {dot} com": the separators must be bracketed, or
# upper-case AT/DOT words, so that ordinary prose ("meet at home. com...") is not an address.
_AT = r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>)\s*|\s+AT\s+|\s+\[@\]\s+"
_DOT = r"\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|<\s*dot\s*>)\s*|\s+DOT\s+|\."
OBFUSCATED_RE = re.compile(
    rf"(?<![\w.])([A-Za-z0-9][A-Za-z0-9._%+\-]{{0,63}})(?:{_AT})((?:[A-Za-z0-9\-]{{1,63}}(?:{_DOT}))+[A-Za-z]{{2,24}})\b")
PLACEHOLDER_DOMAINS = frozenset({"example.com", "example.org", "example.net", "domain.com", "email.com",
                                 "yourdomain.com", "yoursite.com", "website.com", "company.com", "test.com",
                                 "sentry.io", "sentry-next.wixpress.com", "wixpress.com"})
PLACEHOLDER_LOCALS = frozenset({"you", "your", "yourname", "name", "username", "user", "email", "someone",
                                "firstname.lastname", "first.last", "firstname", "john.doe", "jane.doe"})
_FILE_EXT = re.compile(r"\.(png|jpe?g|gif|webp|svg|bmp|ico|css|js|avif|tiff?)$", re.I)

CONTACT_PAGE_RE = re.compile(
    r"contact|about|write[-_ ]?for[-_ ]?us|guest[-_ ]?post|contribut|advertis|our[-_ ]?team|/team\b|\bteam\b|"
    r"submit|impressum|kontakt|imprint|press|media[-_ ]?kit|pitch", re.I)

SOCIAL = (
    ("twitter", re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?!intent|share|home|search|hashtag|i/)"
                           r"([A-Za-z0-9_]{1,15})/?$", re.I)),
    ("linkedin", re.compile(r"^https?://(?:[a-z]{2,3}\.)?linkedin\.com/(?:in|company|pub)/([^/?#]+)/?$", re.I)),
    ("facebook", re.compile(r"^https?://(?:www\.|m\.)?facebook\.com/(?!sharer|share|dialog|plugins|tr\b|"
                            r"login|groups/?$)([A-Za-z0-9.\-]{2,})/?$", re.I)),
    ("instagram", re.compile(r"^https?://(?:www\.)?instagram\.com/(?!p/|explore|reel)([A-Za-z0-9_.]{1,30})/?$", re.I)),
    ("youtube", re.compile(r"^https?://(?:www\.)?youtube\.com/(?:@|channel/|c/|user/)([^/?#]+)/?$", re.I)),
    ("pinterest", re.compile(r"^https?://(?:[a-z]{2}\.|www\.)?pinterest\.[a-z.]+/(?!pin/)([A-Za-z0-9_]{3,})/?$", re.I)),
    ("tiktok", re.compile(r"^https?://(?:www\.)?tiktok\.com/@([A-Za-z0-9_.]+)/?$", re.I)),
)

_NAME_RE = re.compile(r"^[A-Z][a-zà-ÿ'’\-]+(?:\s+(?:[A-Z]\.?|[A-Z][a-zà-ÿ'’\-]+)){1,3}$")
_BYLINE_CLASS = re.compile(r"byline|author|writer|posted-?by|entry-author|article-author|contributor", re.I)
_ROLE_LINE = re.compile(
    r"\b(Editor(?:-in-Chief)?|Managing Editor|Founder|Co-Founder|Owner|Author|Written by|By|Contact|"
    r"Publisher|Moderator|Administrator)\s*[:\-–]\s*([A-Z][a-z'’\-]+(?:\s+[A-Z][a-z'’\-]+){1,2})")
_NOT_NAMES = frozenset({"Read More", "Contact Us", "About Us", "Privacy Policy", "Terms Of", "Log In",
                        "Sign Up", "Write For", "Home Page", "Click Here", "Learn More", "Our Team",
                        "Submit Site", "Get Started", "Email Us", "Send Message", "Contact Form"})


def email_label(address: str, link_text: str = "") -> str:
    local = address.split("@", 1)[0].lower()
    if link_text and looks_like_name(link_text) and not _generic_local(local):
        return "person"
    return "generic" if _generic_local(local) else "person"


def _generic_local(local: str) -> bool:
    base = re.sub(r"[\d._\-+]+$", "", local)
    return local in GENERIC_LOCALS or base in GENERIC_LOCALS or any(
        local.startswith(g + sep) for g in ("info", "contact", "support", "press", "editor", "sales", "hello",
                                            "noreply", "no-reply", "admin", "team") for sep in ("-", ".", "_", "+"))


def looks_like_name(text: str) -> bool:
    text = _norm(text)
    return bool(_NAME_RE.match(text)) and text.title() not in _NOT_NAMES and len(text) <= 40


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def valid_email(address: str) -> bool:
    address = address.strip().lower()
    m = EMAIL_RE.fullmatch(address)
    if not m:
        return False
    local, domain = m.group(1), m.group(2)
    if _FILE_EXT.search(address) or re.search(r"@\d+x\.", address):   # logo@2x.png
        return False
    if domain in PLACEHOLDER_DOMAINS or domain.endswith((".example", ".invalid", ".test", ".localhost")):
        return False
    if local in PLACEHOLDER_LOCALS:
        return False
    if ".." in address or local.startswith(".") or local.endswith("."):
        return False
    return True


def _deobfuscate(local: str, domain: str) -> str:
    domain = re.sub(r"\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|<\s*dot\s*>)\s*|\s+DOT\s+", ".", domain)
    return f"{local}@{domain}".lower()


def emails_in_text(text: str) -> list[str]:
    """Addresses written in `text`: clear or obfuscated. Order of appearance, deduplicated."""
    out: list[str] = []
    text = htmlmod.unescape(text)
    for m in EMAIL_RE.finditer(text):
        out.append(f"{m.group(1)}@{m.group(2)}".lower())
    for m in OBFUSCATED_RE.finditer(text):
        whole = m.group(0)
        # "(at)" etc. must be present, or the upper-case words: a plain "at" in prose is not a separator.
        if not re.search(r"[\[\(\{<]\s*at\s*[\]\)\}>]|\sAT\s|\[@\]", whole):
            continue
        if re.search(r"\sAT\s", whole) and not re.search(r"\sDOT\s|[\[\(\{<]\s*dot", whole):
            continue   # "MEET AT HOME.COM" style all-caps prose needs the DOT word too
        out.append(_deobfuscate(m.group(1), m.group(2)))
    return [e for e in dict.fromkeys(e.strip(".") for e in out) if valid_email(e)]


def _social(url: str) -> tuple[str, str] | None:
    clean = url.split("?", 1)[0].split("#", 1)[0]
    for network, rx in SOCIAL:
        m = rx.match(clean)
        if m:
            handle = m.group(1)
            if handle.lower() in ("share", "sharer.php", "intent", "home", "login", "signup", "explore"):
                return None
            return network, clean.rstrip("/")
    return None


def _same_site(a: str, b: str) -> bool:
    from discover.domains import registrable_domain

    return registrable_domain(a) == registrable_domain(b)


def find_contacts(html: str, url: str, text: str = "", *, root: Any = None, author: str = "") -> list[Contact]:
    """Every contact route on one page, deduplicated; `root` is an lxml tree when the caller has one."""
    if root is None:
        root = load_html(html)
    if not text:
        body = root.find(".//body")
        text = visible_text(body if body is not None else root)
    base = url
    out: dict[tuple[str, str], Contact] = {}

    def add(c: Contact) -> None:
        key = (c.kind, c.value.lower())
        if key in out:
            old = out[key]
            if (c.name and not old.name) or (c.label == "person" and old.label == "generic"):
                out[key] = c
            return
        out[key] = c

    # mailto links first: their link text can name the person behind the address.
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href:
            continue
        if href.lower().startswith("mailto:"):
            raw = htmlmod.unescape(unquote(href[7:].split("?", 1)[0])).strip()
            for addr in raw.split(","):
                addr = addr.strip().lower()
                if valid_email(addr):
                    label_text = _norm(a.text_content())
                    name = label_text if looks_like_name(label_text) else ""
                    add(Contact("email", addr, email_label(addr, label_text), url, name))
            continue
        try:
            target = urljoin(base, href)
        except ValueError:
            continue
        social = _social(target)
        if social and not _same_site(target, url):
            add(Contact("social", social[1], social[0], url))
            continue
        if urlsplit(target).scheme in ("http", "https") and _same_site(target, url):
            anchor = _norm(a.text_content())[:80]
            path = urlsplit(target).path.lower()
            if (CONTACT_PAGE_RE.search(path) or (anchor and CONTACT_PAGE_RE.search(anchor) and len(anchor) < 40)) \
                    and not re.search(r"\.(pdf|jpe?g|png|zip)$", path) and "wp-login" not in path:
                add(Contact("page", target.split("#", 1)[0], anchor.lower() or path, url))
        if "author" in (a.get("rel") or "").lower().split():
            nm = _norm(a.text_content())
            if looks_like_name(nm):
                add(Contact("person", nm, "author", url, nm))

    # Addresses written in text, clear or obfuscated; HTML entities were decoded by the parser.
    for addr in emails_in_text(text):
        add(Contact("email", addr, email_label(addr), url))

    # Contact forms: a form with an email field and a message box.
    for f in root.iter("form"):
        fields = " ".join(f"{i.get('name') or ''} {i.get('type') or ''} {i.get('id') or ''}"
                          for i in f.iter("input", "textarea")).lower()
        has_msg = any(True for _ in f.iter("textarea")) or "message" in fields
        label = f"{f.get('class') or ''} {f.get('id') or ''} {f.get('action') or ''}".lower()
        if ("email" in fields or "e-mail" in fields) and has_msg and "comment" not in label + fields:
            try:
                action = urljoin(base, f.get("action") or "") or url
            except ValueError:   # an action no URL parser accepts ("http://[::1")
                action = url
            add(Contact("form", action, "contact form", url))

    # Named people: meta author, schema.org author, bylines, "Editor: Jane Doe" lines.
    names: list[tuple[str, str]] = []
    if author and looks_like_name(author):
        names.append((author, "author"))
    for m in root.iterfind(".//meta"):
        if (m.get("name") or "").lower() == "author" and looks_like_name(m.get("content") or ""):
            names.append((_norm(m.get("content")), "author"))
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("body", "html", "script", "style"):
            continue
        if el.get("itemprop") == "author" or _BYLINE_CLASS.search(f"{el.get('class') or ''} {el.get('rel') or ''}"):
            cand = _norm(el.text_content())
            cand = re.sub(r"^(by|written by|posted by|author)\s*:?\s*", "", cand, flags=re.I)
            if looks_like_name(cand):
                names.append((cand, "author"))
    for s in root.iterfind(".//script"):
        if (s.get("type") or "").lower() == "application/ld+json" and s.text and '"author"' in s.text:
            for nm in re.findall(r'"author"\s*:\s*\{[^{}]*?"name"\s*:\s*"([^"]{3,60})"', s.text):
                if looks_like_name(nm):
                    names.append((nm, "author"))
    for m in _ROLE_LINE.finditer(text[:200_000]):
        if looks_like_name(m.group(2)):
            names.append((m.group(2), m.group(1).lower().rstrip(":")))
    for nm, role in names[:20]:
        add(Contact("person", nm, role, url, nm))
    return list(out.values())


def best_email(contacts: Iterable[Contact]) -> Contact | None:
    """A named person's address before a generic inbox; on the page's own site before elsewhere."""
    emails = [c for c in contacts if c.kind == "email"]
    if not emails:
        return None

    def rank(c: Contact) -> tuple[int, int, int]:
        on_site = 0
        if c.source_url:
            host = bare_host(c.source_url)
            on_site = 0 if host and c.value.endswith("@" + host) or host.endswith(c.value.split("@")[1]) else 1
        return (0 if c.label == "person" else 1, on_site, 0 if c.name else 1)

    return sorted(emails, key=rank)[0]


def contact_pages(contacts: Iterable[Contact], limit: int = 3) -> list[str]:
    """The site's contact-ish pages worth one more hop, most promising first."""
    order = ("write", "guest", "contribut", "contact", "kontakt", "about", "team", "advertis", "submit", "press",
             "impressum", "imprint", "pitch", "media")
    pages = [c.value for c in contacts if c.kind == "page"]

    def rank(u: str) -> int:
        low = u.lower()
        return next((i for i, k in enumerate(order) if k in low), len(order))

    return sorted(dict.fromkeys(pages), key=rank)[:limit]


async def enrich_contacts(fetcher: "Fetcher", extraction: "Extraction", *, max_pages: int = 3) -> list[Contact]:
    """The page's contacts plus those found one hop away on its contact/about/write-for-us pages."""
    merged: dict[tuple[str, str], Contact] = {}

    def merge(items: Iterable[Contact]) -> None:
        for c in items:
            key = (c.kind, c.value.lower())
            old = merged.get(key)
            if old is None or (c.name and not old.name) or (c.label == "person" and old.label != "person"):
                merged[key] = c

    merge(extraction.contacts)
    targets = [u for u in contact_pages(extraction.contacts, max_pages)
               if u.rstrip("/") != extraction.url.rstrip("/") and _same_site(u, extraction.url)]
    if targets:
        results = await fetcher.fetch_many(targets)
        for res in results:
            if res.outcome == FetchOutcome.OK:
                merge(find_contacts(res.html, res.final_url or res.url))
    contacts = list(merged.values())
    # A named person's address first, then other emails, then the rest in their found order.
    best = best_email(contacts)
    contacts.sort(key=lambda c: (c is not best, c.kind != "email", c.label != "person"))
    return contacts
