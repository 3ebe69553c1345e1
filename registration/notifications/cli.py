"""``flask mail send-queued [--loop]`` and ``flask mail send-reminders``."""

from __future__ import annotations

import signal
import time

import click
from flask.cli import AppGroup

from registration.database import utcnow
from registration.notifications.delivery import deliver_due
from registration.notifications.reminders import queue_reminders

mail_cli = AppGroup("mail", help="Deliver queued email.")

REMINDER_EVERY_SECONDS = 600


@mail_cli.command("send-queued")
@click.option("--loop", is_flag=True, help="Keep polling the outbox until stopped.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=50, show_default=True, help="Messages claimed at a time.")
def send_queued(loop: bool, interval: float, batch: int) -> None:
    """Deliver the outbox; safe to run as several processes at once."""
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True  # finish the message in hand, then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    total_sent = 0
    next_reminders = 0.0
    while True:
        if loop and time.monotonic() >= next_reminders:
            queued = queue_reminders()
            if queued:
                click.echo(f"Queued {queued} reminders.")
            next_reminders = time.monotonic() + REMINDER_EVERY_SECONDS
        report = deliver_due(batch_size=batch, now=utcnow())
        total_sent += report.sent
        if report.handled:
            click.echo(f"Sent {report.sent}, retrying {report.retrying}, failed {report.failed}.")
            for error in sorted(set(report.errors)):
                click.echo(f"  {error}", err=True)
        if stopping or (not loop and report.handled == 0):
            break
        if not report.handled or report.retrying:
            time.sleep(interval)
    click.echo(f"Done: {total_sent} sent.")


@mail_cli.command("send-reminders")
def send_reminders() -> None:
    """Queue the day-before reminders that are due (each only once)."""
    click.echo(f"Queued {queue_reminders()} reminders.")
