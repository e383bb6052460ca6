"""Who may be shown or sent: the ONE visibility rule of every way out of the tool.

`run` (its table, CSV and JSON), `shortlist` (every export format), `report` and `push` (the
webhook body) all pass their prospects through `Policy.apply`, so a site is hidden or shown
the same way everywhere:

    never, unless the user asks for hidden ones (--include-hidden):
      - the user's own site (the --about URLs of any run in the database);
      - a do-not-contact site (ledger status, or a domain on the suppression list);
      - a suppressed email address (removed from its prospect; the site itself stays);
    hidden by default, each with its own flag:
      - spam (a spam page, or a site judged spammy)              --include-spam
      - sites already contacted (contacted, followed up, replied,
        won, lost)                                               --show-contacted
      - sites a review rejected                                  --include-rejected
    and, asked for, only the sites a review approved            --only-approved

Shown prospects carry their ledger status (`ledger_status`) so a shown contacted site is
flagged. Hiding is a view: the store keeps every prospect as found.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from discover.domains import registrable_domain
from discover.records import CONTACTED_STATUSES, LedgerStatus, Prospect, ProspectType

if TYPE_CHECKING:
    from discover.store import Store

#: Why a prospect was hidden (the keys of `RunResult.hidden` and the run summary's "hidden").
OWN_SITE = "own site"
SPAM = "spam"
NOT_APPROVED = "not approved"


@dataclass(frozen=True)
class Visibility:
    """What the user asked to see beyond the default (the command-line flags)."""

    include_spam: bool = False        # --include-spam
    show_contacted: bool = False      # --show-contacted
    include_rejected: bool = False    # --include-rejected
    only_approved: bool = False       # --only-approved
    include_hidden: bool = False      # --include-hidden: everything, each row flagged


@dataclass(frozen=True)
class Ledger:
    """What the database knows about sites and people, as the policy needs it."""

    statuses: Mapping[str, LedgerStatus] = field(default_factory=dict)   # registrable domain → status
    suppressed_emails: frozenset[str] = frozenset()                      # lower-case addresses
    own_sites: frozenset[str] = frozenset()                               # the user's registrable domains

    @classmethod
    def load(cls, store: "Store | None", about: Iterable[str] = ()) -> "Ledger":
        """The ledger, suppression list and own sites of `store` (none without a store), plus the
        sites of `about` (the current run's --about items)."""
        own = set(own_sites(about))
        if store is None:
            return cls(own_sites=frozenset(own))
        from discover.outreach.ledger import ledger_statuses, suppressed_emails

        for run in store.list_runs(limit=None):
            own.update(own_sites((run.settings.get("request") or {}).get("about") or ()))
        statuses = {d: LedgerStatus(s) for d, s in ledger_statuses(store).items()}
        return cls(statuses=statuses, suppressed_emails=frozenset(e.lower() for e in suppressed_emails(store)),
                   own_sites=frozenset(own))


def own_sites(about: Iterable[str]) -> set[str]:
    """The sites of the user's own pages among --about items (files name no site)."""
    return {d for a in about if a.startswith(("http://", "https://")) and (d := registrable_domain(a))}


class Policy:
    """`Policy.load(store, visibility).apply(prospects)` → (shown, {reason: how many hidden})."""

    def __init__(self, visibility: Visibility | None = None, ledger: Ledger | None = None) -> None:
        self.visibility = visibility or Visibility()
        self.ledger = ledger or Ledger()

    @classmethod
    def load(cls, store: "Store | None", visibility: Visibility | None = None, about: Iterable[str] = ()
             ) -> "Policy":
        return cls(visibility, Ledger.load(store, about))

    def status(self, p: Prospect) -> LedgerStatus | None:
        status = self.ledger.statuses.get(p.domain) or self.ledger.statuses.get(registrable_domain(p.url))
        if status is None and self._suppressed(p.email):
            return LedgerStatus.EMAIL_SUPPRESSED
        return status

    def hidden_because(self, p: Prospect) -> str:
        """Why `p` may not be shown or sent ("" when it may)."""
        v, status = self.visibility, self.status(p)
        if v.only_approved and status != LedgerStatus.APPROVED:
            return NOT_APPROVED
        if v.include_hidden:
            return ""
        if p.domain in self.ledger.own_sites or registrable_domain(p.url) in self.ledger.own_sites:
            return OWN_SITE
        if status == LedgerStatus.DO_NOT_CONTACT:
            return str(status)
        if (p.spam or p.type == ProspectType.SPAM) and not v.include_spam:
            return SPAM
        if status == LedgerStatus.REJECTED and not v.include_rejected:
            return str(status)
        if status in CONTACTED_STATUSES and not v.show_contacted:
            return str(status)
        return ""

    def shown(self, p: Prospect) -> Prospect:
        """`p` as it may leave: its ledger status set, suppressed addresses removed (a copy)."""
        status = self.status(p)
        changes: dict[str, Any] = {"ledger_status": status or ""}
        if not self.visibility.include_hidden:
            if self._suppressed(p.email):
                changes.update(email="", email_kind="")
            if p.contact_page.lower().startswith("mailto:") and self._suppressed(p.contact_page[7:].split("?")[0]):
                changes["contact_page"] = ""
        return dataclasses.replace(p, **changes)

    def iter_shown(self, prospects: Iterable[Prospect], hidden: Counter[str] | None = None) -> Iterator[Prospect]:
        """The prospects that may be shown or sent (as `shown` makes them), lazily, in order;
        `hidden` counts the others per reason."""
        for p in prospects:
            why = self.hidden_because(p)
            if not why:
                yield self.shown(p)
            elif hidden is not None:
                hidden[why] += 1

    def apply(self, prospects: Iterable[Prospect]) -> tuple[list[Prospect], dict[str, int]]:
        """(the prospects that may be shown or sent, {reason: how many were hidden})."""
        hidden: Counter[str] = Counter()
        return list(self.iter_shown(prospects, hidden)), dict(hidden)

    def visible(self, prospects: Iterable[Prospect]) -> list[Prospect]:
        """The prospects that may be shown or sent."""
        return list(self.iter_shown(prospects))

    def _suppressed(self, email: str) -> bool:
        return bool(email) and email.strip().lower() in self.ledger.suppressed_emails
