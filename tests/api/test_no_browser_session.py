"""The JSON API keeps no browser session: organisers send a bearer token, and nothing
else is remembered between requests. Flask's session cookie is for the pages alone."""

from __future__ import annotations

from flask import Flask, session

from registration.extensions import db
from tests.factories import PASSWORD, make_account, make_event


def test_an_api_request_gets_no_session_and_a_page_does(app: Flask):
    with app.test_request_context("/api/v1/events"):
        assert app.session_interface.is_null_session(session)
    with app.test_request_context("/events"):
        assert not app.session_interface.is_null_session(session)


def test_a_signed_in_browser_stays_signed_in_and_its_cookie_is_left_alone_by_the_api(
    app: Flask, client
):
    with app.app_context():
        make_account("organiser@example.org")
        event_id = make_event().id
        db.session.commit()
    signed_in = client.post(
        "/organiser/login", data={"email": "organiser@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 303
    cookie = client.get_cookie("session").value

    registered = client.post(
        f"/api/v1/events/{event_id}/registrations",
        json={
            "name": "Anna Nowak",
            "email": "anna@example.org",
            "institution": "Miejski Dom Kultury",
            "category": "culture_staff",
            "city": "Łódź",
            "consent": True,
        },
    )
    listed = client.get(f"/api/v1/events/{event_id}/registrations")

    assert registered.status_code == 201
    assert "Set-Cookie" not in registered.headers
    assert listed.status_code == 401  # a browser's sign-in is no API token
    assert client.get_cookie("session").value == cookie
    assert client.get("/organiser/").status_code == 200
