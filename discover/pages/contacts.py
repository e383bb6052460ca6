"""Find who to write to on a page: emails, phones, contact pages, social profiles, forms and named people.

Only addresses that are written on the page (in clear, as entities, obfuscated with [at]/(dot)
and the like, or Cloudflare-protected) are returned; nothing is ever guessed from a name or a
domain. Every address comes from ONE text node or ONE attribute: text glued across elements
("jane" + "@crumb.com") is never read as an address, because a page that splits an address over
two elements may also put two unrelated words side by side. Invisible characters (zero-width,
soft hyphen, bidi marks) are removed first.

Phone numbers come from `tel:` links, schema.org `telephone` and visible text (libphonenumber's
matcher at VALID leniency, dates and fax lines left out) and are written in E.164, read in the
page's country (`page_country`: the site's ccTLD, a schema.org/postal address on the page, the
run's --geo country, then the page's language).

People come from schema.org `Person` (JSON-LD and microdata), author markup (`rel=author`,
`itemprop=author`, the TEXT of byline/author elements, links to /author/ pages), `<meta
name=author>`, "By …" bylines, role lines ("Editor: Jane Doe"), names next to an address in the
same small block (team pages, mailto link text) and sign-offs ("Pitch me at … — Noor"). Class
and style attributes only say WHERE to look, never WHAT the name is. Comment sections are
skipped: a commenter is not the site's contact.

`enrich_contacts` follows the site's contact/about/write-for-us pages one hop and merges what
they hold.
"""

from __future__ import annotations

import html as htmlmod
import json
import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator
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

#: Characters that render as nothing (or only steer text direction) and so hide inside addresses.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
                                   "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))

_TLD = r"[a-z]{2,24}"
_LOCAL = r"[a-z0-9][a-z0-9._%+\-]{0,63}"
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+" + _TLD
# Not after "@": "@jane@mastodon.social" is a fediverse handle, not an address.
EMAIL_RE = re.compile(rf"(?<![a-z0-9._%+\-@])({_LOCAL})@({_DOMAIN})(?![a-z0-9\-])", re.I)
# "name [at] site [dot] com", "name (at) site (dot) co (dot) uk", "name AT site DOT com",
# "name(at)site.com", "name {at} site {dot} com": the separators must be bracketed, or
# upper-case AT/DOT words, so that ordinary prose ("meet at home. com...") is not an address.
_AT = r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>)\s*|\s+AT\s+|\s+\[@\]\s+"
_DOT = r"\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|<\s*dot\s*>)\s*|\s+DOT\s+|\."
OBFUSCATED_RE = re.compile(
    rf"(?<![\w.])([A-Za-z0-9][A-Za-z0-9._%+\-]{{0,63}})(?:{_AT})((?:[A-Za-z0-9\-]{{1,63}}(?:{_DOT}))+[A-Za-z]{{2,24}})\b")
PLACEHOLDER_DOMAINS = frozenset({"example.com", "example.org", "example.net", "domain.com", "email.com",
                                 "yourdomain.com", "yoursite.com", "website.com", "company.com", "test.com",
                                 "dominio.com", "sentry.io", "sentry-next.wixpress.com", "wixpress.com"})
PLACEHOLDER_LOCALS = frozenset({"you", "your", "yourname", "name", "username", "user", "email", "someone",
                                "firstname.lastname", "first.last", "firstname", "john.doe", "jane.doe",
                                "correo", "ihre", "votre", "tu", "nombre"})
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

# --- names -------------------------------------------------------------------------------
_BYLINE_CLASS = re.compile(r"byline|author|writer|posted-?by|contributor|reporter|journalist", re.I)
_AUTHOR_HREF = re.compile(r"/(?:author|authors|autor|autoren|auteur|autore|people|staff|profile|profiles|journalist|"
                          r"journalists|contributor|contributors|writer|writers|reporter|reporters)/"
                          r"[^/?#]+/?(?:$|[?#])", re.I)
_ROLE_LINE = re.compile(
    r"\b(Editor(?:-in-Chief)?|Managing Editor|Founder|Co-Founder|Owner|Author|Written by|By|Contact|"
    r"Publisher|Moderator|Administrator)\s*[:\-–]\s*([A-Z][\w'’\-]+(?:\s+(?:[A-Z]\.|[A-Z][\w'’\-]+)){1,2})")
_BYLINE_TEXT = re.compile(r"^(?:by|written by|posted by|words by|story by|von|par|por|door|di|av|af)\s+(.{2,60})$",
                          re.I)
_LABELLED = re.compile(r"^(?:autor(?:in)?|author|auteur|autore|contact|kontakt|ansprechpartner(?:in)?|contacto|"
                       r"redakteur(?:in)?|editor|reporter|by|por|par|von)\s*[:\-–]\s*\S", re.I)
# "2026-06-21 · written by Kelsey Ruiz": a byline at the end of a date line (not a photo credit)
_BYLINE_TAIL = re.compile(r"(?:[·|•,–—]\s*|\s)"
                          r"(?:written by|posted by|words by|by)\s+([A-Z][\w'’\-]+(?:\s+(?:[A-Z]\.|[A-Z][\w'’\-]+)){1,3})"
                          r"\s*$")
_CREDIT = re.compile(r"(?:photo|photos|image|picture|illustration|video|graphic|foto|bild)s?\s*(?:credit\s*)?:?\s*"
                     r"(?:by|von|par|por)\s*$", re.I)
# "I'm Kelsey Ruiz, a Des Moines mom": an about page introducing its author
_SELF_INTRO = re.compile(r"(?:^|[\s,!.])(?:I'm|I’m|I am|My name is|my name is)\s+"
                         r"([A-Z][\w'’\-]+(?:\s+(?:[A-Z]\.|[A-Z][\w'’\-]+)){1,2})(?=[\s,.;!]|$)")
_BY_BEFORE = re.compile(r"(?:^|[\s|·•])(?:by|written by|posted by|words by|story by|von|par|por|door|di|av|af)"
                        r"\s*:?\s*$", re.I)
_SIGN_OFF = re.compile(
    r"(?:^|[\s.!])(?:thanks(?: so much| again)?|thank you|many thanks|cheers|best(?: wishes| regards)?|"
    r"kind regards|warm regards|regards|warmly|sincerely|yours(?: truly)?|all the best|xo|xoxo|love)\s*[,!]?\s+"
    r"([^\W\d_][\w'’\-]*(?:\s+[^\W\d_][\w'’\-]*){0,2})\s*[.!]?\s*$", re.I)
_DASH_SIGN = re.compile(r"(?:^|\s)[—–~]\s*([^\W\d_][\w'’\-]*(?:\s+[^\W\d_][\w'’\-]*){0,2})\s*$")
_NAME_PREFIX = re.compile(
    r"^(?:(?:view|see|show|read|zeige|alle)\s+(?:all\s+|alle\s+|more\s+)?(?:posts|articles|stories|beiträge|artikel)"
    r"\s+(?:by|from|von|de|par)\s+|more\s+(?:from\s+|by\s+)?|(?:written|posted|words|story|photos?|text|reporting|edited)\s+by\s+|"
    r"(?:by|von|vom|par|por|door|di|av|af|author|autor|autorin|auteur|reporter|redakteur(?:in)?)\s*[:\-]?\s+)", re.I)
_HONORIFICS = frozenset("mr mrs ms miss mx dr prof professor sir dame rev herr frau mme mlle sr sra srta dra "
                        "don doña dott ing".split())
_SUFFIXES = frozenset("jr sr ii iii iv phd md mba esq dds rn".split())
_PARTICLES = frozenset("van von der den de del della di da dos das du la le ten ter bin ibn al el y e zu st".split())
_MONTHS = frozenset("january february march april may june july august september october november december jan feb "
                    "mar apr jun jul aug sep sept oct nov dec januar februar märz mai juni juli oktober dezember "
                    "janvier février mars avril juin juillet août septembre octobre novembre décembre enero "
                    "febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split())
#: Words that end a name in a byline ("Steven Shepard Link Copied", "Jakob Ulbrich Follow") or show
#: that the "name" is an organisation, a section or a button ("Follow Author", "National Desk").
_NOT_NAME_WORDS = frozenset("""
follow following followers unfollow link copied copy share print email mail twitter facebook linkedin instagram
updated published posted edited reviewed reading read more view all posts articles article author authors
autor autorin auteur admin administrator editor editors editorial redaktion redacción rédaction team staff desk
news newsroom newsletter press media group agency company inc ltd llc gmbh ag corp co plc university college
school association society foundation institute magazine blog online official developers developer community
club review report daily weekly times post journal kitchen recipes recipe home about contact privacy policy
terms cookies login sign subscribe menu search comments comment reply replies anonymous unknown user guest
contributor contributors writer writers reporter correspondent senior junior chief managing lesedauer minute
minutes min uhr zum newsletter alle beiträge the and und et y of für for with avec con by von par por
""".split())
_NAME_TOKEN = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’\-.])*$")
#: Articles and pronouns: a "name" starting with one is a title or a section ("Ein Rezept", "Our Foreign").
_NOT_FIRST = frozenset("the a an our your my his her their ein eine einer der die das ihre unser unsere le la les "
                       "el los las il lo gli un une una uno des del della mein meine dein new".split())

# --- phones ------------------------------------------------------------------------------
# A date ("02.01.2016", "2016-01-02", "06.10.2017 11:15") or an issue number ("35/2023") that
# libphonenumber would read as a valid German or Swiss number.
_DATE_LIKE = re.compile(r"^\s*(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}|"
                        r"\d{1,3}/(?:19|20)\d{2})(?:\D|$)")
_FAX = re.compile(r"(?:fax|telefax|télécopie)\W{0,3}$|(?:^|\s)F\.?:?\s*$", re.I)
#: Digit runs of a template's sample number, never of a business's.
_PLACEHOLDER_RUNS = ("1234567", "2345678", "3456789", "0000000", "9876543")
#: Country-code TLDs whose country is not the upper-cased TLD.
_TLD_COUNTRY = {"uk": "GB", "su": "RU", "eu": ""}
#: Languages spoken mainly in one country: a last resort for a page's country.
_LANG_COUNTRY = {"de": "DE", "fr": "FR", "it": "IT", "nl": "NL", "pl": "PL", "cs": "CZ", "sk": "SK", "hu": "HU",
                 "ja": "JP", "ko": "KR", "sv": "SE", "da": "DK", "fi": "FI", "nb": "NO", "nn": "NO", "no": "NO",
                 "el": "GR", "tr": "TR", "he": "IL", "uk": "UA", "ro": "RO", "bg": "BG", "hr": "HR", "sl": "SI",
                 "et": "EE", "lv": "LV", "lt": "LT", "is": "IS", "th": "TH", "vi": "VN", "id": "ID"}
_US_STATES = ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
              "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC").split()
_ADDRESS_COUNTRY = (
    ("US", re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*,? (?:" + "|".join(_US_STATES) + r") \d{5}(?:-\d{4})?\b")),
    ("CA", re.compile(r"\b(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT),? [A-CEGHJ-NPR-TVXY]\d[A-CEGHJ-NPR-TV-Z] ?\d"
                      r"[A-CEGHJ-NPR-TV-Z]\d\b")),
    ("GB", re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?) \d[ABD-HJLNP-UW-Z]{2}\b")),
    ("AU", re.compile(r"\b(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT),? \d{4}\b")),
)

_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title", "textarea", "select",
                        "option", "iframe", "object"})
_COMMENT_TOKEN = re.compile(r"^(?:comments?|commentlist|respond|replies|disqus\w*)"
                            r"(?:[-_](?:area|list|section|container|wrapper|wrap|body|content|item|thread|\d+))?$",
                            re.I)
_BLOCK_TAGS = frozenset({"p", "li", "tr", "td", "th", "dd", "dt", "div", "section", "article", "address", "figure",
                         "figcaption", "blockquote", "aside", "footer", "header", "h1", "h2", "h3", "h4", "h5", "h6",
                         "table", "ul", "ol", "dl", "form", "main", "body"})


def strip_invisible(text: str) -> str:
    return (text or "").translate(INVISIBLE)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", strip_invisible(text or "")).strip()


# --- emails ------------------------------------------------------------------------------

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


def valid_email(address: str) -> bool:
    address = strip_invisible(address).strip().lower()
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
    """Addresses written in ONE piece of text: clear or obfuscated. Order of appearance, deduplicated."""
    out: list[str] = []
    text = strip_invisible(htmlmod.unescape(text or ""))
    for m in EMAIL_RE.finditer(text):
        out.append(f"{m.group(1)}@{m.group(2)}".lower())
    if "at" in text.lower() or "@" in text:
        for m in OBFUSCATED_RE.finditer(text):
            whole = m.group(0)
            # "(at)" etc. must be present, or the upper-case words: a plain "at" in prose is not a separator.
            if not re.search(r"[\[\(\{<]\s*at\s*[\]\)\}>]|\sAT\s|\[@\]", whole):
                continue
            if re.search(r"\sAT\s", whole) and not re.search(r"\sDOT\s|[\[\(\{<]\s*dot", whole):
                continue   # "MEET AT HOME.COM" style all-caps prose needs the DOT word too
            out.append(_deobfuscate(m.group(1), m.group(2)))
    return [e for e in dict.fromkeys(e.strip(".") for e in out) if valid_email(e)]


def _cfemail(hexstr: str) -> str:
    """A Cloudflare-protected address (`data-cfemail`): hex bytes XOR-ed with the first byte."""
    try:
        data = bytes.fromhex(hexstr.strip())
    except ValueError:
        return ""
    if len(data) < 4:
        return ""
    return bytes(b ^ data[0] for b in data[1:]).decode("utf-8", "replace").lower()


# --- the DOM, one text node at a time ----------------------------------------------------

class _Dom:
    """Text nodes of a parsed page with their owning element, and which elements sit in comments."""

    def __init__(self, root: Any) -> None:
        self.root = root
        # Sets of the elements themselves, not of id(): lxml hands out proxy objects that die and
        # whose ids get reused, while a proxy held in a set stays the one lxml returns.
        skipped: set[Any] = set()
        comments: set[Any] = set()
        for el in root.iter():
            if not isinstance(el.tag, str) or el in skipped:
                continue
            if el.tag in _SKIP_TAGS:
                skipped.update(el.iter())
            elif el not in comments and el.tag not in ("body", "html") and _is_comment_region(el):
                comments.update(el.iter())
        self.skipped = skipped
        self.comments = comments

    def nodes(self) -> Iterator[tuple[Any, str]]:
        """(element, text) for every visible text node; a tail belongs to its parent element."""
        for el in self.root.iter():
            if isinstance(el.tag, str) and el not in self.skipped and el.text:
                yield el, el.text
            if el.tail:
                parent = el.getparent()
                if parent is not None and parent not in self.skipped:
                    yield parent, el.tail

    def in_comments(self, el: Any) -> bool:
        return el in self.comments


def _is_comment_region(el: Any) -> bool:
    tokens = f"{el.get('class') or ''} {el.get('id') or ''}".split()
    return any(_COMMENT_TOKEN.match(t) for t in tokens)


def _block_of(el: Any, limit: int = 400) -> Any:
    """The smallest block around `el` that could hold a name-and-address card (a list item, a
    table row, a short paragraph or div); None when even the nearest block is long prose."""
    node = el
    while node is not None and isinstance(node.tag, str) and node.tag not in _BLOCK_TAGS:
        node = node.getparent()
    best = None
    for _ in range(4):
        if node is None or not isinstance(node.tag, str) or node.tag in ("body", "html", "main"):
            break
        if len(visible_text(node)) > limit:
            break
        best = node
        if node.tag in ("li", "tr", "address", "figure", "dd"):
            break
        node = node.getparent()
    return best


# --- names -------------------------------------------------------------------------------

def clean_name(text: str) -> str:
    """A person's name out of byline text: prefixes ("By", "Von", "View all posts by"), honorifics,
    and trailing words that are not part of a name ("Follow", "· CBC News", "December") removed."""
    text = _norm(htmlmod.unescape(text or "")).strip(" \t\"'“”‘’«»:;,|")
    if not text:
        return ""
    for _ in range(2):
        text = _NAME_PREFIX.sub("", text).strip()
    # "Richard (R.J.) Eskow", "Angela Liddon (Oh She Glows)": a nickname or the blog's name in brackets
    text = re.sub(r"\s*\([^()]{0,30}\)", " ", text).strip()
    # "Carrie Lindqvist. Story tips welcome": the sentence ends with the name (an initial's dot does not)
    text = re.split(r"(?<=[^\W\d_]{2})\.\s", text)[0]
    # Separators after which bylines add outlets, roles and dates.
    text = re.split(r"\s[·|•/@]\s?|\s[–—-]\s|[,(\[]|\s@|@\s|\bon\s+(?=[A-Z\d])|\bund\b|\band\b|\s&\s", text)[0].strip()
    tokens = text.split()
    out: list[str] = []
    for i, tok in enumerate(tokens):
        low = tok.lower().strip(".:")
        if not out and low in _HONORIFICS:
            continue
        if low in _NOT_NAME_WORDS or low in _MONTHS or any(ch.isdigit() for ch in tok):
            break
        if low in _SUFFIXES and out:
            break
        out.append(tok.strip(",;:"))
    name = " ".join(out).strip(" -")
    if not re.search(r"(?:^|\s)[^\W\d_]\.$", name):
        name = name.rstrip(".")          # a sentence's full stop, not an initial's ("Gutierrez C.")
    if name and name.isupper() and len(name) > 3:
        name = " ".join(w.capitalize() if w.lower() not in _PARTICLES else w.lower() for w in name.split())
    return name


def looks_like_name(text: str, *, single: bool = False) -> bool:
    """Whether `text` is a person's name: 2-4 capitalised words (particles and initials allowed),
    or one capitalised word when `single` (a sign-off, a schema.org Person)."""
    text = _norm(text)
    if not text or len(text) > 40 or any(c in text for c in "@/:#|<>{}=_\\0123456789"):
        return False
    tokens = text.split()
    if not (1 if single else 2) <= len(tokens) <= 4:
        return False
    if text.isupper() and len(tokens) == 1:
        return False
    if tokens[0].lower() in _NOT_FIRST:
        return False
    for i, tok in enumerate(tokens):
        low = tok.lower().strip(".")
        if low in _NOT_NAME_WORDS or low in _MONTHS or low.endswith(("'s", "’s")):
            return False
        if low in _PARTICLES and 0 < i < len(tokens) - 1:
            continue
        if re.fullmatch(r"[^\W\d_]\.?", tok) and 0 < i:
            if not tok[0].isupper():
                return False
            continue                       # a middle initial: "Laura E. Adkins"
        if not _NAME_TOKEN.match(tok) or not tok[0].isupper() or len(tok) > 20 or tok.count("-") > 2:
            return False
        if not text.isupper() and len(tok) >= 2 and tok[1:].isupper() and "-" not in tok and "." not in tok:
            return False                   # "TNN", "CNN", "SEO" inside a mixed-case string
    return True


def split_name(name: str) -> tuple[str, str]:
    """(first, last) of a person's name: honorifics and suffixes dropped, a single name is a first
    name, middle initials stay with the first name and particles ("van", "de la") start the last."""
    tokens = [t for t in _norm(name).replace(",", " ").split()]
    while tokens and tokens[0].lower().strip(".") in _HONORIFICS:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1].lower().strip(".") in _SUFFIXES:
        tokens.pop()
    if not tokens:
        return "", ""
    if len(tokens) == 1:
        return tokens[0], ""
    first = [tokens[0]]
    rest = tokens[1:]
    while len(rest) > 1 and re.fullmatch(r"[^\W\d_]\.?", rest[0]):
        first.append(rest.pop(0))
    return " ".join(first), " ".join(rest)


def _name_candidate(text: str, *, single: bool = False) -> str:
    name = clean_name(text)
    return name if looks_like_name(name, single=single) else ""


def _ld_items(root: Any) -> list[Any]:
    """Every JSON-LD object on the page (parsed leniently; broken blocks are skipped)."""
    out: list[Any] = []
    for s in root.iter("script"):
        if (s.get("type") or "").lower() != "application/ld+json" or not s.text:
            continue
        try:
            out.append(json.loads(s.text.strip()))
        except (ValueError, RecursionError):
            continue
    return out


#: JSON-LD keys under which a Person is someone else than the page's author or contact.
_LD_ELSEWHERE = frozenset({"comment", "comments", "review", "reviews", "mentions", "about", "citation", "subjectOf",
                           "itemReviewed", "actor", "character", "recipeInstructions", "interactionStatistic"})


_LD_COMMENT_TYPES = frozenset({"Comment", "UserComments", "Review", "Answer", "Question", "Rating"})


def _walk_ld(data: Any) -> Iterator[tuple[str, dict]]:
    """(key it hangs under, object) for every JSON-LD object, bounded in depth and count; objects
    under comments, reviews and mentions are left out (their people are not the site's)."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    seen = 0
    while stack and seen < 500:
        key, item, d = stack.pop(0)
        if isinstance(item, list):
            stack.extend((key, x, d + 1) for x in item[:100])
            continue
        if not isinstance(item, dict) or d > 8:
            continue
        seen += 1
        yield key, item
        if _types(item) & _LD_COMMENT_TYPES:
            continue                   # a comment's or review's author is a reader
        for k, v in item.items():
            if isinstance(v, (dict, list)) and k not in _LD_ELSEWHERE:
                stack.append((key if k == "@graph" else k, v, d + 1))


def _types(item: dict) -> set[str]:
    t = item.get("@type")
    types = t if isinstance(t, list) else [t]
    return {str(x).rsplit("/", 1)[-1] for x in types if x}


_ORG_TYPES = frozenset("Organization Corporation NewsMediaOrganization LocalBusiness WebSite Store Restaurant "
                       "ProfessionalService MedicalBusiness Dentist LegalService HomeAndConstructionBusiness "
                       "FoodEstablishment EducationalOrganization NGO Blog".split())


def _is_org(types: set[str]) -> bool:
    return bool(types & _ORG_TYPES) or any(t.endswith(("Business", "Organization", "Store", "Service"))
                                           for t in types)


def _people(root: Any, dom: _Dom, url: str, author_hint: str = "") -> list[tuple[str, str, bool]]:
    """(name, role, shown) of the people the page names as its author(s) or contacts, strongest
    first; `shown` when a byline or author link shows the name on the page (not only metadata)."""
    found: list[tuple[int, int, str, str, bool]] = []
    main = _main_element(root)

    def add(raw: str, role: str, *, single: bool = False, shown: bool = False, el: Any = None) -> None:
        name = _name_candidate(raw, single=single)
        if name:
            # Structured data first, then bylines in the article itself, then <meta>, then bylines
            # elsewhere (related-article lists, sidebars) — found order within each.
            rank = 2 if not shown else 1 if el is None or main is None or _inside(el, main) else 3
            if not shown and role != "author-meta":
                rank = 0
            found.append((rank, len(found), name, "author" if role == "author-meta" else role, shown))

    # 1. schema.org Person in JSON-LD: authors, and Person objects standing on their own.
    for data in _ld_items(root):
        for key, item in _walk_ld(data):
            types = _types(item)
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if "Person" in types and key in ("", "author", "creator", "editor", "founder", "employee",
                                              "member", "contactPoint", "accountablePerson"):
                add(name, "author" if key in ("", "author", "creator") else key.lower(), single=True)
            elif key == "author" and not types:
                add(name, "author")
    # 2. microdata: itemprop=author (its name, or its text) and Person items.
    for el in root.iter():
        if not isinstance(el.tag, str) or dom.in_comments(el) or el in dom.skipped:
            continue
        prop = (el.get("itemprop") or "").split()
        itemtype = el.get("itemtype") or ""
        if ("author" in prop or (el.get("itemscope") is not None and itemtype.rstrip("/").endswith("Person"))) \
                and not _in_item_of(el, ("Comment", "Review", "Answer", "Question")):
            names = [n for n in el.iter() if isinstance(n.tag, str) and "name" in (n.get("itemprop") or "").split()]
            if names:
                add(names[0].get("content") or visible_text(names[0]), "author", single=True)
            elif "author" in prop:
                add(el.get("content") or visible_text(el), "author")
    # 3. author links: rel=author, links to an /author/ page.
    for a in root.iter("a"):
        if dom.in_comments(a):
            continue
        rel = (a.get("rel") or "").lower().split()
        href = a.get("href") or ""
        if "author" in rel or _AUTHOR_HREF.search(href):
            add(visible_text(a), "author", shown=True, el=a)
    # 3b. "By <a>Jane Doe</a>": a name element right after the word "By" (in any of its languages).
    for el in root.iter("a", "span", "strong", "b", "em", "cite"):
        if dom.in_comments(el) or el in dom.skipped:
            continue
        prev = el.getprevious()
        before = (prev.tail if prev is not None else (el.getparent().text if el.getparent() is not None else ""))
        if before and _BY_BEFORE.search(strip_invisible(before)):
            add(visible_text(el), "author", shown=True, el=el)
    # 4. <meta name=author> and friends.
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or "").lower()
        content = m.get("content") or ""
        if key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl") \
                and not content.startswith("http"):
            for part in re.split(r";|\band\b|&|,(?=\s*[A-Z])", content)[:3]:
                add(part, "author-meta")
    # 5. the TEXT of byline/author elements, and "By Jane Doe" text nodes.
    for el, text in dom.nodes():
        if dom.in_comments(el):
            continue
        short = _norm(text)
        if not short:
            continue
        if len(short) > 90:
            m = _SELF_INTRO.search(short[:300])
            if m and not dom.in_comments(el):
                add(m.group(1), "owner", shown=True, el=el)
            continue
        holder = el
        in_byline = False
        for _ in range(3):
            if holder is None or not isinstance(holder.tag, str) or holder.tag in ("body", "html", "article",
                                                                                    "main"):
                break
            if _BYLINE_CLASS.search(f"{holder.get('class') or ''} {holder.get('id') or ''}"):
                in_byline = True
                break
            holder = holder.getparent()
        if in_byline:
            add(short, "author", shown=True, el=el)
        m = _BYLINE_TEXT.match(short) or _BYLINE_TAIL.search(short)
        if m and not _CREDIT.search(short[:m.start(1)]):
            add(m.group(1), "author", shown=True, el=el)
        m = _SELF_INTRO.search(short) if "I" in short or "name" in short else None
        if m:
            add(m.group(1), "owner", shown=True, el=el)
        for rm in _ROLE_LINE.finditer(short):
            role = rm.group(1).lower()
            add(rm.group(2), "author" if role in ("by", "written by", "author") else role, shown=True, el=el)
    if author_hint:
        for part in re.split(r";|\band\b", author_hint)[:3]:
            add(part, "author-meta")
    # One entry per name, the strongest role first; a name repeated in the same role counts once.
    out: dict[str, tuple[str, str, bool]] = {}
    for _rank, _order, name, role, shown in sorted(found):
        key = name.lower()
        if key not in out:
            out[key] = (name, role, shown)
        elif shown:
            out[key] = (out[key][0], out[key][1], True)
    return list(out.values())[:20]


def _main_element(root: Any) -> Any:
    """The page's main content: <article>, <main>, [role=main], else the block around the first <h1>."""
    for el in root.iter("article", "main"):
        return el
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("role") == "main":
            return el
    # The article's own heading is the longest <h1> (a logo can be an <h1> too).
    h1 = max(root.iter("h1"), key=lambda h: len(h.text_content() or ""), default=None)
    return h1.getparent() if h1 is not None else None


def _inside(el: Any, container: Any) -> bool:
    return el is container or any(a is container for a in el.iterancestors())


def _in_item_of(el: Any, types: tuple[str, ...]) -> bool:
    """Whether `el` sits inside a microdata item of one of `types` (a comment's author is not ours)."""
    for anc in el.iterancestors():
        itemtype = anc.get("itemtype") if isinstance(anc.tag, str) else None
        if itemtype and itemtype.rstrip("/").rsplit("/", 1)[-1] in types:
            return True
    return False


def _name_matches_email(name: str, address: str) -> bool:
    """Whether an address's local part is made of the name ("jane.doe@", "jdoe@", "doe@", "jane@")."""
    local = re.sub(r"[^a-z]", "", address.split("@", 1)[0].lower())
    parts = [re.sub(r"[^a-z]", "", p) for p in _ascii(name).lower().split()]
    parts = [p for p in parts if len(p) >= 2 and p not in _PARTICLES]
    if not local or not parts:
        return False
    first, last = parts[0], parts[-1]
    if any(len(p) >= 4 and p == local for p in parts):
        return True                    # "perera@" for Alina Perera Robbio
    return local in (first, last, first + last, last + first, first[0] + last, first + last[0],
                     first[0] + last[0], first[0] + "".join(p[0] for p in parts[1:])) or (
        len(last) >= 4 and last in local) or (len(first) >= 4 and local.startswith(first))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _ascii(text).lower())


def _is_org_name(name: str, company: str) -> bool:
    """Whether a "person" only named in metadata is the site itself ("Minimalist Baker" as the
    schema.org Person of Minimalist Baker). A one-person site named exactly after its author
    loses the name here unless a byline shows it."""
    sq, comp = _squash(name), _squash(company)
    return bool(sq and comp) and sq == comp


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _nearby_name(dom: _Dom, el: Any, skip_text: str, address: str, company: str = "") -> str:
    """A name written in the same small block as an address: a sign-off ("— Noor"), a name the
    address is made of ("Jane Miller … jmiller@"), or the name heading a card (a list item, table
    row or address block whose first words are the name). Street, section and button labels next
    to an inbox ("Am Delft", "Side Dishes") are none of these."""
    item = _person_item(el)
    if item is not None:                              # the address sits in a schema.org Person
        names = [n for n in item.iter() if isinstance(n.tag, str) and "name" in (n.get("itemprop") or "").split()]
        name = _name_candidate(names[0].get("content") or visible_text(names[0]), single=True) if names else ""
        if name:
            return name
    block = _block_of(el)
    if block is None:
        return ""
    card = block.tag in ("li", "tr", "dd", "address", "figure") or len(visible_text(block)) <= 200
    first_name_like = True
    for node, text in _block_nodes(dom, block):
        t = _norm(text)
        if not t or t == skip_text or "@" in t:
            continue
        name = _sign_off(t)
        if name:
            return name
        name = _name_candidate(t) if len(t) <= 60 else ""
        if not name or len(t) > len(name) + 30:
            continue
        head, first_name_like = first_name_like, False
        if _is_place(name) or (company and _is_org_name(name, company)):
            if head:
                break                  # the card is headed by a place or the firm: nobody is named
            continue
        labelled = bool(_LABELLED.match(t))          # "Autor: Yaima Puig Meneses | internet@…"
        if _name_matches_email(name, address) or labelled or (card and head):
            return name
    return ""


def _person_item(el: Any) -> Any:
    """The schema.org Person microdata item `el` sits in, if any."""
    for anc in el.iterancestors():
        if isinstance(anc.tag, str) and anc.get("itemscope") is not None:
            return anc if (anc.get("itemtype") or "").rstrip("/").endswith("Person") else None
    return None


def _is_place(name: str) -> bool:
    """Whether a two-word "name" is a town in the offline gazetteer ("New York", "Des Moines")."""
    try:
        from discover.rank.geo import gazetteer

        return name.lower() in gazetteer().by_name
    except Exception:  # noqa: BLE001 - no gazetteer: no veto
        return False


def _sign_off(text: str) -> str:
    """The name a message is signed with ("— Noor", "Thanks, Noor Hassan"), or ""."""
    text = _norm(text)
    for rx in (_DASH_SIGN, _SIGN_OFF):
        m = rx.search(text)
        if m:
            name = _name_candidate(m.group(1), single=True)
            if name:
                return name
    return ""


def _signed_after(dom: _Dom, el: Any) -> str:
    """A sign-off in the one or two short blocks right after the address's block ("Thanks, Noor")."""
    node = el
    while node is not None and isinstance(node.tag, str) and node.tag not in _BLOCK_TAGS:
        node = node.getparent()
    if node is None or node.tag in ("body", "html"):
        return ""
    for sib in list(node.itersiblings())[:2]:
        if not isinstance(sib.tag, str) or sib in dom.skipped:
            continue
        text = visible_text(sib)
        if len(text) > 120:
            break
        name = _sign_off(text)
        if name:
            return name
    return ""


def _block_nodes(dom: _Dom, block: Any) -> Iterator[tuple[Any, str]]:
    for el in block.iter():
        if isinstance(el.tag, str) and el not in dom.skipped and el.text:
            yield el, el.text
        if el.tail and el is not block:
            yield el.getparent(), el.tail


# --- phones ------------------------------------------------------------------------------

def page_country(root: Any, url: str, default: str = "", *, text: str = "") -> str:
    """The ISO country whose phone numbering a page uses: its ccTLD, else a schema.org or postal
    address on the page, else `default` (the run's --geo country), else its language."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if len(tld) == 2 and tld.isalpha():
        cc = _TLD_COUNTRY.get(tld, tld.upper())
        if cc:
            return cc
    for data in _ld_items(root):
        for _key, item in _walk_ld(data):
            country = item.get("addressCountry")
            if isinstance(country, dict):
                country = country.get("name") or country.get("identifier")
            if isinstance(country, str) and len(country.strip()) == 2 and country.strip().isalpha():
                return country.strip().upper()
    for el in root.iter():
        if isinstance(el.tag, str) and "addressCountry" in (el.get("itemprop") or ""):
            value = (el.get("content") or el.text_content() or "").strip()
            if len(value) == 2 and value.isalpha():
                return value.upper()
    sample = text[:200_000]
    for cc, rx in _ADDRESS_COUNTRY:
        if rx.search(sample):
            return cc
    if default:
        return default.upper()
    lang = (root.get("lang") or root.get("xml:lang") or "").replace("_", "-").split("-")
    if len(lang) > 1 and len(lang[1]) == 2 and lang[1].isalpha():
        return lang[1].upper()
    return _LANG_COUNTRY.get(lang[0].lower(), "") if lang and lang[0] else ""


def _country_of_numbers(text: str) -> str:
    """The country of the international numbers a page writes (+49 …) when nothing else says where
    it is: a page that gives one number with its country code writes the others in that country."""
    import phonenumbers

    found = [phonenumbers.region_code_for_number(m.number)
             for m in phonenumbers.PhoneNumberMatcher(text[:200_000], "ZZ", leniency=phonenumbers.Leniency.VALID,
                                                       max_tries=50)]
    regions: list[str] = [r for r in found if r and r != "001"]
    return max(set(regions), key=regions.count) if regions else ""


def normalise_phone(raw: str, country: str = "", *, fallback: Iterable[str] = ()) -> str:
    """`raw` as E.164 ("+441134960000") when it is a valid number read in `country` (or in one
    of the `fallback` countries, or written with its own +country code); else ""."""
    import phonenumbers

    raw = strip_invisible(unquote(raw)).strip()
    raw = re.sub(r"^(?:tel|callto|phone):", "", raw, flags=re.I).split(";", 1)[0].split("?", 1)[0].strip()
    raw = raw.lstrip("/")
    if not raw or not re.search(r"\d{3}", raw) or len(raw) > 40:
        return ""
    for region in dict.fromkeys([country.upper() if country else None, *[f.upper() for f in fallback if f]]):
        try:
            num = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return ""


def phones_in_text(text: str, country: str, before: str = "") -> list[str]:
    """Valid phone numbers written in ONE piece of text, in E.164; dates, fax numbers and theme
    placeholders ("+44 1234 567 890") left out. `before` is the text just ahead of this piece
    (a "Fax:" label in its own element), read for labels only, never for digits."""
    import phonenumbers

    text = strip_invisible(text or "")
    if sum(c.isdigit() for c in text) < 6:
        return []
    out = []
    try:
        matcher = phonenumbers.PhoneNumberMatcher(text, country.upper() if country else "ZZ",
                                                  leniency=phonenumbers.Leniency.VALID, max_tries=200)
        for m in matcher:
            label = (before[-16:] + " " if m.start < 3 else "") + text[max(0, m.start - 16):m.start]
            if _DATE_LIKE.match(m.raw_string) or _FAX.search(label) or re.match(r":\d", text[m.end:m.end + 2]) \
                    or re.search(r"\d[.,]$", text[max(0, m.start - 2):m.start]):
                continue               # a date, a fax, a time, or the decimals of "53.364813"
            national = str(m.number.national_number)
            if any(run in national for run in _PLACEHOLDER_RUNS):
                continue
            out.append(phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
    except Exception:  # noqa: BLE001 - libphonenumber on hostile text must not sink the page
        return out
    return list(dict.fromkeys(out))


# --- the company ---------------------------------------------------------------------------

_PAGE_WORDS = frozenset("home homepage start startseite accueil inicio about about us contact contact us links blog "
                        "news archive archives search login impressum imprint kontakt privacy policy".split())
_TITLE_SEP = re.compile(r"\s+(?:\||–|—|-|::|·|»|:)\s+")


def company_name(root: Any, url: str, title: str = "", hint: str = "") -> str:
    """The site's name — og:site_name, schema.org Organization/WebSite name, application-name, the
    site part of the title — never the bare domain; "" when the page does not say."""
    from discover.domains import registrable_domain

    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    domain = registrable_domain(url) or host

    def bare_domain(name: str) -> bool:
        if name != name.lower():
            return False               # "Radio-Canada.ca", "IrishCentral.com": how the site writes its name
        low = name.lower().strip().removeprefix("www.").rstrip("/")
        return low in (host, domain) or low.removeprefix("https://").removeprefix("http://").rstrip("/") in (
            host, domain, "www." + domain)

    def ok(name: Any) -> str:
        name = _norm(htmlmod.unescape(name)) if isinstance(name, str) else ""
        return name if name and len(name) <= 80 and not bare_domain(name) and not name.startswith("http") else ""

    for m in root.iter("meta"):
        if (m.get("property") or m.get("name") or "").lower() == "og:site_name" and ok(m.get("content")):
            return ok(m.get("content"))
    # schema.org: the WebSite, the publisher, or an organisation whose url is this site — a
    # directory page also describes the business it lists, which is not the site.
    website_name = publisher = own_org = ""
    for data in _ld_items(root):
        for key, item in _walk_ld(data):
            types = _types(item)
            name = ok(item.get("name"))
            if not name or not _is_org(types) or key not in ("", "publisher", "isPartOf", "provider",
                                                             "sourceOrganization"):
                continue
            if "WebSite" in types:
                website_name = website_name or name
            elif key == "publisher":
                publisher = publisher or name
            elif isinstance(item.get("url"), str) and registrable_domain(item["url"]) == domain:
                own_org = own_org or name
    if website_name or publisher or own_org:
        return website_name or publisher or own_org
    for m in root.iter("meta"):
        if (m.get("name") or "").lower() in ("application-name", "apple-mobile-web-app-title") and ok(m.get("content")):
            return ok(m.get("content"))
    if title:
        parts = [p.strip() for p in _TITLE_SEP.split(_norm(title)) if p.strip()]
        label = _squash(domain.split(".")[0])
        for p in (parts[-1], parts[0]) if len(parts) > 1 else ():
            squashed = _squash(p)
            if label and len(squashed) >= 3 and (label in squashed or squashed in label) and ok(p):
                return ok(p)
        if len(parts) > 1:
            # "Page – Site" is the common order; a page word ("About", "Links") is not the site.
            p = parts[0] if parts[-1].lower() in _PAGE_WORDS else parts[-1]
            if len(p.split()) <= 4 and (p[0].isupper() or p[0].isdigit()) and p.lower() not in _PAGE_WORDS and ok(p):
                return ok(p)
        elif urlsplit(url).path in ("", "/") and len(parts) == 1 and len(parts[0].split()) <= 4 and ok(parts[0]):
            return ok(parts[0])            # a home page's whole title is usually the site's name
    # trafilatura's guess, when the title or the domain backs it up
    squashed_hint = _squash(hint)
    if squashed_hint and (squashed_hint in _squash(title) or squashed_hint in _squash(domain)):
        return ok(hint)
    return ""


# --- all routes on one page ----------------------------------------------------------------

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


def find_contacts(html: str, url: str, text: str = "", *, root: Any = None, author: str = "",
                  country: str = "", company: str | None = None) -> list[Contact]:
    """Every contact route on one page, deduplicated; `root` is an lxml tree when the caller has
    one; `country` is the page's country for phone numbers (see `page_country`); `company` the
    site's name (see `company_name`), so that the site itself is not taken for a person."""
    if root is None:
        root = load_html(html)
    if not text:
        body = root.find(".//body")
        text = visible_text(body if body is not None else root)
    if not country:
        country = page_country(root, url, text=text) or _country_of_numbers(text)
    dom = _Dom(root)
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

    if company is None:
        title_el = root.find(".//title")
        company = company_name(root, url, _norm(title_el.text_content()) if title_el is not None else "")
    people = [(n, r) for n, r, shown in _people(root, dom, url, author) if shown or not _is_org_name(n, company)]

    def person_for(address: str, el: Any, node_text: str) -> str:
        near = (_sign_off(node_text.split(address, 1)[-1]) or _nearby_name(dom, el, node_text, address, company)
                or _signed_after(dom, el)) if el is not None else ""
        if near:
            return near
        for name, _role in people:
            if _name_matches_email(name, address):
                return name
        return ""

    # mailto links first: their link text can name the person behind the address.
    for a in root.iter("a"):
        href = strip_invisible(a.get("href") or "").strip()
        if not href:
            continue
        low = href.lower()
        if low.startswith("mailto:"):
            if dom.in_comments(a):
                continue
            raw = strip_invisible(htmlmod.unescape(unquote(href[7:].split("?", 1)[0]))).strip()
            label_text = _norm(visible_text(a))
            for addr in raw.split(","):
                addr = addr.strip().lower()
                if valid_email(addr):
                    name = _name_candidate(label_text) or person_for(addr, a, label_text)
                    add(Contact("email", addr, email_label(addr, label_text), url, name))
            continue
        if low.startswith(("tel:", "callto:")):
            number = normalise_phone(href, country)
            if number and not dom.in_comments(a):
                add(Contact("phone", number, "tel", url))
            continue
        if low.startswith("/cdn-cgi/l/email-protection#"):
            addr = _cfemail(href.split("#", 1)[1])
            if valid_email(addr):
                add(Contact("email", addr, email_label(addr), url, person_for(addr, a, "")))
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
            anchor = _norm(visible_text(a))[:80]
            path = urlsplit(target).path.lower()
            if (CONTACT_PAGE_RE.search(path) or (anchor and CONTACT_PAGE_RE.search(anchor) and len(anchor) < 40)) \
                    and not re.search(r"\.(pdf|jpe?g|png|zip)$", path) and "wp-login" not in path:
                add(Contact("page", target.split("#", 1)[0], anchor.lower() or path, url))

    # Addresses in attributes: Cloudflare's data-cfemail, data-* and labels, one attribute at a time.
    for el in root.iter():
        if not isinstance(el.tag, str) or dom.in_comments(el):
            continue
        for key, value in el.attrib.items():
            if key == "data-cfemail":
                addrs = [_cfemail(value)]
            elif key.startswith("data-") or key in ("title", "aria-label") or (
                    key == "content" and "email" in (el.get("itemprop") or "")):
                if "@" not in value and " at " not in value.lower() and "(at)" not in value.lower():
                    continue
                addrs = emails_in_text(value)
            else:
                continue
            for addr in addrs:
                if valid_email(addr):
                    add(Contact("email", addr, email_label(addr), url, person_for(addr, el, "")))

    # Addresses and numbers written in text: each text node on its own.
    previous = ""
    for el, node in dom.nodes():
        if dom.in_comments(el):
            continue
        clean = strip_invisible(node)
        if "@" in clean or "at" in clean.lower():
            for addr in emails_in_text(clean):
                add(Contact("email", addr, email_label(addr), url, person_for(addr, el, _norm(clean))))
        if sum(ch.isdigit() for ch in clean) >= 6:
            for number in phones_in_text(clean, country, before=previous):
                add(Contact("phone", number, "text", url))
        if clean.strip():
            previous = clean.strip()

    # schema.org telephone / email of the page's organisation.
    for data in _ld_items(root):
        for _key, item in _walk_ld(data):
            tel = item.get("telephone")
            for t in (tel if isinstance(tel, list) else [tel]):
                if isinstance(t, str):
                    number = normalise_phone(t, country)
                    if number:
                        add(Contact("phone", number, "schema", url))
            mail = item.get("email")
            if isinstance(mail, str):
                addr = mail.lower().removeprefix("mailto:").strip()
                if valid_email(addr):
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

    # Named people: authors first, then the people named next to an address.
    for name, role in people:
        add(Contact("person", name, role, url, name))
    for c in list(out.values()):
        if c.kind == "email" and c.name and ("person", c.name.lower()) not in out:
            add(Contact("person", c.name, "contact", url, c.name))
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


def best_phone(contacts: Iterable[Contact]) -> Contact | None:
    """A number the site links (`tel:`) or declares (schema.org) before one only written in text."""
    phones = [c for c in contacts if c.kind == "phone"]
    order = {"tel": 0, "schema": 1, "text": 2}
    return min(phones, key=lambda c: order.get(c.label, 3)) if phones else None


def contact_person(contacts: Iterable[Contact], email: Contact | None = None) -> str:
    """The person to write to: the one named next to the chosen address, else a named person whose
    name the address is made of, else — for a generic inbox or no address — the page's author."""
    contacts = list(contacts)
    if email is not None and email.name:
        return email.name
    people = [c for c in contacts if c.kind == "person"]
    if email is not None:
        for p in people:
            if _name_matches_email(p.value, email.value):
                return p.value
        if email.label == "person":
            return ""          # someone's own address, and we do not know whose: no guess
    authors = [p for p in people if p.label in ("author", "editor", "editor-in-chief", "managing editor",
                                                "founder", "owner", "publisher")]
    return authors[0].value if authors else ""


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
                merge(find_contacts(res.html, res.final_url or res.url, country=extraction.country))
    contacts = list(merged.values())
    # A named person's address first, then other emails, then the rest in their found order.
    best = best_email(contacts)
    contacts.sort(key=lambda c: (c is not best, c.kind != "email", c.label != "person"))
    return contacts
