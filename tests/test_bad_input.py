"""Bad and odd input on every command: a one-line `error: ...` (+ `hint: ...`), the right exit
code, never a traceback or an internal error (70), and nothing lost.

Each test runs the real CLI (`python -m discover ...`) in a subprocess with a clean environment
and a throwaway data directory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env.update(DISCOVER_DATA_DIR=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"), **extra)
    return env


def cli(tmp_path: Path, *args: str, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=_env(tmp_path, **extra), timeout=timeout, cwd=tmp_path)


def assert_error(r: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    """Exit `code`; stderr is `error: ...` and at most a `hint: ...` (warnings may come first)."""
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("warning:")]
    assert lines and lines[0].startswith("error: "), r.stderr
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    for f in fragments:
        assert f in lines[0], (f, r.stderr)


def assert_usage_error(r: subprocess.CompletedProcess, fragment: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert fragment in r.stderr and "Traceback" not in r.stderr and "internal error" not in r.stderr


# --- settings and databases ------------------------------------------------------------------------

def test_a_file_that_is_not_a_database(tmp_path):
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    assert_error(cli(tmp_path, "shortlist", "--db", str(tmp_path / "notes.txt")), 5, "not a database")


def test_an_unreachable_postgres_is_one_line(tmp_path):
    pytest.importorskip("psycopg")
    assert_error(cli(tmp_path, "outreach", "list", "--db", "postgresql://nobody@127.0.0.1:1/x"), 5,
                 "cannot open database")


def test_an_engine_list_that_names_no_engine(tmp_path):
    assert_error(cli(tmp_path, "plan", "vegan baking", "--engine", " , "), 2, "names no search engine")


def test_a_non_finite_number_setting(tmp_path):
    assert_error(cli(tmp_path, "plan", "vegan baking", DISCOVER_TIMEOUT="nan"), 2, "finite number")


def test_plan_with_a_web_folder_that_is_not_a_world(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_error(cli(tmp_path, "plan", "vegan baking", "--web", str(tmp_path / "empty")), 2,
                 "not a web directory")


# --- serve / gen-web -------------------------------------------------------------------------------

def test_serve_rejects_a_port_out_of_range(tmp_path, bundled_world):
    assert_usage_error(cli(tmp_path, "serve", "--web", str(bundled_world), "--port", "99999"), "--port")


def test_gen_web_into_an_unwritable_place(tmp_path):
    target = tmp_path / "a-file" / "world"
    (tmp_path / "a-file").write_text("x")
    assert_error(cli(tmp_path, "gen-web", "--out", str(target), "--sites", "2"), 6, "cannot write the world")


def test_a_client_hanging_up_prints_no_traceback(tmp_path, make_world):
    """A client that resets its connection (a timeout, a closed browser) is routine for the world
    server: nothing on the terminal."""
    world = make_world({"a.test": {"index.html": "<p>hi</p>"}})
    proc = subprocess.Popen([sys.executable, "-m", "discover", "serve", "--web", str(world), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
                            cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: a.te")        # half a request, then a reset
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        with socket.create_connection(("127.0.0.1", port)) as s:   # the server still answers
            s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err and "ConnectionResetError" not in err, err


# --- run -------------------------------------------------------------------------------------------

def test_a_keyword_of_stop_words_is_rejected_before_searching(tmp_path, bundled_world):
    r = cli(tmp_path, "run", "the of and", "--web", str(bundled_world))
    assert_error(r, 2, "no words to match")
    db = tmp_path / "data" / "discover.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from runs").fetchone()[0] == 0


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_ctrl_c_during_a_run_exits_130_and_resume_needs_no_flags(tmp_path, bundled_world):
    """Ctrl-C (SIGINT to the whole foreground group, browser driver included): one line, exit 130,
    the run is kept as interrupted, and `discover run --resume` finishes it in the same world
    without --web being given again."""
    db = tmp_path / "data" / "discover.sqlite"
    (tmp_path / "out").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "discover", "run", "dog grooming", "--no-expand",
                             "--web", str(bundled_world), "--out", "out/p.csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env(tmp_path), cwd=tmp_path, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and _count(db, "serp_results") < 5 and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert_error(subprocess.CompletedProcess(proc.args, proc.returncode, "", err), 130, "--resume")
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from runs").fetchall() == [("interrupted",)]

    # From another folder, with no flags: the run's own world and --out (a relative path given
    # at the start means the same file), and it says which run it resumes.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([sys.executable, "-m", "discover", "run", "--resume", "--json"], capture_output=True,
                       text=True, env=_env(tmp_path), timeout=120, cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert "resuming run 1 ('dog grooming')" in r.stderr
    resumed = json.loads(r.stdout)
    assert resumed
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from runs").fetchall() == [("finished",)]
    rows = (tmp_path / "out" / "p.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(resumed) + 1
    # nothing written where the user did not say
    assert not (tmp_path / "data" / "exports").exists() and not list(elsewhere.iterdir())


def test_interrupted_run_hint_names_the_database(tmp_path, bundled_world):
    db = tmp_path / "team.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "discover", "run", "dog grooming", "--no-expand",
                             "--web", str(bundled_world), "--db", str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(tmp_path), cwd=tmp_path,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and _count(db, "serp_results") < 3 and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert_error(subprocess.CompletedProcess(proc.args, proc.returncode, "", err), 130,
                 f"discover run --resume --db {db}")
    nothing = cli(tmp_path, "run", "--resume")
    assert_error(nothing, 2, "no interrupted run")
    assert "--db" in nothing.stderr


# --- search / serp / page / explain / eval ----------------------------------------------------------

def test_search_with_a_browser_that_cannot_start_is_an_environment_error(tmp_path, bundled_world):
    assert_error(cli(tmp_path, "search", "maternity", "--web", str(bundled_world), "--browser", "/bin/true"),
                 3, "failed to start")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs a file that fails to read")
def test_serp_parse_of_an_unreadable_file(tmp_path):
    assert_error(cli(tmp_path, "serp", "parse", "/proc/self/mem", "--engine", "bing"), 2, "cannot read")


def test_page_from_a_binary_file(tmp_path):
    (tmp_path / "urls.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert_error(cli(tmp_path, "page", "--from", str(tmp_path / "urls.png")), 2, "not a text file")


def test_explain_an_empty_or_schemeless_url(tmp_path):
    assert_error(cli(tmp_path, "explain", ""), 2, "URL is empty")
    assert_error(cli(tmp_path, "explain", "example.com/resources", "--niche", "baking"), 2, "not an http(s) URL")


def test_eval_with_a_bad_floors_file_fails_before_evaluating(tmp_path, bundled_world):
    started = time.monotonic()
    assert_error(cli(tmp_path, "eval", "--web", str(bundled_world), "--floors", str(tmp_path / "missing.json")),
                 2, "floors")
    assert time.monotonic() - started < 15      # not after a full evaluation


def test_eval_with_a_labels_file_in_a_broken_encoding(tmp_path, make_world):
    world = make_world({"a.test": {"index.html": "<p>hi</p>"}})
    (world / "labels.csv").write_bytes(b"url,niche,type,relevance,geo\nhttp://a.test/,caf\xe9 \xff,blog,2,\n")
    assert_error(cli(tmp_path, "eval", "--web", str(world), "--ranking-only"), 2, "labels.csv")


# --- haro ------------------------------------------------------------------------------------------

def test_haro_with_a_niche_of_stop_words(tmp_path, bundled_world):
    assert_error(cli(tmp_path, "haro", "--niche", "the of and", "--mail", str(bundled_world / "mail")), 2,
                 "no words to match")


def test_haro_with_an_empty_mail_folder(tmp_path):
    (tmp_path / "digests").mkdir()
    assert_error(cli(tmp_path, "haro", "--niche", "baking", "--mail", str(tmp_path / "digests")), 2,
                 "no .eml or mbox files")


def test_haro_with_a_garbage_eml(tmp_path):
    (tmp_path / "digest.eml").write_bytes(bytes(range(256)) * 4)
    assert_error(cli(tmp_path, "haro", "--niche", "baking", "--mail", str(tmp_path / "digest.eml")), 2,
                 "no journalist queries")


# --- shortlist / push ------------------------------------------------------------------------------

def test_shortlist_filters_that_match_nothing_say_so(tmp_path):
    from discover.store import Store

    db = tmp_path / "d.sqlite"
    with Store.open(str(db)) as store:
        store.finish_run(store.start_run("maternity clothes", "", ("blog",), {}), "finished")
    assert_error(cli(tmp_path, "shortlist", "--db", str(db), "--types", "blogs"), 2, "unknown prospect type")
    assert_error(cli(tmp_path, "shortlist", "--db", str(db), "--niche", "Maternity"), 2, "no run for the niche")
    # A run without prospects is nothing to export: exit 6 (issue 13), naming the niche it read.
    assert_error(cli(tmp_path, "shortlist", "--db", str(db), "--niche", "maternity clothes", "--format", "json"),
                 6, "nothing to export from niche “maternity clothes”")


def test_shortlist_with_an_empty_database(tmp_path):
    assert_error(cli(tmp_path, "shortlist"), 2, "no run yet")


@pytest.mark.parametrize("url", ["not a url", "ftp://hooks.example/x", "http://", "http://[::1"])
def test_push_to_a_webhook_that_is_not_a_url(tmp_path, url):
    started = time.monotonic()
    assert_error(cli(tmp_path, "push", "--webhook", url), 2, "not an http(s) URL")
    assert time.monotonic() - started < 10      # no retries with back-off first


# --- malformed URLs, given or found on pages -------------------------------------------------------

_BAD_HREFS = ('<a href="http://[::1">v6</a> <a href="https://x.test:abc/">port</a> <a href="http://xn--/">idna</a>'
              ' <a href="http://ok.test:99999/">range</a>')


def test_malformed_urls_are_typed_outcomes_not_hangs(tmp_path, make_world):
    world = make_world({"ok.test": {"index.html": "<title>Fine</title><p>fine</p>"}})
    r = cli(tmp_path, "page", "http://[::1", "http://xn--/", "http://ok.test:99999/", "http://ok.test/",
            "--web", str(world), "--jsonl", "--no-enrich", timeout=30)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["outcome"] for row in rows] == ["error", "error", "error", "ok"]


def test_a_page_with_malformed_links(tmp_path, make_world):
    html = ("<html><head><title>Maternity clothes resources</title><base href='http://[::1/'>"
            "<link rel='canonical' href='http://[::1'></head><body><h1>Maternity clothes resources</h1>"
            f"<p>Useful links.</p>{_BAD_HREFS} <a href='http://ok.test/'>ok</a>"
            "<form action='http://[::1'><input name='email'><textarea name='message'></textarea></form>"
            "</body></html>")
    world = make_world({"res.test": {"index.html": html}, "ok.test": {"index.html": "<p>fine</p>"}})
    r = cli(tmp_path, "page", "http://res.test/", "--web", str(world), "--json", timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["links"] == 1                  # only the one a client can follow
    r = cli(tmp_path, "links", "http://res.test/", "--web", str(world), "--json", timeout=30)
    assert r.returncode == 0, r.stderr
    assert [c["url"] for c in json.loads(r.stdout)] == ["http://ok.test/"]


def test_haro_boards_with_malformed_urls(tmp_path, make_world):
    world = make_world({"board.test": {"index.html": f"<h1>Journalist requests</h1>{_BAD_HREFS}"}})
    r = cli(tmp_path, "haro", "--niche", "baking", "--boards", "http://[::1", "--boards", "http://board.test/",
            "--web", str(world), "--all", timeout=30)
    assert_error(r, 2, "no journalist queries")     # the board has no request links: said so, no crash
    assert "warning: http://[::1: error: not an http(s) URL" in r.stderr


def test_a_binary_suppression_file_imports_nothing(tmp_path):
    (tmp_path / "list.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    assert_error(cli(tmp_path, "outreach", "import-suppression", str(tmp_path / "list.png")), 2,
                 "not a text or CSV file")
    r = cli(tmp_path, "outreach", "list", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["suppression"] == []


# --- audit and link checking on malformed or unreachable input -----------------------------------

def test_audit_of_an_unreachable_site_is_an_error_not_a_clean_bill(tmp_path):
    world = REPO / "fixtures" / "audit-site"
    r = cli(tmp_path, "audit", "http://missing-host.example/", "--web", str(world), "--json", timeout=120)
    assert_error(r, 4, "could not be fetched")     # unreachable: exit 4, as page and links
    report = json.loads(r.stdout)
    assert any(i["kind"] == "start_page_failed" for i in report["issues"])
    assert_error(cli(tmp_path, "audit", "http://[::1", "--web", str(world)), 2, "not a site URL")


def test_malformed_links_are_broken_not_a_crash(make_world, settings_for):
    import asyncio

    from discover.links.linkcheck import LinkChecker
    from discover.records import Link
    from discover.runtime import Runtime

    world = make_world({"a.example": {"index.html": "<html><body>x</body></html>"}})

    async def go():
        async with Runtime(settings_for(world)) as rt:
            async with LinkChecker(rt) as checker:
                by_page = await checker.check_links("http://a.example/", [
                    Link("http://[::1"), Link("https://x.test:abc/"), Link("http://a.example/missing")])
                direct = await checker.check_urls(["http://[::1"])
        return by_page, direct

    by_page, direct = asyncio.run(go())
    classes = {c.url: (c.cls, c.reason) for c in by_page}
    assert classes["http://[::1"][0] == "broken" and "malformed URL" in classes["http://[::1"][1]
    assert classes["https://x.test:abc/"][0] == "broken"
    assert [c.cls for c in direct] == ["broken"]


def test_unreachable_host_is_exit_4_in_page_links_and_audit(tmp_path, bundled_world):
    for cmd in ("page", "links", "audit"):
        assert_error(cli(tmp_path, cmd, "http://nosuchhost.invalid/", "--web", str(bundled_world)), 4)


def test_json_is_one_document_and_jsonl_one_object_per_line(tmp_path, bundled_world):
    urls = ["http://www.dsm-moms.org/", "http://bumpandbaby-forum.com/"]
    one = cli(tmp_path, "page", *urls, "--no-enrich", "--json", "--web", str(bundled_world))
    assert one.returncode == 0, one.stderr
    doc = json.loads(one.stdout)
    assert isinstance(doc, list) and len(doc) == 2
    lines = cli(tmp_path, "page", *urls, "--no-enrich", "--jsonl", "--web", str(bundled_world))
    assert [json.loads(ln)["url"] for ln in lines.stdout.splitlines()] == [d["url"] for d in doc]
    links = cli(tmp_path, "links", urls[0], "--json", "--web", str(bundled_world))
    assert links.returncode == 0, links.stderr
    assert isinstance(json.loads(links.stdout), list)
