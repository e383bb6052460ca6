"""Webhook push against a real local HTTP server that fails: 500s, timeouts, dropped connections."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from discover.outreach.policy import Visibility
from discover.outreach.push import SCHEMA, idempotency_key, push
from discover.records import Prospect
from discover.store import Store

TOKEN = "s3cret-token-value"


class Hook:
    """A webhook receiver whose next answers are scripted: 'ok', '500', '429', 'timeout', 'drop', '400'."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.received: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = hook.script.pop(0) if hook.script else "ok"
                hook.headers.append(dict(self.headers))
                hook.bodies.append(body)
                if action == "drop":
                    self.connection.close()
                    return
                if action == "timeout":
                    time.sleep(1.5)
                    return
                if action == "ok":
                    hook.received.append(json.loads(body))
                code = {"ok": 200, "500": 500, "429": 429, "400": 400}[action]
                self.send_response(code)
                if code == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys(self) -> list[str]:
        return [p["idempotency_key"] for b in self.received for p in b["prospects"]]


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.server.shutdown()
    h.server.server_close()


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(str(tmp_path / "p.sqlite"))
    run = s.start_run("vegan baking")
    s.save_prospects(run, [Prospect(url=f"http://s{i}.com/", domain=f"s{i}.com", type="blog", score=i / 10,
                                    niche="vegan baking") for i in range(7)])
    yield s
    s.close()


def fast(**kw):
    return dict(timeout=0.5, backoff=0.01, max_backoff=0.05, **kw)


def test_batches_schema_and_headers(store: Store, hook: Hook) -> None:
    rep = push(store, hook.url, batch=3, token=TOKEN, **fast())
    assert (rep.sent, rep.batches, rep.pending, rep.failed_batches) == (7, 3, 0, 0)
    assert [len(b["prospects"]) for b in hook.received] == [3, 3, 1]
    first = hook.received[0]
    assert first["schema"] == SCHEMA and len(first["batch_id"]) == 64
    p = first["prospects"][0]
    assert p["idempotency_key"] == idempotency_key(Prospect(url=p["url"], domain=p["domain"], type="blog",
                                                            score=0, niche="vegan baking"))
    assert hook.headers[0]["Idempotency-Key"] == first["batch_id"]
    assert hook.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    assert len(set(hook.keys())) == 7
    again = push(store, hook.url, batch=3, **fast())     # nothing new: nothing sent
    assert (again.sent, again.batches) == (0, 0) and len(hook.received) == 3


def test_retries_recover_from_500_timeout_and_drop(store: Store, hook: Hook) -> None:
    hook.script = ["500", "timeout", "drop", "429", "ok"]
    rep = push(store, hook.url, batch=10, **fast(max_attempts=5))
    assert rep.sent == 7 and rep.failed_batches == 0 and len(hook.headers) == 5
    assert len({h["Idempotency-Key"] for h in hook.headers}) == 1   # same batch, same key on every retry


def test_failed_push_loses_nothing(store: Store, hook: Hook, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    hook.script = ["ok", "500", "500", "500"]
    rep = push(store, hook.url, batch=3, token=TOKEN, **fast(max_attempts=3))
    assert rep.sent == 3 and rep.failed_batches == 1 and rep.pending == 4
    assert "HTTP 500 after 3 attempts" in rep.errors[0]
    assert TOKEN not in caplog.text and TOKEN not in " ".join(rep.errors)
    rep2 = push(store, hook.url, batch=3, **fast())                 # the endpoint is back
    assert rep2.sent == 4 and rep2.pending == 0
    assert sorted(hook.keys()) == sorted(set(hook.keys())) and len(hook.keys()) == 7   # each exactly once


def test_queued_entries_are_judged_again_before_sending(store: Store, hook: Hook) -> None:
    run = store.last_run().id
    store.save_prospects(run, [Prospect(url="http://s5.com/", domain="s5.com", type="blog", score=0.5,
                                        email="ann@s5.com", niche="vegan baking")])
    hook.script = ["500"]
    assert push(store, hook.url, batch=10, **fast(max_attempts=1)).pending == 7 and not hook.received
    # While they wait in the outbox, a site is marked do-not-contact and an address suppressed.
    store.add_suppressions([("domain", "s3.com", "s3.com"), ("email", "ann@s5.com", "s5.com")])
    rep = push(store, hook.url, **fast())
    assert (rep.sent, rep.withheld, rep.pending) == (6, 1, 0)
    sent = json.dumps(hook.received)
    assert "s3.com" not in sent and "ann@s5.com" not in sent and "s5.com" in sent
    assert push(store, hook.url, **fast()).sent == 0                      # withheld stays withheld
    shown = push(store, hook.url, visibility=Visibility(include_hidden=True), **fast())
    assert shown.sent == 2 and "s3.com" in json.dumps(hook.received[-1])  # ... until asked for


def test_changed_prospect_is_sent_again(store: Store, hook: Hook) -> None:
    push(store, hook.url, **fast())
    run = store.last_run().id
    store.save_prospects(run, [Prospect(url="http://s1.com/", domain="s1.com", type="blog", score=0.99,
                                        niche="vegan baking")])
    rep = push(store, hook.url, **fast())
    assert rep.sent == 1 and hook.received[-1]["prospects"][0]["score"] == 0.99


def test_permanent_error_is_not_retried(store: Store, hook: Hook) -> None:
    hook.script = ["400"]
    rep = push(store, hook.url, **fast(max_attempts=4))
    assert len(hook.headers) == 1 and "not retried" in rep.errors[0] and rep.pending == 7


def test_cli_token_from_env_never_printed(store: Store, hook: Hook, tmp_path: Path) -> None:
    db = str(store.engine.url.database)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HOOK_TOKEN": TOKEN}
    out = subprocess.run([sys.executable, "-m", "discover", "push", "--webhook", hook.url, "--db", db,
                          "--token-env", "HOOK_TOKEN", "--batch", "5", "--json"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sent"] == 7 and hook.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in out.stdout + out.stderr
    missing = subprocess.run([sys.executable, "-m", "discover", "push", "--webhook", hook.url, "--db", db,
                              "--token-env", "NOPE"], capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 2 and "NOPE" in missing.stderr


SECRET = "whsec_" + __import__("base64").b64encode(b"k" * 32).decode()


def _expected_signature(headers: dict[str, str], body: bytes) -> str:
    """Computed here from the published scheme, independently of discover's own signer."""
    import base64
    import hashlib
    import hmac
    low = {k.lower(): v for k, v in headers.items()}
    signed = f"{low['webhook-id']}.{low['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(b"k" * 32, signed, hashlib.sha256).digest()).decode()


def test_requests_are_signed_standard_webhooks(store: Store, hook: Hook) -> None:
    from discover.outreach.push import verify

    hook.script = ["500", "ok"]
    report = push(store, hook.url, batch=100, secret=SECRET, **fast())
    assert report.sent == 7
    assert len(hook.headers) == 2
    for headers, body in zip(hook.headers, hook.bodies):
        low = {k.lower(): v for k, v in headers.items()}
        assert low["webhook-signature"] == _expected_signature(headers, body)
        assert abs(int(low["webhook-timestamp"]) - time.time()) < 60
        assert verify(SECRET, headers, body)
        assert not verify(SECRET, headers, body + b" ")                   # tampered body
        assert not verify("whsec_" + "a" * 44, headers, body)              # wrong secret
        assert not verify(SECRET, headers, body, now=time.time() + 3600)   # replayed later
    # the retry of one batch is the same message: receivers de-duplicate on webhook-id
    assert hook.headers[0]["webhook-id"] == hook.headers[1]["webhook-id"]


def test_unsigned_without_secret(store: Store, hook: Hook) -> None:
    push(store, hook.url, **fast())
    assert not any(k.lower().startswith("webhook-") for k in hook.headers[0])


def test_cli_secret_from_env_only(store: Store, hook: Hook, tmp_path: Path) -> None:
    import os
    db = str(tmp_path / "p.sqlite")
    env = {**os.environ, "DISCOVER_WEBHOOK_SECRET": SECRET}
    out = subprocess.run([sys.executable, "-m", "discover", "push", "--webhook", hook.url, "--db", db],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert SECRET not in out.stdout + out.stderr
    assert hook.headers and hook.headers[0]["webhook-signature"] == _expected_signature(hook.headers[0], hook.bodies[0])
    bad = subprocess.run([sys.executable, "-m", "discover", "push", "--webhook", hook.url, "--db", db],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "DISCOVER_WEBHOOK_SECRET": "hunter2"})
    assert bad.returncode == 2 and "signing secret" in bad.stderr and "hunter2" not in bad.stderr
    assert "Traceback" not in bad.stderr
