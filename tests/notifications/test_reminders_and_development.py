"""The day-before reminder, and mail in development without an SMTP server."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from registration.database import utcnow
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind, OutboxMessage
from registration.notifications.reminders import queue_reminders
from registration.registrations import services
from tests.factories import make_event, make_registration


def reminders() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER)
        )
    )


def test_each_confirmed_seat_gets_one_reminder_the_day_before(ctx):
    now = utcnow()
    tomorrow = make_event(starts_at=now + timedelta(hours=20), capacity=1)
    next_week = make_event(starts_at=now + timedelta(days=7))
    early = now - timedelta(days=5)
    confirmed = make_registration(tomorrow, now=early)
    make_registration(tomorrow, now=early)  # waitlisted: no seat to remind of
    cancelled = make_registration(next_week, now=early)
    make_registration(next_week, now=early)
    services.cancel(cancelled, now=early)
    db.session.commit()

    assert queue_reminders(now=now) == 1
    assert queue_reminders(now=now + timedelta(hours=1)) == 0
    assert [r.registration_id for r in reminders()] == [confirmed.id]


def test_no_reminder_for_someone_who_registered_within_the_last_day(ctx):
    now = utcnow()
    event = make_event(starts_at=now + timedelta(hours=10))
    make_registration(event, now=now - timedelta(hours=1))
    db.session.commit()
    assert queue_reminders(now=now) == 0


def test_the_database_refuses_a_second_reminder(ctx):
    event = make_event(starts_at=utcnow() + timedelta(hours=10))
    registration = make_registration(event, now=utcnow() - timedelta(days=3))
    db.session.commit()
    for _ in range(2):
        db.session.add(
            OutboxMessage(
                kind=MessageKind.REMINDER,
                registration=registration,
                recipient=registration.email,
                language="pl",
                context={},
            )
        )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
    else:
        raise AssertionError("two reminders for one registration were accepted")


def test_without_mail_server_messages_become_eml_files_in_the_instance_folder(app):
    with app.app_context():
        registration = make_registration(
            make_event(title="Seminarium – Łódź"), email="ala@example.org"
        )
        db.session.commit()
        token = registration.token
        assert deliver_due().sent == 1
    [path] = list((Path(app.instance_path) / "mail").glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Potwierdzenie rejestracji: Seminarium – Łódź"
    assert message["To"].addresses[0].addr_spec == "ala@example.org"
    assert f"/r/{token}" in message.get_body(preferencelist=("plain",)).get_content()
