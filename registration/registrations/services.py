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
lock from its first statement; others wait for it in SQLite's busy handler.
The unique index on active registrations per event and email backs
the "one seat per person" rule in the database as well.

The database keeps each event's confirmed and waitlisted counts on the event
row (triggers, migration 0006), so every change to a registration also
updates its event's row and waits for that event's lock. Code that changes
registrations of several events in one transaction must lock the events in
the order of their ids, or two such transactions could deadlock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, NoReturn

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import bindparam, case, delete, func, select, update

from registration.accounts.services import record
from registration.caching import lru_memo
from registration.database import utcnow
from registration.email_addresses import normalise_email
from registration.events.models import (
    ALLOCATION_RELEASE_BEFORE,
    City,
    CityAllocation,
    Event,
    EventStatus,
)
from registration.extensions import db
from registration.i18n import WARSAW, fold, polish_sort_key
from registration.notifications import outbox
from registration.notifications.models import MessageKind, OutboxMessage
from registration.observability.metrics import counts_registrations
from registration.registrations import statements
from registration.registrations.coalition import OTHER_CITY, SeatPlan, institution_key
from registration.registrations.errors import (
    AllocationsReleased,
    AllocationsTooLarge,
    AlreadyCheckedIn,
    AlreadyOnList,
    AlreadyRegistered,
    CancellationClosed,
    CapacityBelowConfirmed,
    CheckInRefused,
    ConsentMissing,
    DetailsClosed,
    EventFull,
    EventNotFound,
    InstitutionCapReached,
    NobodyWaiting,
    NoRecipients,
    NoSeatFree,
    NotAnEventDay,
    NotConfirmed,
    NotPending,
    NotWaitlisted,
    RecipientsChanged,
    RegistrationClosed,
    SeatsClosed,
    UnknownHomeCity,
)

# Callers catch every refusal by its name here; the base is raised by none of these functions.
from registration.registrations.errors import RegistrationError as RegistrationError
from registration.registrations.models import (
    ACTIVE_STATUSES,
    PLACE_STATUSES,
    Attendance,
    Category,
    Registration,
    RegistrationStatus,
)
from registration.registrations.statements import LockedEvent
from registration.tokens import looks_like_secret, new_secret

if TYPE_CHECKING:
    from registration.accounts.models import Account

#: How long a repeated registration stays silent after mailing the manage link once.
MANAGE_LINK_QUIET_PERIOD = timedelta(hours=1)

#: How long a manage link asked for again (the lost-link page) stays the last one sent:
#: more requests in that time send nothing, so that nobody can flood a person's inbox.
LOST_LINK_QUIET_PERIOD = timedelta(minutes=10)

#: The wording of the consent checkbox people agree to, with the information clause
#: beside it; bump it when either changes (docs/privacy.md lists each version).
#: 2026-12: the event's own controller is named, and the clause is shown beside it.
CONSENT_VERSION = "2026-12"


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
    #: A coalition city's slug, or ``coalition.OTHER_CITY``; ``None``: the coalition city
    #: that ``city`` names, if any (``home_city_id``).
    home_city: str | None = None


@dataclass(frozen=True)
class Details:
    """What a registered person may correct: everything they told us but the address
    (which is who the registration belongs to), the category and the city."""

    name: str
    institution: str
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

    @property
    def seats_for_newcomers(self) -> int:
        """Seats a new registration could take now: a free seat goes to the people waiting
        first (``_seat_or_place``), so only what is left after the whole line."""
        return max(self.capacity - self.confirmed - self.waitlisted, 0)


_LOCK_EVENT = (
    select(Event)
    .where(Event.id == bindparam("event_id"))
    .with_for_update(of=Event)
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True)
class NewRegistration:
    """A registration just written, as its maker is answered: the page redirects to its
    manage link, the API returns these. Not an ORM object: nothing loads it, and a
    commit does not expire it. ``db.session.get(Registration, id)`` gives the whole row.
    """

    id: int
    event_id: int
    status: RegistrationStatus
    token: str


@dataclass(frozen=True)
class Registered:
    """What registering gave a person: the registration, and their place in line if waitlisted."""

    registration: NewRegistration
    waitlist_position: int | None


def lock_event(event_id: int) -> Event:
    """Take the event's seat lock for the rest of the transaction and reload the event.

    See the module docstring for why this serialises every seat change of one event.

    :raise EventNotFound: there is no such event
    """
    event = db.session.execute(_LOCK_EVENT, {"event_id": event_id}).scalar_one_or_none()
    if event is None:
        raise EventNotFound
    return event


@counts_registrations  # koalicja_registrations_total, once the caller's transaction commits
def register(event_id: int, applicant: Applicant, *, now: datetime | None = None) -> Registered:
    """Give the applicant a seat, or a place on the waitlist.

    Everything between taking the lock and the caller's commit makes others
    wait, so it is kept to a few statements, each built once: the lock (which
    also reads the event and its seat counts), then the writes, which first
    make sure the address holds no seat or place here yet (on PostgreSQL all
    in one statement, see ``statements.insert_registration``).

    :raise ConsentMissing: the applicant did not consent
    :raise EventNotFound: no such event, or a draft
    :raise RegistrationClosed: the event is not published, or outside its window
    :raise EventFull: no seat left and no waitlist, also for an address that holds
        one (its manage link is queued to it, so the caller should commit)
    :raise AlreadyRegistered: the address already holds a seat or place; the
        manage link of that registration is queued to the address, so the
        caller should commit
    """
    if not applicant.consent:
        raise ConsentMissing
    registration = _new_registration(event_id, applicant)  # before the lock: others wait in it
    event, seats = _lock_and_count(event_id)
    if event.status == EventStatus.DRAFT:
        raise EventNotFound
    # The clock is read once the lock is ours: the window is judged, and
    # created_at written, in the order in which people get their turn.
    now = now or utcnow()
    if not event.registration_open(now):
        raise RegistrationClosed
    try:
        return _seat_or_place(event, registration, seats, now=now)
    except _HeldAtFullEvent as held:
        # Everybody hears that a full event is full, whether or not the address holds
        # a seat: a different answer would tell a stranger who registered (invariant
        # 6). The holder gets their manage link by email.
        _send_manage_link_again(held.registration_id, now=now)
        raise EventFull from None
    except statements.AddressHeld as held:
        _send_manage_link_again(held.registration_id, now=now)
        raise AlreadyRegistered from None
    except EventFull:
        # The same question as for a holder, so that neither does the time the answer
        # takes tell who registered.
        _manage_link_sent_recently(0, now=now)
        raise


class _HeldAtFullEvent(statements.AddressHeld):
    """The address holds a seat at an event that is full and has no waitlist."""


def _new_registration(event_id: int, applicant: Applicant) -> dict:
    """The columns of the registration the applicant asks for, all but its status and
    times (``statements.REGISTRATION_COLUMNS``).

    :raise UnknownHomeCity: ``applicant.home_city`` is no coalition city's slug
    """
    home_city = _home_city(applicant.home_city, applicant.city)
    return {
        "home_city_id": home_city.id if home_city else None,
        "institution_key": institution_key(applicant.institution),
        "waitlisted_at": None,
        "event_id": event_id,
        "full_name": applicant.name.strip(),
        "email": normalise_email(applicant.email),
        "institution": applicant.institution.strip(),
        "position": _blank_to_none(applicant.position),
        "category": applicant.category,
        # A coalition city chosen from the list names the city where none was typed.
        "city": applicant.city.strip() or (home_city.name if home_city else ""),
        "needs": _blank_to_none(applicant.needs),
        "consent_version": CONSENT_VERSION,
        "token": new_secret(),
        "check_in_code": new_secret(),
        "language": applicant.language,
    }


def _seat_or_place(
    event: LockedEvent,
    registration: dict,
    seats: Availability,
    *,
    now: datetime,
    approved: bool = False,
) -> Registered:
    """With the event locked and ``seats`` counted under the lock: decide, write, tell.

    The whole rule, in order: one institution takes no more than the event's cap; at an
    event with approval the request waits for an organiser and holds no seat; else a
    free seat goes to the people waiting first, then to the newcomer if one is free for
    their home city (``coalition.SeatPlan``, while the city allocations hold), else
    the newcomer joins the waitlist, or is turned away when there is none.

    :param approved: an organiser adds the person, which approves them at an event with
        approval
    :raise InstitutionCapReached: the applicant's institution has reached the cap
    :raise EventFull: no seat left and no waitlist
    :raise statements.AddressHeld: the address already holds a seat or a place here
    """
    if event.institution_cap is not None:
        # A repeat registration is refused as such, not as one too many.
        statements.refuse_if_held(db.session.connection(), event.id, registration["email"])
        _check_institution_cap(event, registration["institution_key"])
    if event.approval and not approved:
        return _request(event, registration, seats, now=now)
    plan = _seat_plan(event, now)
    if seats.waitlisted and _seat_free_for_someone_waiting(event.id, plan, seats):
        # A seat freed without promotion (say, a capacity edited in the database, or
        # the allocations' release time passing) belongs to the people in line first.
        # A repeat registration is refused first: a refusal changes nothing.
        statements.refuse_if_held(db.session.connection(), event.id, registration["email"])
        if _promote_waitlist(event, now=now):
            seats = _seats(event.id)
            plan = _seat_plan(event, now)
    if plan is None:
        seat_free = seats.confirmed < event.capacity
    else:
        seat_free = plan.seat_free_for(registration["home_city_id"])
    if seat_free:
        status, position = RegistrationStatus.CONFIRMED, None
    elif event.waitlist:
        status, position = RegistrationStatus.WAITLISTED, seats.waitlisted + 1
    else:
        _refuse_at_full_event(event, registration)
    registration = {**registration, "status": status, "consent_at": now, "created_at": now}
    if status == RegistrationStatus.CONFIRMED:
        registration_id = _insert(registration, MessageKind.CONFIRMED, {})
    else:
        registration["waitlisted_at"] = now
        registration_id = _insert(registration, MessageKind.WAITLISTED, {"position": position})
    new = NewRegistration(registration_id, event.id, status, registration["token"])
    return Registered(new, position)


def _request(
    event: LockedEvent, registration: dict, seats: Availability, *, now: datetime
) -> Registered:
    """At an event with approval: write a pending request, which holds no seat.

    :raise EventFull: no seat left and no waitlist, so approving could give nothing
    """
    if seats.confirmed >= event.capacity and not event.waitlist:
        _refuse_at_full_event(event, registration)
    registration = {
        **registration,
        "status": RegistrationStatus.PENDING,
        "consent_at": now,
        "created_at": now,
    }
    registration_id = _insert(registration, MessageKind.PENDING, {})
    new = NewRegistration(
        registration_id, event.id, RegistrationStatus.PENDING, registration["token"]
    )
    return Registered(new, None)


def _refuse_at_full_event(event: LockedEvent, registration: dict) -> NoReturn:
    """A holder is refused as such, so that nothing is written and ``register`` can
    mail them their manage link (an organiser adding them hears it too).

    :raise EventFull: always, or its ``_HeldAtFullEvent`` for a holder
    """
    try:
        statements.refuse_if_held(db.session.connection(), event.id, registration["email"])
    except statements.AddressHeld as held:
        raise _HeldAtFullEvent(held.registration_id) from None
    raise EventFull


def _check_institution_cap(event: LockedEvent | Event, key: str | None) -> None:
    """:raise InstitutionCapReached: the institution holds ``institution_cap`` active
    registrations at the event already"""
    if event.institution_cap is None or not key:
        return
    taken = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.institution_key == key,
            Registration.status.in_(ACTIVE_STATUSES),
        )
    )
    if taken >= event.institution_cap:
        raise InstitutionCapReached


def _home_city(home_city: str | None, city: str) -> _CoalitionCity | None:
    """The coalition city a registrant works for: the one whose slug they chose, or, when
    they chose none, the one that the city they typed names; ``None``: another city.

    :raise UnknownHomeCity: ``home_city`` is neither a coalition city's slug nor ``other``
    """
    if home_city == OTHER_CITY:
        return None
    cities = _coalition_cities()
    if home_city is not None:
        chosen = next((each for each in cities if each.slug == home_city), None)
        if chosen is None:
            raise UnknownHomeCity
        return chosen
    typed = fold(city)
    return next((each for each in cities if each.folded_name == typed), None)


@dataclass(frozen=True)
class _CoalitionCity:
    id: int
    slug: str
    name: str
    folded_name: str


def _coalition_cities() -> tuple[_CoalitionCity, ...]:
    """The seven cities, read once per worker: migration 0002 made them, and nothing in
    the service adds, renames or removes a coalition city. Registering then asks the
    database nothing more than before home cities."""
    memo = lru_memo(current_app, "registration.coalition_cities", maxsize=1)
    cities = memo.get("all")
    if cities is None:
        cities = tuple(
            _CoalitionCity(each.id, each.slug, each.name, fold(each.name))
            for each in db.session.scalars(select(City).where(City.coalition))
        )
        memo.put("all", cities)
    return cities


def cancel(registration: Registration, *, now: datetime | None = None) -> Registration:
    """Give up a seat or a place in line; the freed seat goes to the first in line.

    Cancelling a cancelled registration, or a rejected request, changes nothing and
    tells nobody.

    :raise CancellationClosed: the event has started
    """
    event = lock_event(registration.event_id)
    now = now or utcnow()
    db.session.refresh(registration)  # Race condition: another request may have cancelled it.
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
        return registration  # a declined request holds nothing to give up
    if event.has_started(now):
        raise CancellationClosed
    held_seat = registration.status == RegistrationStatus.CONFIRMED
    withdrew_request = registration.status == RegistrationStatus.PENDING
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    db.session.flush()
    outbox.enqueue(
        MessageKind.CANCELLED,
        registration,
        held_seat=held_seat,
        **({"withdrew_request": True} if withdrew_request else {}),
    )
    if held_seat and not event.is_cancelled:  # nobody takes a seat at a cancelled event
        # While the city allocations hold, a seat freed inside a city's allocation goes
        # to the first person waiting from that city (``_promote_waitlist``).
        _promote_waitlist(event, now=now)
    return registration


def change_details(
    registration: Registration, details: Details, *, now: datetime | None = None
) -> Registration:
    """Correct what the person told us: name, institution, position, needs and the
    language of their emails. Nothing else changes, and no seat is involved.

    Only this registration changes: the participant's name and language, which the
    person's other registrations share, stay as they are, because whoever holds one
    manage link may be somebody who typed another person's address (invariant 6).

    :raise DetailsClosed: the registration is cancelled, or the event is over or cancelled
    """
    now = now or utcnow()
    db.session.refresh(registration)  # Race condition: it may have been cancelled meanwhile.
    if not details_open(registration, now=now):
        raise DetailsClosed
    registration.full_name = details.name.strip()
    registration.institution = details.institution.strip()
    registration.position = _blank_to_none(details.position)
    registration.needs = _blank_to_none(details.needs)
    registration.language = details.language
    db.session.flush()
    return registration


def cancel_open(registration: Registration, *, now: datetime) -> bool:
    """Whether the manage page offers to cancel: an active registration, before the start
    (``cancel`` refuses after it) of an event that still takes place."""
    event = registration.event
    return registration.is_active and not event.has_started(now) and not event.is_cancelled


def details_open(registration: Registration, *, now: datetime) -> bool:
    """Whether the person may still correct their details: while the registration is
    active and the event, published, has not ended."""
    return registration.is_active and registration.event.seats_open(now)


def waitlist_moves_until(event: Event) -> datetime:
    """Until when a waitlisted person may still get a seat: the event's start.

    The line moves when someone cancels, and ``cancel`` refuses once the event
    has started; after that a seat would come only from an organiser's hand,
    which nobody should wait for.
    """
    return event.starts_at


def send_manage_link(event_id: int, email: str, *, now: datetime | None = None) -> None:
    """Mail the manage link of the address's registration for the event, if it has one.

    The caller answers the same whatever happens here: whether an address is
    registered is nobody's business but the address's owner's, who gets the email
    (invariant 6). So the unknown address asks the same questions as a known one,
    and neither answer nor time says which it was. The link goes at most once per
    ``LOST_LINK_QUIET_PERIOD``, so the page cannot flood anybody's inbox.

    The registration is the active one, or else the latest: a cancelled one shows
    its state and the way to register again.
    """
    now = now or utcnow()
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.event_id == event_id, Registration.email == normalise_email(email))
        .order_by(
            case((Registration.status == RegistrationStatus.CANCELLED, 1), else_=0),
            Registration.id.desc(),
        )
        .limit(1)
    )
    registration_id = registration.id if registration is not None else 0
    sent_recently = _sent_recently(
        registration_id, MessageKind.MANAGE_LINK, LOST_LINK_QUIET_PERIOD, now=now
    )
    if registration is not None and not sent_recently:
        outbox.enqueue(MessageKind.MANAGE_LINK, registration)


def change_capacity(
    event: Event, capacity: int, *, now: datetime | None = None
) -> list[Registration]:
    """Set the number of seats; added seats go to the waitlist, oldest first.

    :return: the registrations promoted from the waitlist
    :raise CapacityBelowConfirmed: fewer seats than people already confirmed
    """
    event = lock_event(event.id)
    now = now or utcnow()
    if capacity < _count(event.id, RegistrationStatus.CONFIRMED):
        raise CapacityBelowConfirmed
    if _seat_plan(event, now) is not None and capacity < event.allocated_seats:
        raise AllocationsTooLarge
    event.capacity = capacity
    db.session.flush()
    return _promote_waitlist(event, now=now)


def change_allocations(
    event: Event,
    allocations: dict[int, int],
    *,
    release_at: datetime | None,
    now: datetime | None = None,
) -> list[Registration]:
    """Keep seats for coalition cities until ``release_at`` (``None``: a week before the
    start); seats no longer kept go to the people waiting, by the rules.

    :param allocations: seats per coalition city id; a city with 0 keeps none
    :return: the registrations promoted from the waitlist
    :raise AllocationsTooLarge: more seats kept than the event has
    :raise AllocationsReleased: the allocations were released already, and this
        changes them
    """
    event = lock_event(event.id)
    now = now or utcnow()
    wanted = {city_id: seats for city_id, seats in allocations.items() if seats > 0}
    current = {allocation.city_id: allocation.seats for allocation in event.allocations}
    if event.allocations_released_at is not None:
        if wanted != current or release_at != event.allocation_release_at:
            raise AllocationsReleased
        return []
    if sum(wanted.values()) > event.capacity:
        raise AllocationsTooLarge
    event.keep_seats_for_cities(wanted)
    event.allocation_release_at = release_at
    db.session.flush()
    return _promote_waitlist(event, now=now)


def release_due_allocations(*, now: datetime | None = None) -> list[int]:
    """Release the city allocations whose time has come: their unused seats join the
    common pool and go to the people waiting, in order, each event in its own
    transaction (``flask --app wsgi events release-allocations``, and the mail worker's
    loop). Idempotent.

    :return: the ids of the events whose allocations were released
    """
    now = now or utcnow()
    candidates = db.session.execute(
        select(Event.id, Event.starts_at, Event.allocation_release_at)
        .where(
            Event.allocations_released_at.is_(None),
            select(CityAllocation.event_id).where(CityAllocation.event_id == Event.id).exists(),
        )
        .order_by(Event.id)
    ).all()
    db.session.rollback()
    released = []
    for event_id, starts_at, release_at in candidates:
        if now < (release_at or starts_at - ALLOCATION_RELEASE_BEFORE):
            continue
        event = lock_event(event_id)
        if event.allocations_released_at is None:
            if _seat_plan(event, now) is None and event.is_published:
                _promote_waitlist(event, now=now)
            released.append(event_id)
        db.session.commit()
    return released


def approve(
    registration: Registration, *, account: Account | None, now: datetime | None = None
) -> Registration:
    """Accept a pending request: a seat if one is free for the person by the rules, else
    a place on the waitlist, in their place of arrival. The person is told either way.

    :raise NotPending: the registration waits for no decision
    :raise SeatsClosed: the event is not published, or it has ended
    :raise NoSeatFree: no seat is free for the person and the event has no waitlist;
        the request stays pending
    """
    event = lock_event(registration.event_id)
    now = now or utcnow()
    db.session.refresh(registration)  # Race condition: it may have been decided or withdrawn.
    if registration.status != RegistrationStatus.PENDING:
        raise NotPending
    _check_seats_open(event, now)
    if event.waitlist:
        # In line by arrival, then a seat if the rules give one: as for everyone waiting.
        registration.status = RegistrationStatus.WAITLISTED
        db.session.flush()
        _promote_waitlist(event, now=now, quietly=registration)
    else:
        plan = _seat_plan(event, now)
        if plan is None:
            seat_free = _count(event.id, RegistrationStatus.CONFIRMED) < event.capacity
        else:
            seat_free = plan.seat_free_for(registration.home_city_id)
        if not seat_free:
            raise NoSeatFree
        registration.status = RegistrationStatus.CONFIRMED
    registration.decided_at = now
    if registration.status == RegistrationStatus.CONFIRMED:
        registration.promoted_at = None
        db.session.flush()
        outbox.enqueue(MessageKind.CONFIRMED, registration, approved=True)
    else:
        registration.waitlisted_at = now
        db.session.flush()
        outbox.enqueue(
            MessageKind.WAITLISTED,
            registration,
            approved=True,
            position=waitlist_position(registration),
        )
    record(
        account,
        "registration.approve",
        event=event,
        registration=registration,
        status=registration.status.value,
    )
    return registration


@dataclass
class Decided:
    """What deciding on several requests did."""

    confirmed: int = 0
    waitlisted: int = 0
    rejected: int = 0
    #: Why some were left as they were, one message each.
    refused: list[str] = field(default_factory=list)


def decide(
    event: Event,
    registration_ids: list[int],
    decision,
    *,
    account: Account | None,
    now: datetime | None = None,
) -> Decided:
    """Approve (``decision=approve``) or reject (``reject``) several requests of one event
    at once, in order of arrival, in the caller's transaction; one that cannot be decided
    (no longer pending, no seat and no waitlist) is left as it is and said why.
    """
    lock_event(event.id)
    requests = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.id.in_(registration_ids))
        .order_by(Registration.id)
    )
    outcome = Decided()
    for registration in requests:
        try:
            decision(registration, account=account, now=now)
        except RegistrationError as refused:
            outcome.refused.append(str(refused.message))
            continue
        if registration.status == RegistrationStatus.CONFIRMED:
            outcome.confirmed += 1
        elif registration.status == RegistrationStatus.WAITLISTED:
            outcome.waitlisted += 1
        else:
            outcome.rejected += 1
    return outcome


def reject(
    registration: Registration, *, account: Account | None, now: datetime | None = None
) -> Registration:
    """Decline a pending request; it held no seat, so nothing frees. The person is told.

    :raise NotPending: the registration waits for no decision
    """
    event = lock_event(registration.event_id)
    now = now or utcnow()
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.PENDING:
        raise NotPending
    registration.status = RegistrationStatus.REJECTED
    registration.decided_at = now
    db.session.flush()
    outbox.enqueue(MessageKind.REJECTED, registration)
    record(account, "registration.reject", event=event, registration=registration)
    return registration


def _promote_waitlist(
    event: Event | LockedEvent,
    *,
    now: datetime,
    quietly: Registration | None = None,
    passing_over: Registration | None = None,
) -> list[Registration]:
    """Confirm waitlisted registrations while seats are free (lock held), and tell them.

    In order of arrival; while the city allocations hold, each person waiting gets a
    seat only if one is free for their home city (``coalition.SeatPlan.choose``), so a
    seat freed inside a city's allocation goes to the first person waiting from that
    city, and stays kept for that city when nobody from it waits.

    :param quietly: a registration not to send the "promoted" email to (its caller
        tells the person in its own words)
    :param passing_over: a registration that stays waiting whatever its place (its seat
        was just given up, by an organiser's move)
    :return: the registrations promoted
    """
    plan = _seat_plan(event, now)
    waiting = _WAITING.where(Registration.event_id == event.id)
    if passing_over is not None:
        waiting = waiting.where(Registration.id != passing_over.id)
    if plan is None:
        free = event.capacity - _count(event.id, RegistrationStatus.CONFIRMED)
        if free <= 0:
            return []
        chosen = list(db.session.scalars(waiting.with_only_columns(Registration.id).limit(free)))
    else:
        if not plan.any_seat_free():
            return []
        in_line = db.session.execute(
            waiting.with_only_columns(Registration.id, Registration.home_city_id)
        )
        chosen = plan.choose(in_line.all())
    if not chosen:
        return []
    promoted = list(
        db.session.scalars(
            select(Registration).where(Registration.id.in_(chosen)).order_by(Registration.id)
        )
    )
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = now
    db.session.flush()
    for registration in promoted:
        if registration is not quietly:
            outbox.enqueue(MessageKind.PROMOTED, registration)
    return promoted


_WAITING = (
    select(Registration)
    .where(Registration.status == RegistrationStatus.WAITLISTED)
    .order_by(Registration.id)
)


def _seat_plan(event: Event | LockedEvent, now: datetime) -> SeatPlan | None:
    """The event's seats under its city allocations, while they hold (lock held);
    ``None`` when it has none or they have been released.

    Once the release time has passed, the first seat operation releases them (the
    periodic job ``release_due_allocations`` does it too, within minutes), so that
    nobody is turned away from a seat that is no longer kept.

    """
    if event.allocations_released_at is not None or not event.allocated_seats:
        return None
    allocations = dict(
        db.session.execute(
            select(CityAllocation.city_id, CityAllocation.seats).where(
                CityAllocation.event_id == event.id
            )
        ).all()
    )
    if not allocations:
        return None
    release = event.allocation_release_at or event.starts_at - ALLOCATION_RELEASE_BEFORE
    if now >= release:
        _mark_released(event.id, now)
        return None
    confirmed = dict(
        db.session.execute(
            select(Registration.home_city_id, func.count(Registration.id))
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .group_by(Registration.home_city_id)
        ).all()
    )
    return SeatPlan(event.capacity, allocations, confirmed)


def _seat_free_for_someone_waiting(
    event_id: int, plan: SeatPlan | None, seats: Availability
) -> bool:
    """Whether a free seat could go to somebody in line (lock held).

    While the allocations hold, a city's kept seat is free for nobody waiting unless
    somebody from that city waits: one indexed question, not the whole line read into
    Python for every registration, which made the time under the lock grow with the
    line whenever a city had not used its allocation (docs/concurrency.md).
    """
    if plan is None:
        return seats.confirmed < seats.capacity
    if not plan.any_seat_free():
        return False
    if plan.common_left:
        return True
    cities = [city_id for city_id in plan.allocations if plan.allocation_left(city_id)]
    return (
        db.session.scalar(
            _WAITING.with_only_columns(Registration.id)
            .where(Registration.event_id == event_id, Registration.home_city_id.in_(cities))
            .limit(1)
        )
        is not None
    )


def _mark_released(event_id: int, now: datetime) -> None:
    """Record that the event's allocations joined the common pool (lock held); once."""
    released = db.session.execute(
        update(Event)
        .where(Event.id == event_id, Event.allocations_released_at.is_(None))
        .values(allocations_released_at=now)
    )
    if released.rowcount:
        record(None, "event.allocations_released", event=db.session.get(Event, event_id))


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
    """Seats and waitlist of several events in one query (for lists, feeds, the API).

    The counts are the ones the database keeps on each event row (migration 0006).
    """
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Event.id, Event.capacity, Event.confirmed_count, Event.waitlisted_count).where(
            Event.id.in_(event_ids)
        )
    )
    return {row[0]: Availability(row[1], row[2], row[3]) for row in rows}


@dataclass(frozen=True)
class CityShare:
    """One coalition city's part of an event's seats while allocations hold."""

    city: City
    seats: int
    confirmed: int
    waiting: int

    @property
    def left(self) -> int:
        return max(self.seats - self.confirmed, 0)


@dataclass(frozen=True)
class AllocationState:
    """An event's city allocations as people and organisers see them."""

    release: datetime
    released: bool
    shares: list[CityShare]
    #: Seats kept for no city, and those of them free (while the allocations hold).
    common_pool: int
    common_left: int


def allocation_state(event: Event, *, now: datetime) -> AllocationState | None:
    """Every city's allocation, use and waiting line, and the common pool; ``None``: the
    event keeps no seats for cities. Read without the lock: a picture, not a decision."""
    if not event.allocations:
        return None
    rows = db.session.execute(
        select(Registration.home_city_id, Registration.status, func.count(Registration.id))
        .where(
            Registration.event_id == event.id,
            Registration.status.in_(PLACE_STATUSES),
        )
        .group_by(Registration.home_city_id, Registration.status)
    ).all()
    confirmed = {city: count for city, status, count in rows if status == "confirmed"}
    waiting = {city: count for city, status, count in rows if status == "waitlisted"}
    plan = SeatPlan(
        event.capacity, {each.city_id: each.seats for each in event.allocations}, confirmed
    )
    released = event.allocations_released_at is not None or now >= event.allocations_release
    shares = [
        CityShare(
            each.city,
            each.seats,
            confirmed.get(each.city_id, 0),
            waiting.get(each.city_id, 0),
        )
        for each in sorted(event.allocations, key=lambda each: polish_sort_key(each.city.name))
    ]
    return AllocationState(
        event.allocations_release, released, shares, plan.common_pool, plan.common_left
    )


def find_by_token(token: str) -> Registration | None:
    """The registration behind a manage link, or ``None`` for any other string."""
    if not looks_like_secret(token):
        return None
    # An anonymised registration's token is a fresh secret, and leads nowhere all the same.
    return db.session.scalar(
        select(Registration).where(
            Registration.token == token, Registration.anonymised_at.is_(None)
        )
    )


def find_by_check_in_code(code: str) -> Registration | None:
    """The registration whose ticket carries ``code``, or ``None`` for any other string.

    Only for organisers checking people in: the code is printed on the ticket, so
    it must never lead anyone else to the registration (docs/registrations.md, pages).
    """
    if not looks_like_secret(code):
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.check_in_code == code, Registration.anonymised_at.is_(None)
        )
    )


# --- The personal calendar's address ----------------------------------------------
#
# A person's feed lists all their registrations, so its address belongs to the
# address as a whole: it travels only by email to that address (invariant 6),
# never on a page that one registration's token opens. Every email to the person
# also carries a link to replace it (say, after sharing it by mistake). That link
# names the registration the email was about and the feed address it was sent
# with, signed with the application's key: a secret of its own, so that neither
# the feed's address nor a manage link can replace the feed. Once the address is
# replaced, the links sent with the old one stop working, and the email with the
# new address brings a new link; any email since then works.

_FEED_REPLACEMENT = "personal-feed-replacement"


def feed_replacement_key(registration: Registration) -> str:
    """The secret part of the "new calendar address" link in emails about ``registration``."""
    return _feed_replacement_signer().dumps(
        [registration.id, _feed_fingerprint(registration.participant.feed_token)]
    )


def find_by_feed_replacement_key(key: str) -> Registration | None:
    """The registration whose email carried ``key``, while the feed address it was sent
    with is still the person's; ``None`` for anything else."""
    try:
        registration_id, fingerprint = _feed_replacement_signer().loads(key)
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(registration_id, int) or isinstance(registration_id, bool):
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None or not isinstance(fingerprint, str):
        return None
    if not hmac.compare_digest(_feed_fingerprint(registration.participant.feed_token), fingerprint):
        return None  # replaced since that email was sent
    return registration


def replace_personal_feed(registration: Registration, *, language: str) -> None:
    """Give the person a new personal feed address; the old one stops working at once.

    The new address goes by email to the person, in ``language`` (the one the page
    was read in); nothing else stored for the person changes.
    """
    registration.participant.feed_token = new_secret()
    db.session.flush()
    outbox.enqueue(MessageKind.FEED_REPLACED, registration, language=language)


def _feed_fingerprint(feed_token: str) -> str:
    """A short digest of the feed's address: it ties a link to that address, and the
    link, whose payload anybody can read, does not carry the address itself."""
    return hashlib.sha256(feed_token.encode()).hexdigest()[:16]


def _feed_replacement_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_FEED_REPLACEMENT)


def _send_manage_link_again(registration_id: int, *, now: datetime) -> None:
    """Mail the manage link of an existing registration, at most once per quiet period.

    Anybody can type anybody's address into the form; without the quiet period
    that would be a way to flood a registered person with mail.
    """
    if not _manage_link_sent_recently(registration_id, now=now):
        outbox.enqueue(
            MessageKind.ALREADY_REGISTERED, db.session.get(Registration, registration_id)
        )


def _manage_link_sent_recently(registration_id: int, *, now: datetime) -> bool:
    return _sent_recently(
        registration_id, MessageKind.ALREADY_REGISTERED, MANAGE_LINK_QUIET_PERIOD, now=now
    )


def _sent_recently(
    registration_id: int, kind: MessageKind, period: timedelta, *, now: datetime
) -> bool:
    return (
        db.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.registration_id == registration_id,
                OutboxMessage.kind == kind,
                OutboxMessage.created_at > now - period,
            )
            .limit(1)
        )
        is not None
    )


def _lock_and_count(event_id: int) -> tuple[LockedEvent, Availability]:
    """Lock the event; read it with its seat counts (kept on its row: one index lookup).

    :raise EventNotFound: there is no such event
    """
    row = (
        db.session.connection()
        .execute(statements.LOCK_EVENT_WITH_SEATS, {"event_id": event_id})
        .first()
    )
    if row is None:
        raise EventNotFound
    *columns, confirmed, waitlisted = row
    event = LockedEvent(*columns)
    return event, Availability(event.capacity, confirmed, waitlisted)


def _seats(event_id: int) -> Availability:
    """Confirmed and waitlisted registrations of the event, in one query."""
    return availability([event_id])[event_id]


def _count(event_id: int, status: RegistrationStatus) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event_id, Registration.status == status
        )
    )


def _insert(registration: dict, kind: MessageKind, context: dict) -> int:
    """Write a new registration (``statements.REGISTRATION_COLUMNS``), its participant
    and its first message; return the registration's id.

    :raise statements.AddressHeld: the address already holds a seat or a place here
    """
    participant = {
        "email": registration["email"],
        "name": registration["full_name"],
        "language": registration["language"],
        "feed_token": new_secret(),
        "created_at": registration["created_at"],
    }
    message = outbox.queued_message(
        kind, recipient=registration["email"], language=registration["language"], context=context
    )
    registration_id, _participant_id = statements.insert_registration(
        db.session.connection(),
        {
            **_prefixed("participant", participant),
            **_prefixed("registration", registration),
            **_prefixed("message", message),
        },
    )
    return registration_id


def _prefixed(prefix: str, values: dict) -> dict:
    return {f"{prefix}_{name}": value for name, value in values.items()}


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


# --- The organiser's hand -------------------------------------------------------
#
# Organisers change attendee lists through the same lock and the same counts as
# everyone else: nothing done by hand can overbook an event or let anyone jump
# the waitlist. Each operation writes an audit entry in the caller's transaction.
#
# The waitlist's order is the order of arrival (``Registration.id``), and a free
# seat belongs at once to the first in line (invariant 2). Two consequences:
#
# - ``confirm_from_waitlist`` cannot pick someone from the middle of the line:
#   free seats go to the earliest people waiting, and the chosen person is
#   confirmed only when their turn has come. To give seats to more people, raise
#   the capacity (``change_capacity``); they are confirmed in order.
# - ``move_to_waitlist`` hands the seat to the first person waiting, then puts
#   the moved person back in line at their own place of arrival. They arrived
#   before the people waiting, so they are usually first in line for the next
#   free seat. With nobody waiting, the seat would come straight back to them,
#   so the move is refused.


def add_by_hand(
    event: Event,
    applicant: Applicant,
    *,
    account: Account,
    notify: bool = True,
    now: datetime | None = None,
) -> Registration:
    """An organiser registers a person: a seat, or a place on the waitlist, as ``register`` would.

    Unlike ``register``, the registration window does not apply (a latecomer may be
    added on the day, even at the door), but the event must be published and not
    over; and at an event with approval, adding a person is approving them. The other
    coalition rules (city allocations, the institution cap) apply as to anyone. The
    consent is the person's, given to the organiser, who records it here; the audit
    entry says which organiser did.

    :param notify: ``False`` when the organiser has told the person themselves (an
        import with the emails turned off): the confirmation or waitlist email, queued
        with the registration in one statement, is taken out of the outbox again in the
        same transaction, so no worker ever sees it. Anybody promoted from the waitlist
        meanwhile is still told.

    :raise ConsentMissing: the organiser did not record the person's consent
    :raise SeatsClosed: the event is not published, or it has ended
    :raise AlreadyOnList: the address already holds a seat or a place
    :raise EventFull: no seat left and no waitlist
    """
    if not applicant.consent:
        raise ConsentMissing
    wanted = _new_registration(event.id, applicant)
    event, seats = _lock_and_count(event.id)
    now = now or utcnow()  # read under the lock, as ``register`` does
    _check_seats_open(event, now)
    try:
        registered = _seat_or_place(event, wanted, seats, now=now, approved=True)
    except statements.AddressHeld:
        raise AlreadyOnList from None
    registration = db.session.get(Registration, registered.registration.id)
    if not notify:
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
        )
    record(
        account,
        "registration.add_by_hand",
        event=event,
        registration=registration,
        consent="given to the organiser",
        status=registration.status.value,
    )
    return registration


def confirm_from_waitlist(
    registration: Registration, *, account: Account, now: datetime | None = None
) -> Registration:
    """Give a waitlisted person a free seat, if their turn has come.

    Free seats go to the earliest people in line first (see the comment above
    ``add_by_hand``), and each of them is told. A person confirmed meanwhile is
    left as they are.

    :raise NotWaitlisted: the registration is cancelled
    :raise SeatsClosed: the event is not published, or it has ended
    :raise NoSeatFree: no seat is left for this person
    """
    event = lock_event(registration.event_id)
    now = now or utcnow()
    db.session.refresh(registration)  # Race condition: it may have been promoted or cancelled.
    if registration.status == RegistrationStatus.CONFIRMED:
        return registration
    if registration.status != RegistrationStatus.WAITLISTED:
        raise NotWaitlisted
    _check_seats_open(event, now)
    _promote_waitlist(event, now=now)  # queues PROMOTED for everyone it confirms
    if registration.status != RegistrationStatus.CONFIRMED:
        raise NoSeatFree
    record(account, "registration.confirm_from_waitlist", event=event, registration=registration)
    return registration


def move_to_waitlist(
    registration: Registration, *, account: Account, now: datetime | None = None
) -> Registration:
    """Give a confirmed person's seat to the first in line; the person joins the line.

    The seat frees and goes to the earliest waitlisted person, as invariant 2
    says; then the moved person takes their place in line by arrival, which is
    usually first (see the comment above ``add_by_hand``). Both are told. A person
    already on the waitlist is left as they are.

    :raise NotConfirmed: the registration is cancelled
    :raise AlreadyCheckedIn: the person is already at the event
    :raise SeatsClosed: the event is not published, or it has ended
    :raise NobodyWaiting: nobody is waiting, so the seat would come straight back
    """
    event = lock_event(registration.event_id)
    now = now or utcnow()
    db.session.refresh(registration)  # Race condition: it may have been moved or cancelled.
    if registration.status == RegistrationStatus.WAITLISTED:
        return registration
    if registration.status != RegistrationStatus.CONFIRMED:
        raise NotConfirmed
    if registration.checked_in_at is not None:
        raise AlreadyCheckedIn
    _check_seats_open(event, now)
    _promote_waitlist(event, now=now)  # seats owed to the line are served before anyone moves
    registration.status = RegistrationStatus.WAITLISTED
    db.session.flush()
    given_to = _promote_waitlist(event, now=now, passing_over=registration)
    if not given_to:
        # Nobody (from the seat's city, while allocations hold) would take the seat.
        registration.status = RegistrationStatus.CONFIRMED
        db.session.flush()
        raise NobodyWaiting
    registration.waitlisted_at = registration.waitlisted_at or now
    db.session.flush()
    # held_seat: the person's calendar has the seat (as after ``cancel``), to be withdrawn.
    outbox.enqueue(
        MessageKind.WAITLISTED,
        registration,
        position=waitlist_position(registration),
        held_seat=True,
    )
    record(
        account,
        "registration.move_to_waitlist",
        event=event,
        registration=registration,
        seat_given_to=given_to[0].id,
    )
    return registration


def cancel_on_behalf(
    registration: Registration, *, account: Account, now: datetime | None = None
) -> Registration:
    """Cancel for the person, as ``cancel`` does: they are told, the seat goes to the line.

    :raise CancellationClosed: the event has started
    """
    lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    cancel(registration, now=now)
    record(
        account,
        "registration.cancel_on_behalf",
        event=registration.event,
        registration=registration,
    )
    return registration


def check_in(
    registration: Registration,
    *,
    account: Account | None,
    now: datetime | None = None,
    other_day: bool = False,
) -> Registration:
    """Record that a confirmed person is here today (a day in Warsaw): one attendance a day.

    A second check-in on the same day changes nothing, so a double tap is harmless;
    on each day of a multi-day event the person is checked in again.
    ``registration.checked_in_at`` keeps the first check-in of all.

    :param other_day: the organiser confirmed a check-in on a day the event does not
        take place (a second tap at the door, a flag in the API)
    :raise CheckInRefused: the person has no confirmed seat
    :raise NotAnEventDay: today is none of the event's days, and ``other_day`` is not set
    """
    event = lock_event(registration.event_id)  # not racing a cancellation, a move or a tap
    now = now or utcnow()
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise CheckInRefused
    day = warsaw_day(now)
    if _attendance(registration.id, day) is not None:
        return registration
    on_event_day = day in event_days(event.starts_at, event.ends_at)
    if not on_event_day and not other_day:
        raise NotAnEventDay
    db.session.add(
        Attendance(
            registration_id=registration.id,
            day=day,
            checked_in_at=now,
            account_id=account.id if account else None,
        )
    )
    if registration.checked_in_at is None:
        registration.checked_in_at = now
    db.session.flush()
    record(
        account,
        "registration.check_in",
        event=registration.event,
        registration=registration,
        day=day.isoformat(),
        **({} if on_event_day else {"other_day": True}),
    )
    return registration


def undo_check_in(
    registration: Registration, *, account: Account | None, now: datetime | None = None
) -> bool:
    """Take back today's check-in (a tap on the wrong person); other days stay.

    ``registration.checked_in_at`` becomes the first check-in left, or none.

    :return: whether there was a check-in today to take back
    """
    lock_event(registration.event_id)
    day = warsaw_day(now or utcnow())
    db.session.refresh(registration)
    attendance = _attendance(registration.id, day)
    if attendance is None:
        return False
    db.session.delete(attendance)
    db.session.flush()
    registration.checked_in_at = db.session.scalar(
        select(func.min(Attendance.checked_in_at)).where(
            Attendance.registration_id == registration.id
        )
    )
    db.session.flush()
    record(
        account,
        "registration.check_in_undone",
        event=registration.event,
        registration=registration,
        day=day.isoformat(),
    )
    return True


def warsaw_day(at: datetime) -> date:
    """The calendar day in Warsaw at the instant ``at``: the day of a check-in."""
    return at.astimezone(WARSAW).date()


def event_days(starts_at: datetime, ends_at: datetime) -> list[date]:
    """The Warsaw days from the start to the end; an end at midnight ends the day before."""
    first = warsaw_day(starts_at)
    end = ends_at.astimezone(WARSAW)
    last = end.date() - timedelta(days=1) if end.time() == time(0) else end.date()
    return [first + timedelta(days=offset) for offset in range(max((last - first).days, 0) + 1)]


def _attendance(registration_id: int, day: date) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(
            Attendance.registration_id == registration_id, Attendance.day == day
        )
    )


#: Who an organiser's message can go to: statuses, and whether checked in (``None``: either).
MESSAGE_RECIPIENTS: dict[str, tuple[tuple[RegistrationStatus, ...], bool | None]] = {
    "confirmed": ((RegistrationStatus.CONFIRMED,), None),
    "waitlisted": ((RegistrationStatus.WAITLISTED,), None),
    "active": ((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED), None),
    "checked_in": ((RegistrationStatus.CONFIRMED,), True),
    "not_checked_in": ((RegistrationStatus.CONFIRMED,), False),
}


def message_recipients(event: Event, recipients: str) -> list[Registration]:
    """The people an organiser's message to ``recipients`` goes to now, in order of arrival.

    :param recipients: a key of ``MESSAGE_RECIPIENTS``
    """
    return list(db.session.scalars(_recipients(event, recipients).order_by(Registration.id)))


def recipient_counts(event: Event) -> dict[str, int]:
    """How many people each choice of ``MESSAGE_RECIPIENTS`` reaches now."""
    return {
        key: db.session.scalar(
            _recipients(event, key).with_only_columns(func.count(Registration.id))
        )
        for key in MESSAGE_RECIPIENTS
    }


def _recipients(event: Event, recipients: str):
    statuses, checked_in = MESSAGE_RECIPIENTS[recipients]
    # Anonymised registrations have no address left to write to.
    query = select(Registration).where(
        Registration.event_id == event.id,
        Registration.status.in_(statuses),
        Registration.anonymised_at.is_(None),
    )
    if checked_in is True:
        query = query.where(Registration.checked_in_at.is_not(None))
    elif checked_in is False:
        query = query.where(Registration.checked_in_at.is_(None))
    return query


def message_attendees(
    event: Event,
    *,
    subject: str,
    body: str,
    recipients: str,
    account: Account,
    expected: int | None = None,
) -> str:
    """Queue one email per person of ``recipients``; each sees only their own address.

    The messages of one send-out share a ``batch`` key in their context, by which
    ``queries.send_out_progress`` counts them.

    :param recipients: a key of ``MESSAGE_RECIPIENTS``
    :param expected: how many people the organiser was told the message goes to;
        the message is sent only to that many
    :return: the batch key
    :raise NoRecipients: nobody is in that group
    :raise RecipientsChanged: the group is no longer ``expected`` people
    """
    lock_event(event.id)  # the count confirmed is the count sent: no change slips in between
    people = message_recipients(event, recipients)
    if not people:
        raise NoRecipients
    if expected is not None and expected != len(people):
        raise RecipientsChanged(len(people))
    batch = secrets.token_hex(8)
    for registration in people:
        # Not "subject": the email templates get the message's own subject under that name.
        outbox.enqueue(
            MessageKind.ORGANISER_MESSAGE,
            registration,
            batch=batch,
            organiser_subject=subject,
            organiser_body=body,
        )
    db.session.flush()
    record(
        account,
        "event.message",
        event=event,
        batch=batch,
        subject=subject,
        recipients=recipients,
        count=len(people),
    )
    return batch


def _check_seats_open(event: Event | LockedEvent, now: datetime) -> None:
    if not event.seats_open(now):
        raise SeatsClosed
