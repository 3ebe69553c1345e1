"""``flask mail send-queued [--loop]``, ``flask mail send-reminders`` and
``flask mail send-certificates``.

The loop also runs the periodic jobs (``periodic_jobs``): the day-before reminders, the
certificates of attendance the day after, the anonymisation that ``RETENTION_DAYS``
makes due and the release of the city allocations whose time has come, each within
minutes of its being due. All may run in several workers at once: each does only what
no other has done.

The loop keeps working through what goes wrong around it: a database that
drops its connections or refuses new ones is waited for (1 s, doubling up to
30 s, one line on stderr each time), and SIGTERM or SIGINT stop it within
seconds, even while an SMTP server keeps it waiting (see ``delivery``).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
    SQLAlchemyError,
)

from registration.certificates.services import queue_certificate_emails
from registration.events.cli import summary as released_summary
from registration.extensions import db
from registration.notifications.delivery import Stopped, StopRequest, deliver_due
from registration.notifications.reminders import queue_reminders
from registration.observability.heartbeat import Heartbeat
from registration.privacy.cli import summary
from registration.privacy.retention import anonymise_due
from registration.registrations.services import release_due_allocations

mail_cli = AppGroup("mail", help="Deliver queued email.")

REMINDER_EVERY_SECONDS = 600
#: The certificates go the day after the event: any time that day will do.
CERTIFICATES_EVERY_SECONDS = 600
#: A check finds nothing due but once in a while, and costs a few queries.
ANONYMISE_EVERY_SECONDS = 600
#: A release is due at a moment people wait for (their seat may come with it), and the
#: check is one query when nothing is due.
RELEASE_EVERY_SECONDS = 60
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: After a database error the loop waits this long, doubling each time, up to the longest.
OUTAGE_FIRST_WAIT_SECONDS = 1.0
OUTAGE_LONGEST_WAIT_SECONDS = 30.0


@mail_cli.command("send-queued")
@click.option("--loop", is_flag=True, help="Keep polling the outbox until stopped.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=50, show_default=True, help="Messages claimed at a time.")
def send_queued(loop: bool, interval: float, batch: int) -> None:
    """Deliver the outbox; safe to run as several processes at once."""
    stop = StopRequest()
    total_sent = 0
    jobs = periodic_jobs() if loop else []
    # A long-running worker tells every web host that it is alive (``/readyz``).
    heartbeat = Heartbeat() if loop else None
    beating = False
    outage_wait = 0.0
    with _signals_handled_by(stop), suppress(Stopped), _heartbeat_removed(heartbeat):
        while True:
            stop.check()
            try:
                if heartbeat is not None and not beating:
                    heartbeat.start()
                    beating = True
                for job in jobs:
                    clock = time.monotonic()
                    due = clock >= job.due_at
                    said = job.run_if_due(clock)
                    if due and heartbeat is not None:
                        heartbeat.count_job()
                    if said:
                        click.echo(said)
                report = deliver_due(batch_size=batch, stop=stop)
                if heartbeat is not None:
                    if report.handled:
                        heartbeat.count_batch(report.sent)
                    heartbeat.beat(force=bool(report.handled))
            except (DBAPIError, PendingRollbackError) as error:
                if not database_unavailable(error):
                    raise  # a bug, not an outage
                _forget_transaction()
                if not loop:
                    raise click.ClickException(
                        f"the database cannot be used: {describe(error)}"
                    ) from None
                outage_wait = min(
                    max(2 * outage_wait, OUTAGE_FIRST_WAIT_SECONDS), OUTAGE_LONGEST_WAIT_SECONDS
                )
                click.echo(
                    f"Database unavailable ({describe(error)}); trying again in {outage_wait:g} s.",
                    err=True,
                )
                _pause(outage_wait, stop)
                continue
            outage_wait = 0.0
            total_sent += report.sent
            if report.handled:
                click.echo(
                    f"Sent {report.sent}, retrying {report.retrying}, failed {report.failed}."
                )
                for error in sorted(set(report.errors)):
                    click.echo(f"  {error}", err=True)
            if not loop and report.handled == 0:
                break
            if not report.handled or report.retrying:
                _pause(interval, stop)
    click.echo(f"{'Stopped' if stop.requested else 'Done'}: {total_sent} sent.")


@dataclass
class Periodic:
    """A job of the loop: run at once, then again ``every`` seconds after it last ran
    through. One that fails (the database is away) is due again on the next round."""

    every: float
    #: Does the work; returns what to print, if anything.
    work: Callable[[], str | None]
    due_at: float = 0.0

    def run_if_due(self, clock: float) -> str | None:
        """Run the job if ``clock`` (``time.monotonic()``) has reached its time."""
        if clock < self.due_at:
            return None
        said = self.work()
        self.due_at = clock + self.every
        return said


def periodic_jobs() -> list[Periodic]:
    """What ``send-queued --loop`` runs beside delivering, each with its own schedule."""
    return [
        Periodic(REMINDER_EVERY_SECONDS, _queue_reminders),
        Periodic(ANONYMISE_EVERY_SECONDS, _anonymise),
        Periodic(RELEASE_EVERY_SECONDS, _release_allocations),
        Periodic(CERTIFICATES_EVERY_SECONDS, _queue_certificates),
    ]


def _queue_reminders() -> str | None:
    queued = queue_reminders()
    return f"Queued {queued} reminders." if queued else None


def _queue_certificates() -> str | None:
    queued = queue_certificate_emails()
    return f"Queued {queued} certificates." if queued else None


def _anonymise() -> str | None:
    """Anonymise what is due; the run is recorded in the audit log if it changed anything."""
    done = anonymise_due(always_record=False)
    return summary(done, current_app.config["RETENTION_DAYS"]) if done.anything else None


def _release_allocations() -> str | None:
    """Release the city allocations that are due; each release is in the audit log."""
    released = release_due_allocations()
    return released_summary(released) if released else None


@mail_cli.command("send-certificates")
def send_certificates() -> None:
    """Queue the certificates of attendance of events that ended (each only once)."""
    click.echo(f"Queued {queue_certificate_emails()} certificates.")


@mail_cli.command("send-reminders")
def send_reminders() -> None:
    """Queue the day-before reminders that are due (each only once)."""
    click.echo(f"Queued {queue_reminders()} reminders.")


def database_unavailable(error: Exception) -> bool:
    """Whether ``error`` is the database's trouble rather than the statement's.

    That is a lost or refused connection, anything else the driver calls
    operational (a deadlock, a SQLite file locked for too long), an interface
    error, or the unfinished transaction one of those left behind: worth waiting
    out. A statement that is wrong is a bug, and retrying it would hide it.
    """
    if isinstance(error, OperationalError | InterfaceError | PendingRollbackError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def describe(error: Exception) -> str:
    """The first line of what the driver said: never the statement or its values, which
    may carry people's addresses and names."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}".strip()


def _forget_transaction() -> None:
    """Roll back what the lost connection left behind; that too may fail, telling nothing new."""
    with suppress(SQLAlchemyError):
        db.session.rollback()
    with suppress(SQLAlchemyError):
        db.session.close()


@contextmanager
def _heartbeat_removed(heartbeat: Heartbeat | None) -> Iterator[None]:
    """Remove the worker's heartbeat when it stops, if the database lets us."""
    try:
        yield
    finally:
        if heartbeat is not None:
            _forget_transaction()
            with suppress(SQLAlchemyError):
                heartbeat.stop()


def _pause(seconds: float, stop: StopRequest) -> None:
    with stop.interruptible():
        time.sleep(seconds)


@contextmanager
def _signals_handled_by(stop: StopRequest) -> Iterator[None]:
    previous = {number: signal.signal(number, stop.handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
