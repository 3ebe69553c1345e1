"""``flask demo load``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from registration.demo.data import load_demo
from registration.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def load_command() -> None:
    """Load demo events for the seven cities (safe to run again)."""
    created = load_demo()
    db.session.commit()
    if created:
        click.echo(f"Loaded {created} demo events.")
    else:
        click.echo("Demo events are already loaded.")
