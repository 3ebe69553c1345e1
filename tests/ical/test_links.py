"""The event page offers the event to calendars: a download, Google Calendar, a subscription."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from registration.events.models import EventStatus
from tests.factories import make_event
from tests.ical.reading import read_one


def _links(page: str) -> list[str]:
    section = re.search(r'<section class="add-to-calendar".*?</section>', page, re.S)
    assert section, "no calendar links on the page"
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', section.group(0))]


def test_event_page_links_the_download_google_calendar_and_the_subscription(app, client, data):
    app.config["BASE_URL"] = "https://rejestracja.example.org:8443"
    with data():
        event = make_event(
            title="Wizyta studyjna: Łódź & okolice",
            summary="Dzień w Łodzi; dwa spotkania, jeden spacer.",
            venue="Art_Inkubator",
            address="ul. Tymienieckiego 3",
            city_slug="lodz",
        )
        event_id, starts, ends = event.id, event.starts_at, event.ends_at

    # The one event's download and Google's "add", then the ways to subscribe to all events.
    download, google, *subscription = _links(client.get(f"/events/{event_id}").text)

    assert download == f"/events/{event_id}/calendar.ics"
    assert (
        read_one(client.get(download).data).only.uid == f"event-{event_id}@rejestracja.example.org"
    )
    assert "webcal://rejestracja.example.org:8443/calendar.ics" in subscription
    parts = urlsplit(google)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    query = parse_qs(parts.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Wizyta studyjna: Łódź & okolice"]
    assert query["dates"] == [f"{starts:%Y%m%dT%H%M%SZ}/{ends:%Y%m%dT%H%M%SZ}"]
    assert query["ctz"] == ["Europe/Warsaw"]
    assert query["location"] == ["Art_Inkubator, ul. Tymienieckiego 3, Łódź"]
    assert query["details"] == [
        "Dzień w Łodzi; dwa spotkania, jeden spacer.\n\n"
        f"https://rejestracja.example.org:8443/events/{event_id}"
    ]


def test_cancelled_event_offers_nothing_to_add(client, data):
    with data():
        event_id = make_event(status=EventStatus.CANCELLED).id

    page = client.get(f"/events/{event_id}").text

    assert "add-to-calendar" not in page
