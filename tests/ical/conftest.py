"""Helpers for the feed tests: every feed read twice, data beside the client, query counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from registration.extensions import db
from tests.ical.reading import read


@pytest.fixture(autouse=True)
def every_feed_is_read_by_both_parsers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Whatever calendar a test gets from the application, icalendar and ical.js read it too.

    Tests look closely at some feeds; this makes sure that none they produce
    along the way (for headers, for 304s) goes unread by the second parser.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    calendars: list[bytes] = []

    @app.after_request
    def keep(response):
        if response.status_code == 200 and response.mimetype == "text/calendar":
            calendars.append(response.get_data())
        return response

    yield
    if calendars:
        read(*calendars)


@pytest.fixture
def data(app: Flask):
    """``with data():`` opens the app's database session and commits what the block made.

    Requests by the test client then run in their own contexts, as in production,
    and see only what was committed.
    """

    @contextmanager
    def session() -> Iterator[None]:
        with app.app_context():
            yield
            db.session.commit()
            db.session.close()

    return session


@pytest.fixture
def queries(app: Flask):
    """``with queries() as statements:`` records every SQL statement the app sends."""

    @contextmanager
    def recording() -> Iterator[list[str]]:
        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def record(connection, cursor, statement, parameters, context, executemany) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return recording


def selects(statements: list[str]) -> list[str]:
    """The statements that read (transaction control aside)."""
    return [
        statement for statement in statements if statement.lstrip().upper().startswith("SELECT")
    ]
