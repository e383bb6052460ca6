"""One digest body → its individual queries → labelled fields.

Digests come in a few shapes: numbered sections ("1) Summary: ..."), "Query #2" headers,
separator lines ("-----", "=====", "*****"), or HTML with a heading per query. A body is
cut at every separator and every query start; each piece is read as "Label: value" lines
(a value runs on until the next known label), and kept only when it carries enough fields
to be a query (so an index, a greeting or a footer is not one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from discover.haro import JournalistQuery
from discover.haro.deadline import Deadline, find_zone, is_expired, is_urgent, parse_deadline_info

__all__ = ["html_to_text", "split_digest", "extract_fields", "fields_to_query", "queries_from_body", "FIELD_LABELS"]

#: Field → the labels digests and boards use for it (lower case, single spaces).
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "summary": ("summary", "title", "subject", "headline", "request title", "query title", "topic",
                "story", "request summary", "query summary", "opportunity", "request"),
    "category": ("category", "categories", "section", "beat", "industry", "sector", "topic category",
                 "query category", "request category"),
    "journalist": ("name", "journalist", "reporter", "writer", "journalist name", "reporter name",
                   "author", "from", "contact name", "posted by", "requested by", "editor", "producer",
                   "journalist/writer", "writer name"),
    "outlet": ("media outlet", "outlet", "publication", "media", "publisher", "outlet name",
               "publication name", "media name", "news outlet", "station", "show", "podcast",
               "magazine", "masthead", "media outlet name"),
    "outlet_url": ("outlet url", "website", "url", "media url", "publication url", "site",
                   "outlet website", "web", "media outlet url", "outlet link", "publication website",
                   "media website", "media web site", "media outlet website", "website url", "web address"),
    "deadline": ("deadline", "due", "respond by", "reply by", "closes", "expires", "submission deadline",
                 "response deadline", "needed by"),
    # A deadline may come as separate date, time and zone lines; they are read together.
    "deadline_date": ("deadline date", "due date", "closing date", "date due", "deadline day"),
    "deadline_time": ("deadline time", "due time", "time due", "closing time", "deadline hour"),
    "time_zone": ("time zone", "timezone", "deadline time zone", "deadline timezone", "tz"),
    "requirements": ("requirements", "requirement", "criteria", "must have", "looking for",
                     "who we need", "expert requirements", "qualifications", "eligibility",
                     "source requirements", "ideal source"),
    "reply_to": ("email", "e-mail", "reply to", "reply-to", "respond to", "contact", "contact email",
                 "submit", "pitch to", "send to", "reply", "apply", "respond", "how to respond",
                 "responses to", "reply link", "submit at", "response email", "pitch", "send pitches to",
                 "reply address", "respond here", "answer at"),
    "details": ("query", "details", "description", "what i need", "what we need", "what i'm looking for", "request details", "question", "questions", "body",
                "pitch request", "brief", "the ask", "more info", "info", "message", "query details",
                "full query", "background"),
}
_LABEL_TO_FIELD = {label: name for name, labels in FIELD_LABELS.items() for label in labels}
#: Fields whose value may run over several lines; after any other, unlabelled lines are body text.
_MULTILINE = ("details", "requirements", "summary")
#: Fields that make a labelled block a query rather than a header or a footer.
_SUBSTANCE = ("deadline", "deadline_date", "reply_to", "details", "requirements")
#: Fields that open a query: a piece after a divider that has none of them continues the query
#: before it (a "-----" inside a query's body), and one given twice starts the next query.
_HEADER_FIELDS = frozenset({"summary", "category", "journalist", "outlet", "outlet_url", "deadline",
                            "deadline_date", "deadline_time"})
#: Navigation left in a query's text by digests ("Back to Top", "Back to top (#top)").
_NAV_LINE = re.compile(r"^\s*(?:back to (?:the )?(?:top|index|category index|contents)|top of (?:the )?page|[\u2191^]\s*top)"
                       r"\s*(?:\(#?\w*\))?\s*$", re.I)

_SEPARATOR = re.compile(r"^\s*(?:[-=_*~+#•·]\s*){3,}\s*$")
_START = re.compile(
    r"^\s*(?:"
    r"(?:query|request|pitch|opportunity|journo\s*request|source\s*request)\s*(?:#|no\.?|number)?\s*\d{1,4}\b"
    r"|\d{1,4}\s*[).]\s*(?:(?:summary|title|subject|query|request|headline)\s*:|#journorequest\b)"
    r"|#\s?\d{1,4}\b(?!\s*[:/])"
    r"|\[\s*\d{1,4}\s*\]"
    r"|#journorequest\b"
    r")", re.I)
_LABEL_LINE = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:\d{1,4}\s*[).]\s*)?(?:\*\*)?(?P<label>[A-Za-z][A-Za-z /&'’-]{0,34}?)(?:\*\*)?\s*[:：]"
    r"(?!//)\s*(?P<value>.*)$")
_NUMBER_PREFIX = re.compile(
    r"^\s*(?:(?:query|request|pitch|opportunity)\s*(?:#|no\.?|number)?\s*\d{1,4}\s*[:.)\-–—]?\s*"
    r"|\d{1,4}\s*[).:\-–—]\s*|#\s?\d{1,4}\s*[:.)\-–—]?\s*|\[\s*\d{1,4}\s*\]\s*)", re.I)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_URL = re.compile(r"https?://[^\s<>()\"']+")
_OUTLET_BYLINE = re.compile(r"^(.+?)\s*\((\p{Lu}[\w'’-]+(?:\s+\p{Lu}[\w'’-]+){1,3})\)\s*$".replace(
    r"\p{Lu}", "[A-Z\u00c0-\u00de]"))
_URGENT_MARK = re.compile(r"\burgent\b", re.I)
#: Pieces after a divider that are the digest's own footer or ads, never a query's continuation.
_NOT_CONTINUATION = re.compile(r"\b(unsubscribe|manage (?:your )?(?:subscription|preferences)|you are receiving|"
                               r"you're receiving|view (?:this email )?in (?:your )?browser|sponsored|advertise|"
                               r"all rights reserved|privacy policy|copyright|forwarded this email)\b|\u00a9", re.I)
_FOOTER = re.compile(r"\b(unsubscribe|manage (?:your )?(?:subscription|preferences)|you are receiving|"
                     r"you're receiving|view (?:this email )?in (?:your )?browser)\b", re.I)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer",
          "blockquote", "pre", "dl", "dt", "dd", "tbody", "thead", "center", "main", "aside", "form",
          "h5", "h6", "address", "figure", "figcaption", "nav"}
_HEADINGS = {"h1", "h2", "h3", "h4"}


def normalise_text(text: str) -> str:
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Visible text with the structure a digest needs: block breaks, a separator before each
    heading and <hr>, "label: value" for dt/dd and two-cell table rows, link targets kept."""
    import lxml.html
    from lxml import etree

    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return normalise_text(re.sub(r"<[^>]+>", " ", html))
    out: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "head", "title", "noscript", "template") or not isinstance(el.tag, str):
            if el.tail:
                out.append(el.tail)
            return
        tag = tag.lower()
        if tag == "hr":
            out.append("\n-----\n")
        elif tag in _HEADINGS:
            out.append("\n-----\n")
        elif tag in _BLOCK:
            out.append("\n")
        if tag == "table" and _query_table(el, render_cell, out):
            if el.tail:
                out.append(el.tail)
            return
        if tag == "tr":
            cells = _cells(el)
            if len(cells) == 2:
                label = " ".join(cells[0].text_content().split()).rstrip(":")
                out.append(f"{label}: ")
                if cells[1].text:
                    out.append(cells[1].text)
                walk_children(cells[1])
                out.append("\n")
                if el.tail:
                    out.append(el.tail)
                return
        if el.text:
            out.append(el.text)
        walk_children(el)
        if tag == "dt":
            text = "".join(out[-1:]).rstrip()
            out.append("" if text.endswith(":") else ": ")
        elif tag == "a":
            href = (el.get("href") or "").strip()
            shown = el.text_content()
            target = href[7:].split("?")[0] if href.lower().startswith("mailto:") else href
            if target and not target.startswith("#") and target not in shown and \
                    href.lower().startswith(("mailto:", "http://", "https://")):
                out.append(f" <{target}>")
        elif tag in _BLOCK or tag in _HEADINGS or tag in ("td", "th"):
            out.append("\n" if tag not in ("td", "th") else " ")
        if el.tail:
            out.append(el.tail)

    def walk_children(el) -> None:
        for child in el:
            walk(child)

    def render_cell(cell) -> str:
        """One table cell's text on its own (block breaks kept), not added to the output."""
        start = len(out)
        out.append("\n")
        if cell.text:
            out.append(cell.text)
        walk_children(cell)
        text = "".join(out[start:])
        del out[start:]
        return normalise_text(re.sub(r":[ \t]*\n+[ \t]*(?=[^\s=_*~-])", ": ", text))

    body = root.find("body")
    walk(body if body is not None else root)
    # "dt" then "dd" on separate lines → join them into one "Label: value" line.
    text = re.sub(r":[ \t]*\n+[ \t]*(?=[^\s=_*~-])", ": ", "".join(out).replace("\r", ""))
    return normalise_text(text)


# --- Tables with one query per row ("Request | Outlet | Deadline | Contact") -----------------
_DATEISH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
    r"|\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b|\b(?:today|tomorrow|asap|eod)\b"
    r"|\b\d{1,2}(?::\d{2})?\s*[ap]\.?m\b", re.I)
_CONTACT_ONLY = re.compile(r"^\s*(?:(?:reply|respond|email|contact|pitch)(?:\s+\w+)?\s*[:\-–—]?\s*)?<?"
                           r"(?:mailto:)?(?:[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|https?://\S+)>?\s*$", re.I)
_NAME = re.compile(r"^(?:[A-Z\u00c0-\u00de][\w'’.-]+\s+){1,3}[A-Z\u00c0-\u00de][\w'’-]+$")
_BYLINE_SPLIT = re.compile(r"\s+(?:—|–|-|\||·|/)\s+|,\s+(?=[A-Z])")
#: The label a table cell's value is given when it is written out as "Label: value".
_CANONICAL = {name: labels[0] for name, labels in FIELD_LABELS.items()}


def _cells(tr) -> list:
    return [c for c in tr if isinstance(c.tag, str) and c.tag.lower() in ("th", "td")]


def _rows(table) -> list:
    rows = []
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag.lower() == "tr")
    return rows


def _header_fields(cells: list) -> list[str | None] | None:
    """A header row ("Request | Outlet | Deadline"): the field each column holds, else None."""
    if len(cells) < 2:
        return None
    names = [_label_field(" ".join(c.text_content().split()).rstrip(":： ")) for c in cells]
    known = [n for n in names if n]
    all_th = all(c.tag.lower() == "th" for c in cells)
    if len(known) >= 2 and len(set(known)) == len(known) and (all_th or len(known) == len(cells)):
        return names
    return None


def _looks_like_query_row(texts: list[str]) -> bool:
    """A headerless row is a query when its first cell is not a label and some cell is a date or a contact."""
    if len(texts) < 2 or not texts[0]:
        return False
    first = texts[0].split("\n")[0]
    if _label_field(first.rstrip(":： ")) or (len(first) <= 40 and first.rstrip().endswith((":", "："))):
        return False
    return any(_CONTACT_ONLY.match(t) or (len(t) <= 60 and _DATEISH.search(t)) or _EMAIL.search(t)
               for t in texts[1:]) and len(texts[0]) > 15


def _read_rich_cell(lines: list[str], found: dict[str, str]) -> None:
    """A cell holding a whole query: its first line the summary, a short line after it the outlet
    (and journalist), "Label: value" lines their fields, a lone address the reply, the rest details."""
    details: list[str] = []
    for i, line in enumerate(line for line in lines if line.strip()):
        m = _LABEL_LINE.match(line)
        name = _label_field(m.group("label")) if m else None
        if m and name and m.group("value").strip():
            found.setdefault(name, m.group("value").strip())
        elif i == 0 and "summary" not in found:
            found["summary"] = _NUMBER_PREFIX.sub("", line).strip(" -–—:")
        elif _CONTACT_ONLY.match(line) and "reply_to" not in found:
            found["reply_to"] = line
        elif (i == 1 and "outlet" not in found and len(line) <= 100 and len(line.split()) <= 12
              and not line.rstrip().endswith((".", "?", "!", ":")) and not _EMAIL.search(line)
              and not _URL.search(line)):
            parts = _BYLINE_SPLIT.split(line)
            if len(parts) >= 2 and _NAME.match(parts[-1].strip()) and "journalist" not in found:
                found["outlet"] = " - ".join(p.strip() for p in parts[:-1])
                found["journalist"] = parts[-1].strip()
            else:
                found["outlet"] = line
        else:
            details.append(line)
    if details:
        found["details"] = (found.get("details", "") + "\n" + "\n".join(details)).strip()


def _read_query_row(columns: list[str | None], texts: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    pending: list[str] = []
    for name, text in zip(columns, texts):
        if not text:
            continue
        lines = [line for line in text.split("\n") if line.strip()]
        if name in (None, "summary", "details") and len(lines) > 1 and "summary" not in found:
            _read_rich_cell(lines, found)
        elif name:
            value = "\n".join(lines) if name in _MULTILINE else " ".join(lines)
            found[name] = (found[name] + "\n" + value) if name == "details" and name in found else \
                found.get(name, value)
        else:
            pending.append(text)
    for text in pending:  # a column without a header: guess from what the cell holds
        flat = " ".join(text.split())
        if _CONTACT_ONLY.match(flat) or (_EMAIL.fullmatch(flat)):
            name = "reply_to"
        elif len(flat) <= 60 and _DATEISH.search(flat):
            name = "deadline"
        elif "summary" not in found:
            name = "summary"
        elif len(flat) <= 80 and "outlet" not in found:
            name = "outlet"
        else:
            name = "details"
        if name == "details" and "details" in found:
            found["details"] += "\n" + text
        else:
            found.setdefault(name, flat if name not in _MULTILINE else text)
    if "summary" in found:
        found["summary"] = _NUMBER_PREFIX.sub("", found["summary"]).strip(" -–—:")
    return found


def _query_table(table, render_cell, out: list[str]) -> bool:
    """Write a table whose rows are queries as one "Label: value" block per row; False (and nothing
    written) when the table is not one (layout tables, "label | value" tables, ...)."""
    rows = _rows(table)
    if len(rows) < 1:
        return False
    columns: list[str | None] | None = None
    start = 0
    for i, row in enumerate(rows[:3]):
        columns = _header_fields(_cells(row))
        if columns:
            start = i + 1
            break
    data: list[tuple[Any, list[str] | None]] = []
    for row in rows[start:]:
        cells = _cells(row)
        if len(cells) < 2:
            data.append((row, None))
            continue
        data.append((row, [render_cell(c) for c in cells]))
    multi = [texts for _, texts in data if texts is not None]
    if not multi:
        return False
    if columns is None:
        query_rows = [t for t in multi if _looks_like_query_row(t)]
        if not query_rows or len(query_rows) * 2 < len(multi):
            return False
    for i, row in enumerate(rows[:start]):
        if i < start - 1:
            out.append("\n" + render_cell(row) + "\n")
    out.append("\n")
    for row, texts in data:
        if texts is None or (columns is None and not _looks_like_query_row(texts)):
            out.append("\n" + render_cell(row) + "\n")
            continue
        cols = list(columns or [])
        cols += [None] * (len(texts) - len(cols))
        found = _read_query_row(cols, texts)
        if not found:
            continue
        out.append("\n-----\n")
        for name, value in found.items():
            if value.strip():
                out.append(f"{_CANONICAL[name]}: {value}\n")
        out.append("\n-----\n")
    return True


def split_digest(text: str) -> list[str]:
    """Cut a digest body into query blocks.

    Queries start at a query header ("1) Summary:", "Query #2", a field that opens a query given a
    second time) or after a divider. A divider alone does not end a query: the piece after it
    continues the query before it unless it opens a query itself (a header field, a query start)
    or is the digest's footer, so a "-----" inside a query's body keeps the body whole.
    """
    pieces: list[tuple[bool, list[str]]] = [(False, [])]   # (starts after a divider, lines)
    seen: set[str] = set()   # fields already given in the current piece
    for line in normalise_text(text).split("\n"):
        if _SEPARATOR.match(line):
            pieces.append((True, [line]))
            seen = set()
            continue
        m = _LABEL_LINE.match(line)
        name = _label_field(m.group("label")) if m else None
        # A field that opens a query, given a second time, starts the next query (digests with no
        # dividers); a body's second "Question:" does not.
        repeated = name is not None and name in seen and name in _HEADER_FIELDS
        if (_START.match(line) or repeated) and any(x.strip() and not _SEPARATOR.match(x) for x in pieces[-1][1]):
            pieces.append((False, []))
            seen = set()
        if name:
            seen.add(name)
        pieces[-1][1].append(line)

    blocks: list[list[str]] = []
    open_body = False   # the last block is a query whose body (details) was still running
    for after_divider, lines in pieces:
        content = [x for x in lines if not _SEPARATOR.match(x)]
        body = "\n".join(content).strip()
        if not body:
            continue
        if after_divider and open_body and _continues_query(body):
            blocks[-1].extend(lines)
            continue
        blocks.append(content)
        last = extract_fields(body)
        open_body = is_query(last) and bool(last.fields.get("details"))
    return [b for b in ("\n".join(lines).strip() for lines in blocks) if b]


def _continues_query(piece: str) -> bool:
    """A piece after a divider that opens nothing: more of the query before it. A lone short
    line ("More requests") is a section heading between queries, not body text."""
    first = piece.split("\n", 1)[0]
    if _START.match(first) or _NOT_CONTINUATION.search(piece):
        return False
    if "\n" not in piece and len(piece.split()) <= 6 and not piece.rstrip().endswith((".", "?", "!", ":")):
        return False
    fields = extract_fields(piece).fields
    if any(k in _HEADER_FIELDS for k in fields) or {"reply_to", "details"} <= fields.keys():
        return False
    return True


def _label_field(label: str) -> str | None:
    key = " ".join(label.lower().replace("’", "'").split())
    return _LABEL_TO_FIELD.get(key)


@dataclass
class Block:
    fields: dict[str, str] = field(default_factory=dict)
    heading: str = ""             # the first line when it is not a label line
    text: str = ""
    number: int | None = None     # the digest's own number for this query, when it gives one
    notes: list[str] = field(default_factory=list)   # unlabelled lines between fields ("No AI Pitches Considered")


def _split_piped(lines: list[str]) -> list[str]:
    """"Publication: X | Writer: Y" → two label lines (only when every piece is a known label)."""
    out: list[str] = []
    for line in lines:
        pieces = [p.strip() for p in line.split(" | ")] if " | " in line else []
        if len(pieces) > 1 and all((m := _LABEL_LINE.match(p)) and _label_field(m.group("label")) for p in pieces):
            out.extend(pieces)
        else:
            out.append(line)
    return out


def extract_fields(block: str) -> Block:
    """Read "Label: value" lines (values run on until the next known label)."""
    result = Block(text=block.strip())
    current: str | None = None
    body: list[str] = []
    lines = block.split("\n")
    num = re.match(r"^\s*(?:(?:query|request|pitch|opportunity)\s*(?:#|no\.?|number)?\s*|#\s?|\[\s*)?(\d{1,4})\b",
                   lines[0], re.I) if lines else None
    if num:
        result.number = int(num.group(1))
    for i, line in enumerate(_split_piped(lines)):
        m = _LABEL_LINE.match(line)
        name = _label_field(m.group("label")) if m else None
        if m and name and name not in result.fields:
            current = name
            result.fields[name] = m.group("value").strip()
            continue
        if i == 0 and not result.heading:
            heading = re.sub(r"^#journorequest\b[:\s-]*", "", _NUMBER_PREFIX.sub("", line).strip(" -–—:"), flags=re.I)
            if heading and not _SEPARATOR.match(heading):
                result.heading = heading
                continue
        if _NAV_LINE.match(line):
            continue
        if current in _MULTILINE and line.strip():
            result.fields[current] = (result.fields[current] + "\n" + line.strip()).strip()
        elif current in _MULTILINE and not line.strip():
            result.fields[current] += "\n"
        elif current and line.strip():
            # Unlabelled text after a one-line field (outlet, deadline ...) is the query's body.
            body.append(line.strip())
    result.fields = {k: v.strip() for k, v in result.fields.items()}
    result.notes = body
    if body and not result.fields.get("details"):
        result.fields["details"] = "\n".join(body)
    return result


# --- Requirements written into the query's text ------------------------------------------------
#: Sentences that say who may answer or what an answer must carry. Generic English wording of
#: eligibility and submission conditions; measured on the real digests in tests/data/haro-real.
_REQUIREMENT = re.compile(
    r"\bmust\b|\bshould (?:be|have|hold|include)\b|\bneed(?:s)? to (?:be|have)\b"
    r"|(?-i:\b(?:U\.?S\.?|U\.?K\.?|EU|[A-Z][a-z]+)-based\b)"
    r"|\b(?:[\w-]+s|expert|source|professional|response|submission|candidate) only\b"
    r"|\bonly (?:accept|consider|want|need|looking|interested|include|experts?|sources?|those|people)\b"
    r"|\b(?:not|no longer) (?:be )?(?:accepting|accepted|accept|considered|consider|considering|interested in)\b"
    r"|\bno (?:ai\b|a\.i\.|chatgpt|pr\b|pr (?:firms?|agenc)|agenc|third[- ]part|pitches from|bloggers?|seo\b)"
    r"|\b(?:ai|chatgpt|llm)[- ](?:generated|written|edited|assisted|created|use)\b|\bno use of ai\b|\bdon'?t use ai\b"
    r"|\bwill (?:be )?(?:discarded|rejected|ignored|disqualified)\b"
    r"|\brequire(?:s|d|ments?)?\b|\bqualif(?:ied|ications?)\b|\bcertified\b|\blicen[sc]ed\b|\bcredentials?\b"
    r"|\beligib|\bat least (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b|\byears? of experience\b"
    r"|\bplease (?:also )?(?:include|provide|send|share|attach|add)\b|\bheadshots?\b"
    r"|\b(?:looking|seeking|searching|hoping) (?:for|to (?:speak|talk|hear|feature|interview))\b"
    r"|^\s*you\s*:", re.I | re.M)
_SENTENCE = re.compile(r"(?<=[.!?])[\s\u00a0]+(?=[\"'(\u201c]?[A-Z0-9])|\n+")


def requirements_in(text: str) -> str:
    """The sentences of a query's text that state requirements (who may answer, what an answer
    must carry), one per line, in order, without repeats."""
    kept: list[str] = []
    for sentence in _SENTENCE.split(text):
        sentence = " ".join(sentence.split())
        if len(sentence) < 4 or _NAV_LINE.match(sentence) or _SEPARATOR.match(sentence):
            continue
        if _REQUIREMENT.search(sentence) and sentence not in kept:
            kept.append(sentence)
    return "\n".join(kept)


def is_query(block: Block) -> bool:
    known = [k for k, v in block.fields.items() if v]
    if "#journorequest" in block.text.lower() and (_EMAIL.search(block.text) or len(block.text) > 40):
        return True
    if _FOOTER.search(block.text) and not any(k in block.fields for k in ("deadline", "details")):
        return False
    has_title = "summary" in block.fields or bool(block.heading)
    return (len(known) >= 2 or (has_title and len(known) >= 1)) and any(k in known for k in _SUBSTANCE)


def _reply_target(value: str, text: str) -> str:
    """An address or link to answer at: from the labelled value, else the first one in the block."""
    for source in (value, text):
        if not source:
            continue
        m = _EMAIL.search(source)
        if m:
            return m.group(0).rstrip(".")
        u = _URL.search(source)
        if u:
            return u.group(0).rstrip(".,;")
    return " ".join(value.split())


def _deadline(text: str, reference: datetime, default_tz: tzinfo | None,
              zone_known: bool = False) -> Deadline | None:
    try:
        return parse_deadline_info(text, reference, default_tz=default_tz, default_zone_known=zone_known)
    except (ValueError, OverflowError):  # an impossible date is no deadline, not a broken message
        return None


def deadline_text_of(fields: dict[str, str]) -> str:
    """The deadline as written, from one "Deadline:" line or separate date, time and zone lines."""
    parts = [fields.get(k, "").strip() for k in ("deadline", "deadline_date", "deadline_time", "time_zone")]
    return " ".join(p for p in parts if p)


_BARE_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?$", re.I)


def fields_to_query(block: Block, *, source: str, origin: str, number: int, reference: datetime,
                    now: datetime, default_tz: tzinfo | None = None,
                    default_zone_known: bool = False) -> JournalistQuery:
    f = block.fields
    summary = f.get("summary") or block.heading
    if not summary and "#journorequest" in block.text.lower():
        summary = re.sub(r"#journorequest\b[:\s-]*", "", block.text, flags=re.I).split("\n")[0][:200]
    deadline_text = deadline_text_of(f)
    info = _deadline(deadline_text, reference, default_tz, default_zone_known) if deadline_text else None
    if info is None:
        m = re.search(r"\b(?:deadline|due|by|before|until)\b[:\s]+([^\n]{3,80})", block.text, re.I)
        if m:
            info = _deadline(m.group(1), reference, default_tz, default_zone_known)
            deadline_text = deadline_text or (m.group(1).strip() if info else "")
    deadline = info.at if info else None
    outlet_url = f.get("outlet_url", "").strip()
    u = _URL.search(outlet_url)
    if u:
        outlet_url = u.group(0).rstrip(".,;")
    elif _BARE_DOMAIN.match(outlet_url):   # "MEDIA WEBSITE: www.example.com"
        outlet_url = "https://" + outlet_url
    outlet = f.get("outlet", "")
    journalist = f.get("journalist", "")
    byline = _OUTLET_BYLINE.match(outlet)
    if byline and not journalist:  # "Yorkshire Evening Post Online (Sophie Brennan)"
        outlet, journalist = byline.group(1), byline.group(2)
    u = _URL.search(outlet)
    if u:  # "TechWeekly (https://techweekly.example)"
        outlet_url = outlet_url or u.group(0).rstrip(".,;)")
        outlet = re.sub(r"[(<\[]?\s*" + re.escape(u.group(0)) + r"\s*[)>\]]?", " ", outlet).strip(" -–—,")
    urgent_mark = bool(_URGENT_MARK.search(summary) or _URGENT_MARK.search(f.get("category", "")))
    expired = is_expired(deadline, now)
    return JournalistQuery(
        source=source,
        summary=re.sub(r"^#journorequest\b[:\s-]*", "", " ".join(summary.split()), flags=re.I),
        category=" ".join(f.get("category", "").split()),
        outlet=" ".join(outlet.split()),
        journalist=" ".join(journalist.split()),
        deadline=deadline,
        requirements=f.get("requirements", "").strip() or
        requirements_in("\n".join(block.notes + [f.get("details", "")])),
        reply_to=_reply_target(f.get("reply_to", ""), block.text),
        text=block.text,
        outlet_url=outlet_url,
        urgent=not expired and (is_urgent(deadline, now) or urgent_mark),
        expired=expired,
        origin=origin,
        number=number,
        received=reference,
        deadline_text=" ".join(deadline_text.split()),
        details=f.get("details", "").strip(),
        deadline_time_known=bool(info and info.time_known),
        deadline_zone=info.zone if info and info.zone_known else "",
    )


#: A line outside the queries that states the zone of every time in the digest ("All deadlines
#: are Eastern Time", "(times in GMT)").
_ZONE_STATEMENT = re.compile(r"\b(?:deadlines?|times?|time zone|timezone|hours)\b", re.I)


def digest_zone(texts: list[str]) -> tzinfo | None:
    """The zone a digest gives once for all its queries, from the text outside its queries."""
    for text in texts:
        for line in text.split("\n"):
            if len(line) > 300 or not _ZONE_STATEMENT.search(line):
                continue
            hit = find_zone(line)
            if hit is not None:
                return hit[0]
    return None


def queries_from_body(text: str, *, name: str, reference: datetime, now: datetime, origin: str = "mail",
                      default_tz: tzinfo | None = None) -> list[JournalistQuery]:
    """Every query in one digest body, numbered from 1 in order, sources "<name>#<n>".

    A time with no zone of its own is read in the zone the digest states once for all queries;
    failing that in `default_tz` (the Date header's zone), recorded as assumed."""
    blocks = [extract_fields(raw) for raw in split_digest(text)]
    queries = [b for b in blocks if is_query(b)]
    stated = digest_zone([b.text for b in blocks if not is_query(b)])
    out: list[JournalistQuery] = []
    for block in queries:
        n = len(out) + 1
        out.append(fields_to_query(block, source=f"{name}#{n}", origin=origin, number=n,
                                   reference=reference, now=now, default_tz=stated or default_tz,
                                   default_zone_known=stated is not None))
    return out
