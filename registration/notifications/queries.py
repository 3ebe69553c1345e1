"""What organisers read about the outbox: mail still waiting, mail that failed, and each
person's last email."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, select

from registration.events.models import Event
from registration.extensions import db
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.registrations.models import Registration

if TYPE_CHECKING:
    from registration.accounts.models import Account


class Undelivered(NamedTuple):
    """Messages not sent (yet): still queued, or given up on."""

    queued: int
    failed: int


def undelivered(account: Account) -> Undelivered:
    """The undelivered messages about the events the account manages (all, for an admin)."""
    query = (
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .join(Registration, OutboxMessage.registration_id == Registration.id)
        .join(Event, Registration.event_id == Event.id)
        .where(OutboxMessage.status != DeliveryStatus.SENT)
        .group_by(OutboxMessage.status)
    )
    if not account.is_admin:
        query = query.where(Event.city_id == account.city_id)
    counts = dict(db.session.execute(query).all())
    return Undelivered(counts.get(DeliveryStatus.QUEUED, 0), counts.get(DeliveryStatus.FAILED, 0))


class LastEmail(NamedTuple):
    """The newest email queued for one registration, as the attendee list shows it."""

    id: int
    kind: MessageKind
    status: DeliveryStatus
    #: Why the last attempt failed (for a message still queued: why it waits again).
    error: str | None
    created_at: datetime
    sent_at: datetime | None


def last_emails(event_id: int) -> dict[int, LastEmail]:
    """Each registration's newest email, by registration id, for the event's people."""
    newest = (
        select(func.max(OutboxMessage.id))
        .join(Registration, OutboxMessage.registration_id == Registration.id)
        .where(Registration.event_id == event_id)
        .group_by(OutboxMessage.registration_id)
    )
    rows = db.session.execute(
        select(
            OutboxMessage.registration_id,
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.last_error,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
        ).where(OutboxMessage.id.in_(newest))
    )
    return {
        registration_id: LastEmail(
            id, MessageKind(kind), DeliveryStatus(status), error, created, sent
        )
        for registration_id, id, kind, status, error, created, sent in rows
    }
