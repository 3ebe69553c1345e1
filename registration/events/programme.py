"""An event's programme: what happens on which day at what hour.

Organisers type it as lines, the way a programme is written on paper, and a
line means what it looks like::

    10.03.2027
    09:30 Coffee and welcome
    10:00–12:00 Walk through Nowe Centrum Łodzi | Meet at the EC1 entrance
    11.03.2027
    09:00–13:00 Workshop: residents and programming

A date on a line of its own starts a day (``10.03.2027`` or ``2027-03-10``); every
other line begins with a time or a span of time (``09:30``, ``9.30``,
``10:00–12:00``), then what happens, then optionally `` | `` and details. A
one-day event needs no date line. Days must be the event's own: a programme
names dates, so it is checked again whenever the event's dates change.

The text is stored as typed (one column, copied with the event); ``check``
reports every line that cannot be read, with its number, and ``days`` gives
the programme to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from registration.i18n import WARSAW

#: An organiser fixing a long programme needs the first few problems, not a wall of them.
MAX_REPORTED = 5

# ASCII digits only: "٠٩:٣٠" is not a time anybody means to type.
_DOTTED_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})(?:\s*r\.)?:?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}):?")
_TIME = r"([0-9]{1,2})[:.]([0-9]{2})"
_ENTRY = re.compile(rf"{_TIME}(?:\s*[-–—]\s*{_TIME})?(?:\s+(.*))?")


@dataclass(frozen=True)
class Item:
    """One point of the programme: from when (until when), what, and details if any."""

    day: date
    starts: time
    ends: time | None
    title: str
    details: str = ""

    @property
    def starts_at(self) -> datetime:
        """The start in Warsaw time (for ``<time datetime>``)."""
        return datetime.combine(self.day, self.starts, tzinfo=WARSAW)

    @property
    def ends_at(self) -> datetime | None:
        return datetime.combine(self.day, self.ends, tzinfo=WARSAW) if self.ends else None


@dataclass(frozen=True)
class Day:
    day: date
    items: tuple[Item, ...]


@dataclass(frozen=True)
class LineError:
    """What is wrong with one line (numbered from 1, as an editor counts)."""

    line: int
    message: LazyString

    def describe(self) -> LazyString:
        """The message as the organiser reads it, beside the whole text: "Line 3: …"."""
        return _l("Line %(line)d: %(message)s", line=self.line, message=self.message)


def event_days(starts_at: datetime, ends_at: datetime) -> tuple[date, date]:
    """The first and last day of an event, in Warsaw."""
    return starts_at.astimezone(WARSAW).date(), ends_at.astimezone(WARSAW).date()


def check(text: str, *, first_day: date, last_day: date) -> list[LineError]:
    """Every line of ``text`` that does not read as a day or a programme item."""
    return _read(text, first_day, last_day)[1]


def days(text: str, *, first_day: date, last_day: date) -> list[Day]:
    """The programme, day by day, in the order typed; lines that do not read are left out."""
    items = _read(text, first_day, last_day)[0]
    grouped: dict[date, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.day, []).append(item)
    return [Day(day, tuple(entries)) for day, entries in grouped.items()]


def days_of(event) -> list[Day]:
    """``days`` of an event (anything with ``programme``, ``starts_at`` and ``ends_at``)."""
    if not event.programme:
        return []
    first_day, last_day = event_days(event.starts_at, event.ends_at)
    return days(event.programme, first_day=first_day, last_day=last_day)


def _read(text: str, first_day: date, last_day: date) -> tuple[list[Item], list[LineError]]:
    items: list[Item] = []
    errors: list[LineError] = []
    # A one-day event needs no date line; a longer one must say which day comes first.
    current: date | None = first_day if first_day == last_day else None
    # Items under a day already reported (missing, or not the event's) are not reported again.
    reported_day = False
    example = first_day.strftime("%d.%m.%Y")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        day, wrong_date = _day(line)
        if wrong_date is not None or day is not None:
            current, reported_day = None, True
            if wrong_date is not None:
                errors.append(LineError(number, wrong_date))
            elif first_day <= day <= last_day:
                current, reported_day = day, False
            else:
                errors.append(LineError(number, _outside(day, first_day, last_day)))
            continue
        entry = _ENTRY.fullmatch(line)
        if entry is None:
            errors.append(
                LineError(
                    number,
                    _l(
                        "begin with a time (09:30 or 10:00–12:00) and say what happens, "
                        "or give a day on a line of its own (%(example)s).",
                        example=example,
                    ),
                )
            )
            continue
        starts = _time(entry.group(1), entry.group(2))
        ends = _time(entry.group(3), entry.group(4)) if entry.group(3) else None
        title, _bar, details = (entry.group(5) or "").partition("|")
        title, details = title.strip(), details.strip()
        if starts is None or (entry.group(3) and ends is None):
            errors.append(LineError(number, _l("write times as 09:30, from 00:00 to 23:59.")))
        elif ends is not None and ends <= starts:
            errors.append(LineError(number, _l("the end must come after the start.")))
        elif not title:
            errors.append(LineError(number, _l("say what happens after the time.")))
        elif current is not None:
            items.append(Item(current, starts, ends, title, details))
        elif not reported_day:
            reported_day = True
            errors.append(
                LineError(
                    number,
                    _l(
                        "the event lasts several days: give the day on a line above (%(example)s).",
                        example=example,
                    ),
                )
            )
    return items, errors


def _day(line: str) -> tuple[date | None, LazyString | None]:
    """The date of a day line, or an error for a date that does not exist, or neither."""
    dotted = _DOTTED_DATE.fullmatch(line)
    iso = _ISO_DATE.fullmatch(line)
    if dotted is None and iso is None:
        return None, None
    year, month, day = (
        (dotted.group(3), dotted.group(2), dotted.group(1)) if dotted else iso.groups()
    )
    try:
        return date(int(year), int(month), int(day)), None
    except ValueError:
        return None, _l("%(date)s is not a date; write it as 10.03.2027.", date=line)


def _time(hours: str, minutes: str) -> time | None:
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _outside(day: date, first_day: date, last_day: date) -> LazyString:
    shown = day.strftime("%d.%m.%Y")
    if first_day == last_day:
        return _l(
            "%(day)s is not the day of the event (%(first)s).",
            day=shown,
            first=first_day.strftime("%d.%m.%Y"),
        )
    return _l(
        "%(day)s is not a day of the event (%(first)s–%(last)s).",
        day=shown,
        first=first_day.strftime("%d.%m.%Y"),
        last=last_day.strftime("%d.%m.%Y"),
    )
