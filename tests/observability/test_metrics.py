"""``/metrics``: what the web processes counted, and what the shared database holds,
for whoever the operator let read it (``METRICS_TOKEN``, ``METRICS_NETWORKS``)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from registration.database import utcnow
from registration.extensions import db
from registration.notifications.models import DeliveryStatus, OutboxMessage
from registration.observability.heartbeat import Heartbeat
from registration.registrations.services import register
from tests.factories import REGISTRATION_BODY, make_applicant, make_event, make_registration
from tests.observability.conftest import sample

TOKEN = "metrics-test-token-0123456789"
AUTHORISED = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def metrics_app(make_app):
    return make_app(METRICS_TOKEN=TOKEN)


def scrape(client) -> str:
    response = client.get("/metrics", headers=AUTHORISED)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


# Who may read them


def test_metrics_are_off_until_the_operator_chooses_who_reads_them(client):
    assert client.get("/metrics").status_code == 404


def test_with_a_token_only_its_bearer_reads_them(metrics_app):
    client = metrics_app.test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/metrics", headers=AUTHORISED).status_code == 200


def test_with_networks_only_their_clients_read_them(make_app):
    inside = make_app(METRICS_NETWORKS="127.0.0.0/8, ::1").test_client()
    assert inside.get("/metrics").status_code == 200
    outside = make_app(METRICS_NETWORKS="10.0.0.0/8").test_client()
    assert outside.get("/metrics").status_code == 404


def test_with_both_a_client_outside_the_networks_learns_nothing(make_app):
    client = make_app(METRICS_TOKEN=TOKEN, METRICS_NETWORKS="10.0.0.0/8").test_client()
    assert client.get("/metrics", headers=AUTHORISED).status_code == 404
    assert client.get("/metrics").status_code == 404
    inside = make_app(METRICS_TOKEN=TOKEN, METRICS_NETWORKS="127.0.0.1").test_client()
    assert inside.get("/metrics").status_code == 401
    assert inside.get("/metrics", headers=AUTHORISED).status_code == 200


# What the web processes count


def test_requests_are_counted_by_route_pattern_and_status(metrics_app):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        token = make_registration(make_event()).token
        db.session.commit()
    before = scrape(client)
    assert client.get(f"/r/{token}").status_code == 200
    assert client.get("/r/not-a-token").status_code == 404
    after = scrape(client)

    def counted(text: str, status: str) -> float:
        labels = {"method": "GET", "route": "/r/<token>", "status": status}
        return sample(text, "koalicja_http_requests_total", **labels)

    assert counted(after, "200") - counted(before, "200") == 1
    assert counted(after, "404") - counted(before, "404") == 1
    timed = "koalicja_http_request_duration_seconds_count"
    route = {"method": "GET", "route": "/r/<token>"}
    assert sample(after, timed, **route) - sample(before, timed, **route) == 2
    assert token not in after
    assert "not-a-token" not in after


def test_a_path_that_matches_no_route_is_one_label(metrics_app):
    client = metrics_app.test_client()
    client.get("/no/such/page/abc123")
    text = scrape(client)
    assert (
        sample(text, "koalicja_http_requests_total", method="GET", route="unmatched", status="404")
        >= 1
    )
    assert "abc123" not in text


def test_registrations_are_counted_by_outcome(metrics_app):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        event = make_event(capacity=1, waitlist=False)
        db.session.commit()
        event_id = event.id
    before = scrape(client)
    first = client.post(f"/api/v1/events/{event_id}/registrations", json=REGISTRATION_BODY)
    assert first.status_code == 201
    second = client.post(
        f"/api/v1/events/{event_id}/registrations",
        json={**REGISTRATION_BODY, "email": "jan@example.org"},
    )
    assert second.status_code == 409
    after = scrape(client)

    def counted(text: str, outcome: str) -> float:
        return sample(text, "koalicja_registrations_total", outcome=outcome)

    assert counted(after, "confirmed") - counted(before, "confirmed") == 1
    assert counted(after, "event-full") - counted(before, "event-full") == 1


def test_a_registration_rolled_back_is_not_counted(metrics_app):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        event = make_event(capacity=1, waitlist=True)
        db.session.commit()
        before = scrape(client)
        register(event.id, make_applicant())
        db.session.rollback()
        rolled_back = scrape(client)
        register(event.id, make_applicant())
        register(event.id, make_applicant())
        db.session.commit()
        committed = scrape(client)

    def counted(text: str, outcome: str) -> float:
        return sample(text, "koalicja_registrations_total", outcome=outcome)

    assert counted(rolled_back, "confirmed") == counted(before, "confirmed")
    assert counted(committed, "confirmed") - counted(before, "confirmed") == 1
    assert counted(committed, "waitlisted") - counted(before, "waitlisted") == 1


# What the database holds, the same from every host


def test_the_outbox_is_read_from_the_database_at_each_scrape(metrics_app):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        event = make_event(capacity=5)
        for _ in range(3):
            make_registration(event)
        db.session.commit()
        ids = db.session.scalars(db.select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[0])
            .values(status=DeliveryStatus.FAILED)
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(next_attempt_at=utcnow() - timedelta(minutes=5))
        )
        db.session.commit()
    text = scrape(client)
    assert sample(text, "koalicja_database_up") == 1
    assert sample(text, "koalicja_outbox_messages", status="queued") == 2
    assert sample(text, "koalicja_outbox_messages", status="failed") == 1
    assert 300 <= sample(text, "koalicja_outbox_oldest_due_age_seconds") < 360
    assert "@example.org" not in text


def test_the_mail_workers_heartbeats_batches_and_jobs(metrics_app):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        heartbeat = Heartbeat()
        heartbeat.start()
        heartbeat.count_batch(sent=3)
        heartbeat.count_batch(sent=2)
        heartbeat.count_job()
        heartbeat.beat(force=True)
    text = scrape(client)
    worker = {"worker": heartbeat.name}
    assert sample(text, "koalicja_mail_worker_batches_total", **worker) == 2
    assert sample(text, "koalicja_mail_worker_sent_total", **worker) == 5
    assert sample(text, "koalicja_mail_worker_jobs_total", **worker) == 1
    assert 0 <= sample(text, "koalicja_mail_worker_heartbeat_age_seconds", **worker) < 30
    with metrics_app.app_context():
        heartbeat.stop()
    assert heartbeat.name not in scrape(client)


# gunicorn's hooks (deploy/gunicorn.conf.py names them)


def test_on_starting_empties_the_multiprocess_folder_of_its_files_only(tmp_path, monkeypatch):
    from registration.observability.metrics import on_starting

    (tmp_path / "counter_4242.db").write_bytes(b"old counts")
    (tmp_path / "histogram_4243.db").write_bytes(b"old counts")
    (tmp_path / "notes.txt").write_text("not prometheus-client's")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    on_starting(server=None)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_child_exit_drops_a_dead_workers_live_gauges(tmp_path, monkeypatch):
    from registration.observability.metrics import child_exit

    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    child_exit(server=None, worker=SimpleNamespace(pid=4242))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["counter_4242.db"]
