"""Statements run on the driver's cursor behave as SQLAlchemy's own: same values, same errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from registration.database import DriverStatement
from registration.events.models import Event, EventStatus
from registration.extensions import db
from tests.factories import make_event

_events = Event.__table__

READ_EVENT = DriverStatement(
    sa.select(_events.c.id, _events.c.status, _events.c.starts_at, _events.c.waitlist).where(
        _events.c.id == sa.bindparam("event_id")
    )
)
RESCHEDULE = DriverStatement(
    sa.update(_events)
    .where(_events.c.id == sa.bindparam("event_id"))
    .values(
        starts_at=sa.bindparam("starts_at"),
        status=sa.bindparam("status"),
        updated_at=sa.bindparam("starts_at"),
    )
)
RENAME = DriverStatement(
    sa.update(_events)
    .where(_events.c.id == sa.bindparam("event_id"))
    .values(slug=sa.bindparam("slug"), updated_at=sa.bindparam("updated_at"))
)


def test_values_go_in_and_come_out_as_the_column_types_say(ctx):
    """Aware datetimes stored in UTC, enums by value, booleans as booleans: as the ORM does."""
    warsaw_noon = datetime(2027, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    event = make_event(starts_at=warsaw_noon + timedelta(hours=1), waitlist=False)
    connection = db.session.connection()

    RESCHEDULE.rows(
        connection,
        {"event_id": event.id, "starts_at": warsaw_noon, "status": EventStatus.CANCELLED},
    )
    row = READ_EVENT.first(connection, {"event_id": event.id, "unused": "ignored"})

    assert row == (event.id, EventStatus.CANCELLED, warsaw_noon, False)
    assert row[2].tzinfo == UTC
    db.session.expire(event)
    assert (event.status, event.starts_at) == (EventStatus.CANCELLED, warsaw_noon)


def test_no_row_gives_none(ctx):
    assert READ_EVENT.first(db.session.connection(), {"event_id": 10_000}) is None


def test_it_writes_in_the_session_transaction_and_a_rollback_undoes_it(ctx):
    event = make_event(status=EventStatus.PUBLISHED)
    db.session.commit()
    RESCHEDULE.rows(
        db.session.connection(),
        {"event_id": event.id, "starts_at": event.starts_at, "status": EventStatus.CANCELLED},
    )
    db.session.rollback()
    assert db.session.get(Event, event.id).status == EventStatus.PUBLISHED


def test_a_constraint_violation_is_sqlalchemys_integrity_error(ctx):
    """Callers catch the same exception whichever way the statement ran."""
    first, second = make_event(), make_event()
    with pytest.raises(sa.exc.IntegrityError):
        RENAME.rows(
            db.session.connection(),
            {"event_id": second.id, "slug": first.slug, "updated_at": datetime.now(UTC)},
        )


def test_a_missing_value_is_refused_before_the_database_sees_it(ctx):
    with pytest.raises(sa.exc.StatementError, match="event_id"):
        READ_EVENT.rows(db.session.connection(), {})


def test_a_value_its_column_refuses_is_sqlalchemys_statement_error(ctx):
    """A naive time, say: the same error the ORM gives for it."""
    event = make_event()
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        RESCHEDULE.rows(
            db.session.connection(),
            {
                "event_id": event.id,
                "starts_at": datetime(2027, 3, 1, 12, 0),  # noqa: DTZ001 (naive on purpose)
                "status": EventStatus.PUBLISHED,
            },
        )


@pytest.mark.parametrize(
    "statement",
    [
        sa.select(_events.c.id).where(_events.c.capacity > 5),
        # The model's onupdate default would be a value of SQLAlchemy's making.
        sa.update(_events).values(capacity=sa.bindparam("capacity")),
        # A list becomes one placeholder per item when SQLAlchemy executes it.
        sa.select(_events.c.id).where(
            _events.c.capacity.in_(sa.bindparam("capacity", expanding=True))
        ),
    ],
    ids=["literal", "column default", "expanding"],
)
def test_a_statement_with_values_not_given_as_they_are_is_refused(ctx, statement):
    """They would be left out or sent wrong: every value comes from the caller, as is."""
    with pytest.raises(ValueError, match="DriverStatement takes"):
        DriverStatement(statement).rows(db.session.connection(), {"capacity": 5})


def test_a_connection_lost_midway_is_dropped_from_the_pool(ctx, backend):
    """As with SQLAlchemy's own statements: the error says so, and the next
    transaction gets a working connection instead of the dead one."""
    if backend != "postgresql":
        pytest.skip("a server that drops a connection is a PostgreSQL matter")
    event_id = make_event().id
    db.session.commit()
    connection = db.session.connection()
    backend_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
    finally:
        admin.dispose()

    with pytest.raises(sa.exc.OperationalError) as raised:
        READ_EVENT.rows(connection, {"event_id": event_id})

    assert raised.value.connection_invalidated
    assert connection.invalidated  # its pool will not hand the dead connection out again
    db.session.rollback()
    assert READ_EVENT.first(db.session.connection(), {"event_id": event_id})[0] == event_id
