"""Every refusal is a problem document that says, in the client's language, what happened
and what to do (docs/api.md, RFC 9457): ``type``, ``title``, ``status``, ``detail``, and
``errors`` for invalid input. The ``type`` codes are the contract's and never change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask_babel import force_locale

from registration.accounts.services import issue_api_token
from registration.database import utcnow
from registration.domain_errors import DomainError
from registration.events.models import EventStatus
from registration.extensions import db
from registration.registrations import services
from tests.factories import (
    EVENT_BODY,
    REGISTRATION_BODY,
    make_account,
    make_event,
    make_registration,
)


@dataclass(frozen=True)
class Refusal:
    """A request the API refuses, and how: its status and the end of its ``type``."""

    method: str
    #: With ``{full}``, ``{closed}``, ``{taken}``, ``{started}``, ``{cancelled}`` filled in.
    path: str
    status: int
    #: ``about:blank``, or the code the problem ``type`` ends in.
    type: str
    json: object = None
    data: str | None = None
    #: Whose organiser token goes with it: "wroclaw", "gdansk" or none.
    token: str | None = None
    #: The OpenAPI operation that must describe the answer, if one does.
    documented: tuple[str, str] | None = None
    errors: list[str] = field(default_factory=list)


REGISTER = ("/events/{event_id}/registrations", "post")
REFUSALS = [
    Refusal(
        "POST",
        "/api/v1/events/{full}/registrations",
        400,
        "about:blank",
        data="not json",
        documented=REGISTER,
    ),
    Refusal(
        "POST",
        "/api/v1/events",
        401,
        "unauthorized",
        json=EVENT_BODY,
        documented=("/events", "post"),
    ),
    Refusal(
        "GET",
        "/api/v1/events/{full}/registrations",
        403,
        "about:blank",
        token="gdansk",
        documented=("/events/{event_id}/registrations", "get"),
    ),
    Refusal(
        "POST",
        "/api/v1/events",
        403,
        "forbidden",
        json=EVENT_BODY,
        token="gdansk",
        documented=("/events", "post"),
    ),
    Refusal(
        "GET", "/api/v1/events/987654", 404, "about:blank", documented=("/events/{event_id}", "get")
    ),
    Refusal(
        "POST",
        "/api/v1/events/987654/registrations",
        404,
        "about:blank",
        json=REGISTRATION_BODY,
        documented=REGISTER,
    ),
    Refusal("PUT", "/api/v1/events", 405, "about:blank"),
    Refusal(
        "POST",
        "/api/v1/events/{full}/registrations",
        409,
        "event-full",
        json=REGISTRATION_BODY,
        documented=REGISTER,
    ),
    Refusal(
        "POST",
        "/api/v1/events/{closed}/registrations",
        409,
        "registration-closed",
        json=REGISTRATION_BODY,
        documented=REGISTER,
    ),
    Refusal(
        "POST",
        "/api/v1/events/{open}/registrations",
        409,
        "already-registered",
        json={**REGISTRATION_BODY, "email": "taken@example.org"},
        documented=REGISTER,
    ),
    Refusal(
        "DELETE",
        "/api/v1/registrations/{started}",
        409,
        "cancellation-closed",
        documented=("/registrations/{token}", "delete"),
    ),
    Refusal(
        "POST",
        "/api/v1/registrations/{cancelled}/check-in",
        409,
        "not-confirmed",
        token="wroclaw",
        documented=("/registrations/{registration_id}/check-in", "post"),
    ),
    Refusal(
        "PATCH",
        "/api/v1/events/{full}",
        409,
        "capacity-below-confirmed",
        json={"capacity": 0},
        token="wroclaw",
        documented=("/events/{event_id}", "patch"),
    ),
    Refusal(
        "POST",
        "/api/v1/events/{full}/registrations",
        413,
        "about:blank",
        json={**REGISTRATION_BODY, "needs": "x" * 1024 * 1024},
        documented=REGISTER,
    ),
    Refusal(
        "POST",
        "/api/v1/events/{full}/registrations",
        422,
        "invalid-input",
        json={**REGISTRATION_BODY, "name": "", "consent": False},
        documented=REGISTER,
        errors=["name", "consent"],
    ),
    Refusal(
        "PATCH",
        "/api/v1/events/{full}",
        422,
        "invalid-input",
        json={"capacity": "many", "ends_at": "2000-01-01T00:00:00+01:00"},
        token="wroclaw",
        documented=("/events/{event_id}", "patch"),
        errors=["capacity"],
    ),
    Refusal(
        "GET",
        "/api/v1/events?type=party",
        422,
        "invalid-input",
        documented=("/events", "get"),
        errors=["type"],
    ),
]


@pytest.fixture
def world(app) -> dict:
    """Events and registrations to be refused about, and two organisers' tokens."""
    now = utcnow()
    with app.app_context():
        full = make_event(capacity=1, waitlist=False)
        make_registration(full)
        closed = make_event(status=EventStatus.CANCELLED)
        open_ = make_event()
        make_registration(open_, email="taken@example.org")
        started = make_event(starts_at=now + timedelta(hours=1))
        held = make_registration(started)
        cancelled = make_registration(open_)
        services.cancel(cancelled)
        db.session.flush()
        started.starts_at, started.ends_at = now - timedelta(minutes=1), now + timedelta(hours=2)
        tokens = {
            "wroclaw": issue_api_token(make_account("wro@example.org")),
            "gdansk": issue_api_token(make_account("gda@example.org", city_slug="gdansk")),
        }
        db.session.commit()
        return {
            "ids": {
                "full": full.id,
                "closed": closed.id,
                "open": open_.id,
                "started": held.token,
                "cancelled": cancelled.id,
            },
            "tokens": tokens,
        }


def ask(client, world: dict, refusal: Refusal, language: str):
    headers = {"Accept-Language": language}
    if refusal.token:
        headers["Authorization"] = f"Bearer {world['tokens'][refusal.token]}"
    body = refusal.data if refusal.data is not None else json.dumps(refusal.json)
    return client.open(
        refusal.path.format(**world["ids"]),
        method=refusal.method,
        data=body if refusal.json is not None or refusal.data is not None else None,
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize(
    "refusal", REFUSALS, ids=[f"{r.status} {r.type} {r.method} {r.path}" for r in REFUSALS]
)
def test_every_refusal_says_what_happened_in_the_clients_language(client, conforms, world, refusal):
    answers = {}
    for language in ("pl", "en"):
        response = ask(client, world, refusal, language)
        assert response.status_code == refusal.status, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        problem = answers[language] = response.get_json()
        assert problem["status"] == refusal.status
        if refusal.type == "about:blank":
            assert problem["type"] == "about:blank"
        else:
            assert problem["type"] == f"https://koalicja.example.org/problems/{refusal.type}"
        assert problem["detail"].endswith("."), problem
        assert "\n" not in problem["detail"]
        assert sorted(problem.get("errors", {})) == sorted(refusal.errors)
        if refusal.documented:
            conforms(response, *refusal.documented)
    polish, english = answers["pl"], answers["en"]
    assert polish["title"] != english["title"]
    assert polish["detail"] != english["detail"], "the detail is not translated"
    if refusal.errors:
        assert polish["errors"] != english["errors"]


def test_too_many_requests_is_a_problem_that_says_to_wait(make_app, world):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    path = f"/api/v1/events/{world['ids']['open']}/registrations"
    for _ in range(30):
        client.post(path, json={})
    response = client.post(path, json={}, headers={"Accept-Language": "en"})
    assert response.status_code == 429
    problem = response.get_json()
    assert (problem["type"], problem["title"]) == ("about:blank", "Too many requests")
    assert problem["detail"] == "Please wait a moment and try again."


def test_a_refusal_no_page_shows_beside_a_form_is_a_page_in_the_visitors_language(client, app):
    with app.app_context():
        draft = make_event(status=EventStatus.DRAFT).id
        db.session.commit()
    form = {**REGISTRATION_BODY, "consent": "y"}
    polish = client.post(f"/events/{draft}", data=form)
    english = client.post(f"/events/{draft}", data=form, headers={"Accept-Language": "en"})
    assert (polish.status_code, english.status_code) == (404, 404)
    assert "<h1>Nie znaleziono strony</h1>" in polish.text
    assert "<h1>Page not found</h1>" in english.text


def _refusals(cls: type[DomainError]) -> list[type[DomainError]]:
    return [cls] + [found for sub in cls.__subclasses__() for found in _refusals(sub)]


def test_every_refusal_has_a_code_a_status_and_words_in_both_languages(app):
    """The hierarchy is the contract: each kind of refusal says what it is, in Polish too."""
    with app.test_request_context():  # the application has loaded every module
        for refusal in _refusals(DomainError):
            assert 400 <= refusal.status < 500, refusal
            assert refusal.code is None or refusal.code.islower(), refusal
            with force_locale("en"):
                english = str(refusal.title), str(refusal.message)
            with force_locale("pl"):
                polish = str(refusal.title), str(refusal.message)
            assert polish[0] != english[0], f"{refusal.__name__}: title not translated"
            assert polish[1] != english[1], f"{refusal.__name__}: message not translated"
