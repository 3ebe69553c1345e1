"""A lost manage link, asked for again from the event page: it goes by email to the
address, if that address is registered for the event, and the page answers every
address the same way, so that it tells a stranger nothing (invariant 6)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.events.models import EventStatus
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services
from tests.factories import make_event, make_registration
from tests.notifications.test_delivery import html_of, text_of

ANNA = "anna.kowalska@example.org"
STRANGER = "nikt.taki@example.org"


@pytest.fixture
def event(app) -> dict:
    with app.app_context():
        event = make_event(title="Seminarium o publiczności")
        anna = make_registration(event, email=ANNA, name="Anna Kowalska")
        db.session.commit()
        return {"id": event.id, "token": anna.token, "registration": anna.id}


def manage_link_messages(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (message.registration_id, message.recipient)
            for message in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.MANAGE_LINK)
            )
        ]


def ask(client, event_id: int, email: str):
    return client.post(f"/events/{event_id}/lost-link", data={"email": email})


def test_the_page_asks_for_one_address(client, event):
    html = client.get(f"/events/{event['id']}/lost-link").text
    assert "<h1>Wyślij mi ponownie link do zgłoszenia</h1>" in html
    assert re.findall(r'<input[^>]*type="(\w+)"', html) == ["email"]
    assert 'autocomplete="email"' in html


def test_a_registered_address_gets_its_link_by_email(app, client, event):
    response = ask(client, event["id"], " Anna.Kowalska@EXAMPLE.org ")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{event['id']}/lost-link/sent"
    assert manage_link_messages(app) == [(event["registration"], ANNA)]
    html = client.get(response.headers["Location"]).text
    assert "Sprawdź skrzynkę e-mail" in html
    assert event["token"] not in html


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(app, make_app, event):
    """Same status, same redirect, same page but for the address typed, same cookie shape."""
    answers = []
    for email in (ANNA, STRANGER):
        client = app.test_client()
        response = ask(client, event["id"], email)
        page = client.get(response.headers["Location"])
        answers.append(
            (
                response.status_code,
                response.headers["Location"],
                sorted(response.headers.keys()),
                page.status_code,
                page.text.replace(email, "ADDRESS"),
            )
        )
    assert answers[0] == answers[1]
    assert manage_link_messages(app) == [(event["registration"], ANNA)]


def test_asking_again_soon_sends_nothing_more(app, client, event):
    for _ in range(3):
        assert ask(client, event["id"], ANNA).status_code == 303
    assert len(manage_link_messages(app)) == 1
    with app.app_context():
        services.send_manage_link(
            event["id"], ANNA, now=utcnow() + services.LOST_LINK_QUIET_PERIOD + timedelta(1)
        )
        db.session.commit()
    assert len(manage_link_messages(app)) == 2


def test_a_cancelled_registration_still_gets_its_link(app, client, event):
    """The page of a cancelled registration shows its state and the way to register again."""
    with app.app_context():
        services.cancel(services.find_by_token(event["token"]))
        db.session.commit()
    ask(client, event["id"], ANNA)
    assert manage_link_messages(app) == [(event["registration"], ANNA)]


def test_the_active_registration_comes_before_a_cancelled_one(app, client, event):
    with app.app_context():
        services.cancel(services.find_by_token(event["token"]))
        again = make_registration(db.session.get(services.Event, event["id"]), email=ANNA)
        db.session.commit()
        again_id = again.id
    ask(client, event["id"], ANNA)
    assert manage_link_messages(app) == [(again_id, ANNA)]


def test_another_events_registration_is_not_sent(app, client, event):
    with app.app_context():
        other_id = make_event().id
        db.session.commit()
    assert ask(client, other_id, ANNA).status_code == 303
    assert manage_link_messages(app) == []


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Wpisz adres e-mail podany przy zapisie"),
        ("anna-at-example.org", "Wpisz adres e-mail w poprawnym formacie"),
        ("a" * 250 + "@example.org", "Adres e-mail może mieć najwyżej 254 znaków"),
        ("anna@example.org\r\nBcc: eve@example.org", "Wpisz adres e-mail w poprawnym formacie"),
    ],
)
def test_bad_addresses_are_named_and_nothing_is_sent(app, client, event, email, message):
    response = ask(client, event["id"], email)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert manage_link_messages(app) == []


def test_drafts_and_unknown_events_have_no_such_page(app, client):
    with app.app_context():
        draft_id = make_event(status=EventStatus.DRAFT).id
        db.session.commit()
    for event_id in (draft_id, 987654):
        assert client.get(f"/events/{event_id}/lost-link").status_code == 404
        assert ask(client, event_id, ANNA).status_code == 404
        assert client.get(f"/events/{event_id}/lost-link/sent").status_code == 404


def test_the_answer_page_without_a_question_leads_to_the_question(client, event):
    response = client.get(f"/events/{event['id']}/lost-link/sent")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{event['id']}/lost-link"


def test_the_email_carries_the_manage_link_to_the_address_alone(make_app, smtp, event):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    ask(app.test_client(), event["id"], ANNA)
    with app.app_context():
        report = deliver_due()
    assert report.sent == 2  # the confirmation from registering, and the link
    [_confirmation, link] = smtp.messages_to(ANNA)
    assert link["Subject"] == "Link do Twojego zgłoszenia: Seminarium o publiczności"
    body = text_of(link)
    assert f"/r/{event['token']}" in body
    assert "Ktoś, być może Ty, poprosił na stronie wydarzenia o link" in body
    assert f"/r/{event['token']}" in html_of(link)
    assert smtp.messages_to(STRANGER) == []


def test_the_page_is_rate_limited(make_app, event):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    answers = [ask(client, event["id"], STRANGER).status_code for _ in range(6)]
    assert answers[:5] == [303] * 5
    assert answers[5] == 429


class TestWithCsrfProtection:
    @pytest.fixture
    def client(self, make_app):
        return make_app(WTF_CSRF_ENABLED=True).test_client()

    def test_a_request_needs_the_pages_token(self, app, client, event):
        assert ask(client, event["id"], ANNA).status_code == 400
        assert manage_link_messages(app) == []
        html = client.get(f"/events/{event['id']}/lost-link").text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post(
            f"/events/{event['id']}/lost-link", data={"email": ANNA, "csrf_token": csrf}
        )
        assert response.status_code == 303
        assert len(manage_link_messages(app)) == 1
