"""The statements that run while an event's seat lock is held, each built once.

Everybody else registering for the event waits while these run (see
``services``), so they are few, and each is built at import rather than per
call: building and caching a statement costs more than running these ones.
Callers run them on ``db.session.connection()`` for the same reason: the
session's ``execute`` would first walk each statement's tables to pick an
engine (Flask-SQLAlchemy's binds). The rules that decide what to write stay in
``services``; here is only how.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    bindparam,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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
LOCK_EVENT_WITH_SEATS = (
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
ACTIVE_REGISTRATION = select(_registrations.c.id).where(
    _registrations.c.event_id == bindparam("event_id"),
    _registrations.c.email == bindparam("email"),
    _status_is(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED),
)

#: Parameters of ``upsert_participant``, each prefixed ``participant_``.
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


UPSERT_PARTICIPANT = {
    "postgresql": _upsert_participant(postgresql_insert),
    "sqlite": _upsert_participant(sqlite_insert),
}

#: Columns of a new registration that its caller gives (the rest come from the database).
REGISTRATION_COLUMNS = tuple(
    column.key for column in _registrations.columns if column.key not in ("id", "participant_id")
)
#: Columns of its first message that its caller gives (``outbox.queued_message``).
MESSAGE_COLUMNS = tuple(
    column.key for column in _messages.columns if column.key not in ("id", "registration_id")
)


def _registration_with_participant_and_message() -> Select:
    """PostgreSQL: the participant upsert, the registration and its first message in one
    statement, returning the registration's id and its participant's.

    Three round trips under the lock become one. Parameters: ``participant_*``
    (``PARTICIPANT_COLUMNS``), ``registration_*`` (``REGISTRATION_COLUMNS``) and
    ``message_*`` (``MESSAGE_COLUMNS``).
    """
    participant = UPSERT_PARTICIPANT["postgresql"].cte("new_participant")
    registration = (
        insert(_registrations)
        .from_select(
            ["participant_id", *REGISTRATION_COLUMNS],
            select(
                participant.c.id,
                *(
                    bindparam(f"registration_{name}", type_=_registrations.c[name].type)
                    for name in REGISTRATION_COLUMNS
                ),
            ),
        )
        .returning(_registrations.c.id, _registrations.c.participant_id)
        .cte("new_registration")
    )
    message = (
        insert(_messages)
        .from_select(
            ["registration_id", *MESSAGE_COLUMNS],
            select(
                registration.c.id,
                *(
                    bindparam(f"message_{name}", type_=_messages.c[name].type)
                    for name in MESSAGE_COLUMNS
                ),
            ),
        )
        .cte("new_message")
    )
    return select(registration.c.id, registration.c.participant_id).add_cte(message)


INSERT_REGISTRATION_POSTGRESQL = _registration_with_participant_and_message()
