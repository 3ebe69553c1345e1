"""A seat rings in the person's own calendar: the day before and an hour before.

Reminders (VALARM) go only where one person's seat is: the confirmed entries
of the personal feed and the invitations that give a seat. A place on the
waitlist, a cancelled event, and every calendar that may be shared (the public
feed, the one-event file) ring for nobody. Both parsers must read the reminders
alike (``reading.read`` compares them).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.ical import views
from registration.registrations import services
from tests.factories import make_event, make_registration
from tests.ical.reading import Reminder, read, read_one
from tests.ical.test_invitations import deliver, invitations, register

HOST = "koalicja.example.org"
#: Long enough to fold its reminder's DESCRIPTION, with a letter of two octets at every turn.
LONG_TITLE = "Wizyta studyjna: żywe ośrodki kultury, świetlice i łączność między miastami Ślą"


def uid(event_id: int) -> str:
    return f"event-{event_id}@{HOST}"


def both_reminders(title: str) -> tuple[Reminder, Reminder]:
    return (
        Reminder(action="DISPLAY", trigger="-P1D", description=f"Jutro: {title}"),
        Reminder(action="DISPLAY", trigger="-PT1H", description=f"Za godzinę: {title}"),
    )


class TestPersonalFeed:
    def test_a_seat_rings_the_day_before_and_an_hour_before(self, client, data):
        with data():
            event = make_event(title=LONG_TITLE)
            token = make_registration(event).participant.feed_token
            event_id = event.id

        feed = read_one(client.get(f"/calendar/personal/{token}.ics").data)

        assert feed.events[uid(event_id)].reminders == both_reminders(LONG_TITLE)
        assert feed.raw.count(b"BEGIN:VALARM") == 2

    def test_a_place_on_the_waitlist_and_a_cancelled_event_ring_for_nobody(self, client, data):
        with data():
            full = make_event(title="Pełne", capacity=1)
            make_registration(full, email="ktos.inny@example.org")
            token = make_registration(full, email="anna@example.org").participant.feed_token
            called_off = make_event(title="Odwołane później")
            make_registration(called_off, email="anna@example.org")
            called_off.status = EventStatus.CANCELLED
            full_id, called_off_id = full.id, called_off.id

        feed = read_one(client.get(f"/calendar/personal/{token}.ics").data)

        assert feed.events[uid(full_id)].status == "TENTATIVE"
        assert feed.events[uid(full_id)].reminders == ()
        assert feed.events[uid(called_off_id)].status == "CANCELLED"
        assert feed.events[uid(called_off_id)].reminders == ()
        assert b"VALARM" not in feed.raw

    def test_a_reminder_whose_moment_has_passed_is_left_out(self, client, data):
        """Some clients show a past reminder at once as "overdue"; none should ring late."""
        now = utcnow()
        with data():
            soon = make_event(title="Za kilka godzin", starts_at=now + timedelta(hours=5))
            person = make_registration(soon, email="anna@example.org")
            started = make_event(title="Już trwa", starts_at=now + timedelta(days=2), hours=2)
            make_registration(started, email="anna@example.org")
            started.starts_at = now - timedelta(hours=1)  # it started after she registered
            token, soon_id, started_id = person.participant.feed_token, soon.id, started.id

        feed = read_one(client.get(f"/calendar/personal/{token}.ics").data)

        assert feed.events[uid(soon_id)].reminders == both_reminders("Za kilka godzin")[1:]
        assert feed.events[uid(started_id)].reminders == ()

    def test_a_new_version_when_a_reminder_has_passed(self, client, data, monkeypatch):
        """The feed changes by the clock alone when a reminder passes: clients holding the
        old version must not get 304."""
        now = utcnow()
        with data():
            event = make_event(starts_at=now + timedelta(hours=25))
            token = make_registration(event).participant.feed_token
            event_id = event.id
        path = f"/calendar/personal/{token}.ics"
        before = client.get(path)

        monkeypatch.setattr(views, "utcnow", lambda: now + timedelta(hours=2))
        after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})

        assert after.status_code == 200
        assert after.headers["ETag"] != before.headers["ETag"]
        earlier, later = read(before.data, after.data)
        assert [r.trigger for r in earlier.events[uid(event_id)].reminders] == ["-P1D", "-PT1H"]
        assert [r.trigger for r in later.events[uid(event_id)].reminders] == ["-PT1H"]


class TestSharedCalendars:
    def test_the_public_feed_and_the_event_file_ring_for_nobody(self, client, data):
        """A calendar a whole team subscribes to must not ring on every desk."""
        with data():
            event = make_event()
            make_registration(event)
            event_id = event.id

        shared = read(
            client.get("/calendar.ics").data,
            client.get("/calendar.ics?type=seminar&city=wroclaw").data,
            client.get(f"/events/{event_id}/calendar.ics").data,
        )

        for feed in shared:
            assert feed.only.reminders == ()
            assert b"VALARM" not in feed.raw


class TestInvitations:
    @pytest.fixture
    def event_id(self, mail_app) -> int:
        with mail_app.app_context():
            event = make_event(title=LONG_TITLE, capacity=1)
            db.session.commit()
            return event.id

    def test_a_seat_comes_with_both_reminders_and_a_cancellation_with_none(
        self, mail_app, smtp, event_id
    ):
        token = register(mail_app, event_id, "anna@example.org")
        deliver(mail_app)
        with mail_app.app_context():
            services.cancel(services.find_by_token(token))
            db.session.commit()
        deliver(mail_app)

        (_, request_method, request), (_, cancel_method, cancel) = invitations(
            smtp, "anna@example.org"
        )

        assert (request_method, cancel_method) == ("REQUEST", "CANCEL")
        # METHOD, UID and SEQUENCE as before: the reminders change nothing else.
        seat = read_one(request.to_ical()).only
        withdrawn = read_one(cancel.to_ical()).only
        assert seat.uid == withdrawn.uid == uid(event_id)
        assert seat.sequence == withdrawn.sequence
        assert seat.reminders == both_reminders(LONG_TITLE)
        assert withdrawn.status == "CANCELLED"
        assert withdrawn.reminders == ()

    def test_a_promotion_comes_with_the_reminders_still_to_come(self, mail_app, smtp):
        """Promoted five hours before the start: only the hour-before reminder is left."""
        with mail_app.app_context():
            event = make_event(
                title="Seminarium za pięć godzin",
                capacity=1,
                starts_at=utcnow() + timedelta(hours=5),
            )
            db.session.commit()
            event_id = event.id
        holder = register(mail_app, event_id, "anna@example.org")
        register(mail_app, event_id, "ben@example.org")
        with mail_app.app_context():
            services.cancel(services.find_by_token(holder))
            db.session.commit()
        deliver(mail_app)

        [(_, waitlisted, _), (_, method, promotion)] = invitations(smtp, "ben@example.org")

        assert (waitlisted, method) == (None, "REQUEST")
        assert (
            read_one(promotion.to_ical()).only.reminders
            == both_reminders("Seminarium za pięć godzin")[1:]
        )

    def test_reminders_speak_the_persons_language(self, mail_app, smtp, event_id):
        register(mail_app, event_id, "anna@example.org", language="en")
        deliver(mail_app)

        [(_, _, calendar)] = invitations(smtp, "anna@example.org")

        assert [r.description for r in read_one(calendar.to_ical()).only.reminders] == [
            f"Tomorrow: {LONG_TITLE}",
            f"In an hour: {LONG_TITLE}",
        ]


def test_a_moved_event_moves_its_reminders_with_it(client, data):
    """Reminders count back from the start, so they follow a change of time by themselves."""
    with data():
        event = make_event()
        token = make_registration(event).participant.feed_token
        event_id = event.id
    first = read_one(client.get(f"/calendar/personal/{token}.ics").data)
    with data():
        moved = db.session.get(Event, event_id)
        moved.starts_at += timedelta(days=1)
        moved.ends_at += timedelta(days=1)
        moved.sequence += 1

    second = read_one(client.get(f"/calendar/personal/{token}.ics").data)

    assert second.only.start != first.only.start
    assert second.only.reminders == first.only.reminders
    assert b"TRIGGER:-P1D" in second.raw  # relative to DTSTART, never an absolute time
