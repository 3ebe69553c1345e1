"""The three calendars of docs/calendars.md, as calendar clients read them.

Every calendar here is read by icalendar and by Mozilla's ical.js, which must
agree (``reading.read``); the assertions are about what both saw.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from registration.database import utcnow
from registration.events.models import Event, EventStatus, EventType
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import make_event, make_registration
from tests.ical.reading import read, read_one, utc

HOST = "koalicja.example.org"  # BASE_URL of the test configuration


def uid(event_id: int) -> str:
    return f"event-{event_id}@{HOST}"


class TestPublicFeed:
    def test_lists_published_events_to_come_and_of_the_last_90_days(self, client, data):
        """Subscribers see the programme and what just happened; drafts and old events stay out."""
        now = utcnow()
        with data():
            upcoming = make_event(title="Nadchodzące seminarium", starts_at=now + timedelta(days=3))
            recent = make_event(title="Niedawna wizyta", starts_at=now - timedelta(days=80))
            old = make_event(title="Dawne spotkanie", starts_at=now - timedelta(days=100))
            draft = make_event(title="Szkic", status=EventStatus.DRAFT)
            cancelled = make_event(title="Odwołane", status=EventStatus.CANCELLED)
            ids = upcoming.id, recent.id, old.id, draft.id, cancelled.id

        response = client.get("/calendar.ics")

        assert response.status_code == 200
        assert response.content_type == "text/calendar; charset=utf-8"
        feed = read_one(response.data)
        assert set(feed.events) == {uid(ids[0]), uid(ids[1]), uid(ids[4])}
        assert feed.events[uid(ids[0])].status == "CONFIRMED"
        assert feed.events[uid(ids[4])].status == "CANCELLED"

    def test_is_a_calendar_to_subscribe_to(self, client, data):
        """A name for the client's list, a refresh interval, PRODID, and the Warsaw time zone."""
        with data():
            make_event()

        feed = read_one(client.get("/calendar.ics").data)

        calendar = feed.calendar
        assert calendar["version"] == "2.0"
        assert calendar["prodid"] == "-//Koalicja Miast//Rejestracja//PL"
        assert calendar["name"] == "Koalicja Miast"
        assert calendar["refresh_interval"] == "PT1H"
        assert calendar["published_ttl"] == "PT1H"
        assert calendar["timezones"] == ["Europe/Warsaw"]
        assert calendar["components"] == ["vtimezone", "vevent"]
        assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in feed.raw

    def test_a_description_written_in_markdown_reads_as_plain_text(self, client, data):
        """Calendar apps show DESCRIPTION as typed: no asterisks or brackets, the links'
        addresses kept, each list item on its own line."""
        with data():
            make_event(
                summary="",
                description=(
                    "Dwa dni w **Łodzi** z [EC1](https://ec1lodz.pl).\n\n"
                    "- spacer po *Księżym Młynie*\n- spotkanie z zespołem\n\n"
                    "<b>Zapisy</b> do piątku."
                ),
            )

        seen = read_one(client.get("/calendar.ics").data).only

        assert seen.description.startswith(
            "Dwa dni w Łodzi z EC1 (https://ec1lodz.pl).\n\n"
            "• spacer po Księżym Młynie\n• spotkanie z zespołem\n\n"
            "<b>Zapisy</b> do piątku.\n\n"
        )

    def test_every_event_says_what_when_where_and_links_its_page(self, client, data):
        with data():
            event = make_event(
                title="Seminarium problemowe: publiczność",
                summary="Jak mierzyć publiczność.",
                description="Pierwszy akapit.\n\nDrugi akapit.",
                venue="Centrum Kultury Zamek",
                address="ul. Święty Marcin 80/82",
                city_slug="poznan",
                online_url="https://spotkanie.example.org/abc",
                sequence=3,
            )
            event_id, starts, ends = event.id, event.starts_at, event.ends_at

        feed = read_one(client.get("/calendar.ics").data)

        seen = feed.only
        page = f"https://{HOST}/events/{event_id}"
        assert seen.uid == uid(event_id)
        assert (seen.start, seen.end) == (utc(starts), utc(ends))
        assert feed.zones[seen.uid] == "Europe/Warsaw"
        assert seen.summary == "Seminarium problemowe: publiczność"
        assert seen.location == "Centrum Kultury Zamek, ul. Święty Marcin 80/82, Poznań"
        assert seen.sequence == 3
        assert seen.url == page
        assert seen.description.startswith("Jak mierzyć publiczność.\n\nPierwszy akapit.\n\n")
        # The meeting link is for registered people: never in a feed anybody may read.
        assert "spotkanie.example.org" not in feed.raw.decode()
        assert seen.description.endswith(page)
        assert b"DTSTART;TZID=Europe/Warsaw:" in feed.raw
        assert b"DTEND;TZID=Europe/Warsaw:" in feed.raw

    def test_narrows_by_type_and_city(self, client, data):
        with data():
            seminar = make_event(type=EventType.SEMINAR, city_slug="lodz").id
            visit = make_event(type=EventType.STUDY_VISIT, city_slug="lodz").id
            elsewhere = make_event(type=EventType.SEMINAR, city_slug="gdansk").id

        by_type, by_city, by_both, by_name = read(
            client.get("/calendar.ics?type=seminar").data,
            client.get("/calendar.ics?city=lodz").data,
            client.get("/calendar.ics?type=seminar&city=lodz").data,
            client.get("/calendar.ics?city=Łódź").data,
        )

        assert set(by_type.events) == {uid(seminar), uid(elsewhere)}
        assert set(by_city.events) == {uid(seminar), uid(visit)}
        assert set(by_both.events) == {uid(seminar)}
        assert set(by_name.events) == {uid(seminar), uid(visit)}
        assert by_both.name != by_type.name != by_city.name  # the client's list tells them apart

    def test_unknown_type_or_city_is_not_found(self, client):
        """A mistyped subscription says so, instead of showing an empty calendar forever."""
        for query in ("type=party", "city=warszawa-zdroj"):
            assert client.get(f"/calendar.ics?{query}").status_code == 404, query

    def test_uid_host_comes_from_base_url_without_port_never_from_the_request(
        self, app, client, data
    ):
        app.config["BASE_URL"] = "https://Rejestracja.Example.ORG:8443"
        with data():
            event_id = make_event().id

        response = client.get("/calendar.ics", headers={"Host": "attacker.example"})

        seen = read_one(response.data).only
        assert seen.uid == f"event-{event_id}@rejestracja.example.org"
        assert seen.url == f"https://Rejestracja.Example.ORG:8443/events/{event_id}"
        assert b"attacker" not in response.data


class TestSharedFeedsKeepPeoplePrivate:
    def test_public_feed_and_event_file_say_nothing_about_who_registered(self, client, data):
        """Anybody may read these: no names, addresses, institutions, needs or secret links."""
        with data():
            event = make_event()
            registration = make_registration(
                event,
                name="Bożena Tajemnicka",
                email="bozena.tajemnicka@example.org",
                institution="Instytut Poufny",
                needs="Pętla indukcyjna",
            )
            secrets = [
                "Tajemnicka",
                "bozena",
                "Poufny",
                "Pętla",
                registration.token,
                registration.participant.feed_token,
            ]
            event_id = event.id

        shared = [
            client.get("/calendar.ics").data,
            client.get(f"/events/{event_id}/calendar.ics").data,
        ]

        for feed in read(*shared):
            text = feed.raw.decode()
            for secret in secrets:
                assert secret not in text


class TestEventFile:
    def test_is_one_event_to_download(self, client, data):
        with data():
            event = make_event(title="Wizyta studyjna w Lublinie")
            make_event(title="Inne wydarzenie")
            event_id = event.id

        response = client.get(f"/events/{event_id}/calendar.ics")

        assert response.status_code == 200
        assert (
            response.headers["Content-Disposition"] == f"attachment; filename=event-{event_id}.ics"
        )
        feed = read_one(response.data)
        assert feed.only.uid == uid(event_id)
        assert feed.name == "Wizyta studyjna w Lublinie"

    def test_same_vevent_as_in_the_public_feed(self, client, data):
        """One event, one description everywhere: clients that see both see no difference."""
        with data():
            event_id = make_event().id

        public, single = read(
            client.get("/calendar.ics").data, client.get(f"/events/{event_id}/calendar.ics").data
        )

        assert public.only == single.only

    def test_drafts_and_unknown_events_are_not_found(self, client, data):
        with data():
            draft_id = make_event(status=EventStatus.DRAFT).id

        assert client.get(f"/events/{draft_id}/calendar.ics").status_code == 404
        assert client.get(f"/events/{draft_id + 100}/calendar.ics").status_code == 404


class TestPersonalFeed:
    def test_lists_confirmed_and_waitlisted_events_of_that_person_only(self, client, data):
        """Waitlisted events are tentative; cancelled registrations and other people's stay out."""
        with data():
            full = make_event(title="Pełne", capacity=1)
            open_ = make_event(title="Wolne", capacity=5)
            dropped = make_event(title="Zrezygnowane", capacity=5)
            make_registration(full, email="ktos.inny@example.org")
            waitlisted = make_registration(full, email="anna@example.org")
            confirmed = make_registration(open_, email="anna@example.org")
            services.cancel(make_registration(dropped, email="anna@example.org"))
            make_registration(make_event(title="Cudze"), email="ktos.inny@example.org")
            token = confirmed.participant.feed_token
            full_uid, open_uid = uid(full.id), uid(open_.id)
            links = {
                full_uid: f"https://{HOST}/events/{full.id}",
                open_uid: f"https://{HOST}/events/{open_.id}",
            }
            manage_tokens = {waitlisted.token, confirmed.token}

        response = client.get(f"/calendar/personal/{token}.ics")

        assert response.status_code == 200
        feed = read_one(response.data)
        assert set(feed.events) == set(links)
        assert feed.events[full_uid].status == "TENTATIVE"
        assert feed.events[open_uid].status == "CONFIRMED"
        for event_uid, event_page in links.items():
            assert feed.events[event_uid].url == event_page
            assert feed.events[event_uid].description.endswith(event_page)
        # A feed URL ends up in calendar apps others may see: no manage link inside it.
        assert not any(token in response.text for token in manage_tokens)
        assert "/r/" not in response.text
        assert "Zofia" not in response.text  # the factories' name
        assert "anna@" not in response.text
        assert feed.name

    def test_is_private(self, client, data):
        """A secret URL: no shared cache keeps it and no search engine lists it."""
        with data():
            token = make_registration(make_event()).participant.feed_token

        response = client.get(f"/calendar/personal/{token}.ics")

        assert "private" in response.headers["Cache-Control"]
        assert "public" not in response.headers["Cache-Control"]
        assert response.headers["X-Robots-Tag"] == "noindex"

    def test_unknown_or_malformed_tokens_are_not_found(self, client, data):
        with data():
            make_registration(make_event())

        for token in ("x" * 43, "short", "%00" * 20, "a.b" * 10):
            assert client.get(f"/calendar/personal/{token}.ics").status_code == 404, token

    def test_a_promotion_from_the_waitlist_confirms_the_event(self, client, data):
        """When a seat frees up, the next poll of the person's feed shows the event confirmed."""
        past = utcnow() - timedelta(hours=2)
        with data():
            event = make_event(capacity=1, created_at=past, updated_at=past)
            first = make_registration(event, now=past)
            second = make_registration(event, now=past)
            token, event_uid, first_id = second.participant.feed_token, uid(event.id), first.id
        before = client.get(f"/calendar/personal/{token}.ics")
        with data():
            services.cancel(db.session.get(Registration, first_id))

        after = client.get(f"/calendar/personal/{token}.ics")

        assert read_one(before.data).only.status == "TENTATIVE"
        assert read_one(after.data).only.status == "CONFIRMED"
        assert after.headers["ETag"] != before.headers["ETag"]
        # A client that only sends If-Modified-Since must not be told "not modified".
        assert after.last_modified > before.last_modified
        conditional = client.get(
            f"/calendar/personal/{token}.ics",
            headers={"If-Modified-Since": before.headers["Last-Modified"]},
        )
        assert conditional.status_code == 200
        assert read_one(conditional.data).events[event_uid].status == "CONFIRMED"


class TestUpdates:
    """Calendar clients see changes as changes of the same event, never as a new one."""

    def test_a_new_time_keeps_the_uid_and_raises_the_sequence(self, client, data):
        with data():
            event = make_event()
            event_id, token = event.id, make_registration(event).participant.feed_token
        paths = [
            "/calendar.ics",
            f"/events/{event_id}/calendar.ics",
            f"/calendar/personal/{token}.ics",
        ]
        before = read(*(client.get(path).data for path in paths))
        moved = utcnow().replace(microsecond=0) + timedelta(days=30)
        with data():
            # Rescheduling is the organisers' operation (not written yet); it will do this:
            event = db.session.get(Event, event_id)
            event.starts_at, event.ends_at = moved, moved + timedelta(hours=5)
            event.sequence += 1

        after = read(*(client.get(path).data for path in paths))

        for old, new in zip(before, after, strict=True):
            assert new.only.uid == old.only.uid == uid(event_id)
            assert new.only.sequence == old.only.sequence + 1
            assert (new.only.start, new.only.end) == (utc(moved), utc(moved + timedelta(hours=5)))

    def test_a_cancelled_event_is_cancelled_in_every_calendar(self, client, data):
        with data():
            event = make_event(title="Seminarium o danych")
            event_id, token = event.id, make_registration(event).participant.feed_token
        with data():
            event = db.session.get(Event, event_id)
            event.status = EventStatus.CANCELLED
            event.sequence += 1

        feeds = read(
            client.get("/calendar.ics").data,
            client.get(f"/events/{event_id}/calendar.ics").data,
            client.get(f"/calendar/personal/{token}.ics").data,
        )

        for feed in feeds:
            seen = feed.events[uid(event_id)]
            assert seen.status == "CANCELLED"
            assert seen.sequence == 1
            assert "Seminarium o danych" in seen.summary
            assert seen.summary != "Seminarium o danych"  # marked for clients that ignore STATUS
            assert b"TRANSP:TRANSPARENT" in feed.raw


def _last_sunday(year: int, month: int) -> date:
    day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


class TestTimesAcrossDaylightSaving:
    def test_both_parsers_read_the_instants_we_stored_around_both_changes(self, client, data):
        """Times keep their instant across the March and October changes of clocks.

        Including the hour that October repeats: 02:30 happens twice in Warsaw,
        and clients differ on which one "02:30" means, so that hour goes out in UTC.
        """
        year = utcnow().year + 1
        spring = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC)
        autumn = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC)
        # Clocks change at 01:00 UTC on both days.
        starts = [
            spring - timedelta(hours=2),  # Saturday, 23:00 CET
            spring + timedelta(minutes=30),  # 01:30 CET
            spring + timedelta(minutes=59),  # 01:59 CET
            spring + timedelta(hours=1),  # 03:00 CEST
            spring + timedelta(hours=1, minutes=30),  # 03:30 CEST
            spring + timedelta(hours=10),  # 12:00 CEST
            autumn - timedelta(minutes=30),  # 01:30 CEST
            autumn + timedelta(minutes=30),  # 02:30 CEST, the first 02:30
            autumn + timedelta(minutes=59),  # 02:59 CEST
            autumn + timedelta(hours=1),  # 02:00 CET, the second 02:00
            autumn + timedelta(hours=1, minutes=30),  # 02:30 CET, the second 02:30
            autumn + timedelta(hours=2),  # 03:00 CET
            autumn + timedelta(hours=11),  # 12:00 CET
            datetime(year, 7, 1, 10, tzinfo=UTC),  # summer
            datetime(year, 1, 15, 10, tzinfo=UTC),  # winter
        ]
        with data():
            events = [make_event(starts_at=start, hours=1.5) for start in starts]
            # One night across each change.
            events.append(make_event(starts_at=spring - timedelta(hours=3), hours=6))
            events.append(make_event(starts_at=autumn - timedelta(hours=3), hours=6))
            stored = {uid(e.id): (utc(e.starts_at), utc(e.ends_at)) for e in events}
            repeated_hour = {uid(events[index].id) for index in (7, 8, 9, 10)}

        feed = read_one(client.get("/calendar.ics").data)

        assert {key: (seen.start, seen.end) for key, seen in feed.events.items()} == stored
        assert {feed.zones[key] for key in repeated_hour} == {"UTC"}
        assert {zone for key, zone in feed.zones.items() if key not in repeated_hour} == {
            "Europe/Warsaw"
        }
