"""Pipedrive: a leads import (Lead title + Organization, optional Person), one row per prospect.

Pipedrive requires a lead title and an organization or person name; headers follow the
import field names (Lead / Organization / Person / Note). See docs/crm-formats.md.
"""

from __future__ import annotations

from typing import Any

from discover.outreach.export._crm import TYPE_LABELS, note, person_name, website
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect


class PipedriveExporter(CsvExporter):
    name = "pipedrive"
    description = "Pipedrive leads import (lead + organization + person + note)"
    columns = ("Lead title", "Organization name", "Organization website", "Person name", "Person email",
               "Lead labels", "Note")

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        # A person needs a name in Pipedrive; when the page named nobody the address is the honest label.
        person = " ".join(x for x in (first, last) if x) or p.email
        return {"Lead title": f"{TYPE_LABELS.get(p.type, p.type)}: {p.domain}", "Organization name": p.domain,
                "Organization website": website(p), "Person name": person, "Person email": p.email,
                "Lead labels": "Warm" if p.score >= 0.6 else "Cold", "Note": note(p)}
