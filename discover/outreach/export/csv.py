"""Plain CSV of the shortlist columns (UTF-8 with BOM for Excel when written to a file)."""

from __future__ import annotations

from typing import Any

from discover.outreach.export.base import CsvExporter
from discover.records import Prospect
from discover.outreach.shortlist import COLUMNS, shortlist_row


class CsvShortlistExporter(CsvExporter):
    name = "csv"
    description = "the shortlist columns as CSV"
    columns = COLUMNS

    def row(self, prospect: Prospect) -> dict[str, Any]:
        return shortlist_row(prospect)
