"""Attendance at the door (docs/registrations.md, check-in): one check-in per person and
Warsaw day, a second tap for a day the event does not take place, an undo for today."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from registration.accounts.models import Account, AuditEntry
from registration.events.models import EventType
from registration.extensions import db
from registration.i18n import WARSAW
from registration.registrations import services
from registration.registrations.models import Attendance, Registration, RegistrationStatus
from tests.factories import make_account, make_event, make_registration

#: A three-day study visit: Monday 11 to Wednesday 13 October 2027, 9:00 to 17:00 in Warsaw.
VISIT_STARTS = datetime(2027, 10, 11, 9, 0, tzinfo=WARSAW)
MONDAY, TUESDAY, WEDNESDAY = date(2027, 10, 11), date(2027, 10, 12), date(2027, 10, 13)


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    """A moment of ``day`` in Warsaw."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW)


@pytest.fixture
def organiser(ctx) -> Account:
    return make_account()


@pytest.fixture
def visit(ctx):
    return make_event(
        type=EventType.STUDY_VISIT,
        starts_at=VISIT_STARTS,
        ends_at=VISIT_STARTS + timedelta(days=2, hours=8),
        capacity=1,
    )


def days_of(registration: Registration) -> list[date]:
    return list(
        db.session.scalars(
            sa.select(Attendance.day)
            .where(Attendance.registration_id == registration.id)
            .order_by(Attendance.day)
        )
    )


def audit() -> list[tuple[str, dict]]:
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    return [(entry.action, entry.details) for entry in entries]


class TestEachDay:
    def test_a_multi_day_visit_records_each_day_and_keeps_the_first_check_in(
        self, visit, organiser
    ):
        anna = make_registration(visit)
        services.check_in(anna, account=organiser, now=at(MONDAY))
        services.check_in(anna, account=organiser, now=at(WEDNESDAY, 8, 50))
        assert days_of(anna) == [MONDAY, WEDNESDAY]
        assert anna.checked_in_at == at(MONDAY)
        assert audit() == [
            ("registration.check_in", {"day": "2027-10-11"}),
            ("registration.check_in", {"day": "2027-10-13"}),
        ]

    def test_a_second_tap_the_same_day_changes_nothing(self, visit, organiser):
        anna = make_registration(visit)
        services.check_in(anna, account=organiser, now=at(TUESDAY))
        services.check_in(anna, account=organiser, now=at(TUESDAY, 9, 31))
        assert days_of(anna) == [TUESDAY]
        assert anna.checked_in_at == at(TUESDAY)
        assert [action for action, _ in audit()] == ["registration.check_in"]

    def test_the_day_is_warsaws_not_utcs(self, ctx, organiser):
        """00:30 in Warsaw is still the day before in UTC."""
        evening = make_event(starts_at=at(TUESDAY, 0, 15), hours=2)
        anna = make_registration(evening)
        services.check_in(anna, account=organiser, now=at(TUESDAY, 0, 30))
        assert at(TUESDAY, 0, 30).astimezone(UTC).date() == MONDAY
        assert days_of(anna) == [TUESDAY]

    def test_the_attendance_says_who_checked_the_person_in(self, visit, organiser):
        anna = make_registration(visit)
        services.check_in(anna, account=organiser, now=at(MONDAY))
        attendance = db.session.scalars(sa.select(Attendance)).one()
        assert (attendance.account_id, attendance.checked_in_at) == (organiser.id, at(MONDAY))


class TestAnotherDay:
    @pytest.mark.parametrize(
        "moment",
        [at(MONDAY - timedelta(days=1), 18), at(WEDNESDAY + timedelta(days=1), 9)],
        ids=["the day before", "the day after"],
    )
    def test_a_day_the_event_does_not_take_place_needs_a_confirmation(
        self, visit, organiser, moment
    ):
        anna = make_registration(visit)
        with pytest.raises(services.NotAnEventDay):
            services.check_in(anna, account=organiser, now=moment)
        assert (days_of(anna), anna.checked_in_at, audit()) == ([], None, [])

    def test_confirmed_it_is_recorded_and_the_audit_says_so(self, visit, organiser):
        anna = make_registration(visit)
        sunday = at(MONDAY - timedelta(days=1), 18)
        services.check_in(anna, account=organiser, now=sunday, other_day=True)
        assert days_of(anna) == [MONDAY - timedelta(days=1)]
        assert audit() == [("registration.check_in", {"day": "2027-10-10", "other_day": True})]

    def test_an_end_at_midnight_ends_the_day_before(self, ctx, organiser):
        party = make_event(starts_at=at(MONDAY, 20, 0), ends_at=at(TUESDAY, 0, 0))
        anna = make_registration(party)
        with pytest.raises(services.NotAnEventDay):
            services.check_in(anna, account=organiser, now=at(TUESDAY, 0, 10))


class TestOnlyConfirmedPeople:
    @pytest.mark.parametrize("other_day", [False, True])
    def test_waitlisted_and_cancelled_people_are_refused(self, visit, organiser, other_day):
        make_registration(visit)  # the only seat
        waiting, cancelled = make_registration(visit), make_registration(visit)
        services.cancel(cancelled)
        assert waiting.status == RegistrationStatus.WAITLISTED
        for person in (waiting, cancelled):
            with pytest.raises(services.CheckInRefused):
                services.check_in(person, account=organiser, now=at(MONDAY), other_day=other_day)
            assert (days_of(person), person.checked_in_at) == ([], None)


class TestUndo:
    def test_undo_takes_back_todays_check_in_only(self, visit, organiser):
        anna = make_registration(visit)
        services.check_in(anna, account=organiser, now=at(MONDAY))
        services.check_in(anna, account=organiser, now=at(TUESDAY))
        assert services.undo_check_in(anna, account=organiser, now=at(TUESDAY, 9, 32))
        assert days_of(anna) == [MONDAY]
        assert anna.checked_in_at == at(MONDAY)
        assert audit()[-1] == ("registration.check_in_undone", {"day": "2027-10-12"})

    def test_undoing_the_only_check_in_leaves_the_person_not_checked_in(self, visit, organiser):
        anna = make_registration(visit)
        services.check_in(anna, account=organiser, now=at(MONDAY))
        services.undo_check_in(anna, account=organiser, now=at(MONDAY, 9, 31))
        assert (days_of(anna), anna.checked_in_at) == ([], None)

    def test_undo_without_a_check_in_today_does_nothing(self, visit, organiser):
        anna = make_registration(visit)
        services.check_in(anna, account=organiser, now=at(MONDAY))
        assert not services.undo_check_in(anna, account=organiser, now=at(TUESDAY))
        assert days_of(anna) == [MONDAY]
        assert [action for action, _ in audit()] == ["registration.check_in"]

    def test_after_an_undo_the_seat_can_be_moved_again(self, visit, organiser):
        """A person checked in by mistake is not at the event: their seat is not kept."""
        anna = make_registration(visit)
        make_registration(visit)  # waiting
        services.check_in(anna, account=organiser, now=at(MONDAY), other_day=True)
        services.undo_check_in(anna, account=organiser, now=at(MONDAY, 9, 31))
        services.move_to_waitlist(anna, account=organiser, now=at(MONDAY, 9, 32))
        assert anna.status == RegistrationStatus.WAITLISTED


def test_two_taps_at_once_write_one_attendance(app):
    """Two phones at the door tap the same person at the same instant, on either database."""
    with app.app_context():
        now = datetime.now(UTC)
        event = make_event(starts_at=now + timedelta(minutes=1), hours=2)
        registration_id = make_registration(event).id
        account_id = make_account().id
        db.session.commit()
    start = threading.Barrier(2)

    def tap() -> None:
        with app.app_context():
            start.wait()
            # Read after the barrier: on SQLite the read begins the writing transaction.
            registration = db.session.get(Registration, registration_id)
            account = db.session.get(Account, account_id)
            services.check_in(registration, account=account, now=now, other_day=True)
            db.session.commit()

    with ThreadPoolExecutor(2) as pool:
        for result in [pool.submit(tap) for _ in range(2)]:
            result.result()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 1
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions == ["registration.check_in"]


def test_the_migration_gives_every_checked_in_person_the_attendance_of_that_day(app):
    """Registrations checked in before attendance was kept per day (migration 0015)."""
    with app.app_context():
        event = make_event()
        late, early, absent = (make_registration(event) for _ in range(3))
        ids = late.id, early.id, absent.id
        db.session.commit()
        downgrade(revision="0013_retention")
        # 23:30 UTC on 11 October is already the 12th in Warsaw.
        for registration_id, moment in [
            (ids[0], datetime(2027, 10, 11, 23, 30, tzinfo=UTC)),
            (ids[1], datetime(2027, 10, 11, 7, 0, tzinfo=UTC)),
        ]:
            db.session.execute(
                sa.update(Registration)
                .where(Registration.id == registration_id)
                .values(checked_in_at=moment)
            )
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            sa.select(
                Attendance.registration_id, Attendance.day, Attendance.checked_in_at
            ).order_by(Attendance.registration_id)
        ).all()
    assert [tuple(row) for row in rows] == [
        (ids[0], TUESDAY, datetime(2027, 10, 11, 23, 30, tzinfo=UTC)),
        (ids[1], MONDAY, datetime(2027, 10, 11, 7, 0, tzinfo=UTC)),
    ]
