"""Deadline formats and time zones → absolute aware datetimes; expiry and urgency."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from discover.haro.deadline import is_expired, is_urgent, parse_deadline, parse_deadline_info, zone_for

# Friday 20 November 2026, 09:00 in Des Moines (CST, -06:00)
REF = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize("text, expected", [
    ("Deadline: 5:00 PM EST - 23 November", datetime(2026, 11, 23, 17, 0, tzinfo=tz(-5))),
    ("Deadline: Nov 23, 2026 17:00 ET", datetime(2026, 11, 23, 17, 0, tzinfo=tz(-5))),
    ("23/11/2026 12:00 GMT", datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)),
    ("Friday 5pm BST", datetime(2026, 11, 20, 17, 0, tzinfo=tz(1))),
    ("2026-11-23T17:00:00-05:00", datetime(2026, 11, 23, 17, 0, tzinfo=tz(-5))),
    ("Deadline 9am AEDT 24 Nov", datetime(2026, 11, 24, 9, 0, tzinfo=tz(11))),
    ("Dec 1st, 9:30 a.m. PT", datetime(2026, 12, 1, 9, 30, tzinfo=tz(-8))),
    ("Monday, November 23 at 12pm CT", datetime(2026, 11, 23, 12, 0, tzinfo=tz(-6))),
    ("24 Nov 2026 18:00 CET", datetime(2026, 11, 24, 18, 0, tzinfo=tz(1))),
    ("25.11.2026 10:00 CEST", datetime(2026, 11, 25, 10, 0, tzinfo=tz(2))),
    ("Nov 24 3pm IST", datetime(2026, 11, 24, 15, 0, tzinfo=tz(5.5))),
    ("11/23 5pm PST", datetime(2026, 11, 23, 17, 0, tzinfo=tz(-8))),        # US: month first
    ("01/12/2026 noon UTC+2", datetime(2026, 12, 1, 12, 0, tzinfo=tz(2))),  # elsewhere: day first
])
def test_formats_and_zones(text, expected):
    got = parse_deadline(text, REF)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


def test_generic_abbreviation_follows_the_zone_rules_on_that_date():
    # ET in July is daylight time (-04:00); EST stays -05:00 as written.
    assert parse_deadline("July 10, 2027 5pm ET", REF).utcoffset() == timedelta(hours=-4)
    assert parse_deadline("July 10, 2027 5pm EST", REF).utcoffset() == timedelta(hours=-5)
    assert parse_deadline("10 July 2027 5pm UK time", REF).utcoffset() == timedelta(hours=1)


def test_year_is_inferred_from_the_reference():
    assert parse_deadline("23 November", REF).year == 2026           # three days later: this year
    jan = parse_deadline("3 January 5pm GMT", REF)
    assert (jan.year, jan.month, jan.day) == (2027, 1, 3)           # after new year: next year
    assert parse_deadline("23 November", REF).time().hour == 23     # no time: end of that day


def test_relative_days():
    # REF is a Friday
    eod = parse_deadline("EOD Tuesday", REF)
    assert (eod.date().isoformat(), eod.hour) == ("2026-11-24", 17)
    assert eod.tzinfo == REF.tzinfo                                  # no zone given: the digest's zone
    assert parse_deadline("ASAP", REF) == REF + timedelta(hours=24)
    assert parse_deadline("tomorrow noon", REF) == datetime(2026, 11, 21, 12, 0, tzinfo=REF.tzinfo)
    assert parse_deadline("within 48 hours", REF) == REF + timedelta(hours=48)
    assert parse_deadline("EOD", REF) == datetime(2026, 11, 20, 17, 0, tzinfo=REF.tzinfo)
    # "Friday 8am" said on Friday at 9am is next Friday, not an hour ago
    assert parse_deadline("Friday 8am", REF).date().isoformat() == "2026-11-27"


def test_no_deadline_is_none():
    assert parse_deadline("whenever you like", REF) is None
    assert parse_deadline("", REF) is None
    with pytest.raises(ValueError):
        parse_deadline("Friday", datetime(2026, 11, 20))


def test_zone_for():
    assert zone_for("edt").utcoffset(None) == timedelta(hours=-4)
    assert zone_for("Pacific") is zone_for("PT")
    assert zone_for("XYZ") is None


def test_expired_and_urgent():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    assert is_expired(now - timedelta(minutes=1), now) and not is_urgent(now - timedelta(minutes=1), now)
    assert is_urgent(now + timedelta(hours=23), now) and not is_expired(now + timedelta(hours=23), now)
    assert not is_urgent(now + timedelta(hours=25), now)
    assert not is_expired(None, now) and not is_urgent(None, now)


@pytest.mark.parametrize("text, zone, offset", [
    ("2026-09-06 11:30 pm Eastern Standard Time", "America/New_York", -4),   # the zone, DST included
    ("4 Sep 2026 9:00 am Pacific Standard Time", "America/Los_Angeles", -7),
    ("12 Sep 2026 10:00 Central European Time", "Europe/Berlin", 2),         # not US "Central"
    ("3 Oct 2026 5pm AUS Eastern Standard Time", "Australia/Sydney", 10),   # not US "Eastern"
    ("3 Oct 2026 5pm GMT Standard Time", "Europe/London", 1),
    ("6 Sep 2026 11:30 America/Chicago", "America/Chicago", -5),
])
def test_zone_names_written_out(text, zone, offset):
    info = parse_deadline_info(text, REF)
    assert (info.zone, info.zone_known, info.time_known) == (zone, True, True)
    assert info.at.utcoffset() == timedelta(hours=offset)


def test_what_was_written_is_recorded():
    date_only = parse_deadline_info("23 November", REF)
    assert (date_only.time_known, date_only.zone_known) == (False, False)
    assert parse_deadline_info("EOD Tuesday", REF).time_known is False         # 17:00 is a convention
    assert parse_deadline_info("ASAP", REF).time_known is False
    assert parse_deadline_info("within 48 hours", REF).time_known is True
    stated = parse_deadline_info("23 November 5pm", REF, default_tz=ZoneInfo("Europe/London"),
                                 default_zone_known=True)
    assert (stated.time_known, stated.zone, stated.zone_known) == (True, "Europe/London", True)
    # "2026-09-06 11:30 pm" is 23:30, not ISO 11:30
    assert parse_deadline("2026-09-06 11:30 pm GMT", REF).hour == 23
