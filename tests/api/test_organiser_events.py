"""Organiser API: POST /api/v1/events and PATCH /api/v1/events/{id} (docs/api.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.accounts.services import issue_api_token
from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration, RegistrationStatus
from registration.registrations.services import cancel
from tests.factories import make_account, make_event, make_registration

YEAR = utcnow().year + 1


def body(**overrides) -> dict:
    values = {
        "type": "study_visit",
        "title": "Wizyta studyjna: Łódź po przemyśle",
        "summary": "Dwa dni w Łodzi.",
        "description": "Pierwszy akapit.\n\nDrugi akapit.",
        "city": "Wrocław",
        "venue": "Wrocławski Dom Literatury",
        "address": "Przejście Żelazne 1",
        "online_url": None,
        "starts_at": f"{YEAR}-06-01T10:00:00+02:00",
        "ends_at": f"{YEAR}-06-01T16:00:00+02:00",
        "capacity": 12,
        "waitlist": True,
        "registration_opens_at": None,
        "registration_closes_at": f"{YEAR}-05-25T23:59:00+02:00",
        "contact_email": "koalicja@example.org",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not ...}


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """Bearer tokens of a Wrocław organiser, a Gdańsk organiser and an admin."""
    with app.app_context():
        tokens = {
            "wroclaw": issue_api_token(make_account()),
            "gdansk": issue_api_token(make_account("gdansk@example.org", city_slug="gdansk")),
            "admin": issue_api_token(make_account("admin@example.org", role="admin")),
        }
        db.session.commit()
        return tokens


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def event(app) -> dict:
    """A published Wrocław event: two confirmed, two waiting, one who cancelled."""
    with app.app_context():
        event = make_event(title="Seminarium we Wrocławiu", capacity=2)
        people = [make_registration(event) for _ in range(5)]
        cancel(people[4])
        draft = make_event(title="Szkic", status=EventStatus.DRAFT)
        db.session.commit()
        return {"id": event.id, "people": [p.id for p in people], "draft": draft.id}


def stored(app, event_id: int) -> Event:
    with app.app_context():
        found = db.session.get(Event, event_id)
        db.session.expunge(found)
        return found


def told(app, kind: MessageKind) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(OutboxMessage.registration_id)
                .where(OutboxMessage.kind == kind)
                .order_by(OutboxMessage.id)
            )
        )


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Event.id)))


class TestAuthentication:
    @pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz"])
    def test_without_a_valid_token_creating_is_401(self, app, client, conforms, tokens, header):
        headers = {"Authorization": header} if header else {}
        response = client.post("/api/v1/events", json=body(), headers=headers)
        conforms(response, "/events", "post")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert count_events(app) == 0

    def test_401_comes_before_404_and_403(self, client, conforms, event):
        for event_id in (999999, event["id"], event["draft"]):
            response = client.patch(f"/api/v1/events/{event_id}", json={"title": "X"})
            conforms(response, "/events/{event_id}", "patch")
            assert response.status_code == 401

    def test_every_operation_requires_the_token_in_the_document(self, client):
        document = client.get("/api/v1/openapi.json").get_json()
        for path, method in (("/events", "post"), ("/events/{event_id}", "patch")):
            assert document["paths"][path][method]["security"] == [{"organiserToken": []}]
        assert document["paths"]["/events"]["get"].get("security") is None
        assert document["components"]["securitySchemes"]["organiserToken"]["scheme"] == "bearer"


class TestCreating:
    def test_makes_a_draft_and_answers_with_the_event(self, app, client, conforms, tokens):
        response = client.post("/api/v1/events", json=body(), headers=auth(tokens["wroclaw"]))
        created = conforms(response, "/events", "post")
        assert response.status_code == 201
        assert created["status"] == "draft"
        assert created["slug"] == "wizyta-studyjna-lodz-po-przemysle"
        assert created["city"] == "Wrocław"
        assert created["starts_at"] == f"{YEAR}-06-01T10:00:00+02:00"
        assert created["registration_closes_at"] == f"{YEAR}-05-25T23:59:00+02:00"
        assert (created["seats_left"], created["waitlist_length"]) == (12, 0)
        with app.app_context():
            event = db.session.get(Event, created["id"])
            assert event.starts_at == datetime(YEAR, 6, 1, 8, 0, tzinfo=UTC)
            entry = db.session.scalars(sa.select(AuditEntry)).one()
            assert (entry.action, entry.event_id) == ("event.create", event.id)
            assert entry.account.email == "organiser@example.org"

    def test_may_publish_at_once_with_the_city_given_by_slug(self, client, conforms, tokens):
        response = client.post(
            "/api/v1/events",
            json=body(status="published", city="wroclaw", registration_closes_at=None),
            headers=auth(tokens["wroclaw"]),
        )
        created = conforms(response, "/events", "post")
        assert (created["status"], created["city"]) == ("published", "Wrocław")
        assert created["registration_closes_at"] == created["starts_at"]
        assert created["registration_open"] is True

    def test_another_citys_organiser_is_403_and_nothing_is_saved(
        self, app, client, conforms, tokens
    ):
        response = client.post(
            "/api/v1/events", json=body(city="Gdańsk"), headers=auth(tokens["wroclaw"])
        )
        problem = conforms(response, "/events", "post")
        assert response.status_code == 403
        assert problem["type"].endswith("/forbidden")
        assert count_events(app) == 0

    def test_an_admin_may_create_in_any_city(self, client, conforms, tokens):
        response = client.post(
            "/api/v1/events", json=body(city="Gdańsk"), headers=auth(tokens["admin"])
        )
        assert conforms(response, "/events", "post")["city"] == "Gdańsk"

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"title": ...}, "title", "This field is required."),
            ({"capacity": "dwanaście"}, "capacity", "Enter a whole number."),
            ({"capacity": True}, "capacity", "Enter a whole number."),
            ({"capacity": -3}, "capacity", "Enter a number of seats from 0 to 100,000."),
            ({"capacity": 100_001}, "capacity", "Enter a number of seats from 0 to 100,000."),
            ({"description": "x" * 20_001}, "description", "Shorten the description to at most"),
            ({"contact_email": "koalicja@example..org"}, "contact_email", "Enter a valid email"),
            (
                {"starts_at": "1999-12-31T10:00:00+01:00"},
                "starts_at",
                "Enter a date from the years 2000–2100.",
            ),
            ({"waitlist": "yes"}, "waitlist", "Must be true or false."),
            ({"title": 5}, "title", "Must be text."),
            ({"starts_at": f"{YEAR}-06-01T10:00:00"}, "starts_at", "Use a date and time"),
            ({"starts_at": "jutro"}, "starts_at", "Use a date and time"),
            ({"ends_at": f"{YEAR}-06-01T09:00:00+02:00"}, "ends_at", "The event must end"),
            (
                {"registration_opens_at": f"{YEAR}-05-26T10:00:00+02:00"},
                "registration_closes_at",
                "Registration must close after it opens.",
            ),
            ({"city": "Berlin"}, "city", "Unknown city."),
            ({"type": "party"}, "type", "Unknown event type."),
            ({"status": "archived"}, "status", "Unknown status."),
            ({"online_url": "ftp://example.org"}, "online_url", "Enter a web address"),
            ({"seats_left": 3}, "seats_left", "This field cannot be set."),
        ],
    )
    def test_invalid_input_is_422_with_errors_by_field(
        self, app, client, conforms, tokens, overrides, field, message
    ):
        response = client.post(
            "/api/v1/events",
            json=body(**overrides),
            headers={**auth(tokens["wroclaw"]), "Accept-Language": "en"},
        )
        problem = conforms(response, "/events", "post")
        assert response.status_code == 422
        assert problem["type"].endswith("/invalid-input")
        assert problem["errors"][field][0].startswith(message), problem
        assert count_events(app) == 0

    def test_every_missing_field_is_named(self, client, conforms, tokens):
        response = client.post("/api/v1/events", json={}, headers=auth(tokens["wroclaw"]))
        problem = conforms(response, "/events", "post")
        assert set(problem["errors"]) == {
            "type",
            "title",
            "city",
            "venue",
            "address",
            "starts_at",
            "ends_at",
            "capacity",
            "contact_email",
        }

    def test_the_documented_request_schemas_describe_these_bodies(self, client):
        schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        jsonschema.validate(body(), schemas["EventCreate"], format_checker=checker)
        jsonschema.validate({"capacity": 3}, schemas["EventChanges"], format_checker=checker)
        for wrong in (body(capacity=-3), body(title=...), body(seats_left=3)):
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(wrong, schemas["EventCreate"], format_checker=checker)

    def test_a_body_that_is_not_an_object_is_400(self, client, conforms, tokens):
        response = client.post("/api/v1/events", json=[1, 2], headers=auth(tokens["wroclaw"]))
        conforms(response, "/events", "post")
        assert response.status_code == 400


class TestChanging:
    def patch(self, client, event_id, token, **changes):
        return client.patch(f"/api/v1/events/{event_id}", json=changes, headers=auth(token))

    def test_unknown_events_are_404(self, client, conforms, tokens):
        response = self.patch(client, 999999, tokens["wroclaw"], title="X")
        conforms(response, "/events/{event_id}", "patch")
        assert response.status_code == 404

    @pytest.mark.parametrize("which", ["id", "draft"])
    def test_another_citys_organiser_is_403(self, app, client, conforms, tokens, event, which):
        response = self.patch(client, event[which], tokens["gdansk"], status="cancelled")
        conforms(response, "/events/{event_id}", "patch")
        assert response.status_code == 403
        assert stored(app, event[which]).status != EventStatus.CANCELLED
        assert told(app, MessageKind.EVENT_CANCELLED) == []

    def test_an_organiser_may_not_move_an_event_to_another_city(
        self, app, client, conforms, tokens, event
    ):
        response = self.patch(client, event["id"], tokens["wroclaw"], city="Gdańsk")
        conforms(response, "/events/{event_id}", "patch")
        assert response.status_code == 403
        assert stored(app, event["id"]).city.slug == "wroclaw"

    def test_an_admin_may_change_any_event(self, client, conforms, tokens, event):
        response = self.patch(client, event["id"], tokens["admin"], city="Gdańsk")
        assert conforms(response, "/events/{event_id}", "patch")["city"] == "Gdańsk"

    def test_a_new_time_bumps_sequence_and_tells_each_active_person_once(
        self, app, client, conforms, tokens, event
    ):
        before = stored(app, event["id"])
        later = (before.starts_at + timedelta(hours=1)).isoformat()
        response = self.patch(client, event["id"], tokens["wroclaw"], starts_at=later)
        changed = conforms(response, "/events/{event_id}", "patch")
        assert response.status_code == 200
        assert datetime.fromisoformat(changed["starts_at"]) == datetime.fromisoformat(later)
        assert stored(app, event["id"]).sequence == 1
        assert told(app, MessageKind.EVENT_CHANGED) == event["people"][:4]
        # the same value again: nothing moves, nobody is told twice
        self.patch(client, event["id"], tokens["wroclaw"], starts_at=later)
        assert stored(app, event["id"]).sequence == 1
        assert told(app, MessageKind.EVENT_CHANGED) == event["people"][:4]

    def test_a_new_title_tells_nobody(self, app, client, conforms, tokens, event):
        response = self.patch(client, event["id"], tokens["wroclaw"], title="Nowy tytuł")
        assert conforms(response, "/events/{event_id}", "patch")["title"] == "Nowy tytuł"
        assert stored(app, event["id"]).sequence == 0
        assert told(app, MessageKind.EVENT_CHANGED) == []

    def test_cancelling_tells_each_active_person_once(self, app, client, conforms, tokens, event):
        response = self.patch(client, event["id"], tokens["wroclaw"], status="cancelled")
        assert conforms(response, "/events/{event_id}", "patch")["status"] == "cancelled"
        assert told(app, MessageKind.EVENT_CANCELLED) == event["people"][:4]
        assert told(app, MessageKind.EVENT_CHANGED) == []
        with app.app_context():
            statuses = db.session.scalars(
                sa.select(Registration.status)
                .where(Registration.event_id == event["id"])
                .order_by(Registration.id)
            ).all()
        assert statuses == ["confirmed"] * 2 + ["waitlisted"] * 2 + ["cancelled"]

    def test_publishing_a_draft_tells_nobody(self, app, client, conforms, tokens, event):
        response = self.patch(client, event["draft"], tokens["wroclaw"], status="published")
        assert conforms(response, "/events/{event_id}", "patch")["status"] == "published"
        assert told(app, MessageKind.EVENT_CHANGED) == []
        with app.app_context():
            actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions == ["event.publish"]

    def test_raising_capacity_promotes_in_order(self, app, client, conforms, tokens, event):
        response = self.patch(client, event["id"], tokens["wroclaw"], capacity=3)
        changed = conforms(response, "/events/{event_id}", "patch")
        assert (changed["capacity"], changed["seats_left"], changed["waitlist_length"]) == (
            3,
            0,
            1,
        )
        assert told(app, MessageKind.PROMOTED) == [event["people"][2]]
        with app.app_context():
            later = db.session.get(Registration, event["people"][3])
            assert later.status == RegistrationStatus.WAITLISTED

    def test_capacity_below_confirmed_is_409(self, app, client, conforms, tokens, event):
        response = self.patch(
            client, event["id"], tokens["wroclaw"], capacity=1, title="Nie zapisze się"
        )
        problem = conforms(response, "/events/{event_id}", "patch")
        assert response.status_code == 409
        assert problem["type"].endswith("/capacity-below-confirmed")
        assert (stored(app, event["id"]).capacity, stored(app, event["id"]).title) == (
            2,
            "Seminarium we Wrocławiu",
        )

    def test_a_published_event_cannot_become_a_draft(self, client, conforms, tokens, event):
        response = self.patch(client, event["id"], tokens["wroclaw"], status="draft")
        problem = conforms(response, "/events/{event_id}", "patch")
        assert response.status_code == 422
        assert list(problem["errors"]) == ["status"]

    def test_nullable_fields_may_be_cleared(self, app, client, conforms, tokens, event):
        self.patch(
            client, event["id"], tokens["wroclaw"], online_url="https://spotkanie.example.org"
        )
        response = self.patch(client, event["id"], tokens["wroclaw"], online_url=None)
        assert conforms(response, "/events/{event_id}", "patch")["online_url"] is None
        assert stored(app, event["id"]).sequence == 2

    def test_changes_are_in_the_audit_log_under_the_tokens_account(
        self, app, client, tokens, event
    ):
        self.patch(client, event["id"], tokens["wroclaw"], venue="Nowe miejsce")
        with app.app_context():
            entry = db.session.scalars(sa.select(AuditEntry)).one()
            assert (entry.action, entry.event_id, entry.account.email) == (
                "event.update",
                event["id"],
                "organiser@example.org",
            )
            assert entry.details == {"venue": ["Wrocławski Dom Literatury", "Nowe miejsce"]}
