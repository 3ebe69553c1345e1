"""Organiser accounts, API tokens and the audit log."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registration.database import UTCDateTime, enum_column, utcnow
from registration.email_addresses import MAX_EMAIL_LENGTH
from registration.events.models import City, Event
from registration.extensions import db
from registration.i18n import WARSAW

#: The longest name of an API token.
MAX_TOKEN_NAME_LENGTH = 100


#: The longest name an account may have.
MAX_ACCOUNT_NAME_LENGTH = 200


class Role(enum.StrEnum):
    #: The coordinator office: every city, every event, the audit log.
    ADMIN = "admin"
    #: A city's culture operator: the events of one city and their attendees.
    ORGANISER = "organiser"
    #: A door volunteer: finds people and checks them in at one city's events, nothing
    #: else (``backoffice.access.CHECK_IN_ENDPOINTS``).
    CHECK_IN = "check_in"

    @property
    def has_city(self) -> bool:
        """Whether an account of this role works for one city (every role but admin)."""
        return self != Role.ADMIN


class Account(UserMixin, db.Model):
    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("email = lower(trim(email))", name="email_normalised"),
        CheckConstraint("role = 'admin' OR city_id IS NOT NULL", name="organiser_has_city"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH), unique=True)
    #: The person's name, given when invited; accounts made before have none.
    name: Mapped[str | None] = mapped_column(String(MAX_ACCOUNT_NAME_LENGTH))
    #: argon2id hash; never the password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "account_role"))
    #: The city whose events an organiser runs, or door staff check people in at;
    #: none for admins.
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    city: Mapped[City | None] = relationship(lazy="joined")

    #: The secret of the browser session this object was signed in or loaded with (see
    #: ``services.start_session``); not a column.
    session_secret = None

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.role}>"

    def get_session_secret(self) -> str | None:
        """What Flask-Login keeps in the session cookie where it would keep the account's
        id (``LoginManager.id_attribute``): a cookie then names a session, which the
        server can end. ``get_id``, and with it equality, stays the account's id."""
        return self.session_secret

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_check_in(self) -> bool:
        """Door staff: the check-in pages of their city's events, and their own account."""
        return self.role == Role.CHECK_IN

    def can_manage(self, event: Event) -> bool:
        """Admins manage every event; an organiser those of their own city."""
        return self.is_admin or event.city_id == self.city_id


class AccountSession(db.Model):
    """A signed-in browser, known to the server: signing out or deactivating the account
    deletes the row, and a copy of the session cookie stops working with it.

    The cookie carries a random secret; only its SHA-256 digest is stored here.
    """

    __tablename__ = "account_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(lazy="joined")


class ApiToken(db.Model):
    """A bearer token for the organiser API, stored only as its SHA-256 digest.

    The token is 256 random bits, so a fast hash is enough: there is nothing
    to guess from it, unlike a password.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the token is for, as its owner named it ("CLI" for tokens made before names).
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this moment the token gives 401, as a revoked one does; none: until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(lazy="joined")

    @property
    def last_day(self) -> date | None:
        """The last day (in Warsaw) the token works, as it was given; none: until revoked."""
        if self.expires_at is None:
            return None
        return (self.expires_at.astimezone(WARSAW) - timedelta(microseconds=1)).date()

    def is_live(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditEntry(db.Model):
    """Who did what, when: every organiser action, for the admins."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    #: A dotted verb, e.g. "event.publish", "registration.check_in".
    action: Mapped[str] = mapped_column(String(60))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    #: What changed, e.g. {"capacity": [20, 25]}.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account | None] = relationship(lazy="joined")
