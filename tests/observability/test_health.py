"""``/healthz`` says the process answers; ``/readyz`` says whether this host can work:
the database at the code's migration, a mail worker alive, the outbox moving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from registration.database import utcnow
from registration.extensions import db
from registration.notifications.models import OutboxMessage
from registration.observability.heartbeat import Heartbeat, WorkerHeartbeat
from tests.factories import make_event, make_registration
from tests.support.migrations import revisions

#: The code's migration, and the one before it: a database the code is newer than.
HEAD, PREVIOUS = revisions()[-1], revisions()[-2]


def beat(ago: timedelta = timedelta(0)) -> None:
    """A mail worker's row, as ``mail send-queued --loop`` writes it, beaten ``ago``."""
    heartbeat = Heartbeat()
    heartbeat.start()
    db.session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.name == heartbeat.name)
        .values(beat_at=utcnow() - ago)
    )
    db.session.commit()


def test_healthz_answers_that_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_when_the_schema_is_current_a_worker_beats_and_the_outbox_moves(app, client):
    with app.app_context():
        beat(timedelta(seconds=5))
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {
        "ok": True,
        "revision": HEAD,
        "expected": HEAD,
    }
    assert body["checks"]["mail_worker"]["ok"] is True
    assert 4 <= body["checks"]["mail_worker"]["last_beat_age_seconds"] < 60
    assert body["checks"]["outbox"] == {
        "ok": True,
        "oldest_due_age_seconds": 0.0,
        "max_age_seconds": 900,
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_not_ready_when_the_database_is_at_an_older_migration(app, client):
    with app.app_context():
        beat()
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": PREVIOUS})
        db.session.commit()
    try:
        response = client.get("/readyz")
    finally:  # the migrated PostgreSQL database is shared by the tests that follow
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": HEAD})
            db.session.commit()
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["database"] == {
        "ok": False,
        "revision": PREVIOUS,
        "expected": HEAD,
    }


def test_not_ready_when_no_mail_worker_has_beaten(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["mail_worker"]["ok"] is False
    assert response.json["checks"]["mail_worker"]["last_beat_age_seconds"] is None


def test_not_ready_when_the_last_heartbeat_is_stale(make_app):
    app = make_app(READY_MAIL_WORKER_MAX_AGE=60)
    with app.app_context():
        beat(timedelta(seconds=61))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    worker = response.json["checks"]["mail_worker"]
    assert worker["ok"] is False
    assert worker["max_age_seconds"] == 60
    assert 61 <= worker["last_beat_age_seconds"] < 120


def test_one_fresh_worker_among_dead_ones_is_enough(app, client):
    with app.app_context():
        beat(timedelta(hours=3))
        beat(timedelta(seconds=1))
    assert client.get("/readyz").status_code == 200


def test_the_worker_check_can_be_left_out(make_app):
    """An installation that runs the jobs from cron instead of a worker sets 0."""
    app = make_app(READY_MAIL_WORKER_MAX_AGE=0)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["mail_worker"]["checked"] is False


def test_not_ready_when_a_queued_message_has_waited_too_long(make_app):
    app = make_app(READY_OUTBOX_MAX_AGE=600)
    with app.app_context():
        beat()
        make_registration(make_event(), email="ola@example.org")  # queues its confirmation
        db.session.execute(
            update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(minutes=11))
        )
        db.session.commit()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    outbox = response.json["checks"]["outbox"]
    assert outbox["ok"] is False
    assert 660 <= outbox["oldest_due_age_seconds"] < 720
    assert "ola@example.org" not in response.get_data(as_text=True)


def test_a_message_waiting_for_its_retry_does_not_count(make_app):
    """A message in back-off is due later: nobody is late with it."""
    app = make_app(READY_OUTBOX_MAX_AGE=600)
    with app.app_context():
        beat()
        make_registration(make_event())
        db.session.execute(
            update(OutboxMessage).values(
                created_at=utcnow() - timedelta(hours=1),
                next_attempt_at=utcnow() + timedelta(minutes=5),
            )
        )
        db.session.commit()
    assert app.test_client().get("/readyz").status_code == 200


def test_a_database_without_the_schema_is_not_ready_and_no_error(make_app, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("an empty SQLite file stands for a database nobody migrated")
    empty = tmp_path / "empty.sqlite3"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{empty}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "not ready",
        "checks": {"database": {"ok": False, "error": "unavailable"}},
    }


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_never_rate_limited(make_app, path):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = {client.get(path).status_code for _ in range(300)}
    assert statuses <= {200, 503}
