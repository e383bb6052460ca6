"""Digest emails → JournalistQuery: a .eml file, a folder of them, or an mbox.

Bodies are read the way mail clients do: multipart/alternative prefers text/plain and falls
back to the HTML part (converted to structured text) when the plain part holds no queries;
quoted-printable and base64 are undone by the `email` package; charsets are honoured when
the bytes agree with them, and otherwise guessed (charset_normalizer) with replacement
characters rather than failure. A file that cannot be read is reported as a MailProblem and
the batch goes on.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import logging
import mailbox
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Iterator

from discover.errors import InputError
from discover.haro import JournalistQuery, MailProblem
from discover.haro.digest import html_to_text, queries_from_body

log = logging.getLogger(__name__)

__all__ = ["parse_mail", "read_mail", "MailBatch", "queries_from_message", "decode_part", "MAIL_SUFFIXES"]

MAIL_SUFFIXES = (".eml", ".msg", ".txt", ".mbox", ".mbx")

# Latin-1 labels are, in practice, windows-1252 (as browsers assume): curly quotes and
# dashes in 0x80–0x9F would otherwise come out as control characters.
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
                    "ascii": "cp1252", "iso_8859-1": "cp1252", "l1": "cp1252"}


@dataclass
class MailBatch:
    queries: list[JournalistQuery] = field(default_factory=list)
    problems: list[MailProblem] = field(default_factory=list)
    messages: int = 0             # messages read (with or without queries)


def decode_part(part: email.message.Message) -> str:
    """The text of one MIME part, whatever its transfer encoding and (claimed) charset."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):   # None for a multipart part
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    declared = (part.get_content_charset() or "").lower()
    return decode_bytes(payload, declared)


def decode_bytes(payload: bytes, declared: str = "") -> str:
    charset = _CHARSET_ALIASES.get(declared, declared)
    if charset:
        try:
            text = payload.decode(charset)
            # cp1252 accepts almost anything: UTF-8 mislabelled as Latin-1 shows up as "Ã©".
            if charset == "cp1252" and ("Ã" in text or "â€" in text):
                try:
                    return payload.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            return text
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(payload).best()
    if best is not None:
        return str(best)
    return payload.decode(charset if _known(charset) else "utf-8", errors="replace")


def _known(charset: str) -> bool:
    import codecs

    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return bool(charset)


def _bodies(msg: email.message.Message) -> tuple[list[str], list[str]]:
    plain: list[str] = []
    html: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(decode_part(part))
        elif ctype == "text/html":
            html.append(decode_part(part))
        elif ctype == "message/rfc822":
            continue
    return plain, html


def _message_date(msg: email.message.Message, now: datetime) -> tuple[datetime, tzinfo]:
    raw = msg.get("Date")
    if raw:
        try:
            dt = email.utils.parsedate_to_datetime(str(raw))
        except (TypeError, ValueError, IndexError):
            dt = None
        if dt is not None:
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            return dt, dt.tzinfo  # type: ignore[return-value]
    return now, now.tzinfo or timezone.utc


def queries_from_message(msg: email.message.Message, name: str, *, now: datetime,
                         origin: str = "mail") -> list[JournalistQuery]:
    """Every query in one message. Raises InputError when the message is not a readable email."""
    if not msg.keys():
        raise InputError("not an email message: no headers")
    try:
        plain, html = _bodies(msg)
    except (LookupError, ValueError, AssertionError) as exc:
        raise InputError(f"unreadable MIME structure: {exc}") from None
    if not plain and not html:
        kinds = sorted({p.get_content_type() for p in msg.walk() if not p.is_multipart()})
        raise InputError("no text/plain or text/html body" + (f" (only {', '.join(kinds)})" if kinds else ""))
    reference, tz = _message_date(msg, now)
    for bodies, convert in ((plain, False), (html, True)):
        for body in bodies:
            text = html_to_text(body) if convert else body
            found = queries_from_body(text, name=name, reference=reference, now=now, origin=origin, default_tz=tz)
            if found:
                return found
    return []


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() in (".mbox", ".mbx"):
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _sources(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.is_file() and (p.suffix.lower() in MAIL_SUFFIXES or _is_mbox(p)):
                yield p
    else:
        yield path


def read_mail(path: str | Path, *, now: datetime | None = None, include_expired: bool = False) -> MailBatch:
    """Queries and per-file problems from a .eml file, a folder of .eml/mbox files, or an mbox."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"mail path not found: {path}", hint="give a .eml file, a folder of them, or an mbox")
    now = now or datetime.now(timezone.utc)
    batch = MailBatch()
    files = list(_sources(path))
    if not files:
        raise InputError(f"no .eml or mbox files in {path}", hint="give a .eml file, a folder of them, or an mbox")
    for file in files:
        if _is_mbox(file):
            _read_mbox(file, now, batch)
            continue
        try:
            data = file.read_bytes()
        except OSError as exc:
            batch.problems.append(MailProblem(file.name, f"cannot read: {exc.strerror or exc}"))
            continue
        batch.messages += 1
        try:
            if not data.strip():
                raise InputError("empty file")
            msg = email.message_from_bytes(data, policy=email.policy.default)
            found = queries_from_message(msg, file.name, now=now)
        except InputError as exc:
            batch.problems.append(MailProblem(file.name, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            batch.problems.append(MailProblem(file.name, f"malformed message ({type(exc).__name__}: {exc})"))
            continue
        if not found:
            batch.problems.append(MailProblem(file.name, "no journalist queries found in this message"))
        batch.queries.extend(found)
    if not include_expired:
        batch.queries = [q for q in batch.queries if not q.expired]
    return batch


def _read_mbox(file: Path, now: datetime, batch: MailBatch) -> None:
    try:
        box = mailbox.mbox(str(file), factory=None, create=False)
        keys = list(box.keys())
    except (OSError, mailbox.Error) as exc:
        batch.problems.append(MailProblem(file.name, f"cannot read mbox: {exc}"))
        return
    for i, key in enumerate(keys, start=1):
        name = f"{file.name}:{i}"
        batch.messages += 1
        try:
            msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            batch.queries.extend(queries_from_message(msg, name, now=now))
        except InputError as exc:
            batch.problems.append(MailProblem(name, str(exc)))
        except Exception as exc:  # noqa: BLE001
            batch.problems.append(MailProblem(name, f"malformed message ({type(exc).__name__}: {exc})"))
    box.close()


def parse_mail(path: str | Path, *, now: datetime | None = None, include_expired: bool = False,
               problems: list[MailProblem] | None = None) -> list[JournalistQuery]:
    """Journalist queries in a .eml file, a folder of them, or an mbox; expired ones dropped.

    Per-file problems are appended to `problems` when given (else logged); InputError when
    nothing at all could be read.
    """
    batch = read_mail(path, now=now, include_expired=include_expired)
    if problems is not None:
        problems.extend(batch.problems)
    else:
        for p in batch.problems:
            log.warning("%s", p)
    if batch.problems and batch.messages and len(batch.problems) >= batch.messages and not batch.queries:
        raise InputError(f"no message in {path} could be read ({batch.problems[0]})",
                         hint="check the files are RFC 5322 emails (.eml) or an mbox")
    return batch.queries
