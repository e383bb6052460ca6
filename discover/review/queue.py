"""The review queue: prospects with what a reviewer needs on one card, least certain first.

Active learning: a decision teaches the most where the tool is least sure. A card's priority
is the larger of two doubts, each in [0, 1]:

    type doubt   2·(1 − p)        p = the classifier's (calibrated) probability of the type it
                                  chose (0.5 → 1: a coin flip; a type the user corrected → 0)
    score doubt  1 − |score − CUTOFF| / BAND     (a prospect on the line → 1)

Ties go to the higher score. The prospects come from `discover.outreach.shortlist.select_prospects`, so
the queue shows exactly what a shortlist would (never a do-not-contact site).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from discover.records import GEO_TIERS, PROSPECT_TYPES, Prospect
from discover.rank.score import CUTOFF

if TYPE_CHECKING:
    from discover.store import Store

#: Score distance from the cut-off at which the score doubt reaches 0.
BAND = 0.2
#: The status filter of the queue: to review (undecided), decided ones, or everything.
STATUS_FILTERS = ("new", "approved", "rejected", "all")


@dataclass(frozen=True)
class Filters:
    niche: str = ""
    type: str = ""
    geo_tier: str = ""
    min_score: float | None = None
    status: str = "new"

    @classmethod
    def from_query(cls, params: Any, default_niche: str = "") -> "Filters":
        """Filters from a query string; anything unknown is ignored (the page shows the default)."""
        def pick(name: str, allowed: Sequence[str]) -> str:
            value = str(params.get(name, "") or "")
            return value if value in allowed else ""

        try:
            min_score = float(params.get("min_score", "") or "nan")
        except ValueError:
            min_score = float("nan")
        return cls(niche=str(params.get("niche", default_niche) or ""),
                   type=pick("type", PROSPECT_TYPES), geo_tier=pick("geo", GEO_TIERS),
                   min_score=min_score if 0.0 <= min_score <= 1.0 else None,
                   status=pick("status", STATUS_FILTERS) or "new")


@dataclass
class ReviewItem:
    key: str                      # stable id of the card (niche + domain)
    prospect: Prospect
    status: str                   # ledger status; "" = undecided
    reason: str = ""              # of a rejection
    model_type: str = ""          # the type the tool gave
    type_confidence: float | None = None
    type_doubt: float = 0.0
    score_doubt: float = 0.0
    why_first: str = ""
    contact_name: str = ""
    phone: str = ""
    runner_up: str = ""           # the classifier's second choice
    page_url: str = ""            # the stored page behind the card (screenshots are keyed by it)
    has_shot: bool = False
    evidence: list[str] = field(default_factory=list)

    @property
    def priority(self) -> float:
        return max(self.type_doubt, self.score_doubt)


def item_key(niche: str, domain: str) -> str:
    return hashlib.sha256(f"{niche}\n{domain}".encode()).hexdigest()[:16]


def doubts(score: float, confidence: float | None, corrected: bool, cutoff: float = CUTOFF) -> tuple[float, float]:
    """(type doubt, score doubt) of one prospect; see the module docstring."""
    type_doubt = 0.0 if corrected or confidence is None else min(1.0, max(0.0, 2.0 * (1.0 - confidence)))
    score_doubt = max(0.0, 1.0 - abs(score - cutoff) / BAND)
    return round(type_doubt, 4), round(score_doubt, 4)


def _why_first(item: ReviewItem, cutoff: float) -> str:
    if item.priority <= 0:
        return ""
    if item.type_doubt >= item.score_doubt:
        second = f" or {item.runner_up}" if item.runner_up else ""
        return f"type uncertain: {item.model_type} at {item.type_confidence:.0%}{second}"
    return f"score {item.prospect.score:.2f} is near the cut-off {cutoff:.2f}"


def niches(store: "Store") -> list[str]:
    """Every niche of the database, most recently run first."""
    return list(dict.fromkeys(r.keyword for r in store.list_runs(limit=1000)))


def _phone(extraction: dict[str, Any]) -> str:
    for item in (extraction.get("meta") or {}).get("schema") or []:
        tel = item.get("telephone") if isinstance(item, dict) else None
        if isinstance(tel, str) and tel.strip():
            return tel.strip()[:40]
    return ""


def load_queue(store: "Store", filters: Filters, *, cutoff: float = CUTOFF) -> list[ReviewItem]:
    """The cards of the queue, least certain first."""
    from discover.outreach.ledger import entries
    from discover.outreach.policy import NEW, Visibility
    from discover.outreach.shortlist import select_prospects

    # The shortlist's own rule decides what is shown; the status filter only narrows it.
    wanted = {"new": frozenset({NEW}), "approved": frozenset({"approved"}),
              "rejected": frozenset({"rejected"})}.get(filters.status)
    seen = Visibility(include_spam=True, show_contacted=True, include_rejected=True, statuses=wanted)
    notes = {d: e.note for d, e in entries(store).items()}
    prospects: list[Prospect] = []
    for niche in [filters.niche] if filters.niche else niches(store):
        prospects += select_prospects(store, niche=niche, visibility=seen, min_score=filters.min_score,
                                      types=[filters.type] if filters.type else None)
    if filters.geo_tier:
        prospects = [p for p in prospects if p.geo_tier == filters.geo_tier]
    pages = store.page_rows([u for p in prospects for u in (p.url, *p.other_urls)])
    shots = store.screenshot_urls([p.url for p in prospects] + [r["url"] for r in pages.values()])
    items = []
    for p in prospects:
        row = pages.get(p.url) or next((pages[u] for u in p.other_urls if u in pages), None) or {}
        cls = row.get("classification") or {}
        corrected = "type_corrected" in p.explanation
        conf = cls.get("confidence") if cls else None
        item = ReviewItem(
            key=item_key(p.niche, p.domain), prospect=p, status=str(p.ledger_status),
            reason=notes.get(p.domain, "") if p.ledger_status == "rejected" else "",
            model_type=str(cls.get("type") or (p.explanation.get("type_corrected") or {}).get("was") or p.type),
            type_confidence=float(conf) if conf is not None else None, runner_up=str(cls.get("runner_up") or ""),
            page_url=row.get("url", ""), evidence=[e for e in p.explanation.get("type_evidence") or []
                                                    if isinstance(e, str)][:4])
        item.type_doubt, item.score_doubt = doubts(p.score, item.type_confidence, corrected, cutoff)
        item.why_first = _why_first(item, cutoff)
        item.has_shot = p.url in shots or item.page_url in shots
        # the contact the run chose for the prospect; older runs knew only schema.org phones
        ext = row.get("extraction") or {}
        item.phone = p.phone or _phone(ext)
        item.contact_name = p.contact_name[:80]
        items.append(item)
    items.sort(key=lambda i: (-i.priority, -i.prospect.score, i.prospect.domain))
    return items
