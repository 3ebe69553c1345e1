"""The mail worker's loop runs the anonymisation that RETENTION_DAYS makes due, beside the
reminders, each on its own schedule (docs/operations.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.extensions import db
from registration.notifications.cli import ANONYMISE_EVERY_SECONDS, Periodic, periodic_jobs
from registration.registrations.models import Registration
from tests.factories import make_event, make_registration


def test_a_job_runs_at_once_then_once_per_period():
    runs = []
    job = Periodic(600, lambda: runs.append(1) or f"run {len(runs)}")
    assert job.run_if_due(1000.0) == "run 1"
    assert job.run_if_due(1000.0) is None
    assert job.run_if_due(1599.9) is None
    assert job.run_if_due(1600.0) == "run 2"
    assert len(runs) == 2


def test_a_job_that_fails_is_due_again_at_once():
    """A database outage raises out of the job; the loop waits it out and tries again."""
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database away")
        return None

    job = Periodic(600, flaky)
    with pytest.raises(RuntimeError):
        job.run_if_due(0.0)
    assert job.run_if_due(1.0) is None
    assert len(attempts) == 2


def test_the_loop_anonymises_within_minutes_of_it_being_due(app):
    assert ANONYMISE_EVERY_SECONDS <= 15 * 60
    with app.app_context():
        starts_at = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] + 1)
        event = make_event(starts_at=starts_at)
        due = make_registration(event, now=starts_at - timedelta(days=1)).id
        db.session.commit()

        said = [job.run_if_due(0.0) for job in periodic_jobs()]

        assert any(line and line.startswith("Anonymised 1 registrations") for line in said)
        assert db.session.get(Registration, due).anonymised_at is not None
        # A later check that finds nothing due writes no audit entry: only runs that did.
        assert all(job.run_if_due(ANONYMISE_EVERY_SECONDS) is None for job in periodic_jobs())
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions.count("privacy.anonymised") == 1


def test_the_command_line_loop_has_the_anonymisation(app):
    works = {job.work.__name__ for job in periodic_jobs()}
    assert works == {
        "_queue_reminders",
        "_anonymise",
        "_queue_certificates",
        "_release_allocations",
    }
