"""Pitchbox: the partner CSV import ("one row per partner + contact" format). See docs/crm-formats.md."""

from __future__ import annotations

from typing import Any

from discover.outreach.export._crm import TYPE_LABELS, note, person_name
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect


class PitchboxExporter(CsvExporter):
    name = "pitchbox"
    description = "Pitchbox partner import (partner + contact + link type)"
    columns = ("Partner URL", "Partner Category", "Contact Email", "Contact First Name", "Contact Last Name",
               "Company", "Link Type", "Notes")

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        return {"Partner URL": p.url, "Partner Category": p.niche or TYPE_LABELS.get(p.type, p.type),
                "Contact Email": p.email, "Contact First Name": first, "Contact Last Name": last,
                "Company": p.domain, "Link Type": TYPE_LABELS.get(p.type, p.type), "Notes": note(p)}
