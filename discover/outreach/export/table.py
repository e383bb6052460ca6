"""A readable terminal table (rich); scraped text is escaped so markup in it prints literally."""

from __future__ import annotations

from discover.outreach.export.base import Exporter
from discover.records import Prospect
from discover.outreach.shortlist import pitch_angle


class TableExporter(Exporter):
    name = "table"
    extension = "txt"
    description = "a table for the terminal"

    def start(self) -> None:
        from rich.table import Table

        self._table = Table(title="shortlist", show_lines=False)
        for col in ("#", "domain", "type", "score", "geo", "email", "why", "pitch"):
            self._table.add_column(col, overflow="fold")

    def export(self, p: Prospect) -> None:
        from rich.markup import escape

        self.count += 1
        email = f"{p.email} ({p.email_kind})" if p.email else (p.phone or p.contact_page or "")
        flag = f" [{p.ledger_status}]" if p.ledger_status else ""
        self._table.add_row(str(self.count), escape(p.domain + flag), escape(p.type), f"{p.score:.2f}",
                            escape(p.geo_tier), escape(email), escape(p.why), escape(p.pitch or pitch_angle(p)))

    def finish(self) -> None:
        from rich.console import Console

        Console(file=self.stream, highlight=False, width=160 if not self.stream.isatty() else None
                ).print(self._table)
