"""``flask mail send-queued [--loop]`` and ``flask mail send-reminders``.

SIGTERM or SIGINT stop the worker within seconds, even while an SMTP server
keeps it waiting (see ``delivery.StopRequest``).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import click
from flask.cli import AppGroup

from registration.notifications.delivery import Stopped, StopRequest, deliver_due
from registration.notifications.reminders import queue_reminders

mail_cli = AppGroup("mail", help="Deliver queued email.")

REMINDER_EVERY_SECONDS = 600
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@mail_cli.command("send-queued")
@click.option("--loop", is_flag=True, help="Keep polling the outbox until stopped.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=50, show_default=True, help="Messages claimed at a time.")
def send_queued(loop: bool, interval: float, batch: int) -> None:
    """Deliver the outbox; safe to run as several processes at once."""
    stop = StopRequest()
    total_sent = 0
    next_reminders = 0.0
    with _signals_handled_by(stop), suppress(Stopped):
        while True:
            stop.check()
            if loop and time.monotonic() >= next_reminders:
                queued = queue_reminders()
                if queued:
                    click.echo(f"Queued {queued} reminders.")
                next_reminders = time.monotonic() + REMINDER_EVERY_SECONDS
            report = deliver_due(batch_size=batch, stop=stop)
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


@mail_cli.command("send-reminders")
def send_reminders() -> None:
    """Queue the day-before reminders that are due (each only once)."""
    click.echo(f"Queued {queue_reminders()} reminders.")


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
