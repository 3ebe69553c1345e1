"""A person's own data: a link by email, asked for on /privacy, opens everything held about
the address, as a page and a JSON download, and erases it (docs/privacy.md)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.privacy import own_data
from registration.registrations import services
from registration.registrations.models import Participant, Registration, RegistrationStatus
from tests.factories import make_event, make_registration
from tests.notifications.test_delivery import text_of
from tests.privacy.test_retention import holding

ANNA = {
    "name": "Anna Własnodanych",
    "email": "anna.wlasnodanych@example.org",
    "institution": "Teatr Miejski Własny",
    "position": "Kierowniczka literacka",
    "needs": "Miejsce przy przejściu",
    "city": "Gdańsk",
}
STRANGER = "nikt.taki@example.org"


@pytest.fixture
def anna(mail_app) -> dict:
    """Anna holds the one seat of a seminar ahead (Ben waits behind her), went to a study
    visit last month (checked in), and cancelled a meeting; she has had her emails."""
    with mail_app.app_context():
        now = utcnow()
        seminar = make_event(title="Seminarium przed nami", capacity=1)
        seat = make_registration(seminar, **ANNA)
        ben = make_registration(seminar, email="ben.czekajacy@example.org", name="Ben Czekający")
        visit = make_event(title="Wizyta sprzed miesiąca", starts_at=now - timedelta(days=30))
        went = make_registration(visit, **ANNA, now=now - timedelta(days=40))
        went.checked_in_at = visit.starts_at
        meeting = make_event(title="Spotkanie odwołane przeze mnie")
        left = make_registration(meeting, **ANNA, language="en")
        services.cancel(left)
        db.session.commit()
        deliver_due()
        return {
            "seat": seat.id,
            "ben": ben.id,
            "went": went.id,
            "left": left.id,
            "participant": seat.participant_id,
            "ben_participant": ben.participant_id,
            "seminar": seminar.id,
        }


def ask(client, email: str, language: str = "pl"):
    return client.post(f"/privacy/data-link?lang={language}", data={"email": email})


def data_links(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (message.recipient, message.language)
            for message in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.DATA_LINK)
            )
        ]


def link_in(message) -> str:
    """The path of the data link in an email."""
    return re.search(r"https://koalicja\.example\.org(/privacy/data/[\w.-]+)", text_of(message))[1]


def key_of(app, participant_id: int, **when) -> str:
    with app.app_context():
        return own_data.data_link_key(db.session.get(Participant, participant_id), **when)


# --- Asking for the link -----------------------------------------------------------


def test_the_link_goes_by_email_to_a_known_address(mail_app, smtp, anna):
    client = mail_app.test_client()
    response = ask(client, " Anna.Wlasnodanych@EXAMPLE.org ", "en")
    assert response.status_code == 303
    assert response.headers["Location"] == "/privacy/data-link/sent"
    assert data_links(mail_app) == [(ANNA["email"], "en")]
    with mail_app.app_context():
        deliver_due()
    [email] = [
        m for m in smtp.messages_to(ANNA["email"]) if m["Subject"] == "The link to your data"
    ]
    page = client.get(link_in(email))
    assert page.status_code == 200
    assert ANNA["institution"] in page.text


def test_a_stranger_gets_the_same_answer_and_no_link(mail_app, anna):
    """Same status, redirect, headers and page but for the address typed; nothing queued."""
    answers = []
    for address in (ANNA["email"], STRANGER):
        client = mail_app.test_client()
        response = ask(client, address)
        page = client.get(response.headers["Location"])
        answers.append(
            (
                response.status_code,
                response.headers["Location"],
                sorted(response.headers.keys()),
                page.status_code,
                page.text.replace(address, "ADDRESS"),
            )
        )
    assert answers[0] == answers[1]
    assert data_links(mail_app) == [(ANNA["email"], "pl")]


def test_asking_again_soon_sends_nothing_more(mail_app, anna):
    client = mail_app.test_client()
    for _ in range(3):
        assert ask(client, ANNA["email"]).status_code == 303
    assert len(data_links(mail_app)) == 1
    with mail_app.app_context():
        later = utcnow() + own_data.DATA_LINK_QUIET_PERIOD + timedelta(seconds=1)
        own_data.send_data_link(ANNA["email"], language="pl", now=later)
        db.session.commit()
    assert len(data_links(mail_app)) == 2


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Wpisz adres e-mail podany przy zapisie"),
        ("anna-at-example.org", "Wpisz adres e-mail w poprawnym formacie"),
        ("a" * 250 + "@example.org", "Adres e-mail może mieć najwyżej 254 znaków"),
        ("anna@example.org\r\nBcc: eve@example.org", "Wpisz adres e-mail w poprawnym formacie"),
    ],
)
def test_bad_addresses_are_named_and_nothing_is_sent(mail_app, anna, email, message):
    response = ask(mail_app.test_client(), email)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert data_links(mail_app) == []


def test_the_form_is_a_partial_any_page_can_include(mail_app):
    """``privacy/_data_request.html`` makes its own form: /privacy includes it as it is."""
    with mail_app.test_request_context("/privacy"):
        from flask import render_template_string

        html = render_template_string('{% include "privacy/_data_request.html" %}')
    assert 'action="/privacy/data-link"' in html
    assert 'id="data-request-email"' in html
    assert 'name="email"' in html


# --- The page and the download -------------------------------------------------------


def test_the_page_shows_what_is_held(mail_app, anna):
    page = mail_app.test_client().get(f"/privacy/data/{key_of(mail_app, anna['participant'])}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    for value in (ANNA["email"], ANNA["name"], ANNA["institution"], ANNA["needs"]):
        assert value in page.text
    for title in ("Seminarium przed nami", "Wizyta sprzed miesiąca", "Spotkanie odwołane"):
        assert title in page.text
    assert "Ben Czekający" not in page.text


def test_the_download_lists_exactly_what_is_held(mail_app, anna):
    client = mail_app.test_client()
    response = client.get(f"/privacy/data/{key_of(mail_app, anna['participant'])}/download")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = json.loads(response.text)

    with mail_app.app_context():
        participant = db.session.get(Participant, anna["participant"])
        held = db.session.scalars(
            sa.select(Registration)
            .where(Registration.email == ANNA["email"])
            .order_by(Registration.id)
        ).all()
        messages = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == ANNA["email"])
            .order_by(OutboxMessage.id)
        ).all()
        expected = {
            "email": ANNA["email"],
            "name": ANNA["name"],
            "language": "pl",
            "created_at": participant.created_at.isoformat(),
            "registrations": [
                {
                    "id": r.id,
                    "event": {
                        "id": r.event.id,
                        "title": r.event.title,
                        "starts_at": r.event.starts_at.isoformat(),
                        "ends_at": r.event.ends_at.isoformat(),
                        "city": r.event.city.name,
                        "data_controller": "Strefa Kultury Wrocław",
                    },
                    "status": r.status.value,
                    "full_name": ANNA["name"],
                    "email": ANNA["email"],
                    "institution": ANNA["institution"],
                    "position": ANNA["position"],
                    "category": "culture_staff",
                    "city": ANNA["city"],
                    "needs": ANNA["needs"],
                    "language": r.language,
                    "consent": {
                        "given_at": r.consent_at.isoformat(),
                        "version": services.CONSENT_VERSION,
                    },
                    "created_at": r.created_at.isoformat(),
                    "cancelled_at": r.cancelled_at and r.cancelled_at.isoformat(),
                    "checked_in_at": r.checked_in_at and r.checked_in_at.isoformat(),
                }
                for r in held
            ],
            "messages": [
                {
                    "kind": m.kind.value,
                    "registration_id": m.registration_id,
                    "recipient": ANNA["email"],
                    "language": m.language,
                    "status": "sent",
                    "created_at": m.created_at.isoformat(),
                    "sent_at": m.sent_at.isoformat(),
                }
                for m in messages
            ],
        }
        secrets = [r.token for r in held] + [r.check_in_code for r in held]
        secrets.append(participant.feed_token)
    assert [r["id"] for r in exported["registrations"]] == [
        anna["seat"],
        anna["went"],
        anna["left"],
    ]
    assert [r["status"] for r in exported["registrations"]] == [
        "confirmed",
        "confirmed",
        "cancelled",
    ]
    assert [m["kind"] for m in exported["messages"]] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "cancelled",
    ]
    assert exported == expected
    assert not any(secret in response.text for secret in secrets)


def test_the_download_is_recorded_without_personal_data(mail_app, anna):
    mail_app.test_client().get(f"/privacy/data/{key_of(mail_app, anna['participant'])}/download")
    with mail_app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy.exported")
        ).one()
        assert (entry.account_id, entry.registration_id, entry.details) == (
            None,
            None,
            {"registrations": 3},
        )


# --- Links that open nothing -----------------------------------------------------------


def test_an_expired_link_gets_a_clear_page_and_a_new_form(mail_app, anna):
    old = key_of(mail_app, anna["participant"], now=utcnow() - timedelta(hours=1, minutes=1))
    for path in ("", "/download", "/erase"):
        response = mail_app.test_client().get(f"/privacy/data/{old}{path}")
        assert response.status_code == 410
        assert "Ten link wygasł" in response.text
        assert 'action="/privacy/data-link"' in response.text
    assert mail_app.test_client().post(f"/privacy/data/{old}/erase").status_code == 410


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "MQ.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "%00",
        "ąę" * 40,
        "MQ" * 400,
    ],
)
def test_a_made_up_link_is_refused(mail_app, anna, key):
    response = mail_app.test_client().get(f"/privacy/data/{key}")
    assert response.status_code == 404
    assert "Ten link nie działa" in response.text


def test_an_altered_link_is_refused(mail_app, anna):
    key = key_of(mail_app, anna["participant"])
    rest = key.split(".", 1)[1]
    other = key_of(mail_app, anna["ben_participant"]).split(".", 1)[0]  # Ben's, signed for Anna
    for altered in (f"{other}.{rest}", key[:-2] + ("AA" if key[-2:] != "AA" else "BB")):
        assert mail_app.test_client().get(f"/privacy/data/{altered}").status_code == 404


def test_another_signed_link_of_the_service_does_not_open_it(mail_app, anna):
    """The calendar's replacement key is signed with the same secret, under another salt."""
    with mail_app.app_context():
        key = services.feed_replacement_key(db.session.get(Registration, anna["seat"]))
    assert mail_app.test_client().get(f"/privacy/data/{key}").status_code == 404


# --- Erasure ----------------------------------------------------------------------------


def test_erasure_is_asked_first(mail_app, anna):
    key = key_of(mail_app, anna["participant"])
    page = mail_app.test_client().get(f"/privacy/data/{key}/erase")
    assert page.status_code == 200
    assert "Seminarium przed nami" in page.text  # the seat to be given up
    assert "Wizyta sprzed miesiąca" not in page.text  # over: nothing to cancel
    with mail_app.app_context():
        assert db.session.get(Registration, anna["seat"]).status == RegistrationStatus.CONFIRMED


def test_erasure_needs_the_forms_token(make_app, anna):
    app = make_app(WTF_CSRF_ENABLED=True)
    key = key_of(app, anna["participant"])
    assert app.test_client().post(f"/privacy/data/{key}/erase").status_code == 400
    with app.app_context():
        assert db.session.get(Participant, anna["participant"]).anonymised_at is None


def test_erasure_gives_the_seat_to_the_first_in_line_and_tells_both(mail_app, smtp, anna):
    client = mail_app.test_client()
    key = key_of(mail_app, anna["participant"])
    response = client.post(f"/privacy/data/{key}/erase")
    assert response.status_code == 303
    assert response.headers["Location"] == "/privacy/data/erased"
    assert "Twoje dane zostały usunięte" in client.get("/privacy/data/erased").text

    with mail_app.app_context():
        assert db.session.get(Registration, anna["ben"]).status == RegistrationStatus.CONFIRMED
        seat = db.session.get(Registration, anna["seat"])
        assert (seat.status, seat.anonymised_at is not None) == (RegistrationStatus.CANCELLED, True)
        sent_before = {m["Message-ID"] for m in smtp.received}
        assert deliver_due().sent == 2
    new = [m for m in smtp.received if m["Message-ID"] not in sent_before]
    by_address = {m["X-Envelope-To"]: m for m in new}
    assert set(by_address) == {ANNA["email"], "ben.czekajacy@example.org"}
    assert by_address[ANNA["email"]]["Subject"].startswith("Zgłoszenie anulowane")
    assert "usunęliśmy też Twoje dane osobowe" in text_of(by_address[ANNA["email"]])
    assert "/r/" not in text_of(by_address[ANNA["email"]])  # no link to what is erased
    assert by_address["ben.czekajacy@example.org"]["Subject"].startswith("Miejsce jest Twoje")

    with mail_app.app_context():
        # Once sent, the cancellation keeps no address either: nothing of Anna is left.
        assert holding(ANNA) == []
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy.erased")
        ).one()
        assert entry.details == {"cancelled": 1, "registrations": 3, "messages": 4, "withdrawn": 0}
        assert (entry.account_id, entry.registration_id) == (None, None)
    # The link, and every manage link, now open nothing.
    assert client.get(f"/privacy/data/{key}").status_code == 404
    assert client.post(f"/privacy/data/{key}/erase").status_code == 404


def test_messages_still_waiting_are_withdrawn(mail_app, anna):
    """What was queued for Anna and not yet sent (her data link) no longer goes: only the
    cancellations that erasure itself queues do."""
    with mail_app.app_context():
        own_data.send_data_link(ANNA["email"], language="pl")
        db.session.commit()
        erased = own_data.erase(db.session.get(Participant, anna["participant"]))
        assert erased.withdrawn == 1
        waiting = db.session.scalars(
            sa.select(OutboxMessage.kind).where(OutboxMessage.status == DeliveryStatus.QUEUED)
        ).all()
        assert sorted(waiting) == [MessageKind.CANCELLED, MessageKind.PROMOTED]


def test_erasing_twice_changes_nothing_more(mail_app, anna):
    with mail_app.app_context():
        participant = db.session.get(Participant, anna["participant"])
        own_data.erase(participant)
        again = own_data.erase(db.session.get(Participant, anna["participant"]))
        assert (again.cancelled, again.registrations) == (0, 0)


def test_a_retention_run_after_an_erasure_finds_nothing_of_it(mail_app, anna):
    from registration.privacy.retention import anonymise_due

    with mail_app.app_context():
        own_data.erase(db.session.get(Participant, anna["participant"]))
        done = anonymise_due()
        assert (done.registrations, done.participants) == (0, 0)
