"""On SQLite a writing transaction holds the database's write lock from its first
statement (``BEGIN IMMEDIATE``), a reading one holds none, and a writer that finds the
lock taken waits for it instead of failing.

The seat rules count on the first: without a lock taken before the count, two
processes could both read "one seat left". Each test looks at the lock from a
connection of its own, as another process would.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing

import pytest
import sqlalchemy as sa

from registration.database import reading_only
from registration.events.models import Event
from registration.extensions import db
from tests.factories import make_event

HOLD_SECONDS = 0.4


@pytest.fixture
def sqlite_path(backend: str, database_url: str) -> str:
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    return sa.make_url(database_url).database


def write_lock_is_free(path: str) -> bool:
    """Whether another connection takes the write lock at once (busy timeout 0)."""
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked"
            return False
        other.execute("ROLLBACK")
        return True


def test_a_writing_transaction_holds_the_lock_from_its_first_read(ctx, sqlite_path):
    db.session.scalar(sa.select(sa.func.count(Event.id)))
    assert not write_lock_is_free(sqlite_path)
    db.session.rollback()
    assert write_lock_is_free(sqlite_path)


def test_a_reading_transaction_holds_no_lock(ctx, sqlite_path):
    with reading_only():
        db.session.scalar(sa.select(sa.func.count(Event.id)))
        assert write_lock_is_free(sqlite_path)
        db.session.rollback()


def test_a_writer_waits_for_the_lock_and_then_goes_on(ctx, sqlite_path):
    """The second writer neither fails with "database is locked" nor writes before the
    first has committed."""
    event_id = make_event(capacity=1).id
    db.session.commit()
    engine = db.engine  # the application's, with its begin listener and busy timeout
    holding = threading.Event()
    waited: list[float] = []
    errors: list[BaseException] = []

    def hold_the_lock() -> None:
        with engine.begin() as connection:
            connection.execute(sa.update(Event).where(Event.id == event_id).values(capacity=2))
            holding.set()
            time.sleep(HOLD_SECONDS)

    def write_next() -> None:
        holding.wait(timeout=5)
        began = time.monotonic()
        try:
            with engine.begin() as connection:
                capacity = connection.scalar(sa.select(Event.capacity).where(Event.id == event_id))
                connection.execute(
                    sa.update(Event).where(Event.id == event_id).values(capacity=capacity + 1)
                )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        waited.append(time.monotonic() - began)

    threads = [threading.Thread(target=hold_the_lock), threading.Thread(target=write_next)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert waited[0] >= HOLD_SECONDS * 0.5
    # It read what the first one wrote: the lock was taken before its read, not at its write.
    assert db.session.scalar(sa.select(Event.capacity).where(Event.id == event_id)) == 3
