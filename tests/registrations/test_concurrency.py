"""Seats under a rush: many people registering and cancelling at once, through real processes.

Each test starts the application under gunicorn with several worker processes
(``tests.support.servers``) on the test's own database, SQLite or PostgreSQL,
and fires requests at the JSON API from a crowd of client threads released at
the same instant. What the people were promised (docs/registrations.md) is then
checked in the answers and in the database:

1. never more confirmed seats than the capacity;
2. the waitlist is first come, first served, and closes up after a promotion;
3. one active registration per address, however often it is sent at once;
5. exactly one message queued per change, none lost, none doubled.

The database is read only between bursts, and every read ends its transaction
at once: on SQLite an open transaction of the test would hold the write lock
(``BEGIN IMMEDIATE``) that the workers are waiting for.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Participant, Registration
from tests.factories import make_event
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.processes

WORKERS = 4
CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"


class Answer(NamedTuple):
    status: int
    body: dict


class Row(NamedTuple):
    id: int
    email: str
    status: str
    token: str


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    """The application under gunicorn on this test's database; its base URL."""
    with gunicorn_server(database_url, workers=WORKERS) as base_url:
        yield base_url


def publish_event(**fields) -> int:
    """A published event, committed, with the test's session closed behind it."""
    event_id = make_event(**fields).id
    db.session.commit()
    db.session.close()
    return event_id


def call(base_url: str, method: str, path: str, body: dict | None = None) -> Answer:
    """One request on a connection of its own (gunicorn's sync workers close it anyway)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        text = response.read()
    finally:
        connection.close()
    try:
        decoded = json.loads(text) if text else {}
    except ValueError:
        decoded = {"unparsed": text.decode(errors="replace")[:500]}
    return Answer(response.status, decoded)


def all_at_once(requests: Sequence[Callable[[], Answer]]) -> list[Answer]:
    """Run every request on its own thread, released together; answers in the same order."""
    start = threading.Barrier(len(requests))

    def run(request: Callable[[], Answer]) -> Answer:
        start.wait(timeout=30)
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, requests))


def applicant(number: int, **overrides) -> dict:
    return {
        "name": f"Osoba Testowa {number}",
        "email": f"osoba.{number}@example.org",
        "institution": "Miejski Dom Kultury",
        "position": "Animatorka",
        "category": "culture_staff",
        "city": "Łódź",
        "consent": True,
        **overrides,
    }


def register_all(base_url: str, event_id: int, bodies: Sequence[dict]) -> list[Answer]:
    path = f"/api/v1/events/{event_id}/registrations"
    return all_at_once([lambda body=body: call(base_url, "POST", path, body) for body in bodies])


def cancel_all(base_url: str, tokens: Sequence[str]) -> list[Answer]:
    return all_at_once(
        [
            lambda token=token: call(base_url, "DELETE", f"/api/v1/registrations/{token}")
            for token in tokens
        ]
    )


def token_of(answer: Answer) -> str:
    manage_url = answer.body["manage_url"]
    assert "/r/" in manage_url, manage_url
    return manage_url.rsplit("/r/", 1)[1]


def problem_code(answer: Answer) -> str:
    return answer.body.get("type", "").rsplit("/", 1)[-1]


def registrations_of(event_id: int) -> list[Row]:
    """Every registration of the event in order of arrival, read in a transaction ended at once."""
    try:
        rows = db.session.execute(
            sa.select(Registration.id, Registration.email, Registration.status, Registration.token)
            .where(Registration.event_id == event_id)
            .order_by(Registration.id)
        ).all()
        return [Row(row.id, row.email, str(row.status), row.token) for row in rows]
    finally:
        db.session.rollback()


def queued_messages(event_id: int) -> Counter[MessageKind]:
    """How many messages of each kind are queued for the event's registrations."""
    try:
        kinds = db.session.scalars(
            sa.select(OutboxMessage.kind)
            .join(Registration, OutboxMessage.registration_id == Registration.id)
            .where(Registration.event_id == event_id)
        ).all()
        return Counter(MessageKind(kind) for kind in kinds)
    finally:
        db.session.rollback()


def with_status(rows: Sequence[Row], status: str) -> list[Row]:
    return [row for row in rows if row.status == status]


def assert_waitlist_closed_up(base_url: str, waitlisted: Sequence[Row]) -> None:
    """Each waitlisted person, asked at once, is told their place: 1..n in order of arrival."""
    answers = all_at_once(
        [
            lambda row=row: call(base_url, "GET", f"/api/v1/registrations/{row.token}")
            for row in waitlisted
        ]
    )
    assert [answer.status for answer in answers] == [200] * len(waitlisted)
    assert [answer.body["status"] for answer in answers] == [WAITLISTED] * len(waitlisted)
    assert [answer.body["waitlist_position"] for answer in answers] == list(
        range(1, len(waitlisted) + 1)
    )


def test_rush_fills_seats_then_waitlist_and_cancellations_promote_first_in_line(ctx, server: str):
    """A crowd gets exactly the seats there are, then a fair line; freed seats go to its head.

    Two events on one server (starting one costs more than the rush): ten seats,
    and a single seat, the case where every request fights for the same one.
    """
    rush_then_cancel(server, capacity=10, people=40, cancel_confirmed=4, cancel_waitlisted=2)
    # The same people again, so their participant records are found, not created, at once.
    rush_then_cancel(server, capacity=1, people=20, cancel_confirmed=1, cancel_waitlisted=1)


def rush_then_cancel(
    server: str, *, capacity: int, people: int, cancel_confirmed: int, cancel_waitlisted: int
) -> None:
    """``people`` register at once; then some seats and some places in line are given up at once.

    Every cancellation is sent three times at once, as a double click or a
    retrying client would: it must free one seat and promote one person, once.
    """
    copies = 3
    event_id = publish_event(capacity=capacity, waitlist=True)

    answers = register_all(server, event_id, [applicant(number) for number in range(people)])

    assert [answer.status for answer in answers] == [201] * people, answers
    statuses = Counter(answer.body["status"] for answer in answers)
    assert statuses == {CONFIRMED: capacity, WAITLISTED: people - capacity}
    rows = registrations_of(event_id)
    confirmed, waitlisted = with_status(rows, CONFIRMED), with_status(rows, WAITLISTED)
    assert len(confirmed) == capacity
    assert len(waitlisted) == people - capacity
    # First come, first served: every seat went to someone who came before everyone in line.
    assert max(row.id for row in confirmed) < min(row.id for row in waitlisted)
    by_id = {answer.body["id"]: answer for answer in answers}
    assert sorted(by_id) == [row.id for row in rows]
    # Each person was told their true place in line, in order of arrival, with no gaps.
    assert [by_id[row.id].body["waitlist_position"] for row in waitlisted] == list(
        range(1, people - capacity + 1)
    )
    assert all(by_id[row.id].body["waitlist_position"] is None for row in confirmed)
    assert {row.id: token_of(by_id[row.id]) for row in rows} == {row.id: row.token for row in rows}
    assert queued_messages(event_id) == {
        MessageKind.CONFIRMED: capacity,
        MessageKind.WAITLISTED: people - capacity,
    }

    # Seats spread over the whole list, and the last people in line, give up at once.
    step = max(len(confirmed) // cancel_confirmed, 1)
    leaving_seats = confirmed[::step][:cancel_confirmed]
    leaving_line = waitlisted[-cancel_waitlisted:]
    leaving = leaving_seats + leaving_line
    answers = cancel_all(server, [row.token for row in leaving for _ in range(copies)])

    assert [answer.status for answer in answers] == [200] * len(leaving) * copies, answers
    assert {answer.body["status"] for answer in answers} == {CANCELLED}
    after = registrations_of(event_id)
    promoted_ids = [row.id for row in waitlisted[:cancel_confirmed]]
    assert {row.id for row in with_status(after, CANCELLED)} == {row.id for row in leaving}
    assert [row.id for row in with_status(after, CONFIRMED)] == sorted(
        {row.id for row in confirmed} - {row.id for row in leaving_seats} | set(promoted_ids)
    )
    still_waiting = with_status(after, WAITLISTED)
    assert [row.id for row in still_waiting] == [
        row.id for row in waitlisted[cancel_confirmed:] if row not in leaving_line
    ]
    expected_messages = {
        MessageKind.CONFIRMED: capacity,
        MessageKind.WAITLISTED: people - capacity,
        MessageKind.CANCELLED: len(leaving),
        MessageKind.PROMOTED: cancel_confirmed,
    }
    assert queued_messages(event_id) == expected_messages
    assert_waitlist_closed_up(server, still_waiting)
    event = call(server, "GET", f"/api/v1/events/{event_id}")
    assert (event.body["seats_left"], event.body["waitlist_length"]) == (0, len(still_waiting))

    # Cancelling again, later, is a no-op: same answer, nobody else moves, nobody is told.
    again = cancel_all(server, [row.token for row in leaving])
    assert [(answer.status, answer.body) for answer in again] == [
        (200, {"status": CANCELLED})
    ] * len(leaving)
    assert registrations_of(event_id) == after
    assert queued_messages(event_id) == expected_messages


def test_rush_on_event_without_waitlist_never_oversells(ctx, server: str):
    """Without a waitlist the seats go to the first comers and everyone else hears "full"."""
    capacity, people = 5, 30
    event_id = publish_event(capacity=capacity, waitlist=False)

    answers = register_all(server, event_id, [applicant(number) for number in range(people)])

    accepted = [answer for answer in answers if answer.status == 201]
    refused = [answer for answer in answers if answer.status != 201]
    assert len(accepted) == capacity, answers
    assert {answer.body["status"] for answer in accepted} == {CONFIRMED}
    assert {answer.status for answer in refused} == {409}, refused
    assert {problem_code(answer) for answer in refused} == {"event-full"}
    rows = registrations_of(event_id)
    assert [row.status for row in rows] == [CONFIRMED] * capacity
    assert sorted(answer.body["id"] for answer in accepted) == [row.id for row in rows]
    assert queued_messages(event_id) == {MessageKind.CONFIRMED: capacity}


def test_same_address_sent_many_times_at_once_takes_one_place(ctx, server: str):
    """A double-clicked or re-sent form never holds two places; each repeat gets its link mailed."""
    copies = 12
    event_id = publish_event(capacity=3, waitlist=True)
    spellings = ["anna.nowak@example.org", "Anna.Nowak@Example.org", " ANNA.NOWAK@EXAMPLE.ORG "]
    bodies = [
        applicant(number, name="Anna Nowak", email=spellings[number % len(spellings)])
        for number in range(copies)
    ]

    answers = register_all(server, event_id, bodies)

    accepted = [answer for answer in answers if answer.status == 201]
    refused = [answer for answer in answers if answer.status != 201]
    assert len(accepted) == 1, answers
    assert accepted[0].body["status"] == CONFIRMED
    assert {answer.status for answer in refused} == {409}, refused
    assert {problem_code(answer) for answer in refused} == {"already-registered"}
    rows = registrations_of(event_id)
    assert [(row.email, row.status) for row in rows] == [("anna.nowak@example.org", CONFIRMED)]
    messages = queued_messages(event_id)
    assert messages[MessageKind.CONFIRMED] == 1
    # The address hears where its registration is; how often is for the service to limit.
    assert 1 <= messages[MessageKind.ALREADY_REGISTERED] <= copies - 1
    assert set(messages) == {MessageKind.CONFIRMED, MessageKind.ALREADY_REGISTERED}
    try:
        participants = db.session.scalar(
            sa.select(sa.func.count(Participant.id)).where(
                Participant.email == "anna.nowak@example.org"
            )
        )
    finally:
        db.session.rollback()
    assert participants == 1

    # Once cancelled, the address may register again: one active registration, not one ever.
    assert cancel_all(server, [token_of(accepted[0])])[0].status == 200
    again = register_all(server, event_id, bodies[:4])
    assert sorted(answer.status for answer in again) == [201, 409, 409, 409], again
    statuses = [row.status for row in registrations_of(event_id)]
    assert statuses == [CANCELLED, CONFIRMED]
