"""Email: every change reaches its one person, exactly once, through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.extensions import db
from registration.notifications.delivery import MAX_ATTEMPTS, deliver_due, lease
from registration.notifications.models import DeliveryStatus, OutboxMessage
from registration.registrations import services
from tests.factories import make_event, make_registration

BASE_URL = "https://koalicja.example.org"


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def deliver(app, *, later: timedelta = timedelta(0)):
    with app.app_context():
        return deliver_due(now=utcnow() + later)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def story(mail_app):
    """Two people, one seat: a confirmation, a waitlist place, a cancellation, a promotion."""
    with mail_app.app_context():
        event = make_event(title="Wizyta studyjna: Łódź – żywa kultura", capacity=1)
        holder = make_registration(event, email="anna@example.org", name="Anna Żółć")
        waiting = make_registration(event, email="ben@example.org", name="Ben Smith", language="en")
        db.session.commit()
        services.cancel(holder)
        db.session.commit()
        return {
            "holder": holder.token,
            "waiting": waiting.token,
            "feed": holder.participant.feed_token,
        }


def test_each_change_delivers_one_message_to_the_right_person(mail_app, smtp, story):
    report = deliver(mail_app)
    assert report.sent == 4
    anna, ben = smtp.messages_to("anna@example.org"), smtp.messages_to("ben@example.org")
    assert [m["Subject"] for m in anna] == [
        "Potwierdzenie rejestracji: Wizyta studyjna: Łódź – żywa kultura",
        "Zgłoszenie anulowane: Wizyta studyjna: Łódź – żywa kultura",
    ]
    assert [m["Subject"] for m in ben] == [
        "You are on the waitlist: Wizyta studyjna: Łódź – żywa kultura",
        "A seat is yours: Wizyta studyjna: Łódź – żywa kultura",
    ]
    assert "You are on the waitlist: number 1 in line." in text_of(ben[0])
    assert all(m["To"].addresses[0].addr_spec == m["X-Envelope-To"] for m in smtp.received)
    assert {m["X-Envelope-To"] for m in smtp.received} == {"anna@example.org", "ben@example.org"}
    assert [row.status for row in outbox(mail_app)] == [DeliveryStatus.SENT] * 4


def test_polish_letters_survive_in_subject_name_and_body(mail_app, smtp, story):
    deliver(mail_app)
    confirmation = smtp.messages_to("anna@example.org")[0]
    raw_subject = confirmation.get("Subject").__str__()
    assert str(make_header(decode_header(raw_subject))).startswith("Potwierdzenie rejestracji")
    assert confirmation["To"].addresses[0].display_name == "Anna Żółć"
    assert "Łódź – żywa kultura" in html_of(confirmation)


def test_raw_headers_are_encoded_per_rfc_2047(mail_app, smtp, story):
    with mail_app.app_context():
        from registration.notifications.messages import compose

        row = db.session.scalars(sa.select(OutboxMessage)).first()
        raw = compose(row).as_bytes()
    headers = raw.split(b"\n\n", 1)[0] if b"\r\n\r\n" not in raw else raw.split(b"\r\n\r\n")[0]
    assert headers.isascii()
    assert b"=?utf-8?" in headers.lower()


def test_links_are_absolute_from_base_url_and_private_to_the_person(mail_app, smtp, story):
    deliver(mail_app)
    confirmation = smtp.messages_to("anna@example.org")[0]
    body = text_of(confirmation) + html_of(confirmation)
    assert f"{BASE_URL}/r/{story['holder']}" in body
    assert f"{BASE_URL}/calendar/personal/{story['feed']}.ics" in body
    assert f"{BASE_URL}/events/" in body
    assert story["waiting"] not in body
    assert "ben@example.org" not in body
    assert "Ben Smith" not in body


def test_message_ids_are_stable_per_row_on_the_base_url_domain(mail_app, smtp, story):
    deliver(mail_app)
    ids = [m["Message-ID"] for m in smtp.received]
    assert len(set(ids)) == 4
    assert all(i.endswith("@koalicja.example.org>") for i in ids)
    with mail_app.app_context():  # as if the worker had died before recording "sent"
        db.session.execute(sa.update(OutboxMessage).values(status=DeliveryStatus.QUEUED))
        db.session.commit()
    assert deliver(mail_app).sent == 0  # the dead worker's claim still holds
    with mail_app.app_context():
        later = lease() + timedelta(seconds=1)
    deliver(mail_app, later=later)
    assert [m["Message-ID"] for m in smtp.received[4:]] == ids


def test_replies_go_to_the_event_contact(mail_app, smtp, story):
    deliver(mail_app)
    assert smtp.received[0]["Reply-To"] == "koalicja@example.org"


def test_an_event_title_cannot_inject_headers(mail_app, smtp):
    with mail_app.app_context():
        event = make_event(title="Seminarium\r\nBcc: spy@example.org\r\nX-Evil: 1")
        make_registration(event, email="ola@example.org")
        db.session.commit()
    assert deliver(mail_app).sent == 1
    [message] = smtp.received
    assert message["X-Envelope-To"] == "ola@example.org"
    assert message["Bcc"] is None
    assert message["X-Evil"] is None
    assert "\n" not in message["Subject"]


def test_names_with_line_breaks_are_refused_at_the_door(mail_app, smtp):
    with mail_app.app_context():
        event = make_event()
        db.session.commit()
        event_id = event.id
    response = mail_app.test_client().post(
        f"/api/v1/events/{event_id}/registrations",
        json={
            "name": "Ola\r\nBcc: spy@example.org",
            "email": "ola@example.org",
            "institution": "MDK",
            "category": "ngo",
            "city": "Łódź",
            "consent": True,
        },
    )
    assert response.status_code == 422
    assert "name" in response.get_json()["errors"]


class TestFaults:
    def test_smtp_down_registrations_succeed_and_mail_waits(self, mail_app, smtp):
        smtp.stop()
        with mail_app.app_context():
            event = make_event(capacity=5)
            db.session.commit()
            event_id = event.id
        client = mail_app.test_client()
        for number in range(3):
            response = client.post(
                f"/api/v1/events/{event_id}/registrations",
                json={
                    "name": f"Osoba {number}",
                    "email": f"o{number}@example.org",
                    "institution": "MDK",
                    "category": "ngo",
                    "city": "Łódź",
                    "consent": True,
                },
            )
            assert response.status_code == 201
        report = deliver(mail_app)
        assert (report.sent, report.retrying) == (0, 3)
        rows = outbox(mail_app)
        assert [(r.status, r.attempts) for r in rows] == [(DeliveryStatus.QUEUED, 0)] * 3
        assert all("Connection" in r.last_error or "refused" in r.last_error for r in rows)

        smtp.start()
        assert deliver(mail_app).sent == 0  # not before the retry time
        assert deliver(mail_app, later=timedelta(minutes=1)).sent == 3
        assert deliver(mail_app, later=timedelta(hours=3)).sent == 0
        assert sorted(m["X-Envelope-To"] for m in smtp.received) == [
            "o0@example.org",
            "o1@example.org",
            "o2@example.org",
        ]

    def test_a_refused_address_fails_and_the_rest_still_flows(self, mail_app, smtp):
        smtp.refuse("nobody@example.org")
        with mail_app.app_context():
            event = make_event()
            make_registration(event, email="first@example.org")
            make_registration(event, email="nobody@example.org")
            make_registration(event, email="last@example.org")
            db.session.commit()
        report = deliver(mail_app)
        assert (report.sent, report.failed) == (2, 1)
        failed = [r for r in outbox(mail_app) if r.status == DeliveryStatus.FAILED]
        assert [r.recipient for r in failed] == ["nobody@example.org"]
        assert "550" in failed[0].last_error
        assert sorted(m["X-Envelope-To"] for m in smtp.received) == [
            "first@example.org",
            "last@example.org",
        ]

    def test_a_temporary_refusal_is_retried_with_back_off_then_given_up(self, mail_app, smtp):
        smtp.refuse("busy@example.org", "451 4.3.0 Try again later")
        with mail_app.app_context():
            make_registration(make_event(), email="busy@example.org")
            db.session.commit()
        later = timedelta(0)
        delays = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            report = deliver(mail_app, later=later)
            [row] = outbox(mail_app)
            assert row.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert (report.retrying, row.status) == (1, DeliveryStatus.QUEUED)
                delays.append(row.next_attempt_at - utcnow() - later)
                later += timedelta(hours=3)
        assert row.status == DeliveryStatus.FAILED
        assert "451" in row.last_error
        assert delays[1] > delays[0] * 1.8  # exponential back-off
        assert smtp.received == []
