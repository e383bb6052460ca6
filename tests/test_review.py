"""Review in the browser: the queue, keyboard decisions, undo, filters, safety, and learning from it.

One database is built once from real runs on the bundled world (three niches, run in parallel
through the real CLI; the maternity run keeps a thumbnail of every page). Each test works on a
copy of it, through the real `discover review` server and real Chromium.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from discover.outreach.ledger import correct_type, decide
from discover.outreach.policy import Policy, Visibility
from discover.records import Prospect
from discover.store import Store

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
NICHES = [("maternity clothes", "Des Moines, IA, US", "all"), ("dog grooming", "Leeds, West Yorkshire, GB", "auto"),
          ("vegan baking", "", "auto")]


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env["DISCOVER_DATA_DIR"] = str(data)
    return env


def discover(*args: str, data: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=_env(data), timeout=timeout, cwd=REPO)


@pytest.fixture()
def cli(capsys, monkeypatch):
    """The CLI in this process (its parsing, error lines and exit codes), for the quick commands."""
    from discover.cli import main

    def run(*args: str, data: Path) -> subprocess.CompletedProcess:
        monkeypatch.setenv("DISCOVER_DATA_DIR", str(data))
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


@pytest.fixture(scope="module")
def world_db(tmp_path_factory, bundled_world) -> Path:
    """A database from real runs of the three niches of the bundled world (in parallel: 2 cores)."""
    data = tmp_path_factory.mktemp("review-runs")
    procs = []
    for keyword, geo, shots in NICHES:
        args = ["run", keyword, "--web", str(bundled_world), "--screenshots", shots, "--json"]
        args += ["--geo", geo] if geo else []
        procs.append(subprocess.Popen([sys.executable, "-m", "discover", *args], env=_env(data), cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    db = data / "discover.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture()
def db(world_db, tmp_path) -> Path:
    """A private copy of the run database (tests change it)."""
    copy = tmp_path / "data" / "discover.sqlite"
    copy.parent.mkdir()
    src = sqlite3.connect(world_db)
    dst = sqlite3.connect(copy)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return copy


class Server:
    def __init__(self, db: Path, *extra: str) -> None:
        self.db = db
        self.proc = subprocess.Popen([sys.executable, "-m", "discover", "review", "--no-open", "--port", "0",
                                      "--db", str(db), *extra], env=_env(db.parent), cwd=REPO,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        deadline = time.time() + 60
        self.url = ""
        while time.time() < deadline and not self.url:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            m = re.match(r"review: (http://127\.0\.0\.1:\d+/\?key=\S+)", line)
            if m:
                self.url = m.group(1)
        assert self.url, "".join(self.lines)
        self.base = self.url.split("/?")[0]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()


@pytest.fixture()
def server(db):
    srv = Server(db)
    yield srv
    srv.stop()


@pytest.fixture()
def watched(page):
    """The page, with every dialog and console error recorded (a dialog is dismissed, and fails the test)."""
    problems: list[str] = []
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.problems = problems
    return page


def open_queue(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready]")


def card_states(page) -> list[dict]:
    return page.eval_on_selector_all(".card", """cards => cards.map(c => ({
        key: c.dataset.key, status: c.dataset.status, domain: c.querySelector('.domain').textContent,
        niche: c.querySelector('.niche').textContent,
        type: c.querySelector('[data-role=type]').textContent, current: c.classList.contains('current'),
        pending: c.classList.contains('pending')}))""")


def settled(page) -> None:
    page.wait_for_function("() => !document.querySelector('.card.pending')")


def store_of(db: Path) -> Store:
    return Store.open(str(db))


# --- the browser ------------------------------------------------------------------------------
def decisions(db: Path) -> list[tuple[str, str, str]]:
    """(domain, status, note) of every ledger event, oldest first."""
    with store_of(db) as store:
        return [(e["domain"], e["status"], e["note"]) for e in store.outreach_events()]


def test_review_by_keyboard_reaches_the_ledger_and_the_shortlist(server, watched, db, cli):
    page = watched
    with store_of(db) as store:
        total = sum(len(store.prospects(niche=k)) for k, _g, _s in NICHES)
    open_queue(page, server.url)
    cards = card_states(page)
    assert len(cards) == total >= 40                                  # every prospect of every niche
    assert cards[0]["current"] and not any(c["status"] for c in cards)
    # thumbnails taken when the maternity pages were fetched, served by the app
    loaded = page.eval_on_selector_all(".shot img", "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")
    assert loaded >= 1

    def current() -> dict:
        return next(c for c in card_states(page) if c["current"])

    first = current()
    page.keyboard.press("a")                                          # approve
    settled(page)
    second = current()                                                # the cursor moved on by itself ...
    assert second["domain"] != first["domain"] and not second["status"]   # ... past the site's other cards
    assert all(c["status"] == "approved" for c in card_states(page) if c["domain"] == first["domain"])
    page.keyboard.press("r")                                          # reject: off-topic
    page.keyboard.press("1")
    settled(page)
    third = current()
    assert decisions(db) == [(first["domain"], "approved", ""), (second["domain"], "rejected", "off-topic")]

    page.keyboard.press("t")                                          # retype the third: blog (6th type)
    page.keyboard.press("6")
    settled(page)
    assert current()["type"] == "blog"
    with store_of(db) as store:
        assert [(r["type"], r["was"]) for r in store.page_labels()] == [("blog", third["type"])]

    page.keyboard.press("u")                                          # undo the retype ...
    settled(page)
    page.wait_for_function(f"() => document.getElementById('card-{third['key']}')"
                           f".querySelector('[data-role=type]').textContent === {json.dumps(third['type'])}")
    page.keyboard.press("u")                                          # ... and the rejection
    settled(page)
    page.wait_for_function(f"() => document.getElementById('card-{second['key']}').dataset.status === ''")
    assert current()["key"] == second["key"]                          # back where the undone decision was
    with store_of(db) as store:
        assert store.page_labels() == []
    assert decisions(db) == [(first["domain"], "approved", "")]

    page.keyboard.press("r")                                          # reject it again, in my own words
    page.keyboard.type("sells maternity clothes itself")
    page.keyboard.press("Enter")
    settled(page)
    assert decisions(db)[-1] == (second["domain"], "rejected", "sells maternity clothes itself")
    keys = [c["key"] for c in card_states(page)]
    at = keys.index(current()["key"])
    page.keyboard.press("k")                                          # move up and down
    assert current()["key"] == keys[at - 1]
    page.keyboard.press("j")
    assert current()["key"] == keys[at]

    page.select_option("select[name=type]", "forum")                  # filter: the form reloads the page
    page.wait_for_url(re.compile(r"type=forum"))
    page.wait_for_selector("body[data-ready]")
    forums = card_states(page)
    assert forums and all(c["type"] == "forum" for c in forums)
    assert not {first["domain"], second["domain"]} & {c["domain"] for c in forums}   # decided: not to review
    page.select_option("select[name=status]", "approved")
    page.wait_for_url(re.compile(r"status=approved"))
    page.wait_for_selector("body[data-ready]")
    assert all(c["status"] == "approved" for c in card_states(page))
    # the artefact (and the README's picture): one niche, everything, thumbnails
    page.set_viewport_size({"width": 1280, "height": 860})
    open_queue(page, server.base + "/?niche=maternity+clothes&status=all")
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review.png"))
    assert page.problems == []

    # the decisions hold outside the browser: shortlist --status approved hands on only the approved site
    r = cli("shortlist", "--niche", first["niche"], "--status", "approved", "--format", "hubspot", "--out", "-",
            "--db", str(db), data=db.parent)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"))))
    assert len(rows) == 1 and first["domain"] in json.dumps(rows[0])
    r = cli("shortlist", "--niche", second["niche"], "--format", "json", "--db", str(db), data=db.parent)
    shown = {p["domain"]: p["ledger_status"] for p in json.loads(r.stdout)}
    assert second["domain"] not in shown                             # rejected: gone unless asked
    if second["niche"] == first["niche"]:
        assert shown[first["domain"]] == "approved"                  # approved: still listed, flagged
    r = cli("shortlist", "--niche", second["niche"], "--status", "rejected", "--format", "json", "--db", str(db),
            data=db.parent)
    assert [p["domain"] for p in json.loads(r.stdout)] == [second["domain"]]


def test_fifty_prospects_by_keyboard(server, watched, db):
    """How long reviewing 50 cards takes through the real page and server (printed, not asserted).
    A decision is about a site, so a site's cards in other niches are decided with it."""
    page = watched
    open_queue(page, server.url)
    n = min(50, len(card_states(page)))
    assert n >= 40
    decided = "() => Number(document.getElementById('decided').textContent)"
    presses = 0
    start = time.perf_counter()
    while page.evaluate(decided) < n and presses < n:
        presses += 1
        if presses % 4 == 0:
            page.keyboard.press("r")
            page.keyboard.press("2")                                  # wrong place
        else:
            page.keyboard.press("a")
    settled(page)
    elapsed = time.perf_counter() - start
    print(f"\nreviewed {page.evaluate(decided)} prospects ({presses} sites) by keyboard in {elapsed:.2f} s "
          f"({1000 * elapsed / presses:.0f} ms a decision, keys to confirmed ledger writes)")
    assert page.evaluate(decided) >= n
    events = decisions(db)
    assert len(events) == presses == len({d for d, _s, _n in events})   # one decision per site
    assert sum(s == "rejected" for _d, s, _n in events) == presses // 4
    assert page.problems == []


XSS = "<script>alert('title')</script><img src=x onerror=alert('img')>"


def test_script_payload_in_scraped_fields_renders_inert(db, watched):
    with store_of(db) as store:
        run = store.start_run("payload niche")
        store.save_prospects(run, [Prospect(
            url="http://evil.example/x?q=<script>", domain="evil.example", type="blog", score=0.51,
            title=XSS, niche="payload niche", email="\"><svg onload=alert('mail')>@evil.example",
            contact_page="javascript:alert('contact')", why=XSS, pitch=XSS,
            explanation={"top_terms": [[XSS, 1.0]], "type_evidence": [XSS], "quality_reasons": [XSS],
                         "geo_place": XSS})])
        store.finish_run(run)
    srv = Server(db, "--niche", "payload niche")
    try:
        page = watched
        open_queue(page, srv.url)
        title = page.text_content(".card .title")
        assert "<script>alert('title')</script>" in title               # shown as text
        assert page.locator(".card script, .card img[src=x], .card svg").count() == 0
        assert page.locator("a[href^=javascript]").count() == 0
        assert page.locator(".contact a").count() == 0                 # no mailto: for a malformed address
        page.keyboard.press("a")                                      # and it still works
        settled(page)
        assert page.problems == []                                    # no dialog, no console error, no CSP report
    finally:
        srv.stop()


def test_forged_requests_are_refused(server, page, db):
    # a browser session, as the user has it
    open_queue(page, server.url)
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    key = page.get_attribute(".card", "data-key")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    body = json.dumps({"key": key, "decision": "approved"})
    api = server.base + "/api/decide"
    json_type = {"Content-Type": "application/json"}
    with httpx.Client() as stranger:
        assert stranger.post(api, content=body, headers=json_type).status_code == 403        # no session
        assert stranger.get(server.base + "/").status_code == 403      # no key, no session: no queue
        assert stranger.get(server.base + "/", headers={"Host": "evil.example"}).status_code == 400
    with httpx.Client(cookies=cookies) as client:                     # holds the user's session cookie
        assert client.post(api, content=body, headers=json_type).status_code == 403          # no token
        bad = {**json_type, "X-CSRF-Token": "x" * len(token)}
        assert client.post(api, content=body, headers=bad).status_code == 403
        ok_token = {"X-CSRF-Token": token}
        r = client.post(api, content=body, headers={**ok_token, "Content-Type": "text/plain"})
        assert r.status_code == 415                                   # what a plain <form> could send
        evil_origin = {**json_type, **ok_token, "Origin": "http://evil.example"}
        assert client.post(api, content=body, headers=evil_origin).status_code == 403
        rebound = {**json_type, **ok_token, "Host": "evil.example"}   # DNS rebinding
        assert client.post(api, content=body, headers=rebound).status_code == 400
    # a page on another site posting a form at the API (the browser's own cross-site request)
    page.goto("about:blank")
    page.set_content(f'<form method="post" action="{api}"><input name="key" value="{key}">'
                     '<input name="decision" value="approved"><button>go</button></form>')
    with page.expect_response(api) as resp:
        page.click("button")
    assert resp.value.status == 403
    assert decisions(db) == []
    # the real page with its token works
    open_queue(page, server.url)
    headers = page.evaluate("() => fetch('/', {method: 'HEAD'}).then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in headers and "unsafe-inline" not in headers
    page.keyboard.press("a")
    settled(page)
    assert [s for _d, s, _n in decisions(db)] == ["approved"]


# --- the command line ---------------------------------------------------------------------------
def test_review_command_errors_are_one_line(tmp_path, db, cli):
    empty = tmp_path / "empty.sqlite"
    r = cli("review", "--no-open", "--db", str(empty), data=tmp_path)
    assert r.returncode == 2 and "holds no run" in r.stderr and "Traceback" not in r.stderr
    r = cli("review", "--no-open", "--niche", "knitting", "--db", str(db), data=tmp_path)
    assert r.returncode == 2 and "no run for the niche 'knitting'" in r.stderr and "niches:" in r.stderr
    # without the optional web stack: say how to get it
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "starlette.py").write_text("raise ImportError('not installed')\n")
    env = _env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(shim), str(REPO)])
    r = subprocess.run([sys.executable, "-m", "discover", "review", "--no-open", "--db", str(db)],
                       capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert r.returncode == 3 and "needs starlette" in r.stderr
    assert "pip install 'discover-prospects[review]'" in r.stderr and "Traceback" not in r.stderr
    # beyond loopback only with a warning (192.0.2.1 is a documentation address: the bind fails, nothing is sent)
    r = cli("review", "--no-open", "--host", "192.0.2.1", "--db", str(db), data=tmp_path)
    assert r.stderr.startswith("warning: --host 192.0.2.1 makes the review page reachable")
    assert r.returncode == 3 and "cannot listen on 192.0.2.1" in r.stderr


def test_train_learns_from_corrections_and_reports_before_after(db, cli):
    data = db.parent
    with store_of(db) as store:
        prospects = store.prospects(niche="vegan baking")
        # a person's view: boards and journals are what they say; one news site is really a blog
        news = [p for p in prospects if p.type == "news"]
        assert news
        for p in news:
            correct_type(store, p.url, "blog", was=p.type)
        forum = next(p for p in prospects if p.type == "forum")
        correct_type(store, forum.url, "forum", was="forum")
    r = cli("train", "--folds", "3", "--json", "--db", str(db), data=data)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["corrections"] == len(news) + 1 and report["folds"] == 3
    for side in ("before", "after"):
        assert 0.5 < report[side]["unlabelled_macro_f1"] <= 1.0
        assert report[side]["corrected_accuracy"] is not None
    user_model = Path(report["model_path"])
    assert user_model.is_relative_to(data) and user_model.is_file()
    from discover.pages.classify import MODEL_PATH
    from discover.pages.user_model import preferred_model

    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    mine = json.loads(user_model.read_text(encoding="utf-8"))
    assert mine["coef"] != shipped["coef"] and mine["info"]["data"]["corrections"] == report["corrections"]
    assert preferred_model(data).info["data"]["corrections"] == report["corrections"]   # classify prefers it
    print(f"\ntrain: {json.dumps({k: report[k] for k in ('before', 'after', 'changed', 'worse')})}")
    # corrections that teach the wrong thing (every forum thread a directory) are seen
    with store_of(db) as store:
        for niche, *_ in NICHES:
            for p in store.prospects(niche=niche):
                if p.type == "forum":
                    correct_type(store, p.url, "directory", was="forum")
    r = cli("train", "--folds", "3", "--db", str(db), data=data)
    assert r.returncode == 0 and "before" in r.stdout and "after" in r.stdout and "wrote your model" in r.stdout
    print(r.stdout)
    assert "warning: your corrections made the model worse on the pages you did not label" in r.stdout
    r = cli("train", "--reset", "--db", str(db), data=data)
    assert r.returncode == 0 and not user_model.exists()
    assert preferred_model(data).info.get("data", {}).get("corrections") is None


def test_train_without_corrections_says_what_to_do(db, cli):
    r = cli("train", "--db", str(db), data=db.parent)
    assert r.returncode == 2 and "no type corrections" in r.stderr and "discover review" in r.stderr


# --- the ledger rules, without a browser ----------------------------------------------------------
def test_queue_puts_the_least_certain_first(db):
    from discover.review.queue import BAND, Filters, doubts, load_queue

    assert doubts(0.5, 0.99, False) == (0.02, 1.0)                     # on the cut-off: first
    assert doubts(0.9, 0.5, False)[0] == 1.0 and doubts(0.9, 0.5, True)[0] == 0.0   # corrected: known
    assert doubts(0.5 + BAND, 1.0, False) == (0.0, 0.0)
    with store_of(db) as store:
        items = load_queue(store, Filters())
        prios = [i.priority for i in items]
        assert prios == sorted(prios, reverse=True) and prios[0] > 0.5
        assert all(i.why_first for i in items if i.priority > 0)
        forums = load_queue(store, Filters(type="forum", min_score=0.3, niche="maternity clothes"))
        assert forums and all(i.prospect.type == "forum" and i.prospect.score >= 0.3 for i in forums)
        junk = Filters.from_query({"type": "<script>", "min_score": "nan", "status": "everything", "geo": "x"})
        assert junk == Filters()


def test_decisions_hold_in_the_next_run_and_teach_the_topic_profile(db, bundled_world):
    with store_of(db) as store:
        prospects = {p.domain: p for p in store.prospects(niche="maternity clothes")}
        ranked = sorted(prospects.values(), key=lambda p: -p.score)
        good, bad = ranked[0], ranked[1]
        decide(store, good.domain, "approved")
        decide(store, bad.domain, "rejected", reason="off-topic")
        # a one-page site, so the page relabelled is the page the next run keeps for it
        relabel = next(p for p in ranked[2:] if not p.other_urls)
        new_type = "blog" if relabel.type != "blog" else "news"
        correct_type(store, relabel.url, new_type, was=relabel.type)
        from discover.outreach.ledger import topic_feedback

        approved, rejected = topic_feedback(store, "maternity clothes")
        assert len(approved) == 1 and len(rejected) == 1
    r = discover("run", "maternity clothes", "--geo", "Des Moines, IA, US", "--web", str(bundled_world),
                 "--no-expand", "--json", "--db", str(db), data=db.parent)
    assert r.returncode == 0, r.stderr
    again = {p["domain"]: p for p in json.loads(r.stdout)}
    assert bad.domain not in again                                     # rejected: does not come back
    assert again[good.domain]["ledger_status"] == "approved"           # approved: listed, flagged
    assert again[relabel.domain]["type"] == new_type                   # the user's label beats the model
    with store_of(db) as store:
        run = store.last_run("maternity clothes")
        assert run.summary.get("review_feedback") == {"approved": 1, "rejected_off_topic": 1}


def test_visibility_rule_for_review_statuses():
    from discover.records import LedgerStatus

    def hidden(status: str | None, spam: bool = False, **flags) -> str:
        ledger = {"x.com": LedgerStatus(status)} if status else {}
        from discover.outreach.policy import Ledger

        p = Prospect(url="http://x.com/", domain="x.com", type="blog", score=0.5, spam=spam)
        return Policy(Visibility(**flags), Ledger(statuses=ledger)).hidden_because(p)

    assert hidden(None) == hidden("approved") == ""                    # new and approved: shown
    assert hidden("rejected") and hidden("contacted") and hidden(None, spam=True)
    assert hidden("approved", spam=True) == ""                         # a person's approval beats the flag
    assert hidden("rejected", include_rejected=True) == ""
    assert hidden("rejected", statuses=frozenset({"rejected"})) == ""  # named: shown
    assert hidden(None, statuses=frozenset({"approved"})) and hidden("approved", statuses=frozenset({"new"}))
    assert hidden("do_not_contact", statuses=frozenset({"do_not_contact"}))   # never


def test_shortlist_and_push_status_option(tmp_path, cli):
    with Store.open(str(tmp_path / "s.sqlite")) as store:
        run = store.start_run("vegan baking")
        store.save_prospects(run, [Prospect(url=f"http://{d}/", domain=d, type="blog", score=s,
                                            niche="vegan baking", spam=spam)
                                   for d, s, spam in [("a.com", 0.9, False), ("b.com", 0.8, False),
                                                      ("c.com", 0.7, False), ("d.com", 0.1, True)]])
        store.finish_run(run)
        decide(store, "a.com", "approved")
        decide(store, "b.com", "rejected", reason="competitor")
        decide(store, "d.com", "approved")                               # a person's approval beats the spam flag
        correct_type(store, "http://c.com/", "forum", was="blog")
        from discover.outreach.shortlist import select_prospects

        def only(*statuses: str) -> Visibility:
            return Visibility(statuses=frozenset(statuses))

        assert [p.domain for p in select_prospects(store)] == ["a.com", "c.com", "d.com"]
        assert [p.domain for p in select_prospects(store, visibility=only("approved"))] == ["a.com", "d.com"]
        assert [p.domain for p in select_prospects(store, visibility=only("new"))] == ["c.com"]
        c = select_prospects(store, visibility=only("new"))[0]
        assert c.type == "forum" and "thread" in c.pitch                 # the corrected type, its pitch
        assert [p.domain for p in select_prospects(store, types=["forum"])] == ["c.com"]
    db = tmp_path / "s.sqlite"
    r = cli("shortlist", "--status", "approved,banana", "--db", str(db), data=tmp_path)
    assert r.returncode == 2 and "unknown status banana" in r.stderr
    r = cli("outreach", "mark", "c.com", "--status", "rejected", "--note", "no link", "--db", str(db), data=tmp_path)
    assert r.returncode == 0
    r = cli("shortlist", "--status", "rejected", "--format", "json", "--db", str(db), data=tmp_path)
    assert sorted(p["domain"] for p in json.loads(r.stdout)) == ["b.com", "c.com"]
    # push hands on what the same --status chooses, and nothing else
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        r = cli("push", "--webhook", f"http://127.0.0.1:{hook.server_address[1]}/h", "--status", "approved",
                "--json", "--db", str(db), data=tmp_path)
    finally:
        hook.shutdown()
    assert r.returncode == 0, r.stderr
    assert sorted(p["domain"] for batch in received for p in batch["prospects"]) == ["a.com", "d.com"]
