"""Organiser API: attendee lists, the CSV export and check-in, each within the token's rights."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from registration.accounts import services as account_services
from registration.accounts.models import AuditEntry
from registration.accounts.services import issue_api_token
from registration.events.models import Event
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import PASSWORD, make_account, make_event, make_registration

OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+0[12]:00")


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """Bearer tokens of a Wrocław organiser, a Gdańsk organiser and an admin."""
    with app.app_context():
        tokens = {
            "wroclaw": issue_api_token(make_account("wro@example.org", password=None)),
            "gdansk": issue_api_token(
                make_account("gda@example.org", city_slug="gdansk", password=None)
            ),
            "admin": issue_api_token(
                make_account("admin@example.org", role="admin", city_slug=None, password=None)
            ),
        }
        db.session.commit()
        return tokens


@pytest.fixture
def seminar(app) -> dict:
    """A Wrocław seminar with one seat: one confirmed, two in line, one cancelled."""
    with app.app_context():
        event = make_event(capacity=1)
        people = [
            make_registration(event, name="Anna Żółć", email="anna@example.org", needs="Winda"),
            make_registration(event, name="Ben Smith", email="ben@example.org", language="en"),
            make_registration(event, name="Cezary Łyk", email="cezary@example.org"),
            make_registration(event, name="Dorota Dąb", email="dorota@example.org"),
        ]
        services.cancel(people[1])  # Ben's place in line goes to Cezary
        services.cancel(people[3])
        db.session.commit()
        return {"event": event.id, "ids": [p.id for p in people]}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class TestTheList:
    def test_every_registration_in_order_of_arrival(self, client, conforms, tokens, seminar):
        response = client.get(
            f"/api/v1/events/{seminar['event']}/registrations", headers=bearer(tokens["wroclaw"])
        )
        registrations = conforms(response, "/events/{event_id}/registrations", "get")[
            "registrations"
        ]
        assert [r["id"] for r in registrations] == seminar["ids"]
        assert [(r["status"], r["waitlist_position"]) for r in registrations] == [
            ("confirmed", None),
            ("cancelled", None),
            ("waitlisted", 1),
            ("cancelled", None),
        ]
        anna, ben = registrations[0], registrations[1]
        assert (anna["name"], anna["email"], anna["needs"]) == (
            "Anna Żółć",
            "anna@example.org",
            "Winda",
        )
        assert (anna["category"], anna["language"]) == ("culture_staff", "pl")
        assert ben["language"] == "en"
        assert OFFSET.fullmatch(anna["created_at"])
        assert OFFSET.fullmatch(ben["cancelled_at"])
        assert anna["cancelled_at"] is None
        assert anna["checked_in_at"] is None

    def test_places_in_line_cost_no_query_per_person(self, app, client, tokens, seminar):
        """Counted in one pass: a long list takes as many queries as a short one."""
        url = f"/api/v1/events/{seminar['event']}/registrations"
        client.get(url, headers=bearer(tokens["wroclaw"]))  # the token's first use is noted
        with counting_queries(app) as short:
            client.get(url, headers=bearer(tokens["wroclaw"]))
        with app.app_context():
            event = db.session.get(Event, seminar["event"])
            for _ in range(8):
                make_registration(event)  # all on the waitlist
            db.session.commit()
        with counting_queries(app) as long:
            registrations = client.get(url, headers=bearer(tokens["wroclaw"])).json
        assert len(registrations["registrations"]) == 12
        assert len(long) == len(short)

    def test_unknown_event_other_city_and_no_token(self, client, conforms, tokens, seminar):
        path = "/events/{event_id}/registrations"
        url = f"/api/v1/events/{seminar['event']}/registrations"
        forbidden = client.get(url, headers=bearer(tokens["gdansk"]))
        assert conforms(forbidden, path, "get")["status"] == 403
        unknown = client.get("/api/v1/events/999/registrations", headers=bearer(tokens["wroclaw"]))
        assert conforms(unknown, path, "get")["status"] == 404
        anonymous = client.get(url)
        assert conforms(anonymous, path, "get")["status"] == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.get(url, headers=bearer("not-a-token")).status_code == 401
        assert client.get(url, headers=bearer(tokens["admin"])).status_code == 200


@contextmanager
def counting_queries(app) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", collect)


class TestCsv:
    def test_the_back_offices_rows_with_commas(self, app, client, tokens, seminar, monkeypatch):
        """One row builder for both; the API keeps the commas scripts have always read, the
        back office splits at semicolons for Polish Excel."""
        url = f"/api/v1/events/{seminar['event']}/registrations.csv"
        response = client.get(url, headers=bearer(tokens["wroclaw"]))
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.data.startswith(codecs.BOM_UTF8)
        assert "Anna Żółć" in response.data.decode("utf-8-sig")
        monkeypatch.setattr(
            account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        with app.app_context():
            make_account("desk@example.org")
            db.session.commit()
        desk = app.test_client()
        desk.post("/organiser/login", data={"email": "desk@example.org", "password": PASSWORD})
        back_office = desk.get(f"/organiser/events/{seminar['event']}/attendees.csv")
        assert back_office.data.decode("utf-8-sig").replace(";", ",") == response.data.decode(
            "utf-8-sig"
        )
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert len(rows[0]) > 5  # split into its columns at commas

    def test_rights_as_for_the_list(self, client, conforms, tokens, seminar):
        path = "/events/{event_id}/registrations.csv"
        url = f"/api/v1/events/{seminar['event']}/registrations.csv"
        assert conforms(client.get(url), path, "get")["status"] == 401
        forbidden = client.get(url, headers=bearer(tokens["gdansk"]))
        assert conforms(forbidden, path, "get")["status"] == 403
        assert b"Anna" not in forbidden.data
        unknown = client.get(
            "/api/v1/events/999/registrations.csv", headers=bearer(tokens["wroclaw"])
        )
        assert conforms(unknown, path, "get")["status"] == 404
        assert client.get(url, headers=bearer(tokens["admin"])).status_code == 200


class TestCheckIn:
    PATH = "/registrations/{registration_id}/check-in"

    def test_checks_in_a_confirmed_person_once(self, app, client, conforms, tokens, seminar):
        anna = seminar["ids"][0]
        # The seminar is in days to come: a check-in today says so (test_attendance).
        url = f"/api/v1/registrations/{anna}/check-in?other_day=true"
        first = conforms(client.post(url, headers=bearer(tokens["wroclaw"])), self.PATH, "post")
        assert (first["id"], first["status"]) == (anna, "confirmed")
        assert OFFSET.fullmatch(first["checked_in_at"])
        again = conforms(client.post(url, headers=bearer(tokens["admin"])), self.PATH, "post")
        assert again["checked_in_at"] == first["checked_in_at"]
        with app.app_context():
            assert db.session.get(Registration, anna).checked_in_at == datetime.fromisoformat(
                first["checked_in_at"]
            )
            actions = db.session.scalars(sa.select(AuditEntry.action)).all()
            assert actions == ["registration.check_in"]

    @pytest.mark.parametrize("who", [1, 2])  # cancelled, waitlisted
    def test_conflict_unless_confirmed(self, app, client, conforms, tokens, seminar, who):
        registration_id = seminar["ids"][who]
        response = client.post(
            f"/api/v1/registrations/{registration_id}/check-in", headers=bearer(tokens["wroclaw"])
        )
        problem = conforms(response, self.PATH, "post")
        assert problem["status"] == 409
        assert problem["type"].endswith("/not-confirmed")
        with app.app_context():
            assert db.session.get(Registration, registration_id).checked_in_at is None

    def test_another_citys_registration_unknown_ids_and_no_token(
        self, app, client, conforms, tokens, seminar
    ):
        anna = seminar["ids"][0]
        url = f"/api/v1/registrations/{anna}/check-in"
        forbidden = client.post(url, headers=bearer(tokens["gdansk"]))
        assert conforms(forbidden, self.PATH, "post")["status"] == 403
        assert "Anna" not in forbidden.text
        unknown = client.post(
            "/api/v1/registrations/999/check-in", headers=bearer(tokens["gdansk"])
        )
        assert conforms(unknown, self.PATH, "post")["status"] == 404
        assert conforms(client.post(url), self.PATH, "post")["status"] == 401
        with app.app_context():
            assert db.session.get(Registration, anna).checked_in_at is None
