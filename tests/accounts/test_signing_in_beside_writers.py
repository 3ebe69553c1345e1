"""A sign-in checks the password outside any transaction: on SQLite, where every writing
request takes the database's one write lock, ten failed sign-ins at once must not keep
a registration waiting while argon2 works.

The hasher below is argon2 itself, which calls back while it checks a password: the
only moment at which a test can look at what a sign-in holds without guessing how long
hashing takes on a busy machine.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from registration.accounts import services
from registration.extensions import db
from tests.factories import PASSWORD, make_account, make_event

WAIT_SECONDS = 10


class CallingBackHasher(PasswordHasher):
    """argon2 at its lowest cost that calls ``while_checking`` before it checks a password."""

    def __init__(self, while_checking: Callable[[], None]) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.while_checking = while_checking

    def verify(self, hash: str, password: str) -> bool:
        self.while_checking()
        return super().verify(hash, password)


@pytest.fixture
def organiser(app) -> None:
    with app.app_context():
        make_account()
        db.session.commit()


def sign_in(client, password: str):
    return client.post(
        "/organiser/login", data={"email": "organiser@example.org", "password": password}
    )


def write_lock_is_free(database_url: str) -> bool:
    """Whether another connection takes SQLite's write lock at once (busy timeout 0)."""
    path = sa.make_url(database_url).database
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked"
            return False
        other.execute("ROLLBACK")
        return True


@pytest.mark.parametrize("password", [PASSWORD, "not the password"], ids=["right", "wrong"])
def test_no_transaction_is_open_while_a_password_is_checked(
    app, client, organiser, monkeypatch, backend, database_url, password
):
    seen: list[tuple[bool, bool]] = []

    def look() -> None:
        free = write_lock_is_free(database_url) if backend == "sqlite" else True
        seen.append((db.session().in_transaction(), free))

    monkeypatch.setattr(services, "_hasher", CallingBackHasher(look))
    response = sign_in(client, password)
    assert response.status_code == (303 if password == PASSWORD else 401)
    assert seen == [(False, True)]  # no transaction of the request's, no lock of anyone's


def test_ten_failed_sign_ins_at_once_keep_no_registration_waiting(
    app, client, organiser, monkeypatch, backend
):
    """All ten check their passwords at the same time, and while they do, somebody
    registers; on SQLite only one at a time could, holding the write lock."""
    if backend != "sqlite":
        pytest.skip("the database's one write lock is a SQLite matter")
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    everybody_hashing = threading.Barrier(11, timeout=WAIT_SECONDS)
    go_on = threading.Event()
    went_on: list[bool] = []

    def hold_on() -> None:
        everybody_hashing.wait()
        went_on.append(go_on.wait(timeout=WAIT_SECONDS))

    monkeypatch.setattr(services, "_hasher", CallingBackHasher(hold_on))
    answers: list[int | BaseException] = []

    def guess() -> None:
        try:
            answers.append(sign_in(app.test_client(), "a guess").status_code)
        except BaseException as error:  # reported below, in the test's thread
            answers.append(error)

    guessers = [threading.Thread(target=guess) for _ in range(10)]
    for guesser in guessers:
        guesser.start()
    try:
        everybody_hashing.wait()
        registered = client.post(
            f"/api/v1/events/{event_id}/registrations",
            json={
                "name": "Łucja Żółkiewska",
                "email": "lucja@example.org",
                "institution": "Teatr Miejski",
                "category": "culture_staff",
                "city": "Gdańsk",
                "consent": True,
            },
        )
    finally:  # a barrier that timed out is broken for everyone: nobody waits any more
        go_on.set()
        for guesser in guessers:
            guesser.join(timeout=3 * WAIT_SECONDS)
    assert registered.status_code == 201
    assert answers == [401] * 10
    assert went_on == [True] * 10
