"""Dates in the back office's forms (the event form, the audit log's filters, a token's
last day) are shown and typed as Polish dates (10.03.2027 09:30) in Warsaw
time, whatever language the browser or the page is in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from registration.accounts.models import ApiToken
from registration.events.models import Event
from registration.extensions import db
from registration.i18n import WARSAW
from tests.backoffice.test_events import YEAR, form
from tests.factories import make_event


def saved_start(app) -> datetime:
    with app.app_context():
        return db.session.scalars(sa.select(Event)).one().starts_at


@pytest.mark.parametrize(
    "typed",
    [
        f"10.03.{YEAR} 10:00",
        f"10.03.{YEAR}, 10:00",
        f"10.3.{YEAR} 10.00",
        f" 10-03-{YEAR}  10:00 ",
        f"{YEAR}-03-10T10:00",
        f"{YEAR}-03-10 10:00",
    ],
)
def test_the_ways_people_write_a_date_are_read_as_warsaw_time(app, client, signed_in, typed):
    signed_in()
    response = client.post("/organiser/events/new", data=form(app, starts_at=typed))
    assert response.status_code == 303
    assert saved_start(app) == datetime(YEAR, 3, 10, 9, 0, tzinfo=UTC)  # CET


@pytest.mark.parametrize("language", ["pl", "en"])
def test_an_event_is_shown_with_its_polish_date_in_either_language(
    app, client, signed_in, language
):
    signed_in()
    with app.app_context():
        event_id = make_event(starts_at=datetime(YEAR, 7, 1, 7, 30, tzinfo=UTC)).id
        db.session.commit()
    html = client.get(f"/organiser/events/{event_id}/edit?lang={language}").text
    assert f'value="01.07.{YEAR} 09:30"' in html  # CEST
    assert 'type="datetime-local"' not in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (f"10.03.{YEAR}", "Add the time after the date, e.g. 10.03.2027 09:30."),
        (f"31.02.{YEAR} 10:00", "Enter a date and time as day.month.year hour:minute"),
        (f"10.03.{YEAR} 25:00", "Enter a date and time as day.month.year hour:minute"),
        ("tomorrow at ten", "Enter a date and time as day.month.year hour:minute"),
        ("1" * 5000, "Enter a date and time as day.month.year hour:minute"),
    ],
)
def test_a_date_that_cannot_be_read_is_explained_and_kept(app, client, signed_in, typed, message):
    signed_in()
    response = client.post("/organiser/events/new?lang=en", data=form(app, starts_at=typed))
    assert response.status_code == 422
    assert message in response.text
    assert f'value="{typed}"' in response.text  # what was typed stays, to be corrected
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_the_polish_page_explains_in_polish(app, client, signed_in):
    signed_in()
    response = client.post("/organiser/events/new", data=form(app, starts_at=f"10.03.{YEAR}"))
    assert response.status_code == 422
    assert "Dodaj godzinę po dacie, np. 10.03.2027 09:30." in response.text


def test_the_audit_logs_days_are_polish_dates_too(client, signed_in):
    signed_in("admin@example.org", role="admin", city_slug=None)
    html = client.get("/organiser/audit?since=1.12.2026&until=2026-12-31&lang=en").text
    assert 'value="01.12.2026"' in html
    assert 'value="31.12.2026"' in html
    assert 'type="date"' not in html
    refused = client.get("/organiser/audit?since=12/01/2026&lang=en")
    assert refused.status_code == 400
    assert "Enter a date as day.month.year, e.g. 10.03.2027." in refused.text


def test_a_tokens_last_day_is_typed_as_a_polish_date(app, client, signed_in):
    signed_in()
    response = client.post(
        "/organiser/account/tokens", data={"name": "Strona", "expires_on": "31.12.2031"}
    )
    assert response.status_code == 201
    with app.app_context():
        token = db.session.scalars(sa.select(ApiToken)).one()
        assert token.expires_at.astimezone(WARSAW).date() == date(2032, 1, 1)  # the day ends
