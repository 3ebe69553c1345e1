"""Participation counted in the database: by home city, category, event type and quarter.

The whole report is two queries over registrations, each grouped once, with one
conditional count per figure (``COUNT(*) FILTER (WHERE …)``, which SQLite and
PostgreSQL both know): one by home city and category (at most 32 groups), one by
event (a row per event, joined to the events' type and start). The events counted
and the events that took place are sets of ids the database makes once per query
(``event_id IN (SELECT …)``), not a join of every registration to its event. The
breakdowns and the totals are added up from them here: each breakdown of its own
would read every registration again.

Anonymised registrations are counted like any other: anonymising replaces the personal
data and keeps every column read here (docs/privacy.md).

What each figure means (docs/reports.md says it for organisers):

- registered: every registration, whatever its status;
- confirmed: holding a seat now;
- attended: confirmed and checked in on some day;
- no-shows: confirmed at an event that took place (ended, not cancelled), never checked
  in;
- cancelled: given up (by the person, an organiser or an erasure);
- of those who joined the waitlist: got a seat from it, still waiting, or left the line
  (cancelled without ever getting a seat).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from operator import add

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, select

from registration import labels
from registration.accounts.models import Account
from registration.events.models import City, Event, EventStatus, EventType
from registration.extensions import db
from registration.i18n import WARSAW, polish_sort_key
from registration.registrations.models import Category, Registration, RegistrationStatus


@dataclass(frozen=True)
class Filters:
    """What the reader asked for; ``None`` is "any".

    :ivar since: the first Warsaw day on which a counted event starts
    :ivar until: the last Warsaw day on which a counted event starts, whole
    :ivar city_id: the hosting city of the counted events
    """

    since: date | None = None
    until: date | None = None
    city_id: int | None = None


@dataclass(frozen=True)
class Counts:
    """The figures of one group of registrations (see the module's docstring)."""

    registered: int = 0
    confirmed: int = 0
    attended: int = 0
    no_shows: int = 0
    cancelled: int = 0
    joined_waitlist: int = 0
    got_seat: int = 0
    still_waiting: int = 0
    left_line: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, name) + getattr(other, name) for name in _FIGURE_NAMES))


_FIGURE_NAMES = tuple(figure.name for figure in fields(Counts))

#: The figures as the page, the charts and the downloads name them, in their order.
FIGURES = {
    "registered": _l("Registrations"),
    "confirmed": _l("Confirmed"),
    "attended": _l("Attended"),
    "no_shows": _l("No-shows"),
    "cancelled": _l("Cancellations"),
    "joined_waitlist": _l("Joined the waitlist"),
    "got_seat": _l("Got a seat from the waitlist"),
    "still_waiting": _l("Still waiting"),
    "left_line": _l("Left the waitlist"),
}

#: The breakdowns, in the order the page shows them.
BREAKDOWNS = {
    "home_city": _l("By home city"),
    "category": _l("By category"),
    "event_type": _l("By event type"),
    "quarter": _l("By quarter"),
}


@dataclass(frozen=True)
class Row:
    """One group of a breakdown: its key (a city's slug, a code, ``2027-1``), its name in
    the reader's language, and its figures."""

    key: str
    label: str
    counts: Counts


@dataclass(frozen=True)
class Report:
    totals: Counts
    breakdowns: dict[str, list[Row]]


def _figures(now: datetime) -> list[ColumnElement[int]]:
    """One conditional count per figure of ``Counts``, in its order, named as its field."""
    status = Registration.status
    confirmed = status == RegistrationStatus.CONFIRMED
    checked_in = Registration.checked_in_at.is_not(None)
    joined = Registration.waitlisted_at.is_not(None)
    # The events that took place: ended, and not cancelled (a cancelled event keeps its
    # registrations as they were, and nobody missed it). A set of ids made once per
    # query, rather than a join: joining every registration to its event costs more
    # than the counting.
    held = select(Event.id).where(Event.ends_at <= now, Event.status != EventStatus.CANCELLED)
    took_place = Registration.event_id.in_(held)
    counts = [
        func.count(),
        func.count().filter(confirmed),
        func.count().filter(confirmed, checked_in),
        func.count().filter(confirmed, Registration.checked_in_at.is_(None), took_place),
        func.count().filter(status == RegistrationStatus.CANCELLED),
        func.count().filter(joined),
        func.count().filter(joined, Registration.promoted_at.is_not(None)),
        func.count().filter(joined, status == RegistrationStatus.WAITLISTED),
        func.count().filter(
            joined,
            status == RegistrationStatus.CANCELLED,
            Registration.promoted_at.is_(None),
        ),
    ]
    return [count.label(name) for count, name in zip(counts, _FIGURE_NAMES, strict=True)]


def _counted(account: Account, filters: Filters, *groups, now: datetime) -> Select:
    """Registrations the account may read, of the events the filters let through, with
    ``groups`` and then the figures as columns."""
    query = select(*groups, *_figures(now))
    events = select(Event.id)
    if not account.is_admin:
        events = events.where(Event.city_id == account.city_id)
    if filters.city_id is not None:
        events = events.where(Event.city_id == filters.city_id)
    if filters.since is not None:
        events = events.where(Event.starts_at >= _warsaw_midnight(filters.since))
    if filters.until is not None:
        events = events.where(Event.starts_at < _warsaw_midnight(filters.until + timedelta(days=1)))
    if events.whereclause is not None:
        query = query.where(Registration.event_id.in_(events))
    return query


def _warsaw_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WARSAW)


def _by_person(account: Account, filters: Filters, *, now: datetime) -> dict[tuple, list[int]]:
    """The figures by home city and category together: at most eight cities times four
    categories, from which both breakdowns are added up."""
    groups = (Registration.home_city_id, Registration.category)
    query = _counted(account, filters, *groups, now=now).group_by(*groups)
    return {(city_id, category): figures for city_id, category, *figures in _rows(query)}


def _by_event(account: Account, filters: Filters, *, now: datetime) -> list[tuple]:
    """``(type, starts_at, figures)`` of each counted event with registrations: the
    totals, the event types and the quarters are added up from them."""
    per_event = (
        _counted(account, filters, Registration.event_id, now=now)
        .group_by(Registration.event_id)
        .subquery()
    )
    query = select(
        Event.type, Event.starts_at, *(per_event.c[name] for name in _FIGURE_NAMES)
    ).join(per_event, per_event.c.event_id == Event.id)
    return [(type, starts_at, figures) for type, starts_at, *figures in _rows(query)]


def _rows(query: Select) -> list:
    return list(db.session.execute(query))


def _added(pairs: Iterable[tuple[object, list[int]]]) -> dict[object, Counts]:
    """The figures of each key added up; as plain numbers until the end, as thousands of
    events are added up on every report."""
    sums: dict[object, list[int]] = {}
    for key, figures in pairs:
        total = sums.get(key)
        sums[key] = list(figures) if total is None else list(map(add, total, figures))
    return {key: Counts(*total) for key, total in sums.items()}


def totals(account: Account, filters: Filters, *, now: datetime) -> Counts:
    """Every counted registration's figures together."""
    return _totals(_by_event(account, filters, now=now))


def _totals(events: list[tuple]) -> Counts:
    return _added(("all", figures) for _type, _starts_at, figures in events).get("all", Counts())


def by_home_city(account: Account, filters: Filters, *, now: datetime) -> list[Row]:
    """Each coalition city (even without registrations, so cities compare), in Polish
    alphabetical order, then "another city" when anyone came from one."""
    return _home_cities(_by_person(account, filters, now=now))


def _home_cities(people: dict[tuple, list[int]]) -> list[Row]:
    found = _added((city_id, figures) for (city_id, _category), figures in people.items())
    cities = db.session.scalars(select(City).where(City.coalition)).all()
    rows = [
        Row(city.slug, city.name, found.get(city.id, Counts()))
        for city in sorted(cities, key=lambda city: polish_sort_key(city.name))
    ]
    # A city that left the coalition keeps its registrations' home city.
    coalition = {city.id for city in cities}
    former = [city_id for city_id in found if city_id is not None and city_id not in coalition]
    if former:
        for city in db.session.scalars(select(City).where(City.id.in_(former))):
            rows.append(Row(city.slug, city.name, found[city.id]))
    if None in found:
        rows.append(Row("other", _("Another city"), found[None]))
    return rows


def by_category(account: Account, filters: Filters, *, now: datetime) -> list[Row]:
    """Each category of participant, in the order the registration form lists them."""
    return _categories(_by_person(account, filters, now=now))


def _categories(people: dict[tuple, list[int]]) -> list[Row]:
    found = _added((category, figures) for (_city_id, category), figures in people.items())
    return [
        Row(
            category.value,
            labels.label(labels.CATEGORIES, category.value),
            found.get(category, Counts()),
        )
        for category in Category
    ]


def by_event_type(account: Account, filters: Filters, *, now: datetime) -> list[Row]:
    """Each type of event, in the order the event form lists them."""
    return _event_types(_by_event(account, filters, now=now))


def _event_types(events: list[tuple]) -> list[Row]:
    found = _added((type, figures) for type, _starts_at, figures in events)
    return [
        Row(type.value, labels.label(labels.EVENT_TYPES, type.value), found.get(type, Counts()))
        for type in EventType
    ]


def by_quarter(account: Account, filters: Filters, *, now: datetime) -> list[Row]:
    """Each quarter in which counted events start, in Warsaw time, from the first to the
    last (a quarter without events between them shows as zeros)."""
    return _quarters(_by_event(account, filters, now=now))


def _quarters(events: list[tuple]) -> list[Row]:
    # Told here, by the Warsaw calendar, not in SQL: SQLite has no time zones, and an
    # event starting at 00:30 on 1 April in Warsaw (22:30 UTC the day before) belongs
    # to the second quarter.
    if not events:
        return []
    quarter_of = _quarter_finder(
        min(starts_at for _type, starts_at, _figures in events),
        max(starts_at for _type, starts_at, _figures in events),
    )
    quarters = _added((quarter_of(starts_at), figures) for _type, starts_at, figures in events)
    return [
        Row(
            f"{year}-{quarter}",
            quarter_name(year, quarter),
            quarters.get((year, quarter), Counts()),
        )
        for year, quarter in _quarters_between(min(quarters), max(quarters))
    ]


def _quarter_finder(first: datetime, last: datetime) -> Callable[[datetime], tuple[int, int]]:
    """``(year, quarter)`` in Warsaw of an instant between ``first`` and ``last``: found
    among the quarters' first instants, in UTC, rather than by converting each event's
    start to Warsaw time (thousands of events, on every report)."""
    starts = [
        (datetime(year, month, 1, tzinfo=WARSAW).astimezone(UTC), (year, quarter))
        for year in range(first.astimezone(WARSAW).year, last.astimezone(WARSAW).year + 1)
        for quarter, month in ((1, 1), (2, 4), (3, 7), (4, 10))
    ]
    instants = [instant for instant, _quarter in starts]

    def quarter_of(starts_at: datetime) -> tuple[int, int]:
        return starts[bisect_right(instants, starts_at.astimezone(UTC)) - 1][1]

    return quarter_of


def _quarters_between(first: tuple[int, int], last: tuple[int, int]) -> Iterable[tuple[int, int]]:
    year, quarter = first
    while (year, quarter) <= last:
        yield year, quarter
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


#: The quarters' names; the year comes beside them (``quarter_name``).
QUARTERS = {1: _l("Q1"), 2: _l("Q2"), 3: _l("Q3"), 4: _l("Q4")}


def quarter_name(year: int, quarter: int) -> str:
    """ "2027 Q1" in English, "I kw. 2027" in Polish."""
    return _("%(year)d %(quarter)s", year=year, quarter=QUARTERS[quarter])


#: Each breakdown's query, by the keys of ``BREAKDOWNS``.
_BREAKDOWN_QUERIES = {
    "home_city": by_home_city,
    "category": by_category,
    "event_type": by_event_type,
    "quarter": by_quarter,
}


def breakdown(name: str, account: Account, filters: Filters, *, now: datetime) -> list[Row]:
    """The rows of one breakdown (a key of ``BREAKDOWNS``): one query."""
    return _BREAKDOWN_QUERIES[name](account, filters, now=now)


def report(account: Account, filters: Filters, *, now: datetime) -> Report:
    """The totals and every breakdown, from two grouped queries: one by home city and
    category, one by event."""
    people = _by_person(account, filters, now=now)
    events = _by_event(account, filters, now=now)
    return Report(
        totals=_totals(events),
        breakdowns={
            "home_city": _home_cities(people),
            "category": _categories(people),
            "event_type": _event_types(events),
            "quarter": _quarters(events),
        },
    )
