"""The hours a certificate states (docs/certificates.md): those the organisers give for the
event, in the back office or through the API; else a one-day event's length, and none
for an event of several days."""

from __future__ import annotations

from datetime import date

import pytest

from registration.accounts.services import issue_api_token
from registration.certificates import document, services
from registration.events import services as events
from registration.events.models import Event
from registration.extensions import db
from tests.backoffice.test_events import edit_form
from tests.certificates.conftest import WEDNESDAY, attendee, study_visit, text_of
from tests.certificates.test_the_certificate import certificate_text
from tests.factories import make_account


def test_hours_the_organisers_give_are_stated_even_for_several_days(ctx):
    visit = study_visit(certificate_hours=16)
    anna = attendee(visit, [WEDNESDAY])
    assert services.hours(visit) == 16
    assert "Liczba godzin: 16" in certificate_text(anna)


@pytest.mark.parametrize("hours", [0, -3, 501, 2.5, True, "8"], ids=repr)
def test_hours_are_a_whole_number_from_1_to_500(ctx, hours):
    visit = study_visit()
    with pytest.raises(events.InvalidEvent) as refused:
        events.update_event(visit, {"certificate_hours": hours}, account=make_account())
    assert "certificate_hours" in refused.value.errors


def test_organisers_set_them_in_the_event_form(app, client, signed_in):
    signed_in()
    with app.app_context():
        event_id = study_visit().id
        db.session.commit()
    form = edit_form(client, event_id)
    assert form["certificate_hours"] == ""

    saved = client.post(
        f"/organiser/events/{event_id}/edit", data={**form, "certificate_hours": "12"}
    )
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.get(Event, event_id).certificate_hours == 12

    refused = client.post(
        f"/organiser/events/{event_id}/edit", data={**form, "certificate_hours": "dwanaście"}
    )
    assert refused.status_code == 422
    assert "Podaj liczbę całkowitą." in refused.text

    cleared = client.post(
        f"/organiser/events/{event_id}/edit", data={**form, "certificate_hours": ""}
    )
    assert cleared.status_code == 303
    with app.app_context():
        assert db.session.get(Event, event_id).certificate_hours is None


def test_the_api_reads_and_writes_them(app, client, conforms):
    with app.app_context():
        token = issue_api_token(make_account())
        event_id = study_visit().id
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    changed = client.patch(
        f"/api/v1/events/{event_id}", json={"certificate_hours": 16}, headers=headers
    )
    assert conforms(changed, "/events/{event_id}", "patch")["certificate_hours"] == 16
    public = client.get(f"/api/v1/events/{event_id}")
    assert conforms(public, "/events/{event_id}", "get")["certificate_hours"] == 16

    refused = client.patch(
        f"/api/v1/events/{event_id}", json={"certificate_hours": 0}, headers=headers
    )
    assert refused.status_code == 422
    assert "certificate_hours" in refused.get_json()["errors"]
    cleared = client.patch(
        f"/api/v1/events/{event_id}", json={"certificate_hours": None}, headers=headers
    )
    assert cleared.get_json()["certificate_hours"] is None


def test_the_organisers_file_states_them_too(ctx):
    visit = study_visit(certificate_hours=20)
    attendee(visit, [date(2027, 3, 11)])
    [page] = text_of(document.pdf(services.holders(visit), event=visit))
    assert "Liczba godzin: 20" in page
