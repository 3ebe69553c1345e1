"""The information clause of art. 13 GDPR: beside every consent, on /privacy, in every email.

Where a person gives their data, the form says beside the consent who controls it
(the event's controller, with contacts and the data protection officer), why and
on what basis, who receives it, for how long, and the person's rights with the
complaint to the UODO president; /privacy says it at length for the whole service.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.registrations.models import Registration
from registration.registrations.services import CONSENT_VERSION
from tests.factories import ORGANISATION, REGISTRATION_BODY, make_event, make_registration


@pytest.fixture
def app(make_app):
    return make_app(ORGANISATION=ORGANISATION, RETENTION_DAYS=365)


def _text(element) -> str:
    return " ".join(element.get_text(" ").split())


def _clause_and_consent(client, event_id: int, **query) -> tuple[str, str]:
    response = client.get(f"/events/{event_id}", query_string=query)
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    form = page.select_one("form.registration-form")
    clause = form.select_one(".clause")
    consent = form.select_one("label[for=consent]")
    # Beside the consent: the clause comes right before the box, inside the form.
    assert clause.find_next(class_="form-field--check").select_one("#consent") is not None
    return _text(clause), _text(consent)


@pytest.mark.parametrize(
    ("city", "chosen", "controller", "address", "dpo"),
    [
        ("gdansk", None, "Instytut Kultury Miejskiej", "ul. Długa 35", "iod@ikm.example.org"),
        ("gdansk", "um-gdansk", "Urząd Miejski w Gdańsku", "Nowe Ogrody", "iod@gdansk.example.org"),
        ("lodz", None, "Łódzki Dom Kultury", "ul. Traugutta 18", "iod@ldk.example.org"),
        ("katowice", None, "Strefa Kultury Wrocław", "Skargi 18a", "iod@strefa.example.org"),
    ],
)
def test_every_event_form_names_its_controller_beside_the_consent(
    app, client, city, chosen, controller, address, dpo
):
    with app.app_context():
        event_id = make_event(city_slug=city, data_controller=chosen).id
        db.session.commit()
    clause, consent = _clause_and_consent(client, event_id)
    assert f"Administrator danych {controller}" in clause
    assert address in clause
    assert f"Inspektor ochrony danych: {dpo}" in clause
    assert "art. 6 ust. 1 lit. a RODO" in clause
    assert "art. 9 ust. 2 lit. a RODO" in clause
    assert "Do 365 dni po zakończeniu wydarzenia" in clause
    assert "Prezesa Urzędu Ochrony Danych Osobowych" in clause
    assert f"przez administratora danych, którym jest {controller}," in consent


def test_the_clause_links_the_full_information_and_speaks_english_too(app, client):
    with app.app_context():
        event_id = make_event(city_slug="gdansk").id
        db.session.commit()
    clause, consent = _clause_and_consent(client, event_id, lang="en")
    assert "Data controller Instytut Kultury Miejskiej, ul. Długa 35, 80-827 Gdańsk." in clause
    assert "Until 365 days after the event ends" in clause
    assert "President of the Personal Data Protection Office (UODO)" in clause
    assert consent.startswith("I agree that Instytut Kultury Miejskiej, the data controller,")
    page = BeautifulSoup(client.get(f"/events/{event_id}").text, "html.parser")
    assert page.select_one(".clause a[href='/privacy']") is not None


def test_a_form_sent_back_with_errors_keeps_the_clause(app, client):
    with app.app_context():
        event_id = make_event(city_slug="lodz").id
        db.session.commit()
    response = client.post(f"/events/{event_id}", data={"name": "Ola"})
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert "Łódzki Dom Kultury" in _text(page.select_one(".clause"))
    assert "Łódzki Dom Kultury" in _text(page.select_one("label[for=consent]"))


def test_each_registration_keeps_the_version_of_what_it_consented_to(app, client):
    with app.app_context():
        event_id = make_event(city_slug="gdansk").id
        db.session.commit()
    response = client.post(f"/api/v1/events/{event_id}/registrations", json=REGISTRATION_BODY)
    assert response.status_code == 201
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert registration.consent_version == CONSENT_VERSION == "2026-12"
        assert registration.consent_at is not None


def test_the_api_names_the_controller_for_sites_that_register_people(app, client):
    with app.app_context():
        event_id = make_event(city_slug="gdansk", data_controller="um-gdansk").id
        db.session.commit()
    event = client.get(f"/api/v1/events/{event_id}").json
    assert event["data_controller"] == {
        "key": "um-gdansk",
        "name": "Urząd Miejski w Gdańsku",
        "address": "ul. Nowe Ogrody 8/12, 80-803 Gdańsk",
        "email": "dane@gdansk.example.org",
        "phone": None,
        "dpo_email": "iod@gdansk.example.org",
    }


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_privacy_page_names_every_controller_and_the_rights(client, language):
    response = client.get("/privacy", query_string={"lang": language})
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    text = _text(page.select_one("main"))
    controllers = [_text(item) for item in page.select(".controllers li")]
    assert [entry.split(" (")[0] for entry in controllers] == [
        "Strefa Kultury Wrocław",
        "Instytut Kultury Miejskiej",
        "Urząd Miejski w Gdańsku",
        "Łódzki Dom Kultury",
    ]
    assert "+48 71 000 00 00" in controllers[0]
    assert "Gdańsk" in controllers[1]
    assert "iod@ldk.example.org" in controllers[3]
    if language == "pl":
        assert "art. 13" in text
        assert "365 dni po zakończeniu wydarzenia" in text
        assert "Prezesa Urzędu Ochrony Danych Osobowych (ul. Stawki 2, 00-193 Warszawa)" in text
    else:
        assert "article 13 of the GDPR" in text
        assert "365 days after the event ends" in text
        assert "President of the Personal Data Protection Office" in text
    assert page.select_one("a[href='https://uodo.gov.pl/']") is not None


def test_every_page_links_the_privacy_information(client):
    page = BeautifulSoup(client.get("/").text, "html.parser")
    assert page.select_one("footer a[href='/privacy']") is not None


def test_every_email_names_the_events_controller_and_links_the_privacy_page(make_app, smtp):
    app = make_app(ORGANISATION=ORGANISATION, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        make_registration(make_event(city_slug="lodz"), email="ola@example.org", language="en")
        db.session.commit()
        deliver_due()
    [confirmation] = smtp.messages_to("ola@example.org")
    text = " ".join(confirmation.get_body(preferencelist=("plain",)).get_content().split())
    assert (
        "The controller of your personal data is Łódzki Dom Kultury, ul. Traugutta 18, "
        "90-113 Łódź (dane@ldk.example.org)." in text
    )
    assert "How we handle your data: https://koalicja.example.org/privacy" in text
    html = BeautifulSoup(
        confirmation.get_body(preferencelist=("html",)).get_content(), "html.parser"
    )
    assert html.select_one("a[href='https://koalicja.example.org/privacy']") is not None
