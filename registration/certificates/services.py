"""Who gets a certificate, its code, and the email the day after the event.

A registration earns a certificate with its first check-in (an ``Attendance`` row): the
certificate lists the days the person was there. It is issued, and its code fixed, the
first time anybody asks for it; every later copy carries the same code, so a printed
one can always be checked on the verification page.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from registration.certificates.models import Certificate
from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications import outbox
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Attendance, Registration
from registration.registrations.queries import by_surname
from registration.registrations.services import event_days, warsaw_day

#: Crockford's base32: digits and letters without I, L, O and U, which people misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Twelve characters, 60 random bits: not guessable by the verification page's rate.
CODE_CHARACTERS = 12
GROUP = 4
#: What a typed code may be read as: a look-alike letter stands for its digit.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-–—_.]+")
#: A typed code longer than this is nobody's: it is refused before any work is done.
MAX_TYPED = 40

#: The email goes the day after the event ends, or later if no worker ran then, but not
#: for events older than this: a new installation must not mail the whole past.
EMAIL_WINDOW_DAYS = 7


def new_code() -> str:
    """A fresh code, "ABCD-EFGH-JKMN"."""
    characters = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARACTERS))
    return "-".join(characters[i : i + GROUP] for i in range(0, CODE_CHARACTERS, GROUP))


def normalised_code(typed: object) -> str | None:
    """A code as typed ("abcd efgh jkmn", "ABCD-EFGH-JKMN", with an O for a 0) in the form
    stored, or ``None`` when it cannot be one of ours."""
    if not isinstance(typed, str) or len(typed) > MAX_TYPED:
        return None
    bare = _SEPARATORS.sub("", typed).upper().translate(_LOOK_ALIKES)
    if len(bare) != CODE_CHARACTERS or any(character not in ALPHABET for character in bare):
        return None
    return "-".join(bare[i : i + GROUP] for i in range(0, CODE_CHARACTERS, GROUP))


def days_attended(registration: Registration) -> list[date]:
    """The Warsaw days on which the person was checked in, in order."""
    return list(
        db.session.scalars(
            select(Attendance.day)
            .where(Attendance.registration_id == registration.id)
            .order_by(Attendance.day)
        )
    )


def is_checked_in(registration: Registration) -> bool:
    """Whether the person was checked in on at least one day: they earned a certificate."""
    return bool(
        db.session.scalar(select(exists().where(Attendance.registration_id == registration.id)))
    )


def may_download(registration: Registration) -> bool:
    """Whether the person may download their certificate: checked in, data still held."""
    return registration.anonymised_at is None and is_checked_in(registration)


def issue(registration: Registration) -> Certificate:
    """The registration's certificate, made now if it has none yet (in the caller's
    transaction). Two requests at once make one: the second finds the first's."""
    found = certificate_of(registration)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            certificate = Certificate(registration_id=registration.id, code=new_code())
            db.session.add(certificate)
    except IntegrityError:  # issued meanwhile by another request (or, once in 2^60, a code)
        return certificate_of(registration) or issue(registration)
    return certificate


def certificate_of(registration: Registration) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(Certificate.registration_id == registration.id)
    )


def find_by_code(typed: object) -> Certificate | None:
    """The certificate with the code typed, or ``None`` for any other string."""
    code = normalised_code(typed)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


@dataclass(frozen=True)
class Holder:
    """What a certificate says about its person: from the registration, or ``None``
    once the data were removed under the retention policy."""

    registration: Registration
    certificate: Certificate
    days: Sequence[date]


def holders(event: Event) -> list[Holder]:
    """Everybody checked in at ``event`` whose data are still held, by surname, each with
    a certificate (issued now for those who had none)."""
    checked_in = exists().where(Attendance.registration_id == Registration.id)
    people = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.anonymised_at.is_(None),
            checked_in,
        )
    ).all()
    people = sorted(people, key=by_surname)  # as the sign-in sheet and the badges are
    return [Holder(person, issue(person), days_attended(person)) for person in people]


def hours(event: Event) -> float | None:
    """How many hours the certificate states: those the organisers gave, else a one-day
    event's length from start to end; none for an event of several days, whose breaks
    the times do not tell."""
    if event.certificate_hours is not None:
        return event.certificate_hours
    if len(event_days(event.starts_at, event.ends_at)) != 1:
        return None
    return round((event.ends_at - event.starts_at) / timedelta(hours=1) * 2) / 2


def queue_certificate_emails(*, now: datetime | None = None) -> int:
    """Queue the certificate for each person checked in at an event that ended on a
    Warsaw day before today, and at most ``EMAIL_WINDOW_DAYS`` ago.

    Once per registration: a partial unique index (migration 0018) refuses a second
    email, so two workers at once cannot both queue it; the second's run is undone.

    :return: how many were queued
    """
    now = now or utcnow()
    today = warsaw_day(now)
    already_sent = exists().where(
        OutboxMessage.registration_id == Registration.id,
        OutboxMessage.kind == MessageKind.CERTIFICATE,
    )
    checked_in = exists().where(Attendance.registration_id == Registration.id)
    candidates = db.session.scalars(
        select(Registration)
        .join(Registration.event)
        .where(
            Event.status != EventStatus.CANCELLED,
            Event.ends_at <= now,
            Event.ends_at > now - timedelta(days=EMAIL_WINDOW_DAYS + 1),
            Registration.anonymised_at.is_(None),
            checked_in,
            ~already_sent,
        )
        .order_by(Registration.id)
    ).all()
    # The Warsaw day is compared here, not in SQL: SQLite has no time zones.
    due = [
        registration
        for registration in candidates
        if today - timedelta(days=EMAIL_WINDOW_DAYS)
        <= warsaw_day(registration.event.ends_at)
        < today
    ]
    try:
        for registration in due:
            issue(registration)
            outbox.enqueue(MessageKind.CERTIFICATE, registration)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another worker queued them first
        return 0
    return len(due)
