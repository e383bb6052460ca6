"""The thin slice end to end on the bundled world, bad input, and resume after a real kill."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def discover(*args: str, data: Path, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env["DISCOVER_DATA_DIR"] = str(data)
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO, **kw)


@pytest.fixture(scope="module")
def maternity_run(tmp_path_factory, bundled_world):
    data = tmp_path_factory.mktemp("run")
    out = data / "shortlist.csv"
    r = discover("run", "maternity clothes", "--geo", "Des Moines, IA, US", "--web", str(bundled_world),
                 "--out", str(out), "--json", data=data)
    return r, out, data


def test_run_prints_ranked_json_and_writes_csv(maternity_run):
    r, out, _ = maternity_run
    assert r.returncode == 0, r.stderr
    prospects = json.loads(r.stdout)
    assert len(prospects) >= 8
    for p in prospects:
        assert {"url", "domain", "type", "score"} <= set(p)
    scores = [p["score"] for p in prospects]
    assert scores == sorted(scores, reverse=True)
    assert len({p["domain"] for p in prospects}) == len(prospects)       # one prospect per site
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [row["url"] for row in rows] == [p["url"] for p in prospects]


def test_run_ranks_right_place_prospects_first(maternity_run, bundled_world):
    r, _, _ = maternity_run
    prospects = json.loads(r.stdout)
    labels = {}
    with (bundled_world / "labels.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["niche"] == "maternity clothes":
                labels[row["url"]] = row
    top5 = prospects[:5]
    assert all(int(labels.get(p["url"], {}).get("relevance", 0)) >= 2 for p in top5), top5
    assert not any(p["type"] == "spam" for p in prospects)               # spam hidden by default
    wrong_place = [i for i, p in enumerate(prospects) if "omaha" in p["domain"]]
    right_place = [i for i, p in enumerate(prospects) if p["geo_tier"] == "same_city"]
    assert right_place and (not wrong_place or min(wrong_place) > min(right_place))


def test_run_table_output_for_people(tmp_path, bundled_world):
    r = discover("run", "vegan baking", "--web", str(bundled_world), "--types", "forum,guest_post",
                 "--no-expand", "--out", str(tmp_path / "v.csv"), data=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "prospects for “vegan baking”" in r.stdout
    assert "CSV written to" in r.stdout and (tmp_path / "v.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["run", ""], "keyword is empty"),
    (["run", "!!!"], "no letters"),
    (["run", "x" * 300], "under 200"),
    (["run", "dog grooming", "--geo", "Atlantis Under The Sea"], "place"),
    (["run", "dog grooming", "--types", "forum,blogroll"], "unknown prospect type"),
])
def test_bad_input_is_a_clear_error(tmp_path, bundled_world, args, message):
    r = discover(*args, "--web", str(bundled_world), data=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr


def test_web_folder_that_is_not_a_world(tmp_path):
    r = discover("run", "dog grooming", "--web", str(tmp_path), data=tmp_path)
    assert r.returncode == 2 and "not a web directory" in r.stderr and "Traceback" not in r.stderr


def _pages(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("select count(*) from pages").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_resume_after_sigkill_loses_nothing(tmp_path, bundled_world):
    """Kill a real run mid-way with SIGKILL; --resume finishes it without refetching or duplicates."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env.update(DISCOVER_DATA_DIR=str(data), DISCOVER_CONCURRENCY="2", DISCOVER_PER_HOST_CONCURRENCY="1")
    args = ["run", "dog grooming", "--geo", "Leeds, West Yorkshire, GB", "--web", str(bundled_world),
            "--no-expand", "--json"]
    db = data / "discover.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "discover", *args], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and _pages(db) < 8 and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _pages(db)
    assert before >= 8
    with sqlite3.connect(db) as conn:
        fetched_before = {u for (u,) in conn.execute("select url from pages")}
        assert conn.execute("select status from runs").fetchone()[0] == "running"

    r = subprocess.run([sys.executable, "-m", "discover", "run", "--resume", "--json", "--web", str(bundled_world)],
                       env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    resumed = json.loads(r.stdout)
    assert resumed and len({p["domain"] for p in resumed}) == len(resumed)
    with sqlite3.connect(db) as conn:
        runs = conn.execute("select id, status, summary from runs").fetchall()
        assert len(runs) == 1 and runs[0][1] == "finished"          # the same run, finished
        summary = json.loads(runs[0][2])
        n_prospects = conn.execute("select count(*) from prospects").fetchone()[0]
        urls = [u for (u,) in conn.execute("select url from pages")]
    assert len(urls) == len(set(urls))
    assert fetched_before <= set(urls)
    # Pages fetched before the kill came from the store, not the network.
    assert summary["fetch_paths"].get("cache", 0) >= len(fetched_before) - 2
    assert n_prospects == len(resumed) + sum(summary.get("hidden", {}).values())

    # And a fresh, uninterrupted run of the same niche gives the same shortlist.
    fresh = discover(*args[:-1], "--json", "--db", str(tmp_path / "fresh.sqlite"), data=tmp_path / "d2")
    assert fresh.returncode == 0, fresh.stderr
    assert [p["url"] for p in json.loads(fresh.stdout)] == [p["url"] for p in resumed]


def test_run_without_a_browser_says_what_to_install(tmp_path, bundled_world):
    env_browser = str(tmp_path / "no-such-chrome")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    env.update(DISCOVER_DATA_DIR=str(tmp_path), DISCOVER_BROWSER=env_browser)
    r = subprocess.run([sys.executable, "-m", "discover", "run", "dog grooming", "--web", str(bundled_world)],
                       env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "does not exist" in r.stderr and "apt-get install -y chromium" in r.stderr
    assert "Traceback" not in r.stderr


def test_serve_lets_a_person_browse_the_world(tmp_path, bundled_world):
    import httpx

    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    proc = subprocess.Popen([sys.executable, "-m", "discover", "serve", "--web", str(bundled_world), "--port", "0"],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        port = int(first.split("http://127.0.0.1:")[1].split("/")[0])
        proxy = f"http://127.0.0.1:{port}"
        with httpx.Client(proxy=proxy, timeout=10) as client:
            home = client.get("http://www.dsm-moms.org/")
            assert home.status_code == 200 and "<html" in home.text.lower()
            found = client.get("http://search.discover.test/search", params={"q": '"maternity" inurl:forum'})
            assert found.status_code == 200 and "dsm-moms.org" in found.text
        index = httpx.get(proxy + "/", timeout=10)
        assert "www.dsm-moms.org" in index.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_on_a_port_in_use(tmp_path, bundled_world):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = discover("serve", "--web", str(bundled_world), "--port", str(port), data=tmp_path, timeout=30)
    assert r.returncode == 3 and "already in use" in r.stderr and "Traceback" not in r.stderr


def test_blocked_engine_fails_the_run_clearly(bundled_world, settings_for):
    """A captcha on every query is reported as blocked (with the reason), never as an empty shortlist."""
    import asyncio

    from discover.errors import SearchBlocked
    from discover.pipeline import RunRequest, run_discovery
    from discover.runtime import Runtime
    from discover.store import Store
    from discover.webworld.engine import engine_of

    settings = settings_for(bundled_world)

    async def go():
        async with Runtime(settings, captcha=True) as rt:
            engine_of(rt.world).retry_after = 0
            with Store.open(settings.db_url()) as store:
                try:
                    await run_discovery(rt, RunRequest("dog grooming", types=("forum",)), store=store)
                finally:
                    runs = store.list_runs()
            return runs

    with pytest.raises(SearchBlocked, match="blocked all") as err:
        asyncio.run(go())
    assert "captcha" in str(err.value) or "rate" in str(err.value)


def test_about_profiles_the_niche_and_hides_the_users_own_site(tmp_path, bundled_world):
    about = tmp_path / "about.txt"
    about.write_text("Maternity dresses, nursing tops and bump-friendly jeans from our Des Moines boutique.\n")
    r = discover("run", "maternity clothes", "--geo", "Des Moines, IA, US", "--web", str(bundled_world),
                 "--about", str(about), "--about", "http://www.bloommaternitydsm.com/", "--no-expand", "--json",
                 data=tmp_path)
    assert r.returncode == 0, r.stderr
    domains = [p["domain"] for p in json.loads(r.stdout)]
    assert domains and "bloommaternitydsm.com" not in domains
    r = discover("run", "maternity clothes", "--web", str(bundled_world), "--about", "http://no-such-host.example/",
                 "--no-expand", data=tmp_path)
    assert r.returncode == 2 and "--about http://no-such-host.example/ could not be read" in r.stderr
