"""The organiser's first page: upcoming events, seats, waitlists, failed emails."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from registration.backoffice import bp
from registration.backoffice.access import current_account
from registration.database import utcnow
from registration.events.queries import upcoming_managed_events
from registration.notifications.queries import undelivered
from registration.registrations.services import availability


@bp.get("/")
@login_required
def dashboard():
    """Upcoming events of the organiser's city (all cities for admins) and mail trouble."""
    account = current_account()
    events = upcoming_managed_events(account, now=utcnow())
    mail = undelivered(account)
    return render_template(
        "backoffice/dashboard.html",
        events=events,
        seats=availability([event.id for event in events]),
        queued=mail.queued,
        failed=mail.failed,
    )
