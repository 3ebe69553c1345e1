"""The day-before reminder: queued once per confirmed seat."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications import outbox
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration, RegistrationStatus

#: A reminder goes out once the event is at most this far ahead.
AHEAD = timedelta(hours=24)


def queue_reminders(*, now: datetime | None = None) -> int:
    """Queue a reminder for each confirmed registration of an event starting within a day.

    People who registered within that last day just had their confirmation and
    are not reminded again. A unique index allows one reminder per registration,
    so two runs at once cannot queue it twice.

    :return: how many reminders were queued
    """
    now = now or utcnow()
    already_reminded = exists().where(
        OutboxMessage.registration_id == Registration.id,
        OutboxMessage.kind == MessageKind.REMINDER,
    )
    due = db.session.scalars(
        select(Registration)
        .join(Registration.event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + AHEAD,
            Registration.status == RegistrationStatus.CONFIRMED,
            ~already_reminded,
        )
        .order_by(Registration.id)
    ).all()
    # Compared here, not in SQL: date arithmetic is not portable between the backends.
    due = [r for r in due if r.created_at < r.event.starts_at - AHEAD]
    try:
        for registration in due:
            outbox.enqueue(MessageKind.REMINDER, registration)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another run queued them first
        return 0
    return len(due)
