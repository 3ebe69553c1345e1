"""Delivery workers as real processes: killed mid-batch, or two at once, nothing lost or doubled."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.extensions import db
from registration.notifications.delivery import deliver_due, lease
from registration.notifications.models import DeliveryStatus, OutboxMessage
from tests.support.mail import mail_worker, queue_confirmations


def statuses(app) -> Counter:
    with app.app_context():
        return Counter(db.session.scalars(sa.select(OutboxMessage.status)))


@pytest.mark.processes
def test_a_worker_killed_mid_batch_loses_nothing(mail_app, smtp, database_url):
    """Killed at an arbitrary moment: at most the one message in flight is sent again,
    with the same Message-ID, so mail systems can drop the copy (docs/emails.md)."""
    queue_confirmations(mail_app, 20)
    smtp.delay = 0.05
    process = mail_worker(database_url, smtp.port, "--batch", "20")
    deadline = time.monotonic() + 30
    while len(smtp.received) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    arrived_before = len(smtp.received)
    assert 6 <= arrived_before < 20, "the worker should have died mid-batch"

    smtp.delay = 0
    with mail_app.app_context():
        # The dead worker's claims expire after the lease; then another worker takes over.
        assert deliver_due(now=utcnow()).sent == 0
        deliver_due(now=utcnow() + lease() + timedelta(seconds=1))
    copies = Counter(message["Message-ID"] for message in smtp.received)
    assert len(copies) == 20, "every message arrived"
    assert sum(copies.values()) - 20 <= 1, f"more than one duplicate: {copies}"
    assert statuses(mail_app) == {DeliveryStatus.SENT: 20}


@pytest.mark.processes
def test_two_workers_deliver_a_batch_exactly_once(mail_app, smtp, database_url, backend):
    """500 messages on PostgreSQL, where several workers are the production set-up; on
    SQLite (one worker is enough there) 100 show that a second one still does no harm."""
    total = 500 if backend == "postgresql" else 100
    queue_confirmations(mail_app, total)
    smtp.delay = 0.002
    processes = [mail_worker(database_url, smtp.port, "--batch", "25") for _ in range(2)]
    outputs = [process.communicate(timeout=240) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    copies = Counter(message["Message-ID"] for message in smtp.received)
    assert len(copies) == total
    assert max(copies.values()) == 1, "a message was sent twice"
    assert sorted(m["X-Envelope-To"] for m in smtp.received) == sorted(
        f"p{number}@example.org" for number in range(total)
    )
    assert statuses(mail_app) == {DeliveryStatus.SENT: total}
    sent_by_each = [out.count("Sent ") for out, _ in outputs]
    print(f"{backend}: batches per worker {sent_by_each}")


def test_send_queued_without_loop_drains_the_queue_and_says_so(mail_app, smtp):
    queue_confirmations(mail_app, 3)
    result = mail_app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0, result.output
    assert "Sent 3, retrying 0, failed 0." in result.output
    assert len(smtp.received) == 3
