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
from typing import Any, Literal

PROSPECT_TYPES: tuple[str, ...] = (
    "forum", "directory", "haro", "resource", "guest_post", "blog", "news", "spam", "other",
)

#: Outcome of one query on one engine.
QUERY_OUTCOMES: tuple[str, ...] = ("ok", "no_results", "blocked", "operator_ignored", "error")

#: Outcome of fetching one URL.
FETCH_OUTCOMES: tuple[str, ...] = (
    "ok", "not_found", "gone", "blocked", "timeout", "dns_error", "too_large", "not_html",
    "robots_disallowed", "js_empty", "error",
)

#: Class of one checked link.
LINK_CLASSES: tuple[str, ...] = (
    "ok", "broken", "redirect", "redirect_loop", "too_many_redirects", "soft_404", "parked", "unknown",
)

GEO_TIERS: tuple[str, ...] = ("same_city", "nearby", "same_region", "same_country", "elsewhere", "unknown")


def as_dict(record: Any) -> dict[str, Any]:
    return dataclasses.asdict(record)


@dataclass(frozen=True)
class Query:
    """One search to run: the text as the user would type it, with operators."""

    text: str
    prospect_type: str            # the type this footprint hunts for ("forum", ...) or "seed"
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
    outcome: str                  # one of QUERY_OUTCOMES
    results: list[SerpResult] = field(default_factory=list)
    reason: str = ""
    pages_read: int = 0
    cached: bool = False
    elapsed_s: float = 0.0


@dataclass
class FetchResult:
    url: str                      # as requested
    final_url: str = ""           # after redirects
    outcome: str = "error"        # one of FETCH_OUTCOMES
    status: int | None = None
    content_type: str = ""
    html: str = ""
    encoding: str = ""
    redirects: list[str] = field(default_factory=list)
    path: str = "static"          # "static" | "browser" | "cache"
    reason: str = ""
    elapsed_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    screenshot: bytes = b""       # a JPEG thumbnail of the rendered page (settings.screenshots)


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
    kind: str                     # email | form | page | social | person
    value: str                    # the address, URL or name
    label: str = ""               # "person" | "generic" for emails; network name for social
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


@dataclass
class Classification:
    type: str                     # one of PROSPECT_TYPES
    confidence: float = 0.0
    evidence: list[str] = field(default_factory=list)


@dataclass
class LinkCheck:
    page: str
    url: str
    cls: str                      # one of LINK_CLASSES (JSON name: "class")
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
    geo_tier: str = "unknown"
    geo_place: str = ""
    geo_distance_km: float | None = None
    top_terms: list[tuple[str, float]] = field(default_factory=list)
    explanation: str = ""


@dataclass
class Prospect:
    url: str
    domain: str
    type: str
    score: float
    title: str = ""
    relevance: float = 0.0
    geo_tier: str = "unknown"
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
    ledger_status: str = ""       # outreach status if already in the ledger

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
