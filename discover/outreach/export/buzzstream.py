"""BuzzStream: a websites/contacts import, one row per prospect site. See docs/crm-formats.md."""

from __future__ import annotations

from typing import Any

from discover.outreach.export._crm import TYPE_LABELS, note, person_name, social, website
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect


class BuzzStreamExporter(CsvExporter):
    name = "buzzstream"
    description = "BuzzStream website + contact import"
    columns = ("Website Name", "Website URL", "First Name", "Last Name", "Email", "Contact Form URL", "Twitter",
               "Facebook", "LinkedIn", "Instagram", "Tags", "Relationship Stage", "Notes")

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        return {"Website Name": p.domain, "Website URL": website(p), "First Name": first, "Last Name": last,
                "Email": p.email, "Contact Form URL": p.contact_page,
                "Twitter": social(p, "twitter.com") or social(p, "x.com"), "Facebook": social(p, "facebook.com"),
                "LinkedIn": social(p, "linkedin.com"), "Instagram": social(p, "instagram.com"),
                "Tags": ", ".join(t for t in (TYPE_LABELS.get(p.type, p.type), p.niche) if t),
                "Relationship Stage": "Not Started", "Notes": note(p)}
