"""What people see in their calendar apps: each calendar's name, in the right language.

Calendar apps show X-WR-CALNAME (and RFC 7986's NAME) in their list of calendars.
The public feed is named by its filters, in the language its address asks for;
the personal feed speaks its owner's language, since calendar apps rarely say
which language they want.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from registration.extensions import db
from registration.ical import feeds
from registration.registrations.models import Participant
from tests.factories import make_event, make_registration
from tests.ical.reading import read, read_one


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "Koalicja Miast"),
        ("?type=study_visit", "Koalicja Miast: Wizyty studyjne"),
        ("?city=gdansk", "Koalicja Miast: Gdańsk"),
        ("?type=expert_meeting&city=szczecin", "Koalicja Miast: Spotkania z ekspertami · Szczecin"),
        (
            "?type=expert_meeting&city=szczecin&lang=en",
            "Koalicja Miast: Expert meetings · Szczecin",
        ),
    ],
)
def test_the_public_feed_is_named_by_its_filters(client, query, name):
    feed = read_one(client.get(f"/calendar.ics{query}").data)

    assert feed.name == name
    assert f"NAME:{name}".encode() in feed.raw


class TestPersonalFeed:
    @pytest.mark.parametrize(
        ("language", "name", "waitlist_note"),
        [
            ("pl", "Koalicja Miast: moje zgłoszenia", "Jesteś na liście rezerwowej"),
            ("en", "Koalicja Miast: my registrations", "You are on the waitlist"),
        ],
    )
    def test_speaks_its_owners_language_whatever_the_app_asks_for(
        self, client, data, language, name, waitlist_note
    ):
        with data():
            event = make_event(capacity=0)
            token = make_registration(event, language=language).participant.feed_token
        path = f"/calendar/personal/{token}.ics"

        feeds_read = read(
            client.get(path).data,
            client.get(path, headers={"Accept-Language": "pl"}).data,
            client.get(path, headers={"Accept-Language": "en"}).data,
        )

        for feed in feeds_read:
            assert feed.name == name
            assert feed.only.description.startswith(waitlist_note)

    def test_the_owners_language_is_part_of_the_version(self, app, client, data):
        """Were the language to change, a client holding the old version gets the new one."""
        with data():
            registration = make_registration(make_event())
            token = registration.participant.feed_token
        path = f"/calendar/personal/{token}.ics"
        polish = client.get(path)
        with data():
            db.session.execute(sa.update(Participant).values(language="en"))

        english = client.get(path, headers={"If-None-Match": polish.headers["ETag"]})

        assert english.status_code == 200
        assert read_one(english.data).name == "Koalicja Miast: my registrations"

    @pytest.mark.parametrize("language", ["pl", "en"])
    def test_its_subscription_links_propose_the_name_the_feed_has(
        self, app, client, data, language
    ):
        """For the person's emails, composed in their language."""
        with data():
            token = make_registration(make_event(), language=language).participant.feed_token
        url = f"https://koalicja.example.org/calendar/personal/{token}.ics"

        with app.app_context(), force_locale(language):
            subscription = feeds.personal_subscription(url)

        assert subscription.https == url
        assert (
            subscription.name == read_one(client.get(f"/calendar/personal/{token}.ics").data).name
        )
