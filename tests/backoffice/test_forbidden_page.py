"""A 403 explains city scoping to an organiser, and leads back to their own events."""

from __future__ import annotations

from bs4 import BeautifulSoup

from registration.extensions import db
from tests.factories import make_event


def test_another_citys_event_explains_why_and_leads_back(app, client, signed_in):
    with app.app_context():
        gdansk_event = make_event(city_slug="gdansk").id
        db.session.commit()
    signed_in()  # a Wrocław organiser
    response = client.get(f"/organiser/events/{gdansk_event}/attendees")
    assert response.status_code == 403
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.get_text() == "Nie masz dostępu do tej strony"
    assert "tylko wydarzenia swojego miasta" in page.main.get_text()
    assert page.main.find("a", href="/organiser/")


def test_the_page_explains_other_cities_are_for_administrators(app, client, signed_in):
    with app.app_context():
        gdansk_event = make_event(city_slug="gdansk").id
        db.session.commit()
    signed_in()
    response = client.get(f"/organiser/events/{gdansk_event}/attendees?lang=en")
    assert response.status_code == 403
    page = BeautifulSoup(response.text, "html.parser")
    assert "the other cities' events are for administrators" in page.main.get_text()
