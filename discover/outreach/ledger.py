"""Outreach ledger and follow-up guard: personal outreach, ONE polite follow-up, never spam.

The ledger is a list of events per site (registrable domain): contacted → (followed_up) →
replied / won / lost, or do_not_contact at any time; a review marks sites approved or
rejected. A suppression list (domains or email addresses, imported from a file) is always
obeyed. Who is then shown or sent is decided in one place: `discover.outreach.policy`.

The guard (`follow_ups`) says who is due the one follow-up: contacted at least
`followup_after_days` ago, no reply, fewer than `max_followups` follow-ups so far and fewer
than `max_touches` touches in `touch_window_days`. Everyone else is refused, with the reason.
"""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from discover.errors import InputError
from discover.settings import Settings
from discover.domains import registrable_domain
from discover.records import MARKABLE_STATUSES, LedgerStatus

if TYPE_CHECKING:
    from discover.store import Store

#: What `mark` records.
STATUSES: tuple[LedgerStatus, ...] = MARKABLE_STATUSES
#: Events that are a message we sent.
TOUCHES = (LedgerStatus.CONTACTED, LedgerStatus.FOLLOWED_UP)
#: Statuses after which no follow-up is due.
CLOSED = (LedgerStatus.REPLIED, LedgerStatus.WON, LedgerStatus.LOST, LedgerStatus.DO_NOT_CONTACT,
          LedgerStatus.REJECTED)
DAY = 86400.0
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A host name: labels of letters (any script), digits and hyphens, with at least one dot.
_HOST = re.compile(r"[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+")


def normalise_domain(text: str) -> str:
    """A domain, URL or email address → its registrable domain."""
    text = text.strip().lower()
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    domain = registrable_domain(text)
    if not domain or not _HOST.fullmatch(domain):
        raise InputError(f"not a domain, URL or email address: {text!r}", hint="e.g. example.com")
    return domain


@dataclass
class LedgerEntry:
    domain: str
    status: str               # latest event's status
    touches: int              # messages sent (contacted + followed_up), all time
    follow_ups: int
    first_contact: float | None
    last_touch: float | None
    last_event: float
    note: str = ""


@dataclass
class FollowUp:
    domain: str
    due: bool
    reason: str
    status: str
    last_touch: float | None
    due_at: float | None


def entries(store: "Store") -> dict[str, LedgerEntry]:
    """The ledger folded per domain."""
    out: dict[str, LedgerEntry] = {}
    for ev in store.outreach_events():
        e = out.get(ev["domain"])
        if e is None:
            e = out[ev["domain"]] = LedgerEntry(ev["domain"], ev["status"], 0, 0, None, None, ev["at"])
        e.status, e.last_event = ev["status"], ev["at"]
        if ev["note"]:
            e.note = ev["note"]
        if ev["status"] in TOUCHES:
            e.touches += 1
            e.last_touch = ev["at"]
            if e.first_contact is None:
                e.first_contact = ev["at"]
        if ev["status"] == LedgerStatus.FOLLOWED_UP:
            e.follow_ups += 1
    return out


def _suppressed(store: "Store") -> tuple[set[str], set[str], set[str]]:
    """(suppressed domains, suppressed emails, domains flagged by a suppressed email)."""
    domains, emails, flagged = set(), set(), set()
    for row in store.suppressions():
        if row["kind"] == "domain":
            domains.add(row["value"])
        else:
            emails.add(row["value"])
            flagged.add(row["domain"])
    return domains, emails, flagged


def ledger_statuses(store: "Store") -> dict[str, LedgerStatus]:
    """domain → status for every site the ledger or the suppression list knows (for bulk filtering).

    `do_not_contact` for a suppressed domain; the latest outreach status otherwise; and
    `email_suppressed` for a site of which one address is suppressed and nothing else is known.
    """
    domains, _emails, flagged = _suppressed(store)
    out = {d: LedgerStatus.EMAIL_SUPPRESSED for d in flagged}
    out.update({d: LedgerStatus(e.status) for d, e in entries(store).items()})
    out.update({d: LedgerStatus.DO_NOT_CONTACT for d in domains})
    return out


def ledger_status(store: "Store", domain: str) -> str:
    """The ledger status of one site ('' when unknown)."""
    return ledger_statuses(store).get(registrable_domain(domain) or domain, "")


def suppressed_emails(store: "Store") -> set[str]:
    return _suppressed(store)[1]


def follow_ups(store: "Store", settings: Settings, now: float | None = None) -> list[FollowUp]:
    """Every site in the ledger with whether its follow-up is due, and why (not)."""
    now = time.time() if now is None else now
    suppressed, _e, _f = _suppressed(store)
    window = settings.touch_window_days * DAY
    events = store.outreach_events()
    out = []
    for domain, e in sorted(entries(store).items()):
        recent = sum(1 for ev in events if ev["domain"] == domain and ev["status"] in TOUCHES
                     and now - ev["at"] <= window)
        due_at = e.last_touch + settings.followup_after_days * DAY if e.last_touch is not None else None
        if domain in suppressed or e.status == LedgerStatus.DO_NOT_CONTACT:
            item = FollowUp(domain, False, "do not contact", e.status, e.last_touch, None)
        elif e.status in CLOSED:
            item = FollowUp(domain, False, f"{e.status}: no follow-up needed", e.status, e.last_touch, None)
        elif e.touches == 0:
            item = FollowUp(domain, False, "never contacted", e.status, None, None)
        elif e.follow_ups >= settings.max_followups:
            item = FollowUp(domain, False, f"already followed up {e.follow_ups} time(s); the polite limit is "
                                           f"{settings.max_followups} — leave them be", e.status, e.last_touch, None)
        elif recent >= settings.max_touches:
            item = FollowUp(domain, False, f"{recent} touches in the last {settings.touch_window_days} days "
                                           f"(limit {settings.max_touches})", e.status, e.last_touch, None)
        elif due_at is not None and now < due_at:
            days = (due_at - now) / DAY
            item = FollowUp(domain, False, f"contacted recently; follow-up due in {days:.1f} day(s)",
                            e.status, e.last_touch, due_at)
        else:
            item = FollowUp(domain, True, f"no reply {((now - (e.last_touch or now)) / DAY):.0f} day(s) after "
                                          "contact: one polite follow-up", e.status, e.last_touch, due_at)
        out.append(item)
    return out


def due(store: "Store", settings: Settings, now: float | None = None) -> list[FollowUp]:
    return [f for f in follow_ups(store, settings, now) if f.due]


def mark(store: "Store", target: str, status: str, settings: Settings, *, note: str = "",
         now: float | None = None) -> str:
    """Record an outreach event; refuses touches that the etiquette forbids. Returns the domain."""
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r}", hint="one of " + ", ".join(STATUSES))
    domain = normalise_domain(target)
    email = target.strip().lower() if _EMAIL.match(target.strip()) else ""
    now = time.time() if now is None else now
    if status in TOUCHES:
        suppressed, emails, _f = _suppressed(store)
        if domain in suppressed or ledger_status(store, domain) == LedgerStatus.DO_NOT_CONTACT:
            raise InputError(f"{domain} is on the do-not-contact list", hint="remove it there first if this is wrong")
        if email and email in emails:
            raise InputError(f"{email} is suppressed", hint="that person asked not to be contacted")
        e = entries(store).get(domain)
        if status == LedgerStatus.FOLLOWED_UP:
            if e is None or e.touches == 0:
                raise InputError(f"{domain} was never contacted", hint="mark it contacted first")
            if e.follow_ups >= settings.max_followups:
                raise InputError(f"{domain} already had {e.follow_ups} follow-up(s); the limit is "
                                 f"{settings.max_followups}", hint="one polite follow-up, never more")
        window = settings.touch_window_days * DAY
        recent = sum(1 for ev in store.outreach_events(domain) if ev["status"] in TOUCHES and now - ev["at"] <= window)
        if recent >= settings.max_touches:
            raise InputError(f"{domain} was touched {recent} times in {settings.touch_window_days} days",
                             hint=f"the limit is {settings.max_touches}; that would be spam")
    store.add_outreach_event(domain, status, email=email, note=note, at=now)
    return domain


def parse_suppression(text: str) -> list[tuple[str, str, str]]:
    """(kind, value, domain) from a text or CSV file of domains, URLs and email addresses."""
    out: list[tuple[str, str, str]] = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            cell = cell.strip().strip("<>\"'").lower()
            if not cell or cell.startswith("#"):
                continue
            if not cell.isprintable():
                continue
            if "@" in cell and _EMAIL.match(cell.removeprefix("mailto:")):
                email = cell.removeprefix("mailto:")
                domain = registrable_domain(email.rsplit("@", 1)[1])
                if domain and _HOST.fullmatch(domain):
                    out.append(("email", email, domain))
            elif "." in cell and " " not in cell:
                domain = registrable_domain(cell)
                if domain and _HOST.fullmatch(domain):
                    out.append(("domain", domain, domain))
    return out


def import_suppression(store: "Store", path: Path) -> tuple[int, int]:
    """Load a suppression file; returns (entries read, entries new)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if b"\x00" in data:
        raise InputError(f"{path} is not a text or CSV file", hint="one domain or email address per line")
    text = data.decode("utf-8-sig", errors="replace")
    items = parse_suppression(text)
    if not items:
        raise InputError(f"{path} holds no domain or email address", hint="one per line, or a CSV column")
    return len(items), store.add_suppressions(items, source=path.name)
