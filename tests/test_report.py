"""The HTML report rendered in real Chromium: charts present, no console errors, scraped script inert."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from discover.browser import BrowserSession
from discover.records import FetchResult, Prospect, Query, QueryOutcome, SerpResult
from discover.outreach.report import render_report, write_report
from discover.store import Store

XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def _world(tmp_path: Path) -> tuple[Store, int]:
    s = Store.open(str(tmp_path / "r.sqlite"))
    run = s.start_run("dog grooming", geo="Leeds, West Yorkshire, GB", types=["forum", "directory"])
    for engine, outcome, n in [("local", "ok", 3), ("local", "no_results", 1), ("bing", "blocked", 2)]:
        for i in range(n):
            q = Query(text=f"dog grooming {outcome} {i}", prospect_type="forum")
            res = [SerpResult(url=f"http://r{i}-{j}.com/", rank=j, engine=engine) for j in range(4)] if outcome == "ok" else []
            s.save_query_outcome(run, QueryOutcome(query=q, engine=engine, outcome=outcome, results=res))
    for i in range(5):
        s.save_page(run, FetchResult(url=f"http://r{i}.com/", outcome="ok" if i < 4 else "timeout"))
    s.save_prospects(run, [
        Prospect(url="http://leedsdogs.co.uk/", domain="leedsdogs.co.uk", type="forum", score=0.82,
                 title=XSS, why=XSS, pitch=XSS, email="a@leedsdogs.co.uk", email_kind="generic", niche="dog grooming"),
        Prospect(url="http://dir.example.org/", domain="dir.example.org", type="directory", score=0.41,
                 title="Leeds pet directory", niche="dog grooming", phone="+441134960000",
                 contact_name="Priya Patel", first_name="Priya", last_name="Patel"),
        Prospect(url="http://pets-leeds.org/", domain="pets-leeds.org", type="directory", score=0.05,
                 title="Low", niche="dog grooming")])
    return s, run


def test_render_escapes_and_counts(tmp_path: Path) -> None:
    s, run = _world(tmp_path)
    html = render_report(s, run)
    assert "<script" not in html.lower() and "onerror=\"" not in html
    assert "&lt;script&gt;window.__pwned" in html
    assert html.count("<svg") == 4 and "http://" not in re.sub(r"(href|xmlns)='[^']*'", "", html).split("<h2>Shortlist")[0]
    assert "Leeds, West Yorkshire, GB" in html


async def _render(path: Path, shot: Path) -> dict:
    async with BrowserSession() as session:
        ctx = await session.new_context()
        page = await ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        await page.goto(path.as_uri())
        await page.screenshot(path=str(shot), full_page=True)
        result = await page.evaluate("""() => ({
            pwned: window.__pwned === undefined ? null : window.__pwned,
            scripts: document.querySelectorAll('script').length,
            imgs: document.querySelectorAll('img').length,
            svgs: document.querySelectorAll('svg').length,
            rows: document.querySelectorAll('tbody tr').length,
            text: document.body.innerText})""")
        await ctx.close()
        result["errors"] = errors
        result["requests"] = requests
        return result


def test_report_in_chromium(tmp_path: Path) -> None:
    s, run = _world(tmp_path)
    out = write_report(s, tmp_path / "report.html", run)
    got = asyncio.run(_render(out, tmp_path / "report.png"))
    assert got["errors"] == []
    assert got["pwned"] is None and got["scripts"] == 0 and got["imgs"] == 0
    assert got["svgs"] == 4 and got["rows"] == 3
    assert "<script>window.__pwned = 1</script>" in got["text"]          # shown as text
    assert got["requests"] == [out.as_uri()]                               # self-contained
    assert (tmp_path / "report.png").stat().st_size > 5000


def test_cli_report(tmp_path: Path) -> None:
    s, run = _world(tmp_path)
    db = str(s.engine.url.database)
    s.close()
    out = tmp_path / "cli.html"
    res = subprocess.run([sys.executable, "-m", "discover", "report", "--out", str(out), "--db", db],
                         capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert res.returncode == 0 and "dog grooming" in out.read_text()
    # It says which run and niche it used, and the shortlist shows who to call.
    assert f"report: run {run} (“dog grooming”): 3 prospect(s) listed" in res.stderr
    html = out.read_text()
    assert "Priya Patel" in html and "href='tel:+441134960000'" in html
    res = subprocess.run([sys.executable, "-m", "discover", "report", "--run", "99", "--out", str(out), "--db", db],
                         capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert res.returncode == 2 and res.stderr.startswith("error:")
