"""Finding events: the public listing and look-ups shared by pages, API and feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select

from registration.events.models import City, Event, EventStatus, EventType
from registration.extensions import db
from registration.i18n import polish_sort_key

WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass(frozen=True)
class EventFilter:
    """What a visitor narrowed the list to; ``None`` means "any"."""

    type: EventType | None = None
    city: City | None = None
    #: First day of a month, in Warsaw.
    month: date | None = None
    include_past: bool = False
    #: Start no earlier than this.
    starts_from: datetime | None = None
    #: Start strictly before this.
    starts_before: datetime | None = None


def parse_month(value: str | None) -> date | None:
    """``"2026-12"`` → 1 December 2026; anything else → ``None``."""
    if not value:
        return None
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def find_city(slug_or_name: str | None) -> City | None:
    if not slug_or_name:
        return None
    key = slug_or_name.strip()
    return db.session.scalar(select(City).where((City.slug == key.lower()) | (City.name == key)))


def all_cities() -> list[City]:
    """Coalition cities first, each group in Polish alphabetical order."""
    cities = db.session.scalars(select(City))
    return sorted(cities, key=lambda city: (not city.coalition, polish_sort_key(city.name)))


def published_events(event_filter: EventFilter, *, now: datetime) -> list[Event]:
    """Published events matching the filter, soonest first; upcoming only unless asked."""
    query = select(Event).where(Event.status == EventStatus.PUBLISHED)
    query = _apply_filter(query, event_filter, now=now)
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id)))


def _apply_filter(query: Select, event_filter: EventFilter, *, now: datetime) -> Select:
    if event_filter.type is not None:
        query = query.where(Event.type == event_filter.type)
    if event_filter.city is not None:
        query = query.where(Event.city_id == event_filter.city.id)
    if event_filter.month is not None:
        start, end = _month_bounds(event_filter.month)
        query = query.where(Event.starts_at >= start, Event.starts_at < end)
    if event_filter.starts_from is not None:
        query = query.where(Event.starts_at >= event_filter.starts_from)
    if event_filter.starts_before is not None:
        query = query.where(Event.starts_at < event_filter.starts_before)
    if not event_filter.include_past:
        # An event that is on now is still worth showing.
        query = query.where(Event.ends_at > now)
    return query


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime.combine(month, time(), tzinfo=WARSAW)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, datetime.combine(following, time(), tzinfo=WARSAW)


def upcoming_months(*, now: datetime) -> list[date]:
    """The months in which upcoming published events start, for the month filter."""
    starts = db.session.scalars(
        select(Event.starts_at).where(Event.status == EventStatus.PUBLISHED, Event.ends_at > now)
    )
    return sorted({start.astimezone(WARSAW).date().replace(day=1) for start in starts})


def get_public_event(event_id: int) -> Event | None:
    """A published or cancelled event; drafts are nobody's business but organisers'."""
    event = db.session.get(Event, event_id)
    if event is None or event.status == EventStatus.DRAFT:
        return None
    return event
