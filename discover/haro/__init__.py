"""Journalist queries (HARO-style): reporters asking for expert sources, as prospects.

    mail.py      .eml file / folder / mbox → digests → JournalistQuery (per-file errors collected)
    digest.py    one digest body → individual queries → labelled fields
    deadline.py  "5:00 PM EST - 23 November", "EOD Tuesday", ... → aware datetime
    boards.py    query boards: list pages → request pages (pagination) → JournalistQuery
    imap.py      a live mailbox, read-only (EXAMINE, BODY.PEEK), remembering what it has seen
    match.py     score queries against a niche (relevance + geo) → explained matches, Prospects

This module holds the record only, so importing it stays cheap.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["JournalistQuery", "MailProblem", "parse_mail", "crawl_boards", "match_queries", "to_prospect"]


@dataclass
class JournalistQuery:
    """One request for sources, from a digest email or a query board."""

    source: str                   # "digest-03.eml#4" for mail, the request URL for boards
    summary: str = ""             # the headline / title
    category: str = ""
    outlet: str = ""
    journalist: str = ""
    deadline: datetime | None = None   # aware; None when the query names none
    requirements: str = ""
    reply_to: str = ""            # an address or a link
    text: str = ""                # the query as written (fields and body)
    outlet_url: str = ""
    urgent: bool = False          # deadline within 24 h of now
    expired: bool = False         # deadline before now
    origin: str = "mail"          # "mail" | "board" | "imap"
    number: int = 0               # position in its digest (from 1); 0 for boards
    received: datetime | None = None   # the digest's Date header / page fetch time
    deadline_text: str = ""       # the deadline as written
    details: str = ""             # the query body ("Query:" / description), without the other fields
    deadline_time_known: bool = False   # a clock time was written; else `deadline` is the end of that day
    deadline_zone: str = ""       # the zone the deadline is in, when written (IANA name or "EST"); "" if assumed

    @property
    def url(self) -> str:
        """The prospect URL: the board page, or "mail:<file>#<n>" as labels.csv names digest items."""
        return self.source if self.origin == "board" else f"mail:{self.source}"

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for key in ("deadline", "received"):
            d[key] = d[key].isoformat() if d[key] else None
        return d


@dataclass(frozen=True)
class MailProblem:
    """A message or file that could not be read; the rest of the batch still is."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def __getattr__(name: str) -> Any:
    # Lazy re-exports: `from discover.haro import parse_mail` without importing lxml up front.
    if name == "parse_mail":
        from discover.haro.mail import parse_mail
        return parse_mail
    if name == "crawl_boards":
        from discover.haro.boards import crawl_boards
        return crawl_boards
    if name in ("match_queries", "to_prospect"):
        from discover.haro import match
        return getattr(match, name)
    raise AttributeError(name)

