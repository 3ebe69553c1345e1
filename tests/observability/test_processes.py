"""The service as production runs it: gunicorn with several worker processes, and the
mail worker beside it, each a real process.

- Metrics: every gunicorn worker counts in its own process; any one scrape sums them.
- Readiness follows a real mail worker's heartbeat, from start to stop.
- No personal data in any log line: a whole journey (register, the email, the manage
  page, the ticket, the personal feed, an organiser's sign-in and check-in, a
  cancellation) with JSON logs from every process, scanned for the person's address,
  name and secrets and the organiser's address and password.
"""

from __future__ import annotations

import html
import http.client
import http.cookiejar
import json
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from registration.extensions import db
from registration.observability.logs import gunicorn_logconfig_dict
from registration.registrations.models import Participant, Registration
from tests.factories import PASSWORD, make_account, make_event
from tests.observability.conftest import json_lines, sample
from tests.support.mail import mail_worker
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.processes

TOKEN = "metrics-test-token-0123456789"
DEADLINE_SECONDS = 30


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {DEADLINE_SECONDS} s")


def fetch(base_url: str, path: str, headers: dict | None = None) -> tuple[int, str]:
    """One request on a connection of its own (so that any gunicorn worker may take it)."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_scrape_of_any_gunicorn_worker_sums_every_worker(database_url, tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    environment = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "METRICS_TOKEN": TOKEN}
    with gunicorn_server(database_url, workers=3, environment=environment) as base_url:
        # At once, from several clients: one by one, a single worker may take them all.
        with ThreadPoolExecutor(max_workers=12) as clients:
            answers = list(clients.map(lambda _: fetch(base_url, "/healthz")[0], range(60)))
        assert answers == [200] * 60
        scrapes = []
        for _ in range(6):
            status, text = fetch(base_url, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
            assert status == 200
            scrapes.append(text)
    counted = {
        sample(text, "koalicja_http_requests_total", method="GET", route="/healthz", status="200")
        for text in scrapes
    }
    assert counted == {60}
    processes = {path.stem.rsplit("_", 1)[-1] for path in folder.glob("counter_*.db")}
    assert len(processes) >= 2, "the requests should have reached several workers"


def test_with_json_logs_every_line_of_gunicorn_is_json(database_url, tmp_path):
    """gunicorn's own lines too, through ``logs.gunicorn_logconfig_dict``; and no access
    log with the paths asked for."""
    config = tmp_path / "logging.json"
    config.write_text(json.dumps(gunicorn_logconfig_dict()))
    environment = {
        "LOG_FORMAT": "json",
        "GUNICORN_CMD_ARGS": f"--log-config-json {config} --access-logfile -",
    }
    log = tmp_path / "gunicorn.log"
    with gunicorn_server(database_url, workers=2, environment=environment, keep_log=log) as url:
        assert fetch(url, "/r/secret-looking-token")[0] == 404
    lines = log.read_text().splitlines()
    assert lines
    parsed = [json.loads(line) for line in lines]  # every line, or this fails
    loggers = {line["logger"] for line in parsed}
    assert {"gunicorn.error", "registration.requests"} <= loggers
    assert any(line["message"].startswith("Booting worker") for line in parsed)
    assert "secret-looking-token" not in log.read_text()


def test_readiness_follows_a_real_mail_worker(make_app, smtp):
    app = make_app(READY_MAIL_WORKER_MAX_AGE=60)
    client = app.test_client()
    assert client.get("/readyz").status_code == 503
    worker = mail_worker(
        app.config["SQLALCHEMY_DATABASE_URI"], smtp.port, "--loop", "--interval", "0.2"
    )
    try:
        wait_for(lambda: client.get("/readyz").status_code == 200, "ready once the worker beats")
    finally:
        worker.send_signal(signal.SIGTERM)
        _output, errors = worker.communicate(timeout=DEADLINE_SECONDS)
    assert worker.returncode == 0, errors
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["mail_worker"]["last_beat_age_seconds"] is None


class Visitor:
    """A browser without a screen: cookies kept, redirects followed, forms posted."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(self, method: str, path: str, **options) -> tuple[int, str]:
        data = options.get("form") and urllib.parse.urlencode(options["form"]).encode()
        headers = dict(options.get("headers", {}))
        if "json" in options:
            data = json.dumps(options["json"]).encode()
            headers["Content-Type"] = "application/json"
        # Always http:// on loopback: the base URL is the test server's.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path, data=data or None, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def form_token(self, page: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, "the page has a form with a CSRF token"
        return html.unescape(match.group(1))


def test_no_personal_data_in_any_log_line_of_a_whole_journey(
    database_url, make_app, smtp, tmp_path
):
    person = {"name": "Weronika Zielińska-Obserwowana", "email": "weronika.obs@example.org"}
    organiser = {"email": "koordynatorka.obs@example.org", "password": PASSWORD}
    app = make_app()
    with app.app_context():
        event_id = make_event(capacity=5).id
        make_account(organiser["email"])
        db.session.commit()
    server_log = tmp_path / "gunicorn.log"
    worker_log = tmp_path / "worker.log"
    json_logs = {"LOG_FORMAT": "json"}
    worker = mail_worker(
        database_url,
        smtp.port,
        "--loop",
        "--interval",
        "0.2",
        environment=json_logs,
        stderr=worker_log,
    )
    try:
        with gunicorn_server(
            database_url, workers=2, environment=json_logs, keep_log=server_log
        ) as base_url:
            visitor = Visitor(base_url)
            status, body = visitor.request(
                "POST",
                f"/api/v1/events/{event_id}/registrations",
                json={
                    **person,
                    "institution": "Teatr Obserwowany",
                    "category": "culture_staff",
                    "city": "Łódź",
                    "consent": True,
                },
                headers={"X-Request-ID": "pii-journey-1"},
            )
            assert status == 201, body
            manage_path = urllib.parse.urlsplit(json.loads(body)["manage_url"]).path
            wait_for(lambda: len(smtp.received) == 1, "the confirmation is delivered")
            (confirmation,) = smtp.received
            assert confirmation["X-Request-ID"] == "pii-journey-1"
            with app.app_context():
                registration = db.session.scalars(db.select(Registration)).one()
                registration_id = registration.id
                secrets = {
                    "manage token": registration.token,
                    "check-in code": registration.check_in_code,
                    "feed token": db.session.scalars(db.select(Participant.feed_token)).one(),
                }
                db.session.rollback()
            assert manage_path == f"/r/{secrets['manage token']}"

            # The participant
            assert visitor.request("GET", manage_path)[0] == 200
            assert visitor.request("GET", f"{manage_path}/ticket.svg")[0] == 200
            feed = f"/calendar/personal/{secrets['feed token']}.ics"
            assert visitor.request("GET", feed)[0] == 200
            assert (
                visitor.request("GET", f"/api/v1/registrations/{secrets['manage token']}")[0] == 200
            )

            # The organiser at the door
            door = Visitor(base_url)
            status, page = door.request("GET", "/organiser/login")
            status, page = door.request(
                "POST", "/organiser/login", form={**organiser, "csrf_token": door.form_token(page)}
            )
            assert status == 200  # signed in: the check-in below needs it
            status, card = door.request("GET", f"/check-in/{secrets['check-in code']}")
            assert status == 200
            status, _ = door.request(
                "POST",
                f"/organiser/check-in/{secrets['check-in code']}",
                form={"csrf_token": door.form_token(card), "confirm": "other-day"},
            )
            assert status == 200
            with app.app_context():
                assert db.session.get(Registration, registration_id).checked_in_at is not None
                db.session.rollback()

            # The participant cancels: another email, more worker lines.
            status, _ = visitor.request(
                "DELETE", f"/api/v1/registrations/{secrets['manage token']}"
            )
            assert status == 200
            wait_for(lambda: len(smtp.received) == 2, "the cancellation is delivered")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker_output, _ = worker.communicate(timeout=DEADLINE_SECONDS)

    logs = {"gunicorn": server_log.read_text(), "worker": worker_log.read_text() + worker_output}
    requests = [
        line for line in json_lines(logs["gunicorn"]) if line["logger"] == "registration.requests"
    ]
    routes = {line["route"] for line in requests}
    assert {"/r/<token>", "/calendar/personal/<token>.ics", "/organiser/login"} <= routes
    assert "pii-journey-1" in {line["request_id"] for line in requests}
    mail_lines = [
        line for line in json_lines(logs["worker"]) if line["logger"] == "registration.mail"
    ]
    assert ("sent", "pii-journey-1") in {
        (line["message"], line.get("request_id")) for line in mail_lines
    }
    looked_for = {
        **secrets,
        "address": person["email"],
        "name": person["name"],
        "surname": "Zielińska",
        "organiser's address": organiser["email"],
        "password": organiser["password"],
    }
    for source, text in logs.items():
        for what, value in looked_for.items():
            assert value not in text, f"the {source} log shows the {what}"
        assert "@example.org" not in text, f"the {source} log shows an address"
