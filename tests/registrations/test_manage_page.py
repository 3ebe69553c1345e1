"""The manage page says what is true for each state, once: a seat holder gets the ticket
and the calendar; a waitlisted person their place, what happens next and until when; a
cancelled registration the way back. Cancelling asks first, on its own page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.events.models import EventStatus
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_event, make_registration
from tests.registrations.test_registration_pages import FORM


@pytest.fixture
def full_event(app) -> dict:
    """One seat, taken; one person waiting."""
    with app.app_context():
        event = make_event(capacity=1, starts_at=utcnow() + timedelta(days=40))
        holder = make_registration(event, email="holder@example.org")
        waiting = make_registration(event, email="ola@example.org")
        db.session.commit()
        return {"id": event.id, "holder": holder.token, "waiting": waiting.token}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_a_seat_holder_gets_the_ticket_the_calendar_and_where_the_confirmation_goes(
    client, full_event
):
    html = text(client.get(f"/r/{full_event['holder']}").text)
    assert "<title>Twoje miejsce jest potwierdzone · Koalicja Miast</title>" in html
    assert "z zaproszeniem do kalendarza, wysyłamy na adres holder@example.org" in html
    assert "ticket.svg" in html
    assert "calendar.google.com" in html
    assert "Anuluj zgłoszenie, żeby ktoś inny mógł zająć Twoje miejsce." in html
    assert "lista rezerwow" not in html.lower()


def test_a_waitlisted_person_reads_nothing_meant_for_a_seat_holder(client, full_event):
    html = text(client.get(f"/r/{full_event['waiting']}").text)
    assert "Jesteś na liście rezerwowej" in html
    assert "Twoje miejsce w kolejce: 1" in html
    # What happens next, and until when: promotion stops when the event starts.
    assert "Co dalej" in html
    assert "Jeśli przed rozpoczęciem wydarzenia (" in html
    assert "napiszemy na adres ola@example.org" in html
    # No seat, so no ticket, no calendar "add" links, no "give your seat away".
    assert "ticket.svg" not in html
    assert "calendar.google.com" not in html
    assert "calendar.ics" not in html
    assert "Twoje miejsce dostała" not in html
    assert "zająć Twoje miejsce" not in html
    assert "Zrezygnuj z listy rezerwowej" in html


def test_the_date_until_which_the_line_moves_is_the_events_start(app):
    with app.app_context():
        event = make_event()
        assert services.waitlist_moves_until(event) == event.starts_at


def test_registering_says_it_once(client, app):
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    response = client.post(f"/events/{event_id}", data=FORM)
    page = client.get(response.headers["Location"]).text
    assert 'class="flash' not in page
    assert page.count("Twoje miejsce jest potwierdzone") == 2  # the title and the heading


def test_cancelling_asks_first_and_a_get_changes_nothing(app, client, full_event):
    token = full_event["holder"]
    html = text(client.get(f"/r/{token}/cancel").text)
    assert "Na pewno anulować zgłoszenie?" in html
    assert f'action="/r/{token}/cancel"' in html
    assert "Tak, anuluj moje zgłoszenie" in html
    assert f'href="/r/{token}">Nie, zachowaj moje zgłoszenie</a>' in html
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(Registration.status).order_by(Registration.id)
        ).all()
    assert statuses == [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]


def test_leaving_the_waitlist_is_asked_in_its_own_words(client, full_event):
    html = client.get(f"/r/{full_event['waiting']}/cancel").text
    assert "Na pewno zrezygnować z listy rezerwowej?" in html
    assert "Stracisz swoje miejsce w kolejce." in html
    assert "Tak, rezygnuję z listy rezerwowej" in html


def test_after_cancelling_one_message_and_the_way_back_while_open(client, full_event):
    token = full_event["holder"]
    assert client.post(f"/r/{token}/cancel").status_code == 303
    html = text(client.get(f"/r/{token}").text)
    assert 'class="flash' not in html
    assert "Twoje zgłoszenie zostało anulowane</h1>" in html
    assert f'href="/events/{full_event["id"]}#register-heading">Zapisz się ponownie</a>' in html
    # The confirmation page of a cancelled registration leads back to it.
    again = client.get(f"/r/{token}/cancel")
    assert again.status_code == 303
    assert again.headers["Location"] == f"/r/{token}"


def test_a_cancelled_registration_of_a_closed_event_offers_no_way_back(app, client):
    with app.app_context():
        event = make_event(registration_closes_at=utcnow() + timedelta(days=1))
        registration = make_registration(event)
        services.cancel(registration)
        event.registration_closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        token = registration.token
    html = client.get(f"/r/{token}").text
    assert "Zapisz się ponownie" not in html


def test_a_started_event_cannot_be_cancelled_and_the_page_says_so(app, client):
    with app.app_context():
        event = make_event(starts_at=utcnow() + timedelta(hours=1))
        registration = make_registration(event)
        event.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        token = registration.token
    html = client.get(f"/r/{token}/cancel").text
    assert "nie można już anulować" in html
    assert "<form" not in html.split("<main", 1)[1]
    response = client.post(f"/r/{token}/cancel")
    assert response.status_code == 303
    assert "nie można już anulować" in client.get(f"/r/{token}").text


def test_a_cancelled_event_says_so_and_offers_no_seat(app, client):
    with app.app_context():
        event = make_event()
        registration = make_registration(event)
        event.status = EventStatus.CANCELLED
        db.session.commit()
        token = registration.token
    html = client.get(f"/r/{token}").text
    assert "To wydarzenie zostało odwołane</h1>" in html
    assert "ticket.svg" not in html
    assert "calendar.google.com" not in html
    assert f"/r/{token}/cancel" not in html
    assert f"/r/{token}/edit" not in html


def test_a_likely_typo_in_the_address_is_pointed_out_on_the_manage_page(app, client):
    with app.app_context():
        registration = make_registration(make_event(), email="anna@wp.pll")
        db.session.commit()
        token = registration.token
    html = client.get(f"/r/{token}").text
    assert "Może chodziło Ci o anna@wp.pl?" in html
    assert "anuluj to zgłoszenie i zapisz się ponownie" in html


def test_a_common_address_gets_no_suggestion(client, full_event):
    assert "Może chodziło Ci o" not in client.get(f"/r/{full_event['holder']}").text


def test_the_manage_page_shows_what_the_person_gave(app, client):
    with app.app_context():
        registration = make_registration(
            make_event(), name="Ewa Nowak", institution="Teatr Nowy", position=None, needs="Pętla"
        )
        db.session.commit()
        token = registration.token
    html = text(client.get(f"/r/{token}").text)
    assert "Twoje dane w zgłoszeniu" in html
    for value in ("Ewa Nowak", "Teatr Nowy", "Pętla", "Polski"):
        assert f"<dd>{value}</dd>" in html
    assert f'href="/r/{token}/edit">Popraw swoje dane</a>' in html


def test_flashed_messages_have_their_own_kind_sign_and_word(app, client, full_event):
    """Success and error look and sound different (not by colour alone); an error is an
    alert that takes the focus."""
    token = full_event["holder"]
    client.post(f"/r/{token}/edit", data={"name": "Jan", "institution": "MDK", "language": "pl"})
    success = text(client.get(f"/r/{token}").text)
    assert re.search(
        r'<div class="flash flash--success" role="status"> <span class="flash__sign" '
        r'aria-hidden="true">✓</span> <p><strong class="flash__label">Gotowe:</strong> '
        r"Zapisaliśmy Twoje dane.</p>",
        success,
    )
    with app.app_context():
        registration = services.find_by_token(token)
        registration.event.starts_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    client.post(f"/r/{token}/cancel")
    error = text(client.get(f"/r/{token}").text)
    assert re.search(
        r'<div class="flash flash--error" role="alert" tabindex="-1" autofocus> '
        r'<span class="flash__sign" aria-hidden="true">✕</span> <p><strong '
        r'class="flash__label">Wystąpił problem:</strong> ',
        error,
    )
