"""A database that goes away: nothing half-saved, a clear answer, and recovery by itself."""

from __future__ import annotations

import os
import shutil

import pytest
import sqlalchemy as sa

from registration import create_app
from registration.extensions import db
from registration.registrations.models import Registration
from tests.conftest import app_config, migrate_database
from tests.factories import make_event

BODY = {
    "name": "Ola",
    "email": "ola@example.org",
    "institution": "MDK",
    "category": "ngo",
    "city": "Łódź",
    "consent": True,
}


@pytest.fixture
def event_id(app) -> int:
    with app.app_context():
        event = make_event()
        db.session.commit()
        return event.id


def test_a_restarted_postgresql_costs_no_registration(app, client, event_id, backend):
    """Connections the server dropped are noticed before use (pool_pre_ping)."""
    if backend != "postgresql":
        pytest.skip("a server restart is a PostgreSQL matter")
    assert client.post(f"/api/v1/events/{event_id}/registrations", json=BODY).status_code == 201
    with app.app_context():
        name = db.engine.url.database
        admin = sa.create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:  # what a restart does to our open connections
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        admin.dispose()
    second = client.post(
        f"/api/v1/events/{event_id}/registrations", json={**BODY, "email": "ala@example.org"}
    )
    assert second.status_code == 201
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 2


def test_an_unreachable_database_answers_503_and_saves_nothing(tmp_path):
    """SQLite only: its file can be taken away without touching a shared server."""
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "registration.sqlite3"
    migrate_database(f"sqlite:///{path}", tmp_path)
    app = create_app(app_config(f"sqlite:///{path}"), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
        db.engine.dispose()
    shutil.move(folder, tmp_path / "elsewhere")  # the disk went away
    client = app.test_client()
    api = client.post(f"/api/v1/events/{event_id}/registrations", json=BODY)
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"]
    page = client.get("/")
    assert page.status_code == 503
    assert "Nic nie zostało zapisane" in page.text


def test_the_log_says_the_database_is_away_but_never_what_was_being_written(app, caplog):
    """A failed statement carries its values (names, addresses): the log gets the
    driver's first line only."""
    from sqlalchemy.exc import OperationalError

    from registration.errors import database_unavailable

    failure = OperationalError(
        "INSERT INTO registration (full_name, email) VALUES (?, ?)",
        ("Anna Kowalska", "anna@example.org"),
        Exception("server closed the connection unexpectedly\n\tThis probably means…"),
    )
    with app.test_request_context("/api/v1/events/1/registrations", method="POST"):
        response = database_unavailable(failure)
    assert response.status_code == 503
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "server closed the connection unexpectedly" in logged
    assert "anna@example.org" not in logged
    assert "Anna Kowalska" not in logged
