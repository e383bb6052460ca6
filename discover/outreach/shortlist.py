"""The shortlist: prospects chosen from the store, filtered by the ledger, each with a pitch angle.

`pitch_angle(prospect)` writes the one-line outreach idea per prospect type (the pipeline
stores it in `Prospect.pitch`); `select_prospects(...)` picks the rows of `discover
shortlist`; `shortlist_row(prospect)` is the flat dict every exporter starts from.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable

from discover.errors import InputError
from discover.records import PROSPECT_TYPES, Prospect

if TYPE_CHECKING:
    from discover.store import Store

#: Column order of the shortlist (csv/json/table exports).
COLUMNS = ("domain", "url", "type", "score", "relevance", "geo_tier", "quality", "why", "email", "email_kind",
           "contact_page", "social", "broken_links", "pitch", "title", "deadline", "other_urls", "ledger_status",
           "niche")


def _topic(p: Prospect) -> str:
    title = (p.title or "").strip()
    for sep in (" | ", " – ", " — ", " - "):   # drop the "| Site name" tail
        if sep in title:
            title = title.split(sep)[0].strip()
    return title or p.domain


def _terms(p: Prospect, n: int = 3) -> list[str]:
    raw = p.explanation.get("top_terms") or []
    terms = []
    for t in raw:
        term = t[0] if isinstance(t, (list, tuple)) and t else t
        if isinstance(term, str) and term.strip():
            terms.append(term.strip())
    return terms[:n]


def pitch_angle(p: Prospect) -> str:
    """One concrete, personal outreach idea for this prospect, by type."""
    topic = _topic(p)
    terms = _terms(p)
    about = f" ({', '.join(terms)})" if terms else ""
    if p.type == "guest_post":
        idea = f"a practical guide on {terms[0]}" if terms else f"a fresh angle on “{topic}”"
        return f"Guest post idea: {idea} for readers of “{topic}”{about}; pitch it to the editor by name."
    if p.type == "resource":
        if p.broken_links:
            dead = p.broken_links[0]
            more = f" (+{len(p.broken_links) - 1} more dead)" if len(p.broken_links) > 1 else ""
            return f"Offer your page as a replacement for the dead link {dead}{more} on “{topic}”."
        return f"Suggest your page as a useful addition to the resource list “{topic}”{about}."
    if p.type == "directory":
        submit = p.explanation.get("submit_url") or p.contact_page or p.url
        return f"Submit your listing at {submit} (check the category and the listing rules first)."
    if p.type == "haro":
        when = f" before {p.deadline}" if p.deadline else " before its deadline"
        return f"Answer the journalist query “{topic}”{when} with a short, quotable expert reply."
    if p.type == "forum":
        return (f"Join and contribute to the thread “{topic}” ({p.url}): answer helpfully first, "
                "link only where it truly helps.")
    if p.type == "blog":
        author = p.explanation.get("author") or ""
        to = f" then email {author}" if author else " then reach out to the author"
        return f"Leave a thoughtful comment on “{topic}”,{to} with something useful for their readers."
    if p.type == "news":
        return f"Pitch a local story or expert comment related to “{topic}” to the reporter who wrote it."
    return ""


def shortlist_row(p: Prospect) -> dict[str, Any]:
    """The flat row of one prospect, in `COLUMNS` order (lists stay lists; exporters join them)."""
    row = {c: getattr(p, c) for c in COLUMNS}
    if not row["pitch"]:
        row["pitch"] = pitch_angle(p)
    return row


def select_prospects(store: "Store", *, run_id: int | None = None, niche: str | None = None,
                     top: int | None = None, types: Iterable[str] | None = None, min_score: float | None = None,
                     include_spam: bool = False, show_contacted: bool = False,
                     statuses: Iterable[str] | None = None) -> list[Prospect]:
    """Prospects of a run (default: the latest) or a niche, best first, with ledger status and pitch filled.

    Which ledger statuses are shown is `discover.outreach.ledger.visible`: undecided and approved sites by
    default, every status but do-not-contact with `show_contacted`, exactly `statuses` when given
    ("new" = undecided). Spam-flagged sites only with `include_spam` or when a person approved
    them. A type corrected in review replaces the tool's; a suppressed email address is removed
    from its prospect.
    """
    from discover.outreach.ledger import ledger_view, suppressed_emails, visible

    if run_id is None and niche is None:
        last = store.last_run()
        if last is None:
            raise InputError("the database holds no run yet", hint="run `discover run KEYWORD` first, or pass --db")
        run_id = last.id
    elif run_id is not None and store.get_run(run_id) is None:
        raise InputError(f"no run {run_id} in this database", hint="check --run and --db")
    elif niche is not None and store.last_run(niche) is None:
        known = list(dict.fromkeys(r.keyword for r in store.list_runs()))
        raise InputError(f"no run for the niche {niche!r} in this database",
                         hint=("niches: " + ", ".join(known[:10])) if known else "run `discover run KEYWORD` first")
    if types is not None:
        types = list(types)
        unknown = [t for t in types if t not in PROSPECT_TYPES]
        if unknown:
            raise InputError(f"unknown prospect type(s): {', '.join(unknown)}",
                             hint="choose from " + ", ".join(PROSPECT_TYPES))
    if min_score is not None and not math.isfinite(min_score):
        raise InputError(f"--min-score must be a number, got {min_score}")
    wanted = set(statuses) if statuses is not None else None
    view = ledger_view(store)
    emails = suppressed_emails(store)
    out = []
    for p in store.prospects(run_id=run_id, niche=niche, types=None if view.types else types,
                             min_score=min_score, include_spam=include_spam or bool(view.decisions)):
        status = view.status(p.domain, p.niche)
        if not visible(status, show_contacted=show_contacted, statuses=wanted):
            continue
        if p.spam and not include_spam and status != "approved":   # a person's approval beats the spam flag
            continue
        fixed = view.corrected_type(p.url)
        if fixed and fixed != p.type:
            p.type, p.pitch = fixed, ""
            p.explanation = {**p.explanation, "type_corrected": True}
        if types and p.type not in types:
            continue
        p.ledger_status = status
        if p.email and p.email.lower() in emails:
            p.email, p.email_kind = "", ""
        if not p.pitch:
            p.pitch = pitch_angle(p)
        out.append(p)
        if top is not None and len(out) >= top:
            break
    return out
