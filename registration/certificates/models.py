"""A certificate issued to a registration: its verification code, fixed at first issue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registration.database import UTCDateTime, utcnow
from registration.extensions import db
from registration.registrations.models import Registration

#: "ABCD-EFGH-JKMN": twelve characters of Crockford's base32 in three groups.
CODE_LENGTH = 14


class Certificate(db.Model):
    """One per registration, made the first time its certificate is asked for (the manage
    page, the email after the event, or the organisers' download), so that every copy
    carries the same code."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    #: What the certificate prints and the verification page takes; not a secret (it is
    #: on paper that others see), and it shows no more than the name and the event.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<Certificate {self.id} {self.registration_id}>"
