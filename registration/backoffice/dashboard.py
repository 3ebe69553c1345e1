"""The organiser's first page: upcoming events, seats, waitlists, failed emails."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from registration.backoffice import bp
from registration.backoffice.access import current_account, managed_events
from registration.database import utcnow
from registration.events.models import Event
from registration.extensions import db
from registration.notifications.models import DeliveryStatus, OutboxMessage
from registration.registrations.models import Registration
from registration.registrations.services import availability


@bp.get("/")
@login_required
def dashboard():
    """Upcoming events of the organiser's city (all cities for admins) and mail trouble."""
    account = current_account()
    events = list(
        db.session.scalars(
            managed_events(account)
            .where(Event.ends_at > utcnow())
            .order_by(Event.starts_at, Event.id)
        )
    )
    mail_query = (
        select(OutboxMessage.status, func.count(OutboxMessage.id).label("count"))
        .join(Registration, OutboxMessage.registration_id == Registration.id)
        .join(Event, Registration.event_id == Event.id)
        .where(OutboxMessage.status != DeliveryStatus.SENT)
        .group_by(OutboxMessage.status)
    )
    if not account.is_admin:
        mail_query = mail_query.where(Event.city_id == account.city_id)
    mail = {row.status: row.count for row in db.session.execute(mail_query)}
    return render_template(
        "backoffice/dashboard.html",
        events=events,
        seats=availability([event.id for event in events]),
        queued=mail.get(DeliveryStatus.QUEUED, 0),
        failed=mail.get(DeliveryStatus.FAILED, 0),
    )
