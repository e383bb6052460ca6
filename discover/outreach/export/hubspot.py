"""HubSpot: one file importing companies and contacts together (one row = a company + its contact).

Headers are HubSpot's default property labels so the import tool maps them automatically;
`Company Domain Name` dedups companies and `Email` dedups contacts. Dropdown properties take
their INTERNAL values (`lead`, `NEW`), which HubSpot's import accepts whatever the portal's
label language. A contact needs an email, or a first AND last name: a row with neither is not
written (HubSpot would fail it) and is reported. See docs/crm-formats.md.
"""

from __future__ import annotations

from typing import Any

from discover.outreach.export._crm import company, note, person_name, website
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect

#: Internal values of HubSpot's default `hs_lead_status` options (labels: New, Open, In progress,
#: Open deal, Unqualified, Attempted to contact, Connected, Bad timing).
LEAD_STATUSES = ("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
                 "BAD_TIMING")
#: Our outreach ledger status → HubSpot lead status (a prospect not yet in the ledger is NEW).
LEDGER_TO_LEAD_STATUS = {"": "NEW", "contacted": "ATTEMPTED_TO_CONTACT", "followed_up": "ATTEMPTED_TO_CONTACT",
                         "replied": "CONNECTED", "won": "OPEN_DEAL", "lost": "UNQUALIFIED",
                         "approved": "OPEN", "rejected": "UNQUALIFIED",
                         "email_suppressed": "UNQUALIFIED", "do_not_contact": "UNQUALIFIED"}
NO_CONTACT = "no email and no first + last name (HubSpot creates no contact without one)"


class HubSpotExporter(CsvExporter):
    name = "hubspot"
    description = "HubSpot companies + contacts import (one file, two objects)"
    columns = ("Company name", "Company Domain Name", "Website URL", "First Name", "Last Name", "Email",
               "Phone Number", "Lifecycle Stage", "Lead Status", "Description")

    @classmethod
    def problem(cls, p: Prospect) -> str:
        first, last = person_name(p)
        return "" if p.email or (first and last) else NO_CONTACT

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        return {"Company name": company(p), "Company Domain Name": p.domain, "Website URL": website(p),
                "First Name": first, "Last Name": last, "Email": p.email, "Phone Number": p.phone,
                "Lifecycle Stage": "lead", "Lead Status": LEDGER_TO_LEAD_STATUS.get(p.ledger_status, "NEW"),
                "Description": note(p)}
