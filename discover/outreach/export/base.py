"""The `Exporter` base (start / export / finish, as scrapy's item exporters) and CSV cell safety."""

from __future__ import annotations

import csv
import re
from collections import Counter
from typing import Any, ClassVar, Sequence, TextIO

from discover.records import Prospect

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection).

    Cells starting with = + - @ TAB or CR get a leading apostrophe; plain numbers such as
    -3.5 and E.164 phone numbers such as +441134960000 are left alone so they stay numbers.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else ""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_DANGEROUS) and not _NUMBER.match(text):
        return "'" + text
    return text


class Exporter:
    """Writes prospects to a text stream: `start()`, `export(p)` per prospect, `finish()`.

    A prospect the target product would refuse to import (`problem(p)` names why) is not
    written; `rejected` counts them by reason so the caller can say so."""

    name: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, stream: TextIO, *, bom: bool = False) -> None:
        self.stream = stream
        self.bom = bom
        self.count = 0
        self.rejected: Counter[str] = Counter()

    @classmethod
    def problem(cls, prospect: Prospect) -> str:
        """Why the product would reject this prospect's row ("" = it imports)."""
        return ""

    def start(self) -> None:
        pass

    def export(self, prospect: Prospect) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


class CsvExporter(Exporter):
    """A CSV file with a header row; subclasses map a prospect to the columns of one product."""

    extension = "csv"
    columns: ClassVar[Sequence[str]] = ()

    def start(self) -> None:
        if self.bom:
            self.stream.write("\ufeff")  # Excel reads UTF-8 only with a BOM
        self._writer = csv.writer(self.stream, lineterminator="\r\n")
        self._writer.writerow(self.columns)

    def row(self, prospect: Prospect) -> dict[str, Any]:
        raise NotImplementedError

    def export(self, prospect: Prospect) -> None:
        reason = self.problem(prospect)
        if reason:
            self.rejected[reason] += 1
            return
        row = self.row(prospect)
        self._writer.writerow([safe_cell(row.get(c)) for c in self.columns])
        self.count += 1
