"""Two application hosts behind a balancer keep every promise of one (docs/scaling.md).

Each test builds the set-up of docs/scaling.md on this machine
(``tests.support.hosts``): two hosts, each a network namespace running
``gunicorn wsgi:app``, behind nginx; one PostgreSQL (reached through its Unix
socket, or through PgBouncer in transaction mode), one Redis for the rate
limits, and three mail workers on the hosts, delivering to a real SMTP server.

Then 1,000 people register at once for a 100-seat event, through the balancer,
from a hundred client addresses. When 300 have been answered, one host is
killed (SIGKILL to its gunicorn master and workers: no request on it finishes).
nginx sends no request that reached the dead host to the other one (a POST may
have been saved, so nginx never repeats it); the client that got the error asks
again with the same address, as a person would. Meanwhile one mail worker is
killed in the middle of its deliveries. What must hold afterwards:

- every registration answered 201 is in the database as it was answered, and
  every person holds exactly one registration, however often they asked;
- exactly 100 confirmed, and they are the 100 who came first; the waitlist is
  in order of arrival, and each person was told their true place in it;
- no answer was a 500; a request that got no answer from a host got a 502 from
  nginx, or (the host dying in the middle of its answer) a closed connection;
- one message per change, each delivered once, save at most one copy per killed
  worker, with the same ``Message-ID``.

PostgreSQL only: several hosts cannot share a SQLite file (docs/scaling.md).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from registration.extensions import db
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.registrations.models import Registration
from tests.conftest import TEST_DATABASE_URL, SmtpServer, empty_postgresql
from tests.factories import make_event
from tests.support.hosts import Cluster, can_make_hosts, cluster, mail_worker_on

pytestmark = [pytest.mark.processes, pytest.mark.timeout(420)]

PEOPLE = 1000
CAPACITY = 100
CLIENTS = 32
#: Client addresses (127.0.1.1 …): ten people each, within the limit of 30 a minute.
ADDRESSES = 100
KILL_HOST_AFTER = 300
KILL_WORKER_AFTER = 150
MAIL_WORKERS = 3
#: Statuses that say the request never got an answer from a host: ask again.
NOT_ANSWERED = {502, 503, 504}


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL only (replaces the suite's fixture, which also gives SQLite)."""
    if not TEST_DATABASE_URL:
        pytest.skip("several hosts share a PostgreSQL server: set TEST_DATABASE_URL")
    reason = can_make_hosts()
    if reason:
        pytest.skip(reason)
    url = request.getfixturevalue("postgresql_url")
    empty_postgresql(url)
    return url


class BridgeSmtpServer(SmtpServer):
    """The suite's SMTP server, listening on the hosts' bridge instead of 127.0.0.1."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def start(self) -> None:
        self.controller = Controller(self, hostname=self.address, port=self.port)
        self.controller.start()


@dataclass
class Attempt:
    status: int  # 0: the connection failed
    body: dict
    upstream: str
    started: float


def person(number: int) -> dict:
    return {
        "name": f"Uczestniczka Testowa {number}",
        "email": f"osoba.{number}@example.org",
        "institution": "Miejski Dom Kultury",
        "category": "culture_staff",
        "city": "Łódź",
        "consent": True,
    }


def post(balancer: str, path: str, body: dict, source: str) -> Attempt:
    """One request from the client address ``source``, on a connection of its own."""
    host, port = balancer.removeprefix("http://").split(":")
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
    try:
        connection.request(
            "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        text = response.read()
    except (OSError, http.client.HTTPException):
        return Attempt(0, {}, "", started)
    finally:
        connection.close()
    try:
        decoded = json.loads(text) if text else {}
    except ValueError:
        decoded = {"unparsed": text[:200].decode(errors="replace")}
    # Where nginx tried one host and then another: "a:8000, b:8000"; the last answered.
    upstream = (response.getheader("X-Upstream") or "").split(",")[-1].strip()
    return Attempt(response.status, decoded, upstream, started)


def client_address(number: int) -> str:
    return f"127.0.1.{number % ADDRESSES + 1}"


def problem_code(attempt: Attempt) -> str:
    return attempt.body.get("type", "").rsplit("/", 1)[-1]


class Rush:
    """``PEOPLE`` registrations from ``CLIENTS`` threads; a person whose request got no
    answer from a host asks again, up to five times."""

    def __init__(self, running: Cluster, event_id: int) -> None:
        self.cluster = running
        self.path = f"/api/v1/events/{event_id}/registrations"
        self.attempts: dict[int, list[Attempt]] = {}
        self.answered = 0
        self.killed_at: float | None = None
        self._lock = threading.Lock()

    def run(self) -> None:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(self.register, range(PEOPLE)))

    def register(self, number: int) -> None:
        attempts = self.attempts.setdefault(number, [])
        for _ in range(5):
            attempt = post(self.cluster.balancer, self.path, person(number), client_address(number))
            attempts.append(attempt)
            if attempt.status and attempt.status not in NOT_ANSWERED:
                break
            time.sleep(0.2)
        with self._lock:
            self.answered += 1
            if self.answered == KILL_HOST_AFTER:
                self.cluster.servers[0].kill()
                self.killed_at = time.monotonic()

    def final(self, number: int) -> Attempt:
        return self.attempts[number][-1]


def rows_of(event_id: int) -> list:
    try:
        return db.session.execute(
            sa.select(Registration.id, Registration.email, Registration.status)
            .where(Registration.event_id == event_id)
            .order_by(Registration.id)
        ).all()
    finally:
        db.session.rollback()


def outbox() -> list:
    try:
        return db.session.execute(
            sa.select(
                OutboxMessage.kind,
                OutboxMessage.registration_id,
                OutboxMessage.recipient,
                OutboxMessage.message_key,
                OutboxMessage.status,
            )
        ).all()
    finally:
        db.session.rollback()


def wait_for(condition, *, seconds: float, what) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {seconds} s: {what()}")
        time.sleep(0.2)


@pytest.mark.parametrize(
    "via_pgbouncer", [False, True], ids=["postgresql-direct", "postgresql-pgbouncer"]
)
def test_a_rush_through_the_balancer_survives_losing_a_host_and_a_mail_worker(
    ctx, database_url: str, tmp_path: Path, via_pgbouncer: bool
):
    event_id = make_event(capacity=CAPACITY, waitlist=True).id
    limits_event_id = make_event(capacity=50, waitlist=True).id
    db.session.commit()
    db.session.close()

    began = time.monotonic()
    with cluster(database_url, via_pgbouncer=via_pgbouncer) as running:
        up = time.monotonic()
        smtp = BridgeSmtpServer(running.network.gateway)
        smtp.start()
        workers = []
        try:
            mail = {
                **running.environment,
                "MAIL_SERVER": running.network.gateway,
                "MAIL_PORT": str(smtp.port),
                # A dead worker's claims run out after the lease: short, to be waited out.
                "MAIL_TIMEOUT": "1",
                "MAIL_LEASE_SECONDS": "15",
            }
            for number in range(MAIL_WORKERS):
                host = running.network.hosts[number % len(running.network.hosts)]
                arguments = ("--loop", "--interval", "0.2", "--batch", "10")
                log = tmp_path / f"worker-{number}.log"
                workers.append(mail_worker_on(host, mail, *arguments, output=log))

            # The rate limits are counted in the shared Redis: one address's 31st
            # registration within the minute is refused, whichever host it reaches.
            limits = [
                post(
                    running.balancer,
                    f"/api/v1/events/{limits_event_id}/registrations",
                    person(10_000 + number),
                    "127.0.2.1",
                )
                for number in range(31)
            ]
            assert [a.status for a in limits] == [201] * 30 + [429], limits
            assert len({a.upstream for a in limits}) == 2, "both hosts took requests"

            rush = Rush(running, event_id)
            killer = threading.Thread(target=kill_a_worker_mid_delivery, args=(smtp, workers[1]))
            killer.start()
            rush_began = time.monotonic()
            rush.run()
            rush_took = time.monotonic() - rush_began
            killer.join(timeout=120)
            assert workers[1].poll() is not None, "the mail worker was not killed"

            # Every message of the rush is delivered by the two workers left.
            total = len(outbox())
            wait_for(
                lambda: Counter(row.status for row in outbox()) == {DeliveryStatus.SENT: total},
                seconds=150,
                what=lambda: f"not all sent: {Counter(row.status for row in outbox())}",
            )
            delivered = time.monotonic()
            seats = http_get(running.balancer, f"/api/v1/events/{event_id}")
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(timeout=10)
            smtp.stop()

    statuses = Counter(a.status for attempts in rush.attempts.values() for a in attempts)
    print(
        f"set-up {up - began:.1f} s; rush {rush_took:.1f} s ({PEOPLE / rush_took:.0f}/s); "
        f"all mail sent {delivered - rush_began:.1f} s after the rush began; "
        f"answers {dict(statuses)}; copies {len(smtp.received) - total}"
    )
    answers_are_true_and_complete(rush, event_id)
    the_dead_host_got_nothing_after_its_death(rush, running)
    assert (seats["seats_left"], seats["waitlist_length"]) == (0, PEOPLE - CAPACITY)
    every_change_was_mailed_once(rush, smtp, event_id)


def kill_a_worker_mid_delivery(smtp: SmtpServer, worker) -> None:
    deadline = time.monotonic() + 110
    while len(smtp.received) < KILL_WORKER_AFTER and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.kill()
    worker.wait(timeout=10)


def http_get(balancer: str, path: str) -> dict:
    host, port = balancer.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


def answers_are_true_and_complete(rush: Rush, event_id: int) -> None:
    statuses = Counter(a.status for attempts in rush.attempts.values() for a in attempts)
    assert set(statuses) <= {201, 409, 502, 0}, f"unexpected answers: {statuses}"
    finals = {number: rush.final(number) for number in range(PEOPLE)}
    assert {a.status for a in finals.values()} <= {201, 409}, "someone never got an answer"
    refused = {n for n, a in finals.items() if a.status == 409}
    assert {problem_code(finals[n]) for n in refused} <= {"already-registered"}
    # Only a person whose first request may have been saved unanswered is told "already".
    retried = {n for n, attempts in rush.attempts.items() if len(attempts) > 1}
    assert refused <= retried

    rows = rows_of(event_id)
    # One registration per person: none lost, none doubled by the retries.
    assert sorted(row.email for row in rows) == sorted(person(n)["email"] for n in range(PEOPLE))
    by_id = {row.id: row for row in rows}
    confirmed = [row for row in rows if row.status == "confirmed"]
    waitlisted = [row for row in rows if row.status == "waitlisted"]
    assert len(confirmed) == CAPACITY
    assert len(waitlisted) == PEOPLE - CAPACITY
    # First come, first served: every seat went to someone before everyone in line.
    assert max(row.id for row in confirmed) < min(row.id for row in waitlisted)
    place = {row.id: position for position, row in enumerate(waitlisted, start=1)}
    for number, answer in finals.items():
        if answer.status != 201:
            continue
        row = by_id[answer.body["id"]]
        assert (row.email, row.status) == (person(number)["email"], answer.body["status"])
        assert answer.body["waitlist_position"] == place.get(row.id)


def the_dead_host_got_nothing_after_its_death(rush: Rush, running: Cluster) -> None:
    assert rush.killed_at is not None
    dead, alive = (f"{server.host.address}:8000" for server in running.servers)
    attempts = [a for attempts in rush.attempts.values() for a in attempts if a.status]
    before = {a.upstream for a in attempts if a.started < rush.killed_at}
    after = {a.upstream for a in attempts if a.started > rush.killed_at + 0.5}
    assert before == {dead, alive}
    assert after == {alive}, "nginx sent answered requests to the dead host"


def every_change_was_mailed_once(rush: Rush, smtp: SmtpServer, event_id: int) -> None:
    rows = outbox()
    rush_ids = {row.id for row in rows_of(event_id)}
    refused = sum(1 for n in range(PEOPLE) if rush.final(n).status == 409)
    kinds = Counter(row.kind for row in rows if row.registration_id in rush_ids)
    expected = {
        MessageKind.CONFIRMED: CAPACITY,
        MessageKind.WAITLISTED: PEOPLE - CAPACITY,
        MessageKind.ALREADY_REGISTERED: refused,
    }
    assert kinds == {kind: count for kind, count in expected.items() if count}
    expected_ids = {f"<{row.message_key}@koalicja.example.org>": row.recipient for row in rows}
    copies = Counter(message["Message-ID"] for message in smtp.received)
    assert set(copies) == set(expected_ids), "a message was lost, or one came from nowhere"
    assert sum(copies.values()) - len(copies) <= 1, f"more than one copy: {copies.most_common(3)}"
    for message in smtp.received:
        assert message["X-Envelope-To"] == expected_ids[message["Message-ID"]]
