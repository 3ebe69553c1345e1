"""Back office: each person's last email on the attendee list, and sending it again.

The list says whether the newest email to each person went, waits or failed (and
why); the organiser may queue a copy of a sent or failed one. A copy is a new
outbox row, audited as ``message.resend``; it never comes twice of itself, and
never for somebody else's registration.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import Event
from registration.extensions import db
from registration.notifications import outbox
from registration.notifications.delivery import deliver_due
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.privacy.retention import anonymise_registrations
from registration.registrations.models import Registration
from tests.factories import PASSWORD, make_account, make_event, make_registration


@pytest.fixture
def app(mail_app):
    """Mail goes to the real SMTP server of ``smtp``: delivered, refused, or waiting."""
    return mail_app


@pytest.fixture
def people(app, smtp) -> dict:
    """Three people of a Wrocław event: Zofia's email went, Adam's was refused, Ewa's waits."""
    with app.app_context():
        event = make_event(title="Seminarium we Wrocławiu", capacity=5)
        zofia = make_registration(event, name="Zofia Ćwik", email="zofia@example.org")
        adam = make_registration(event, name="Adam Łoś", email="adam@example.org")
        db.session.commit()
        smtp.refuse("adam@example.org", "550 5.1.1 No such mailbox")
        deliver_due()
        ewa = make_registration(event, name="Ewa Nowak", email="ewa@example.org")
        db.session.commit()
        return {"event": event.id, "zofia": zofia.id, "adam": adam.id, "ewa": ewa.id}


def last_message(app, registration_id: int) -> OutboxMessage:
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.registration_id == registration_id)
            .order_by(OutboxMessage.id.desc())
        ).first()


def messages_of(app, registration_id: int) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.registration_id == registration_id)
        ).all()


def row(html: str, registration_id: int) -> str:
    start = html.index(f'id="registration-{registration_id}"')
    return re.sub(r"\s+", " ", html[start : html.index("</tr>", start)])


def resend(client, registration_id: int, message_id: object, **extra):
    return client.post(
        f"/organiser/registrations/{registration_id}/resend",
        data={"message": message_id, **extra},
    )


class TestTheListSaysHowTheLastEmailWent:
    def test_sent_failed_with_the_reason_and_waiting(self, client, signed_in, people):
        signed_in()
        html = client.get(f"/organiser/events/{people['event']}/attendees?lang=en").text
        assert "Last email" in html
        zofia, adam, ewa = (row(html, people[who]) for who in ("zofia", "adam", "ewa"))
        assert "Seat confirmed" in zofia
        assert re.search(r"badge--open\">Sent on \d", zofia)
        assert "Could not be delivered" in adam
        assert "550" in adam
        assert "No such mailbox" in adam
        assert "Waiting to be sent" in ewa
        # A copy may be asked for what went or failed, not for what still waits.
        assert "Send again" in zofia
        assert "Send again" in adam
        assert "Send again" not in ewa

    def test_a_person_with_no_email_yet_says_so(self, app, client, signed_in, people):
        signed_in()
        with app.app_context():
            db.session.execute(
                sa.delete(OutboxMessage).where(OutboxMessage.registration_id == people["zofia"])
            )
            db.session.commit()
        html = client.get(f"/organiser/events/{people['event']}/attendees?lang=en").text
        assert "None yet" in row(html, people["zofia"])

    def test_a_test_of_a_message_is_nobodys_last_email(self, app, client, signed_in, people):
        signed_in()
        client.post(
            f"/organiser/events/{people['event']}/message/test",
            data={"recipients": "confirmed", "subject": "Próba", "body": "Treść"},
        )
        html = client.get(f"/organiser/events/{people['event']}/attendees?lang=en").text
        assert "Message from the organisers" not in html


class TestResending:
    def test_queues_a_copy_as_a_new_message_and_audits_it(self, app, client, signed_in, people):
        account_id = signed_in()
        failed = last_message(app, people["adam"])
        response = resend(client, people["adam"], failed.id)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/attendees#registration-{people['adam']}")
        copy = last_message(app, people["adam"])
        assert copy.id != failed.id
        assert (copy.kind, copy.recipient, copy.status) == (
            MessageKind.CONFIRMED,
            "adam@example.org",
            DeliveryStatus.QUEUED,
        )
        assert copy.message_key != failed.message_key  # a new email, not the same one again
        assert copy.context["resend_of"] == failed.id
        with app.app_context():
            entry = db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "message.resend")
            ).one()
            assert (entry.account_id, entry.registration_id) == (account_id, people["adam"])
            assert entry.details["message"] == failed.id
        assert last_message(app, people["adam"]).status == DeliveryStatus.QUEUED

    def test_the_copy_is_delivered(self, app, client, signed_in, people, smtp):
        signed_in()
        resend(client, people["zofia"], last_message(app, people["zofia"]).id)
        smtp.received.clear()
        with app.app_context():
            deliver_due()
        assert [m["To"] for m in smtp.received if "zofia" in m["To"]] == [
            "Zofia Ćwik <zofia@example.org>"
        ]

    def test_a_second_click_queues_nothing_more(self, app, client, signed_in, people):
        signed_in()
        original = last_message(app, people["zofia"])
        assert resend(client, people["zofia"], original.id).status_code == 303
        again = client.post(
            f"/organiser/registrations/{people['zofia']}/resend?lang=en",
            data={"message": original.id},
        )
        assert again.status_code == 303
        assert len(messages_of(app, people["zofia"])) == 2
        page = client.get(f"/organiser/events/{people['event']}/attendees?lang=en").text
        assert "no copy was queued" in page

    def test_an_email_still_waiting_is_not_copied(self, app, client, signed_in, people):
        signed_in()
        waiting = last_message(app, people["ewa"])
        resend(client, people["ewa"], waiting.id)
        assert len(messages_of(app, people["ewa"])) == 1

    def test_a_reminder_goes_once_only(self, app, client, signed_in, people):
        signed_in()
        with app.app_context():
            outbox.enqueue(MessageKind.REMINDER, db.session.get(Registration, people["zofia"]))
            db.session.commit()
            deliver_due()
        reminder = last_message(app, people["zofia"])
        assert reminder.kind == MessageKind.REMINDER
        html = client.get(f"/organiser/events/{people['event']}/attendees?lang=en").text
        assert "Send again" not in row(html, people["zofia"])
        resend(client, people["zofia"], reminder.id)
        assert last_message(app, people["zofia"]).id == reminder.id

    def test_an_anonymised_registration_gets_no_copy(self, app, client, signed_in, people):
        signed_in()
        with app.app_context():
            anonymise_registrations([people["adam"]], now=utcnow())
            db.session.commit()
        before = messages_of(app, people["adam"])
        resend(client, people["adam"], before[-1].id)
        assert len(messages_of(app, people["adam"])) == len(before)

    @pytest.mark.parametrize("message_id", ["", "abc", "-1", "1.5", "9" * 40, "١٢", "²"])
    def test_odd_message_ids_are_a_bad_request(self, app, client, signed_in, people, message_id):
        signed_in()
        assert resend(client, people["zofia"], message_id).status_code == 400

    def test_goes_back_to_the_same_search_however_long(self, app, client, signed_in, people):
        signed_in()
        original = last_message(app, people["zofia"])
        response = resend(client, people["zofia"], original.id, q="ćwik" + "x" * 100_000)
        assert response.status_code == 303
        location = response.headers["Location"]
        assert "?q=%C4%87wik" in location
        assert len(location) < 1000
        assert location.endswith(f"#registration-{people['zofia']}")

    def test_an_unknown_message_is_not_found(self, client, signed_in, people):
        signed_in()
        assert resend(client, people["zofia"], 999_999).status_code == 404

    def test_another_persons_message_is_not_found_and_nothing_is_queued(
        self, app, client, signed_in, people
    ):
        signed_in()
        adams = last_message(app, people["adam"])
        assert resend(client, people["zofia"], adams.id).status_code == 404
        assert len(messages_of(app, people["zofia"])) == 1
        assert len(messages_of(app, people["adam"])) == 1

    def test_a_message_of_another_events_registration_is_refused(
        self, app, client, signed_in, people
    ):
        signed_in()
        with app.app_context():
            other = make_registration(
                make_event(title="Inne wydarzenie"), email="zofia@example.org"
            )
            db.session.commit()
            deliver_due()
            other_id = other.id
        theirs = last_message(app, other_id)
        assert resend(client, people["zofia"], theirs.id).status_code == 404
        assert len(messages_of(app, other_id)) == 1


# --- Who may do it --------------------------------------------------------------------


@pytest.fixture
def gdansk(app, smtp) -> dict:
    with app.app_context():
        event = make_event(title="Seminarium w Gdańsku", city_slug="gdansk")
        person = make_registration(event, email="gd@example.org")
        db.session.commit()
        deliver_due()
        return {"registration": person.id, "event": event.id}


def test_another_citys_organiser_is_forbidden(app, client, signed_in, gdansk):
    signed_in()  # Wrocław
    message = last_message(app, gdansk["registration"])
    assert resend(client, gdansk["registration"], message.id).status_code == 403
    assert len(messages_of(app, gdansk["registration"])) == 1
    with app.app_context():
        assert not db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "message.resend")
        ).all()


def test_a_signed_out_visitor_is_sent_to_sign_in(app, client, gdansk):
    message = last_message(app, gdansk["registration"])
    response = resend(client, gdansk["registration"], message.id)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login?next=")


def test_an_unknown_registration_is_not_found(client, signed_in):
    signed_in()
    assert resend(client, 999_999, 1).status_code == 404


def test_resending_is_no_get(app, client, signed_in, people):
    signed_in()
    response = client.get(f"/organiser/registrations/{people['zofia']}/resend")
    assert response.status_code == 405
    assert len(messages_of(app, people["zofia"])) == 1


def test_resending_needs_the_csrf_token(make_app, smtp):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_account("organiser@example.org", city_slug="wroclaw")
        person = make_registration(db.session.get(Event, make_event().id))
        db.session.commit()
        deliver_due()
        person_id = person.id
    client = app.test_client()
    login = client.get("/organiser/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post(
        "/organiser/login",
        data={"email": "organiser@example.org", "password": PASSWORD, "csrf_token": token},
    )
    message = last_message(app, person_id)
    assert resend(client, person_id, message.id).status_code == 400
    assert len(messages_of(app, person_id)) == 1
