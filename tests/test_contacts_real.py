"""Contacts on real pages, against values read by hand (tests/data/contacts-real/expected.json).

Run as a script to print how many real samples are right per field:

    PYTHONPATH=. python tests/test_contacts_real.py

The pages are the real-page corpus (fixtures/realpages, with its manifests and licences) and the
pages stored in tests/data/contacts-real (PROVENANCE.md). The test fails when a field falls below
the floor recorded here, which sits under the figure measured when the floors were set.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "contacts-real"

#: Share of judged samples that must be right (the measured shares are in tests/data/contacts-real/PROVENANCE.md).
FLOORS = {"author": 0.85, "first_last": 0.85, "site_name": 0.85, "email_pages": 0.9, "email_addresses": 0.9,
          "email_names": 0.85, "phone_pages": 0.9, "phone_numbers": 0.9}


def _urls() -> dict[str, str]:
    urls: dict[str, str] = {}
    for manifest in sorted((ROOT / "fixtures" / "realpages").glob("manifest-*.csv")):
        for row in csv.DictReader(manifest.open(encoding="utf-8")):
            urls[f"fixtures/realpages/{row['file']}"] = row["url"] or f"https://{row['site']}/"
    for row in csv.DictReader((DATA / "manifest.csv").open(encoding="utf-8")):
        urls[f"tests/data/contacts-real/{row['file']}"] = row["url"]
    return urls


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split()).casefold()


@lru_cache(maxsize=None)
def _read(file: str, url: str):
    from discover.pages.contacts import best_email, contact_person
    from discover.pages.extract import extract
    from discover.records import FetchResult

    raw = (ROOT / file).read_bytes()
    if file.endswith(".gz"):
        raw = gzip.decompress(raw)
    ext = extract(FetchResult(url=url, final_url=url, outcome="ok", html=raw.decode("utf-8", "replace")))
    return ext, contact_person(ext.contacts, best_email(ext.contacts))


def measure(held_out: bool | None = None) -> dict[str, tuple[int, int, list[str]]]:
    """field → (right, judged, the samples that were wrong); `held_out` True/False keeps only the
    pages read by hand after the rules were written / the pages looked at while writing them."""
    from discover.pages.contacts import split_name

    urls = _urls()
    pages = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))["pages"]
    out: dict[str, list] = {k: [0, 0, []] for k in FLOORS}

    def score(field: str, ok: bool, label: str) -> None:
        out[field][1] += 1
        if ok:
            out[field][0] += 1
        else:
            out[field][2].append(label)

    for page in pages:
        if held_out is not None and bool(page.get("held_out")) != held_out:
            continue
        file = page["file"]
        ext, _person = _read(file, urls[file])
        name = file.rsplit("/", 2)[-2] + "/" + file.rsplit("/", 1)[-1]
        if "author" in page:
            score("author", _norm(ext.author) == _norm(page["author"]),
                  f"{name}: {ext.author!r} != {page['author']!r}")
        if "first" in page:
            got = split_name(ext.author)
            score("first_last", (_norm(got[0]), _norm(got[1])) == (_norm(page["first"]), _norm(page["last"])),
                  f"{name}: {got} != {(page['first'], page['last'])}")
        if "site" in page:
            score("site_name", _norm(ext.site_name) in {_norm(s) for s in page["site"]},
                  f"{name}: {ext.site_name!r} not in {page['site']}")
        emails = {c.value: c for c in ext.contacts if c.kind == "email"}
        if "emails" in page:
            want = set(page["emails"])
            score("email_pages", set(emails) == want, f"{name}: {sorted(emails)} != {sorted(want)}")
            for addr in want | set(emails):
                score("email_addresses", addr in want and addr in emails,
                      f"{name}: {addr} {'missed' if addr in want else 'not on the page as a contact'}")
        for addr, who in page.get("email_names", {}).items():
            got = emails[addr].name if addr in emails else "(address missed)"
            score("email_names", _norm(got) == _norm(who), f"{name}: {addr} named {got!r}, not {who!r}")
        if "phones" in page:
            phones = {c.value for c in ext.contacts if c.kind == "phone"}
            want = set(page["phones"])
            score("phone_pages", phones == want, f"{name}: {sorted(phones)} != {sorted(want)}")
            for number in want | phones:
                score("phone_numbers", number in want and number in phones,
                      f"{name}: {number} {'missed' if number in want else 'is not a phone number of the page'}")
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


@pytest.fixture(scope="module")
def measured():
    return measure()


@pytest.mark.parametrize("field", list(FLOORS))
def test_contacts_on_real_pages(measured, field):
    right, judged, wrong = measured[field]
    assert judged >= 10, f"too few real samples judged for {field}"   # every page, held out or not
    assert right / judged >= FLOORS[field], "\n".join(wrong)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for title, subset in (("pages looked at while writing the rules", False),
                          ("held-out pages, read by hand afterwards", True), ("all", None)):
        results = measure(subset)
        print(f"\n{title}\n{'field':<16} {'right':>5} / {'judged':<6} share")
        for field, (right, judged, wrong) in results.items():
            print(f"{field:<16} {right:>5} / {judged:<6} " + (f"{right / judged:.0%}" if judged else "-"))
        if "-v" in sys.argv and subset is not None:
            for field, (_r, _j, wrong) in results.items():
                for w in wrong:
                    print(f"  {field}: {w}")
