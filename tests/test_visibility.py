"""One visibility policy: what must never leave the tool, through any way out, unless asked.

A real discovery on the bundled world (real Chromium, the world's server, SQLite), with a
ledger set up first through the CLI: a site marked do-not-contact, a domain and an email
address on the suppression list, a contacted site, the user's own site (--about), and the
world's spam sites. Then every way out is read: `run` (table, CSV, JSON), `shortlist` in
every format, `report` HTML and `push` to a real webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from discover.outreach.export import FORMATS
from discover.outreach.policy import NOT_APPROVED, OWN_SITE, SPAM, Ledger, Policy, Visibility
from discover.records import LedgerStatus, Prospect

REPO = Path(__file__).resolve().parents[1]
KEYWORD, GEO = "maternity clothes", "Des Moines, IA, US"
ABOUT = "http://www.desmoinesmamablog.com/"          # "our" site: never a prospect
DNC_MARKED = "dsm-moms.org"                          # outreach mark --status do_not_contact
DNC_SUPPRESSED = "desmoinesparentmag.com"            # a domain on the suppression list
SPAM_SITE = "best-seo-links4u.com"                   # a link farm of the world
EMAIL = "hannah@bloomandbelly.com"                   # a suppressed address ...
EMAIL_SITE = "bloomandbelly.com"                     # ... whose site stays a prospect
CONTACTED = "bumpandbaby-forum.com"
NEVER = (ABOUT.split("//")[1].strip("/").removeprefix("www."), DNC_MARKED, DNC_SUPPRESSED, SPAM_SITE)


def discover(*args: str, data: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env["DISCOVER_DATA_DIR"] = str(data)
    r = subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True, env=env,
                       timeout=timeout, cwd=REPO)
    assert r.returncode == 0, r.stderr
    return r


def leaks(text: str) -> list[str]:
    return [x for x in (*NEVER, EMAIL) if x in text]


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory, bundled_world):
    data = tmp_path_factory.mktemp("visibility")
    db = str(data / "v.sqlite")
    supp = data / "suppress.csv"
    supp.write_text(f"{DNC_SUPPRESSED}\n{EMAIL}\n", encoding="utf-8")
    discover("outreach", "import-suppression", str(supp), "--db", db, data=data)
    discover("outreach", "mark", DNC_MARKED, "--status", "do_not_contact", "--db", db, data=data)
    discover("outreach", "mark", CONTACTED, "--status", "contacted", "--db", db, data=data)
    run = ("run", KEYWORD, "--geo", GEO, "--web", str(bundled_world), "--about", ABOUT, "--no-expand",
           "--top", "50", "--db", db)
    out = {
        "json": discover(*run, "--json", "--out", str(data / "json.csv"), data=data),
        "table": discover(*run, "--out", str(data / "table.csv"), data=data),
        "hidden": discover(*run, "--include-hidden", "--out", str(data / "hidden.csv"), data=data),
    }
    return data, db, out


def test_run_json_table_and_csv_hide_them(ledger_db) -> None:
    data, _db, out = ledger_db
    shown = json.loads(out["json"].stdout)
    domains = {p["domain"] for p in shown}
    assert EMAIL_SITE in domains and not domains & set(NEVER) and CONTACTED not in domains
    assert leaks(out["json"].stdout) == []
    assert leaks(out["table"].stdout) == [] and EMAIL_SITE in out["table"].stdout
    assert "hidden:" in out["table"].stdout and "--include-hidden" in out["table"].stdout
    for name in ("json.csv", "table.csv"):
        text = (data / name).read_text(encoding="utf-8-sig")
        assert leaks(text) == [] and EMAIL_SITE in text
    # ... and shows them when asked: then each row says why it is special.
    rows = {r["domain"]: r for r in csv.DictReader(io.StringIO((data / "hidden.csv").read_text("utf-8-sig")))}
    assert set(NEVER) <= set(rows) and rows[EMAIL_SITE]["email"] == EMAIL
    assert rows[DNC_MARKED]["ledger_status"] == rows[DNC_SUPPRESSED]["ledger_status"] == "do_not_contact"
    assert rows[CONTACTED]["ledger_status"] == "contacted"
    assert all(d in out["hidden"].stdout for d in (DNC_MARKED, SPAM_SITE))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_export_format_hides_them(ledger_db, fmt: str) -> None:
    data, db, _ = ledger_db
    default = discover("shortlist", "--format", fmt, "--db", db, data=data).stdout
    assert leaks(default) == [], fmt
    everything = discover("shortlist", "--format", fmt, "--include-hidden", "--db", db, data=data).stdout
    # Proof that the format would show them: with --include-hidden it does.
    assert all(x in everything for x in (DNC_MARKED, SPAM_SITE)), fmt
    if fmt != "table":   # the table has no email column wide enough to promise this
        assert EMAIL in everything and EMAIL not in default, fmt


def test_each_flag_shows_only_its_own(ledger_db) -> None:
    data, db, _ = ledger_db

    def domains(*flags: str) -> set[str]:
        out = discover("shortlist", "--format", "json", "--db", db, *flags, data=data).stdout
        return {p["domain"] for p in json.loads(out)}

    base = domains()
    spam = domains("--include-spam") - base
    assert SPAM_SITE in spam and not spam & {DNC_MARKED, DNC_SUPPRESSED, CONTACTED, "desmoinesmamablog.com"}
    assert domains("--show-contacted") - base == {CONTACTED}
    assert set(NEVER) <= domains("--include-hidden")


def test_report_hides_them(ledger_db) -> None:
    data, db, _ = ledger_db
    discover("report", "--out", str(data / "r.html"), "--db", db, data=data)
    html = (data / "r.html").read_text(encoding="utf-8")
    assert leaks(html) == [] and EMAIL_SITE in html
    discover("report", "--include-hidden", "--out", str(data / "all.html"), "--db", db, data=data)
    html = (data / "all.html").read_text(encoding="utf-8")
    assert all(x in html for x in (DNC_MARKED, DNC_SUPPRESSED, SPAM_SITE, EMAIL))


class Receiver:
    """A real webhook receiver on 127.0.0.1 that keeps every body it gets."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                rec.bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def text(self) -> str:
        return b"\n".join(self.bodies).decode("utf-8")


def test_push_body_hides_them(ledger_db) -> None:
    data, db, _ = ledger_db
    rec = Receiver()
    try:
        report = json.loads(discover("push", "--webhook", rec.url, "--db", db, "--json", data=data).stdout)
        sent = rec.text()
        assert report["sent"] > 0 and leaks(sent) == [] and EMAIL_SITE in sent and CONTACTED not in sent
        again = json.loads(discover("push", "--webhook", rec.url, "--include-hidden", "--db", db, "--json",
                                    data=data).stdout)
        assert again["sent"] > 0
        later = rec.text()[len(sent):]
        assert all(x in later for x in (DNC_MARKED, DNC_SUPPRESSED, SPAM_SITE, EMAIL))
    finally:
        rec.server.shutdown()
        rec.server.server_close()


# --- the rule itself, in process -------------------------------------------------------------

def _p(domain: str, **kw) -> Prospect:
    return Prospect(url=f"http://www.{domain}/page", domain=domain, type=kw.pop("type", "blog"),
                    score=kw.pop("score", 0.5), niche="n", **kw)


LEDGER = Ledger(statuses={"dnc.com": LedgerStatus.DO_NOT_CONTACT, "seen.com": LedgerStatus.REPLIED,
                          "no.com": LedgerStatus.REJECTED, "yes.com": LedgerStatus.APPROVED,
                          "flag.com": LedgerStatus.EMAIL_SUPPRESSED},
                suppressed_emails=frozenset({"ed@flag.com", "jo@gmail.com"}), own_sites=frozenset({"mine.com"}))
ALL = [_p("ok.com"), _p("dnc.com"), _p("seen.com"), _p("no.com"), _p("yes.com"), _p("mine.com"),
       _p("junk.com", spam=True), _p("farm.com", type="spam"),
       _p("flag.com", email="Ed@Flag.com", email_kind="person"),
       _p("free.com", email="jo@gmail.com", contact_page="mailto:jo@gmail.com?subject=hi")]


def test_policy_rules() -> None:
    shown, hidden = Policy(ledger=LEDGER).apply(ALL)
    assert [p.domain for p in shown] == ["ok.com", "yes.com", "flag.com", "free.com"]
    assert hidden == {"do_not_contact": 1, "replied": 1, "rejected": 1, OWN_SITE: 1, SPAM: 2}
    flag, free = shown[2], shown[3]
    assert (flag.email, flag.email_kind, flag.ledger_status) == ("", "", "email_suppressed")
    assert (free.email, free.contact_page, free.ledger_status) == ("", "", "email_suppressed")
    assert shown[1].ledger_status == "approved" and shown[0].ledger_status == ""
    assert ALL[8].email == "Ed@Flag.com"               # the caller's records are not changed


def test_policy_flags() -> None:
    def domains(**flags: bool) -> list[str]:
        return [p.domain for p in Policy(Visibility(**flags), LEDGER).visible(ALL)]

    assert set(domains(include_spam=True)) - set(domains()) == {"junk.com", "farm.com"}
    assert "seen.com" in domains(show_contacted=True) and "dnc.com" not in domains(show_contacted=True)
    assert "no.com" in domains(include_rejected=True)
    assert domains(only_approved=True) == ["yes.com"]
    everything = Policy(Visibility(include_hidden=True), LEDGER).visible(ALL)
    assert [p.domain for p in everything] == [p.domain for p in ALL]
    assert everything[8].email == "Ed@Flag.com" and everything[1].ledger_status == "do_not_contact"
    _, hidden = Policy(Visibility(only_approved=True), LEDGER).apply(ALL)
    assert hidden == {NOT_APPROVED: len(ALL) - 1}
