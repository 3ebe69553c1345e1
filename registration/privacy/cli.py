"""``flask privacy anonymise``: what ``RETENTION_DAYS`` has made due (docs/privacy.md)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from registration.privacy.retention import Anonymised, anonymise_due

privacy_cli = AppGroup("privacy", help="The participants' personal data.")


@privacy_cli.command("anonymise")
def anonymise() -> None:
    """Anonymise the registrations of events that ended more than RETENTION_DAYS ago."""
    click.echo(summary(anonymise_due(), current_app.config["RETENTION_DAYS"]))


def summary(done: Anonymised, days: int) -> str:
    """One line that says what a run changed."""
    return (
        f"Anonymised {done.registrations} registrations and {done.participants} participants "
        f"of events that ended more than {days} days ago; scrubbed {done.messages} messages "
        f"and {done.audit_entries} audit entries."
    )
