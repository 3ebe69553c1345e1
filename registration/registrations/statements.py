"""The statements that run while an event's seat lock is held, each built once.

Everybody else registering for the event waits while these run (see
``services``), so they are few, and each is a Core statement built at import
rather than per call: SQLAlchemy then finds its compiled form in its cache
instead of building and compiling it again. They run with
``Connection.execute`` on ``db.session.connection()``, in the session's
transaction, so SQLAlchemy's events, logging and error handling see them like
any other. The rules that decide what to write stay in ``services``; here is
only how.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Connection,
    Insert,
    Select,
    Table,
    bindparam,
    insert,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registration.events.models import Event, EventRules, EventStatus
from registration.notifications.models import OutboxMessage
from registration.registrations.models import ACTIVE_STATUSES, Participant, Registration

_events = Event.__table__
_participants = Participant.__table__
_registrations = Registration.__table__
_messages = OutboxMessage.__table__


@dataclass(frozen=True)
class LockedEvent(EventRules):
    """An event as the seat rules read it under its lock: a few columns, not a whole ``Event``."""

    id: int
    status: EventStatus
    capacity: int
    waitlist: bool
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    approval: bool
    institution_cap: int | None
    allocation_release_at: datetime | None
    allocations_released_at: datetime | None
    allocated_seats: int


def _active_registration(event_id: BindParameter, email: BindParameter) -> Select:
    """The id of the active registration of ``email`` at ``event_id``, if any: one probe
    of the partial unique index uq_registration_active_email.

    The statuses are written into the SQL, not bound: a plan prepared once then
    still proves that the partial index applies.
    """
    return select(_registrations.c.id).where(
        _registrations.c.event_id == event_id,
        _registrations.c.email == email,
        _registrations.c.status.in_([literal_column(f"'{status}'") for status in ACTIVE_STATUSES]),
    )


#: The event's ``LockedEvent`` columns and its seat counts; parameter ``event_id``. On
#: PostgreSQL this takes the row lock, and returns the row as the previous holder of the
#: lock left it, counts included (the database keeps them on the row, see migration
#: 0006). On SQLite the transaction holds the database's write lock from its start.
LOCK_EVENT_WITH_SEATS = (
    select(
        *(_events.c[field.name] for field in fields(LockedEvent)),
        _events.c.confirmed_count,
        _events.c.waitlisted_count,
    )
    .where(_events.c.id == bindparam("event_id"))
    .with_for_update()
)

#: The id of the active registration of ``email`` for ``event_id``, if any.
_ACTIVE_REGISTRATION = _active_registration(bindparam("event_id"), bindparam("email"))

#: Parameters of the participant upsert, each prefixed ``participant_``.
PARTICIPANT_COLUMNS = ("email", "name", "language", "feed_token", "created_at")
# Every value below is a parameter that SQLAlchemy and the driver convert while the
# lock is held, so the columns a new row leaves empty (NULL) are not among them.

#: Columns of a new registration that its caller gives; its id comes from the database
#: and it is neither cancelled, nor checked in, nor anonymised.
REGISTRATION_COLUMNS = tuple(
    column.key
    for column in _registrations.columns
    if column.key
    not in (
        "id",
        "participant_id",
        "cancelled_at",
        "checked_in_at",
        "anonymised_at",
        "promoted_at",
        "decided_at",
    )
)
#: Columns of its first message that its caller gives (``outbox.queued_message``).
MESSAGE_COLUMNS = (
    "kind",
    "recipient",
    "language",
    "context",
    "message_key",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "request_id",
)


class AddressHeld(Exception):
    """The address already holds a seat or a place at the event; nothing was written."""

    def __init__(self, registration_id: int) -> None:
        super().__init__(registration_id)
        self.registration_id = registration_id


def refuse_if_held(connection: Connection, event_id: int, email: str) -> None:
    """:raise AddressHeld: ``email`` holds a seat or a place at the event"""
    held = connection.execute(_ACTIVE_REGISTRATION, {"event_id": event_id, "email": email}).first()
    if held is not None:
        raise AddressHeld(held[0])


def insert_registration(connection: Connection, values: dict) -> tuple[int, int]:
    """Write a new registration, its participant (created if new, else left alone) and
    its first message, unless the address already holds a seat or a
    place at the event; return the registration's id and the participant's.

    The check and the writes are one statement on PostgreSQL; three on SQLite, which
    cannot write in a CTE: there the check is part of the participant's upsert, which
    writes nothing when the address holds a registration. Either way the check runs
    after the event's lock is taken (PostgreSQL gives each statement a fresh
    snapshot), so it sees what the previous holder of the lock wrote.

    :param values: ``participant_*`` (``PARTICIPANT_COLUMNS``), ``registration_*``
        (``REGISTRATION_COLUMNS``) and ``message_*`` (``MESSAGE_COLUMNS``)
    :raise AddressHeld: the address already holds a registration for the event
    """
    if connection.dialect.name == "postgresql":
        registration_id, participant_id, held_id = connection.execute(
            _REGISTRATION_UNLESS_HELD, values
        ).one()
        if held_id is not None:
            raise AddressHeld(held_id)
        return registration_id, participant_id
    participant_id = connection.execute(_PARTICIPANT_UNLESS_HELD_SQLITE, values).scalar()
    if participant_id is None:  # nothing written: the address holds a registration
        held = {"event_id": values["registration_event_id"], "email": values["registration_email"]}
        raise AddressHeld(connection.execute(_ACTIVE_REGISTRATION, held).scalar_one())
    values = {**values, "registration_participant_id": participant_id}
    registration_id = connection.execute(_INSERT_REGISTRATION, values).scalar_one()
    connection.execute(_INSERT_MESSAGE, {**values, "message_registration_id": registration_id})
    return registration_id, participant_id


def _values(table: Table, prefix: str, columns: tuple[str, ...]) -> dict:
    """``columns`` of ``table`` as ``prefix_column`` parameters of the column's type."""
    return {name: bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in columns}


def _upsert_participant(statement: Insert) -> Insert:
    """The participant with this address, created if new; returns its id. One statement,
    so that two first registrations of one address at the same time end with one
    participant.

    An existing participant is left as it is: anybody can register anybody's address,
    so a new registration must change nothing stored for the person (invariant 6).
    The update sets the address to itself only so that the row, and its id, come back.

    :param statement: the dialect's INSERT of ``PARTICIPANT_COLUMNS`` into participant
    """
    return statement.on_conflict_do_update(
        index_elements=["email"], set_={"email": statement.excluded.email}
    ).returning(_participants.c.id)


def _participant_unless_held(insert_into_participant: Insert) -> Insert:
    """The participant upsert (``_upsert_participant``), which inserts and returns nothing
    when the address holds a seat or a place at the event.

    :param insert_into_participant: the dialect's ``insert(participant)``
    """
    values = _values(_participants, "participant", PARTICIPANT_COLUMNS)
    held = _active_registration(bindparam("registration_event_id"), bindparam("registration_email"))
    return _upsert_participant(
        insert_into_participant.from_select(
            list(values), select(*values.values()).where(~held.exists())
        )
    )


def _registration_unless_held() -> CompoundSelect:
    """PostgreSQL: the check for a registration the address holds, the participant
    upsert, the registration and its first message in one statement.

    Four round trips under the lock become one. It returns one row: the new
    registration's id and its participant's, or, when the address holds a
    registration already, only that one's id (and writes nothing).
    """
    held = _active_registration(
        bindparam("registration_event_id"), bindparam("registration_email")
    ).cte("held")
    participant_values = _values(_participants, "participant", PARTICIPANT_COLUMNS)
    participant = _upsert_participant(
        postgresql_insert(_participants).from_select(
            list(participant_values),
            select(*participant_values.values()).where(~select(held.c.id).exists()),
        )
    ).cte("new_participant")
    registration_values = _values(_registrations, "registration", REGISTRATION_COLUMNS)
    registration = (
        insert(_registrations)
        .from_select(
            ["participant_id", *registration_values],
            select(participant.c.id, *registration_values.values()),
        )
        .returning(_registrations.c.id, _registrations.c.participant_id)
        .cte("new_registration")
    )
    message_values = _values(_messages, "message", MESSAGE_COLUMNS)
    message = (
        insert(_messages)
        .from_select(
            ["registration_id", *message_values],
            select(registration.c.id, *message_values.values()),
        )
        .cte("new_message")
    )
    return union_all(
        select(registration.c.id, registration.c.participant_id, null()),
        select(null(), null(), held.c.id),
    ).add_cte(message)


_REGISTRATION_UNLESS_HELD = _registration_unless_held()
_PARTICIPANT_UNLESS_HELD_SQLITE = _participant_unless_held(sqlite_insert(_participants))
_INSERT_REGISTRATION = (
    insert(_registrations)
    .values(
        participant_id=bindparam("registration_participant_id"),
        **_values(_registrations, "registration", REGISTRATION_COLUMNS),
    )
    .returning(_registrations.c.id)
)
_INSERT_MESSAGE = insert(_messages).values(
    registration_id=bindparam("message_registration_id"),
    **_values(_messages, "message", MESSAGE_COLUMNS),
)
