"""The shortlist: prospects chosen from the store, as the visibility policy lets them out, each with a pitch angle.

`pitch_angle(prospect)` writes the one-line outreach idea per prospect type (the pipeline
stores it in `Prospect.pitch`); `select_prospects(...)` picks the rows of `discover
shortlist`; `shortlist_row(prospect)` is the flat dict every exporter starts from.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable

from discover.errors import InputError
from discover.inputs import parse_types
from discover.outreach.policy import Policy, Visibility
from discover.records import CONTACTED_STATUSES, PROSPECT_TYPES, Prospect, ProspectType

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
    if p.type == ProspectType.GUEST_POST:
        idea = f"a practical guide on {terms[0]}" if terms else f"a fresh angle on “{topic}”"
        return f"Guest post idea: {idea} for readers of “{topic}”{about}; pitch it to the editor by name."
    if p.type == ProspectType.RESOURCE:
        if p.broken_links:
            dead = p.broken_links[0]
            more = f" (+{len(p.broken_links) - 1} more dead)" if len(p.broken_links) > 1 else ""
            return f"Offer your page as a replacement for the dead link {dead}{more} on “{topic}”."
        return f"Suggest your page as a useful addition to the resource list “{topic}”{about}."
    if p.type == ProspectType.DIRECTORY:
        submit = p.explanation.get("submit_url") or p.contact_page or p.url
        return f"Submit your listing at {submit} (check the category and the listing rules first)."
    if p.type == ProspectType.HARO:
        when = f" before {p.deadline}" if p.deadline else " before its deadline"
        return f"Answer the journalist query “{topic}”{when} with a short, quotable expert reply."
    if p.type == ProspectType.FORUM:
        return (f"Join and contribute to the thread “{topic}” ({p.url}): answer helpfully first, "
                "link only where it truly helps.")
    if p.type == ProspectType.BLOG:
        author = p.explanation.get("author") or ""
        to = f" then email {author}" if author else " then reach out to the author"
        return f"Leave a thoughtful comment on “{topic}”,{to} with something useful for their readers."
    if p.type == ProspectType.NEWS:
        return f"Pitch a local story or expert comment related to “{topic}” to the reporter who wrote it."
    return ""


def shortlist_row(p: Prospect) -> dict[str, Any]:
    """The flat row of one prospect, in `COLUMNS` order (lists stay lists; exporters join them)."""
    row = {c: getattr(p, c) for c in COLUMNS}
    if not row["pitch"]:
        row["pitch"] = pitch_angle(p)
    return row


#: Why a prospect was left out of a selection (the keys of `report["dropped"]`), worded for users:
#: the asked filters, then the visibility policy's reasons with the flag that shows them.
DROP_TYPE = "not of the asked --types"
DROP_SCORE = "below --min-score"
_HIDDEN_WORDS = {"spam": "spam (--include-spam shows them)", "own site": "your own site",
                 "do_not_contact": "do not contact", "rejected": "rejected in review (--include-rejected shows them)",
                 "not approved": "not approved (--only-approved)"}
_CONTACTED_WORDS = "already contacted (--show-contacted shows them)"


def select_prospects(store: "Store", *, run_id: int | None = None, niche: str | None = None,
                     top: int | None = None, types: Iterable[str] | None = None, min_score: float | None = None,
                     visibility: Visibility | None = None, report: dict[str, Any] | None = None) -> list[Prospect]:
    """Prospects of a run (default: the latest) or a niche, best first, as `discover.outreach.policy`
    lets them out (ledger status set, suppressed addresses removed), each with its pitch.

    `report`, when given, is filled with the run and niche used, how many prospects they hold and
    how many each filter or policy rule left out, so an empty selection can say why."""
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
    wanted = parse_types(types, PROSPECT_TYPES) if types is not None else None
    if min_score is not None and not math.isfinite(min_score):
        raise InputError(f"--min-score must be a number, got {min_score}")
    policy = Policy.load(store, visibility)
    if report is None:
        rows: Iterable[Prospect] = store.prospects(run_id=run_id, niche=niche, types=wanted, min_score=min_score)
    else:
        # Every prospect is read and the asked filters applied here, so that each can be counted.
        run = store.get_run(run_id) if run_id is not None else None
        dropped: dict[str, int] = {}
        report.update(run=run_id, niche=niche if niche is not None else (run.keyword if run else ""),
                      total=0, dropped=dropped)
        rows = _counted(store.prospects(run_id=run_id, niche=niche), wanted, min_score, report, dropped)
    hidden: Counter[str] = Counter()
    out: list[Prospect] = []
    for p in policy.iter_shown(rows, hidden):
        if top is not None and len(out) >= top:
            if report is None:
                break
            continue
        if not p.pitch:
            p.pitch = pitch_angle(p)
        out.append(p)
    if report is not None:
        for why, n in hidden.items():
            word = _HIDDEN_WORDS.get(why, _CONTACTED_WORDS if why in CONTACTED_STATUSES else why)
            report["dropped"][word] = report["dropped"].get(word, 0) + n
    return out


def _counted(rows: Iterable[Prospect], wanted: Any, min_score: float | None, report: dict[str, Any],
             dropped: dict[str, int]) -> Iterable[Prospect]:
    for p in rows:
        report["total"] += 1
        reason = DROP_TYPE if wanted is not None and p.type not in wanted else \
            DROP_SCORE if min_score is not None and p.score < min_score else ""
        if reason:
            dropped[reason] = dropped.get(reason, 0) + 1
        else:
            yield p
