"""Each event names the controller of its registrations' data (docs/privacy.md, controllers).

The bodies come from the organisation file; organisers choose among those of the
event's city and the coordinator. Unchosen, an event's controller is its city's
first body, else the coordinator.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import registration
from registration.accounts.services import issue_api_token
from registration.config import ConfigurationError
from registration.data_controller import controllers, data_controller
from registration.events import services
from registration.events.errors import InvalidEvent
from registration.extensions import db
from tests.factories import ORGANISATION, make_account, make_event


@pytest.fixture
def app(make_app):
    return make_app(ORGANISATION=ORGANISATION)


def _organisation_with(**changes) -> dict:
    organisation = copy.deepcopy(ORGANISATION)
    organisation["data_controller"][1].update(changes)
    return organisation


def test_an_event_names_its_citys_first_body_unless_another_is_chosen(ctx):
    gdansk = make_event(city_slug="gdansk")
    assert data_controller(gdansk).name == "Instytut Kultury Miejskiej"
    gdansk.data_controller = "um-gdansk"
    assert data_controller(gdansk).name == "Urząd Miejski w Gdańsku"
    gdansk.data_controller = "strefa-kultury"
    assert data_controller(gdansk).is_coordinator


def test_a_city_without_a_body_of_its_own_has_the_coordinator(ctx):
    assert data_controller(make_event(city_slug="katowice")).key == "strefa-kultury"


def test_a_key_no_longer_configured_falls_back_to_the_citys_default(ctx):
    """An operator may remove a body from the file: its events name somebody still."""
    event = make_event(city_slug="gdansk", data_controller="closed-institute")
    assert data_controller(event).key == "ikm"


def test_without_a_file_the_coordinator_comes_from_the_settings(make_app, monkeypatch):
    monkeypatch.setenv("DATA_CONTROLLER_NAME", "Biuro Koalicji")
    app = make_app()
    with app.app_context():
        coordinator = controllers().coordinator
        assert (coordinator.name, coordinator.key) == ("Biuro Koalicji", "coordinator")
        assert data_controller(make_event(city_slug="gdansk")) == coordinator


@pytest.mark.parametrize(
    ("organisation", "message"),
    [
        (_organisation_with(dpo_email=""), "data_controller number 2 lacks dpo_email"),
        (_organisation_with(city=""), "number 2 lacks city"),
        (_organisation_with(key="strefa-kultury"), "keys must differ; repeated: strefa-kultury"),
        (_organisation_with(key="IKM Gdańsk"), "lower-case letters, digits and hyphens"),
        (_organisation_with(email="dane at ikm"), "'dane at ikm' is not an email address"),
        (_organisation_with(website="https://ikm.example.org"), "unknown keys: website"),
        (_organisation_with(coordinator=True, city=""), "only one data_controller"),
        (_organisation_with(coordinator="yes"), "coordinator must be true or false"),
        (_organisation_with(name=["Instytut"]), "name must be one line of text"),
        ({"data_controller": {"key": "ikm"}}, "must be a list of tables"),
    ],
)
def test_a_wrong_organisation_file_stops_the_start_with_what_is_wrong(
    make_app, organisation, message
):
    with pytest.raises(ConfigurationError, match=message):
        make_app(ORGANISATION=organisation)


def test_organisers_choose_among_their_citys_bodies_and_the_coordinator(ctx):
    account = make_account(city_slug="gdansk")
    event = make_event(city_slug="gdansk")
    for key in ("um-gdansk", "strefa-kultury", None):
        services.update_event(event, {"data_controller": key}, account=account)
        assert event.data_controller == key
    with pytest.raises(InvalidEvent) as refused:
        services.update_event(event, {"data_controller": "ldk"}, account=account)
    assert list(refused.value.errors) == ["data_controller"]
    assert event.data_controller is None


def test_moving_an_event_to_another_city_asks_for_a_body_of_that_city(ctx):
    account = make_account(role="admin")
    event = make_event(city_slug="gdansk", data_controller="ikm")
    with pytest.raises(InvalidEvent) as refused:
        services.update_event(event, {"city": "lodz"}, account=account)
    assert list(refused.value.errors) == ["data_controller"]
    services.update_event(event, {"city": "lodz", "data_controller": ""}, account=account)
    assert data_controller(event).key == "ldk"
    db.session.commit()


def test_the_demo_names_a_coordinator_and_bodies_of_two_cities(make_app, monkeypatch):
    """``make run`` reads registration/demo/organisation.toml: it must start."""
    demo = Path(registration.__file__).parent / "demo" / "organisation.toml"
    monkeypatch.setenv("ORGANISATION_FILE", str(demo))
    app = make_app()
    with app.app_context():
        configured = controllers()
        assert configured.coordinator.name == "Strefa Kultury Wrocław"
        assert {controller.city for controller in configured.of_cities} == {"gdansk", "lodz"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ldk", "Choose the data controller of the event's city, or the coordinator."),
        (12, "Must be text."),
        (["ikm"], "Must be text."),
        ("ikm\nx", "Use a single line without special characters."),
        ("x" * 61, "At most 60 characters."),
    ],
)
def test_the_api_refuses_a_controller_the_event_may_not_name(app, client, value, message):
    with app.app_context():
        token = issue_api_token(make_account(city_slug="gdansk"))
        event_id = make_event(city_slug="gdansk").id
        db.session.commit()
    response = client.patch(
        f"/api/v1/events/{event_id}",
        json={"data_controller": value},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"data_controller": [message]}


def test_the_api_sets_and_clears_the_controller(app, client):
    with app.app_context():
        token = issue_api_token(make_account(city_slug="gdansk"))
        event_id = make_event(city_slug="gdansk").id
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/events/{event_id}"
    chosen = client.patch(url, json={"data_controller": "um-gdansk"}, headers=headers)
    assert chosen.json["data_controller"]["name"] == "Urząd Miejski w Gdańsku"
    cleared = client.patch(url, json={"data_controller": None}, headers=headers)
    assert cleared.json["data_controller"]["key"] == "ikm"
