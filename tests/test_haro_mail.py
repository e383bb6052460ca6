"""Digest emails: every body encoding, digest shapes, field extraction, malformed messages, mbox."""

from __future__ import annotations

import base64
import quopri
from datetime import datetime, timezone
from pathlib import Path

import pytest

from discover.errors import InputError
from discover.haro import MailProblem
from discover.haro.digest import html_to_text, split_digest
from discover.haro.mail import parse_mail, read_mail

DATA = Path(__file__).parent / "data" / "haro"
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=timezone.utc)

DIGEST = """\
Today's queries from Café Press Requests

1) Summary: Maternity clothes that last beyond pregnancy — “bump” style
Name: Jane Holloway
Category: Lifestyle
Email: query-1a2b@press.example
Media Outlet: Des Moines Register
Deadline: 5:00 PM EST - 23 November
Query:
Looking for boutique owners in Des Moines.

2) Summary: Budget laptops for students
Name: Tom Reyes
Category: Technology
Email: query-3c4d@press.example
Media Outlet: TechWeekly
Deadline: Nov 21, 2026 12:00 ET
Query:
Which laptops under $500 are worth it?
"""


def headers(ctype: str, cte: str = "8bit", extra: str = "") -> str:
    return (f"From: Requests <digest@press.example>\nTo: me@example.com\nSubject: Daily digest\n"
            f"Date: Wed, 18 Nov 2026 06:35:00 -0500\nMIME-Version: 1.0\n{extra}"
            f"Content-Type: {ctype}\nContent-Transfer-Encoding: {cte}\n\n")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def check_digest(queries, name: str, expect_accents: bool = True) -> None:
    assert [q.source for q in queries] == [f"{name}#1", f"{name}#2"]
    q1, q2 = queries
    assert q1.summary.startswith("Maternity clothes that last beyond pregnancy")
    if expect_accents:
        assert "“bump”" in q1.summary
    assert (q1.journalist, q1.category, q1.outlet) == ("Jane Holloway", "Lifestyle", "Des Moines Register")
    assert q1.reply_to == "query-1a2b@press.example"
    assert q1.deadline == datetime(2026, 11, 23, 22, 0, tzinfo=timezone.utc)
    assert q1.details == "Looking for boutique owners in Des Moines."
    assert q2.reply_to == "query-3c4d@press.example" and q2.outlet == "TechWeekly"
    assert q2.deadline.isoformat() == "2026-11-21T12:00:00-05:00"


def test_plain_utf8_8bit(tmp_path):
    p = write(tmp_path, "plain.eml", (headers('text/plain; charset="utf-8"') + DIGEST).encode("utf-8"))
    check_digest(parse_mail(p, now=NOW), "plain.eml")


def test_quoted_printable(tmp_path):
    body = quopri.encodestring(DIGEST.encode("utf-8")).decode("ascii")
    assert "=E2=80" in body
    p = write(tmp_path, "qp.eml", (headers('text/plain; charset=utf-8', "quoted-printable") + body).encode())
    check_digest(parse_mail(p, now=NOW), "qp.eml")


def test_base64(tmp_path):
    body = base64.encodebytes(DIGEST.encode("utf-8")).decode("ascii")
    p = write(tmp_path, "b64.eml", (headers('text/plain; charset="UTF-8"', "base64") + body).encode())
    check_digest(parse_mail(p, now=NOW), "b64.eml")


def test_windows_1252_and_latin1_label(tmp_path):
    raw = DIGEST.encode("cp1252")
    assert b"\x93bump\x94" in raw
    p1 = write(tmp_path, "cp1252.eml", headers("text/plain; charset=windows-1252").encode() + raw)
    # labelled ISO-8859-1 but really windows-1252 (curly quotes in 0x80-0x9F), as mail clients send it
    p2 = write(tmp_path, "latin1.eml", headers("text/plain; charset=iso-8859-1").encode() + raw)
    check_digest(parse_mail(p1, now=NOW), "cp1252.eml")
    check_digest(parse_mail(p2, now=NOW), "latin1.eml")


def test_mislabelled_charsets(tmp_path):
    # UTF-8 bytes labelled Latin-1, and Latin-1 bytes labelled UTF-8, and an unknown label
    p1 = write(tmp_path, "a.eml", headers("text/plain; charset=iso-8859-1").encode() + DIGEST.encode("utf-8"))
    p2 = write(tmp_path, "b.eml", headers("text/plain; charset=utf-8").encode()
               + DIGEST.replace("“", '"').replace("”", '"').replace("—", "-").encode("latin-1"))
    p3 = write(tmp_path, "c.eml", headers("text/plain; charset=x-no-such-charset").encode() + DIGEST.encode("utf-8"))
    check_digest(parse_mail(p1, now=NOW), "a.eml")
    q = parse_mail(p2, now=NOW)
    check_digest(q, "b.eml", expect_accents=False)
    assert "Café" not in q[0].summary  # the header line is not a query
    check_digest(parse_mail(p3, now=NOW), "c.eml")


def html_digest() -> str:
    return """<html><head><style>h2{color:red}</style></head><body>
    <p>Good morning! Here are today&#8217;s requests.</p>
    <h2>Maternity clothes that last beyond pregnancy — &ldquo;bump&rdquo; style</h2>
    <dl><dt>Name</dt><dd>Jane Holloway</dd><dt>Category</dt><dd>Lifestyle</dd>
    <dt>Media Outlet</dt><dd>Des Moines Register</dd><dt>Deadline</dt><dd>5:00 PM EST - 23 November</dd></dl>
    <p><b>Query:</b> Looking for boutique owners in Des Moines.</p>
    <p><a href="mailto:query-1a2b@press.example">Reply to this query</a></p>
    <h2>Budget laptops for students</h2>
    <table><tr><th>Name</th><td>Tom Reyes</td></tr><tr><th>Media Outlet</th><td>TechWeekly</td></tr>
    <tr><th>Deadline:</th><td>Nov 21, 2026 12:00 ET</td></tr>
    <tr><th>Email</th><td><a href="mailto:query-3c4d@press.example">query-3c4d@press.example</a></td></tr></table>
    <p>Query: Which laptops under $500 are worth it?</p>
    <hr><p>You are receiving this because you subscribed. <a href="https://press.example/u">Unsubscribe</a></p>
    </body></html>"""


def test_html_only_with_headings(tmp_path):
    p = write(tmp_path, "html.eml", (headers('text/html; charset="utf-8"') + html_digest()).encode("utf-8"))
    queries = parse_mail(p, now=NOW)
    assert [q.source for q in queries] == ["html.eml#1", "html.eml#2"]
    q1, q2 = queries
    assert q1.summary == "Maternity clothes that last beyond pregnancy — “bump” style"
    assert (q1.journalist, q1.outlet, q1.reply_to) == ("Jane Holloway", "Des Moines Register", "query-1a2b@press.example")
    assert q1.deadline == datetime(2026, 11, 23, 22, 0, tzinfo=timezone.utc)
    assert q2.journalist == "Tom Reyes" and q2.reply_to == "query-3c4d@press.example"
    assert q2.details == "Which laptops under $500 are worth it?"


def multipart(plain: str, html: str) -> bytes:
    return (headers('multipart/alternative; boundary="BOUND"', "7bit") +
            "--BOUND\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
            quopri.encodestring(plain.encode()).decode() + "\n--BOUND\n"
            "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
            base64.encodebytes(html.encode()).decode() + "\n--BOUND--\n").encode()


def test_multipart_alternative_prefers_plain(tmp_path):
    p = write(tmp_path, "alt.eml", multipart(DIGEST, html_digest().replace("Tom Reyes", "HTML Person")))
    queries = parse_mail(p, now=NOW)
    check_digest(queries, "alt.eml")
    assert queries[1].journalist == "Tom Reyes"  # from text/plain


def test_multipart_falls_back_to_html_when_plain_is_a_stub(tmp_path):
    p = write(tmp_path, "stub.eml", multipart("View this email in your browser.", html_digest()))
    queries = parse_mail(p, now=NOW)
    assert [q.journalist for q in queries] == ["Jane Holloway", "Tom Reyes"]


def test_query_number_and_separator_styles(tmp_path):
    text = """Query #1
Title: Vegan baking swaps
Outlet: Plant Based Weekly (https://plantbased.example)
Journalist: Ana Lima
Deadline: 23/11/2026 12:00 GMT
Respond to: ana@plantbased.example
Details: Bakers who replace eggs.
Query #2
Title: URGENT: dog grooming in winter
Outlet: Yorkshire Evening Post
Deadline: Friday 5pm BST
Respond to: https://yep.example/respond/88
Details: Groomers in Leeds.
=====================
Title: old one
Deadline: 2026-11-10T17:00:00-05:00
Respond to: g@garden.example
*****
#journorequest looking for a Leeds dog groomer to talk winter paws, DMs open or email kate@paper.example by Friday 5pm GMT
"""
    p = write(tmp_path, "sos.eml", (headers("text/plain; charset=utf-8") + text).encode())
    queries = parse_mail(p, now=NOW, include_expired=True)
    assert [q.source for q in queries] == ["sos.eml#1", "sos.eml#2", "sos.eml#3", "sos.eml#4"]
    a, b, c, d = queries
    assert (a.outlet, a.outlet_url, a.journalist) == ("Plant Based Weekly", "https://plantbased.example", "Ana Lima")
    assert b.reply_to == "https://yep.example/respond/88" and b.urgent
    assert b.deadline.isoformat() == "2026-11-20T17:00:00+01:00"
    assert c.expired and not c.urgent
    assert d.reply_to == "kate@paper.example" and "Leeds dog groomer" in d.summary
    assert d.deadline == datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)
    # expired ones are dropped by default
    assert [q.source for q in parse_mail(p, now=NOW)] == ["sos.eml#1", "sos.eml#2", "sos.eml#4"]


def test_index_and_footer_are_not_queries():
    blocks = split_digest("INDEX\n1) One (Outlet)\n2) Two (Outlet)\n-----\n1) Summary: One\nEmail: a@b.example\n"
                          "Deadline: Friday\n-----\nTo unsubscribe email leave@b.example\n")
    assert len(blocks) == 3
    from discover.haro.digest import extract_fields, is_query

    assert [is_query(extract_fields(b)) for b in blocks] == [False, True, False]


def test_html_to_text_escapes_nothing_and_keeps_links():
    text = html_to_text('<p>Reply <a href="https://x.example/r/1">here</a> &lt;b&gt;</p><script>evil()</script>')
    assert text == "Reply here <https://x.example/r/1> <b>"


def test_malformed_messages_are_reported_and_the_rest_processed(tmp_path):
    write(tmp_path, "01-good.eml", (headers("text/plain; charset=utf-8") + DIGEST).encode())
    write(tmp_path, "02-empty.eml", b"")
    write(tmp_path, "03-binary.eml", bytes(range(256)) * 4)
    write(tmp_path, "04-attachment-only.eml", (headers('multipart/mixed; boundary="B"', "7bit") +
          "--B\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--B--\n").encode())
    write(tmp_path, "05-newsletter.eml", (headers("text/plain") + "Hello, no queries today.\n").encode())
    write(tmp_path, "06-bad-base64.eml", (headers("text/plain; charset=utf-8", "base64") + "!!!not base64 at all@@@\n").encode())
    batch = read_mail(tmp_path, now=NOW)
    assert [q.source for q in batch.queries] == ["01-good.eml#1", "01-good.eml#2"]
    problems = {p.source: p.message for p in batch.problems}
    assert set(problems) == {"02-empty.eml", "03-binary.eml", "04-attachment-only.eml", "05-newsletter.eml",
                             "06-bad-base64.eml"}
    assert problems["02-empty.eml"] == "empty file"
    assert "only image/png" in problems["04-attachment-only.eml"]
    assert "no journalist queries" in problems["05-newsletter.eml"]
    collected: list[MailProblem] = []
    assert len(parse_mail(tmp_path, now=NOW, problems=collected)) == 2 and len(collected) == 5


def test_nothing_readable_is_an_input_error(tmp_path):
    write(tmp_path, "x.eml", b"")
    with pytest.raises(InputError, match="no message"):
        parse_mail(tmp_path, now=NOW)
    with pytest.raises(InputError, match="not found"):
        parse_mail(tmp_path / "missing", now=NOW)


def test_mbox(tmp_path):
    one = (headers("text/plain; charset=utf-8") + DIGEST).encode()
    two = (DATA / "sos-qp.eml").read_bytes()
    box = b"From digest@press.example Wed Nov 18 06:35:00 2026\n" + one + b"\n" + \
          b"From sos@example Thu Nov 19 08:00:00 2026\n" + two + b"\n"
    p = write(tmp_path, "inbox.mbox", box)
    queries = parse_mail(p, now=NOW)
    assert [q.source for q in queries] == ["inbox.mbox:1#1", "inbox.mbox:1#2", "inbox.mbox:2#1", "inbox.mbox:2#2"]
    assert queries[2].summary == "Vegan baking swaps for holiday cookies — café owners wanted"


def test_bundled_test_files():
    queries = parse_mail(DATA, now=NOW)
    by = {q.source: q for q in queries}
    assert set(by) == {"haro-plain.eml#1", "haro-plain.eml#2", "sos-qp.eml#1", "sos-qp.eml#2"}
    assert by["haro-plain.eml#1"].requirements == "Local Iowa businesses only. Please include your website."
    assert by["haro-plain.eml#2"].outlet_url == "https://techweekly.example"
    assert by["haro-plain.eml#2"].urgent  # due 19 Nov 12:00 ET, 8 h after NOW
    assert by["haro-plain.eml#1"].to_json()["deadline"] == "2026-11-23T17:00:00-05:00"


def test_html_table_with_one_query_per_row():
    """Tables whose rows are queries: a header row naming the columns, a headerless row with the
    whole query in one cell and the deadline in the next, and (unchanged) label | value rows."""
    path = Path(__file__).parent / "data" / "haro-styles" / "pitchdesk-html-columns.eml"
    queries = parse_mail(path, now=NOW)
    got = [(q.source, q.summary, q.outlet, q.deadline.isoformat() if q.deadline else None, q.reply_to)
           for q in queries]
    assert got == [
        ("pitchdesk-html-columns.eml#1", "Florists on winter wedding flowers", "Bloom & Vine Magazine",
         "2026-11-25T17:00:00+00:00", "flowers@bloomvine.example"),
        ("pitchdesk-html-columns.eml#2", "Bakers: gluten-free Christmas cakes", "The Kitchen Table",
         "2026-11-27T23:59:00+00:00", "cakes@kitchentable.example"),
        ("pitchdesk-html-columns.eml#3", "Cyclists on winter commuting", "Road & Trail",
         "2026-12-01T23:59:00+00:00", "priya@roadtrail.example"),
        ("pitchdesk-html-columns.eml#4", "Dog walkers on rainy days", "Pets Monthly",
         "2026-11-30T23:59:00+00:00", "walks@petsmonthly.example"),
    ]
    assert queries[2].journalist == "Priya Shah"
    assert queries[2].details == "Everyday cyclists: how do you keep riding to work through the winter?"
    assert queries[3].details.startswith("Professional dog walkers")


# ── field layouts: separate date/time/zone lines, capitals, a zone stated once, dividers ────────
# Hand-written shapes of the layouts issue 12 names; real digests are in test_haro_real.py.

SPLIT_DEADLINE = """\
1) SUMMARY: Business leaders on AI at work

CATEGORY: Business and Finance

EMAIL: reporter@outlet.example

MEDIA OUTLET: Boss Weekly

MEDIA WEBSITE: https://bossweekly.example/

DEADLINE DATE: 2026-09-06

DEADLINE TIME: 11:30 pm

TIME ZONE: Eastern Standard Time

QUERY: How is AI helping your company? Founders and CEOs only.

_____

2) SUMMARY: Sleep doctors wanted

QUERY: Looking for a sleep medicine specialist.

TIME ZONE: Pacific Standard Time

DEADLINE TIME: 9:00 am

EMAIL: sleep@outlet.example

DEADLINE DATE: 2026-09-04

MEDIA OUTLET: Sleep Daily

MEDIA WEBSITE: www.sleepdaily.example
"""


def _body_queries(text: str, now: datetime):
    from discover.haro.digest import queries_from_body

    return queries_from_body(text, name="d", reference=datetime(2026, 9, 2, 10, 33, tzinfo=timezone.utc), now=now,
                             default_tz=timezone.utc)


def test_deadline_on_separate_date_time_and_zone_lines_in_any_order():
    q1, q2 = _body_queries(SPLIT_DEADLINE, datetime(2026, 9, 2, 12, tzinfo=timezone.utc))
    # "Eastern Standard Time" names New York's zone: in September that is -04:00, not 23:59 UTC.
    assert q1.deadline.isoformat() == "2026-09-06T23:30:00-04:00"
    assert (q1.deadline_time_known, q1.deadline_zone) == (True, "America/New_York")
    assert q1.outlet_url == "https://bossweekly.example/" and q1.outlet == "Boss Weekly"
    assert q1.details == "How is AI helping your company? Founders and CEOs only."
    assert "Founders and CEOs only." in q1.requirements
    assert q2.deadline.isoformat() == "2026-09-04T09:00:00-07:00"
    assert q2.outlet_url == "https://www.sleepdaily.example" and q2.reply_to == "sleep@outlet.example"
    # Still open at 03:00 UTC on 7 September: the real deadline is 03:30 UTC.
    late = _body_queries(SPLIT_DEADLINE, datetime(2026, 9, 7, 3, 0, tzinfo=timezone.utc))[0]
    assert not late.expired and late.urgent


def test_a_date_without_a_time_says_so():
    text = "Summary: Bakers wanted\nDeadline: 6 September 2026\nEmail: a@b.example\nQuery: Vegan bakers."
    (q,) = _body_queries(text, datetime(2026, 9, 2, tzinfo=timezone.utc))
    assert q.deadline_time_known is False and q.deadline_zone == ""
    assert q.deadline.date().isoformat() == "2026-09-06"
    assert q.to_json()["deadline_time_known"] is False


def test_a_zone_given_once_for_the_whole_digest():
    text = ("All deadlines below are Eastern Time.\n\n-----\n\n"
            "Summary: Bakers wanted\nDeadline: 6 September 5pm\nEmail: a@b.example\nQuery: Vegan bakers.\n\n-----\n\n"
            "Summary: Groomers wanted\nDeadline: 7 September 10:00 CET\nEmail: g@b.example\nQuery: Dog groomers.\n")
    q1, q2 = _body_queries(text, datetime(2026, 9, 2, tzinfo=timezone.utc))
    assert q1.deadline.isoformat() == "2026-09-06T17:00:00-04:00" and q1.deadline_zone == "America/New_York"
    assert q2.deadline.isoformat() == "2026-09-07T10:00:00+01:00"       # its own zone wins
    no_statement = _body_queries(text.split("-----", 1)[1], datetime(2026, 9, 2, tzinfo=timezone.utc))[0]
    assert no_statement.deadline.isoformat() == "2026-09-06T17:00:00+00:00" and no_statement.deadline_zone == ""


def test_a_divider_inside_a_query_does_not_cut_it():
    text = ("6) SUMMARY: What can be achieved in one year\nEMAIL: r5@outlet.example\nMEDIA OUTLET: Comms Weekly\n"
            "DEADLINE DATE: 2026-09-02\nDEADLINE TIME: 6:00 pm\nTIME ZONE: Eastern Standard Time\n"
            "QUERY: Please read the brief before the questions.\n\n---------------------------------------\n\n"
            "1. Briefly introduce yourself.\n2. Please, no use of AI.\n\n------------------------\n\nINTERVIEW\n\n"
            "1. How much truth is there to that belief?\n\nBack to top (#top)\n\n_____\n\nMore requests\n\n_____\n\n"
            "7) SUMMARY: Performance management\nEMAIL: r6@outlet.example\nMEDIA OUTLET: Workspan\n"
            "DEADLINE DATE: 2026-09-04\nQUERY: HR leaders wanted.\n\n_____\n\n"
            "Terms of Service | Privacy Policy\nunsubscribe from this list\n")
    q6, q7 = _body_queries(text, datetime(2026, 9, 1, tzinfo=timezone.utc))
    assert q6.details.startswith("Please read the brief") and q6.details.endswith("How much truth is there to that belief?")
    assert "2. Please, no use of AI." in q6.details and "INTERVIEW" in q6.details and "Back to top" not in q6.details
    assert "More requests" not in q6.details          # a section heading between queries is not body
    assert "Please, no use of AI." in q6.requirements
    assert q7.summary == "Performance management" and q7.details == "HR leaders wanted."
    assert "unsubscribe" not in q7.details


def test_a_heading_inside_an_html_query_does_not_cut_it():
    html = ("<html><body><h2>Vegan baking swaps</h2><p>Outlet: Plant Weekly</p><p>Deadline: Nov 23, 2026 5pm ET</p>"
            "<p>Email: a@plant.example</p><p>Query: Bakers who swap eggs.</p><h3>Questions</h3>"
            "<p>1. Which egg swap works best?</p><hr><h2>Dog grooming in winter</h2><p>Outlet: YEP</p>"
            "<p>Deadline: Nov 24, 2026 5pm GMT</p><p>Email: d@yep.example</p><p>Query: Paws in the cold.</p>"
            "</body></html>")
    q1, q2 = _body_queries(html_to_text(html), datetime(2026, 11, 20, tzinfo=timezone.utc))
    assert q1.summary == "Vegan baking swaps" and "Which egg swap works best?" in q1.details
    assert q2.summary == "Dog grooming in winter" and q2.details == "Paws in the cold."


def test_every_query_expired_is_said_not_printed_as_an_empty_list(tmp_path):
    import json
    import subprocess
    import sys

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "discover", "haro", "--mail", str(DATA / "sos-qp.eml"),
                               "--niche", "vegan baking", "--now", "2027-03-01T00:00:00Z", *extra],
                              capture_output=True, text=True, timeout=120)

    table = run()
    assert table.returncode == 0, table.stderr
    assert "3 journalist queries found, all are past the deadline; --include-expired shows them" in table.stderr
    assert table.stdout.strip() == ""
    as_json = run("--json")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout) == []      # same shape as always; the counts are on stderr
    assert "3 journalist queries found" in as_json.stderr
    shown = run("--json", "--include-expired", "--all")
    assert shown.returncode == 0 and len(json.loads(shown.stdout)) == 3
