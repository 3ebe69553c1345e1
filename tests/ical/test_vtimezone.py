"""The VTIMEZONE of Europe/Warsaw means the same to ical.js as to zoneinfo, and the tz
database still agrees with the rule it states.

ical.js computes instants from the VTIMEZONE in the file itself, so these tests
check our VTIMEZONE, not a copy of the tz database inside the client.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from registration.ical import feeds
from tests.ical.reading import read, utc

WARSAW = ZoneInfo("Europe/Warsaw")
#: Years read through ical.js around every change of clocks (the slow check).
YEARS = range(2020, 2032)
#: Years in which events may take place: the tz database must follow the rule in each.
EVENT_YEARS = range(2000, 2101)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta | None:
    return instant.astimezone(zone).utcoffset()


def _changes(zone: ZoneInfo, year: int) -> list[datetime]:
    """The instants at which the zone's offset changes in ``year`` (on the hour)."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        following = day + timedelta(days=1)
        if _offset(zone, day) != _offset(zone, following):
            found += [
                day + timedelta(hours=hour)
                for hour in range(1, 25)
                if _offset(zone, day + timedelta(hours=hour - 1))
                != _offset(zone, day + timedelta(hours=hour))
            ]
        day = following
    return found


def _instants(zone: ZoneInfo) -> list[datetime]:
    """Instants every 15 minutes for two hours around each change of clocks, mid-month noons."""
    instants = []
    for year in YEARS:
        for change in _changes(zone, year):
            instants += [change + timedelta(minutes=15 * step) for step in range(-8, 9)]
        instants += [datetime(year, month, 15, 12, tzinfo=UTC) for month in range(1, 13)]
    return instants


def _ambiguous(local: datetime) -> bool:
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _calendar() -> tuple[bytes, dict[str, str]]:
    """Events at Warsaw times, with our VTIMEZONE; and the instants meant."""
    zone = WARSAW
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//test//vtimezone//EN")
    calendar.add_component(feeds.vtimezone())
    expected = {}
    for number, instant in enumerate(_instants(zone)):
        local = instant.astimezone(zone)
        if _ambiguous(local):
            continue  # written in UTC by the feeds (see test_wall_clock_...)
        event = VEvent()
        event.add("UID", f"{number}@test")
        event.add("DTSTAMP", datetime(2026, 1, 1, tzinfo=UTC))
        event.add("DTSTART", local)
        event.add("DTEND", local + timedelta(minutes=10))
        calendar.add_component(event)
        expected[f"{number}@test"] = utc(instant)
    return calendar.to_ical(sorted=False), expected


def test_icaljs_reads_every_time_around_every_change_as_zoneinfo_does():
    """Each local time with a TZID is the same instant for ical.js as for the tz database."""
    raw, expected = _calendar()

    (feed,) = read(raw)

    assert feed.calendar["timezones"] == ["Europe/Warsaw"]
    assert set(feed.zones.values()) == {"Europe/Warsaw"}  # resolved from our VTIMEZONE
    seen = {uid: event.start for uid, event in feed.events.items()}
    wrong = {uid: (seen[uid], instant) for uid, instant in expected.items() if seen[uid] != instant}
    assert not wrong, f"{len(wrong)} times read wrong, e.g. {list(wrong.values())[:3]}"


def _last_sunday(year: int, month: int) -> date:
    day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_the_tz_database_still_follows_the_rule_the_vtimezone_states():
    """Were Poland to stop changing clocks, a new tz database would say so, and this test
    would fail before any calendar showed an event an hour off."""
    for year in EVENT_YEARS:
        spring = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC) + timedelta(
            hours=1
        )
        autumn = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC) + timedelta(
            hours=1
        )
        assert _offset(WARSAW, spring - timedelta(seconds=1)) == feeds.CET, year
        assert _offset(WARSAW, spring) == feeds.CEST, year
        assert _offset(WARSAW, autumn - timedelta(seconds=1)) == feeds.CEST, year
        assert _offset(WARSAW, autumn) == feeds.CET, year
        assert _changes(WARSAW, year) == [spring, autumn], year


def test_warsaw_is_one_yearly_rule_each_way():
    """The form every client reads: last Sunday of March 02:00, last Sunday of October 03:00."""
    text = feeds.vtimezone().to_ical(sorted=False).decode()

    assert "TZID:Europe/Warsaw" in text
    assert text.count("BEGIN:DAYLIGHT") == text.count("BEGIN:STANDARD") == 1
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text
    assert "DTSTART:19960331T020000" in text  # in CET, the time before the change
    assert "DTSTART:19961027T030000" in text  # in CEST
    assert "RDATE" not in text  # ical.js reads only the first date of an RDATE


def test_wall_clock_is_warsaw_time_except_in_the_hour_october_repeats():
    autumn = datetime(2027, 10, 31, 1, tzinfo=UTC)  # clocks go back, 03:00 CEST -> 02:00 CET
    cases = {
        autumn - timedelta(hours=1, minutes=1): "Europe/Warsaw",  # 01:59 CEST
        autumn - timedelta(hours=1): "UTC",  # the first 02:00
        autumn - timedelta(minutes=1): "UTC",  # the first 02:59
        autumn: "UTC",  # the second 02:00
        autumn + timedelta(minutes=59): "UTC",  # the second 02:59
        autumn + timedelta(hours=1): "Europe/Warsaw",  # 03:00 CET
        datetime(2027, 3, 28, 1, tzinfo=UTC): "Europe/Warsaw",  # 03:00 CEST, after the gap
    }
    for instant, zone in cases.items():
        written = feeds.wall_clock(instant)

        assert str(written.tzinfo) == zone, instant
        assert written == instant
