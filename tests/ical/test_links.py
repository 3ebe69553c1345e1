"""Links that put events into calendars: to subscribe to a feed in any calendar service,
and to add one event (docs/calendars.md, "Links on pages").

``webcal://`` alone does nothing in a browser without a calendar app, so every feed is
offered four ways: Google Calendar, Outlook on the web (personal and work accounts),
``webcal://`` for Apple Calendar and desktop apps, and the https address to copy. Each
link carries the feed's address exactly, however odd its query or its name.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import render_template_string

from registration.events.models import EventStatus, EventType
from registration.extensions import db
from registration.ical import feeds
from tests.factories import city, make_event
from tests.ical.reading import read_one

FILTERED = "https://koalicja.example.org/calendar.ics?type=seminar&city=lodz"
FILTERED_NAME = "Koalicja Miast: Seminaria problemowe · Łódź"
MACRO = (
    '{% from "ical/_subscribe.html" import subscribe_links %}'
    "{{ subscribe_links(subscription, 'public-calendar') }}"
)


def query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query, keep_blank_values=True, strict_parsing=True)


class TestSubscription:
    def test_each_service_gets_the_feed_address_encoded_whole(self):
        """The filtered feed's own ``?`` and ``&`` stay inside the address: a service that
        split them off would subscribe to every event instead of the seminars in Łódź."""
        subscription = feeds.subscription(FILTERED, FILTERED_NAME)

        assert subscription.https == FILTERED
        assert (
            subscription.webcal
            == "webcal://koalicja.example.org/calendar.ics?type=seminar&city=lodz"
        )
        assert subscription.google == (
            "https://calendar.google.com/calendar/r?cid="
            "webcal%3A%2F%2Fkoalicja.example.org%2Fcalendar.ics%3Ftype%3Dseminar%26city%3Dlodz"
        )
        outlook_query = (
            "url=https%3A%2F%2Fkoalicja.example.org%2Fcalendar.ics%3Ftype%3Dseminar%26city%3Dlodz"
            "&name=Koalicja%20Miast%3A%20Seminaria%20problemowe%20%C2%B7%20%C5%81%C3%B3d%C5%BA"
        )
        assert subscription.outlook == (
            "https://outlook.live.com/calendar/0/addfromweb?" + outlook_query
        )
        assert subscription.microsoft_365 == (
            "https://outlook.office.com/calendar/0/addfromweb?" + outlook_query
        )
        assert subscription.name == FILTERED_NAME

    def test_each_service_reads_back_exactly_the_address_and_the_name(self):
        """Polish letters, spaces and URL syntax in a name come back as typed; a space is
        %20, never ``+``, which Outlook would show as a plus."""
        name = "Łódź & Gdańsk: 50% taniej? #kultura + ekspertki/ci = żółć"
        url = "https://koalicja.example.org/calendar/personal/abc-DEF_123.ics"
        subscription = feeds.subscription(url, name)

        assert query(subscription.google) == {"cid": [f"webcal://{url.split('://')[1]}"]}
        for outlook in (subscription.outlook, subscription.microsoft_365):
            assert query(outlook) == {"url": [url], "name": [name]}
            assert "+" not in urlsplit(outlook).query
            assert " " not in outlook

    def test_a_feed_on_plain_http_still_subscribes_as_webcal(self):
        """A development machine's BASE_URL is http://: the webcal form is the same."""
        subscription = feeds.subscription("http://127.0.0.1:5000/calendar.ics", "Koalicja Miast")

        assert subscription.webcal == "webcal://127.0.0.1:5000/calendar.ics"
        assert subscription.https == "http://127.0.0.1:5000/calendar.ics"


def rendered(app, path: str = "/", **context) -> str:
    with app.test_request_context(path):
        return render_template_string(MACRO, **context)


def links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


class TestMacro:
    def test_offers_google_outlook_webcal_and_the_address_to_copy(self, app):
        subscription = feeds.subscription(FILTERED, FILTERED_NAME)

        page = rendered(app, subscription=subscription)

        assert links(page) == [
            subscription.google,
            subscription.outlook,
            subscription.microsoft_365,
            subscription.webcal,
        ]
        # The address works without JavaScript: a labelled, read-only field.
        field = re.search(r"<input [^>]*>", page).group(0)
        assert 'id="public-calendar-address"' in field
        assert "readonly" in field
        assert html.unescape(re.search(r'value="([^"]*)"', field).group(1)) == FILTERED
        assert '<label class="subscribe__name" for="public-calendar-address">' in page
        # The copy button is hidden until the site's own script shows it; no inline script.
        assert re.search(r"<button [^>]*data-copy=\"public-calendar-address\"[^>]*hidden>", page)
        assert '<script src="/static/js/copy.js" defer></script>' in page
        assert "<script>" not in page

    @pytest.mark.parametrize(
        ("language", "how_to"),
        [
            ("pl", "Najlepiej na komputerze: Kalendarz Google zapyta, czy dodać kalendarz"),
            ("en", "Best on a computer: Google Calendar asks you to add the calendar"),
        ],
    )
    def test_says_how_in_the_pages_language(self, app, language, how_to):
        page = rendered(app, f"/?lang={language}", subscription=feeds.subscription(FILTERED, "K"))

        assert how_to in page
        assert page.count('class="hint"') == 5  # one line per way, and when changes show

    def test_the_name_and_address_cannot_break_out_of_the_page(self, app):
        hostile = 'https://koalicja.example.org/calendar.ics?city="><script>alert(1)</script>'

        page = rendered(app, subscription=feeds.subscription(hostile, "<b>Koalicja</b>"))

        assert "<script>alert" not in page
        assert "<b>" not in page

    def test_the_copy_script_is_served_by_the_site(self, client):
        response = client.get("/static/js/copy.js")

        assert response.status_code == 200
        assert response.mimetype == "text/javascript"


class TestPublicSubscription:
    """``public_subscription(type, city)``: the public feed as the list's filters narrow it."""

    def subscription_on(self, app, path: str, *arguments: object) -> dict[str, str]:
        with app.test_request_context(path):
            page = render_template_string(
                "{% set s = public_subscription(*arguments) %}"
                "{{ s.https }}\n{{ s.name }}\n{{ s.outlook }}",
                arguments=arguments,
            )
        https, name, outlook = (html.unescape(line) for line in page.split("\n"))
        return {"https": https, "name": name, "outlook": outlook}

    def test_subscribes_to_the_feed_the_filters_show_under_the_name_it_has(self, app, client):
        """Outlook proposes the name from the link; the other apps read it from the feed:
        both must say the same."""
        with app.app_context():
            make_event(city_slug="lodz")
            db.session.commit()
            lodz = city("lodz")
            db.session.expunge(lodz)

        narrowed = self.subscription_on(app, "/", "seminar", lodz)
        everything = self.subscription_on(app, "/")

        assert narrowed["https"] == FILTERED
        assert narrowed["name"] == FILTERED_NAME
        assert query(narrowed["outlook"])["name"] == [FILTERED_NAME]
        assert everything["https"] == "https://koalicja.example.org/calendar.ics"
        assert everything["name"] == "Koalicja Miast"
        for subscription in (narrowed, everything):
            path = subscription["https"].removeprefix("https://koalicja.example.org")
            assert read_one(client.get(path).data).name == subscription["name"]

    def test_takes_the_lists_filter_as_it_comes_and_ignores_an_unknown_type(self, app):
        """The list page passes its filter's EventType; a type that does not exist would
        give a feed that answers 404, so it narrows nothing."""
        as_enum = self.subscription_on(app, "/", EventType.SEMINAR)
        unknown = self.subscription_on(app, "/", "party<script>")

        assert as_enum["https"] == "https://koalicja.example.org/calendar.ics?type=seminar"
        assert as_enum["name"] == "Koalicja Miast: Seminaria problemowe"
        assert unknown["https"] == "https://koalicja.example.org/calendar.ics"
        assert unknown["name"] == "Koalicja Miast"

    def test_an_english_page_subscribes_to_the_feed_in_english(self, app, client):
        with app.app_context():
            make_event(city_slug="lodz")
            db.session.commit()
            lodz = city("lodz")
            db.session.expunge(lodz)

        english = self.subscription_on(app, "/?lang=en", "seminar", lodz)

        assert english["https"] == FILTERED + "&lang=en"
        assert english["name"] == "Koalicja Miast: Problem seminars · Łódź"
        path = english["https"].removeprefix("https://koalicja.example.org")
        assert read_one(client.get(path).data).name == english["name"]


class TestOneEvent:
    """The event page's links for one event: the .ics download and Google's "add" form."""

    def test_event_page_links_the_download_google_calendar_and_the_subscription(
        self, app, client, data
    ):
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

        hrefs = links(client.get(f"/events/{event_id}").text)

        download = f"/events/{event_id}/calendar.ics"
        assert download in hrefs
        assert (
            read_one(client.get(download).data).only.uid
            == f"event-{event_id}@rejestracja.example.org"
        )
        assert any(
            href.startswith("webcal://rejestracja.example.org:8443/calendar.ics") for href in hrefs
        )
        [google] = [h for h in hrefs if h.startswith("https://calendar.google.com/calendar/render")]
        assert query(google) == {
            "action": ["TEMPLATE"],
            "text": ["Wizyta studyjna: Łódź & okolice"],
            "dates": [f"{starts:%Y%m%dT%H%M%SZ}/{ends:%Y%m%dT%H%M%SZ}"],
            "ctz": ["Europe/Warsaw"],
            "location": ["Art_Inkubator, ul. Tymienieckiego 3, Łódź"],
            "details": [
                "Dzień w Łodzi; dwa spotkania, jeden spacer.\n\n"
                f"https://rejestracja.example.org:8443/events/{event_id}"
            ],
        }

    def test_cancelled_event_offers_nothing_to_add(self, client, data):
        with data():
            event_id = make_event(status=EventStatus.CANCELLED).id

        page = client.get(f"/events/{event_id}").text

        assert f"/events/{event_id}/calendar.ics" not in page
        assert "calendar.google.com/calendar/render" not in page
