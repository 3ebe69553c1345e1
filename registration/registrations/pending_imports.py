"""The rows of an uploaded file waiting in the database for the organiser's confirmation.

In the database, not in a file beside the application: with several application hosts
behind a balancer, the upload and the confirmation may reach different hosts, and each
has an instance folder of its own. ``imports`` reads and writes these rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from registration.database import UTCDateTime, utcnow
from registration.extensions import db


class PendingImport(db.Model):
    """One uploaded file's rows, or, once imported, its outcome alone."""

    __tablename__ = "pending_import"
    __table_args__ = (Index("ix_pending_import_kept_since", "kept_since"),)

    #: SHA-256 of the secret in the preview's address, as API tokens are kept: a copy of
    #: the database gives nobody a working address.
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    send_emails: Mapped[bool]
    #: ``[[number, {field: text}, formula], …]``; emptied once imported.
    rows: Mapped[list] = mapped_column(JSON)
    #: Set when a confirmation takes the rows, so that a second one finds them taken.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What importing did: counts, row numbers and reasons, no personal data.
    outcome: Mapped[dict | None] = mapped_column(JSON)
    #: Since when the rows (or the outcome) wait; they expire ``imports.KEPT_FOR`` later.
    kept_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PendingImport event={self.event_id}>"
