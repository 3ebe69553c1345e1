"""Cities and events (docs/registrations.md)."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registration.database import UTCDateTime, enum_column, utcnow
from registration.email_addresses import MAX_EMAIL_LENGTH
from registration.extensions import db


class EventType(enum.StrEnum):
    STUDY_VISIT = "study_visit"
    SEMINAR = "seminar"
    EXPERT_MEETING = "expert_meeting"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class EventLanguage(enum.StrEnum):
    """The language an event is held in; its texts are taken to be written in it too."""

    POLISH = "pl"
    ENGLISH = "en"


class City(db.Model):
    __tablename__ = "city"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The city's name as Poles write it, e.g. "Łódź".
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: ASCII form for URLs and filters, e.g. "lodz".
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    #: True for the seven member cities of Koalicja Miast.
    coalition: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<City {self.slug}>"


class EventRules:
    """When an event takes registrations: rules shared by ``Event`` and by the lighter
    ``registrations.services.LockedEvent``, which both have ``status``, ``starts_at``,
    ``ends_at``, ``registration_opens_at`` and ``registration_closes_at``."""

    @property
    def registration_closes(self) -> datetime:
        """When registration ends: the explicit close, or the start of the event."""
        return self.registration_closes_at or self.starts_at

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    def has_started(self, now: datetime) -> bool:
        return now >= self.starts_at

    def seats_open(self, now: datetime) -> bool:
        """Whether organisers may still give, move and add seats: published and not over."""
        return self.is_published and now < self.ends_at

    def registration_open(self, now: datetime) -> bool:
        """Whether the window admits a registration at ``now`` (seats aside)."""
        if not self.is_published or self.has_started(now):
            return False
        if self.registration_opens_at is not None and now < self.registration_opens_at:
            return False
        return now < self.registration_closes

    def takes_registrations(self, now: datetime, seats_left: int) -> bool:
        """Whether a registration would be taken at ``now``: the window is open and there is
        a seat, or a waitlist to join (a full event without one turns everybody away)."""
        return self.registration_open(now) and (seats_left > 0 or self.waitlist)


class Event(EventRules, db.Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL "
            "OR registration_opens_at < registration_closes_at",
            name="registration_window_ordered",
        ),
        CheckConstraint("language IN ('pl', 'en')", name="language_known"),
        Index("ix_event_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[EventType] = mapped_column(enum_column(EventType, "event_type"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: A safe subset of Markdown (``registration.markdown``): paragraphs, lists, links,
    #: bold. Plain text reads as paragraphs. Room for a detailed description, not a book.
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 20_000})
    #: Who may take part, in a line ("Pracownicy instytucji kultury miast koalicji");
    #: empty: no restriction is stated.
    audience: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: What taking part costs, in a line; empty: free.
    cost: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The language the event is held in, and its texts are written in.
    language: Mapped[str] = mapped_column(
        String(2), default=EventLanguage.POLISH.value, server_default=EventLanguage.POLISH.value
    )
    #: The programme by day and hour, as organisers type it (``events.programme``).
    programme: Mapped[str] = mapped_column(
        Text, default="", server_default="", info={"max_length": 10_000}
    )
    #: Travel, accommodation, meals: the same Markdown subset as the description.
    practical_information: Mapped[str] = mapped_column(
        Text, default="", server_default="", info={"max_length": 10_000}
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id"), index=True)
    venue: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Seats that can be confirmed; never fewer than the confirmed registrations. At most
    #: more than any venue of the coalition has, and far from any integer column's end.
    capacity: Mapped[int] = mapped_column(Integer, info={"range": (0, 100_000)})
    #: Whether people may queue for a seat once the event is full.
    waitlist: Mapped[bool] = mapped_column(Boolean, default=True)
    #: NULL: open as soon as the event is published.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: NULL: open until the event starts, wherever it moves.
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    contact_email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))
    #: Key of the data controller (``registration.data_controller``) that organisers chose
    #: among those configured for the event's city; NULL: that city's default.
    data_controller: Mapped[str | None] = mapped_column(String(60))
    #: The event's registrations by status, kept by the database (triggers of
    #: migration 0006), never written here. Deferred: a loaded copy goes stale as
    #: people register, so they are read when asked for.
    confirmed_count: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    waitlisted_count: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    #: Coalition rules (docs/coalition.md). Whether an organiser decides on each request:
    #: registrations are ``pending`` and hold no seat until approved.
    approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: At most this many active registrations per institution; ``None``: no limit.
    institution_cap: Mapped[int | None] = mapped_column(Integer, info={"range": (1, 100_000)})
    #: Until when the city allocations hold; ``None``: ``ALLOCATION_RELEASE_BEFORE`` before
    #: the start, wherever the event moves.
    allocation_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the unused allocated seats joined the common pool (``None``: not yet).
    allocations_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The seats of ``allocations`` together (0: none), written with them by
    #: ``keep_seats_for_cities``: the seat lock reads it with the event's row, where a
    #: query of the allocations made every registration slower (docs/coalition.md).
    allocated_seats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Hours of training the certificates of attendance state; NULL: a one-day event's
    #: length from start to end, and none for an event of several days (``certificates``).
    certificate_hours: Mapped[int | None] = mapped_column(Integer, info={"range": (1, 500)})
    #: iCalendar SEQUENCE: raised whenever time, place or status change.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)
    allocations: Mapped[list[CityAllocation]] = relationship(
        order_by="CityAllocation.city_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug}>"

    def keep_seats_for_cities(self, seats: dict[int, int]) -> None:
        """Keep ``seats`` (by city id; 0 keeps none) for coalition cities; the only way
        allocations are written, so that ``allocated_seats`` stays their sum."""
        kept = {city_id: count for city_id, count in sorted(seats.items()) if count > 0}
        self.allocations = [
            CityAllocation(city_id=city_id, seats=count) for city_id, count in kept.items()
        ]
        self.allocated_seats = sum(kept.values())

    @property
    def allocations_release(self) -> datetime | None:
        """When the city allocations join the common pool; ``None``: the event has none."""
        if not self.allocations:
            return None
        return self.allocation_release_at or self.starts_at - ALLOCATION_RELEASE_BEFORE


#: When an event's city allocations are released unless its organisers chose a time.
ALLOCATION_RELEASE_BEFORE = timedelta(days=7)


class CityAllocation(db.Model):
    """Seats of an event kept for registrants of one coalition city until the release."""

    __tablename__ = "city_allocation"
    __table_args__ = (CheckConstraint("seats > 0", name="seats_positive"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id"), primary_key=True)
    seats: Mapped[int] = mapped_column(Integer)

    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<CityAllocation {self.event_id} {self.city_id} {self.seats}>"
