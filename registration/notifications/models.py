"""The outbox: one row per email, written in the transaction of the change it reports."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registration.database import UTCDateTime, enum_column, utcnow
from registration.extensions import db
from registration.registrations.models import Registration


class MessageKind(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    ALREADY_REGISTERED = "already_registered"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    REMINDER = "reminder"
    #: Written by an organiser to the attendees; subject and body are in the context.
    ORGANISER_MESSAGE = "organiser_message"
    #: The participant asked for a new personal calendar address; this one carries it.
    FEED_REPLACED = "feed_replaced"
    #: The manage link, asked for again on the lost-link page.
    MANAGE_LINK = "manage_link"
    #: The link to the person's own data (``privacy.own_data``), asked for on /privacy.
    DATA_LINK = "data_link"
    #: To a new back-office account: the link to choose a password (``accounts.links``).
    ACCOUNT_INVITATION = "account_invitation"
    #: To a back-office account that forgot its password: the link to choose a new one.
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a kind of email, not a password)
    #: At an event with approval: the request arrived and waits for an organiser.
    PENDING = "pending"
    #: At an event with approval: an organiser declined the request.
    REJECTED = "rejected"
    #: The certificate of attendance, attached, the day after the event (``certificates``).
    CERTIFICATE = "certificate"


#: The kinds about a back-office account, not a registration: no registration, no event.
ACCOUNT_KINDS = frozenset({MessageKind.ACCOUNT_INVITATION, MessageKind.PASSWORD_RESET})


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The delivery worker's question: what is due now?
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # The day-before reminder goes out once per registration, however many workers run.
        Index(
            "uq_outbox_message_reminder",
            "registration_id",
            unique=True,
            sqlite_where=text("kind = 'reminder'"),
            postgresql_where=text("kind = 'reminder'"),
        ),
        # So does the certificate after the event (migration 0018).
        Index(
            "uq_outbox_message_certificate",
            "registration_id",
            unique=True,
            sqlite_where=text("kind = 'certificate'"),
            postgresql_where=text("kind = 'certificate'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "message_kind"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    #: The single address this message goes to; never anyone else's.
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    #: What the message needs beyond the registration, e.g. the waitlist position.
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Left part of the Message-ID; fixed at enqueue so a resend carries the same one.
    #: 128 random bits: unique without an index to say so (migration 0009).
    message_key: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Which worker's claim holds the message now (random per claim); a worker sends
    #: a message only while this is still its own (see ``delivery``).
    claim: Mapped[str | None] = mapped_column(String(32))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The id of the request that queued it (``observability.request_ids``), if any: the
    #: email's ``X-Request-ID`` header, and the worker's log lines about it (0019).
    request_id: Mapped[str | None] = mapped_column(String(64))

    registration: Mapped[Registration | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
