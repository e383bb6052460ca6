"""Read journalist-query digests from a live mailbox, read-only.

The folder is opened with EXAMINE (never SELECT) and messages are fetched with BODY.PEEK[]
so nothing is marked as read, moved or deleted. The password comes from an environment
variable (never the command line, never logged). What has been seen is remembered per
(host, user, folder) as UIDVALIDITY + the last UID in a small JSON state file, so a second
run reads only new mail; a changed UIDVALIDITY (the folder was rebuilt) starts over.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import json
import logging
import os
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from discover.errors import ConfigError, FetchError, InputError
from discover.haro import MailProblem
from discover.haro.mail import MailBatch, queries_from_message

log = logging.getLogger(__name__)

__all__ = ["ImapSource", "read_imap", "DEFAULT_PASSWORD_ENV", "STATE_FILE"]

DEFAULT_PASSWORD_ENV = "DISCOVER_IMAP_PASSWORD"
STATE_FILE = "imap-state.json"
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


@dataclass(frozen=True)
class ImapSource:
    host: str
    user: str
    folder: str = "INBOX"
    port: int = 0                 # 0 = 993 with TLS, 143 with STARTTLS/plain
    tls: str = "ssl"              # "ssl" (IMAPS) | "starttls" | "none" (loopback test servers only)
    password_env: str = DEFAULT_PASSWORD_ENV

    @property
    def key(self) -> str:
        return f"{self.user}@{self.host}:{self.port or ''}/{self.folder}"


def _load_state(path: Path) -> dict[str, dict[str, int]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(path: Path, state: dict[str, dict[str, int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _connect(src: ImapSource, timeout: float) -> imaplib.IMAP4:
    try:
        if src.tls == "ssl":
            return imaplib.IMAP4_SSL(src.host, src.port or 993, ssl_context=ssl.create_default_context(),
                                     timeout=timeout)
        conn = imaplib.IMAP4(src.host, src.port or 143, timeout=timeout)
        if src.tls == "starttls":
            conn.starttls(ssl_context=ssl.create_default_context())
        return conn
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FetchError(f"cannot connect to IMAP server {src.host}: {reason}", outcome="error",
                         hint="check --imap HOST and --imap-port / --imap-tls") from None


def read_imap(src: ImapSource, *, state_dir: Path, now: datetime | None = None, include_expired: bool = False,
              env: dict[str, str] | None = None, timeout: float = 30.0, remember: bool = True,
              limit: int = 500) -> MailBatch:
    """New digest messages in the folder since the last run → queries (read-only).

    `limit` caps messages per run (newest kept); `remember=False` reads without updating state.
    """
    password = (os.environ if env is None else env).get(src.password_env)
    if not password:
        raise ConfigError(f"no IMAP password: environment variable {src.password_env} is empty",
                          hint=f"export {src.password_env}=... (the password is never read from the command line)")
    if src.tls == "none" and src.host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError("refusing to send an IMAP password unencrypted to a non-loopback host",
                          hint="use --imap-tls ssl or starttls")
    now = now or datetime.now(timezone.utc)
    state_path = state_dir / STATE_FILE
    state = _load_state(state_path)
    seen = state.get(src.key, {})
    batch = MailBatch()
    conn = _connect(src, timeout)
    try:
        try:
            conn.login(src.user, password)
        except imaplib.IMAP4.error:
            raise InputError(f"IMAP login failed for {src.user} on {src.host}",
                             hint=f"check the user and the password in ${src.password_env}") from None
        del password
        try:
            typ, _ = conn.select(_quote(src.folder), readonly=True)  # EXAMINE
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error:
            typ = "NO"
        if typ != "OK":
            raise InputError(f"IMAP folder not found: {src.folder}", hint="e.g. --imap-folder INBOX")
        uidvalidity = _uidvalidity(conn, src.folder)
        last = int(seen.get("last_uid", 0)) if int(seen.get("uidvalidity", -1)) == uidvalidity else 0
        typ, data = conn.uid("SEARCH", None, f"UID {last + 1}:*")  # type: ignore[arg-type]  # no charset
        uids = [int(u) for u in (data[0] or b"").split()] if typ == "OK" else []
        uids = sorted(u for u in uids if u > last)[-limit:]
        for uid in uids:
            name = f"{src.folder}:{uid}"
            typ, parts = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((p[1] for p in parts or [] if isinstance(p, tuple) and len(p) > 1), None)
            if typ != "OK" or raw is None:
                batch.problems.append(MailProblem(name, "message could not be fetched"))
                continue
            batch.messages += 1
            try:
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                batch.queries.extend(queries_from_message(msg, name, now=now, origin="imap"))
            except InputError as exc:
                batch.problems.append(MailProblem(name, str(exc)))
            except Exception as exc:  # noqa: BLE001 - one bad message must not stop the rest
                batch.problems.append(MailProblem(name, f"malformed message ({type(exc).__name__})"))
        if uids and remember:
            state[src.key] = {"uidvalidity": uidvalidity, "last_uid": max(uids)}
            _save_state(state_path, state)
    except (OSError, socket.timeout, imaplib.IMAP4.abort) as exc:
        raise FetchError(f"IMAP connection to {src.host} failed: {exc}", outcome="error") from None
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    if not include_expired:
        batch.queries = [q for q in batch.queries if not q.expired]
    return batch


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn: imaplib.IMAP4, folder: str) -> int:
    _, values = conn.response("UIDVALIDITY")  # left by EXAMINE's untagged OK [UIDVALIDITY n]
    for item in values or []:
        try:
            return int(item)
        except (TypeError, ValueError):
            continue
    typ, data = conn.status(_quote(folder), "(UIDVALIDITY)")
    m = _UIDVALIDITY.search(data[0] or b"") if typ == "OK" and data and data[0] else None
    return int(m.group(1)) if m else 0
