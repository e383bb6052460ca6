"""Outreach ledger: marks, suppression, the one-follow-up guard and shortlist filtering (real SQLite, real CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from discover.errors import InputError
from discover.outreach.ledger import DAY, due, follow_ups, import_suppression, ledger_status, mark, parse_suppression
from discover.records import Prospect
from discover.settings import Settings
from discover.outreach.policy import Visibility
from discover.outreach.shortlist import select_prospects
from discover.store import Store


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(str(tmp_path / "l.sqlite"))
    yield s
    s.close()


S = Settings(followup_after_days=5, max_followups=1, max_touches=3, touch_window_days=14)
NOW = 1_700_000_000.0


def test_follow_up_guard(store: Store) -> None:
    mark(store, "https://www.old.com/page", "contacted", S, now=NOW - 10 * DAY)      # due
    mark(store, "fresh.com", "contacted", S, now=NOW - 2 * DAY)                       # too early
    mark(store, "replied.com", "contacted", S, now=NOW - 10 * DAY)
    mark(store, "replied.com", "replied", S, now=NOW - 8 * DAY)
    mark(store, "done.com", "contacted", S, now=NOW - 20 * DAY)
    mark(store, "done.com", "followed_up", S, now=NOW - 12 * DAY)                     # follow-up spent
    got = {f.domain: f for f in follow_ups(store, S, now=NOW)}
    assert [f.domain for f in due(store, S, now=NOW)] == ["old.com"]
    assert "due in 3.0 day" in got["fresh.com"].reason
    assert "replied" in got["replied.com"].reason
    assert "already followed up 1" in got["done.com"].reason
    with pytest.raises(InputError, match="limit is 1"):
        mark(store, "done.com", "followed_up", S, now=NOW)
    with pytest.raises(InputError, match="never contacted"):
        mark(store, "new.com", "followed_up", S, now=NOW)
    with pytest.raises(InputError, match="unknown status"):
        mark(store, "new.com", "pestered", S, now=NOW)


def test_touch_window(store: Store) -> None:
    s = Settings(max_followups=5, max_touches=2, touch_window_days=14, followup_after_days=1)
    mark(store, "busy.com", "contacted", s, now=NOW - 3 * DAY)
    mark(store, "busy.com", "followed_up", s, now=NOW - 1.5 * DAY)
    assert "2 touches in the last 14 days" in follow_ups(store, s, now=NOW)[0].reason
    with pytest.raises(InputError, match="touched 2 times in 14 days"):
        mark(store, "busy.com", "followed_up", s, now=NOW)
    assert [f.domain for f in due(store, s, now=NOW + 30 * DAY)] == ["busy.com"]   # window passed


def test_suppression(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "supp.csv"
    f.write_text("email,domain\nEd@Blocked-Mail.com,spammy.net\n# comment\nhttps://www.nope.org/x\n\n", "utf-8")
    assert parse_suppression(f.read_text())[0] == ("email", "ed@blocked-mail.com", "blocked-mail.com")
    assert import_suppression(store, f) == (3, 3)
    assert import_suppression(store, f) == (3, 0)      # idempotent
    assert ledger_status(store, "spammy.net") == "do_not_contact"
    assert ledger_status(store, "nope.org") == "do_not_contact"
    assert ledger_status(store, "blocked-mail.com") == "email_suppressed"
    assert ledger_status(store, "unknown.com") == ""
    with pytest.raises(InputError, match="do-not-contact"):
        mark(store, "spammy.net", "contacted", S, now=NOW)
    with pytest.raises(InputError, match="suppressed"):
        mark(store, "ed@blocked-mail.com", "contacted", S, now=NOW)
    mark(store, "other@blocked-mail.com", "contacted", S, now=NOW)   # the site itself is only flagged
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here\n")
    with pytest.raises(InputError):
        import_suppression(store, empty)


def test_shortlist_hides_ledger_sites(store: Store) -> None:
    run = store.start_run("vegan baking")
    store.save_prospects(run, [
        Prospect(url=f"http://{d}/", domain=d, type="blog", score=s, niche="vegan baking", email=e)
        for d, s, e in [("a.com", 0.9, "jo@a.com"), ("b.com", 0.8, ""), ("c.com", 0.7, ""),
                        ("d.com", 0.6, "ed@d.com")]])
    mark(store, "a.com", "contacted", S, now=time.time())
    store.add_suppressions([("domain", "b.com", "b.com"), ("email", "ed@d.com", "d.com")])
    assert [p.domain for p in select_prospects(store, run_id=run)] == ["c.com", "d.com"]
    shown = select_prospects(store, run_id=run, visibility=Visibility(show_contacted=True))
    assert [(p.domain, p.ledger_status) for p in shown] == [("a.com", "contacted"), ("c.com", ""),
                                                             ("d.com", "email_suppressed")]
    assert shown[2].email == "" and shown[0].email == "jo@a.com"      # a suppressed address is never shown
    assert all(p.pitch for p in shown)


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "discover", *args, "--db", str(db)], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(db.parent)})


def test_cli(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    assert _cli(db, "outreach", "mark", "a.com", "--status", "contacted", "--note", "hi").returncode == 0
    bad = _cli(db, "outreach", "mark", "a.com", "--status", "won2")
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown status") and "Traceback" not in bad.stderr
    listed = json.loads(_cli(db, "outreach", "list", "--json").stdout)
    assert listed["ledger"][0]["domain"] == "a.com" and listed["ledger"][0]["note"] == "hi"
    assert json.loads(_cli(db, "outreach", "due", "--json").stdout) == []          # contacted just now
    empty = _cli(db, "outreach", "due").stdout
    soon = time.strftime("%Y-%m-%d", time.localtime(time.time() + Settings().followup_after_days * DAY))
    assert "nothing due now; next follow-up: a.com on " + soon in empty
    assert "outreach ledger is empty" in _cli(tmp_path / "new.sqlite", "outreach", "due").stdout
    everyone = json.loads(_cli(db, "outreach", "due", "--all", "--json").stdout)
    assert everyone[0]["domain"] == "a.com" and "due in" in everyone[0]["reason"]
    supp = tmp_path / "s.txt"
    supp.write_text("x.com\n")
    assert "1 new" in _cli(db, "outreach", "import-suppression", str(supp)).stdout
