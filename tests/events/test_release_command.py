"""``flask events release-allocations`` and the mail worker's loop (SPEC sections 4 and
10): at an event's ``allocation_release_at`` the seats still kept for coalition cities
join the common pool, and go to the people waiting, in order of arrival; once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import CityAllocation, Event
from registration.extensions import db
from registration.notifications import cli as worker
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import city, make_event, make_registration


def event_keeping_two_seats_for_wroclaw(title: str, *, release_at: datetime) -> Event:
    """Two seats, both kept for Wrocław until ``release_at``."""
    return make_event(
        title=title,
        capacity=2,
        allocations=[CityAllocation(city_id=city("wroclaw").id, seats=2)],
        allocated_seats=2,
        allocation_release_at=release_at,
    )


def people_waiting_from_gdansk(event: Event, count: int, *, at: datetime) -> list[int]:
    """``count`` people of Gdańsk, who find no seat kept for them and wait, in this order."""
    ids = []
    for number in range(count):
        registration = make_registration(
            event,
            name=f"Osoba {number + 1}",
            email=f"gdansk.{event.id}.{number}@example.org",
            home_city="gdansk",
            now=at + timedelta(minutes=number),
        )
        assert registration.status == RegistrationStatus.WAITLISTED
        ids.append(registration.id)
    return ids


def statuses(ids: list[int]) -> list[RegistrationStatus]:
    return [db.session.get(Registration, id_).status for id_ in ids]


def promotions(ids: list[int]) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == MessageKind.PROMOTED, OutboxMessage.registration_id.in_(ids)
        )
    )


def releases_recorded() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "event.allocations_released")
        )
    )


def scene(app: Flask) -> dict[str, object]:
    """One event whose release time passed an hour ago, three people of Gdańsk waiting at
    it since the day before; another event, released only tomorrow, with one waiting."""
    now = utcnow()
    with app.app_context():
        due = event_keeping_two_seats_for_wroclaw(
            "Wizyta: czas minął", release_at=now - timedelta(hours=1)
        )
        later = event_keeping_two_seats_for_wroclaw(
            "Wizyta: jutro", release_at=now + timedelta(days=1)
        )
        waiting = people_waiting_from_gdansk(due, 3, at=now - timedelta(days=1))
        waiting_later = people_waiting_from_gdansk(later, 1, at=now - timedelta(days=1))
        db.session.commit()
        return {
            "due": due.id,
            "later": later.id,
            "waiting": waiting,
            "waiting_later": waiting_later,
        }


def release(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["events", "release-allocations"])
    assert result.exit_code == 0, result.output
    return result.output


class TestTheCommand:
    def test_gives_the_kept_seats_to_the_people_waiting_in_order_and_tells_them(self, app):
        events = scene(app)
        output = release(app)
        assert output == f"Released the city allocations of 1 event (ids {events['due']}).\n"
        with app.app_context():
            first, second, third = events["waiting"]
            assert statuses([first, second, third]) == [
                RegistrationStatus.CONFIRMED,
                RegistrationStatus.CONFIRMED,
                RegistrationStatus.WAITLISTED,
            ]
            assert promotions([first, second]) == 2
            assert db.session.get(Event, events["due"]).allocations_released_at is not None

    def test_leaves_an_event_whose_time_has_not_come(self, app):
        events = scene(app)
        release(app)
        with app.app_context():
            assert statuses(events["waiting_later"]) == [RegistrationStatus.WAITLISTED]
            assert db.session.get(Event, events["later"]).allocations_released_at is None
            assert promotions(events["waiting_later"]) == 0

    def test_records_the_release_once_as_the_systems(self, app):
        events = scene(app)
        release(app)
        with app.app_context():
            [entry] = releases_recorded()
            assert entry.account_id is None
            assert entry.event_id == events["due"]

    def test_a_second_run_changes_nothing_and_says_so(self, app):
        events = scene(app)
        release(app)
        with app.app_context():
            released_at = db.session.get(Event, events["due"]).allocations_released_at
            messages = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
        assert release(app) == "Released the city allocations of 0 events.\n"
        with app.app_context():
            assert db.session.get(Event, events["due"]).allocations_released_at == released_at
            assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == messages
            assert len(releases_recorded()) == 1
            assert statuses(events["waiting"])[2] == RegistrationStatus.WAITLISTED

    def test_with_nothing_to_release_says_so(self, app):
        assert release(app) == "Released the city allocations of 0 events.\n"


class TestTheMailWorkersLoop:
    def test_releases_what_is_due_within_a_minute(self, app):
        events = scene(app)
        [job] = [j for j in worker.periodic_jobs() if j.work == worker._release_allocations]
        assert job.every <= 60
        with app.app_context():
            said = job.run_if_due(time.monotonic())
            assert said == f"Released the city allocations of 1 event (ids {events['due']})."
            assert statuses(events["waiting"])[:2] == [RegistrationStatus.CONFIRMED] * 2

    def test_says_nothing_when_nothing_is_due(self, app):
        [job] = [j for j in worker.periodic_jobs() if j.work == worker._release_allocations]
        with app.app_context():
            assert job.run_if_due(time.monotonic()) is None
