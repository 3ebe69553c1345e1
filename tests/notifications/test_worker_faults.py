"""The mail worker keeps working (docs/emails.md): a silent SMTP server costs it one
timeout, a stop request is obeyed within seconds, a claim that ran out never lets two
workers send the same message, and a database outage is waited out."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError, PendingRollbackError, ProgrammingError

from registration import create_app
from registration.database import utcnow
from registration.extensions import db
from registration.notifications import cli
from registration.notifications.delivery import deliver_due, lease
from registration.notifications.models import DeliveryStatus, OutboxMessage
from tests.conftest import app_config, migrate_database
from tests.support.mail import HangingSmtpServer, mail_worker, queue_confirmations


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def statuses(app) -> Counter:
    return Counter(row.status for row in outbox(app))


def wait_for(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {seconds} s: {what}")
        time.sleep(0.05)


def deliver_to_silent_server(make_app, silent_from: str, *, timeout: float):
    """Three confirmations, one delivery run against a server that goes silent at
    ``silent_from``: the app, the run's report and the seconds it took."""
    with HangingSmtpServer(silent_from) as server:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=timeout)
        queue_confirmations(app, 3)
        started = time.monotonic()
        with app.app_context():
            report = deliver_due()
        waited = time.monotonic() - started
    assert server.hung.is_set()
    return app, report, waited


def test_a_server_silent_from_the_start_costs_one_timeout_and_no_attempt(make_app):
    app, report, waited = deliver_to_silent_server(make_app, "banner", timeout=0.5)
    assert waited < 3, f"the worker waited {waited:.1f} s on a 0.5 s timeout"
    assert (report.sent, report.retrying) == (0, 3)
    assert "timed out" in report.errors[0]
    rows = outbox(app)
    assert [(row.status, row.attempts) for row in rows] == [(DeliveryStatus.QUEUED, 0)] * 3
    assert all("timed out" in row.last_error for row in rows)


def test_a_message_the_server_never_answered_is_sent_again_only_after_a_back_off(make_app):
    """Once its text has gone out, the server may have the message: sending it again at
    once, and every time the server falls silent, would be copy after copy. So it counts
    as a failed attempt, and waits its back-off; the messages not started do not."""
    app, report, waited = deliver_to_silent_server(make_app, "end of data", timeout=0.1)
    # The verdict on a message's text is waited for ten times as long as a command's.
    assert 1 <= waited < 4, f"the worker waited {waited:.1f} s for the final reply"
    assert (report.sent, report.retrying) == (0, 3)
    in_flight, *not_started = outbox(app)
    assert (in_flight.status, in_flight.attempts) == (DeliveryStatus.QUEUED, 1)
    assert in_flight.next_attempt_at > utcnow() + timedelta(seconds=25)  # backoff(1): 30 s
    assert [(row.status, row.attempts) for row in not_started] == [(DeliveryStatus.QUEUED, 0)] * 2


def test_a_server_slow_to_accept_a_message_gets_the_time_to_answer(make_app, smtp):
    """A server that scans a message before it answers is given the time: one copy."""
    smtp.delay = 1.0  # seconds before it accepts the text
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=0.3)
    queue_confirmations(app, 1)
    with app.app_context():
        first = deliver_due()
        again = deliver_due(now=utcnow() + timedelta(hours=3))
    assert (first.sent, again.handled) == (1, 0)
    assert len(smtp.received) == 1
    assert statuses(app) == {DeliveryStatus.SENT: 1}


@pytest.mark.parametrize(
    "refusal", ["530 5.7.0 Authentication required", "550 5.7.1 Sender not allowed"]
)
def test_a_server_that_refuses_our_sender_fails_no_message(make_app, smtp, refusal):
    """A refusal of the whole conversation is the server's (or our configuration's)
    trouble: every message waits for it to be solved, none is given up."""
    smtp.refuse_sender(refusal)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    queue_confirmations(app, 3)
    with app.app_context():
        report = deliver_due()
    assert (report.sent, report.retrying, report.failed) == (0, 3, 0)
    rows = outbox(app)
    assert [(row.status, row.attempts) for row in rows] == [(DeliveryStatus.QUEUED, 0)] * 3
    assert all(refusal.split()[0] in row.last_error for row in rows)


@pytest.mark.processes
def test_a_claim_that_ran_out_never_lets_two_workers_send_one_message(mail_app, smtp, database_url):
    """A 6 s lease, a server that takes a second per message, two workers that each claim
    all that is due: the first's claims run out while it is still sending, the second
    claims those messages, and still each message goes out exactly once."""
    count = 10
    queue_confirmations(mail_app, count)
    smtp.delay = 1.0
    # The shortest lease one message allows: twelve times the timeout (see config).
    short_lease = {"MAIL_LEASE_SECONDS": "6", "MAIL_TIMEOUT": "0.45"}
    arguments = ("--loop", "--interval", "0.1", "--batch", "50")
    workers = [
        mail_worker(database_url, smtp.port, *arguments, environment=short_lease) for _ in range(2)
    ]
    try:
        wait_for(
            lambda: statuses(mail_app) == {DeliveryStatus.SENT: count},
            seconds=30,
            what=f"not all sent: {statuses(mail_app)}",
        )
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=20) for process in workers]
    copies = Counter(message["Message-ID"] for message in smtp.received)
    assert len(copies) == count, outputs
    duplicates = {key: number for key, number in copies.items() if number > 1}
    assert not duplicates, f"sent more than once: {duplicates}\n{outputs}"
    assert [process.returncode for process in workers] == [0, 0], outputs
    sent_by_each = [sum(map(int, re.findall(r"^Sent (\d+)", out, re.M))) for out, _ in outputs]
    assert sorted(sent_by_each)[0] > 0, f"one worker sent all: no claim ran out {outputs}"


def stop_within(process, seconds: float) -> tuple[str, str]:
    """SIGTERM, then the worker's output once it has exited; fails if it takes longer."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()
        pytest.fail(f"the worker was still running {seconds} s after SIGTERM: {output}")


@pytest.mark.processes
@pytest.mark.parametrize("silent_from", ["banner", "end of data"])
def test_sigterm_stops_a_worker_that_waits_on_a_silent_smtp_server(app, database_url, silent_from):
    """The server never answers and MAIL_TIMEOUT is 60 s: SIGTERM still ends the worker
    at once. The messages it had not started are queued again, due now, their attempts
    unchanged; the one in flight (the server may have taken it) waits for its lease."""
    queue_confirmations(app, 3)
    with HangingSmtpServer(silent_from) as server:
        process = mail_worker(database_url, server.port, "--loop")
        try:
            assert server.hung.wait(timeout=30), "the worker never reached the server"
            started = time.monotonic()
            output, errors = stop_within(process, 5)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert time.monotonic() - started < 5
    assert process.returncode == 0, errors
    assert output.splitlines()[-1] == "Stopped: 0 sent.", output
    assert "Traceback" not in errors, errors
    now = utcnow()
    with app.app_context():
        lease_ends = now + lease()
    rows = outbox(app)
    not_started = rows if silent_from == "banner" else rows[1:]
    assert all(row.status == DeliveryStatus.QUEUED for row in rows)
    for row in not_started:
        assert (row.attempts, row.claim, row.last_error) == (0, None, None)
        assert row.next_attempt_at <= now
    if silent_from == "end of data":
        in_flight = rows[0]
        assert in_flight.attempts == 1
        assert in_flight.claim is not None
        assert lease_ends - timedelta(seconds=30) < in_flight.next_attempt_at <= lease_ends


@pytest.mark.processes
def test_sigterm_stops_a_worker_that_waits_for_the_servers_goodbye(app, database_url):
    """All three messages went out; the server never answers QUIT. The worker stops at
    once and still counts and records what it sent."""
    queue_confirmations(app, 3)
    with HangingSmtpServer("quit") as server:
        process = mail_worker(database_url, server.port, "--loop")
        try:
            assert server.hung.wait(timeout=30), "the worker never said goodbye"
            output, errors = stop_within(process, 5)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, errors
    assert output.splitlines()[-2:] == ["Sent 3, retrying 0, failed 0.", "Stopped: 3 sent."]
    assert statuses(app) == {DeliveryStatus.SENT: 3}


@pytest.mark.processes
def test_sigterm_stops_a_worker_between_polls(mail_app, smtp, database_url):
    queue_confirmations(mail_app, 1)
    process = mail_worker(database_url, smtp.port, "--loop", "--interval", "600")
    try:
        # Recorded as sent, not merely arrived: until the worker has the server's reply,
        # the message is in flight, and a stop then leaves it to its lease.
        wait_for(
            lambda: statuses(mail_app) == {DeliveryStatus.SENT: 1}, seconds=30, what="not sent"
        )
        output, errors = stop_within(process, 5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    assert output.splitlines()[-1] == "Stopped: 1 sent.", output


def connection_lost() -> OperationalError:
    """As SQLAlchemy reports a connection the server ended mid-statement. The statement's
    values hold a person's address, which must never reach the worker's log."""
    return OperationalError(
        "UPDATE outbox_message SET recipient=%(recipient)s",
        {"recipient": "p0@example.org"},
        psycopg.OperationalError("terminating connection due to administrator command"),
        connection_invalidated=True,
    )


def test_the_loop_waits_out_database_errors_with_growing_pauses(mail_app, smtp, monkeypatch):
    """The reminders step and delivery fail on lost connections: each time the loop rolls
    back, says so in one line, and waits 1 s, doubling up to 30 s; a good round resets it."""
    queue_confirmations(mail_app, 2)
    reminder_failures = [connection_lost()]
    delivery_failures = [PendingRollbackError("Can't reconnect until invalid transaction")]
    delivery_failures += [connection_lost() for _ in range(5)]
    pauses: list[float] = []

    def failing(failures: list[Exception], then):
        def run(**arguments):
            if failures:
                db.session.execute(sa.select(OutboxMessage.id))  # a transaction is open
                raise failures.pop(0)
            return then(**arguments)

        return run

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if seconds == 0.5:  # a good round, and nothing more to send: fail once more
            delivery_failures.append(connection_lost())
        if len(pauses) == 9:
            os.kill(os.getpid(), signal.SIGTERM)  # as an operator would

    monkeypatch.setattr(cli, "queue_reminders", failing(reminder_failures, cli.queue_reminders))
    monkeypatch.setattr(cli, "deliver_due", failing(delivery_failures, cli.deliver_due))
    monkeypatch.setattr(cli.time, "sleep", sleep)
    result = mail_app.test_cli_runner().invoke(
        args=["mail", "send-queued", "--loop", "--interval", "0.5"]
    )
    assert result.exit_code == 0, result.output
    assert pauses == [1, 2, 4, 8, 16, 30, 30, 0.5, 1]
    assert result.stdout.splitlines() == ["Sent 2, retrying 0, failed 0.", "Stopped: 2 sent."]
    outage_lines = result.stderr.splitlines()
    assert len(outage_lines) == 8
    assert outage_lines[0] == (
        "Database unavailable (OperationalError: terminating connection due to administrator "
        "command); trying again in 1 s."
    )
    assert outage_lines[1].startswith("Database unavailable (PendingRollbackError: ")
    assert "@" not in result.stderr
    assert len(smtp.received) == 2


def test_a_bug_in_a_statement_is_not_taken_for_an_outage(mail_app, monkeypatch):
    def broken(**arguments):
        raise ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    monkeypatch.setattr(cli, "deliver_due", broken)
    result = mail_app.test_cli_runner().invoke(args=["mail", "send-queued", "--loop"])
    assert isinstance(result.exception, ProgrammingError)


def test_without_loop_a_dead_database_ends_the_command_in_one_line(tmp_path):
    """SQLite: its file can be taken away without touching a shared server."""
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "registration.sqlite3"
    migrate_database(f"sqlite:///{path}", tmp_path)
    app = create_app(app_config(f"sqlite:///{path}"), instance_path=str(tmp_path / "instance"))
    queue_confirmations(app, 1)
    with app.app_context():
        db.engine.dispose()
    folder.rename(tmp_path / "elsewhere")  # the disk went away
    result = app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: the database cannot be used: OperationalError: unable to open database file"
    ]


WORKER_NAME = "koalicja-mail-worker-test"
REFUSED = "is not currently accepting connections"
KILLED = "terminating connection due to administrator command"


@pytest.mark.processes
def test_the_worker_survives_killed_connections_and_a_refusing_database(
    make_app, smtp, database_url, backend, tmp_path
):
    """The real worker on a real PostgreSQL server: its connections are killed, idle and in
    the middle of a statement, again and again; then the database refuses every connection
    for a while, and mail is queued meanwhile. The worker stays up, says what happened in
    one line each time, and delivers every message exactly once."""
    if backend != "postgresql":
        pytest.skip("connections are killed and refused on a PostgreSQL server")
    name = sa.make_url(database_url).database
    admin = sa.create_engine(
        sa.make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    # The test queues mail on one connection of its own, which the outage spares.
    writer = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    with writer.app_context():
        writer_pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.commit()
    errors = tmp_path / "worker.stderr"
    queued = 0

    def admin_run(sql: str, **values) -> list:
        with admin.connect() as connection:
            result = connection.execute(sa.text(sql), {"name": name, **values})
            return list(result) if result.returns_rows else []

    def worker_connections(*, waiting_for_lock: bool = False) -> list:
        return admin_run(
            "SELECT pid FROM pg_stat_activity WHERE datname = :name AND application_name = :app"
            + (" AND wait_event_type = 'Lock'" if waiting_for_lock else ""),
            app=WORKER_NAME,
        )

    def kill_worker_connections() -> None:
        admin_run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND application_name = :app",
            app=WORKER_NAME,
        )

    def outage_lines() -> list[str]:
        return [line for line in errors.read_text().splitlines() if "Database unavailable" in line]

    def queue_and_wait(count: int) -> None:
        nonlocal queued
        queue_confirmations(writer, count)
        queued += count
        wait_for(
            lambda: (
                len(smtp.received) == queued and statuses(writer) == {DeliveryStatus.SENT: queued}
            ),
            seconds=30,
            what=f"{queued - len(smtp.received)} messages not delivered",
        )

    worker = mail_worker(
        database_url,
        smtp.port,
        "--loop",
        "--interval",
        "0.1",
        environment={"PGAPPNAME": WORKER_NAME},
        stderr=errors,
    )
    try:
        queue_and_wait(3)
        for _ in range(3):  # killed while idle, mostly: the pool notices before use
            wait_for(worker_connections, seconds=10, what="the worker did not connect again")
            kill_worker_connections()
        queue_and_wait(1)
        for _ in range(3):  # killed in the middle of a statement
            logged = len(outage_lines())
            with writer.app_context():
                db.session.execute(sa.text("LOCK TABLE outbox_message IN ACCESS EXCLUSIVE MODE"))
                wait_for(
                    lambda: worker_connections(waiting_for_lock=True),
                    seconds=10,
                    what="the worker does not wait for the lock",
                )
                kill_worker_connections()
                wait_for(lambda n=logged: len(outage_lines()) > n, seconds=10, what="not logged")
                db.session.rollback()
            assert outage_lines()[-1] == (
                f"Database unavailable (AdminShutdown: {KILLED}); trying again in 1 s."
            )
            queue_and_wait(1)  # a good round: the next pause starts at 1 s again

        logged = len(outage_lines())
        admin_run(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            admin_run(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> :writer",
                writer=writer_pid,
            )
            queue_confirmations(writer, 3)  # on the spared connection
            wait_for(
                lambda: sum(REFUSED in line for line in outage_lines()[logged:]) >= 2,
                seconds=15,
                what="no refused connection logged",
            )
            assert len(smtp.received) == queued
        finally:
            admin_run(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        during_outage = outage_lines()[logged:]
        queued += 3
        wait_for(
            lambda: statuses(writer) == {DeliveryStatus.SENT: queued},
            seconds=30,
            what="not delivered after the outage",
        )
        assert worker.poll() is None, "the worker exited"
        output, _ = stop_within(worker, 5)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        admin.dispose()
    assert worker.returncode == 0
    assert output.splitlines()[-1] == f"Stopped: {queued} sent.", output
    copies = Counter(message["Message-ID"] for message in smtp.received)
    assert len(copies) == queued == 10, copies
    assert max(copies.values()) == 1, copies
    log = errors.read_text()
    assert "Traceback" not in log, log
    assert "@" not in log, log
    # The first line may be a connection killed mid-statement by the outage's start.
    assert all(REFUSED in line or KILLED in line for line in during_outage), during_outage
    pauses = [line.rsplit("; trying again in ", 1)[1] for line in during_outage]
    assert pauses == ["1 s.", "2 s.", "4 s."][: len(pauses)], during_outage
