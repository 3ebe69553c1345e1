"""Public API v1: events, registering, reading and cancelling through the manage token."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.events.models import EventStatus, EventType
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_event, make_registration

WARSAW = ZoneInfo("Europe/Warsaw")


def body(**overrides) -> dict:
    values = {
        "name": "Łucja Żółkiewska",
        "email": "lucja@example.org",
        "institution": "Teatr Miejski",
        "position": "Kierowniczka literacka",
        "category": "culture_staff",
        "city": "Gdańsk",
        "needs": "Dieta wegetariańska",
        "consent": True,
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not ...}


@pytest.fixture
def event_id(app) -> int:
    with app.app_context():
        event = make_event(
            title="Seminarium: dostępność",
            capacity=1,
            city_slug="gdansk",
            starts_at=datetime(utcnow().year + 1, 3, 29, 10, 0, tzinfo=WARSAW),
        )
        db.session.commit()
        return event.id


def register(client, event_id: int, **overrides):
    return client.post(f"/api/v1/events/{event_id}/registrations", json=body(**overrides))


class TestEvents:
    def test_list_has_published_upcoming_events_sorted_by_start(self, app, client, conforms):
        with app.app_context():
            later = make_event(title="Później", starts_at=utcnow() + timedelta(days=20))
            sooner = make_event(title="Wcześniej", starts_at=utcnow() + timedelta(days=2))
            make_event(title="Szkic", status=EventStatus.DRAFT)
            past = make_event(title="Było", starts_at=utcnow() - timedelta(days=2))
            db.session.commit()
            ids = (sooner.id, later.id, past.id)
        events = conforms(client.get("/api/v1/events"), "/events", "get")["events"]
        assert [e["id"] for e in events] == [ids[0], ids[1]]
        with_past = client.get("/api/v1/events?past=1").get_json()["events"]
        assert [e["id"] for e in with_past] == [ids[2], ids[0], ids[1]]

    def test_list_filters_by_type_city_and_dates(self, app, client):
        year = utcnow().year + 1
        with app.app_context():
            march = make_event(
                type=EventType.STUDY_VISIT,
                city_slug="lodz",
                starts_at=datetime(year, 3, 10, 10, tzinfo=WARSAW),
            )
            make_event(
                type=EventType.SEMINAR,
                city_slug="lodz",
                starts_at=datetime(year, 3, 11, 10, tzinfo=WARSAW),
            )
            make_event(
                type=EventType.STUDY_VISIT,
                city_slug="poznan",
                starts_at=datetime(year, 4, 2, 10, tzinfo=WARSAW),
            )
            db.session.commit()
            march_id = march.id
        for query in (
            "type=study_visit&city=lodz",
            "type=study_visit&city=Łódź",
            f"type=study_visit&from={year}-03-01&to={year}-03-10",
        ):
            ids = [e["id"] for e in client.get(f"/api/v1/events?{query}").get_json()["events"]]
            assert ids == [march_id], query

    @pytest.mark.parametrize(
        "query", ["type=party", "city=Berlin", "from=yesterday", "to=2027-03-01T10:00"]
    )
    def test_bad_filters_are_422_problems(self, client, conforms, app, query):
        response = client.get(f"/api/v1/events?{query}")
        assert response.status_code == 422
        assert conforms(response, "/events", "get")["errors"]

    def test_event_object_has_every_field_in_warsaw_time(self, client, conforms, event_id):
        event = conforms(client.get(f"/api/v1/events/{event_id}"), "/events/{event_id}", "get")
        assert event["starts_at"].endswith("T10:00:00+02:00")  # CEST from the last Sunday of March
        assert event["city"] == "Gdańsk"
        assert event["seats_left"] == 1
        assert event["registration_open"] is True
        assert event["url"] == f"https://koalicja.example.org/events/{event_id}"
        assert event["ical_url"] == f"https://koalicja.example.org/events/{event_id}/calendar.ics"

    def test_drafts_and_unknown_ids_are_404(self, app, client, conforms):
        with app.app_context():
            draft = make_event(status=EventStatus.DRAFT)
            db.session.commit()
            draft_id = draft.id
        for event_id in (draft_id, 987654):
            response = client.get(f"/api/v1/events/{event_id}")
            assert response.status_code == 404
            assert response.mimetype == "application/problem+json"
            conforms(response, "/events/{event_id}", "get")


class TestRegistering:
    def test_first_gets_the_seat_second_the_waitlist(self, client, conforms, event_id):
        path = "/events/{event_id}/registrations"
        first = conforms(register(client, event_id), path, "post")
        second = conforms(register(client, event_id, email="b@example.org"), path, "post")
        assert (first["status"], first["waitlist_position"]) == ("confirmed", None)
        assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
        assert first["manage_url"].startswith("https://koalicja.example.org/r/")

    def test_manage_url_ignores_a_forged_host_header(self, client, event_id):
        response = client.post(
            f"/api/v1/events/{event_id}/registrations",
            json=body(),
            headers={"Host": "evil.example.com"},
        )
        assert response.get_json()["manage_url"].startswith("https://koalicja.example.org/r/")

    def test_full_event_without_waitlist_is_409_event_full(self, app, client, conforms):
        with app.app_context():
            event = make_event(capacity=0, waitlist=False)
            db.session.commit()
            event_id = event.id
        response = register(client, event_id)
        assert response.status_code == 409
        assert conforms(response, "/events/{event_id}/registrations", "post")["type"].endswith(
            "/event-full"
        )

    @pytest.mark.parametrize(
        "fields",
        [
            {"status": EventStatus.CANCELLED},
            {"starts_at_offset": timedelta(minutes=-1)},
            {"registration_closes_at_offset": timedelta(minutes=-1)},
            {"registration_opens_at_offset": timedelta(days=1)},
        ],
        ids=["cancelled", "started", "closed", "not-yet-open"],
    )
    def test_outside_the_window_is_409_registration_closed(self, app, client, conforms, fields):
        now = utcnow()
        with app.app_context():
            kwargs = {}
            if "status" in fields:
                kwargs["status"] = fields["status"]
            if "starts_at_offset" in fields:
                kwargs["starts_at"] = now + fields["starts_at_offset"]
            for name in ("registration_closes_at", "registration_opens_at"):
                if f"{name}_offset" in fields:
                    kwargs[name] = now + fields[f"{name}_offset"]
            event = make_event(**kwargs)
            db.session.commit()
            event_id = event.id
        response = register(client, event_id)
        assert response.status_code == 409
        problem = conforms(response, "/events/{event_id}/registrations", "post")
        assert problem["type"].endswith("/registration-closed")

    def test_draft_is_404_not_409(self, app, client):
        with app.app_context():
            event = make_event(status=EventStatus.DRAFT)
            db.session.commit()
            event_id = event.id
        assert register(client, event_id).status_code == 404

    def test_repeat_reveals_nothing_and_mails_the_manage_link(
        self, app, client, conforms, event_id
    ):
        first = register(client, event_id).get_json()
        response = register(client, event_id, email=" LUCJA@example.org", name="Someone Else")
        assert response.status_code == 409
        problem = conforms(response, "/events/{event_id}/registrations", "post")
        assert problem["type"].endswith("/already-registered")
        text = response.get_data(as_text=True)
        token = first["manage_url"].rsplit("/", 1)[1]
        assert token not in text
        assert "confirmed" not in text
        assert str(first["id"]) not in text.replace(str(response.status_code), "")
        with app.app_context():
            sent = db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ALREADY_REGISTERED)
            ).all()
            assert [(m.registration_id, m.recipient) for m in sent] == [
                (first["id"], "lucja@example.org")
            ]
            assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"consent": ...}, "consent"),
            ({"consent": False}, "consent"),
            ({"consent": "yes"}, "consent"),
            ({"name": ""}, "name"),
            ({"name": "   "}, "name"),
            ({"name": ...}, "name"),
            ({"name": 42}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"email": "not-an-address"}, "email"),
            ({"email": "a@b"}, "email"),
            ({"email": "x" * 250 + "@example.org"}, "email"),
            ({"institution": ...}, "institution"),
            ({"category": "vip"}, "category"),
            ({"city": ""}, "city"),
            ({"position": "p" * 201}, "position"),
            ({"needs": "n" * 1001}, "needs"),
        ],
    )
    def test_invalid_input_is_422_with_the_field_named(
        self, app, client, conforms, event_id, overrides, field
    ):
        response = register(client, event_id, **overrides)
        assert response.status_code == 422
        problem = conforms(response, "/events/{event_id}/registrations", "post")
        assert field in problem["errors"]
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0

    def test_errors_come_in_the_visitors_language(self, client, event_id):
        polish = register(client, event_id, name="").get_json()
        english = client.post(
            f"/api/v1/events/{event_id}/registrations",
            json=body(name=""),
            headers={"Accept-Language": "en"},
        ).get_json()
        assert polish["errors"]["name"] == ["Wpisz imię i nazwisko"]
        assert english["errors"]["name"] == ["Enter your full name"]

    def test_a_body_that_is_not_a_json_object_is_400(self, client, event_id):
        for data in ("[1, 2]", "not json"):
            response = client.post(
                f"/api/v1/events/{event_id}/registrations",
                data=data,
                content_type="application/json",
            )
            assert response.status_code == 400
            assert response.mimetype == "application/problem+json"

    def test_language_is_remembered_for_emails(self, app, client, event_id):
        register(client, event_id, language="en")
        with app.app_context():
            registration = db.session.scalars(sa.select(Registration)).one()
            assert registration.participant.language == "en"


class TestManageToken:
    def test_read_shows_status_position_and_event(self, client, conforms, event_id):
        register(client, event_id)
        second = register(client, event_id, email="b@example.org").get_json()
        token = second["manage_url"].rsplit("/", 1)[1]
        read = conforms(
            client.get(f"/api/v1/registrations/{token}"), "/registrations/{token}", "get"
        )
        assert (read["status"], read["waitlist_position"]) == ("waitlisted", 1)
        assert read["event"]["id"] == event_id

    def test_cancel_frees_the_seat_for_the_first_in_line_and_is_idempotent(
        self, client, conforms, event_id
    ):
        first = register(client, event_id).get_json()
        second = register(client, event_id, email="b@example.org").get_json()
        token = first["manage_url"].rsplit("/", 1)[1]
        for _ in range(2):
            response = client.delete(f"/api/v1/registrations/{token}")
            assert conforms(response, "/registrations/{token}", "delete") == {"status": "cancelled"}
        promoted = client.get(f"/api/v1/registrations/{second['manage_url'].rsplit('/', 1)[1]}")
        assert promoted.get_json()["status"] == "confirmed"

    @pytest.mark.parametrize("token", ["unknown", "x" * 43, "x" * 500, "%00"])
    def test_unknown_or_forged_tokens_are_404(self, client, conforms, token):
        for method in ("get", "delete"):
            response = getattr(client, method)(f"/api/v1/registrations/{token}")
            assert response.status_code == 404
            conforms(response, "/registrations/{token}", method)

    def test_cancelling_after_the_start_is_409(self, app, client, conforms):
        with app.app_context():
            event = make_event(starts_at=utcnow() + timedelta(hours=1))
            registration = make_registration(event)
            db.session.commit()
            token = registration.token
            event.starts_at = utcnow() - timedelta(minutes=1)
            event.ends_at = utcnow() + timedelta(hours=1)
            db.session.commit()
        response = client.delete(f"/api/v1/registrations/{token}")
        assert response.status_code == 409
        assert conforms(response, "/registrations/{token}", "delete")["type"].endswith(
            "/cancellation-closed"
        )
        with app.app_context():
            assert db.session.scalars(sa.select(Registration.status)).one() == (
                RegistrationStatus.CONFIRMED
            )
