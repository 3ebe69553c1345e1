"""The coalition's rules through the API: home cities, allocations, approval, caps.

Every answer is checked against the OpenAPI document (``conforms``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.accounts.services import issue_api_token
from registration.database import utcnow
from registration.extensions import db
from registration.notifications.models import OutboxMessage
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import EVENT_BODY, REGISTRATION_BODY, city, make_account, make_event


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """Bearer headers of a Wrocław organiser and a Gdańsk organiser."""
    with app.app_context():
        tokens = {
            "wroclaw": issue_api_token(make_account("wro@example.org", password=None)),
            "gdansk": issue_api_token(
                make_account("gda@example.org", city_slug="gdansk", password=None)
            ),
        }
        db.session.commit()
    return {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


def make(app, **fields) -> int:
    with app.app_context():
        event_id = make_event(**fields).id
        db.session.commit()
    return event_id


def register(client, event_id: int, number: int, **fields):
    body = {**REGISTRATION_BODY, "email": f"osoba{number}@example.org", **fields}
    return client.post(f"/api/v1/events/{event_id}/registrations", json=body)


class TestRegistering:
    def test_the_home_city_is_chosen_by_slug(self, app, client, conforms):
        event_id = make(app)
        response = register(client, event_id, 1, home_city="szczecin", city="Police")
        conforms(response, "/events/{event_id}/registrations", "post")
        with app.app_context():
            registration = db.session.get(Registration, response.get_json()["id"])
            assert registration.home_city.slug == "szczecin"
            assert registration.city == "Police"

    def test_an_unknown_home_city_is_invalid(self, app, client, conforms):
        event_id = make(app)
        response = register(client, event_id, 1, home_city="krakow")
        problem = conforms(response, "/events/{event_id}/registrations", "post")
        assert response.status_code == 422
        assert problem["type"].endswith("/unknown-home-city")

    def test_a_request_at_an_event_with_approval_is_pending(self, app, client, conforms):
        event_id = make(app, approval=True)
        response = register(client, event_id, 1)
        body = conforms(response, "/events/{event_id}/registrations", "post")
        assert (body["status"], body["waitlist_position"]) == ("pending", None)

    def test_the_institution_cap_is_told_clearly(self, app, client, conforms):
        event_id = make(app, institution_cap=1)
        assert register(client, event_id, 1, institution="Teatr Polski").status_code == 201
        response = register(client, event_id, 2, institution="teatr polski ")
        problem = conforms(response, "/events/{event_id}/registrations", "post")
        assert response.status_code == 409
        assert problem["type"].endswith("/institution-cap-reached")
        assert "z Twojej instytucji" in problem["detail"]  # Polish unless asked otherwise


class TestEventObject:
    def test_shows_each_citys_free_seats_while_allocations_hold(self, app, client, conforms):
        with app.app_context():
            event = make_event(capacity=10)
            services.change_allocations(
                event, {city("gdansk").id: 3, city("lodz").id: 2}, release_at=None
            )
            db.session.commit()
            event_id = event.id
        register(client, event_id, 1, city="Gdańsk")
        body = conforms(client.get(f"/api/v1/events/{event_id}"), "/events/{event_id}", "get")
        assert body["allocations"] == {"gdansk": 3, "lodz": 2}
        assert body["allocations_left"] == {"gdansk": 2, "lodz": 2}
        assert body["common_seats_left"] == 5
        assert body["seats_left"] == 9

    def test_shows_none_left_once_released(self, app, client, conforms):
        with app.app_context():
            event = make_event(capacity=10)
            services.change_allocations(
                event, {city("gdansk").id: 3}, release_at=utcnow() + timedelta(hours=1)
            )
            db.session.commit()
            services.release_due_allocations(now=utcnow() + timedelta(hours=2))
            event_id = event.id
        body = conforms(client.get(f"/api/v1/events/{event_id}"), "/events/{event_id}", "get")
        assert body["allocations"] == {"gdansk": 3}
        assert body["allocations_left"] is None
        assert body["common_seats_left"] is None

    def test_organisers_set_the_rules(self, client, conforms, tokens):
        body = {
            **EVENT_BODY,
            "approval": True,
            "institution_cap": 2,
            "allocations": {"gdansk": 4, "wroclaw": 4},
            "allocation_release_at": "2030-03-01T12:00:00+01:00",
        }
        response = client.post("/api/v1/events", json=body, headers=tokens["wroclaw"])
        created = conforms(response, "/events", "post")
        assert response.status_code == 201
        assert created["allocations"] == {"gdansk": 4, "wroclaw": 4}
        assert created["allocation_release_at"] == "2030-03-01T12:00:00+01:00"
        assert (created["approval"], created["institution_cap"]) == (True, 2)
        path = f"/api/v1/events/{created['id']}"
        changed = client.patch(path, json={"allocations": {"gdansk": 0}}, headers=tokens["wroclaw"])
        assert conforms(changed, "/events/{event_id}", "patch")["allocations"] == {}

    @pytest.mark.parametrize(
        "allocations",
        [{"gdansk": 20, "lodz": 20}, {"krakow": 1}, {"gdansk": -1}, {"gdansk": "4"}, [4]],
    )
    def test_impossible_allocations_are_refused(self, client, conforms, tokens, allocations):
        body = {**EVENT_BODY, "allocations": allocations}
        response = client.post("/api/v1/events", json=body, headers=tokens["wroclaw"])
        problem = conforms(response, "/events", "post")
        assert response.status_code == 422
        assert "allocations" in problem["errors"]


class TestDeciding:
    @pytest.fixture
    def request_id(self, app, client) -> int:
        event_id = make(app, approval=True, capacity=1)
        return register(client, event_id, 1).get_json()["id"]

    def test_approve_gives_the_seat(self, client, conforms, tokens, request_id):
        path = f"/api/v1/registrations/{request_id}/approve"
        response = client.post(path, headers=tokens["wroclaw"])
        body = conforms(response, "/registrations/{registration_id}/approve", "post")
        assert body["status"] == "confirmed"
        again = client.post(path, headers=tokens["wroclaw"])
        problem = conforms(again, "/registrations/{registration_id}/approve", "post")
        assert again.status_code == 409
        assert problem["type"].endswith("/not-pending")

    def test_reject(self, client, conforms, tokens, request_id):
        path = f"/api/v1/registrations/{request_id}/reject"
        response = client.post(path, headers=tokens["wroclaw"])
        assert conforms(response, "/registrations/{registration_id}/reject", "post")["status"] == (
            "rejected"
        )

    def test_another_citys_organiser_and_strangers_decide_nothing(
        self, app, client, conforms, tokens, request_id
    ):
        for decision in ("approve", "reject"):
            path = f"/api/v1/registrations/{request_id}/{decision}"
            other = client.post(path, headers=tokens["gdansk"])
            conforms(other, f"/registrations/{{registration_id}}/{decision}", "post")
            assert other.status_code == 403
            assert client.post(path).status_code == 401
        unknown = client.post("/api/v1/registrations/999999/approve", headers=tokens["wroclaw"])
        assert unknown.status_code == 404
        with app.app_context():
            assert db.session.get(Registration, request_id).status == "pending"

    def test_a_rejected_request_stays_rejected_when_cancelled(self, app, client, conforms, tokens):
        event_id = make(app, approval=True)
        created = register(client, event_id, 7).get_json()
        token = created["manage_url"].rsplit("/", 1)[1]
        client.post(f"/api/v1/registrations/{created['id']}/reject", headers=tokens["wroclaw"])
        response = client.delete(f"/api/v1/registrations/{token}")
        assert conforms(response, "/registrations/{token}", "delete") == {"status": "rejected"}
        with app.app_context():
            kinds = db.session.scalars(
                sa.select(OutboxMessage.kind)
                .where(OutboxMessage.registration_id == created["id"])
                .order_by(OutboxMessage.id)
            ).all()
        assert kinds == ["pending", "rejected"]
