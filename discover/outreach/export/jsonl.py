"""One JSON prospect record per line (for piping into jq or a loader)."""

from __future__ import annotations

import json

from discover.outreach.export.base import Exporter
from discover.outreach.export.json import record
from discover.records import Prospect


class JsonlExporter(Exporter):
    name = "jsonl"
    extension = "jsonl"
    description = "one JSON prospect record per line"

    def export(self, prospect: Prospect) -> None:
        self.stream.write(json.dumps(record(prospect), ensure_ascii=False) + "\n")
        self.count += 1
