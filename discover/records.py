"""Typed records passed between pipeline stages.

    plan    → Query
    search  → SerpResult, QueryOutcome
    fetch   → FetchResult
    extract → Extraction (Link, Contact)
    classify→ Classification
    linkcheck → LinkCheck ;  quality → SiteQuality
    score   → Score
    pipeline→ Prospect (everything above for one page, ready for the store and exporters)

Records are plain dataclasses so they serialise with `as_dict` and compare by value.
Stages may add optional fields (with defaults) at the end; never rename one (JSON output
field names are a public interface).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

# Closed sets are StrEnums: a member IS its string value, so it compares equal to the plain
# strings read back from JSON, CSV or the database, hashes like them, and serialises as them
# (json.dumps, csv, f-strings and str() all write the value: output stays byte-identical).


class ProspectType(StrEnum):
    FORUM = "forum"
    DIRECTORY = "directory"
    HARO = "haro"                 # a journalist query
    RESOURCE = "resource"
    GUEST_POST = "guest_post"
    BLOG = "blog"
    NEWS = "news"
    SPAM = "spam"
    OTHER = "other"


PROSPECT_TYPES: tuple[ProspectType, ...] = tuple(ProspectType)
#: Types a user can ask for (spam and other are never wanted).
WANTED_TYPES: tuple[ProspectType, ...] = tuple(t for t in ProspectType
                                               if t not in (ProspectType.SPAM, ProspectType.OTHER))


class SearchOutcome(StrEnum):
    """Outcome of one query on one engine."""

    OK = "ok"
    NO_RESULTS = "no_results"
    BLOCKED = "blocked"
    OPERATOR_IGNORED = "operator_ignored"
    ERROR = "error"


QUERY_OUTCOMES: tuple[SearchOutcome, ...] = tuple(SearchOutcome)


class FetchOutcome(StrEnum):
    """Outcome of fetching one URL."""

    OK = "ok"
    NOT_FOUND = "not_found"
    GONE = "gone"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    DNS_ERROR = "dns_error"
    TOO_LARGE = "too_large"
    NOT_HTML = "not_html"
    ROBOTS_DISALLOWED = "robots_disallowed"
    JS_EMPTY = "js_empty"
    ERROR = "error"
    BLOCKED_INTERNAL = "blocked_internal"   # the URL, a redirect or the address its name resolves to is internal


FETCH_OUTCOMES: tuple[FetchOutcome, ...] = tuple(FetchOutcome)


class LinkClass(StrEnum):
    """Class of one checked link."""

    OK = "ok"
    BROKEN = "broken"
    REDIRECT = "redirect"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    SOFT_404 = "soft_404"
    PARKED = "parked"
    UNKNOWN = "unknown"
    ROBOTS_DISALLOWED = "robots_disallowed"  # robots.txt disallows checking it: not requested
    BLOCKED_INTERNAL = "blocked_internal"    # points at an internal address: not requested


LINK_CLASSES: tuple[LinkClass, ...] = tuple(LinkClass)
#: Classes that make a link a broken-link prospect (the page it pointed to is gone).
DEAD_LINK_CLASSES = frozenset({LinkClass.BROKEN, LinkClass.SOFT_404, LinkClass.PARKED})


class GeoTier(StrEnum):
    SAME_CITY = "same_city"
    NEARBY = "nearby"
    SAME_REGION = "same_region"
    SAME_COUNTRY = "same_country"
    ELSEWHERE = "elsewhere"
    UNKNOWN = "unknown"


GEO_TIERS: tuple[GeoTier, ...] = tuple(GeoTier)


class LedgerStatus(StrEnum):
    """A site's status in the outreach ledger: its latest event, or what the suppression list says."""

    CONTACTED = "contacted"
    FOLLOWED_UP = "followed_up"
    REPLIED = "replied"
    WON = "won"
    LOST = "lost"
    DO_NOT_CONTACT = "do_not_contact"
    APPROVED = "approved"                 # reviewed: worth contacting
    REJECTED = "rejected"                 # reviewed: not a prospect
    EMAIL_SUPPRESSED = "email_suppressed"  # derived: one address of the site is suppressed


#: Statuses a person records with `outreach mark` (email_suppressed comes from the suppression list).
MARKABLE_STATUSES: tuple[LedgerStatus, ...] = tuple(s for s in LedgerStatus if s is not LedgerStatus.EMAIL_SUPPRESSED)
#: Statuses that mean a message was sent to the site.
CONTACTED_STATUSES = frozenset({LedgerStatus.CONTACTED, LedgerStatus.FOLLOWED_UP, LedgerStatus.REPLIED,
                                LedgerStatus.WON, LedgerStatus.LOST})

#: How a page was read.
FetchPath = Literal["static", "browser", "cache"]
#: Kinds of contact route.
ContactKind = Literal["email", "phone", "form", "page", "social", "person"]


def as_dict(record: Any) -> dict[str, Any]:
    return dataclasses.asdict(record)


@dataclass(frozen=True)
class Query:
    """One search to run: the text as the user would type it, with operators."""

    text: str
    prospect_type: str            # the type this footprint hunts for ("forum", "local", ...) or "seed"
    footprint: str = ""           # the footprint id from the footprint library
    keyword: str = ""
    geo: str = ""
    round: int = 1                # 1 = planned from the keyword, 2 = from mined expansion terms
    notes: tuple[str, ...] = ()   # e.g. "intitle: dropped: unsupported by bing"


@dataclass(frozen=True)
class SerpResult:
    url: str
    title: str = ""
    snippet: str = ""
    rank: int = 0
    engine: str = ""
    query: str = ""
    page: int = 1
    date: str = ""                # the page's date as the engine shows it ("4 days ago", "Jun 3, 2024")


@dataclass
class QueryOutcome:
    query: Query
    engine: str
    outcome: SearchOutcome
    results: list[SerpResult] = field(default_factory=list)
    reason: str = ""
    pages_read: int = 0
    cached: bool = False
    elapsed_s: float = 0.0


@dataclass
class FetchResult:
    url: str                      # as requested
    final_url: str = ""           # after redirects
    outcome: FetchOutcome = FetchOutcome.ERROR
    status: int | None = None
    content_type: str = ""
    html: str = ""
    encoding: str = ""
    redirects: list[str] = field(default_factory=list)
    path: FetchPath = "static"
    reason: str = ""
    elapsed_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    attempts: int = 1             # tries it took (transient failures are tried again)


@dataclass(frozen=True)
class Link:
    url: str
    anchor: str = ""
    rel: tuple[str, ...] = ()     # nofollow / ugc / sponsored ...
    position: str = "content"     # content | navigation | sidebar | footer | comments | header
    internal: bool = False
    context: str = ""             # the surrounding sentence


@dataclass(frozen=True)
class Contact:
    kind: ContactKind
    value: str                    # the address, E.164 number, URL or name
    label: str = ""               # "person" | "generic" for emails; network name for social;
                                  # "tel" | "schema" | "text" for phones; the role for people
    source_url: str = ""
    name: str = ""                # a person's name when known


@dataclass
class Extraction:
    url: str
    title: str = ""
    text: str = ""                # main text (boilerplate removed)
    full_text: str = ""           # all visible text
    author: str = ""
    date: str = ""
    language: str = ""
    site_name: str = ""
    description: str = ""
    links: list[Link] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    forum_last_post: str = ""
    forum_posts: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)   # noindex, viewport, canonical, hreflang, schema ...
    country: str = ""             # ISO country the page's phone numbers are read in ("" = unknown)


@dataclass
class Classification:
    type: ProspectType
    confidence: float = 0.0       # calibrated probability of `type`
    evidence: list[str] = field(default_factory=list)
    # The top two types are close: evidence shows both, and the score does not bet on one.
    uncertain: bool = False
    runner_up: str = ""           # the second most likely type
    probabilities: dict[str, float] = field(default_factory=dict)   # type → calibrated probability


@dataclass
class LinkCheck:
    page: str
    url: str
    cls: LinkClass                # JSON name: "class"
    status: int | None = None
    chain: list[dict[str, Any]] = field(default_factory=list)   # [{"url":..., "status":...}, ...]
    final_url: str = ""
    anchor: str = ""
    context: str = ""
    reason: str = ""
    wayback: str = ""

    def to_json(self) -> dict[str, Any]:
        d = as_dict(self)
        d["class"] = d.pop("cls")
        return d


@dataclass
class SiteQuality:
    domain: str
    score: float                  # 0..1
    spam: bool = False
    signals: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    authority: float = 0.0


@dataclass
class Score:
    total: float
    relevance: float = 0.0
    geo: float = 0.0
    type_fit: float = 0.0
    quality: float = 0.0
    geo_tier: GeoTier = GeoTier.UNKNOWN
    geo_place: str = ""
    geo_distance_km: float | None = None
    top_terms: list[tuple[str, float]] = field(default_factory=list)
    explanation: str = ""


@dataclass
class Prospect:
    url: str
    domain: str
    type: ProspectType
    score: float
    title: str = ""
    relevance: float = 0.0
    geo_tier: GeoTier = GeoTier.UNKNOWN
    quality: float = 0.0
    why: str = ""
    email: str = ""
    email_kind: str = ""          # person | generic
    contact_page: str = ""
    social: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    pitch: str = ""
    found_by: list[str] = field(default_factory=list)   # "engine: query"
    other_urls: list[str] = field(default_factory=list)
    explanation: dict[str, Any] = field(default_factory=dict)
    niche: str = ""
    geo: str = ""
    spam: bool = False
    deadline: str = ""            # haro queries
    ledger_status: LedgerStatus | Literal[""] = ""   # the site's ledger status, "" when not in the ledger
    type_uncertain: bool = False  # the classifier could not tell `type` from its runner-up
    phone: str = ""               # the site's phone number, E.164 ("+441134960000")
    contact_name: str = ""        # the person to write to, as the page names them
    first_name: str = ""
    last_name: str = ""
    company: str = ""             # the site's name (og:site_name, schema.org, title), never the bare domain

    def to_json(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass
class Candidate:
    """A fetched, extracted and classified page waiting to be scored (the score stage's input)."""

    url: str
    domain: str
    extraction: Extraction
    classification: Classification
    html: str = ""
    quality: SiteQuality | None = None
    found_by_types: tuple[str, ...] = ()     # prospect types of the footprints that found it
    found_by: tuple[str, ...] = ()           # "engine: query" strings
    link_checks: list[LinkCheck] = field(default_factory=list)


@dataclass
class FusedResult:
    """One URL found by one or more (engine, query) searches, merged by reciprocal-rank fusion."""

    url: str
    title: str = ""
    snippet: str = ""
    score: float = 0.0
    found_by: list[tuple[str, str, int]] = field(default_factory=list)   # (engine, query text, rank)
    types: tuple[str, ...] = ()          # prospect types of the queries that found it
    footprints: tuple[str, ...] = ()     # footprint ids of those queries
