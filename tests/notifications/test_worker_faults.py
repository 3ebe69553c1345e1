"""The mail worker keeps working (SPEC invariant 5): a silent SMTP server costs it one
timeout, a stop request is obeyed within seconds, a claim that ran out never lets two
workers send the same message, and a database outage is waited out."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.extensions import db
from registration.notifications.delivery import deliver_due, lease
from registration.notifications.models import DeliveryStatus, OutboxMessage
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


@pytest.mark.parametrize("silent_from", ["banner", "end of data"])
def test_a_silent_smtp_server_costs_one_timeout_and_no_attempt(make_app, silent_from):
    with HangingSmtpServer(silent_from) as server:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=0.5)
        queue_confirmations(app, 3)
        started = time.monotonic()
        with app.app_context():
            report = deliver_due()
        waited = time.monotonic() - started
    assert server.hung.is_set()
    assert waited < 3, f"the worker waited {waited:.1f} s on a 0.5 s timeout"
    assert (report.sent, report.retrying) == (0, 3)
    assert "timed out" in report.errors[0]
    rows = outbox(app)
    assert [(row.status, row.attempts) for row in rows] == [(DeliveryStatus.QUEUED, 0)] * 3
    assert all("timed out" in row.last_error for row in rows)


@pytest.mark.slow
def test_a_claim_that_ran_out_never_lets_two_workers_send_one_message(mail_app, smtp, database_url):
    """A 3 s lease, a server that takes a second per message, two workers that each claim
    all that is due: the first's claims run out while it is still sending, the second
    claims those messages, and still each message goes out exactly once."""
    count = 8
    queue_confirmations(mail_app, count)
    smtp.delay = 1.0
    short_lease = {"MAIL_LEASE_SECONDS": "3", "MAIL_TIMEOUT": "2"}
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


@pytest.mark.slow
@pytest.mark.parametrize("silent_from", ["banner", "end of data"])
def test_sigterm_stops_a_worker_that_waits_on_a_silent_smtp_server(app, database_url, silent_from):
    """The server never answers and MAIL_TIMEOUT is 30 s: SIGTERM still ends the worker
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


@pytest.mark.slow
def test_sigterm_stops_a_worker_between_polls(mail_app, smtp, database_url):
    queue_confirmations(mail_app, 1)
    process = mail_worker(database_url, smtp.port, "--loop", "--interval", "600")
    try:
        wait_for(lambda: len(smtp.received) == 1, seconds=30, what="nothing sent")
        output, errors = stop_within(process, 5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    assert output.splitlines()[-1] == "Stopped: 1 sent.", output
