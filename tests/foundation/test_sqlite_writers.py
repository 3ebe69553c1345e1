"""SQLite writers wait for each other in a queue, not in SQLite's polling busy handler."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from registration.database import QueueingSQLiteConnection

HOLD_SECONDS = 0.4


def connect(path: Path | str, *, timeout: float) -> QueueingSQLiteConnection:
    connection = sqlite3.connect(
        path,
        timeout=timeout,
        isolation_level=None,
        factory=QueueingSQLiteConnection,
        check_same_thread=False,
    )
    connection.execute("PRAGMA journal_mode = WAL")
    return connection


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "queue.sqlite3"
    with connect(path, timeout=1) as setup:
        setup.execute("CREATE TABLE seat (id INTEGER PRIMARY KEY, holder TEXT)")
    return path


def test_a_writer_waits_in_the_queue_for_longer_than_the_busy_timeout(database):
    """With a 50 ms busy timeout alone, the second writer would fail with "database is
    locked"; the queue lets it wait until the first commits, then go on."""
    first, second = connect(database, timeout=0.05), connect(database, timeout=0.05)
    holding = threading.Event()
    waited: list[float] = []
    errors: list[BaseException] = []

    def hold_the_lock() -> None:
        first.begin_writing()
        first.execute("INSERT INTO seat (holder) VALUES ('first')")
        holding.set()
        time.sleep(HOLD_SECONDS)
        first.commit()

    def write_next() -> None:
        holding.wait(timeout=5)
        began = time.monotonic()
        try:
            second.begin_writing()
            second.execute("INSERT INTO seat (holder) VALUES ('second')")
            second.commit()
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
    holders = [row[0] for row in first.execute("SELECT holder FROM seat ORDER BY id")]
    assert holders == ["first", "second"]
    first.close()
    second.close()


def test_a_rollback_lets_the_next_writer_in(database):
    first, second = connect(database, timeout=0.05), connect(database, timeout=0.05)
    first.begin_writing()
    first.rollback()
    second.begin_writing()  # would block for ever if the rollback had kept the queue
    second.commit()
    first.close()
    second.close()


def test_one_thread_writing_on_two_connections_gets_an_error_not_a_hang(database):
    """The queue is skipped for the second one, whose wait the busy timeout bounds."""
    first, second = connect(database, timeout=0.1), connect(database, timeout=0.1)
    first.begin_writing()
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.begin_writing()
    assert time.monotonic() - began < 5
    first.commit()
    second.begin_writing()  # the queue is free again
    second.commit()
    first.close()
    second.close()


def test_the_queue_is_a_file_beside_the_database_and_none_for_memory(database):
    connect(database, timeout=1).close()
    assert Path(f"{database}-writers").exists()
    in_memory = connect(":memory:", timeout=1)
    in_memory.begin_writing()
    in_memory.commit()
    in_memory.close()
