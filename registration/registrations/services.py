"""Taking, giving back and passing on seats: every rule about a registration lives here.

The HTML views, the JSON API, the back office and the CLI all call these
functions. Each one that counts seats first locks the event (``lock_event``),
then counts in SQL, decides and writes, all in the caller's transaction, and
queues what the person must be told in that same transaction. Functions flush;
the caller commits once.

Why the lock makes capacity safe: every operation that adds a confirmed seat or
frees one takes the event's lock before counting, so for one event they run one
after another, and each sees the count left by the one before. On PostgreSQL
the lock is the event row's ``SELECT … FOR UPDATE``, held to commit; waiting
for it blocks, it does not fail, so nobody is turned away by contention. On
SQLite, which has no row locks, every writing transaction begins with ``BEGIN
IMMEDIATE`` (see ``registration.database``) and so holds the database's write
lock from its first statement; others wait their turn through the busy
timeout. The unique index on active registrations per event and email backs
the "one seat per person" rule in the database as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registration.database import utcnow
from registration.events.models import Event
from registration.extensions import db
from registration.notifications import outbox
from registration.notifications.models import MessageKind
from registration.registrations.models import (
    Category,
    Participant,
    Registration,
    RegistrationStatus,
    new_secret,
    normalise_email,
)

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")

#: The wording of the consent checkbox people agree to; bump it when the text changes.
CONSENT_VERSION = "2026-11"


class RegistrationError(Exception):
    """A rule said no. ``code`` names the rule for the API; ``message`` is for people."""

    code = "registration-error"
    message = _l("The registration could not be completed.")

    def __str__(self) -> str:
        return str(self.message)


class RegistrationClosed(RegistrationError):
    code = "registration-closed"
    message = _l("Registration for this event is closed.")


class EventFull(RegistrationError):
    code = "event-full"
    message = _l("This event is full and has no waitlist.")


class AlreadyRegistered(RegistrationError):
    """The address already holds a seat or a place; its manage link went to that address."""

    code = "already-registered"
    message = _l(
        "This email address is already registered for this event. "
        "We have sent the link to manage that registration to it."
    )


class ConsentMissing(RegistrationError):
    code = "consent-required"
    message = _l("Registration needs your consent to the processing of your data.")


class CancellationClosed(RegistrationError):
    code = "cancellation-closed"
    message = _l("This event has already started; the registration can no longer be cancelled.")


class CapacityBelowConfirmed(RegistrationError):
    code = "capacity-below-confirmed"
    message = _l("Capacity cannot be lower than the number of confirmed seats.")


@dataclass(frozen=True)
class Applicant:
    """What a person tells us when they register."""

    name: str
    email: str
    institution: str
    category: Category
    city: str
    consent: bool
    position: str | None = None
    needs: str | None = None
    language: str = "pl"


@dataclass(frozen=True)
class Availability:
    capacity: int
    confirmed: int
    waitlisted: int

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.confirmed, 0)


def lock_event(event_id: int) -> Event:
    """Take the event's seat lock for the rest of the transaction and reload the event.

    See the module docstring for why this serialises every seat change of one event.
    """
    return db.session.execute(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update(of=Event)
        .execution_options(populate_existing=True)
    ).scalar_one()


def register(event: Event, applicant: Applicant, *, now: datetime | None = None) -> Registration:
    """Give the applicant a seat, or a place on the waitlist.

    :raise ConsentMissing: the applicant did not consent
    :raise RegistrationClosed: the event is not published, or outside its window
    :raise EventFull: no seat left and no waitlist
    :raise AlreadyRegistered: the address already holds a seat or place; the
        manage link of that registration is queued to the address, so the
        caller should commit
    """
    now = now or utcnow()
    if not applicant.consent:
        raise ConsentMissing
    event = lock_event(event.id)
    if not event.registration_open(now):
        raise RegistrationClosed
    email = normalise_email(applicant.email)
    existing = _active_registration(event.id, email)
    if existing is not None:
        outbox.enqueue(MessageKind.ALREADY_REGISTERED, existing)
        raise AlreadyRegistered
    # A seat freed without promotion (say, a capacity edited in the database)
    # belongs to the first person in line, not to the newcomer.
    _promote_waitlist(event, now=now)
    if _count(event.id, RegistrationStatus.CONFIRMED) < event.capacity:
        status = RegistrationStatus.CONFIRMED
    elif event.waitlist:
        status = RegistrationStatus.WAITLISTED
    else:
        raise EventFull
    participant = _participant_for(email, applicant)
    registration = Registration(
        event=event,
        participant=participant,
        full_name=applicant.name.strip(),
        email=email,
        institution=applicant.institution.strip(),
        position=_blank_to_none(applicant.position),
        category=applicant.category,
        city=applicant.city.strip(),
        needs=_blank_to_none(applicant.needs),
        consent_at=now,
        consent_version=CONSENT_VERSION,
        status=status,
        created_at=now,
    )
    db.session.add(registration)
    db.session.flush()
    if status == RegistrationStatus.CONFIRMED:
        outbox.enqueue(MessageKind.CONFIRMED, registration)
    else:
        outbox.enqueue(
            MessageKind.WAITLISTED, registration, position=waitlist_position(registration)
        )
    return registration


def cancel(registration: Registration, *, now: datetime | None = None) -> Registration:
    """Give up a seat or a place in line; the freed seat goes to the first in line.

    Cancelling a cancelled registration changes nothing and tells nobody.

    :raise CancellationClosed: the event has started
    """
    now = now or utcnow()
    event = lock_event(registration.event_id)
    db.session.refresh(registration)  # Race condition: another request may have cancelled it.
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    if event.has_started(now):
        raise CancellationClosed
    held_seat = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    db.session.flush()
    outbox.enqueue(MessageKind.CANCELLED, registration)
    if held_seat:
        _promote_waitlist(event, now=now)
    return registration


def change_capacity(
    event: Event, capacity: int, *, now: datetime | None = None
) -> list[Registration]:
    """Set the number of seats; added seats go to the waitlist, oldest first.

    :return: the registrations promoted from the waitlist
    :raise CapacityBelowConfirmed: fewer seats than people already confirmed
    """
    event = lock_event(event.id)
    if capacity < _count(event.id, RegistrationStatus.CONFIRMED):
        raise CapacityBelowConfirmed
    event.capacity = capacity
    db.session.flush()
    return _promote_waitlist(event, now=now or utcnow())


def _promote_waitlist(event: Event, *, now: datetime) -> list[Registration]:
    """Confirm the earliest waitlisted registrations while seats are free (lock held)."""
    free = event.capacity - _count(event.id, RegistrationStatus.CONFIRMED)
    if free <= 0:
        return []
    promoted = list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.id)
            .limit(free)
        )
    )
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
    db.session.flush()
    for registration in promoted:
        outbox.enqueue(MessageKind.PROMOTED, registration)
    return promoted


def waitlist_position(registration: Registration) -> int | None:
    """Place in line: 1 is promoted next. ``None`` unless waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.id <= registration.id,
        )
    )


def availability(event_ids: list[int]) -> dict[int, Availability]:
    """Seats and waitlist of several events in one query (for lists, feeds, the API)."""
    if not event_ids:
        return {}
    confirmed = func.count(Registration.id).filter(
        Registration.status == RegistrationStatus.CONFIRMED
    )
    waitlisted = func.count(Registration.id).filter(
        Registration.status == RegistrationStatus.WAITLISTED
    )
    rows = db.session.execute(
        select(Event.id, Event.capacity, confirmed, waitlisted)
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(Event.id.in_(event_ids))
        .group_by(Event.id, Event.capacity)
    )
    return {row[0]: Availability(row[1], row[2], row[3]) for row in rows}


def find_by_token(token: str) -> Registration | None:
    """The registration behind a manage link, or ``None`` for any other string."""
    # Only what new_secret() can produce reaches the database (PostgreSQL rejects NUL bytes).
    if not _TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return db.session.scalar(select(Registration).where(Registration.token == token))


def _active_registration(event_id: int, email: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.email == email,
            Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)),
        )
    )


def _count(event_id: int, status: RegistrationStatus) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event_id, Registration.status == status
        )
    )


def _participant_for(email: str, applicant: Applicant) -> Participant:
    """The participant with this address, created if new; their name and language updated.

    Two first registrations of one address for different events may race; the
    insert ignores a conflict instead of failing, and both then read the same row.
    """
    insert = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    db.session.execute(
        insert(Participant)
        .values(
            email=email,
            name=applicant.name.strip(),
            language=applicant.language,
            feed_token=new_secret(),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["email"])
    )
    participant = db.session.scalars(
        select(Participant)
        .where(Participant.email == email)
        .execution_options(populate_existing=True)
    ).one()
    participant.name = applicant.name.strip()
    participant.language = applicant.language
    return participant


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
