"""Organisers choose an event's data controller in its form (docs/privacy.md, controllers)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from registration.events.models import Event
from registration.extensions import db
from tests.backoffice.test_events import edit_form, form
from tests.factories import ORGANISATION, city, make_event


@pytest.fixture
def app(make_app):
    return make_app(ORGANISATION=ORGANISATION)


def _options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*id="data_controller".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]+)</option>", select)


def test_an_organiser_chooses_among_their_citys_bodies_and_the_coordinator(client, signed_in):
    signed_in(city_slug="gdansk")
    assert _options(client.get("/organiser/events/new?lang=en").text) == [
        "The city's own, or else the coordinator",
        "Instytut Kultury Miejskiej (Gdańsk)",
        "Urząd Miejski w Gdańsku (Gdańsk)",
        "Strefa Kultury Wrocław (coordinator)",
    ]


def test_an_admin_sees_every_citys_bodies(client, signed_in):
    signed_in("admin@example.org", role="admin", city_slug=None)
    options = _options(client.get("/organiser/events/new?lang=en").text)
    assert "Łódzki Dom Kultury (Łódź)" in options
    assert "Instytut Kultury Miejskiej (Gdańsk)" in options


def test_the_chosen_body_is_saved_and_shown_when_the_event_is_edited(app, client, signed_in):
    signed_in(city_slug="gdansk")
    with app.app_context():
        gdansk = city("gdansk").id
    response = client.post(
        "/organiser/events/new",
        data=form(app, city=str(gdansk), data_controller="um-gdansk"),
    )
    assert response.status_code == 303
    with app.app_context():
        event = db.session.scalars(sa.select(Event)).one()
        assert event.data_controller == "um-gdansk"
    assert edit_form(client, event.id)["data_controller"] == "um-gdansk"


def test_a_body_of_another_city_is_refused_next_to_its_field(app, client, signed_in):
    signed_in("admin@example.org", role="admin", city_slug=None)
    with app.app_context():
        event_id = make_event(city_slug="gdansk").id
        db.session.commit()
    values = {**edit_form(client, event_id), "data_controller": "ldk"}
    response = client.post(f"/organiser/events/{event_id}/edit?lang=en", data=values)
    assert response.status_code == 422
    field = re.search(
        r'<div class="form-field[^"]*">\s*<label for="data_controller".*?</div>',
        response.text,
        re.S,
    )
    assert "Choose the data controller of the event&#39;s city, or the coordinator." in field.group(
        0
    )
    with app.app_context():
        assert db.session.get(Event, event_id).data_controller is None
