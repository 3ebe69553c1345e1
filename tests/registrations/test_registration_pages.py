"""Registering on the event page, and the manage page behind the secret link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.events.models import EventStatus
from registration.extensions import db
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_event, make_registration

FORM = {
    "name": "Zofia Wiśniewska",
    "email": "zofia@example.org",
    "institution": "Miejski Dom Kultury",
    "position": "Animatorka",
    "category": "culture_staff",
    "city": "Łódź",
    "needs": "",
    "consent": "y",
}


@pytest.fixture
def event_id(app) -> int:
    with app.app_context():
        event = make_event(title="Seminarium o danych", capacity=1)
        db.session.commit()
        return event.id


def registrations(app) -> list[Registration]:
    with app.app_context():
        found = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
        db.session.expunge_all()
        return found


def test_event_page_offers_the_form_with_every_field_labelled(client, event_id):
    html = client.get(f"/events/{event_id}").text
    for field in (
        "name",
        "email",
        "institution",
        "position",
        "category",
        "city",
        "needs",
        "consent",
    ):
        assert re.search(rf'<label for="{field}">', html), field
        assert f'id="{field}"' in html
    assert "Wyrażam zgodę na przetwarzanie moich danych osobowych" in html
    assert ">Zapisz się</button>" in html


def test_registering_confirms_and_lands_on_the_manage_page(app, client, event_id):
    response = client.post(f"/events/{event_id}", data=FORM)
    assert response.status_code == 303
    [registration] = registrations(app)
    assert response.headers["Location"] == f"/r/{registration.token}"
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.position == "Animatorka"
    assert registration.needs is None
    page = client.get(response.headers["Location"]).text
    assert "Twoje miejsce jest potwierdzone" in page
    assert "z zaproszeniem do kalendarza, wysyłamy na adres zofia@example.org." in page
    assert f'src="/r/{registration.token}/ticket.svg"' in page


def test_a_full_event_offers_and_gives_a_waitlist_place(app, client, event_id):
    client.post(f"/events/{event_id}", data=FORM)
    assert "Zapisz mnie na listę rezerwową" in client.get(f"/events/{event_id}").text
    response = client.post(f"/events/{event_id}", data={**FORM, "email": "ola@example.org"})
    page = client.get(response.headers["Location"]).text
    assert "Jesteś na liście rezerwowej" in page
    assert "Twoje miejsce w kolejce: 1" in page
    assert "ticket.svg" not in page  # no ticket until a seat is confirmed


def test_invalid_input_keeps_what_was_typed_and_names_each_error(app, client, event_id):
    response = client.post(
        f"/events/{event_id}", data={**FORM, "email": "zofia-at-example", "consent": ""}
    )
    assert response.status_code == 422
    html = response.text
    assert 'value="Zofia Wiśniewska"' in html
    assert 'value="Miejski Dom Kultury"' in html
    assert 'id="email-error"' in html
    assert "Wpisz adres e-mail w poprawnym formacie, na przykład jan.kowalski@example.org" in html
    assert "Zaznacz zgodę na przetwarzanie danych: bez niej nie możemy Cię zapisać" in html
    assert re.search(
        r'aria-describedby="email-hint email-error"[^>]*aria-invalid="true"', html
    ) or re.search(r'aria-invalid="true"[^>]*aria-describedby="email-hint email-error"', html)
    assert 'class="error-summary"' in html
    assert registrations(app) == []


def test_errors_are_in_english_for_an_english_visitor(client, event_id):
    client.get("/?lang=en")
    html = client.post(f"/events/{event_id}", data={**FORM, "name": ""}).text
    assert "Enter your full name" in html


def test_a_repeat_registration_reveals_nothing(app, client, event_id):
    client.post(f"/events/{event_id}", data=FORM)
    [first] = registrations(app)
    response = client.post(f"/events/{event_id}", data={**FORM, "email": "ZOFIA@example.org "})
    assert response.status_code == 409
    assert "Ten adres e-mail jest już zapisany na to wydarzenie." in response.text
    assert first.token not in response.text
    assert len(registrations(app)) == 1


def test_closed_event_shows_no_form_and_refuses_a_forged_post(app, client):
    with app.app_context():
        event = make_event(registration_closes_at=utcnow() - timedelta(hours=1))
        db.session.commit()
        event_id = event.id
    html = client.get(f"/events/{event_id}").text
    assert "Rejestracja nie jest otwarta." in html
    assert 'name="consent"' not in html
    response = client.post(f"/events/{event_id}", data=FORM)
    assert response.status_code == 409
    assert registrations(app) == []


def test_drafts_and_unknown_events_take_no_registration(app, client):
    with app.app_context():
        draft_id = make_event(status=EventStatus.DRAFT).id
        db.session.commit()
    for event_id in (draft_id, 987654):
        assert client.post(f"/events/{event_id}", data=FORM).status_code == 404
        assert client.post(f"/events/{event_id}", data={"name": ""}).status_code == 404
    assert registrations(app) == []


def test_manage_page_cancels_with_a_post_and_a_repeat_is_a_no_op(app, client, event_id):
    client.post(f"/events/{event_id}", data=FORM)
    client.post(f"/events/{event_id}", data={**FORM, "email": "next@example.org"})
    holder, waiting = registrations(app)
    # Mail scanners follow links: a GET only asks.
    assert "Na pewno anulować zgłoszenie?" in client.get(f"/r/{holder.token}/cancel").text
    assert registrations(app)[0].status == RegistrationStatus.CONFIRMED
    response = client.post(f"/r/{holder.token}/cancel")
    assert response.status_code == 303
    page = client.get(f"/r/{holder.token}").text
    assert page.count("Twoje zgłoszenie zostało anulowane") == 2  # the title and the heading
    assert 'class="flash' not in page  # the heading is the one message
    assert "Anuluj moje zgłoszenie" not in page
    again = client.post(f"/r/{holder.token}/cancel")
    assert again.status_code == 303
    holder, waiting = registrations(app)
    assert holder.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.CONFIRMED


def test_unknown_tokens_find_nothing(client):
    for path in ("/r/nope", "/r/" + "A" * 43, "/r/" + "A" * 43 + "/ticket.svg"):
        assert client.get(path).status_code == 404
    assert client.post("/r/" + "A" * 43 + "/cancel").status_code == 404


def test_ticket_is_an_svg_qr_code_of_the_check_in_link(app, client):
    with app.app_context():
        registration = make_registration(make_event())
        db.session.commit()
        token = registration.token
    response = client.get(f"/r/{token}/ticket.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.text.lstrip().startswith("<svg")
    assert "<path" in response.text


def test_manage_page_is_kept_out_of_search_engines_and_referrers(app, client):
    with app.app_context():
        registration = make_registration(make_event())
        db.session.commit()
        token = registration.token
    response = client.get(f"/r/{token}")
    assert '<meta name="robots" content="noindex">' in response.text
    assert response.headers["Referrer-Policy"] == "same-origin"


class TestWithCsrfProtection:
    @pytest.fixture
    def client(self, make_app):
        return make_app(WTF_CSRF_ENABLED=True).test_client()

    def test_form_posts_without_the_token_are_refused(self, client, event_id):
        response = client.post(f"/events/{event_id}", data=FORM)
        assert response.status_code == 400
        assert "Formularz wygasł" in response.text

    def test_the_form_token_from_the_page_is_accepted(self, client, event_id):
        html = client.get(f"/events/{event_id}").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post(f"/events/{event_id}", data={**FORM, "csrf_token": token})
        assert response.status_code == 303

    def test_cancel_needs_the_token_too(self, app, client):
        with app.app_context():
            registration = make_registration(make_event())
            db.session.commit()
            token = registration.token
        assert client.post(f"/r/{token}/cancel").status_code == 400
        page = client.get(f"/r/{token}/cancel").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post(f"/r/{token}/cancel", data={"csrf_token": csrf}).status_code == 303


def test_manage_page_links_the_event_file_but_never_the_personal_feed(app, client):
    """The page opens with one registration's token, which whoever registered has:
    the feed of all the person's registrations goes only by email (invariant 6)."""
    with app.app_context():
        registration = make_registration(make_event())
        db.session.commit()
        token, event_id = registration.token, registration.event_id
        feed_token = registration.participant.feed_token
    html = client.get(f"/r/{token}").text
    assert f'href="/events/{event_id}/calendar.ics"' in html
    assert "calendar.google.com" in html
    assert feed_token not in html
    assert "/calendar/personal/" not in html
