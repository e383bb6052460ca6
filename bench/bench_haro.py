"""Benchmark: parse_mail over 1,000 generated digest emails of varied encodings (target < 10 s).

    python bench/bench_haro.py [--n 1000] [--keep DIR]

Digests rotate through: 7bit UTF-8 plain, quoted-printable, base64, windows-1252,
ISO-8859-1, UTF-8 mislabelled as Latin-1, HTML-only (a heading per query), and
multipart/alternative. Each has 4–8 queries; the figure printed is wall time for
parse_mail over the folder, plus the queries found versus generated.
"""

from __future__ import annotations

import argparse
import base64
import quopri
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from discover.haro.mail import read_mail  # noqa: E402

TOPICS = ["Maternity boutiques in Des Moines", "Vegan baking swaps for café menus", "Dog grooming in Leeds",
          "Budget laptops for students", "Roofers on storm damage", "Sleep consultants — “newborn” routines",
          "Accountants on year-end tax", "Wedding venues in Yorkshire"]
DEADLINES = ["5:00 PM EST - 28 November", "Nov 29, 2026 17:00 ET", "30/11/2026 12:00 GMT", "Friday 5pm BST",
             "EOD Tuesday", "2026-12-01T17:00:00-05:00", "Deadline 9am AEDT 2 Dec", "ASAP"]


def plain_digest(rng: random.Random, n: int) -> str:
    parts = ["INDEX", *(f"{i}) {rng.choice(TOPICS)}" for i in range(1, n + 1)), ""]
    for i in range(1, n + 1):
        parts += ["-" * 35, f"{i}) Summary: {rng.choice(TOPICS)}", f"Name: Writer {i}", "Category: General",
                  f"Email: reply-{rng.randrange(10**6)}@digest.example", f"Media Outlet: Outlet {i}",
                  f"Deadline: {rng.choice(DEADLINES)}", "", "Query:", "We need experts with real examples. " * 3,
                  "", "Requirements:", "Owners or practitioners only.", ""]
    parts += ["-" * 35, "To unsubscribe, visit https://digest.example/u"]
    return "\n".join(parts)


def html_digest(rng: random.Random, n: int) -> str:
    items = "".join(
        f"<h3>{i}. {rng.choice(TOPICS)}</h3><p><b>Outlet:</b> Outlet {i}<br><b>Journalist:</b> Writer {i}<br>"
        f"<b>Deadline:</b> {rng.choice(DEADLINES)}</p><p>We need experts with real examples.</p>"
        f"<p><b>Reply to:</b> <a href='mailto:w{i}@digest.example'>w{i}@digest.example</a></p><hr>"
        for i in range(1, n + 1))
    return f"<html><body><h2>Today's queries</h2><p>Hello.</p>{items}<p>Unsubscribe</p></body></html>"


def message(kind: int, rng: random.Random, n: int) -> bytes:
    head = ("From: Digest <d@digest.example>\nTo: me@example.com\nSubject: Queries\n"
            "Date: Fri, 20 Nov 2026 05:35:00 -0500\nMIME-Version: 1.0\n")
    text = plain_digest(rng, n)
    if kind == 0:
        return (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text).encode()
    if kind == 1:
        return (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                ).encode() + quopri.encodestring(text.encode())
    if kind == 2:
        return (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                ).encode() + base64.encodebytes(text.encode())
    if kind == 3:
        return (head + "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\n"
                ).encode() + text.encode("cp1252")
    if kind == 4:
        return (head + "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
                ).encode() + quopri.encodestring(text.replace("“", '"').replace("”", '"').replace("—", "-")
                                                 .encode("latin-1"))
    if kind == 5:  # UTF-8 bytes mislabelled as Latin-1
        return (head + "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
                ).encode() + text.encode("utf-8")
    html = html_digest(rng, n)
    if kind == 6:
        return (head + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                ).encode() + base64.encodebytes(html.encode())
    return (head + 'Content-Type: multipart/alternative; boundary="B"\n\n--B\n'
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n").encode() + \
        quopri.encodestring(text.encode()) + \
        b"\n--B\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + \
        base64.encodebytes(html.encode()) + b"\n--B--\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    rng = random.Random(7)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-haro-"))
    folder.mkdir(parents=True, exist_ok=True)
    expected = 0
    for i in range(args.n):
        n = rng.randint(4, 8)
        expected += n
        (folder / f"digest-{i:04d}.eml").write_bytes(message(i % 8, rng, n))
    now = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
    started = time.perf_counter()
    batch = read_mail(folder, now=now, include_expired=True)
    elapsed = time.perf_counter() - started
    print(f"parse_mail: {args.n} digests, {len(batch.queries)}/{expected} queries, "
          f"{len(batch.problems)} problems, {elapsed:.2f} s ({args.n / elapsed:.0f} digests/s) "
          f"— target < 10 s: {'OK' if elapsed < 10 else 'MISSED'}")
    with_deadline = sum(q.deadline is not None for q in batch.queries)
    print(f"deadlines parsed: {with_deadline}/{len(batch.queries)}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
