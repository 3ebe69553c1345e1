"""Organisers enter who may take part, the cost, the language, the programme and practical
information in the back office or through the API; the public reads them back."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from registration.accounts.services import issue_api_token
from registration.database import utcnow
from registration.events.models import Event, EventLanguage
from registration.extensions import db
from registration.i18n import WARSAW
from registration.notifications.models import OutboxMessage
from tests.factories import EVENT_BODY, PASSWORD, city, make_account, make_event, make_registration

YEAR = utcnow().year + 1
PROGRAMME = f"10.03.{YEAR}\r\n09:30 Powitanie\r\n10:00–12:00 Spacer | Zbiórka przy bramie"


def _sign_in(app, client) -> None:
    with app.app_context():
        make_account()
        db.session.commit()
    client.post("/organiser/login", data={"email": "organiser@example.org", "password": PASSWORD})


def _form(app, **overrides) -> dict:
    with app.app_context():
        wroclaw = city("wroclaw").id
    values = {
        "type": "study_visit",
        "title": "Wizyta studyjna: Wrocław od zaplecza",
        "summary": "",
        "description": "**Dwa dni** z zespołem Strefy Kultury.",
        "language": "pl",
        "audience": "Pracownicy instytucji kultury miast koalicji",
        "cost": "150 zł",
        "programme": PROGRAMME,
        "practical_information": "Nocleg zapewnia organizator.",
        "city": str(wroclaw),
        "venue": "Barbara",
        "address": "ul. Świdnicka 8b",
        "online_url": "",
        "starts_at": f"{YEAR}-03-10T09:30",
        "ends_at": f"{YEAR}-03-11T16:00",
        "capacity": "25",
        "waitlist": "y",
        "contact_email": "koalicja@example.org",
    }
    return values | overrides


def _only_event(app) -> Event:
    with app.app_context():
        event = db.session.scalars(sa.select(Event)).one()
        db.session.expunge(event)
        return event


class TestTheBackOffice:
    def test_an_organiser_enters_the_details_and_sees_them_again(self, app, client):
        _sign_in(app, client)
        created = client.post("/organiser/events/new", data=_form(app))
        assert created.status_code == 303
        event = _only_event(app)
        assert (event.language, event.audience, event.cost) == (
            "pl",
            "Pracownicy instytucji kultury miast koalicji",
            "150 zł",
        )
        assert event.programme == PROGRAMME
        assert event.practical_information == "Nocleg zapewnia organizator."
        edit = client.get(created.headers["Location"]).text
        assert '<option selected value="pl">polski</option>' in edit
        assert 'value="150 zł"' in edit
        assert "10:00–12:00 Spacer | Zbiórka przy bramie</textarea>" in edit

    def test_a_new_event_is_polish_and_free_unless_said_otherwise(self, app, client):
        _sign_in(app, client)
        form = _form(app, audience="", cost="", programme="", practical_information="")
        del form["language"]
        assert client.post("/organiser/events/new", data=form).status_code == 303
        event = _only_event(app)
        assert (event.language, event.cost, event.programme) == ("pl", "", "")

    def test_each_line_of_the_programme_that_does_not_read_is_listed(self, app, client):
        _sign_in(app, client)
        form = _form(app, programme=f"09:30 Kawa\r\n10.03.{YEAR}\r\n25:00 Noc")
        page = client.post("/organiser/events/new", data=form, headers={"Accept-Language": "en"})
        assert page.status_code == 422
        assert '<ul class="field-error field-error--lines" id="programme-error">' in page.text
        assert (
            f"<li>Line 1: the event lasts several days: give the day on a line above "
            f"(10.03.{YEAR}).</li>"
        ) in page.text
        assert "<li>Line 3: write times as 09:30, from 00:00 to 23:59.</li>" in page.text
        assert 'aria-describedby="programme-hint programme-error"' in page.text
        assert '<a href="#programme">Programme (optional): Line 1:' in page.text
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0

    def test_an_unknown_language_is_refused_beside_its_field(self, app, client):
        _sign_in(app, client)
        page = client.post("/organiser/events/new", data=_form(app, language="de"))
        assert page.status_code == 422
        assert "Wybierz polski (pl) albo angielski (en)." in page.text

    def test_new_details_tell_nobody_and_move_nothing_in_calendars(self, app, client):
        """Only a new time, place or status is news for registrants (and raises SEQUENCE)."""
        with app.app_context():
            event = make_event(
                starts_at=datetime(YEAR, 3, 10, 9, 30, tzinfo=WARSAW),
                ends_at=datetime(YEAR, 3, 11, 16, 0, tzinfo=WARSAW),
            )
            make_registration(event)
            db.session.commit()
            event_id, sequence = event.id, event.sequence
            messages = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
        _sign_in(app, client)
        # The same time and place, the new details.
        form = _form(app, venue="Wrocławski Dom Literatury", address="Przejście Żelazne 1")
        saved = client.post(f"/organiser/events/{event_id}/edit", data=form)
        assert saved.status_code == 303
        with app.app_context():
            event = db.session.get(Event, event_id)
            assert event.programme == PROGRAMME
            assert event.sequence == sequence
            assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == messages


class TestTheApi:
    @pytest.fixture
    def headers(self, app) -> dict:
        """A Wrocław organiser's token; messages in English."""
        with app.app_context():
            token = issue_api_token(make_account())
            db.session.commit()
        return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    def test_organisers_write_the_details_and_everybody_reads_them(self, app, client, headers):
        body = EVENT_BODY | {
            "language": "en",
            "audience": "Culture staff of the coalition cities",
            "cost": "Free; lunch 30 zł",
            "programme": "10:00 Opening\n11:00–12:30 Panel | Room A",
            "practical_information": "Bring **your ID**.",
        }
        created = client.post("/api/v1/events", json=body, headers=headers)
        assert created.status_code == 201, created.get_json()
        event = created.get_json()
        for name in ("language", "audience", "cost", "programme", "practical_information"):
            assert event[name] == body[name]
        client.patch(
            f"/api/v1/events/{event['id']}",
            json={"status": "published"},
            headers=headers,
        )
        public = client.get(f"/api/v1/events/{event['id']}").get_json()
        assert public["programme"] == body["programme"]
        assert public["language"] == "en"

    def test_left_out_they_take_their_defaults(self, app, client, headers):
        created = client.post("/api/v1/events", json=EVENT_BODY, headers=headers)
        event = created.get_json()
        assert (event["language"], event["audience"], event["cost"]) == ("pl", "", "")
        assert (event["programme"], event["practical_information"]) == ("", "")

    def test_wrong_values_are_named_field_by_field_and_line_by_line(self, app, client, headers):
        def refusal(**fields) -> dict:
            refused = client.post("/api/v1/events", json=EVENT_BODY | fields, headers=headers)
            assert refused.status_code == 422
            return refused.get_json()["errors"]

        assert refusal(practical_information=42) == {"practical_information": ["Must be text."]}
        assert refusal(language="de") == {"language": ["Choose Polish (pl) or English (en)."]}
        assert refusal(cost="jeden\nwiersz") == {
            "cost": ["Use a single line without special characters."]
        }
        assert refusal(programme="Otwarcie o dziesiątej\n10:00 Otwarcie") == {
            "programme": [
                "Line 1: begin with a time (09:30 or 10:00–12:00) and say what happens, or give "
                "a day on a line of its own (10.03.2030)."
            ]
        }

    def test_the_language_code_is_stored_as_a_code(self, app, client, headers):
        created = client.post(
            "/api/v1/events", json=EVENT_BODY | {"language": "en"}, headers=headers
        )
        with app.app_context():
            stored = db.session.execute(
                sa.text("SELECT language FROM event WHERE id = :id"),
                {"id": created.get_json()["id"]},
            ).scalar_one()
        assert stored == EventLanguage.ENGLISH.value
