"""Push prospects to a webhook in JSON batches, through an outbox that loses nothing.

Every prospect the visibility policy lets out (`discover.outreach.policy`: never a
do-not-contact site, a suppressed address, spam or the user's own site unless asked) is first
written to the store's outbox under its idempotency key (sha256 of "niche|domain|url"); a push
then sends the pending entries in batches and marks them sent only on a 2xx answer. Pending
entries are judged again just before sending: one the policy now hides (its site was marked
do-not-contact since) is withheld, not sent. A batch that fails is retried with bounded exponential
back-off; what still fails stays pending for the next push. The schema is in docs/webhook.md.
A bearer token, if any, is read from an environment variable and never printed or logged.

Requests are signed the Standard Webhooks way (https://www.standardwebhooks.com/) when a
signing secret is given: `webhook-id` (the batch id, stable across retries, so it doubles
as the receiver's de-duplication key), `webhook-timestamp` (Unix seconds of this attempt)
and `webhook-signature: v1,<base64 HMAC-SHA256 over "id.timestamp.body">`. The secret is a
`whsec_<base64>` string, as the Standard Webhooks libraries expect, read from an
environment variable only: a secret on the command line would land in shell history and
`ps` output.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from discover.errors import ExportError, InputError
from discover.outreach.policy import Policy, Visibility
from discover.outreach.shortlist import pitch_angle
from discover.records import Prospect

if TYPE_CHECKING:
    from discover.store import Store

log = logging.getLogger(__name__)

SCHEMA = "discover.prospects/1"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


def signing_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (`whsec_` + base64 of the key bytes)."""
    text = secret.strip().removeprefix("whsec_")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < 16:
        raise InputError("the webhook signing secret is not a Standard Webhooks secret",
                         hint="use whsec_ followed by base64 of at least 16 random bytes, e.g. "
                              "python -c \"import base64,os;print('whsec_'+base64.b64encode(os.urandom(32)).decode())\"")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one request."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver does (docs/webhook.md): recompute, compare in constant time, refuse stale."""
    low = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = low.get("webhook-id", ""), low.get("webhook-timestamp", ""), low.get("webhook-signature", "")
    if not (msg_id and ts.isdigit() and sigs):
        return False
    if abs((time.time() if now is None else now) - int(ts)) > tolerance:
        return False
    expected = sign(signing_key(secret), msg_id, int(ts), body)
    return any(hmac.compare_digest(expected, s) for s in sigs.split())


def idempotency_key(p: Prospect) -> str:
    return hashlib.sha256(f"{p.niche}|{p.domain}|{p.url}".encode()).hexdigest()


def payload(p: Prospect) -> dict[str, Any]:
    d = p.to_json()
    d["pitch"] = d["pitch"] or pitch_angle(p)
    d["idempotency_key"] = idempotency_key(p)
    return d


_FIELDS = frozenset(Prospect.__dataclass_fields__)


def _prospect_of(data: dict[str, Any]) -> Prospect:
    return Prospect(**{k: v for k, v in data.items() if k in _FIELDS})


@dataclass
class PushReport:
    queued: int = 0            # new or changed entries added to the outbox by this push
    sent: int = 0              # prospects acknowledged in this push
    batches: int = 0
    failed_batches: int = 0
    pending: int = 0           # still in the outbox after this push
    withheld: int = 0          # pending entries the visibility policy now hides: not sent
    errors: list[str] = field(default_factory=list)


def enqueue(store: "Store", prospects: list[Prospect], run_id: int | None = None) -> int:
    return store.outbox_enqueue([(idempotency_key(p), run_id, payload(p)) for p in prospects])


def push(store: "Store", url: str, *, run_id: int | None = None, prospects: list[Prospect] | None = None,
         visibility: Visibility | None = None, batch: int = 100, token: str | None = None,
         secret: str | None = None, timeout: float = 10.0, max_attempts: int = 5,
         backoff: float = 0.5, max_backoff: float = 8.0, sleep: Callable[[float], None] = time.sleep
         ) -> PushReport:
    """Queue `prospects` (default: the run's, or the latest run's) as the policy lets them out, and
    send everything pending that it still lets out."""
    import httpx

    if batch <= 0:
        raise ExportError("--batch must be positive")
    try:
        parts = urlsplit(url.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:   # "http://[::1"
        ok = False
    if not ok:
        raise InputError(f"the webhook is not an http(s) URL: {url!r}",
                         hint="e.g. --webhook https://hooks.example.com/discover")
    key = signing_key(secret) if secret else None
    report = PushReport()
    if prospects is None:
        if run_id is None:
            last = store.last_run()
            run_id = last.id if last else None
        prospects = store.prospects(run_id=run_id) if run_id is not None else []
    policy = Policy.load(store, visibility)
    report.queued = enqueue(store, policy.visible(prospects), run_id)
    headers = {"Content-Type": "application/json", "User-Agent": "discover-prospects/push"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        while True:
            items = store.outbox_pending(limit=batch)
            if not items:
                break
            items, withheld = _judge(policy, items)
            for reason, wkeys in withheld.items():
                store.outbox_withhold(wkeys, reason)
                report.withheld += len(wkeys)
            if not items:
                continue
            keys = [k for k, _ in items]
            batch_id = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()
            body = json.dumps({"schema": SCHEMA, "batch_id": batch_id, "sent_at": time.time(),
                               "prospects": [p for _, p in items]}, ensure_ascii=False).encode()
            report.batches += 1
            error = _send(client, url, body, {**headers, "Idempotency-Key": batch_id}, max_attempts, backoff,
                          max_backoff, sleep, key=key, msg_id=f"msg_{batch_id[:32]}")
            if error is None:
                store.outbox_mark(keys, sent=True)
                report.sent += len(keys)
                continue
            store.outbox_mark(keys, sent=False, error=error)
            report.failed_batches += 1
            report.errors.append(error)
            break  # the endpoint is unwell: keep the rest for the next push, in order
    report.pending = store.outbox_counts().get("pending", 0)
    return report


def _judge(policy: Policy, items: list[tuple[str, dict[str, Any]]]
           ) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, list[str]]]:
    """(entries to send, as the policy lets them out now; {reason: keys withheld})."""
    send: list[tuple[str, dict[str, Any]]] = []
    withheld: dict[str, list[str]] = {}
    for key, data in items:
        p = _prospect_of(data)
        why = policy.hidden_because(p)
        if why:
            withheld.setdefault(why, []).append(key)
        else:
            send.append((key, {**data, **payload(policy.shown(p))}))
    return send, withheld


def _send(client: Any, url: str, body: bytes, headers: dict[str, str], max_attempts: int, backoff: float,
          max_backoff: float, sleep: Callable[[float], None], *, key: bytes | None = None,
          msg_id: str = "") -> str | None:
    """POST one batch with retries; None on a 2xx, else the last error (no secrets in it)."""
    import httpx

    error = ""
    for attempt in range(max_attempts):
        delay = min(max_backoff, backoff * (2 ** attempt))
        sent_headers = dict(headers)
        if key is not None:
            # Signed per attempt: receivers refuse timestamps older than ~5 minutes, and
            # back-off can outlast that; the id stays the same so a retry is still a duplicate.
            ts = int(time.time())
            sent_headers.update({"webhook-id": msg_id, "webhook-timestamp": str(ts),
                                 "webhook-signature": sign(key, msg_id, ts, body)})
        try:
            resp = client.post(url, content=body, headers=sent_headers)
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.TransportError as exc:
            error = f"connection failed: {exc.__class__.__name__}"
        else:
            if 200 <= resp.status_code < 300:
                return None
            error = f"HTTP {resp.status_code}"
            if resp.status_code not in RETRY_STATUS:
                return error + " (not retried)"
            retry_after = resp.headers.get("Retry-After", "")
            if retry_after.isdigit():
                delay = min(max_backoff, float(retry_after))
        log.info("push attempt %d failed: %s", attempt + 1, error)
        if attempt + 1 < max_attempts:
            sleep(delay)
    return f"{error} after {max_attempts} attempts"
