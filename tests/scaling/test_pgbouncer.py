"""Behind PgBouncer in transaction mode, the service needs ``DATABASE_PREPARED_STATEMENTS=0``
(docs/scaling.md), and that is all it needs.

In transaction mode PgBouncer gives each transaction whichever server connection
is free. psycopg prepares a statement on the server once it has run it five
times on a connection, and from then on names it instead of sending it: on a
server connection where another client prepared a statement of the same name,
or where this one never prepared it, that fails. The first test shows the
failure without the setting and none with it, through a pool of one server
connection shared by two clients (Debian's PgBouncer 1.18 does not track prepared
statements; 1.21 and later can, with ``max_prepared_statements``).

What else could break under transaction pooling is checked in the code, not
here: the service sets nothing per session (no ``SET``, ``LISTEN`` or session
advisory locks; its one advisory lock, ``pg_advisory_xact_lock``, ends with the
transaction). The rush through PgBouncer (test_several_hosts) shows the whole
service under load.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from registration import create_app
from registration.database import engine_options
from registration.extensions import db
from tests.conftest import TEST_DATABASE_URL
from tests.support.hosts import free_loopback_port, pgbouncer


@pytest.fixture
def bouncer_url(request: pytest.FixtureRequest) -> str:
    """The test database through a PgBouncer of its own with one server connection."""
    if not TEST_DATABASE_URL:
        pytest.skip("PgBouncer stands in front of PostgreSQL: set TEST_DATABASE_URL")
    database = sa.make_url(request.getfixturevalue("postgresql_url"))
    with pgbouncer(
        "127.0.0.1",
        database.host,
        database.port or 5432,
        database.username,
        port=free_loopback_port(),
        pool_size=1,
    ) as port:
        yield database.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def run_in_turn(url: str, *, prepared_statements: bool) -> list[str]:
    """Two clients run the same query ten times each, one transaction at a time, taking
    turns; the errors they met."""
    engine = sa.create_engine(url, **engine_options(url, prepared_statements=prepared_statements))
    errors = []
    try:
        with engine.connect() as first, engine.connect() as second:
            for number in range(10):
                for connection in (first, second):
                    try:
                        value = connection.execute(sa.text("SELECT :n + 1"), {"n": number})
                        assert value.scalar() == number + 1
                        connection.commit()
                    except sa.exc.DBAPIError as error:
                        errors.append(str(error.orig))
                        connection.rollback()
    finally:
        engine.dispose()
    return errors


@pytest.mark.processes
@pytest.mark.parametrize(
    "prepared_statements", [True, False], ids=["postgresql-prepared", "postgresql-unprepared"]
)
def test_behind_a_transaction_pooler_only_unprepared_statements_work(
    bouncer_url: str, prepared_statements: bool
):
    errors = run_in_turn(bouncer_url, prepared_statements=prepared_statements)
    if prepared_statements:
        assert errors, "psycopg's prepared statements worked through PgBouncer after all"
        assert all("prepared statement" in error for error in errors), errors
    else:
        assert errors == []


@pytest.mark.parametrize(
    ("value", "threshold"),
    [(None, 5), ("1", 5), ("0", None)],
    ids=["postgresql-unset", "postgresql-on", "postgresql-off"],
)
def test_database_prepared_statements_reaches_the_driver(
    request: pytest.FixtureRequest, monkeypatch, tmp_path, value: str | None, threshold
):
    """Unset or on, psycopg's own default (prepare after five runs); ``0``: never."""
    if not TEST_DATABASE_URL:
        pytest.skip("the setting is psycopg's: set TEST_DATABASE_URL")
    monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgresql_url"))
    monkeypatch.setenv("REGISTRATION_ENV", "testing")
    if value is None:
        monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    else:
        monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", value)
    app = create_app(instance_path=str(tmp_path))
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                assert connection.connection.driver_connection.prepare_threshold == threshold
        finally:
            db.engine.dispose()
