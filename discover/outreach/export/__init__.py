"""Exporters, one module per format, behind one registry.

    exporter = get_exporter("hubspot")(stream, bom=True)
    exporter.start(); [exporter.export(p) for p in prospects]; exporter.finish()

or simply `export_prospects(prospects, "hubspot", "out.csv")`.
"""

from __future__ import annotations

import sys
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


def export_prospects(prospects: Iterable[Prospect], fmt: str, out: str | Path | None = None) -> int:
    """Write prospects in `fmt` to the file `out` (None or "-" = stdout); returns how many were written.

    CSV files get a UTF-8 BOM (Excel needs it); stdout does not (it is for pipes).
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
            return exporter.count
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


__all__ = ["EXPORTERS", "FORMATS", "CsvExporter", "Exporter", "export_prospects", "get_exporter", "safe_cell"]
