"""Participants and registrations (docs/registrations.md)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registration.database import UTCDateTime, enum_column, utcnow
from registration.email_addresses import MAX_EMAIL_LENGTH
from registration.events.models import City, Event
from registration.extensions import db
from registration.tokens import new_secret

#: Statuses that hold a seat, a place in line, or a request an organiser has yet to decide
#: (``pending``). At most one per event and email.
ACTIVE_STATUSES = ("confirmed", "waitlisted", "pending")
_ACTIVE_SQL = "status IN ('confirmed', 'waitlisted', 'pending')"
#: Statuses of people who are in: a seat or a place in line, with the event's details.
PLACE_STATUSES = ("confirmed", "waitlisted")


class Category(enum.StrEnum):
    CULTURE_STAFF = "culture_staff"
    OFFICIAL = "official"
    NGO = "ngo"
    OTHER = "other"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    #: At an event with approval: asked for a seat, holds none until an organiser decides.
    PENDING = "pending"
    #: At an event with approval: an organiser declined the request.
    REJECTED = "rejected"


class Participant(db.Model):
    """A person, known by a normalised email address."""

    __tablename__ = "participant"
    __table_args__ = (
        CheckConstraint("email = lower(trim(email))", name="email_normalised"),
        CheckConstraint("language IN ('pl', 'en')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Language of the emails about the person as a whole (their calendar address):
    #: that of their first registration, or the one they used to ask for such an email.
    language: Mapped[str] = mapped_column(String(2), default="pl")
    #: Secret part of the personal calendar feed's URL.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_secret)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the address and name were replaced (``privacy.retention``): once the person's
    #: every registration is anonymised, or they erased their data.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Participant {self.id}>"


class Registration(db.Model):
    """One person's claim on a seat of one event, or on a place in its waitlist."""

    __tablename__ = "registration"
    __table_args__ = (
        CheckConstraint("email = lower(trim(email))", name="email_normalised"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name="cancelled_at_iff_cancelled",
        ),
        # Invariant 3: one active registration per event and normalised email.
        Index(
            "uq_registration_active_email",
            "event_id",
            "email",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        # Seat counts and the waitlist order are read by event and status.
        Index("ix_registration_event_status", "event_id", "status", "id"),
        # An institution's registrations at an event are counted under the event's lock.
        Index("ix_registration_event_institution", "event_id", "institution_key"),
        # An index, not a constraint: SQLite adds one without copying the table (0007).
        Index("uq_registration_check_in_code", "check_in_code", unique=True),
    )

    #: Also the order of arrival: ids are taken under the event's lock.
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))
    institution: Mapped[str] = mapped_column(String(200))
    #: Job title; optional.
    position: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[Category] = mapped_column(enum_column(Category, "registration_category"))
    #: Where the person works, as they wrote it.
    city: Mapped[str] = mapped_column(String(100))
    #: The coalition city the person works for; ``None``: another city (named in ``city``).
    #: City allocations and reports go by it; anonymising keeps it.
    home_city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id"))
    #: ``institution`` folded for comparison (``registrations.institutions``), which the
    #: institution cap counts by; ``None`` once anonymised.
    institution_key: Mapped[str | None] = mapped_column(String(200))
    #: Accessibility or dietary needs; optional. A few sentences, not a letter.
    needs: Mapped[str | None] = mapped_column(Text, info={"max_length": 1000})
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Which wording of the consent text the person agreed to.
    consent_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, "registration_status")
    )
    #: Secret part of the manage link /r/{token}.
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_secret)
    #: Secret on the ticket's QR code: it checks the person in, for an organiser of
    #: the event, and does nothing else (docs/registrations.md, pages). Never the manage token.
    check_in_code: Mapped[str] = mapped_column(String(64), default=new_secret)
    #: Language of this registration's emails, as chosen when registering. Kept per
    #: registration: a registration made in someone's name changes none of theirs.
    language: Mapped[str] = mapped_column(String(2), default="pl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the person first joined the waitlist, and when a seat came to them from it:
    #: the waitlist's outcomes, for reports.
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When an organiser approved or rejected a pending request.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The first check-in, on whichever day; each day's is an ``Attendance``.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the personal data were replaced (``privacy.retention``); what reports count
    #: (status, category, home city, attendance, dates) stays.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)
    home_city: Mapped[City | None] = relationship(lazy="joined")
    participant: Mapped[Participant] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def online_url(self) -> str | None:
        """The event's link for online participation, as far as this registration may see
        it: the link is for registered people, so only while it holds a seat or a place."""
        return self.event.online_url if self.status in PLACE_STATUSES else None


class Attendance(db.Model):
    """A confirmed person present on one day of an event: a check-in at the door.

    One row per registration and Warsaw calendar day, so a multi-day study visit
    records each day, and a second tap on the same day changes nothing.
    """

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("registration_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    #: The day in Warsaw on which the person was checked in.
    day: Mapped[date] = mapped_column(Date)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who checked the person in (``None``: an account since removed, or before 0015).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<Attendance {self.registration_id} {self.day}>"
