"""Events: the public listing and look-ups, and the organisers' operations that change them."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, func, select, text

from registration.accounts.services import record
from registration.data_controller import controllers
from registration.database import page_within, storable, utcnow
from registration.email_addresses import is_email_address
from registration.events import programme
from registration.events.errors import (
    CapacityBelowConfirmed,
    CityNotAllowed,
    InvalidEvent,
    NotAllowed,
)

# Callers catch every refusal by its name here; the base is raised by none of these functions.
from registration.events.errors import EventError as EventError
from registration.events.models import (
    City,
    Event,
    EventLanguage,
    EventStatus,
    EventType,
)
from registration.extensions import db
from registration.fields import (
    NOT_AN_EMAIL_ADDRESS,
    NOT_ONE_LINE,
    NOT_PRINTABLE,
    NOT_TEXT,
    ONE_LINE_KINDS,
    REQUIRED,
    Kind,
    Rule,
    is_one_line,
    is_printable,
    max_length,
    too_long,
    value_range,
)
from registration.i18n import WARSAW, lazy_number, polish_sort_key
from registration.notifications import outbox
from registration.notifications.models import MessageKind
from registration.registrations import services as seats
from registration.registrations.models import ACTIVE_STATUSES, Registration

if TYPE_CHECKING:
    from registration.accounts.models import Account

#: Events take place in these years. A date outside them is a slip of the keyboard
#: (or a probe), and far enough from the ends of the calendar that no conversion
#: to or from UTC can overflow.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=WARSAW)
_AFTER_LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=WARSAW)
OUTSIDE_YEARS = _l(
    "Enter a date from the years %(first)d–%(last)d.", first=FIRST_YEAR, last=LAST_YEAR
)


def within_years(moment: date | datetime) -> bool:
    """Whether a day, or a timezone-aware instant, falls in ``FIRST_YEAR``–``LAST_YEAR``."""
    if isinstance(moment, datetime):
        return _EARLIEST <= moment < _AFTER_LATEST
    return FIRST_YEAR <= moment.year <= LAST_YEAR


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
    """``"2026-12"`` → 1 December 2026; anything else (or outside the years) → ``None``."""
    if not value:
        return None
    try:
        year, month = (int(part) for part in value.split("-"))
        month_start = date(year, month, 1)
    except ValueError:
        return None
    return month_start if within_years(month_start) else None


def find_city(slug_or_name: str | None) -> City | None:
    if not slug_or_name or not storable(slug_or_name):
        return None
    key = slug_or_name.strip()
    return db.session.scalar(select(City).where((City.slug == key.lower()) | (City.name == key)))


def all_cities() -> list[City]:
    """Coalition cities first, each group in Polish alphabetical order."""
    cities = db.session.scalars(select(City))
    return sorted(cities, key=lambda city: (not city.coalition, polish_sort_key(city.name)))


def coalition_cities() -> list[City]:
    """The coalition's seven cities in Polish alphabetical order."""
    return [city for city in all_cities() if city.coalition]


def published_events(event_filter: EventFilter, *, now: datetime) -> list[Event]:
    """Published events matching the filter, soonest first; upcoming only unless asked."""
    query = select(Event).where(Event.status == EventStatus.PUBLISHED)
    query = _apply_filter(query, event_filter, now=now)
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id)))


@dataclass(frozen=True)
class EventPage:
    """One page of the list: its events, which page it is, and how many there are."""

    events: list[Event]
    total: int
    page: int
    pages: int


def published_events_page(
    event_filter: EventFilter, *, now: datetime, page: int, per_page: int
) -> EventPage:
    """One page of ``published_events``; a page past the last is the last."""
    query = _apply_filter(
        select(Event).where(Event.status == EventStatus.PUBLISHED), event_filter, now=now
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page, pages = page_within(page, total=total, per_page=per_page)
    events = db.session.scalars(
        query.order_by(Event.starts_at, Event.id).limit(per_page).offset((page - 1) * per_page)
    )
    return EventPage(list(events), total, page, pages)


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


# --- Organisers: creating and changing events ------------------------------------
#
# ``update_event`` is the one place an event changes. It takes the event's seat
# lock first (``registrations.services.lock_event``), for two reasons: the
# sequence number is read, raised and written without a lost update when two
# organisers save at once; and the list of people told about a change is the
# list that holds seats at that moment, so somebody registering at the same
# time either is on it or registers for the event as it now is.


_CAPACITY_RANGE = value_range(Event.capacity)
_HOURS_RANGE = value_range(Event.certificate_hours)

#: What organisers may set, in the order forms and the API show them, and the shape
#: of each: ``_validate`` below, the back office's form and the API (its type checks
#: and its document) all read this table, and the limits in it are the columns'.
EVENT_FIELDS: dict[str, Rule] = {
    "type": Rule(Kind.CHOICE, required=True, choices=tuple(EventType)),
    "title": Rule(Kind.LINE, required=True, max_length=max_length(Event.title)),
    "summary": Rule(Kind.LINE, max_length=max_length(Event.summary)),
    "description": Rule(
        Kind.TEXT,
        max_length=max_length(Event.description),
        description=(
            "Markdown: paragraphs (blank lines between them), lists, links (http, https, "
            "mailto), bold and emphasis; HTML is shown as typed, never rendered. Plain text "
            "reads as paragraphs."
        ),
    ),
    "language": Rule(
        Kind.CHOICE,
        choices=tuple(EventLanguage),
        description="The language the event is held in, and its texts are written in. Default pl.",
    ),
    "audience": Rule(
        Kind.LINE,
        max_length=max_length(Event.audience),
        description="Who may take part; empty: nothing is stated.",
    ),
    "cost": Rule(
        Kind.LINE,
        max_length=max_length(Event.cost),
        description="What taking part costs; empty: free.",
    ),
    "programme": Rule(
        Kind.TEXT,
        max_length=max_length(Event.programme),
        description=(
            "The programme, a line each: a date on a line of its own starts a day "
            "(10.03.2027 or 2027-03-10; a one-day event needs none), every other line is a "
            "time or span and what happens, optionally followed by | and details "
            "(09:30–11:00 Walk | Meet at the entrance). Days must be the event's."
        ),
    ),
    "practical_information": Rule(
        Kind.TEXT,
        max_length=max_length(Event.practical_information),
        description="Travel, accommodation, meals: Markdown, as the description.",
    ),
    "city": Rule(
        Kind.LOOKUP,
        required=True,
        description="The city's name (Łódź) or slug (lodz); an organiser's own only.",
    ),
    "venue": Rule(Kind.LINE, required=True, max_length=max_length(Event.venue)),
    "address": Rule(Kind.LINE, required=True, max_length=max_length(Event.address)),
    "online_url": Rule(
        Kind.URL,
        nullable=True,
        max_length=max_length(Event.online_url),
        description="An http(s) address, or null for none.",
    ),
    "starts_at": Rule(Kind.TIMESTAMP, required=True, description="With offset."),
    "ends_at": Rule(Kind.TIMESTAMP, required=True, description="After the start."),
    "capacity": Rule(
        Kind.INTEGER,
        required=True,
        minimum=_CAPACITY_RANGE[0],
        maximum=_CAPACITY_RANGE[1],
        description=(
            "Seats that can be confirmed; never below the confirmed registrations. "
            "Added seats go to the waitlist in order of registration."
        ),
    ),
    "waitlist": Rule(Kind.BOOLEAN),
    "approval": Rule(
        Kind.BOOLEAN,
        description=(
            "Whether organisers approve each registration: until then it is pending and "
            "holds no seat. Default false."
        ),
    ),
    "institution_cap": Rule(
        Kind.INTEGER,
        nullable=True,
        minimum=1,
        maximum=_CAPACITY_RANGE[1],
        description=(
            "At most this many active registrations per institution (names compared "
            "without case, spacing or punctuation); null: no limit."
        ),
    ),
    "allocation_release_at": Rule(
        Kind.TIMESTAMP,
        nullable=True,
        description=(
            "When the cities' allocations join the common pool; null: 7 days before the "
            "start. Before the start."
        ),
    ),
    "registration_opens_at": Rule(
        Kind.TIMESTAMP,
        nullable=True,
        description="Null: open as soon as the event is published.",
    ),
    "registration_closes_at": Rule(
        Kind.TIMESTAMP,
        nullable=True,
        description="Null: open until the event starts. After the opening.",
    ),
    "status": Rule(
        Kind.CHOICE,
        choices=tuple(EventStatus),
        description="A published or cancelled event cannot become a draft again.",
    ),
    "contact_email": Rule(Kind.EMAIL, required=True, max_length=max_length(Event.contact_email)),
    "data_controller": Rule(
        Kind.LINE,
        nullable=True,
        max_length=max_length(Event.data_controller),
        description=(
            "The key of the controller of the registrations' personal data: one of those "
            "configured for the event's city, or the coordinator's (the event's "
            "data_controller.key). Null: the city's first, else the coordinator."
        ),
    ),
    "certificate_hours": Rule(
        Kind.INTEGER,
        nullable=True,
        minimum=_HOURS_RANGE[0],
        maximum=_HOURS_RANGE[1],
        description=(
            "The hours of training the certificates of attendance state. Null: a one-day "
            "event's length from start to end, and none for an event of several days."
        ),
    ),
}
REQUIRED_FIELDS = frozenset(name for name, rule in EVENT_FIELDS.items() if rule.required)
#: Changing these moves the event in people's calendars (iCalendar SEQUENCE).
TIME_FIELDS = frozenset({"starts_at", "ends_at"})
PLACE_FIELDS = frozenset({"venue", "address", "city", "online_url"})
#: Most characters of each one-line text (the back-office form gives its inputs these too).
ONE_LINE_LIMITS = {
    name: rule.max_length for name, rule in EVENT_FIELDS.items() if rule.kind in ONE_LINE_KINDS
}
DESCRIPTION_LIMIT = EVENT_FIELDS["description"].max_length
#: Texts of several lines, and the most characters of each.
TEXT_LIMITS = {
    name: rule.max_length for name, rule in EVENT_FIELDS.items() if rule.kind == Kind.TEXT
}
#: What an event has when it is created without them.
_DEFAULTS = {
    "summary": "",
    "description": "",
    "language": EventLanguage.POLISH,
    "audience": "",
    "cost": "",
    "programme": "",
    "practical_information": "",
    "online_url": None,
    "waitlist": True,
    "registration_opens_at": None,
    "registration_closes_at": None,
    "status": EventStatus.DRAFT,
    "data_controller": None,
    "certificate_hours": None,
}
#: Texts that are empty rather than missing: null from the API means "".
_EMPTY_TEXTS = frozenset(name for name, value in _DEFAULTS.items() if value == "")
MAX_CAPACITY = EVENT_FIELDS["capacity"].maximum
_TIMESTAMPS = tuple(name for name, rule in EVENT_FIELDS.items() if rule.kind == Kind.TIMESTAMP)
_TEXTS = tuple(
    name for name, rule in EVENT_FIELDS.items() if rule.kind in ONE_LINE_KINDS | {Kind.TEXT}
)

#: Stored data, not interface: event titles are Polish, whoever makes the copy.
COPY_PREFIX = "Kopia: "

_POLISH_TO_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
#: PostgreSQL advisory lock key that serialises choosing slugs ("slug" in ASCII).
_SLUG_LOCK = 0x736C7567


def slugify(title: str) -> str:
    """An ASCII slug: "Łódź – miasto" → "lodz-miasto"; Polish letters lose only their marks."""
    text = unicodedata.normalize("NFKD", title.translate(_POLISH_TO_ASCII))
    slug = _NOT_SLUG.sub("-", text.encode("ascii", "ignore").decode().lower()).strip("-")
    return slug[:100].rstrip("-") or "wydarzenie"


def cities_for(account: Account) -> list[City]:
    """The cities in which the account may create events: an organiser's own, or all."""
    if account.is_admin:
        return all_cities()
    return [account.city] if account.city is not None else []


#: Not in ``EVENT_FIELDS``, being a table of numbers: the seats kept per coalition city,
#: ``{city slug: seats}`` (``registrations.services.change_allocations``).
ALLOCATIONS = "allocations"


def _allocations(fields: dict) -> dict[int, int] | None:
    """The allocations asked for, by city id; ``None``: not asked to change them.

    :raise InvalidEvent: not a table of coalition cities' slugs and whole numbers
    """
    if ALLOCATIONS not in fields:
        return None
    wanted = fields.pop(ALLOCATIONS)
    if wanted is None:
        return {}
    cities = {city.slug: city.id for city in coalition_cities()}
    if not isinstance(wanted, dict) or not all(
        isinstance(slug, str)
        and slug in cities
        and isinstance(seats, int)
        and not isinstance(seats, bool)
        and 0 <= seats <= _CAPACITY_RANGE[1]
        for slug, seats in wanted.items()
    ):
        raise InvalidEvent(
            {
                ALLOCATIONS: [
                    _l(
                        "Give the seats kept for each coalition city as a whole number, "
                        "by the city's slug."
                    )
                ]
            }
        )
    return {cities[slug]: seats for slug, seats in wanted.items()}


def create_event(fields: dict, *, account: Account) -> Event:
    """Create an event (a draft unless ``fields`` say otherwise) with a new unique slug.

    :param fields: any of ``EVENT_FIELDS``; ``city`` as a ``City``, name or slug
    :raise CityNotAllowed: an organiser named a city other than their own
    :raise InvalidEvent: a field is missing or breaks a rule
    """
    fields = dict(fields)
    allocations = _allocations(fields) or {}
    values = {**_DEFAULTS, **dict.fromkeys(REQUIRED_FIELDS)}
    values.update(_normalise(fields))
    _check_city(account, values["city"])
    _validate(values, previous=None)
    if allocations and sum(allocations.values()) > values["capacity"]:
        raise InvalidEvent({ALLOCATIONS: [seats.AllocationsTooLarge.message]})
    event = Event(**values, sequence=0)
    event.keep_seats_for_cities(allocations)
    _add_with_unique_slug(event)
    record(account, "event.create", event=event, title=event.title, status=event.status.value)
    return event


#: The most an organiser may write to explain a cancellation.
REASON_LIMIT = 1000


@dataclass(frozen=True)
class EventUpdate:
    """What ``update_event`` did: the event as it now is, and how many people it told.

    :ivar told: EVENT_CHANGED or EVENT_CANCELLED messages queued, one per person
    """

    event: Event
    told: int = 0


def update_event(
    event: Event,
    changes: dict,
    *,
    account: Account,
    now: datetime | None = None,
    reason: str | None = None,
) -> EventUpdate:
    """Change an event; tell the people holding seats or places when it moves or is cancelled.

    A change of time, place or status raises ``sequence`` by one and queues
    EVENT_CHANGED (EVENT_CANCELLED when cancelled) for each confirmed or
    waitlisted registration; publishing a draft tells nobody. A new capacity
    goes through ``registrations.services.change_capacity``, which gives added
    seats to the waitlist in order. A change to nothing does and records nothing.

    :param changes: any of ``EVENT_FIELDS``; ``city`` as a ``City``, name or slug
    :param reason: the organisers' explanation of a cancellation, for each
        EVENT_CANCELLED email and the audit entry; unused unless the change cancels
    :raise NotAllowed: the account may not manage this event
    :raise CityNotAllowed: an organiser tried to move the event to another city
    :raise InvalidEvent: a value breaks a rule
    :raise CapacityBelowConfirmed: fewer seats than people already confirmed
    """
    if not account.can_manage(event):
        raise NotAllowed
    changes = dict(changes)
    allocations = _allocations(changes)
    values = _normalise(changes)
    reason = _cancellation_reason(reason)
    event = seats.lock_event(event.id)
    if not account.can_manage(event):  # Race condition: it may have moved since it was read.
        raise NotAllowed
    now = now or utcnow()
    changed = {
        name: (getattr(event, name), value)
        for name, value in values.items()
        if not _same(getattr(event, name), value)
    }
    kept = {allocation.city_id: allocation.seats for allocation in event.allocations}
    wanted = {city_id: count for city_id, count in (allocations or {}).items() if count}
    if allocations is not None and wanted != kept:
        changed[ALLOCATIONS] = (kept, allocations)
    if not changed:
        return EventUpdate(event)
    if "city" in changed:
        _check_city(account, changed["city"][1])
    merged = {name: getattr(event, name) for name in EVENT_FIELDS}
    merged.update({name: new for name, (_old, new) in changed.items()})
    _validate(merged, previous=event.status)
    if "capacity" in changed:
        _check_seats_changeable(event, merged, now=now)
        try:
            seats.change_capacity(event, merged["capacity"], now=now)
        except seats.CapacityBelowConfirmed:
            raise CapacityBelowConfirmed from None
    if ALLOCATIONS in changed or "allocation_release_at" in changed:
        try:
            seats.change_allocations(
                event,
                allocations if allocations is not None else kept,
                release_at=merged["allocation_release_at"],
                now=now,
            )
        except (seats.AllocationsTooLarge, seats.AllocationsReleased) as refused:
            raise InvalidEvent({ALLOCATIONS: [refused.message]}) from None
    previous_status = event.status
    for name, (_old, new) in changed.items():
        if name not in ("capacity", ALLOCATIONS):
            setattr(event, name, new)
    moved = changed.keys() & (TIME_FIELDS | PLACE_FIELDS | {"status"})
    if moved:
        event.sequence += 1
    db.session.flush()
    action = _action(changed)
    told = _tell_registrants(
        event,
        moved,
        previous=previous_status,
        before=outbox.details_before(changed),
        reason=reason if action == "event.cancel" else None,
    )
    details = {name: [_plain(old), _plain(new)] for name, (old, new) in changed.items()}
    if reason and action == "event.cancel":
        details["reason"] = reason
    record(account, action, event=event, **details)
    return EventUpdate(event, told)


def publish(event: Event, account: Account) -> EventUpdate:
    """Open the event to the public (or bring back a cancelled one).

    :raise NotAllowed: the account may not manage this event
    """
    return update_event(event, {"status": EventStatus.PUBLISHED}, account=account)


def cancel_event(event: Event, account: Account, *, reason: str | None = None) -> EventUpdate:
    """Cancel the event; everyone holding a seat or place is told. Registrations stay as they are.

    :param reason: the organisers' explanation, shown in the cancellation email as typed
    :raise NotAllowed: the account may not manage this event
    :raise InvalidEvent: the reason is too long or has special characters
    """
    return update_event(event, {"status": EventStatus.CANCELLED}, account=account, reason=reason)


def _cancellation_reason(reason: str | None) -> str | None:
    """The reason trimmed, or None when empty.

    :raise InvalidEvent: longer than ``REASON_LIMIT`` or with control characters
    """
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise InvalidEvent({"cancellation_reason": [NOT_TEXT]})
    reason = reason.replace("\r\n", "\n").strip()
    if len(reason) > REASON_LIMIT:
        raise InvalidEvent({"cancellation_reason": [_too_long_text("reason", REASON_LIMIT)]})
    if not is_printable(reason):
        raise InvalidEvent({"cancellation_reason": [NOT_PRINTABLE]})
    return reason or None


def duplicate_event(event: Event, account: Account) -> Event:
    """A new draft with the same details and dates, titled "Kopia: …", with nobody registered.

    :raise NotAllowed: the account may not manage this event
    """
    if not account.can_manage(event):
        raise NotAllowed
    values = {name: getattr(event, name) for name in EVENT_FIELDS}
    values["title"] = (COPY_PREFIX + event.title)[: ONE_LINE_LIMITS["title"]]
    values["status"] = EventStatus.DRAFT
    copy = Event(**values, sequence=0)
    _add_with_unique_slug(copy)
    record(account, "event.duplicate", event=copy, source=event.id)
    return copy


def _normalise(fields: dict) -> dict:
    """Known fields only, text trimmed, codes as enums, the city as a ``City``.

    :raise InvalidEvent: an unknown field, code or city
    """
    errors: dict[str, list] = {}
    values = {}
    for name, value in fields.items():
        if name not in EVENT_FIELDS:
            errors[name] = [_l("This field cannot be set.")]
            continue
        if isinstance(value, str):
            value = value.strip()
        if name in ("online_url", "data_controller") and value == "":
            value = None
        elif name in _EMPTY_TEXTS and value is None:
            value = ""
        elif name == "language" and value is not None:
            if value not in EventLanguage._value2member_map_:
                errors[name] = [_l("Choose Polish (pl) or English (en).")]
                continue
            value = EventLanguage(value)
        elif name == "type" and value is not None:
            if value not in EventType._value2member_map_:
                errors[name] = [_l("Unknown event type.")]
                continue
            value = EventType(value)
        elif name == "status" and value is not None:
            if value not in EventStatus._value2member_map_:
                errors[name] = [_l("Unknown status.")]
                continue
            value = EventStatus(value)
        elif name == "city" and value is not None and not isinstance(value, City):
            city = find_city(value) if isinstance(value, str) else None
            if city is None:
                errors[name] = [_l("Unknown city.")]
                continue
            value = city
        values[name] = value
    if errors:
        raise InvalidEvent(errors)
    return values


def _validate(values: dict, *, previous: EventStatus | None) -> None:
    """Check the event as it would be after the change; report every broken rule at once.

    :raise InvalidEvent: with every field that breaks a rule
    """
    errors: dict[str, list] = {}

    def fail(name: str, message) -> None:
        errors.setdefault(name, []).append(message)

    for name in REQUIRED_FIELDS | {"status", "waitlist", "language"}:
        if values.get(name) is None or values.get(name) == "":
            fail(name, REQUIRED)
    for name in _TEXTS:
        if values.get(name) is not None and not isinstance(values[name], str):
            fail(name, NOT_TEXT)
    if errors:
        raise InvalidEvent(errors)
    if not isinstance(values["waitlist"], bool):
        fail("waitlist", _l("Must be true or false."))
    for name, limit in ONE_LINE_LIMITS.items():
        line = values.get(name)
        if not line:
            continue
        if len(line) > limit:
            fail(name, too_long(limit))
        if not is_one_line(line):
            fail(name, NOT_ONE_LINE)
    for name, limit in TEXT_LIMITS.items():
        text = values.get(name)
        if text and not is_printable(text):
            fail(name, NOT_PRINTABLE)
        if text and len(text) > limit:
            fail(name, _too_long_text(name, limit))
    online_url = values.get("online_url")
    if online_url and not online_url.lower().startswith(("https://", "http://")):
        fail("online_url", _l("Enter a web address that begins with https://."))
    contact_email = values.get("contact_email")
    if contact_email and not is_email_address(contact_email):
        fail("contact_email", NOT_AN_EMAIL_ADDRESS)
    capacity = values.get("capacity")
    if capacity is not None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            fail("capacity", _l("Enter a whole number."))
        elif not _CAPACITY_RANGE[0] <= capacity <= _CAPACITY_RANGE[1]:
            fail(
                "capacity",
                _l(
                    "Enter a number of seats from %(min)s to %(max)s.",
                    min=lazy_number(_CAPACITY_RANGE[0]),
                    max=lazy_number(_CAPACITY_RANGE[1]),
                ),
            )
    hours = values.get("certificate_hours")
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, int):
            fail("certificate_hours", _l("Enter a whole number."))
        elif not _HOURS_RANGE[0] <= hours <= _HOURS_RANGE[1]:
            fail(
                "certificate_hours",
                _l(
                    "Enter a number of hours from %(min)s to %(max)s, or leave it empty.",
                    min=lazy_number(_HOURS_RANGE[0]),
                    max=lazy_number(_HOURS_RANGE[1]),
                ),
            )
    for name in _TIMESTAMPS:
        moment = values.get(name)
        if moment is None:
            continue
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            fail(name, _l("Give a date and time with its offset from UTC."))
        elif not within_years(moment):
            fail(name, OUTSIDE_YEARS)
    if not errors:
        _validate_times(values, fail)
    if not errors:
        _validate_programme(values, fail)
    chosen = values.get("data_controller")
    if chosen is not None and not errors:
        choices = controllers().choices_for(values["city"])
        if chosen not in {controller.key for controller in choices}:
            fail(
                "data_controller",
                _l("Choose the data controller of the event's city, or the coordinator."),
            )
    if values.get("status") == EventStatus.DRAFT and previous not in (None, EventStatus.DRAFT):
        fail("status", _l("A published or cancelled event cannot become a draft again."))
    if values.get("status") == EventStatus.CANCELLED and previous in (None, EventStatus.DRAFT):
        # A cancelled event keeps a public page; one never published must not get one.
        fail("status", _l("Only a published event can be cancelled; a draft stays a draft."))
    if errors:
        raise InvalidEvent(errors)


def _too_long_text(name: str, limit: int) -> LazyString:
    if name == "description":
        return _l("Shorten the description to at most %(max)s characters.", max=lazy_number(limit))
    return _l("Shorten the text to at most %(max)s characters.", max=lazy_number(limit))


def _validate_programme(values: dict, fail) -> None:
    """Each line of the programme must read, and its days be the event's (times valid)."""
    text = values.get("programme")
    if not text:
        return
    first_day, last_day = programme.event_days(values["starts_at"], values["ends_at"])
    errors = programme.check(text, first_day=first_day, last_day=last_day)
    for error in errors[: programme.MAX_REPORTED]:
        fail("programme", error.describe())
    if len(errors) > programme.MAX_REPORTED:
        fail("programme", _l("Further lines need correcting too; they are shown after these."))


def _validate_times(values: dict, fail) -> None:
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    opens_at, closes_at = values.get("registration_opens_at"), values.get("registration_closes_at")
    if ends_at <= starts_at:
        fail("ends_at", _l("The event must end after it starts."))
    if opens_at is not None and closes_at is not None and opens_at >= closes_at:
        fail("registration_closes_at", _l("Registration must close after it opens."))
    elif opens_at is not None and closes_at is None and opens_at >= starts_at:
        fail("registration_opens_at", _l("Registration must open before the event starts."))


def _check_city(account: Account, city: City | None) -> None:
    if city is not None and not account.is_admin and city.id != account.city_id:
        raise CityNotAllowed


def _check_seats_changeable(event: Event, merged: dict, *, now: datetime) -> None:
    """Seats added to a cancelled or ended event would promote people to nothing."""
    if merged["status"] == EventStatus.CANCELLED:
        raise InvalidEvent({"capacity": [_l("The seats of a cancelled event cannot be changed.")]})
    if event.ends_at <= now:
        raise InvalidEvent({"capacity": [_l("The event has ended; its seats cannot be changed.")]})


def _tell_registrants(
    event: Event, moved: set[str], *, previous: EventStatus, before: dict, reason: str | None
) -> int:
    """Queue the change for everyone holding a seat or a place in line (lock held).

    :param before: the old time and place (``outbox.details_before``), for "was … now …"
    :param reason: the organisers' explanation of a cancellation, if they gave one
    :return: how many messages were queued
    """
    if not moved or previous == EventStatus.DRAFT:
        return 0  # a draft had nobody to tell
    if "status" in moved and event.status == EventStatus.CANCELLED:
        kind = MessageKind.EVENT_CANCELLED
    elif event.status == EventStatus.PUBLISHED:
        kind = MessageKind.EVENT_CHANGED
    else:
        return 0  # a cancelled event that moves: the cancellation was news enough
    active = list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
            .order_by(Registration.id)
        )
    )
    extra = {"reason": reason} if reason else {}
    for registration in active:
        outbox.enqueue(kind, registration, changed=sorted(moved), before=before, **extra)
    return len(active)


def _action(changed: dict) -> str:
    status = changed.get("status", (None, None))[1]
    if status == EventStatus.PUBLISHED:
        return "event.publish"
    if status == EventStatus.CANCELLED:
        return "event.cancel"
    return "event.update"


def _add_with_unique_slug(event: Event) -> None:
    """Give the new event a slug no other event has, and insert it."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Race condition: two organisers creating "Seminarium" at once would both
        # see "seminarium" free. The lock lasts until commit. (SQLite's writing
        # transactions are serialised already.)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SLUG_LOCK})
    base = slugify(event.title)
    taken = set(
        db.session.scalars(
            select(Event.slug).where((Event.slug == base) | Event.slug.like(f"{base}-%"))
        )
    )
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    event.slug = slug
    db.session.add(event)
    db.session.flush()


def _same(old, new) -> bool:
    if isinstance(old, City) or isinstance(new, City):
        return getattr(old, "id", None) == getattr(new, "id", None)
    return old == new


def _plain(value):
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, City):
        return value.name
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):  # allocations: seats by city id
        names = {city.id: city.name for city in coalition_cities()}
        return {
            names.get(city_id, str(city_id)): count for city_id, count in value.items() if count
        }
    return value
