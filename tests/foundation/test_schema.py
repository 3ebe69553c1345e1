"""The schema: migrations build it, models agree with it, and it guards the invariants itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from registration.events.models import City, Event
from registration.extensions import db
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_event, make_registration

COALITION = {"Wrocław", "Gdańsk", "Katowice", "Lublin", "Łódź", "Poznań", "Szczecin"}


def test_models_and_migrations_agree(ctx):
    """A model change without its migration would break `flask db upgrade` in production."""
    with db.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
        )
    assert differences == []


def test_migrations_seed_the_seven_coalition_cities(ctx):
    cities = db.session.scalars(sa.select(City)).all()
    assert {city.name for city in cities} == COALITION
    assert all(city.coalition for city in cities)
    assert {city.slug for city in cities} == {
        "wroclaw",
        "gdansk",
        "katowice",
        "lublin",
        "lodz",
        "poznan",
        "szczecin",
    }


def test_migrations_go_down_to_nothing_and_back_up(ctx):
    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert len(db.session.scalars(sa.select(City)).all()) == 7


def test_times_come_back_timezone_aware_and_equal(ctx):
    """Stored in UTC on both backends; a Warsaw wall-clock time survives the round trip."""
    starts_at = datetime(2027, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    event = make_event(starts_at=starts_at)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Event, event.id).starts_at
    assert stored.tzinfo is not None
    assert stored == starts_at
    assert stored.astimezone(UTC).hour == 8


def test_naive_times_are_refused(ctx):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        make_event(starts_at=datetime(2027, 1, 1, 10, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("column", "value"),
    [("capacity", -1), ("type", "party"), ("status", "archived"), ("sequence", -1)],
)
def test_database_rejects_impossible_events(ctx, column, value):
    event = make_event()
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        # Raw SQL: the point is what the database refuses, not what Python validates.
        db.session.execute(
            sa.text(f"UPDATE event SET {column} = :value WHERE id = :id"),
            {"value": value, "id": event.id},
        )
    db.session.rollback()


def test_database_rejects_an_event_that_ends_before_it_starts(ctx):
    now = datetime.now(UTC) + timedelta(days=3)
    with pytest.raises(sa.exc.IntegrityError):
        make_event(starts_at=now, ends_at=now - timedelta(hours=1))
    db.session.rollback()


def test_database_allows_one_active_registration_per_event_and_email(ctx):
    """Invariant 3 holds in the database, even for code that bypasses the service."""
    event = make_event()
    first = make_registration(event, email="ala@example.org")
    db.session.commit()
    row = {column.name: getattr(first, column.name) for column in Registration.__table__.columns}
    row.update(id=None, token="another-token", check_in_code="another-code")
    row.pop("id")
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(Registration.__table__).values(row))
    db.session.rollback()
    # A cancelled registration does not count: the same person may come back.
    row.update(
        status=RegistrationStatus.CANCELLED.value,
        cancelled_at=datetime.now(UTC),
        token="third-token",
        check_in_code="third-code",
    )
    db.session.execute(sa.insert(Registration.__table__).values(row))
    db.session.commit()


def test_database_rejects_an_unnormalised_email(ctx):
    event = make_event()
    registration = make_registration(event)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(Registration.__table__)
            .where(Registration.__table__.c.id == registration.id)
            .values(email="Ala@Example.org")
        )
    db.session.rollback()
