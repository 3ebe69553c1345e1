"""Subscribed clients poll every few minutes: asking again must be cheap.

Every feed carries ETag and Last-Modified; a client that already has the
current version gets 304 after one aggregate query, without the feed being
loaded or rendered; a change of anything in the feed gives a new version.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.ical import feeds
from registration.registrations.models import Participant
from tests.factories import make_event, make_registration
from tests.ical.conftest import selects


@pytest.fixture
def paths(data) -> dict[str, str]:
    """The three feeds, each with something in it."""
    with data():
        events = [make_event(title=f"Wydarzenie {number}") for number in range(3)]
        token = make_registration(events[0]).participant.feed_token
        event_id = events[1].id
    return {
        "public": "/calendar.ics",
        "filtered": "/calendar.ics?type=seminar&city=wroclaw",
        "event": f"/events/{event_id}/calendar.ics",
        "personal": f"/calendar/personal/{token}.ics",
    }


@pytest.fixture
def forbid_rendering(monkeypatch):
    """``forbid_rendering()`` makes any rendering of a feed from then on fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a feed was rendered")

    def forbid() -> None:
        for name in ("public_calendar", "event_calendar", "personal_calendar"):
            monkeypatch.setattr(feeds, name, refuse)

    return forbid


def test_every_feed_carries_etag_and_last_modified(client, paths):
    for path in paths.values():
        response = client.get(path)

        assert response.status_code == 200, path
        assert response.headers["ETag"].startswith('"'), path
        assert response.last_modified is not None, path
        assert "no-cache" in response.headers["Cache-Control"], path


def test_a_matching_etag_gets_304_from_one_query_and_no_rendering(
    client, paths, queries, forbid_rendering
):
    """ "Anything new?" costs one aggregate query, plus finding the city or the person."""
    etags = {feed: client.get(path).headers["ETag"] for feed, path in paths.items()}
    forbid_rendering()

    for feed, path in paths.items():
        with queries() as statements:
            response = client.get(path, headers={"If-None-Match": etags[feed]})

        assert response.status_code == 304, feed
        assert response.data == b"", feed
        assert response.headers["ETag"] == etags[feed], feed
        expected = {"public": 1, "filtered": 2, "event": 1, "personal": 2}[feed]
        assert len(selects(statements)) == expected, (feed, statements)


def test_if_modified_since_the_last_change_gets_304(client, paths, forbid_rendering):
    """For clients that keep only the date."""
    dates = {feed: client.get(path).headers["Last-Modified"] for feed, path in paths.items()}
    forbid_rendering()

    for feed, path in paths.items():
        response = client.get(path, headers={"If-Modified-Since": dates[feed]})

        assert response.status_code == 304, feed


def test_a_stale_etag_gets_the_feed(client, paths):
    response = client.get(paths["public"], headers={"If-None-Match": '"something-else"'})

    assert response.status_code == 200
    assert b"BEGIN:VCALENDAR" in response.data


def test_if_none_match_decides_when_both_are_sent(client, paths, data):
    """RFC 9110: a changed ETag wins over a Last-Modified that looks unchanged."""
    first = client.get(paths["public"])
    with data():
        make_event(title="Nowe wydarzenie")

    response = client.get(
        paths["public"],
        headers={
            "If-None-Match": first.headers["ETag"],
            "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT",
        },
    )

    assert response.status_code == 200
    assert b"Nowe wydarzenie" in response.data


def test_each_version_is_rendered_once(client, paths, monkeypatch):
    """A version already built is not built again: clients without a cache are cheap too."""
    renders = []
    original = feeds.public_calendar

    def counting(*args, **kwargs):
        renders.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(feeds, "public_calendar", counting)

    bodies = {client.get(paths["public"]).data for _ in range(3)}

    assert len(bodies) == 1
    assert len(renders) == 1


def test_any_change_of_the_feed_gives_a_new_etag(client, paths, data):
    """Each change, one after another, makes a new version that clients fetch in full."""

    def retitle(event: Event) -> None:
        event.title = "Nowy tytuł"

    def reschedule(event: Event) -> None:
        event.starts_at += timedelta(hours=1)
        event.ends_at += timedelta(hours=1)
        event.sequence += 1

    def cancel(event: Event) -> None:
        event.status = EventStatus.CANCELLED
        event.sequence += 1

    def add_another(event: Event) -> None:
        make_event(title="Kolejne")

    def let_it_age(event: Event) -> None:
        # Time passing, as the feed sees it: the event ended long ago.
        event.starts_at = utcnow() - timedelta(days=120)
        event.ends_at = event.starts_at + timedelta(hours=2)

    previous = client.get(paths["public"])
    for change in (retitle, reschedule, cancel, add_another, let_it_age):
        with data():
            change(db.session.scalars(db.select(Event).order_by(Event.id)).first())

        response = client.get(paths["public"], headers={"If-None-Match": previous.headers["ETag"]})

        assert response.status_code == 200, change.__name__
        assert response.headers["ETag"] != previous.headers["ETag"], change.__name__
        assert response.data != previous.data, change.__name__
        previous = response


def test_each_language_is_a_version_of_its_own(client, paths):
    """A client asking in English must not get the Polish feed's 304, nor its cached bytes."""
    polish = client.get(paths["public"])

    english = client.get(
        paths["public"],
        headers={"If-None-Match": polish.headers["ETag"], "Accept-Language": "en"},
    )

    assert english.status_code == 200
    assert english.headers["ETag"] != polish.headers["ETag"]


def test_a_registration_in_someone_elses_event_does_not_change_the_public_feed(client, paths, data):
    """Nothing about registrations is in the public feed, so they do not make clients refetch."""
    etag = client.get(paths["public"]).headers["ETag"]
    with data():
        make_registration(db.session.scalars(db.select(Event).order_by(Event.id)).first())

    response = client.get(paths["public"], headers={"If-None-Match": etag})

    assert response.status_code == 304


def test_a_new_registration_changes_the_personal_feed(client, paths, data):
    personal = paths["personal"]
    etag = client.get(personal).headers["ETag"]
    token = personal.rsplit("/", 1)[1].removesuffix(".ics")
    with data():
        participant = db.session.scalar(
            db.select(Participant).where(Participant.feed_token == token)
        )
        event = make_event(title="Następne spotkanie")
        make_registration(event, email=participant.email)

    response = client.get(personal, headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert b"Nast\xc4\x99pne spotkanie" in response.data


def test_a_worker_asks_the_database_at_most_once_per_second_per_feed(
    app, client, paths, data, queries
):
    """Outside tests a worker reuses the version it found for ICAL_VERSION_TTL seconds."""
    app.config["ICAL_VERSION_TTL"] = 3600
    etag = client.get(paths["public"]).headers["ETag"]

    with queries() as statements:
        answers = [client.get(paths["public"], headers={"If-None-Match": etag}) for _ in range(5)]

    assert {answer.status_code for answer in answers} == {304}
    assert selects(statements) == []
    with data():
        make_event(title="Nowe wydarzenie")
    assert client.get(paths["public"], headers={"If-None-Match": etag}).status_code == 304
    app.config["ICAL_VERSION_TTL"] = 0  # as if the second had passed
    assert client.get(paths["public"], headers={"If-None-Match": etag}).status_code == 200
