"""Deadlines as journalists write them → absolute, time-zone-aware datetimes.

    "Deadline: 5:00 PM EST - 23 November"    "Nov 23, 2026 17:00 ET"     "23/11/2026 12:00 GMT"
    "Friday 5pm BST"    "ASAP"    "EOD Tuesday"    "2026-11-23T17:00:00-05:00"    "9am AEDT 24 Nov"

Everything is resolved against a reference moment (the digest's Date header, or now): a date
without a year is the next such date on or after the reference (allowing a short look-back
for a deadline restated after the fact), a weekday is the next such day, "ASAP" is 24 hours
after the reference. Zone abbreviations that name standard or daylight time (EST, BST,
AEDT) are fixed offsets, as written; generic ones (ET, PT, UK time) follow the zone's rules
on that date. Zone names written out ("Eastern Standard Time", "AUS Eastern Standard Time",
"Central European Time") are the names zone pickers use for a region's zone, so they follow
that region's rules too: a digest's "TIME ZONE: Eastern Standard Time" in September is New York
time (-04:00).

`parse_deadline_info` also says whether a clock time was written (`time_known`) and whether the
zone was stated or assumed, so a date alone is never shown as if it had a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["parse_deadline", "parse_deadline_info", "Deadline", "find_zone", "zone_for", "zone_name",
           "URGENT_WITHIN", "is_expired", "is_urgent"]

#: A query whose deadline is this close is flagged urgent.
URGENT_WITHIN = timedelta(hours=24)

#: Without a year, a date this far before the reference is taken to be next year's.
_LOOKBACK = timedelta(days=60)


def _fixed(hours: float, name: str) -> timezone:
    return timezone(timedelta(hours=hours), name)


# Abbreviation → zone. Fixed offsets where the abbreviation itself says standard/daylight;
# a region's rules where it does not. IST is read as India (+05:30): the journalist-query
# services that write "IST" are Indian far more often than Irish.
_ZONES: dict[str, tzinfo] = {
    "EST": _fixed(-5, "EST"), "EDT": _fixed(-4, "EDT"), "ET": ZoneInfo("America/New_York"),
    "CST": _fixed(-6, "CST"), "CDT": _fixed(-5, "CDT"), "CT": ZoneInfo("America/Chicago"),
    "MST": _fixed(-7, "MST"), "MDT": _fixed(-6, "MDT"), "MT": ZoneInfo("America/Denver"),
    "PST": _fixed(-8, "PST"), "PDT": _fixed(-7, "PDT"), "PT": ZoneInfo("America/Los_Angeles"),
    "AKST": _fixed(-9, "AKST"), "HST": _fixed(-10, "HST"),
    "GMT": timezone.utc, "UTC": timezone.utc, "Z": timezone.utc, "UT": timezone.utc,
    "BST": _fixed(1, "BST"), "UK": ZoneInfo("Europe/London"), "WET": _fixed(0, "WET"),
    "CET": _fixed(1, "CET"), "CEST": _fixed(2, "CEST"), "EET": _fixed(2, "EET"), "EEST": _fixed(3, "EEST"),
    "IST": _fixed(5.5, "IST"), "SGT": _fixed(8, "SGT"), "HKT": _fixed(8, "HKT"), "JST": _fixed(9, "JST"),
    "AWST": _fixed(8, "AWST"), "ACST": _fixed(9.5, "ACST"), "ACDT": _fixed(10.5, "ACDT"),
    "AEST": _fixed(10, "AEST"), "AEDT": _fixed(11, "AEDT"), "AET": ZoneInfo("Australia/Sydney"),
    "NZST": _fixed(12, "NZST"), "NZDT": _fixed(13, "NZDT"), "NZT": ZoneInfo("Pacific/Auckland"),
}
_ZONE_WORDS = {
    "eastern": "ET", "central": "CT", "mountain": "MT", "pacific": "PT", "uk time": "UK",
    "london time": "UK", "new york time": "ET", "sydney time": "AET",
}

# Zone names written out, lower case → IANA zone. These are the display names and Windows ids
# that zone pickers offer (CLDR windowsZones), where "X Standard Time" names the whole zone,
# daylight saving included.
_LONG_NAMES: dict[str, str] = {
    **dict.fromkeys(("eastern standard time", "eastern daylight time", "eastern time", "us eastern time",
                     "eastern time (us & canada)", "new york time"), "America/New_York"),
    **dict.fromkeys(("central standard time", "central daylight time", "central time",
                     "central time (us & canada)", "chicago time"), "America/Chicago"),
    **dict.fromkeys(("mountain standard time", "mountain daylight time", "mountain time",
                     "mountain time (us & canada)"), "America/Denver"),
    **dict.fromkeys(("us mountain standard time", "arizona time"), "America/Phoenix"),
    **dict.fromkeys(("pacific standard time", "pacific daylight time", "pacific time",
                     "pacific time (us & canada)", "los angeles time"), "America/Los_Angeles"),
    **dict.fromkeys(("alaskan standard time", "alaska standard time", "alaska time"), "America/Anchorage"),
    **dict.fromkeys(("hawaiian standard time", "hawaii standard time", "hawaii time"), "Pacific/Honolulu"),
    **dict.fromkeys(("atlantic standard time", "atlantic time"), "America/Halifax"),
    **dict.fromkeys(("newfoundland standard time", "newfoundland time"), "America/St_Johns"),
    **dict.fromkeys(("gmt standard time", "uk time", "london time", "british time", "irish time"), "Europe/London"),
    **dict.fromkeys(("greenwich mean time", "coordinated universal time", "universal time"), "UTC"),
    **dict.fromkeys(("central european time", "central european standard time", "central european summer time",
                     "central europe standard time", "w. europe standard time", "romance standard time",
                     "western european time"), "Europe/Berlin"),
    **dict.fromkeys(("eastern european time", "e. europe standard time", "gtb standard time",
                     "fle standard time"), "Europe/Athens"),
    **dict.fromkeys(("india standard time", "indian standard time"), "Asia/Kolkata"),
    **dict.fromkeys(("singapore standard time", "singapore time"), "Asia/Singapore"),
    **dict.fromkeys(("china standard time", "hong kong time"), "Asia/Shanghai"),
    **dict.fromkeys(("tokyo standard time", "japan standard time"), "Asia/Tokyo"),
    **dict.fromkeys(("aus eastern standard time", "australian eastern standard time", "australian eastern daylight time",
                     "australian eastern time", "sydney time", "melbourne time"), "Australia/Sydney"),
    **dict.fromkeys(("e. australia standard time", "brisbane time"), "Australia/Brisbane"),
    **dict.fromkeys(("aus central standard time", "cen. australia standard time", "australian central standard time",
                     "australian central time", "adelaide time"), "Australia/Adelaide"),
    **dict.fromkeys(("w. australia standard time", "australian western standard time", "australian western time",
                     "perth time"), "Australia/Perth"),
    **dict.fromkeys(("new zealand standard time", "new zealand daylight time", "new zealand time"), "Pacific/Auckland"),
    **dict.fromkeys(("south africa standard time", "south africa time"), "Africa/Johannesburg"),
}
_LONG_RE = re.compile(r"(?<![A-Za-z])(?:" + "|".join(
    re.escape(n).replace(r"\ ", r"\s+") for n in sorted(_LONG_NAMES, key=len, reverse=True)) + r")(?![A-Za-z])", re.I)
_IANA_RE = re.compile(r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Z][A-Za-z_]+"
                      r"(?:/[A-Z][A-Za-z_]+)?\b")

_MONTHS = {m: i for i, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for m in names}
_WEEKDAYS = {d: i for i, names in enumerate((
    ("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "weds", "wednesday"),
    ("thu", "thur", "thurs", "thursday"), ("fri", "friday"), ("sat", "saturday"),
    ("sun", "sunday"))) for d in names}

_MONTH_RE = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
            r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY_RE = r"\b(?P<wd>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|" \
              r"fri(?:day)?|sat(?:urday)?|sun(?:day)?)\b\.?"

# A space-separated "2026-09-06 11:30 pm" is a date and a 12-hour time, not ISO 11:30.
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)(?!\s*[ap]\.?m\b)\s*(Z|[+-]\d{2}:?\d{2})?",
                  re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MON = re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+(?P<year>\d{4}))?", re.I)
_MON_DAY = re.compile(r"\b" + _MONTH_RE + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?", re.I)
_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})(?:[/.](?P<year>\d{4}|\d{2}))?\b")
_WEEKDAY = re.compile(_WEEKDAY_RE, re.I)
_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)(?![a-z])"
    r"|\b(?P<h24>[01]?\d|2[0-3])[:h](?P<m24>[0-5]\d)\b"
    r"|\b(?P<word>noon|midday|midnight)\b", re.I)
_ZONE_RE = re.compile(
    r"\b(?:UTC|GMT) ?(?P<off>[+-]\d{1,2}(?::?\d{2})?)(?!\d)"
    r"|(?<![A-Za-z])(?P<abbr>" + "|".join(sorted((k for k in _ZONES if len(k) > 1), key=len, reverse=True)) +
    r")(?![A-Za-z])"
    r"|(?P<word>" + "|".join(_ZONE_WORDS) + r")(?:\s+time)?\b", re.I)
_ASAP = re.compile(r"\b(asap|a\.s\.a\.p|as soon as possible|immediately|urgent(?:ly)?|rolling)\b", re.I)
_EOD = re.compile(r"\b(eod|e\.o\.d|end of (?:the )?(?:business )?day|cob|close of business)\b", re.I)
_EOW = re.compile(r"\b(eow|end of (?:the )?week)\b", re.I)
_RELDAY = re.compile(r"\b(today|tonight|tomorrow|tmrw|tmw)\b", re.I)
_WITHIN = re.compile(r"\b(?:within|in)\s+(?P<n>\d{1,3})\s*(?P<unit>hours?|hrs?|h|days?)\b", re.I)


def zone_for(abbr: str) -> tzinfo | None:
    """The tzinfo an abbreviation like "EST", "ET", "BST", "UK time", a written-out name such as
    "Eastern Standard Time" or an IANA name stands for (None if unknown)."""
    key = abbr.strip().upper()
    if key in _ZONES:
        return _ZONES[key]
    lower = " ".join(abbr.lower().split())
    if lower in _LONG_NAMES:
        return _zoneinfo(_LONG_NAMES[lower])
    word = _ZONE_WORDS.get(lower.removesuffix(" time").strip()) or _ZONE_WORDS.get(lower)
    if word:
        return _ZONES.get(word)
    if _IANA_RE.fullmatch(abbr.strip()):
        return _zoneinfo(abbr.strip())
    return None


def zone_name(tz: tzinfo, at: datetime | None = None) -> str:
    """A stable name for a zone: the IANA key ("America/New_York"), else the abbreviation it was
    written as ("EST"), else its offset ("UTC+02:00")."""
    key = getattr(tz, "key", None)
    if key:
        return str(key)
    if tz is timezone.utc:
        return "UTC"
    name = tz.tzname(at)
    return name or "UTC"


def _zoneinfo(key: str) -> tzinfo | None:
    try:
        return timezone.utc if key == "UTC" else ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset_zone(m: re.Match) -> tzinfo:
    raw = m.group("off")
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    hours = int(digits[:-2] or 0) if len(digits) > 2 else int(digits)
    minutes = int(digits[-2:]) if len(digits) > 2 else 0
    if hours > 14 or minutes > 59:  # "GMT-26" is a date range, not an offset
        return _ZONES[m.group(0)[:3].upper()]
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def find_zone(text: str) -> tuple[tzinfo, str, tuple[int, int]] | None:
    """The first zone `text` names: (tzinfo, the text that named it, its span), or None.

    Written-out names, IANA names, "UTC+2" offsets and abbreviations are all looked for; the
    earliest mention wins, and of two at the same place the longer ("Central European Time",
    not "Central")."""
    found: list[tuple[int, int, tzinfo, str]] = []
    for m in _LONG_RE.finditer(text):
        tz = _zoneinfo(_LONG_NAMES[" ".join(m.group(0).lower().split())])
        if tz is not None:
            found.append((m.start(), -len(m.group(0)), tz, m.group(0)))
            break
    for m in _IANA_RE.finditer(text):
        tz = _zoneinfo(m.group(0))
        if tz is not None:
            found.append((m.start(), -len(m.group(0)), tz, m.group(0)))
            break
    for m in _ZONE_RE.finditer(text):
        if m.group("abbr"):
            abbr = m.group("abbr")
            # Lower-case "ct"/"mt"/"pt"/"et"/"uk" are too often ordinary words or units.
            if len(abbr) <= 2 and not abbr.isupper():
                continue
            tz = _ZONES[abbr.upper()]
        elif m.group("off"):
            tz = _offset_zone(m)
        else:
            tz = _ZONES[_ZONE_WORDS[m.group("word").lower()]]
        found.append((m.start(), -len(m.group(0)), tz, m.group(0)))
        break
    if not found:
        return None
    start, neg_len, tz, said = min(found, key=lambda f: (f[0], f[1]))
    return tz, said, (start, start - neg_len)


def _find_zone(text: str) -> tzinfo | None:
    hit = find_zone(text)
    return hit[0] if hit else None


def _find_time(text: str) -> tuple[time | None, tuple[int, int] | None]:
    for m in _TIME.finditer(text):
        if m.group("word"):
            word = m.group("word").lower()
            return (time(0, 0) if word == "midnight" else time(12, 0)), m.span()
        if m.group("h") is not None:
            h, mnt = int(m.group("h")), int(m.group("m") or 0)
            if not 1 <= h <= 12 or mnt > 59:
                continue
            pm = m.group("ampm").lower().startswith("p")
            h = (h % 12) + (12 if pm else 0)
            return time(h, mnt), m.span()
        h, mnt = int(m.group("h24")), int(m.group("m24"))
        return time(h, mnt), m.span()
    return None, None


def _infer_year(month: int, day: int, ref: date) -> date | None:
    for year in (ref.year, ref.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if d >= ref - _LOOKBACK:
            return d
    return None


def _find_date(text: str, ref: date, tz: tzinfo | None, blank: tuple[int, int] | None) -> date | None:
    if blank:  # keep "5.30pm" from reading as a numeric date
        text = text[:blank[0]] + " " * (blank[1] - blank[0]) + text[blank[1]:]
    m = _ISO_DATE.search(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    for rx in (_DAY_MON, _MON_DAY):
        m = rx.search(text)
        if m:
            month, day = _MONTHS[m.group("mon").lower().rstrip(".")], int(m.group("day"))
            if m.group("year"):
                try:
                    return date(int(m.group("year")), month, day)
                except ValueError:
                    return None
            return _infer_year(month, day, ref)
    m = _NUMERIC.search(text)
    if m:
        a, b = int(m.group("a")), int(m.group("b"))
        us = tz is not None and tz in {_ZONES[k] for k in ("EST", "EDT", "ET", "CST", "CDT", "CT", "MST",
                                                               "MDT", "MT", "PST", "PDT", "PT")}
        if a > 12:
            day, month = a, b
        elif b > 12:
            month, day = a, b
        else:  # ambiguous: US writers put the month first, everyone else the day
            month, day = (a, b) if us else (b, a)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        if m.group("year"):
            year = int(m.group("year"))
            year += 2000 if year < 100 else 0
            try:
                return date(year, month, day)
            except ValueError:
                return None
        return _infer_year(month, day, ref)
    return None


def _next_weekday(ref: date, weekday: int) -> date:
    return ref + timedelta(days=(weekday - ref.weekday()) % 7)


@dataclass(frozen=True)
class Deadline:
    """A deadline resolved to a moment, with how much of it was actually written.

    `time_known` is False when only a day was given (the moment is then the end of that day,
    23:59) or when the time is a convention ("EOD" = 17:00, "ASAP" = 24 h); `zone_known` is
    False when no zone was written for the query or for its digest and one was assumed.
    """

    at: datetime
    time_known: bool
    zone: str            # zone_name() of the zone it is read in
    zone_known: bool


def parse_deadline(text: str, reference: datetime, *, default_tz: tzinfo | None = None) -> datetime | None:
    """The deadline `text` names, as an aware datetime, or None when it names none.

    `reference` (aware) anchors relative dates: the digest's Date header, or now. A time
    with no zone is read in `default_tz` (else the reference's zone); a date with no time
    is the end of that day (23:59), "EOD" is 17:00.
    """
    info = parse_deadline_info(text, reference, default_tz=default_tz)
    return info.at if info else None


def parse_deadline_info(text: str, reference: datetime, *, default_tz: tzinfo | None = None,
                        default_zone_known: bool = False) -> Deadline | None:
    """`parse_deadline` with what was written: whether a clock time and a zone were given.

    `default_zone_known` says whether `default_tz` was stated (a digest's "all times ET") or is
    a guess (the Date header's zone)."""
    if reference.tzinfo is None:
        raise ValueError("reference must be time-zone aware")
    text = " ".join(text.split())
    if not text:
        return None

    def result(at: datetime, time_known: bool, zone: tzinfo, zone_known: bool) -> Deadline:
        return Deadline(at, time_known, zone_name(zone, at), zone_known)

    m = _ISO.search(text)
    if m:
        raw = f"{m[1]}T{m[2]}" + (("+00:00" if m[3].upper() == "Z" else m[3]) if m[3] else "")
        dt = datetime.fromisoformat(raw)
        if dt.tzinfo is not None:
            return result(dt, True, dt.tzinfo, True)
        written = _find_zone(text[m.end():])
        zone = written or default_tz or reference.tzinfo
        return result(dt.replace(tzinfo=zone), True, zone, bool(written) or default_zone_known)

    tz = _find_zone(text)
    zone = tz or default_tz or reference.tzinfo
    zone_known = tz is not None or default_zone_known
    ref_local = reference.astimezone(zone)
    ref_day = ref_local.date()
    at, span = _find_time(text)
    time_known = at is not None
    day = _find_date(text, ref_day, tz, span)

    if day is None:
        wd = _WEEKDAY.search(text)
        if wd:
            day = _next_weekday(ref_day, _WEEKDAYS[wd.group("wd").lower().rstrip(".")])
            default_at = time(17, 0) if _EOD.search(text) else time(23, 59)
            candidate = datetime.combine(day, at or default_at, zone)
            if candidate < reference:  # "Friday" said on a Friday evening means next Friday
                day += timedelta(days=7)
        elif (rel := _RELDAY.search(text)):
            word = rel.group(1).lower()
            day = ref_day + timedelta(days=0 if word in ("today", "tonight") else 1)
            if word == "tonight" and at is None:
                at = time(21, 0)
        elif (within := _WITHIN.search(text)):
            n = int(within.group("n"))
            delta = timedelta(days=n) if within.group("unit").lower().startswith("d") else timedelta(hours=n)
            # "within 48 hours" is exact from the digest's own time stamp.
            return result(reference + delta, True, reference.tzinfo, True)
        elif _EOD.search(text):
            day = ref_day
            at = at or time(17, 0)
        elif _EOW.search(text):
            day = _next_weekday(ref_day, 4)
            at = at or time(17, 0)
        elif _ASAP.search(text):
            return result(reference + URGENT_WITHIN, False, reference.tzinfo, zone_known)
        elif at is not None and tz is not None:
            # "5pm ET" alone: the next such time.
            candidate = datetime.combine(ref_day, at, zone)
            return result(candidate if candidate >= reference else candidate + timedelta(days=1), True, zone, True)
        else:
            return None
    if at is None:
        at = time(17, 0) if _EOD.search(text) else time(23, 59)
    return result(datetime.combine(day, at, zone), time_known, zone, zone_known)


def is_expired(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and deadline < now


def is_urgent(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and now <= deadline <= now + URGENT_WITHIN
