"""Pitchbox: prospects for an outreach CAMPAIGN (not the Partner CRM, which holds sites you
already work with), one row per prospect site.

`Link Type` takes Pitchbox link types — the kind of link you will ask for — not our page
types: a guest-post page asks for a Guest Post, a resource page for a Resource Page link (or a
Broken Link replacement when it has dead links), a journalist query, news or blog page for a
Mention, a directory for a Directory Listing. Forums and other pages have no link type to ask
for and leave it empty. A row without a URL is not written. See docs/crm-formats.md.
"""

from __future__ import annotations

from typing import Any

from discover.outreach.export._crm import company, note, person_name
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect

LINK_TYPES = {"guest_post": "Guest Post", "resource": "Resource Page", "haro": "Mention", "news": "Mention",
              "blog": "Mention", "directory": "Directory Listing"}
NO_URL = "no page URL (Pitchbox needs the prospect's URL)"


def link_type(p: Prospect) -> str:
    if p.type == "resource" and p.broken_links:
        return "Broken Link"
    return LINK_TYPES.get(p.type, "")


class PitchboxExporter(CsvExporter):
    name = "pitchbox"
    description = "Pitchbox campaign prospects (URL + contact + link type)"
    columns = ("Campaign Name", "URL", "Contact Email", "Contact First Name", "Contact Last Name", "Company",
               "Phone", "Link Type", "Notes")

    @classmethod
    def problem(cls, p: Prospect) -> str:
        return "" if p.url.startswith(("http://", "https://")) else NO_URL

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        return {"Campaign Name": p.niche, "URL": p.url, "Contact Email": p.email, "Contact First Name": first,
                "Contact Last Name": last, "Company": company(p), "Phone": p.phone, "Link Type": link_type(p),
                "Notes": note(p)}
