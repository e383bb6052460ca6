"""HubSpot: one file importing companies and contacts together (one row = a company + its contact).

Headers are HubSpot's default property labels so the import tool maps them automatically;
`Company Domain Name` dedups companies and `Email` dedups contacts. See docs/crm-formats.md.
"""

from __future__ import annotations

from typing import Any

from discover.outreach.export._crm import note, person_name, website
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect


class HubSpotExporter(CsvExporter):
    name = "hubspot"
    description = "HubSpot companies + contacts import (one file, two objects)"
    columns = ("Company name", "Company Domain Name", "Website URL", "First Name", "Last Name", "Email",
               "Lifecycle Stage", "Lead Status", "Description")

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        # The page title names a page, not the organisation: the domain is the honest company name.
        return {"Company name": p.domain, "Company Domain Name": p.domain, "Website URL": website(p),
                "First Name": first, "Last Name": last, "Email": p.email, "Lifecycle Stage": "lead",
                "Lead Status": "New", "Description": note(p)}
