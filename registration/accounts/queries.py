"""What admins read about accounts: the audit log of what organisers did."""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select

from registration.accounts.models import AuditEntry
from registration.database import page_within
from registration.events.models import Event
from registration.extensions import db


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first, and the events its entries name."""

    entries: Pagination
    events: dict[int, Event]


def audit_page(page: int, *, per_page: int) -> AuditPage:
    """The entries of page ``page`` of the log (a page past the last is the last)."""
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    number, _pages = page_within(page, total=total, per_page=per_page)
    entries = db.paginate(
        select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
        page=number,
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )
    event_ids = {entry.event_id for entry in entries.items if entry.event_id is not None}
    events = db.session.scalars(select(Event).where(Event.id.in_(event_ids))) if event_ids else []
    return AuditPage(entries, {event.id: event for event in events})
