"""Backups restore: one taken while people register holds every registration and queued
message up to its moment, consistently, and the service runs on the restored copy.

``flask db backup PATH`` is taken while a writer keeps registering through the JSON
API of a real gunicorn; the copy is restored as docs/operations.md says (SQLite: the
file copied into place; PostgreSQL: ``pg_restore`` into a fresh database) and read
beside the live database.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from registration import create_app
from registration.demo.data import load_demo
from registration.extensions import db
from tests.conftest import app_config
from tests.factories import make_event
from tests.support.databases import fresh_database
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.processes

#: Registrations the writer makes before the backup, and at least after it.
BEFORE, AFTER = 15, 5
#: The columns compared between the live database and the restored one.
REGISTRATION = "SELECT id, event_id, email, full_name, status, token FROM registration"
OUTBOX = "SELECT id, registration_id, kind, recipient, status, message_key FROM outbox_message"


def register(base_url: str, event_id: int, number: int) -> int:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    body = {
        "name": f"Osoba Kopii {number}",
        "email": f"kopia.{number}@example.org",
        "institution": "Miejski Dom Kultury",
        "category": "culture_staff",
        "city": "Łódź",
        "consent": True,
    }
    try:
        connection.request(
            "POST",
            f"/api/v1/events/{event_id}/registrations",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 201, answer
    return answer["id"]


class Writer(threading.Thread):
    """Registers one person after another until stopped; ``done`` lists the ids answered."""

    def __init__(self, base_url: str, event_id: int) -> None:
        super().__init__(daemon=True)
        self.base_url, self.event_id = base_url, event_id
        self.done: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.done.append(register(self.base_url, self.event_id, len(self.done)))
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.done) < count and self.error is None:
            assert time.monotonic() < deadline, f"only {len(self.done)} registrations"
            time.sleep(0.05)
        assert self.error is None, self.error


def rows(url: str, query: str) -> set[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {tuple(row) for row in connection.exec_driver_sql(query)}
    finally:
        engine.dispose()


def restore(backup: Path, backend: str, into: str) -> None:
    """Put the backup in place as docs/operations.md tells an operator to."""
    if backend == "sqlite":
        shutil.copyfile(backup, sa.make_url(into).database)
        return
    address = sa.make_url(into).set(drivername="postgresql").render_as_string(False)
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={address}", str(backup)],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_a_backup_taken_while_people_register_restores_every_registration_and_message(
    database_url, backend, make_app, tmp_path
):
    app = make_app()
    with app.app_context():
        load_demo()  # every kind of row the demo has, beside the rush
        event_id = make_event(capacity=1000).id
        db.session.commit()
        db.session.close()
    backup = tmp_path / ("backup.sqlite3" if backend == "sqlite" else "backup.dump")

    with gunicorn_server(database_url, workers=2) as base_url:
        writer = Writer(base_url, event_id)
        writer.start()
        try:
            writer.wait_for(BEFORE)
            registered_before = list(writer.done)
            result = app.test_cli_runner().invoke(args=["db", "backup", str(backup)])
            writer.wait_for(len(writer.done) + AFTER)  # still writing after the backup
        finally:
            writer.stop.set()
            writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert f"Backed up the database to {backup}." in result.output

    with fresh_database(database_url, tmp_path / "restored") as restored_url:
        restore(backup, backend, restored_url)

        restored = rows(restored_url, REGISTRATION)
        live = rows(database_url, REGISTRATION)
        restored_ids = {row[0] for row in restored}
        assert set(registered_before) <= restored_ids
        assert restored <= live  # the same rows, exactly as they were
        assert len(restored) < len(live)  # and none of those made after the backup
        restored_messages = rows(restored_url, OUTBOX)
        assert restored_messages <= rows(database_url, OUTBOX)
        # One moment of the database: each registration with the message of its transaction.
        rush = {row[0] for row in restored if row[1] == event_id}
        assert {message[1] for message in restored_messages if message[2] == "confirmed"} >= rush
        assert all(message[4] == "queued" for message in restored_messages)

        restored_app = create_app(
            app_config(restored_url), instance_path=str(tmp_path / "restored-instance")
        )
        with restored_app.app_context():
            revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version"))
            before_upgrade = revision.scalar_one()
            db.session.close()
            upgrade()  # nothing to do: the backup is at the code's revision
            after_upgrade = db.session.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar_one()
            db.session.close()
        assert after_upgrade == before_upgrade
        client = restored_app.test_client()
        page = client.get(f"/events/{event_id}")
        assert page.status_code == 200
        assert client.get("/").status_code == 200
        with restored_app.app_context():
            db.engine.dispose()


class TestRefusals:
    def test_an_existing_file_is_never_overwritten(self, runner, tmp_path):
        existing = tmp_path / "backup.sqlite3"
        existing.write_bytes(b"yesterday's backup")

        result = runner.invoke(args=["db", "backup", str(existing)])

        assert result.exit_code == 1
        assert "already exists" in result.output
        assert existing.read_bytes() == b"yesterday's backup"

    def test_a_folder_that_does_not_exist_is_named(self, runner, tmp_path):
        result = runner.invoke(args=["db", "backup", str(tmp_path / "missing" / "b.sqlite3")])

        assert result.exit_code == 1
        assert f"the folder {tmp_path / 'missing'} does not exist" in result.output
        assert not (tmp_path / "missing").exists()

    def test_a_folder_in_place_of_a_file_is_refused(self, runner, tmp_path):
        result = runner.invoke(args=["db", "backup", str(tmp_path)])

        assert result.exit_code == 2
        assert "is a directory" in result.output

    def test_a_failed_backup_leaves_nothing_that_looks_like_one(
        self, backend, database_url, runner, monkeypatch, tmp_path
    ):
        folder = tmp_path / "backups"
        folder.mkdir()
        if backend == "sqlite":  # a damaged database file
            with open(sa.make_url(database_url).database, "r+b") as file:
                file.seek(4096)
                file.write(b"\xff" * 4096 * 4)
            failure = "the SQLite backup failed: database disk image is malformed"
        else:  # pg_dump losing its connection half-way
            programs = tmp_path / "programs"
            programs.mkdir()
            fake = programs / "pg_dump"
            fake.write_text(
                "#!/bin/sh\n"
                'for a in "$@"; do case $a in --file=*) echo half > "${a#--file=}";; esac; done\n'
                "echo 'pg_dump: error: connection lost' >&2; exit 1\n"
            )
            fake.chmod(0o755)
            monkeypatch.setenv("PATH", str(programs))
            failure = "pg_dump failed: pg_dump: error: connection lost"

        result = runner.invoke(args=["db", "backup", str(folder / "backup")])

        assert result.exit_code == 1
        assert failure in result.output
        assert list(folder.iterdir()) == []

    def test_postgresql_needs_pg_dump_and_says_so_sqlite_needs_no_program(
        self, backend, runner, monkeypatch, tmp_path
    ):
        monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
        folder = tmp_path / "backups"
        folder.mkdir()
        target = folder / "backup"

        result = runner.invoke(args=["db", "backup", str(target)])

        if backend == "sqlite":
            assert result.exit_code == 0, result.output
            assert target.stat().st_size > 0
        else:
            assert result.exit_code == 1
            assert "pg_dump is not installed" in result.output
            assert "postgresql-client" in result.output
            assert list(folder.iterdir()) == []
