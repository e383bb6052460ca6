"""Exporters, one module per format, behind one registry.

    exporter = get_exporter("hubspot")(stream, bom=True)
    exporter.start(); [exporter.export(p) for p in prospects]; exporter.finish()

or simply `export_prospects(prospects, "hubspot", "out.csv")`.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, TextIO

from discover.errors import ExportError, InputError
from discover.outreach.export.base import CsvExporter, Exporter, safe_cell
from discover.outreach.export.buzzstream import BuzzStreamExporter
from discover.outreach.export.csv import CsvShortlistExporter
from discover.outreach.export.hubspot import HubSpotExporter
from discover.outreach.export.json import JsonExporter
from discover.outreach.export.jsonl import JsonlExporter
from discover.outreach.export.pipedrive import PipedriveExporter
from discover.outreach.export.pitchbox import PitchboxExporter
from discover.outreach.export.table import TableExporter
from discover.records import Prospect

EXPORTERS: dict[str, type[Exporter]] = {e.name: e for e in (
    TableExporter, CsvShortlistExporter, JsonExporter, JsonlExporter, HubSpotExporter, PipedriveExporter,
    BuzzStreamExporter, PitchboxExporter)}
FORMATS = tuple(EXPORTERS)


def get_exporter(name: str) -> type[Exporter]:
    try:
        return EXPORTERS[name]
    except KeyError:
        raise InputError(f"unknown format {name!r}", hint="one of " + ", ".join(FORMATS)) from None


@dataclass
class ExportReport:
    """What one export wrote, and the rows it left out because the product would refuse them."""

    fmt: str
    out: str
    written: int = 0
    rejected: dict[str, int] = field(default_factory=dict)   # reason → rows

    def to_json(self) -> dict:
        return {"format": self.fmt, "out": self.out, "written": self.written,
                "rejected": sum(self.rejected.values()), "rejected_by_reason": dict(self.rejected)}


def rejections(prospects: Iterable[Prospect], fmt: str) -> tuple[int, Counter[str]]:
    """(rows `fmt` would write, rows it would leave out by reason) — checked before writing."""
    cls = get_exporter(fmt)
    ok, rejected = 0, Counter[str]()
    for p in prospects:
        reason = cls.problem(p)
        if reason:
            rejected[reason] += 1
        else:
            ok += 1
    return ok, rejected


def export_prospects(prospects: Iterable[Prospect], fmt: str, out: str | Path | None = None) -> int:
    """Write prospects in `fmt` to the file `out` (None or "-" = stdout); returns how many were written."""
    return write_export(prospects, fmt, out).written


def write_export(prospects: Iterable[Prospect], fmt: str, out: str | Path | None = None) -> ExportReport:
    """Write prospects in `fmt` to the file `out` (None or "-" = stdout), streaming.

    CSV files get a UTF-8 BOM (Excel needs it); stdout does not (it is for pipes). Rows the
    product would refuse are left out and counted in the report, never written half-valid.
    """
    cls = get_exporter(fmt)
    to_stdout = out is None or str(out) == "-"
    try:
        stream: TextIO = sys.stdout if out is None or to_stdout else open(Path(out), "w", encoding="utf-8",
                                                                           newline="")
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror}") from None
    try:
        try:
            exporter = cls(stream, bom=issubclass(cls, CsvExporter) and not to_stdout)
            exporter.start()
            for p in prospects:
                exporter.export(p)
            exporter.finish()
            return ExportReport(fmt, "-" if to_stdout else str(out), exporter.count, dict(exporter.rejected))
        finally:
            if not to_stdout:
                stream.close()
            else:
                stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:   # a full disk, /dev/full, a /proc file that opens but refuses writes
        raise ExportError(f"cannot write {out if not to_stdout else 'to stdout'}: "
                          f"{exc.strerror or type(exc).__name__}") from None


__all__ = ["EXPORTERS", "FORMATS", "CsvExporter", "ExportReport", "Exporter", "export_prospects", "get_exporter",
           "rejections", "safe_cell", "write_export"]
