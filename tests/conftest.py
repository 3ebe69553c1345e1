"""Fixtures: the Flask tutorial's ``app``/``client``/``runner``, on real databases.

Every test that asks for ``app`` runs once per backend: on SQLite always, and
on PostgreSQL when ``TEST_DATABASE_URL`` names a server. The suite never
trusts what an earlier run left on that server: it creates a database of its
own with a random name, migrates it, empties it before each test, and drops it
at the end. A ``TEST_DATABASE_URL`` that cannot be reached fails the
PostgreSQL tests loudly; it never skips them.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import os
import secrets
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade

from registration import create_app
from registration.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]
# Tables whose rows come from migrations and survive between tests.
SEEDED_TABLES = {"city", "alembic_version"}


def migrate_database(database_url: str, instance_path: Path) -> None:
    app = create_app(app_config(database_url), instance_path=str(instance_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def app_config(database_url: str, **overrides) -> dict:
    return {
        "REGISTRATION_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": "https://koalicja.example.org",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        **overrides,
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied afresh for every test."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    migrate_database(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throw-away, migrated PostgreSQL database on the TEST_DATABASE_URL server."""
    if not TEST_DATABASE_URL:
        pytest.fail("TEST_DATABASE_URL is not set")  # only parametrised in when set
    server = sa.make_url(TEST_DATABASE_URL)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    name = f"koalicja_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"TEST_DATABASE_URL={TEST_DATABASE_URL} cannot be reached: {error.orig}")
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        migrate_database(url, tmp_path_factory.mktemp("postgresql"))
        yield url
    finally:
        engine = _postgresql_engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_postgresql_engines: dict[str, sa.Engine] = {}


def empty_postgresql(url: str) -> None:
    """Delete every row a test may have left, and restart the id sequences.

    DELETE on these small tables is much cheaper than TRUNCATE, which replaces
    every table's files; the schema and the seeded cities stay as migrated.
    """
    engine = _postgresql_engines.get(url)
    if engine is None:
        # pre_ping: a test may drop every connection, as a server restart would.
        engine = _postgresql_engines[url] = sa.create_engine(url, pool_size=1, pool_pre_ping=True)
    with engine.begin() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name in existing]
        statements = [f'DELETE FROM "{t.name}"' for t in tables if t.name not in SEEDED_TABLES]
        statements.append("DELETE FROM city WHERE NOT coalition")
        statements += [
            f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), 1, false)"
            for t in tables
            if t.name not in SEEDED_TABLES and "id" in t.c
        ]
        connection.exec_driver_sql(";\n".join(statements))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with only the seven coalition cities in it."""
    if request.param == "sqlite":
        path = tmp_path / "registration.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgresql_url")
    empty_postgresql(url)
    return url


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest cost: signing in is tested, not the hash's strength."""
    from argon2 import PasswordHasher

    from registration.accounts import services

    monkeypatch.setattr(
        services, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator:
    """Build an app on the test database with extra settings, e.g. ``WTF_CSRF_ENABLED=True``."""
    apps: list[Flask] = []

    def build(**overrides) -> Flask:
        instance = tmp_path / "instance"
        app = create_app(app_config(database_url, **overrides), instance_path=str(instance))
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for tests that call domain services directly."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


#: Kinds of test that take seconds each; `make check` leaves them out with -m "not slow".
SLOW_KINDS = ("browser", "processes", "packaging")


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser, multi-process or packaging test is slow: saying its kind says that too."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_KINDS):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Show how many tests ran on PostgreSQL, so CI can never skip it unnoticed."""
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if "[postgresql" in getattr(report, "nodeid", "") and report.when in ("call", "setup"):
                if outcome == "passed" and report.when != "call":
                    continue
                counts[outcome] = counts.get(outcome, 0) + 1
    summary = ", ".join(f"{number} {outcome}" for outcome, number in sorted(counts.items()))
    if TEST_DATABASE_URL:
        terminalreporter.write_line(f"PostgreSQL tests: {summary or 'none ran'}")
    else:
        terminalreporter.write_line("PostgreSQL tests: not run (TEST_DATABASE_URL is not set)")


class SmtpServer:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it accepts.

    ``stop()`` and ``start()`` take it down and bring it back on the same port;
    ``refuse(address, code)`` makes it reject one recipient, ``refuse_sender(reply)`` every
    message.
    """

    def __init__(self) -> None:
        self.port = _free_port()
        self.received: list[email.message.EmailMessage] = []
        self.refused: dict[str, str] = {}
        self.sender_refusal: str | None = None
        #: Seconds the server takes before it accepts a message.
        self.delay = 0.0
        self.controller = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such mailbox") -> None:
        self.refused[address] = reply

    def refuse_sender(self, reply: str) -> None:
        """Answer every MAIL FROM with ``reply``: the server will take no mail from us."""
        self.sender_refusal = reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.sender_refusal:
            return self.sender_refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.received.append(message)
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.received if m["X-Envelope-To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp: SmtpServer) -> Flask:
    """The app, sending through Flask-Mail to the ``smtp`` server."""
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """Debian's Chromium, one for the whole run: Playwright's sync API allows one driver at
    a time, so every browser test (tests/browser, and the pages' own under their capability)
    shares this one."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import AXE_SCRIPT, CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: `make test` runs `npm ci`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
