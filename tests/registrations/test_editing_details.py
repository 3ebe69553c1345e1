"""Correcting one's details on the manage page: name, institution, position, needs and
language, never the address; one registration changes, nothing shared with the person's
other registrations does (invariant 6); a GET changes nothing; bad input gets a 4xx."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.events.models import EventStatus
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Participant, Registration
from tests.factories import make_event, make_registration

CORRECTED = {
    "name": "Anna Maria Kowalska",
    "institution": "Muzeum Sztuki",
    "position": "Kuratorka",
    "needs": "Dieta bezglutenowa",
    "language": "en",
}


@pytest.fixture
def annas(app) -> dict:
    """Anna's two registrations, for two events; we correct the first."""
    with app.app_context():
        first = make_registration(make_event(), name="Anna Kowalska", email="anna@example.org")
        other = make_registration(make_event(), name="Anna Kowalska", email="anna@example.org")
        db.session.commit()
        return {"token": first.token, "id": first.id, "other": other.id}


def stored(app, registration_id: int) -> tuple:
    with app.app_context():
        r = db.session.get(Registration, registration_id)
        return (r.full_name, r.institution, r.position, r.needs, r.language, r.email)


def participant(app) -> tuple:
    with app.app_context():
        p = db.session.scalar(sa.select(Participant))
        return (p.name, p.language, p.email, p.feed_token)


def test_the_form_shows_what_the_person_gave(client, annas):
    html = client.get(f"/r/{annas['token']}/edit").text
    assert "<h1>Popraw swoje dane</h1>" in html
    assert 'value="Anna Kowalska"' in html
    assert "anna@example.org" in html  # shown, with why it cannot change
    assert 'name="email"' not in html
    assert '<option selected value="pl">Polski</option>' in html


def test_a_correction_changes_this_registration_alone(app, client, annas):
    before_other, before_participant = stored(app, annas["other"]), participant(app)
    response = client.post(f"/r/{annas['token']}/edit", data=CORRECTED)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/r/{annas['token']}"
    assert stored(app, annas["id"]) == (
        "Anna Maria Kowalska",
        "Muzeum Sztuki",
        "Kuratorka",
        "Dieta bezglutenowa",
        "en",
        "anna@example.org",
    )
    # Whoever holds one link may not be Anna: her other registration and her shared
    # data (name, language, feed) stay as they were.
    assert stored(app, annas["other"]) == before_other
    assert participant(app) == before_participant
    page = client.get(f"/r/{annas['token']}").text
    assert page.count('class="flash flash--success"') == 1
    assert "Zapisaliśmy Twoje dane." in page


def test_the_address_cannot_be_changed_even_by_a_forged_field(app, client, annas):
    client.post(f"/r/{annas['token']}/edit", data={**CORRECTED, "email": "eve@example.org"})
    assert stored(app, annas["id"])[-1] == "anna@example.org"


def test_optional_fields_can_be_emptied(app, client, annas):
    client.post(f"/r/{annas['token']}/edit", data={**CORRECTED, "position": " ", "needs": ""})
    assert stored(app, annas["id"])[2:4] == (None, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Wpisz imię i nazwisko"),
        ("name", "Anna\r\nBcc: eve@example.org", "Wpisz imię i nazwisko w jednym wierszu"),
        ("institution", "I" * 201, "Nazwa instytucji może mieć najwyżej 200 znaków"),
        ("needs", "x\x07", "Usuń znaki specjalne z opisu potrzeb"),
        ("needs", "n" * 1001, "Opisz swoje potrzeby w najwyżej 1000 znakach"),
        ("language", "xx", "Wybierz język wiadomości e-mail"),
        ("language", "", "Wybierz język wiadomości e-mail"),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(app, client, annas, field, value, message):
    before = stored(app, annas["id"])
    response = client.post(f"/r/{annas['token']}/edit", data={**CORRECTED, field: value})
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert stored(app, annas["id"]) == before


def test_a_get_changes_nothing(app, client, annas):
    before = stored(app, annas["id"])
    client.get(f"/r/{annas['token']}/edit", query_string=CORRECTED)
    assert stored(app, annas["id"]) == before


def test_unknown_tokens_find_nothing(client):
    for token in ("nope", "A" * 43):
        assert client.get(f"/r/{token}/edit").status_code == 404
        assert client.post(f"/r/{token}/edit", data=CORRECTED).status_code == 404


def test_a_cancelled_registration_cannot_be_corrected(app, client, annas):
    with app.app_context():
        services.cancel(db.session.get(Registration, annas["id"]))
        db.session.commit()
    before = stored(app, annas["id"])
    for response in (
        client.get(f"/r/{annas['token']}/edit"),
        client.post(f"/r/{annas['token']}/edit", data=CORRECTED),
    ):
        assert response.status_code == 303
    assert stored(app, annas["id"]) == before
    page = client.get(f"/r/{annas['token']}").text
    assert "nie można już zmienić" in page
    assert f"/r/{annas['token']}/edit" not in page


@pytest.mark.parametrize("change", ["ended", "cancelled"])
def test_details_are_closed_once_the_event_is_over_or_cancelled(app, annas, change):
    with app.app_context():
        registration = db.session.get(Registration, annas["id"])
        if change == "ended":
            registration.event.starts_at = utcnow() - timedelta(hours=3)
            registration.event.ends_at = utcnow() - timedelta(hours=1)
        else:
            registration.event.status = EventStatus.CANCELLED
        db.session.flush()
        with pytest.raises(services.DetailsClosed):
            services.change_details(registration, services.Details(name="X", institution="Y"))


class TestWithCsrfProtection:
    @pytest.fixture
    def client(self, make_app):
        return make_app(WTF_CSRF_ENABLED=True).test_client()

    def test_a_correction_needs_the_pages_token(self, app, client, annas):
        before = stored(app, annas["id"])
        response = client.post(f"/r/{annas['token']}/edit", data=CORRECTED)
        assert response.status_code == 400
        assert stored(app, annas["id"]) == before
        html = client.get(f"/r/{annas['token']}/edit").text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post(f"/r/{annas['token']}/edit", data={**CORRECTED, "csrf_token": csrf})
        assert response.status_code == 303
        assert stored(app, annas["id"])[0] == "Anna Maria Kowalska"
