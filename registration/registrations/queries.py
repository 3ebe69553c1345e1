"""What organisers read about an event's people: the attendee list and its search, the
sign-in sheet, and how far each message to attendees has got.

Reads only; every change is ``registrations.services``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from registration.accounts.models import Account, AuditEntry
from registration.events.models import Event, EventStatus
from registration.events.queries import managed_events
from registration.extensions import db
from registration.i18n import WARSAW, fold, polish_sort_key
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.notifications.queries import LastEmail, last_emails
from registration.registrations import exports, services
from registration.registrations.models import Attendance, Registration, RegistrationStatus

#: The longest search the attendee list takes: longer matches nobody anyway.
SEARCH_LIMIT = 200


@dataclass(frozen=True)
class AttendeeList:
    """An event's registrations as the attendee page shows them, by status."""

    #: What was searched for, as it was used (trimmed, shortened), or "".
    search: str
    confirmed: list[Registration]
    waitlisted: list[Registration]
    cancelled: list[Registration]
    #: At an event with approval: requests waiting for a decision, and those declined.
    pending: list[Registration]
    rejected: list[Registration]
    #: Place in line of each waitlisted registration, by id (of everyone, searched or not).
    positions: dict[int, int]
    #: Confirmed people already checked in (of everyone, searched or not).
    checked_in: int
    #: Each person's newest email and how it went, by registration id (none: no email yet).
    last_emails: dict[int, LastEmail]

    @property
    def found(self) -> int:
        return sum(
            map(len, (self.confirmed, self.waitlisted, self.cancelled, self.pending, self.rejected))
        )


def attendee_list(event_id: int, search: str = "") -> AttendeeList:
    """The event's registrations in order of arrival; only those matching ``search``
    (in the name, email or institution, without regard to case or Polish marks), if given."""
    everyone = exports.attendees(event_id)
    search = search.strip()[:SEARCH_LIMIT]
    shown = [r for r in everyone if _matches(r, search)] if search else everyone
    return AttendeeList(
        search=search,
        confirmed=[r for r in shown if r.status == RegistrationStatus.CONFIRMED],
        waitlisted=[r for r in shown if r.status == RegistrationStatus.WAITLISTED],
        cancelled=[r for r in shown if r.status == RegistrationStatus.CANCELLED],
        pending=[r for r in shown if r.status == RegistrationStatus.PENDING],
        rejected=[r for r in shown if r.status == RegistrationStatus.REJECTED],
        positions=exports.waitlist_positions(everyone),
        checked_in=sum(
            1
            for r in everyone
            if r.status == RegistrationStatus.CONFIRMED and r.checked_in_at is not None
        ),
        last_emails=last_emails(event_id),
    )


#: The most days a sign-in sheet has a signature column for: seven fit across A4 in
#: landscape with room to sign. A longer event has one column, as a one-day event does.
MAX_SIGNATURE_DAYS = 7
#: From this many days on, the sheet is printed in landscape.
LANDSCAPE_FROM_DAYS = 3


@dataclass(frozen=True)
class SignInSheet:
    """The confirmed people of an event, and the days each of them signs for."""

    #: By surname, then first names (Polish order); anonymised registrations last.
    people: list[Registration]
    #: One signature column each, in Warsaw time; a single day for a one-day event.
    days: list[date]

    @property
    def landscape(self) -> bool:
        return len(self.days) >= LANDSCAPE_FROM_DAYS


def sign_in_sheet(event: Event) -> SignInSheet:
    """The confirmed people to sign for ``event``, with one signature column per day."""
    confirmed = [r for r in exports.attendees(event.id) if r.status == RegistrationStatus.CONFIRMED]
    return SignInSheet(
        people=sorted(confirmed, key=by_surname),
        days=signature_days(event.starts_at, event.ends_at),
    )


def signature_days(starts_at: datetime, ends_at: datetime) -> list[date]:
    """The Warsaw days from the start to the end; an end at midnight ends the day before.

    More than ``MAX_SIGNATURE_DAYS`` give the first day alone: one column, to sign once.
    """
    days = services.event_days(starts_at, ends_at)
    return days if len(days) <= MAX_SIGNATURE_DAYS else days[:1]


def by_surname(registration: Registration) -> tuple[bool, str, str, int]:
    """Anonymised last (their name is gone), then the surname (the last word of the
    full name, as Polish lists are kept), then the first names."""
    *first_names, surname = registration.full_name.split() or [""]
    return (
        registration.anonymised_at is not None,
        polish_sort_key(surname),
        polish_sort_key(" ".join(first_names)),
        registration.id,
    )


def _matches(registration: Registration, search: str) -> bool:
    """Whether the name, email or institution contains the search (searched in Python:
    SQLite's lower() knows no Polish letters, and one event's list is short)."""
    needle = fold(search)
    return any(
        needle in fold(value)
        for value in (registration.full_name, registration.email, registration.institution)
    )


# --- Messages to attendees ------------------------------------------------------


@dataclass(frozen=True)
class SendOut:
    """One message an organiser sent to an event's people, and how far it has got."""

    batch: str
    subject: str
    #: A key of ``services.MESSAGE_RECIPIENTS``.
    recipients: str | None
    #: Who sent it (``None``: an account since removed).
    author: str | None
    created_at: datetime
    #: ``{"queued": n, "sent": n, "failed": n}``
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class FailedDelivery(NamedTuple):
    """A message of a send-out that could not be delivered."""

    name: str
    recipient: str
    error: str | None
    #: Whose message it was: their row on the attendee list offers to send it again.
    registration_id: int


def send_out_progress(event_id: int, batch: str | None = None) -> dict[str, dict[str, int]]:
    """How many messages of each send-out of the event are queued, sent and failed.

    :return: ``{batch: {"queued": n, "sent": n, "failed": n}}``, one send-out if ``batch`` is given
    """
    batch_key = OutboxMessage.context["batch"].as_string()
    query = (
        select(batch_key, OutboxMessage.status, func.count(OutboxMessage.id))
        .join(Registration, OutboxMessage.registration_id == Registration.id)
        .where(
            Registration.event_id == event_id,
            OutboxMessage.kind == MessageKind.ORGANISER_MESSAGE,
        )
        .group_by(batch_key, OutboxMessage.status)
    )
    if batch is not None:
        query = query.where(batch_key == batch)
    progress: dict[str, dict[str, int]] = {}
    for key, status, count in db.session.execute(query):
        counts = progress.setdefault(key, dict.fromkeys((d.value for d in DeliveryStatus), 0))
        counts[DeliveryStatus(status).value] = count
    return progress


def send_outs(event_id: int) -> list[SendOut]:
    """The event's send-outs, newest first, with their subject, author and progress.

    A send-out is its audit entry (``event.message``) and the messages of its batch.
    """
    progress = send_out_progress(event_id)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.event_id == event_id, AuditEntry.action == "event.message")
        .order_by(AuditEntry.id.desc())
    )
    return [
        SendOut(
            batch=entry.details["batch"],
            subject=entry.details.get("subject", ""),
            recipients=entry.details.get("recipients"),
            author=entry.account.email if entry.account else None,
            created_at=entry.created_at,
            counts=progress[entry.details["batch"]],
        )
        for entry in entries
        if entry.details.get("batch") in progress
    ]


def send_out(event_id: int, batch: str) -> SendOut | None:
    """One send-out of the event, or ``None`` if it has no such batch."""
    return next((found for found in send_outs(event_id) if found.batch == batch), None)


def failed_deliveries(event_id: int, batch: str) -> list[FailedDelivery]:
    """The messages of a send-out that could not be delivered: to whom, and why."""
    rows = db.session.execute(
        select(
            Registration.full_name,
            OutboxMessage.recipient,
            OutboxMessage.last_error,
            Registration.id,
        )
        .join(Registration, OutboxMessage.registration_id == Registration.id)
        .where(
            Registration.event_id == event_id,
            OutboxMessage.kind == MessageKind.ORGANISER_MESSAGE,
            OutboxMessage.status == DeliveryStatus.FAILED,
            OutboxMessage.context["batch"].as_string() == batch,
        )
        .order_by(OutboxMessage.id)
    )
    return [FailedDelivery(*row) for row in rows]


# --- Check-in at the door -------------------------------------------------------

#: How many days ahead the check-in page lists a city's events, besides today's.
DOOR_DAYS_AHEAD = 2


@dataclass(frozen=True)
class CheckInCard:
    """One confirmed (or not) person as the door sees them: who, and which days they came."""

    registration: Registration
    #: The day of the door: today in Warsaw.
    today: date
    #: The event's days, each with the time of the check-in or ``None``; only the days
    #: attended for an event longer than a sign-in sheet's week.
    days: list[tuple[date, datetime | None]]
    #: Today's check-in, or ``None``.
    checked_in_today: datetime | None

    @property
    def can_check_in(self) -> bool:
        return self.registration.status == RegistrationStatus.CONFIRMED

    @property
    def several_days(self) -> bool:
        return len(self.days) > 1


@dataclass(frozen=True)
class DoorList:
    """An event's confirmed people at the door, with today's count."""

    #: What was searched for, as it was used (trimmed, shortened), or "".
    search: str
    cards: list[CheckInCard]
    #: Confirmed people checked in today, and confirmed people (of everyone, searched or not).
    checked_in_today: int
    confirmed: int
    #: Whether today is one of the event's days (else a check-in asks to be confirmed).
    event_day: bool


def door_list(event: Event, search: str, today: date) -> DoorList:
    """The confirmed people of ``event`` by surname, those matching ``search`` if given
    (name, email or institution, without regard to case or Polish marks)."""
    confirmed = [r for r in exports.attendees(event.id) if r.status == RegistrationStatus.CONFIRMED]
    search = search.strip()[:SEARCH_LIMIT]
    shown = [r for r in confirmed if _matches(r, search)] if search else confirmed
    attended = _attendance_by_registration(event.id)
    days = services.event_days(event.starts_at, event.ends_at)
    return DoorList(
        search=search,
        cards=[
            _card(registration, today, days, attended.get(registration.id, {}))
            for registration in sorted(shown, key=by_surname)
        ],
        checked_in_today=sum(1 for r in confirmed if today in attended.get(r.id, {})),
        confirmed=len(confirmed),
        event_day=today in days,
    )


def check_in_card(registration: Registration, today: date) -> CheckInCard:
    """The card of one person, as the scanned ticket opens it."""
    event = registration.event
    attended = _attendance_by_registration(event.id, registration.id).get(registration.id, {})
    return _card(registration, today, services.event_days(event.starts_at, event.ends_at), attended)


def events_at_the_door(account: Account, today: date) -> list[Event]:
    """The published events the account manages that take place from ``today`` to
    ``DOOR_DAYS_AHEAD`` days later (in Warsaw), soonest first."""
    start = datetime.combine(today, time(0), tzinfo=WARSAW)
    end = datetime.combine(today + timedelta(days=DOOR_DAYS_AHEAD + 1), time(0), tzinfo=WARSAW)
    query = (
        managed_events(account)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.ends_at > start,
            Event.starts_at < end,
        )
        .order_by(Event.starts_at, Event.id)
    )
    return list(db.session.scalars(query))


def _card(
    registration: Registration,
    today: date,
    event_days: list[date],
    attended: dict[date, datetime],
) -> CheckInCard:
    shown_days = event_days if len(event_days) <= MAX_SIGNATURE_DAYS else sorted(attended)
    return CheckInCard(
        registration=registration,
        today=today,
        days=[(day, attended.get(day)) for day in shown_days],
        checked_in_today=attended.get(today),
    )


def _attendance_by_registration(
    event_id: int, registration_id: int | None = None
) -> dict[int, dict[date, datetime]]:
    """The check-ins of an event's people: ``{registration_id: {day: checked_in_at}}``."""
    query = (
        select(Attendance.registration_id, Attendance.day, Attendance.checked_in_at)
        .join(Registration, Attendance.registration_id == Registration.id)
        .where(Registration.event_id == event_id)
    )
    if registration_id is not None:
        query = query.where(Attendance.registration_id == registration_id)
    attended: dict[int, dict[date, datetime]] = {}
    for owner, day, checked_in_at in db.session.execute(query):
        attended.setdefault(owner, {})[day] = checked_in_at
    return attended
