"""Invitations in emails (iMIP): a seat shows up in the calendar, and leaves it when lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications import outbox
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind
from registration.registrations import services
from tests.factories import make_event, make_registration
from tests.ical.reading import read_one

UID_HOST = "koalicja.example.org"


def calendar_part(message):
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return parts[0] if parts else None


def deliver(app) -> None:
    with app.app_context():
        report = deliver_due(now=utcnow())
    assert not report.errors, report.errors


def invitations(smtp, address: str) -> list[tuple[str, str | None, Calendar | None]]:
    """(subject, MIME method, calendar) of each message to ``address``, in order."""
    found = []
    for message in smtp.messages_to(address):
        part = calendar_part(message)
        if part is None:
            found.append((message["Subject"], None, None))
            continue
        raw = part.get_content().encode("utf-8")
        read_one(raw)  # every invitation is read by ical.js too, and both parsers agree
        found.append((message["Subject"], part.get_param("method"), Calendar.from_ical(raw)))
    return found


@pytest.fixture
def event_id(mail_app) -> int:
    with mail_app.app_context():
        event = make_event(
            title="Seminarium: dane, kultura; miasto\\Łódź",
            capacity=1,
            contact_email="koalicja.lodz@example.org",
        )
        db.session.commit()
        return event.id


def register(app, event_id: int, email: str, **overrides):
    with app.app_context():
        registration = make_registration(db.session.get(Event, event_id), email=email, **overrides)
        db.session.commit()
        return registration.token


def test_a_confirmed_seat_comes_with_a_request_for_the_one_attendee(mail_app, smtp, event_id):
    token = register(mail_app, event_id, "anna@example.org", name="Anna Żółć")
    deliver(mail_app)
    [(_, method, calendar)] = invitations(smtp, "anna@example.org")
    assert method == "REQUEST"
    # An entry in a calendar may be seen by others: it links the public page, never
    # the manage page.
    assert token not in calendar.to_ical().decode()
    assert str(calendar.walk("VEVENT")[0]["URL"]) == f"https://{UID_HOST}/events/{event_id}"
    assert calendar["METHOD"] == "REQUEST"  # Outlook checks that both agree
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"event-{event_id}@{UID_HOST}"
    assert str(vevent["ORGANIZER"]) == "mailto:koalicja.lodz@example.org"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:anna@example.org"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"
    assert attendee.params["CN"] == "Anna Żółć"
    assert calendar.walk("VTIMEZONE")
    seen = read_one(calendar.to_ical()).only  # ical.js reads it alike
    assert seen.uid == f"event-{event_id}@{UID_HOST}"


def test_the_calendar_part_sits_beside_text_and_html(mail_app, smtp, event_id):
    register(mail_app, event_id, "anna@example.org")
    deliver(mail_app)
    [message] = smtp.received
    alternative = next(p for p in message.walk() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "multipart/related",  # the HTML, with the ticket's QR code beside it
        "text/calendar",
    ]


def test_the_waitlist_gets_no_invitation_until_promoted(mail_app, smtp, event_id):
    holder = register(mail_app, event_id, "anna@example.org")
    register(mail_app, event_id, "ben@example.org")
    deliver(mail_app)
    assert [method for _, method, _ in invitations(smtp, "ben@example.org")] == [None]
    with mail_app.app_context():
        services.cancel(services.find_by_token(holder))
        db.session.commit()
    deliver(mail_app)
    assert [method for _, method, _ in invitations(smtp, "ben@example.org")] == [None, "REQUEST"]
    assert [method for _, method, _ in invitations(smtp, "anna@example.org")] == [
        "REQUEST",
        "CANCEL",
    ]
    _, _, cancel = invitations(smtp, "anna@example.org")[1]
    [vevent] = cancel.walk("VEVENT")
    assert cancel["METHOD"] == "CANCEL"
    assert vevent["STATUS"] == "CANCELLED"
    assert str(vevent["UID"]) == f"event-{event_id}@{UID_HOST}"


def test_leaving_the_waitlist_cancels_nothing_in_the_calendar(mail_app, smtp, event_id):
    register(mail_app, event_id, "anna@example.org")
    waiting = register(mail_app, event_id, "ben@example.org")
    with mail_app.app_context():
        services.cancel(services.find_by_token(waiting))
        db.session.commit()
    deliver(mail_app)
    assert [method for _, method, _ in invitations(smtp, "ben@example.org")] == [None, None]


def test_a_moved_event_sends_a_request_with_a_higher_sequence(mail_app, smtp, event_id):
    register(mail_app, event_id, "anna@example.org")
    deliver(mail_app)
    first_sequence = invitations(smtp, "anna@example.org")[0][2].walk("VEVENT")[0]["SEQUENCE"]
    with mail_app.app_context():
        event = db.session.get(Event, event_id)
        event.starts_at = event.starts_at.replace(hour=(event.starts_at.hour + 2) % 20)
        event.ends_at = event.starts_at.replace(hour=event.starts_at.hour + 3)
        event.sequence += 1
        for registration in event_registrations(event_id):
            outbox.enqueue(MessageKind.EVENT_CHANGED, registration)
        db.session.commit()
    deliver(mail_app)
    _, method, calendar = invitations(smtp, "anna@example.org")[1]
    [vevent] = calendar.walk("VEVENT")
    assert method == "REQUEST"
    assert vevent["SEQUENCE"] == first_sequence + 1
    assert str(vevent["UID"]) == f"event-{event_id}@{UID_HOST}"


def test_a_cancelled_event_sends_cancel_to_each_seat_holder(mail_app, smtp, event_id):
    register(mail_app, event_id, "anna@example.org")
    register(mail_app, event_id, "ben@example.org")  # waitlisted
    with mail_app.app_context():
        event = db.session.get(Event, event_id)
        event.status = EventStatus.CANCELLED
        event.sequence += 1
        for registration in event_registrations(event_id):
            outbox.enqueue(MessageKind.EVENT_CANCELLED, registration)
        db.session.commit()
    deliver(mail_app)
    assert [method for _, method, _ in invitations(smtp, "anna@example.org")] == [
        "REQUEST",
        "CANCEL",
    ]
    assert [method for _, method, _ in invitations(smtp, "ben@example.org")] == [None, None]


def event_registrations(event_id: int):
    from registration.registrations.models import Registration

    return db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event_id).order_by(Registration.id)
    ).all()
