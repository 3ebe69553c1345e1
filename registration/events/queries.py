"""What organisers read about events: the ones their account manages.

The public listing and look-ups are in ``events.services``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, select

from registration.events.models import Event
from registration.extensions import db

if TYPE_CHECKING:
    from registration.accounts.models import Account


def managed_events(account: Account) -> Select:
    """A query for the events the account may manage: its city's, or all for an admin."""
    query = select(Event)
    if not account.is_admin:
        query = query.where(Event.city_id == account.city_id)
    return query


def upcoming_managed_events(account: Account, *, now: datetime) -> list[Event]:
    """The account's events that have not ended, drafts included, soonest first."""
    query = managed_events(account).where(Event.ends_at > now)
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id)))


def past_managed_events(account: Account, *, now: datetime) -> list[Event]:
    """The account's events that have ended, latest first."""
    query = managed_events(account).where(Event.ends_at <= now)
    return list(db.session.scalars(query.order_by(Event.starts_at.desc(), Event.id.desc())))
