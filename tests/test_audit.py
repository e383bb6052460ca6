"""`discover audit` on fixtures/audit-site (a site with every problem, and a clean one), and `discover links`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from discover.links.audit import audit_site
from discover.runtime import Runtime
from discover.settings import Settings
from discover.webworld.server import WorldServer
from discover.webworld.world import World

AUDIT_WEB = Path(__file__).resolve().parent.parent / "fixtures" / "audit-site"
DISCOVER = [sys.executable, "-m", "discover"]
M = "http://my-site.example"


def run_audit(url: str, **kw):
    async def go():
        rt = Runtime(Settings(web=str(AUDIT_WEB), timeout=3.0))
        rt.world = World(AUDIT_WEB)
        rt.server = WorldServer(rt.world).start()
        try:
            return await audit_site(rt, rt.settings, url, 50, **kw)
        finally:
            await rt.close()
    return asyncio.run(go())


@pytest.fixture(scope="module")
def report():
    return run_audit(M + "/", slow_s=1.0)


def kinds(report, kind):
    return {i.url: i for i in report.by_kind(kind)}


def test_broken_outbound_links_and_linked_404(report):
    broken = kinds(report, "broken_outbound_link")
    assert set(broken) == {"http://gone-partner.example/", "http://partner.example/retired"}
    assert all(i.severity == "error" for i in broken.values())
    assert broken["http://partner.example/retired"].pages == [M + "/"]
    linked = kinds(report, "linked_404")
    assert set(linked) == {M + "/deleted"}
    assert linked[M + "/deleted"].pages == [M + "/", M + "/about"]


def test_redirect_chain_and_loop(report):
    chain = kinds(report, "redirect_chain")[M + "/old-page"]
    assert chain.severity == "warning"
    assert [h["status"] for h in chain.chain] == [301, 302, 200]
    loop = kinds(report, "redirect_loop")[M + "/loop"]
    assert loop.severity == "error"
    # A single-hop redirect to a live page is not a problem worth reporting.
    assert "http://partner.example/moved" not in {i.url for i in report.issues}


def test_canonical_problems(report):
    assert set(kinds(report, "canonical_missing")) == {M + "/gallery"}
    assert set(kinds(report, "canonical_conflict")) == {M + "/services"}
    assert set(kinds(report, "canonical_og_mismatch")) == {M + "/pricing"}
    assert set(kinds(report, "canonical_redirect")) == {M + "/team"}
    assert set(kinds(report, "canonical_broken")) == {M + "/contact", M + "/services"}
    variants = report.by_kind("variants_not_collapsed")
    assert len(variants) == 1 and "www.my-site.example" in variants[0].detail


def test_duplicates_slow_and_viewport(report):
    dup = report.by_kind("duplicate_content")
    assert [d.url for d in dup] == [M + "/blog/post-1-copy"]
    assert set(kinds(report, "slow_page")) == {M + "/lookbook"}
    assert set(kinds(report, "no_viewport")) == {M + "/gallery"}
    assert report.has_errors
    assert len(report.pages) == 13


def test_clean_site_has_no_issues():
    clean = run_audit("http://clean-site.example", slow_s=1.0)
    assert clean.issues == [], [(i.kind, i.url, i.detail) for i in clean.issues]
    assert len(clean.pages) == 3 and not clean.has_errors


def test_cli_audit_exit_codes():
    bad = subprocess.run(DISCOVER + ["audit", M, "--web", str(AUDIT_WEB), "--json", "--slow", "5"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1, bad.stderr
    data = json.loads(bad.stdout)
    assert data["counts"]["error"] >= 7 and data["pages_crawled"] == 13
    good = subprocess.run(DISCOVER + ["audit", "http://clean-site.example", "--web", str(AUDIT_WEB)],
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "0 error(s), 0 warning(s)" in good.stdout


def test_cli_links_json_and_table():
    out = subprocess.run(DISCOVER + ["links", M + "/", "--web", str(AUDIT_WEB), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    by_url = {r["url"]: r for r in rows}
    assert set(by_url) == {"http://partner.example/", "http://partner.example/retired",
                           "http://gone-partner.example/", "http://partner.example/moved"}
    retired = by_url["http://partner.example/retired"]
    assert (retired["class"], retired["status"], retired["anchor"]) == ("broken", 410, "list of baby-friendly shops")
    assert retired["wayback"].startswith("https://web.archive.org/web/*/")
    assert {"page", "url", "class", "status", "chain", "final_url", "context", "reason"} <= set(retired)
    assert by_url["http://partner.example/moved"]["chain"][0] == {"url": "http://partner.example/moved", "status": 301}
    table = subprocess.run(DISCOVER + ["links", M + "/", "--web", str(AUDIT_WEB), "--internal"],
                           capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    assert "3 broken" in table.stdout and "redirect_loop" in table.stdout  # /deleted is internal
