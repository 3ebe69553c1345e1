"""The certificate by email, the day after the event (docs/certificates.md): queued by the
mail worker's loop for each person checked in, once however many workers run, with the
PDF attached; never for an event long past, nor for data already anonymised."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from registration.certificates.models import Certificate
from registration.certificates.services import EMAIL_WINDOW_DAYS, queue_certificate_emails
from registration.database import utcnow
from registration.events import services as events
from registration.extensions import db
from registration.notifications.cli import periodic_jobs
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind, OutboxMessage
from registration.privacy import retention
from tests.certificates.conftest import (
    FRIDAY,
    THURSDAY,
    WEDNESDAY,
    at,
    attendee,
    door,
    study_visit,
)

#: The visit ends on Friday 12 March 2027 at 17:00: Saturday is the day after.
SATURDAY = date(2027, 3, 13)


def queued() -> list[tuple[int, str]]:
    """(registration id, recipient) of every certificate email queued, in order."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(OutboxMessage.registration_id, OutboxMessage.recipient)
            .where(OutboxMessage.kind == MessageKind.CERTIFICATE)
            .order_by(OutboxMessage.registration_id)
        )
    ]


class TestWhoGetsIt:
    def test_each_person_checked_in_gets_one_the_day_after(self, visit):
        anna = attendee(visit, [WEDNESDAY], email="anna@example.org")
        ben = attendee(visit, [THURSDAY, FRIDAY], email="ben@example.org")
        attendee(visit, [], email="nina@example.org")  # never came
        db.session.commit()

        assert queue_certificate_emails(now=at(SATURDAY, 8)) == 2
        assert queued() == [(anna.id, "anna@example.org"), (ben.id, "ben@example.org")]
        assert queue_certificate_emails(now=at(SATURDAY, 18)) == 0
        assert len(queued()) == 2

    def test_not_on_the_last_day_itself(self, visit):
        attendee(visit, [FRIDAY])
        db.session.commit()

        assert queue_certificate_emails(now=at(FRIDAY, 18)) == 0
        assert queue_certificate_emails(now=at(FRIDAY, 23, 59)) == 0
        assert queue_certificate_emails(now=at(SATURDAY, 0, 1)) == 1

    def test_a_week_late_it_still_goes_but_not_later(self, visit):
        attendee(visit, [FRIDAY])
        db.session.commit()
        too_late = FRIDAY + timedelta(days=EMAIL_WINDOW_DAYS + 1)

        assert queue_certificate_emails(now=at(too_late, 9)) == 0
        assert queue_certificate_emails(now=at(too_late - timedelta(days=1), 9)) == 1

    def test_nothing_for_anonymised_data(self, visit):
        gone = attendee(visit, [WEDNESDAY])
        db.session.commit()
        retention.anonymise_registrations([gone.id], now=utcnow())
        db.session.commit()

        assert queue_certificate_emails(now=at(SATURDAY)) == 0

    def test_nothing_for_a_cancelled_event(self, visit):
        attendee(visit, [WEDNESDAY])
        events.cancel_event(visit, door())
        db.session.commit()

        assert queue_certificate_emails(now=at(SATURDAY)) == 0

    def test_the_certificate_is_issued_with_the_email(self, visit):
        anna = attendee(visit, [WEDNESDAY])
        db.session.commit()
        queue_certificate_emails(now=at(SATURDAY))

        [certificate] = db.session.scalars(sa.select(Certificate)).all()
        assert certificate.registration_id == anna.id


def test_two_workers_at_once_queue_each_email_once(app):
    """Two mail workers run the job at the same instant, on either database."""
    with app.app_context():
        visit = study_visit()
        for number in range(5):
            attendee(visit, [WEDNESDAY], email=f"person.{number}@example.org")
        db.session.commit()
    start = threading.Barrier(2)

    def run() -> int:
        with app.app_context():
            start.wait()
            return queue_certificate_emails(now=at(SATURDAY))

    with ThreadPoolExecutor(2) as pool:
        counts = sorted(result.result() for result in [pool.submit(run) for _ in range(2)])
    with app.app_context():
        assert counts == [0, 5]
        assert len(queued()) == 5
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 5


def test_the_database_refuses_a_second_certificate_email(ctx):
    visit = study_visit()
    anna = attendee(visit, [WEDNESDAY])
    db.session.commit()
    for _ in range(2):
        db.session.add(
            OutboxMessage(
                kind=MessageKind.CERTIFICATE,
                registration=anna,
                recipient=anna.email,
                language="pl",
                context={},
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_email_arrives_with_the_pdf_attached(mail_app, smtp):
    with mail_app.app_context():
        visit = study_visit()
        attendee(visit, [WEDNESDAY, THURSDAY], name="Łucja Wąs", email="lucja@example.org")
        db.session.commit()
        queue_certificate_emails(now=at(SATURDAY))
        assert deliver_due().sent == 2  # the confirmation, weeks ago, and the certificate
        code = db.session.scalar(sa.select(Certificate.code))

    subject = "Twoje zaświadczenie o udziale: Wizyta studyjna: Łódź – żywa kultura"
    [message] = [m for m in smtp.messages_to("lucja@example.org") if m["Subject"] == subject]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Twoje zaświadczenie o udziale jest w załączniku" in " ".join(text.split())
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"zaswiadczenie-{code}.pdf"
    [page] = PdfReader(io.BytesIO(attachment.get_content())).pages
    words = " ".join(page.extract_text().split())
    assert "Łucja Wąs" in words
    assert "Obecność: 10–11 marca 2027" in words
    assert code in words


def test_an_organiser_cannot_send_it_again(ctx):
    """It goes once, like the reminder: the person downloads it again from their page."""
    from registration.notifications.models import DeliveryStatus
    from registration.notifications.organiser_mail import can_resend

    assert not can_resend(MessageKind.CERTIFICATE, DeliveryStatus.SENT)


def test_the_mail_workers_loop_queues_them(app):
    with app.app_context():
        visit = study_visit(
            starts_at=utcnow() - timedelta(days=2),
            ends_at=utcnow() - timedelta(days=2) + timedelta(hours=3),
        )
        attendee(visit, [visit.starts_at.astimezone(at(WEDNESDAY).tzinfo).date()])
        db.session.commit()

        said = [job.run_if_due(0.0) for job in periodic_jobs()]

        assert "Queued 1 certificates." in said
        assert len(queued()) == 1


def test_the_command_queues_them_once(app, runner):
    with app.app_context():
        # Two days back, so that the end is before today at any hour the test runs.
        past = utcnow() - timedelta(days=2)
        seminar = study_visit(starts_at=past, ends_at=past + timedelta(hours=2))
        attendee(seminar, [past.astimezone(at(WEDNESDAY).tzinfo).date()])
        db.session.commit()

    first = runner.invoke(args=["mail", "send-certificates"])
    again = runner.invoke(args=["mail", "send-certificates"])

    assert first.output == "Queued 1 certificates.\n"
    assert again.output == "Queued 0 certificates.\n"
