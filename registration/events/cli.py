"""``flask events release-allocations``: the city allocations whose time has come
(SPEC section 10, docs/events.md)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from registration.registrations.services import release_due_allocations

events_cli = AppGroup("events", help="Events and their seats.")


@events_cli.command("release-allocations")
def release_allocations() -> None:
    """Release the city allocations whose release time has passed; the seats they kept
    go to the people waiting, in order. Idempotent."""
    click.echo(summary(release_due_allocations()))


def summary(released: list[int]) -> str:
    """One line that says what a run changed."""
    if not released:
        return "Released the city allocations of 0 events."
    ids = ", ".join(str(event_id) for event_id in released)
    noun = "event" if len(released) == 1 else "events"
    return f"Released the city allocations of {len(released)} {noun} (ids {ids})."
