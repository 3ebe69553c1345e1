"""Every request has an id, returned in ``X-Request-ID``, written on its log line, on the
emails it queued and on the mail worker's lines about them; log lines are JSON when
``LOG_FORMAT=json``, and name routes, never the secret paths asked for."""

from __future__ import annotations

import re

import pytest

from registration.config import ConfigurationError
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import OutboxMessage
from tests.factories import REGISTRATION_BODY, make_event, make_registration
from tests.observability.conftest import json_lines


def request_lines(text: str) -> list[dict]:
    return [line for line in json_lines(text) if line["logger"] == "registration.requests"]


def test_a_request_without_an_id_gets_a_new_one(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_sane_incoming_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a-0001"})
    assert response.headers["X-Request-ID"] == "proxy-7f3a-0001"


@pytest.mark.parametrize(
    "incoming",
    ["a" * 65, "two words", "id;rm -rf", "zażółć", "tab\there", "ab_cd", ""],
    ids=["too-long", "space", "semicolon", "non-ascii", "tab", "underscore", "empty"],
)
def test_any_other_incoming_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_json_log_lines_give_one_line_per_request_with_its_route_pattern(make_app, capsys):
    app = make_app(LOG_FORMAT="json")
    with app.app_context():
        registration = make_registration(make_event(), email="ola@example.org", name="Ola Nowak")
        db.session.commit()
        token = registration.token
    capsys.readouterr()
    response = app.test_client().get(f"/r/{token}?lang=en")
    assert response.status_code == 200
    logged = capsys.readouterr().err
    (line,) = request_lines(logged)
    assert line["message"] == "request"
    assert line["level"] == "info"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["method"] == "GET"
    assert line["route"] == "/r/<token>"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    for secret in (token, "ola@example.org", "Ola Nowak", "lang=en"):
        assert secret not in logged


def test_text_log_lines_carry_the_request_id_too(make_app, capsys):
    app = make_app(LOG_FORMAT="text")
    capsys.readouterr()
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "text-line-1"})
    logged = capsys.readouterr().err
    assert response.status_code == 200
    (line,) = [each for each in logged.splitlines() if "registration.requests" in each]
    assert "request_id=text-line-1" in line
    assert "route=/healthz" in line
    assert "status=200" in line


def test_an_unknown_log_format_is_refused(make_app):
    with pytest.raises(ConfigurationError, match="LOG_FORMAT must be one of text, json"):
        make_app(LOG_FORMAT="xml")


def test_the_request_id_goes_with_the_email_and_into_the_workers_lines(make_app, smtp, capsys):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, LOG_FORMAT="json")
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    response = app.test_client().post(
        f"/api/v1/events/{event_id}/registrations",
        json=REGISTRATION_BODY,
        headers={"X-Request-ID": "journey-42"},
    )
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalars(db.select(OutboxMessage.request_id)).all() == ["journey-42"]
        capsys.readouterr()
        assert deliver_due().sent == 1
    (email,) = smtp.received
    assert email["X-Request-ID"] == "journey-42"
    worker_lines = [
        line
        for line in json_lines(capsys.readouterr().err)
        if line["logger"] == "registration.mail"
    ]
    assert [(line["message"], line["request_id"]) for line in worker_lines] == [
        ("sending", "journey-42"),
        ("sent", "journey-42"),
    ]
    assert worker_lines[1]["kind"] == "confirmed"
    assert REGISTRATION_BODY["email"] not in str(worker_lines)


def test_a_message_queued_outside_a_request_has_no_request_id(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        make_registration(make_event())
        db.session.commit()
        assert db.session.scalars(db.select(OutboxMessage.request_id)).all() == [None]
        deliver_due()
    (email,) = smtp.received
    assert "X-Request-ID" not in email
