"""The mail worker keeps working (SPEC invariant 5): a silent SMTP server costs it one
timeout, a stop request is obeyed within seconds, a claim that ran out never lets two
workers send the same message, and a database outage is waited out."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import DeliveryStatus, OutboxMessage
from tests.support.mail import HangingSmtpServer, queue_confirmations


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


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
