"""A JSON array of prospects (the public record field names), written as a stream."""

from __future__ import annotations

import json

from discover.outreach.export.base import Exporter
from discover.records import Prospect
from discover.outreach.shortlist import pitch_angle


def record(prospect: Prospect) -> dict:
    from discover.store.store import prospect_dict

    d = prospect_dict(prospect)
    d["pitch"] = d["pitch"] or pitch_angle(prospect)
    return d


class JsonExporter(Exporter):
    name = "json"
    extension = "json"
    description = "a JSON array of full prospect records"

    def start(self) -> None:
        self.stream.write("[")

    def export(self, prospect: Prospect) -> None:
        self.stream.write(("\n  " if self.count == 0 else ",\n  ") + json.dumps(record(prospect), ensure_ascii=False))
        self.count += 1

    def finish(self) -> None:
        self.stream.write("\n]\n" if self.count else "]\n")
