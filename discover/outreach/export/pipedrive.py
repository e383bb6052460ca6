"""Pipedrive: a leads import (Lead title + Organization, optional Person), one row per prospect.

Pipedrive requires a lead title and an organization or person name; a person is created only
with a name, and the name is never the email address (a person called "jane@site.com" is
worse than none: the address then sits in the note, where nothing is lost). Headers follow the
import field names (Lead / Organization / Person / Note). See docs/crm-formats.md.
"""

from __future__ import annotations

from typing import Any

from discover.outreach.export._crm import TYPE_LABELS, company, note, person_name, website
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect

NO_NAME = "no organization or person name (Pipedrive needs one for a lead)"


class PipedriveExporter(CsvExporter):
    name = "pipedrive"
    description = "Pipedrive leads import (lead + organization + person + note)"
    columns = ("Lead title", "Organization name", "Organization website", "Person name", "Person first name",
               "Person last name", "Person email", "Person phone", "Lead labels", "Note")

    @classmethod
    def problem(cls, p: Prospect) -> str:
        return "" if (company(p) or p.domain or any(person_name(p))) else NO_NAME

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        person = " ".join(x for x in (first, last) if x)
        # The organization needs a name; the site's own name when the page gives one, else its domain.
        org = company(p) or p.domain
        extra = note(p)
        if not person and (p.email or p.phone):
            # No person is created without a name, so their routes go into the note instead.
            extra = " | ".join(x for x in (f"Email: {p.email}" if p.email else "",
                                           f"Phone: {p.phone}" if p.phone else "", extra) if x)
        return {"Lead title": f"{TYPE_LABELS.get(p.type, p.type)}: {company(p) or p.domain}",
                "Organization name": org, "Organization website": website(p), "Person name": person,
                "Person first name": first, "Person last name": last,
                "Person email": p.email if person else "", "Person phone": p.phone if person else "",
                "Lead labels": "Warm" if p.score >= 0.6 else "Cold", "Note": extra}
