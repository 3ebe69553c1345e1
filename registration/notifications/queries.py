"""What organisers read about the outbox: mail still waiting, and mail that failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, select

from registration.events.models import Event
from registration.extensions import db
from registration.notifications.models import DeliveryStatus, OutboxMessage
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
