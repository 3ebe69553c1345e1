"""What one person or one organiser may see is never kept by a browser's or a proxy's cache:
``Cache-Control: no-store`` on the manage page and its ticket, the registration API and
everything an organiser opens; public pages stay cacheable."""

from __future__ import annotations

import pytest

from registration.accounts.services import issue_api_token
from registration.extensions import db
from tests.factories import PASSWORD, make_account, make_event, make_registration


@pytest.fixture
def seminar(app) -> dict:
    """A Wrocław seminar with one registration; an organiser with an API token."""
    with app.app_context():
        event = make_event()
        registration = make_registration(event)
        token = issue_api_token(make_account())
        db.session.commit()
        return {"event": event.id, "manage": registration.token, "api_token": token}


def assert_not_stored(response) -> None:
    assert response.headers.get("Cache-Control") == "no-store", (
        response.request.path,
        response.headers.get("Cache-Control"),
    )


def test_the_manage_page_and_its_ticket_are_not_stored(client, seminar):
    assert_not_stored(client.get(f"/r/{seminar['manage']}"))
    assert_not_stored(client.get(f"/r/{seminar['manage']}/ticket.svg"))
    assert_not_stored(client.get("/r/" + "x" * 43))  # unknown: 404, as private as a hit


def test_the_registration_api_is_not_stored(client, seminar):
    created = client.post(
        f"/api/v1/events/{seminar['event']}/registrations",
        json={
            "name": "Łucja Żółkiewska",
            "email": "lucja@example.org",
            "institution": "Teatr Miejski",
            "category": "culture_staff",
            "city": "Gdańsk",
            "consent": True,
        },
    )
    assert created.status_code == 201
    assert_not_stored(created)
    assert_not_stored(client.get(f"/api/v1/registrations/{seminar['manage']}"))
    assert_not_stored(client.delete(f"/api/v1/registrations/{seminar['manage']}"))


def test_organiser_pages_are_not_stored_signed_in_or_out(client, seminar):
    assert_not_stored(client.get("/organiser/"))  # the way to the sign-in page
    assert_not_stored(client.get("/organiser/login"))
    client.post("/organiser/login", data={"email": "organiser@example.org", "password": PASSWORD})
    for path in (
        "/organiser/",
        "/organiser/events",
        f"/organiser/events/{seminar['event']}/attendees",
        f"/organiser/events/{seminar['event']}/attendees.csv",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_not_stored(response)


def test_the_organiser_api_is_not_stored_with_or_without_a_token(client, seminar):
    headers = {"Authorization": f"Bearer {seminar['api_token']}"}
    for path in (
        f"/api/v1/events/{seminar['event']}/registrations",
        f"/api/v1/events/{seminar['event']}/registrations.csv",
    ):
        signed = client.get(path, headers=headers)
        assert signed.status_code == 200, path
        assert_not_stored(signed)
        assert_not_stored(client.get(path))  # 401


def test_public_pages_stay_cacheable(client, seminar):
    for path in ("/", f"/events/{seminar['event']}", "/api/v1/events", "/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
