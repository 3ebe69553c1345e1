"""Organisers' event operations: create, update, publish, cancel, duplicate (events.services)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events import services
from registration.events.models import Event, EventStatus, EventType
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services as seats
from registration.registrations.models import RegistrationStatus
from tests.factories import city, make_account, make_event, make_registration

WARSAW = ZoneInfo("Europe/Warsaw")
CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED


def fields(**overrides) -> dict:
    year = utcnow().year + 1
    values = {
        "type": "seminar",
        "title": "Seminarium: Łódź, miasto żywej kultury",
        "summary": "Jak miasta mierzą publiczność.",
        "description": "Pierwszy akapit.\n\nDrugi akapit.",
        "city": "Wrocław",
        "venue": "Wrocławski Dom Literatury",
        "address": "Przejście Żelazne 1",
        "starts_at": datetime(year, 3, 10, 10, tzinfo=WARSAW),
        "ends_at": datetime(year, 3, 10, 15, tzinfo=WARSAW),
        "capacity": 20,
        "contact_email": "koalicja@example.org",
    }
    values.update(overrides)
    return values


def messages(kind: MessageKind) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def english(message) -> str:
    """A translatable message as an English visitor reads it."""
    from flask import current_app

    with current_app.test_request_context("/?lang=en"):
        return str(message)


def audit() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


@pytest.fixture
def organiser(ctx):
    return make_account()


@pytest.fixture
def admin(ctx):
    return make_account("admin@example.org", role="admin", city_slug=None)


@pytest.fixture
def full_event(ctx):
    """A published event with two confirmed seats, two people waiting and one who cancelled."""
    event = make_event(capacity=2)
    people = [make_registration(event) for _ in range(5)]
    seats.cancel(people[4])
    db.session.commit()
    return event, people


class TestCreating:
    def test_is_a_draft_with_an_ascii_slug_from_the_title(self, organiser):
        event = services.create_event(fields(), account=organiser)
        assert event.id is not None
        assert event.status == EventStatus.DRAFT
        assert event.slug == "seminarium-lodz-miasto-zywej-kultury"
        assert event.slug.isascii()
        assert (event.city, event.type, event.sequence) == (city("wroclaw"), EventType.SEMINAR, 0)
        assert event.waitlist is True
        assert event.online_url is None

    def test_slugs_stay_unique_for_the_same_title(self, organiser):
        first = services.create_event(fields(title="Wizyta w Gdańsku"), account=organiser)
        second = services.create_event(fields(title="Wizyta w Gdańsku"), account=organiser)
        third = services.create_event(fields(title="Wizyta w  gdańsku!"), account=organiser)
        assert [first.slug, second.slug, third.slug] == [
            "wizyta-w-gdansku",
            "wizyta-w-gdansku-2",
            "wizyta-w-gdansku-3",
        ]

    def test_may_be_published_at_once(self, organiser):
        event = services.create_event(fields(status="published"), account=organiser)
        assert event.status == EventStatus.PUBLISHED

    def test_a_draft_cannot_be_cancelled_into_a_public_page(self, organiser):
        """A cancelled event keeps a public page; one never published must not get one."""
        with pytest.raises(services.InvalidEvent) as raised:
            services.create_event(fields(status="cancelled"), account=organiser)
        assert "status" in raised.value.errors
        draft = services.create_event(fields(), account=organiser)
        with pytest.raises(services.InvalidEvent):
            services.cancel_event(draft, organiser)
        assert draft.status == EventStatus.DRAFT

    def test_city_may_be_given_by_slug(self, organiser):
        assert services.create_event(fields(city="wroclaw"), account=organiser).city.name == (
            "Wrocław"
        )

    def test_an_organiser_may_not_create_in_another_city(self, organiser):
        with pytest.raises(services.CityNotAllowed) as raised:
            services.create_event(fields(city="Gdańsk"), account=organiser)
        assert raised.value.field == "city"
        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0

    def test_an_admin_may_create_anywhere(self, admin):
        event = services.create_event(fields(city="Gdańsk"), account=admin)
        assert event.city.slug == "gdansk"

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            (
                {"ends_at": datetime(2030, 3, 10, 9, tzinfo=WARSAW)},
                "ends_at",
                "The event must end after it starts.",
            ),
            (
                {
                    "registration_opens_at": datetime(2030, 3, 5, 9, tzinfo=WARSAW),
                    "registration_closes_at": datetime(2030, 3, 1, 9, tzinfo=WARSAW),
                },
                "registration_closes_at",
                "Registration must close after it opens.",
            ),
            (
                {"registration_opens_at": datetime(2030, 3, 11, 9, tzinfo=WARSAW)},
                "registration_opens_at",
                "Registration must open before the event starts.",
            ),
            ({"capacity": -1}, "capacity", "Enter a number of seats from 0 to 100,000."),
            ({"capacity": 100_001}, "capacity", "Enter a number of seats from 0 to 100,000."),
            (
                {"description": "x" * 20_001},
                "description",
                "Shorten the description to at most 20,000 characters.",
            ),
            (
                {"ends_at": datetime(2101, 1, 1, 0, 30, tzinfo=WARSAW)},
                "ends_at",
                "Enter a date from the years 2000–2100.",
            ),
            (
                {"registration_opens_at": datetime(1999, 12, 31, 23, tzinfo=WARSAW)},
                "registration_opens_at",
                "Enter a date from the years 2000–2100.",
            ),
            ({"city": "Berlin"}, "city", "Unknown city."),
            ({"type": "party"}, "type", "Unknown event type."),
            ({"title": "  "}, "title", "This field is required."),
            ({"title": "Dwie\nlinie"}, "title", "Use a single line without special characters."),
            ({"online_url": "javascript:alert(1)"}, "online_url", "Enter a web address"),
            ({"contact_email": "nobody"}, "contact_email", "Enter a valid email address"),
            ({"contact_email": "biuro@example.org;"}, "contact_email", "Enter a valid email"),
            ({"starts_at": datetime(2030, 3, 10, 10)}, "starts_at", "Give a date and time"),  # noqa: DTZ001
            ({"colour": "red"}, "colour", "This field cannot be set."),
        ],
    )
    def test_rules_are_checked(self, organiser, overrides, field, message):
        values = fields(
            starts_at=datetime(2030, 3, 10, 10, tzinfo=WARSAW),
            ends_at=datetime(2030, 3, 10, 15, tzinfo=WARSAW),
        )
        values.update(overrides)
        with pytest.raises(services.InvalidEvent) as raised:
            services.create_event(values, account=organiser)
        assert raised.value.field == field
        assert english(raised.value.errors[field][0]).startswith(message)
        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0

    def test_every_missing_field_is_reported_at_once(self, organiser):
        with pytest.raises(services.InvalidEvent) as raised:
            services.create_event({"title": "Tylko tytuł"}, account=organiser)
        assert set(raised.value.errors) == {
            "type",
            "city",
            "venue",
            "address",
            "starts_at",
            "ends_at",
            "capacity",
            "contact_email",
        }

    def test_is_recorded_in_the_audit_log(self, organiser):
        event = services.create_event(fields(), account=organiser)
        [entry] = audit()
        assert (entry.action, entry.account_id, entry.event_id) == (
            "event.create",
            organiser.id,
            event.id,
        )
        assert entry.details["status"] == "draft"


class TestChangingTimeOrPlace:
    def test_moving_the_start_bumps_sequence_and_tells_each_active_person_once(
        self, organiser, full_event
    ):
        """People holding a seat or a place must learn that the event moved
        (docs/emails.md, docs/calendars.md)."""
        event, people = full_event
        old_start = event.starts_at
        services.update_event(
            event,
            {"starts_at": event.starts_at + timedelta(hours=1)},
            account=organiser,
        )
        assert event.sequence == 1
        told = [message.registration_id for message in messages(MessageKind.EVENT_CHANGED)]
        assert told == [person.id for person in people[:4]]  # not the one who cancelled
        assert [person.status for person in people[:4]] == [CONFIRMED] * 2 + [WAITLISTED] * 2
        assert messages(MessageKind.EVENT_CHANGED)[0].context == {
            "changed": ["starts_at"],
            "before": {"starts_at": old_start.isoformat()},  # for the email's "was … now …"
        }

    @pytest.mark.parametrize(
        "change",
        [
            {"venue": "Ośrodek Postaw Twórczych"},
            {"address": "ul. Działkowa 15"},
            {"online_url": "https://spotkania.example.org/koalicja"},
            {"ends_at": "later"},
        ],
    )
    def test_each_time_and_place_field_counts(self, organiser, full_event, change):
        event, _people = full_event
        if change.get("ends_at") == "later":
            change = {"ends_at": event.ends_at + timedelta(hours=2)}
        services.update_event(event, change, account=organiser)
        assert event.sequence == 1
        assert len(messages(MessageKind.EVENT_CHANGED)) == 4

    def test_moving_to_another_city_counts_and_is_for_admins(self, organiser, admin, full_event):
        event, _people = full_event
        with pytest.raises(services.CityNotAllowed):
            services.update_event(event, {"city": "Gdańsk"}, account=organiser)
        services.update_event(event, {"city": "gdansk"}, account=admin)
        assert (event.city.slug, event.sequence) == ("gdansk", 1)
        assert len(messages(MessageKind.EVENT_CHANGED)) == 4

    def test_several_changes_at_once_bump_sequence_by_one(self, organiser, full_event):
        event, _people = full_event
        services.update_event(
            event,
            {
                "starts_at": event.starts_at + timedelta(days=1),
                "ends_at": event.ends_at + timedelta(days=1),
                "venue": "Nowe miejsce",
            },
            account=organiser,
        )
        assert event.sequence == 1
        assert len(messages(MessageKind.EVENT_CHANGED)) == 4

    def test_a_title_change_neither_bumps_nor_tells_anyone(self, organiser, full_event):
        event, _people = full_event
        services.update_event(
            event, {"title": "Nowy tytuł", "summary": "Nowe streszczenie"}, account=organiser
        )
        assert (event.title, event.sequence) == ("Nowy tytuł", 0)
        assert messages(MessageKind.EVENT_CHANGED) == []

    def test_the_same_values_change_nothing_and_record_nothing(self, organiser, full_event):
        event, _people = full_event
        services.update_event(
            event,
            {"title": event.title, "starts_at": event.starts_at, "city": "Wrocław"},
            account=organiser,
        )
        assert event.sequence == 0
        assert messages(MessageKind.EVENT_CHANGED) == []
        assert audit() == []

    def test_a_broken_rule_changes_nothing(self, organiser, full_event):
        event, _people = full_event
        with pytest.raises(services.InvalidEvent) as raised:
            services.update_event(
                event,
                {"ends_at": event.starts_at - timedelta(hours=1), "title": "Inny"},
                account=organiser,
            )
        assert raised.value.field == "ends_at"
        db.session.rollback()
        assert (event.title, event.sequence) == ("Seminarium problemowe: dane o publiczności", 0)
        assert messages(MessageKind.EVENT_CHANGED) == []

    def test_changes_are_recorded_with_old_and_new_values(self, organiser, full_event):
        event, _people = full_event
        services.update_event(event, {"venue": "Nowe miejsce", "capacity": 3}, account=organiser)
        [entry] = audit()
        assert entry.action == "event.update"
        assert entry.details == {
            "venue": ["Wrocławski Dom Literatury", "Nowe miejsce"],
            "capacity": [2, 3],
        }

    def test_an_organiser_of_another_city_may_not_change_it(self, full_event):
        event, _people = full_event
        stranger = make_account("gdansk@example.org", city_slug="gdansk")
        for operation in (
            lambda: services.update_event(event, {"title": "Przejęte"}, account=stranger),
            lambda: services.publish(event, stranger),
            lambda: services.cancel_event(event, stranger),
            lambda: services.duplicate_event(event, stranger),
        ):
            with pytest.raises(services.NotAllowed):
                operation()
        assert event.title != "Przejęte"
        assert audit() == []


class TestStatus:
    def test_cancelling_tells_each_active_person_once_and_keeps_registrations(
        self, organiser, full_event
    ):
        event, people = full_event
        services.cancel_event(event, organiser)
        assert (event.status, event.sequence) == (EventStatus.CANCELLED, 1)
        told = [message.registration_id for message in messages(MessageKind.EVENT_CANCELLED)]
        assert told == [person.id for person in people[:4]]
        assert messages(MessageKind.EVENT_CHANGED) == []
        assert [person.status for person in people[:4]] == [CONFIRMED] * 2 + [WAITLISTED] * 2
        assert [entry.action for entry in audit()] == ["event.cancel"]

    def test_cancelling_twice_tells_nobody_twice(self, organiser, full_event):
        event, _people = full_event
        services.cancel_event(event, organiser)
        services.cancel_event(event, organiser)
        assert event.sequence == 1
        assert len(messages(MessageKind.EVENT_CANCELLED)) == 4

    def test_publishing_a_draft_tells_nobody(self, organiser):
        event = services.create_event(fields(), account=organiser)
        services.publish(event, organiser)
        assert event.status == EventStatus.PUBLISHED
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
        assert [entry.action for entry in audit()] == ["event.create", "event.publish"]

    def test_a_published_event_cannot_become_a_draft_again(self, organiser, full_event):
        event, _people = full_event
        with pytest.raises(services.InvalidEvent) as raised:
            services.update_event(event, {"status": "draft"}, account=organiser)
        assert raised.value.field == "status"

    def test_bringing_back_a_cancelled_event_tells_its_people(self, organiser, full_event):
        event, _people = full_event
        services.cancel_event(event, organiser)
        services.publish(event, organiser)
        assert (event.status, event.sequence) == (EventStatus.PUBLISHED, 2)
        assert len(messages(MessageKind.EVENT_CHANGED)) == 4

    def test_moving_a_cancelled_event_bumps_but_mails_nobody(self, organiser, full_event):
        event, _people = full_event
        services.cancel_event(event, organiser)
        services.update_event(event, {"venue": "Gdzie indziej"}, account=organiser)
        assert event.sequence == 2
        assert len(messages(MessageKind.EVENT_CANCELLED)) == 4
        assert messages(MessageKind.EVENT_CHANGED) == []


class TestCapacity:
    def test_raising_it_promotes_the_waitlist_in_order(self, organiser, full_event):
        """Invariant 2: added seats go to the earliest people in line."""
        event, people = full_event
        services.update_event(event, {"capacity": 3}, account=organiser)
        assert [person.status for person in people[:4]] == [CONFIRMED] * 3 + [WAITLISTED]
        assert [m.registration_id for m in messages(MessageKind.PROMOTED)] == [people[2].id]
        assert event.sequence == 0
        services.update_event(event, {"capacity": 10}, account=organiser)
        assert people[3].status == CONFIRMED
        assert seats.availability([event.id])[event.id].confirmed == 4

    def test_below_the_confirmed_seats_is_refused(self, organiser, full_event):
        event, people = full_event
        with pytest.raises(services.CapacityBelowConfirmed) as raised:
            services.update_event(event, {"capacity": 1, "title": "Mniej"}, account=organiser)
        assert isinstance(raised.value, seats.CapacityBelowConfirmed)
        assert isinstance(raised.value, services.EventError)
        assert raised.value.field == "capacity"
        db.session.rollback()
        assert (event.capacity, event.title) == (2, "Seminarium problemowe: dane o publiczności")
        assert [person.status for person in people[:2]] == [CONFIRMED] * 2

    def test_lowering_to_the_confirmed_seats_is_fine(self, organiser, full_event):
        event, _people = full_event
        make_registration(make_event())  # another event's seats do not count
        services.update_event(event, {"capacity": 2, "waitlist": False}, account=organiser)
        assert (event.capacity, event.waitlist) == (2, False)

    def test_a_cancelled_events_seats_cannot_change(self, organiser, full_event):
        event, people = full_event
        services.cancel_event(event, organiser)
        with pytest.raises(services.InvalidEvent) as raised:
            services.update_event(event, {"capacity": 5}, account=organiser)
        assert raised.value.field == "capacity"
        assert people[2].status == WAITLISTED

    def test_an_ended_events_seats_cannot_change(self, organiser, full_event):
        event, _people = full_event
        with pytest.raises(services.InvalidEvent):
            services.update_event(
                event, {"capacity": 5}, account=organiser, now=event.ends_at + timedelta(1)
            )


class TestDuplicating:
    def test_makes_a_draft_copy_with_the_same_dates_and_nobody_registered(
        self, organiser, full_event
    ):
        event, _people = full_event
        services.cancel_event(event, organiser)
        copy = services.duplicate_event(event, organiser)
        assert copy.id != event.id
        assert copy.title == "Kopia: " + event.title
        assert copy.slug == "kopia-seminarium-problemowe-dane-o-publicznosci"
        assert (copy.status, copy.sequence) == (EventStatus.DRAFT, 0)
        for name in ("starts_at", "ends_at", "capacity", "venue", "city", "description"):
            assert getattr(copy, name) == getattr(event, name), name
        assert seats.availability([copy.id])[copy.id] == seats.Availability(2, 0, 0)
        entry = audit()[-1]
        assert (entry.action, entry.event_id, entry.details) == (
            "event.duplicate",
            copy.id,
            {"source": event.id},
        )

    def test_a_long_title_is_cut_to_fit(self, organiser):
        event = make_event(title="S" * 200)
        assert len(services.duplicate_event(event, organiser).title) == 200


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Łódź – żywa kultura", "lodz-zywa-kultura"),
        ("ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "zazolc-gesla-jazn"),
        ("Café Ørsted № 5", "cafe-rsted-no-5"),
        ("!!!", "wydarzenie"),
    ],
)
def test_slugify_turns_polish_letters_into_ascii(title, slug):
    assert services.slugify(title) == slug
