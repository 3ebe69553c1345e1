"""The link for online participation is for registered people (and organisers), never
for everybody: not on the public page, in the public API or in the shared calendars."""

from __future__ import annotations

import pytest

from registration.accounts.services import issue_api_token
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.registrations import services
from tests.factories import make_account, make_event, make_registration

MEETING = "https://spotkanie.example.org/koalicja-hybryda"


@pytest.fixture
def hybrid(mail_app) -> dict:
    """A hybrid seminar; Anna is registered, Ben was and cancelled."""
    with mail_app.app_context():
        event = make_event(title="Seminarium hybrydowe", online_url=MEETING)
        anna = make_registration(event, email="anna@example.org")
        ben = make_registration(event, email="ben@example.org")
        services.cancel(ben)
        account = make_account()
        token = issue_api_token(account)
        db.session.commit()
        return {
            "event": event.id,
            "anna": anna.token,
            "anna_feed": anna.participant.feed_token,
            "ben": ben.token,
            "api_token": token,
        }


def test_nobody_unregistered_sees_it(mail_app, hybrid):
    client = mail_app.test_client()
    event_id = hybrid["event"]
    public = [
        client.get(f"/events/{event_id}").text,
        client.get("/").text,
        client.get("/calendar.ics").text,
        client.get(f"/events/{event_id}/calendar.ics").text,
        client.get(f"/r/{hybrid['ben']}").text,  # cancelled: no longer registered
    ]
    assert not any(MEETING in text for text in public)
    assert client.get(f"/api/v1/events/{event_id}").json["online_url"] is None
    assert all(e["online_url"] is None for e in client.get("/api/v1/events").json["events"])
    cancelled = client.get(f"/api/v1/registrations/{hybrid['ben']}").json
    assert cancelled["event"]["online_url"] is None
    assert "registered people get the link" in client.get(f"/events/{event_id}?lang=en").text


def test_the_registered_person_and_the_organisers_get_it(mail_app, smtp, hybrid):
    client = mail_app.test_client()
    assert MEETING in client.get(f"/r/{hybrid['anna']}").text
    assert client.get(f"/api/v1/registrations/{hybrid['anna']}").json["event"]["online_url"] == (
        MEETING
    )
    assert MEETING in client.get(f"/calendar/personal/{hybrid['anna_feed']}.ics").text
    organiser = client.patch(
        f"/api/v1/events/{hybrid['event']}",
        json={},
        headers={"Authorization": f"Bearer {hybrid['api_token']}"},
    )
    assert organiser.json["online_url"] == MEETING
    with mail_app.app_context():
        deliver_due()
    (confirmation,) = smtp.messages_to("anna@example.org")[:1]
    assert MEETING in confirmation.get_body(preferencelist=("plain",)).get_content()
    invitation = next(p for p in confirmation.walk() if p.get_content_type() == "text/calendar")
    assert MEETING in invitation.get_content().replace("\r\n ", "")
