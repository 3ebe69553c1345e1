"""The seat counts the database keeps on each event row agree with the registrations.

Registering reads them under the event's lock instead of counting rows
(migration 0006), so a count that drifted would confirm one seat too many.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from registration.events import services as events
from registration.events.models import Event
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_account, make_applicant, make_event, make_registration


def kept_and_counted(event_id: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(confirmed, waitlisted) as kept on the event row, and as counted from the rows."""
    kept = db.session.execute(
        sa.select(Event.confirmed_count, Event.waitlisted_count).where(Event.id == event_id)
    ).one()

    def count(status: RegistrationStatus) -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(Registration.event_id == event_id, Registration.status == status)
        )

    return tuple(kept), (count(RegistrationStatus.CONFIRMED), count(RegistrationStatus.WAITLISTED))


def assert_counts(event: Event, confirmed: int, waitlisted: int) -> None:
    db.session.flush()
    kept, counted = kept_and_counted(event.id)
    assert kept == counted == (confirmed, waitlisted)


def test_the_triggers_that_keep_the_counts_are_in_place(ctx, backend):
    """A later migration that rebuilds a table on SQLite would drop them silently."""
    if backend == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'registration'::regclass"
    else:
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'registration'"
        )
    names = set(db.session.scalars(sa.text(query)))
    assert {name for name in names if name.startswith("registration_seat_counts")} == (
        {"registration_seat_counts"}
        if backend == "postgresql"
        else {f"registration_seat_counts_{change}" for change in ("insert", "update", "delete")}
    )


def test_every_way_a_seat_changes_hands_keeps_the_counts(ctx):
    organiser = make_account()
    event = make_event(capacity=2)
    assert_counts(event, 0, 0)
    people = [make_registration(event) for _ in range(5)]
    assert_counts(event, 2, 3)

    services.cancel(people[0])  # the first in line takes the seat
    assert_counts(event, 2, 2)
    services.cancel(people[4])  # leaving the line
    assert_counts(event, 2, 1)
    services.move_to_waitlist(people[1], account=organiser)
    assert_counts(event, 2, 1)
    services.change_capacity(event, 4)
    assert_counts(event, 3, 0)
    services.add_by_hand(event, make_applicant(), account=organiser)
    assert_counts(event, 4, 0)
    services.cancel_on_behalf(people[2], account=organiser)
    assert_counts(event, 3, 0)
    services.register(event.id, make_applicant())
    assert_counts(event, 4, 0)
    db.session.commit()
    events.cancel_event(event, organiser)
    assert_counts(event, 4, 0)  # a cancelled event keeps its list; people are told


def test_rows_written_behind_the_application_s_back_are_counted_too(ctx):
    """The counts are the database's, not the service's: an edit in SQL keeps them."""
    event = make_event(capacity=3)
    people = [make_registration(event) for _ in range(3)]
    db.session.execute(
        sa.update(Registration)
        .where(Registration.id == people[0].id)
        .values(status=RegistrationStatus.WAITLISTED)
    )
    assert_counts(event, 2, 1)
    db.session.execute(sa.delete(Registration).where(Registration.id == people[1].id))
    assert_counts(event, 1, 1)
    other = make_event()
    db.session.execute(
        sa.update(Registration).where(Registration.id == people[2].id).values(event_id=other.id)
    )
    assert_counts(event, 0, 1)
    assert_counts(other, 1, 0)


def test_an_event_s_list_and_feed_figures_come_from_the_counts(ctx):
    event = make_event(capacity=1)
    for _ in range(3):
        make_registration(event)
    seats = services.availability([event.id])[event.id]
    assert (seats.confirmed, seats.waitlisted, seats.seats_left) == (1, 2, 0)


def test_the_migration_counts_the_registrations_already_there_and_goes_back(ctx):
    event = make_event(capacity=1)
    for _ in range(3):
        make_registration(event)
    services.cancel(make_registration(make_event()))
    db.session.commit()
    downgrade(revision="0005_organiser_messages")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 4
    db.session.rollback()
    upgrade()
    assert_counts(event, 1, 2)
