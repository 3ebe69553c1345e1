"""Every migration carries real data: a database filled at any earlier revision comes
up to the head with its rows intact, and each migration goes down and up again with
the data in place.

"Real data" is the demo (``demo load``: events of every kind in the seven cities, with
registrations in every status, queued messages, city allocations) and what organisers
add beside it (an account, audit entries, a check-in, a certificate, an import waiting
for confirmation), loaded once into a head database. For each revision
R, a fresh database is migrated to R and given those rows as R's schema can hold them
(``tests.support.migrations.project``): the columns R has, the rows R's constraints
admit. What R cannot hold is skipped, as an installation at R could not have had it:
a status, an outbox kind or a role added later, and the rows that hang on those. At
the first revision that is everything, since the coalition cities, which every demo
event is in, are added by the second.

Then the next migration is applied and reversed, which must give R's rows back
unchanged, and the database is migrated to the head, which must keep every row and
every column R had, with the values R had; the seat counts agree with the rows and the
application serves the pages from it.

Each migration also goes down and up again with the data its own revision holds in
place (pending requests at 0017, say): going down keeps every row and value except
those its migration says it removes or rewrites (``EMPTIED_GOING_DOWN``,
``REWRITTEN_GOING_DOWN``), and going up again loses none of them. Only 0002 cannot go
down with data in it (``IRREVERSIBLE_WITH_DATA``).

The revisions come from Alembic's script directory, so a new migration is covered
without being named here; one whose downgrade removes or rewrites data must say so in
those tables, or this test fails.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from registration import create_app
from registration.accounts.services import record
from registration.certificates.services import issue
from registration.demo.data import load_demo
from registration.extensions import db
from registration.registrations import imports
from registration.registrations.models import Registration, RegistrationStatus
from registration.registrations.services import check_in
from tests.conftest import BACKENDS, TEST_DATABASE_URL, app_config
from tests.factories import make_account
from tests.support.databases import fresh_database
from tests.support.migrations import (
    columns_of,
    project,
    read_all,
    revisions,
    snapshot,
)

#: Seconds each (a migration walk per revision): left out of `make check`.
pytestmark = pytest.mark.slow

REVISIONS = revisions()
#: Migrations whose downgrade cannot keep data in place, and why.
#: Columns a downgrade rewrites, as its migration says: 0017's turns the requests the
#: older schema cannot hold (pending, rejected) into cancelled registrations.
REWRITTEN_GOING_DOWN = {"0017_coalition_rules": {"registration": {"status", "cancelled_at"}}}
#: Tables a downgrade removes rows from, as its migration says: the messages of a kind
#: the older schema does not know.
EMPTIED_GOING_DOWN = {
    "0017_coalition_rules": {"outbox_message"},
    "0018_certificates": {"outbox_message"},
}
IRREVERSIBLE_WITH_DATA = {
    "0002_coalition_cities": "its downgrade removes the seven coalition cities, which every "
    "event is in: below it a database has no events, so they must be deleted first",
}


@pytest.fixture(scope="session")
def demo_rows(tmp_path_factory) -> tuple[dict, dict]:
    """The demo's rows in a head database, and the rows the migrations alone put there."""
    folder = tmp_path_factory.mktemp("demo-at-head")
    app = create_app(app_config(f"sqlite:///{folder / 'demo.sqlite3'}"), instance_path=str(folder))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            seeded = read_all(connection)
        load_demo()
        # What organisers add beside the registrations: an account and its audit entries,
        # a check-in, a certificate, an import waiting for confirmation.
        organiser = make_account()
        seated = db.session.scalar(
            sa.select(Registration)
            .where(Registration.status == RegistrationStatus.CONFIRMED)
            .order_by(Registration.id)
        )
        record(organiser, "event.update", event=seated.event, capacity=[20, 25])
        check_in(seated, account=organiser, other_day=True)
        issue(seated)
        db.session.commit()
        imports.save(
            seated.event_id,
            organiser.id,
            imports.read(
                "Imię i nazwisko;Adres e-mail;Instytucja;Kategoria;Miasto\r\n"
                "Ewa Zięba;ewa@example.org;Fundacja;NGO;Wrocław\r\n".encode()
            ),
            send_emails=True,
        )
        with db.engine.connect() as connection:
            rows = read_all(connection)
        db.engine.dispose()
    return rows, seeded


@pytest.fixture(scope="session")
def sqlite_at(tmp_path_factory) -> dict[str, Path]:
    """An empty SQLite database at each revision, made by one walk up the migrations and
    copied for each test."""
    folder = tmp_path_factory.mktemp("sqlite-at")
    path = folder / "walk.sqlite3"
    app = create_app(app_config(f"sqlite:///{path}"), instance_path=str(folder))
    copies = {}
    with app.app_context():
        for revision in REVISIONS:
            upgrade(revision=revision)
            db.engine.dispose()
            copies[revision] = folder / f"{revision}.sqlite3"
            shutil.copyfile(path, copies[revision])
    return copies


@pytest.fixture(scope="session")
def postgresql_at(tmp_path_factory) -> Iterator[dict[str, str]]:
    """The same on PostgreSQL: a template database at each revision, all dropped at the end."""
    folder = tmp_path_factory.mktemp("postgresql-at")
    with fresh_database(TEST_DATABASE_URL, folder) as walk_url:
        walk = sa.make_url(walk_url)
        app = create_app(app_config(walk_url), instance_path=str(folder))
        admin = sa.create_engine(walk.set(database=sa.make_url(TEST_DATABASE_URL).database))
        templates: dict[str, str] = {}
        try:
            with app.app_context():
                for number, revision in enumerate(REVISIONS):
                    upgrade(revision=revision)
                    db.engine.dispose()  # a template must have no connections
                    templates[revision] = f"{walk.database}_{number:02d}"
                    with admin.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    ) as connection:
                        connection.exec_driver_sql(
                            f'CREATE DATABASE "{templates[revision]}" TEMPLATE "{walk.database}"'
                        )
            yield templates
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for name in templates.values():
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


@contextlib.contextmanager
def database_at(backend: str, revision: str, request, tmp_path) -> Iterator[str]:
    """A fresh database migrated to ``revision``, and nothing in it but what migrations add."""
    if backend == "sqlite":
        path = tmp_path / "at.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_at")[revision], path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgresql_at")[revision]
    with fresh_database(TEST_DATABASE_URL, tmp_path, template=template) as url:
        yield url


@pytest.mark.parametrize(
    ("revision", "following"), list(itertools.pairwise(REVISIONS)), ids=REVISIONS[:-1]
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_data_at_an_earlier_revision_survive_the_next_migration_both_ways_and_the_head(
    backend, revision, following, demo_rows, request, tmp_path
):
    """The demo as ``revision`` holds it comes through the next migration and its reversal
    unchanged, and up to the head with every row and value ``revision`` had. What the
    revision could not hold is printed (shown with the failure, or with ``-s``)."""
    rows, seeded = demo_rows
    with database_at(backend, revision, request, tmp_path) as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            with db.engine.begin() as connection:
                placed, skipped = project(connection, rows, seeded)
            with db.engine.connect() as connection:
                columns = columns_of(connection)
                at_revision = snapshot(connection, columns)
            print(f"{revision}: placed {dict(placed)}, skipped {dict(skipped)}")
            if "city" in columns and at_revision["city"]:
                assert placed["registration"] > 0, "nothing to carry"

            upgrade(revision=following)
            if following not in IRREVERSIBLE_WITH_DATA:
                downgrade(revision=revision)
                with db.engine.connect() as connection:
                    assert columns_of(connection) == columns
                    assert snapshot(connection, columns) == at_revision
            upgrade()

            with db.engine.connect() as connection:
                at_head = columns_of(connection)
                kept = {
                    name: [column for column in names if column in at_head[name]]
                    for name, names in columns.items()
                    if name in at_head
                }
                after = snapshot(connection, kept)
            for name, names in kept.items():  # a migration may add rows, as 0002 does
                missing = [
                    row
                    for row in ({c: row[c] for c in names} for row in at_revision[name])
                    if row not in after[name]
                ]
                assert missing == [], name
            check_the_application_reads_it(app)
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    ("previous", "migration"), list(itertools.pairwise(REVISIONS)), ids=REVISIONS[1:]
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_migration_goes_down_and_up_again_with_its_own_data_in_place(
    backend, previous, migration, demo_rows, request, tmp_path
):
    """Filled as the migration's own revision holds the demo (new statuses, kinds and
    tables included), the database goes down one revision and up again. Going down may
    remove what the older revision cannot hold, and says so in its docstring; it changes
    nothing else, and going up again keeps every row it left."""
    if migration in IRREVERSIBLE_WITH_DATA:
        pytest.skip(IRREVERSIBLE_WITH_DATA[migration])
    rows, seeded = demo_rows
    with database_at(backend, migration, request, tmp_path) as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            with db.engine.begin() as connection:
                project(connection, rows, seeded)
            with db.engine.connect() as connection:
                at_migration = snapshot(connection, columns_of(connection))

            downgrade(revision=previous)
            with db.engine.connect() as connection:
                columns = columns_of(connection)
                down = snapshot(connection, columns)
            rewritten = REWRITTEN_GOING_DOWN.get(migration, {})
            for name, kept in down.items():
                if name in at_migration and name not in EMPTIED_GOING_DOWN.get(migration, ()):
                    assert len(kept) == len(at_migration[name]), name
                if name in at_migration:
                    same = [c for c in columns[name] if c not in rewritten.get(name, ())]
                    was = [{c: row[c] for c in same} for row in at_migration[name]]
                    assert [row for row in kept if {c: row[c] for c in same} not in was] == [], name
            assert sum(map(len, down.values())) > 0 or previous == REVISIONS[0]

            upgrade(revision=migration)
            with db.engine.connect() as connection:
                up = snapshot(connection, columns_of(connection))
            for name, kept in down.items():
                again = [{c: row[c] for c in columns[name]} for row in up.get(name, [])]
                if name in up:
                    assert [row for row in kept if row not in again] == [], name
        with app.app_context():
            db.engine.dispose()


def check_the_application_reads_it(app) -> None:
    """The seat counts agree with the registrations, and every event's page is served."""
    counts = db.session.execute(
        sa.text(
            "SELECT id, confirmed_count, waitlisted_count, "
            "(SELECT count(*) FROM registration r WHERE r.event_id = event.id "
            "AND r.status = :confirmed), "
            "(SELECT count(*) FROM registration r WHERE r.event_id = event.id "
            "AND r.status = :waitlisted) FROM event"
        ),
        {
            "confirmed": RegistrationStatus.CONFIRMED.value,
            "waitlisted": RegistrationStatus.WAITLISTED.value,
        },
    ).all()
    assert all(row[1] == row[3] and row[2] == row[4] for row in counts), counts
    db.session.close()
    client = app.test_client()
    assert client.get("/").status_code == 200
    listed = client.get("/api/v1/events?past=1")
    assert listed.status_code == 200
    published = [event["id"] for event in listed.json["events"]]
    assert published or not counts
    for event_id in published[:2]:
        assert client.get(f"/events/{event_id}").status_code == 200
