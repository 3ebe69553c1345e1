"""Invariant 7: no request, however malformed, gets a 500 (docs/registrations.md).

Every case below once answered 500. Each must now get a clear answer: a
problem document in the API, a page in the visitor's language on the site
(Polish unless ``?lang=en`` or ``Accept-Language: en`` asks otherwise), and
nothing half-written.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from registration.accounts.services import issue_api_token
from registration.events.models import Event
from registration.extensions import db
from tests.factories import (
    EVENT_BODY,
    PASSWORD,
    REGISTRATION_BODY,
    city,
    make_account,
    make_event,
    make_registration,
)

ORGANISER = "organiser@example.org"
ADMIN = "admin@example.org"
#: One past PostgreSQL's integer, and one past every integer a database keeps.
PAST_INT4 = 2**31
PAST_INT8 = 99999999999999999999
MEGABYTE = 1024 * 1024

#: The page's registration form, as a browser posts it.
REGISTRATION_FORM = {**REGISTRATION_BODY, "consent": "y"}


@dataclass
class Visit:
    """A visitor with what there is to visit: a published event, a registration, accounts."""

    app: Flask
    client: FlaskClient
    backend: str
    event_id: int
    token: str
    api_token: str

    def url(self, template: str) -> str:
        return template.format(event=self.event_id, token=self.token)

    def sign_in(self, email: str = ORGANISER) -> None:
        response = self.client.post("/organiser/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 303, response.text

    def event_form(self, **overrides) -> dict:
        """The back office's event form as a browser posts it (Warsaw time)."""
        with self.app.app_context():
            wroclaw = city("wroclaw").id
        values = {
            **EVENT_BODY,
            "city": str(wroclaw),
            "starts_at": "2030-03-10T10:00",
            "ends_at": "2030-03-10T15:00",
            "capacity": "25",
            "waitlist": "y",
        }
        return {**values, **overrides}

    @contextmanager
    def connection_dies(self, *, from_statement: int) -> Iterator[None]:
        """The database goes away mid-request: from the n-th statement on, each dies.

        Every connection that runs a statement from then on has its backend ended
        by the server (``pg_terminate_backend``), as a crash or a failover would.
        """
        if self.backend != "postgresql":
            pytest.skip(
                "an SQLite connection is a file opened in this process: nothing on the "
                "database's side can end it (a file that is gone is "
                "test_an_unreachable_database_answers_503_and_saves_nothing)"
            )
        with self.app.app_context():
            engine = db.engine
            admin = sa.create_engine(engine.url, poolclass=sa.NullPool)
        statements = 0

        def kill(connection, cursor, statement, parameters, context, executemany) -> None:
            nonlocal statements
            statements += 1
            if statements >= from_statement:
                pid = connection.connection.dbapi_connection.info.backend_pid
                with admin.connect() as server:  # waits up to 5 s for the backend to end
                    server.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

        sa.event.listen(engine, "before_cursor_execute", kill)
        try:
            yield
        finally:
            sa.event.remove(engine, "before_cursor_execute", kill)
            admin.dispose()
        assert statements >= from_statement, "the connection never died"


@pytest.fixture
def visit(app: Flask, client: FlaskClient, backend: str) -> Visit:
    with app.app_context():
        event = make_event(capacity=10)
        registration = make_registration(event)
        organiser = make_account(ORGANISER)
        make_account(ADMIN, role="admin", city_slug=None)
        api_token = issue_api_token(organiser)
        db.session.commit()
        return Visit(app, client, backend, event.id, registration.token, api_token)


@dataclass(frozen=True)
class Answer:
    """What a case must get: the status, and a page or problem that says what happened."""

    status: int
    #: "page" (HTML in ``language``), "problem" (RFC 9457) or "redirect"
    kind: str = "page"
    #: A phrase the page or the problem's detail must contain.
    says: str | None = None
    language: str = "pl"
    #: The parameter or field a 422 problem's ``errors`` must name.
    names: str | None = None
    #: Where a redirect must lead.
    to: str | None = None
    #: A phrase the answer must not contain.
    never: str | None = None
    #: Whether the request may change stored data (a sign-in records itself).
    writes: bool = False


NOT_FOUND = Answer(404, says="Nie znaleziono strony")
NOT_FOUND_PROBLEM = Answer(404, "problem")
FORM_REFUSED = Answer(422, says="To pole jest wymagane.")
#: The registration form names the field it misses (the name, first).
REGISTRATION_REFUSED = Answer(422, says="Wpisz imię i nazwisko")
INVALID_JSON = Answer(400, "problem", says="Treść żądania musi być obiektem JSON.")
UNAVAILABLE = Answer(503, says="Nic nie zostało zapisane")

Send = Callable[[Visit], TestResponse]


@dataclass(frozen=True)
class Ask:
    """A request, and who is signed in when it is sent."""

    send: Send
    signed_in_as: str | None = None


def get(path: str, *, signed_in_as: str | None = None, **options) -> Ask:
    return Ask(lambda visit: visit.client.get(visit.url(path), **options), signed_in_as)


def post(path: str, *, signed_in_as: str | None = None, data=None, **options) -> Ask:
    """``data`` may be a function that makes it, for a body that can be sent only once."""

    def send(visit: Visit) -> TestResponse:
        body = data() if callable(data) else data
        return visit.client.post(visit.url(path), data=body, **options)

    return Ask(send, signed_in_as)


def api(method: str, path: str, body=None, *, raw: str | None = None) -> Ask:
    """An organiser's API call with a JSON body (``raw``: the body's exact text)."""

    def send(visit: Visit) -> TestResponse:
        return visit.client.open(
            visit.url(path),
            method=method,
            data=raw if raw is not None else json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {visit.api_token}"},
        )

    return Ask(send)


def registration_json(raw: str) -> Ask:
    return post("/api/v1/events/{event}/registrations", data=raw, content_type="application/json")


def event_form(path: str, *, file_in: str | None = None, **overrides) -> Ask:
    """The back-office event form, as the organiser of the event's city posts it."""

    def send(visit: Visit) -> TestResponse:
        data = visit.event_form(**overrides)
        if file_in:
            data = with_file(data, file_in)
        return visit.client.post(visit.url(path), data=data)

    return Ask(send, ORGANISER)


def dying(from_statement: int, ask: Ask) -> Ask:
    def send(visit: Visit) -> TestResponse:
        with visit.connection_dies(from_statement=from_statement):
            return ask.send(visit)

    return Ask(send, ask.signed_in_as)


def with_file(data: dict, field: str) -> dict:
    """Form data whose text field ``field`` arrives as a file part instead."""
    return {**data, field: (io.BytesIO(b"%PDF-1.7"), "cv.pdf")}


def _surrogate_name() -> str:
    body = json.dumps(REGISTRATION_BODY, ensure_ascii=True)
    return body.replace("Zofia", "\\ud800", 1)


CASES = [
    # Integers in URLs past what the database can hold
    pytest.param(get("/events/2147483648"), NOT_FOUND, id="event id past int4"),
    pytest.param(get(f"/events/{PAST_INT8}"), NOT_FOUND, id="event id past int8"),
    pytest.param(
        get(f"/events/{PAST_INT8}?lang=en"),
        Answer(404, says="Page not found", language="en"),
        id="event id past int8, in English",
    ),
    pytest.param(get(f"/events/{PAST_INT4}/calendar.ics"), NOT_FOUND, id="calendar file id"),
    pytest.param(get(f"/api/v1/events/{PAST_INT8}"), NOT_FOUND_PROBLEM, id="API event id"),
    pytest.param(
        api("POST", f"/api/v1/registrations/{PAST_INT4}/check-in", {}),
        NOT_FOUND_PROBLEM,
        id="API registration id",
    ),
    pytest.param(
        get(f"/organiser/events/{PAST_INT4}/edit", signed_in_as=ORGANISER),
        NOT_FOUND,
        id="back-office event id",
    ),
    # Page numbers and filters
    pytest.param(get(f"/?page={PAST_INT8}"), Answer(200), id="list page past int8"),
    pytest.param(
        get(f"/organiser/audit?page={PAST_INT8}", signed_in_as=ADMIN),
        Answer(200),
        id="audit page past int8",
    ),
    pytest.param(get("/?month=9999-12"), Answer(200), id="list month 9999"),
    pytest.param(get("/?month=0001-01"), Answer(200), id="list month year 1"),
    pytest.param(get("/?city=%00"), Answer(200), id="list city NUL"),
    pytest.param(get("/calendar.ics?city=%00"), NOT_FOUND, id="feed city NUL"),
    pytest.param(
        get("/api/v1/events?from=9999-12-31T23:59:59-14:00"),
        Answer(422, "problem", names="from"),
        id="API from 9999",
    ),
    pytest.param(
        get("/api/v1/events?to=9999-12-31"), Answer(422, "problem", names="to"), id="API to 9999"
    ),
    pytest.param(
        get("/api/v1/events?from=0001-01-01"),
        Answer(422, "problem", names="from"),
        id="API from year 1",
    ),
    pytest.param(
        get("/api/v1/events?city=%00"), Answer(422, "problem", names="city"), id="API city NUL"
    ),
    # Bodies that are not what they claim to be
    pytest.param(registration_json(_surrogate_name()), INVALID_JSON, id="JSON lone surrogate"),
    pytest.param(
        registration_json("[" * 100_000 + "]" * 100_000), INVALID_JSON, id="JSON 100000 deep"
    ),
    pytest.param(
        api("POST", "/api/v1/events", raw='{"title": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        INVALID_JSON,
        id="organiser JSON 100000 deep",
    ),
    pytest.param(
        post("/events/{event}", data=lambda: with_file(REGISTRATION_FORM, "name")),
        REGISTRATION_REFUSED,
        id="file in a registration text field",
    ),
    pytest.param(
        post("/events/{event}", json=[1, 2]),
        REGISTRATION_REFUSED,
        id="JSON list to the page form",
    ),
    pytest.param(
        post("/events/{event}", json={**REGISTRATION_BODY, "name": 5}),
        REGISTRATION_REFUSED,
        id="JSON object to the page form",
    ),
    pytest.param(
        event_form("/organiser/events/new", file_in="title"),
        FORM_REFUSED,
        id="file in an event text field",
    ),
    pytest.param(
        post(
            "/organiser/events/{event}/message",
            data=lambda: with_file({"recipients": "confirmed", "body": "Dzień dobry"}, "subject"),
            signed_in_as=ORGANISER,
        ),
        FORM_REFUSED,
        id="file in a message text field",
    ),
    pytest.param(
        post("/organiser/login", data={"email": "a\x00@example.org", "password": PASSWORD}),
        Answer(401),
        id="sign-in address with NUL",
    ),
    pytest.param(
        registration_json(json.dumps({**REGISTRATION_BODY, "needs": "x" * MEGABYTE})),
        Answer(413, "problem", says="Nic nie zostało zapisane"),
        id="API body over 1 MB",
    ),
    pytest.param(
        post("/events/{event}", data={**REGISTRATION_FORM, "needs": "x" * MEGABYTE}),
        Answer(413, says="Zbyt duże żądanie"),
        id="page body over 1 MB",
    ),
    pytest.param(
        post(
            "/events/{event}",
            data={**REGISTRATION_FORM, "needs": "x" * MEGABYTE},
            headers={"Accept-Language": "en"},
        ),
        Answer(413, says="Request too large", language="en"),
        id="page body over 1 MB, in English",
    ),
    # A Host header that is no host name: Werkzeug refuses it, and the page still renders
    pytest.param(
        get("/", headers={"Host": "a..b"}),
        Answer(400, says="Nieprawidłowe żądanie"),
        id="Host a..b",
    ),
    pytest.param(
        get("/events/{event}?lang=en", headers={"Host": "a" * 64}),
        Answer(400, says="Bad request", language="en"),
        id="Host label of 64 letters",
    ),
    pytest.param(
        get("/check-in/x", headers={"Host": "a..b"}),
        Answer(400, says="Nieprawidłowe żądanie"),
        id="Host a..b on a ticket",
    ),
    pytest.param(
        get("/api/v1/events", headers={"Host": "a..b"}), Answer(400, "problem"), id="Host in API"
    ),
    # Query keys that url_for would take for its own, or for a view argument
    pytest.param(get("/?endpoint=x"), Answer(200), id="query key endpoint"),
    pytest.param(get("/?_method=x"), Answer(200), id="query key _method"),
    pytest.param(
        get("/?_external=1"), Answer(200, never="http://localhost/"), id="query key _external"
    ),
    pytest.param(get("/events/{event}?event_id=1"), Answer(200), id="query key event_id"),
    pytest.param(get("/r/{token}?token=y"), Answer(200), id="query key token"),
    pytest.param(
        get("/organiser/check-in?code=http://[::1", signed_in_as=ORGANISER),
        Answer(404, says="Nie ma biletu o tym kodzie."),
        id="check-in code http://[::1",
    ),
    # Where to go after signing in or publishing: a header cannot carry a line break
    pytest.param(
        post(
            "/organiser/login?next=/organiser/%0d%0aX-Injected:%201",
            data={"email": ORGANISER, "password": PASSWORD},
        ),
        Answer(303, "redirect", to="/organiser/", writes=True),
        id="sign-in next with CR LF",
    ),
    pytest.param(
        post(
            "/organiser/events/{event}/publish",
            data={"next": "/organiser/\r\nX: 1"},
            signed_in_as=ORGANISER,
        ),
        Answer(303, "redirect", to="/organiser/events/{event}/edit"),
        id="publish next with CR LF",
    ),
    # Organisers' numbers and dates past what the database or a calendar can hold
    pytest.param(
        api("POST", "/api/v1/events", {**EVENT_BODY, "capacity": PAST_INT4}),
        Answer(422, "problem", names="capacity"),
        id="API capacity 2^31",
    ),
    pytest.param(
        api("PATCH", "/api/v1/events/{event}", {"capacity": PAST_INT4}),
        Answer(422, "problem", names="capacity"),
        id="API new capacity 2^31",
    ),
    pytest.param(
        api(
            "POST",
            "/api/v1/events",
            {
                **EVENT_BODY,
                "starts_at": "0001-01-01T10:00:00+01:00",
                "ends_at": "0001-01-01T12:00:00+01:00",
            },
        ),
        Answer(422, "problem", names="starts_at"),
        id="API dates in year 1",
    ),
    pytest.param(
        api(
            "POST",
            "/api/v1/events",
            {
                **EVENT_BODY,
                "starts_at": "9999-12-31T20:00:00-14:00",
                "ends_at": "9999-12-31T23:00:00-14:00",
            },
        ),
        Answer(422, "problem", names="ends_at"),
        id="API dates in 9999",
    ),
    pytest.param(
        api("PATCH", "/api/v1/events/{event}", {"ends_at": "9999-12-31T23:59:59-14:00"}),
        Answer(422, "problem", names="ends_at"),
        id="API new end in 9999",
    ),
    pytest.param(
        event_form("/organiser/events/new", capacity=str(PAST_INT4)),
        Answer(422, says="Podaj liczbę miejsc od 0 do 100"),
        id="event form capacity 2^31",
    ),
    pytest.param(
        event_form("/organiser/events/{event}/edit", capacity=str(PAST_INT4)),
        Answer(422, says="Podaj liczbę miejsc od 0 do 100"),
        id="event form new capacity 2^31",
    ),
    pytest.param(
        event_form(
            "/organiser/events/new", starts_at="0001-01-01T10:00", ends_at="0001-01-01T12:00"
        ),
        Answer(422, says="Podaj datę z lat 2000–2100."),
        id="event form dates in year 1",
    ),
    pytest.param(
        event_form(
            "/organiser/events/new", starts_at="9999-12-31T22:00", ends_at="9999-12-31T23:59"
        ),
        Answer(422, says="Podaj datę z lat 2000–2100."),
        id="event form dates in 9999",
    ),
    # The database goes away while a page is being read
    pytest.param(
        dying(2, get("/events/{event}")), UNAVAILABLE, id="connection dies on an event page"
    ),
    pytest.param(
        dying(1, get("/organiser/events", signed_in_as=ORGANISER)),
        UNAVAILABLE,
        id="connection dies for a signed-in organiser",
    ),
]


@pytest.mark.parametrize(("ask", "answer"), CASES)
def test_a_malformed_request_gets_a_clear_answer_and_changes_nothing(
    visit: Visit, ask: Ask, answer: Answer
) -> None:
    """Invariant 7: a 4xx that says what happened (or the page itself), never a 500."""
    if ask.signed_in_as:
        visit.sign_in(ask.signed_in_as)
    before = _stored(visit.app)
    response = ask.send(visit)
    assert response.status_code == answer.status, response.text[:2000]
    text = response.get_data(as_text=True)
    if answer.kind == "problem":
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == answer.status
        assert problem["title"]
        assert problem["detail"]
        if answer.says:
            assert answer.says in problem["detail"]
        if answer.names:
            assert answer.names in problem["errors"], problem
    elif answer.kind == "redirect":
        assert response.headers["Location"] == visit.url(answer.to)
    else:
        assert response.mimetype == "text/html"
        assert f'<html lang="{answer.language}">' in text
        if answer.says:
            assert answer.says in text
    if answer.never:
        assert answer.never not in text
    if not answer.writes:
        assert _stored(visit.app) == before


def _stored(app: Flask) -> dict:
    """Every row that matters: how many of each, and every event as stored."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name != "account_session"  # signing in is not what is tested
        }
        events = db.session.execute(sa.select(Event.__table__).order_by(Event.id)).all()
        db.session.rollback()
        return {"counts": counts, "events": [tuple(row) for row in events]}
