"""The statements that run while an event's seat lock is held, each built once.

Everybody else registering for the event waits while these run (see
``services``), so they are few, and each is built at import rather than per
call: building and caching a statement costs more than running these ones.
They run on the driver's cursor (``DriverStatement``), in the transaction of
``db.session.connection()``. The rules that decide what to write stay in
``services``; here is only how.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    Select,
    Table,
    bindparam,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registration.database import DriverStatement
from registration.events.models import Event, EventRules, EventStatus
from registration.notifications.models import OutboxMessage
from registration.registrations.models import Participant, Registration, RegistrationStatus

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


def _status_is(*statuses: RegistrationStatus) -> ColumnElement[bool]:
    """The statuses written into the SQL, not bound: a plan prepared once then still
    proves that the partial index of active registrations applies."""
    return _registrations.c.status.in_([literal_column(f"'{status}'") for status in statuses])


#: The event's ``LockedEvent`` columns and its seat counts; parameter ``event_id``. On
#: PostgreSQL this takes the row lock, and returns the row as the previous holder of the
#: lock left it, counts included (the database keeps them on the row, see migration
#: 0006). On SQLite the transaction holds the database's write lock from its start.
LOCK_EVENT_WITH_SEATS = DriverStatement(
    select(
        *(_events.c[field.name] for field in fields(LockedEvent)),
        _events.c.confirmed_count,
        _events.c.waitlisted_count,
    )
    .where(_events.c.id == bindparam("event_id"))
    .with_for_update()
)

#: The id of the active registration of ``email`` for ``event_id``, if any: one probe
#: of the partial unique index uq_registration_active_email.
ACTIVE_REGISTRATION = DriverStatement(
    select(_registrations.c.id).where(
        _registrations.c.event_id == bindparam("event_id"),
        _registrations.c.email == bindparam("email"),
        _status_is(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED),
    )
)

#: Parameters of the participant upsert, each prefixed ``participant_``.
PARTICIPANT_COLUMNS = ("email", "name", "language", "feed_token", "created_at")


def _upsert_participant(insert_for_dialect) -> Insert:
    """The participant with this address, created, or updated with their latest name and
    language; returns its id. One statement, so that two first registrations of one
    address at the same time end with one participant."""
    statement = insert_for_dialect(_participants).values(
        {name: bindparam(f"participant_{name}") for name in PARTICIPANT_COLUMNS}
    )
    return statement.on_conflict_do_update(
        index_elements=["email"],
        set_={"name": statement.excluded.name, "language": statement.excluded.language},
    ).returning(_participants.c.id)


#: Columns of a new registration that its caller gives (the rest come from the database).
REGISTRATION_COLUMNS = tuple(
    column.key for column in _registrations.columns if column.key not in ("id", "participant_id")
)
#: Columns of its first message that its caller gives (``outbox.queued_message``).
MESSAGE_COLUMNS = tuple(
    column.key for column in _messages.columns if column.key not in ("id", "registration_id")
)


def insert_registration(connection: Connection, values: dict) -> tuple[int, int]:
    """Write a new registration, its participant (created, or updated with the latest name
    and language) and its first message; return the registration's id and the participant's.

    One statement on PostgreSQL; three on SQLite, which cannot write in a CTE.

    :param values: ``participant_*`` (``PARTICIPANT_COLUMNS``), ``registration_*``
        (``REGISTRATION_COLUMNS``) and ``message_*`` (``MESSAGE_COLUMNS``)
    """
    if connection.dialect.name == "postgresql":
        return _REGISTRATION_WITH_PARTICIPANT_AND_MESSAGE.first(connection, values)
    (participant_id,) = _UPSERT_PARTICIPANT_SQLITE.first(connection, values)
    values = {**values, "registration_participant_id": participant_id}
    (registration_id,) = _INSERT_REGISTRATION.first(connection, values)
    _INSERT_MESSAGE.rows(connection, {**values, "message_registration_id": registration_id})
    return registration_id, participant_id


def _values(table: Table, prefix: str, columns: tuple[str, ...]) -> dict:
    """``columns`` of ``table`` as ``prefix_column`` parameters of the column's type."""
    return {name: bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in columns}


def _registration_with_participant_and_message() -> Select:
    """PostgreSQL: the participant upsert, the registration and its first message in one
    statement, returning the registration's id and its participant's.

    Three round trips under the lock become one.
    """
    participant = _upsert_participant(postgresql_insert).cte("new_participant")
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
    return select(registration.c.id, registration.c.participant_id).add_cte(message)


_REGISTRATION_WITH_PARTICIPANT_AND_MESSAGE = DriverStatement(
    _registration_with_participant_and_message()
)
_UPSERT_PARTICIPANT_SQLITE = DriverStatement(_upsert_participant(sqlite_insert))
_INSERT_REGISTRATION = DriverStatement(
    insert(_registrations)
    .values(
        participant_id=bindparam("registration_participant_id"),
        **_values(_registrations, "registration", REGISTRATION_COLUMNS),
    )
    .returning(_registrations.c.id)
)
_INSERT_MESSAGE = DriverStatement(
    insert(_messages).values(
        registration_id=bindparam("message_registration_id"),
        **_values(_messages, "message", MESSAGE_COLUMNS),
    )
)
