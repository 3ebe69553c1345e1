"""A person's own data (docs/privacy.md, "A person's own data"): the link to it by email,
what is held about an address, and its erasure.

Knowing an address gives nothing (invariant 6): the link goes only to the address, by
email, and asking for it answers the same, and asks the database the same, whether or
not the address is known. The link is signed with the application's key under a salt of
its own, so no other signed link (a calendar's replacement key) opens it; it names the
participant and the time it was made, and works for ``DATA_LINK_MAX_AGE``. After an
erasure the participant is anonymised, and the link names nobody any more.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, insert, select

from registration.accounts.models import AuditEntry
from registration.accounts.services import record
from registration.data_controller import data_controller
from registration.database import utcnow, write_aside
from registration.email_addresses import normalise_email
from registration.extensions import db
from registration.notifications import outbox
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.privacy import retention
from registration.registrations import services as registrations
from registration.registrations.models import Participant, Registration
from registration.tokens import timed_serializer

#: How long a link to one's data works.
DATA_LINK_MAX_AGE = timedelta(hours=1)
#: How long a link sent stays the last one: more requests in that time send nothing, so
#: that nobody can flood a person's inbox from /privacy.
DATA_LINK_QUIET_PERIOD = timedelta(minutes=10)
_SALT = "privacy-own-data"


class LinkExpired(Exception):
    """The link was genuine, and is older than ``DATA_LINK_MAX_AGE``."""


class LinkInvalid(Exception):
    """The link was not made here, was altered, or names nobody any more."""


# --- The link --------------------------------------------------------------------


def send_data_link(email: str, *, language: str, now: datetime | None = None) -> None:
    """Queue the link to the address's data to the address, if we hold any; at most once
    per ``DATA_LINK_QUIET_PERIOD``.

    The caller answers the same whatever happens here, and an unknown address asks the
    same questions as a known one, so that neither the answer nor its time tells a
    stranger whether an address is known.

    :param language: the language of the email: the one the request was made in
    """
    now = now or utcnow()
    participant = _participant_by_address(email)
    participant_id = participant.id if participant is not None else 0
    latest = db.session.scalar(
        select(Registration)
        .where(Registration.participant_id == participant_id)
        .order_by(Registration.id.desc())
        .limit(1)
    )
    sent_recently = db.session.scalar(
        select(OutboxMessage.id)
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .where(
            Registration.participant_id == participant_id,
            OutboxMessage.kind == MessageKind.DATA_LINK,
            OutboxMessage.created_at > now - DATA_LINK_QUIET_PERIOD,
        )
        .limit(1)
    )
    # The email is about the address, but every email is composed around a registration
    # (its event names the data controller in the footer): the latest one.
    if latest is not None and sent_recently is None:
        outbox.enqueue(MessageKind.DATA_LINK, latest, language=language)


def data_link_key(participant: Participant, *, now: datetime | None = None) -> str:
    """The secret part of the link to the participant's data, made at ``now``."""
    return _serializer(now).dumps(participant.id)


def participant_for_key(key: str, *, now: datetime | None = None) -> Participant:
    """The participant whose data the link opens.

    :raise LinkExpired: a genuine link, too old
    :raise LinkInvalid: anything else that is not a live link
    """
    try:
        participant_id = _serializer(now).loads(key, max_age=DATA_LINK_MAX_AGE.total_seconds())
    except SignatureExpired:
        raise LinkExpired from None
    except (BadData, UnicodeError, ValueError):
        raise LinkInvalid from None
    if not isinstance(participant_id, int) or isinstance(participant_id, bool):
        raise LinkInvalid
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.anonymised_at is not None:
        raise LinkInvalid  # erased since
    return participant


def _serializer(now: datetime | None) -> URLSafeTimedSerializer:
    return timed_serializer(_SALT, now=now)


def _participant_by_address(email: str) -> Participant | None:
    return db.session.scalar(
        select(Participant).where(
            Participant.email == normalise_email(email), Participant.anonymised_at.is_(None)
        )
    )


# --- What is held ----------------------------------------------------------------


def registrations_of(participant: Participant) -> list[Registration]:
    """The participant's registrations, oldest first (anonymised ones are nobody's)."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.participant_id == participant.id)
            .order_by(Registration.id)
        )
    )


def messages_of(participant: Participant) -> list[OutboxMessage]:
    """The emails sent, failed or waiting about the participant's registrations."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .join(Registration, Registration.id == OutboxMessage.registration_id)
            .where(Registration.participant_id == participant.id)
            .order_by(OutboxMessage.id)
        )
    )


def export(participant: Participant) -> dict:
    """Everything held about the participant's address, as JSON: the participant, each
    registration with its event and consent, and each message. No secrets: the manage
    token, check-in code and feed address are keys, not data about the person."""
    return {
        "email": participant.email,
        "name": participant.name,
        "language": participant.language,
        "created_at": _time(participant.created_at),
        "registrations": [_registration(r) for r in registrations_of(participant)],
        "messages": [_message(m) for m in messages_of(participant)],
    }


def record_export(participant: Participant) -> None:
    """Write the audit entry of a download; from a GET, beside its read (``write_aside``)."""
    write_aside(
        insert(AuditEntry).values(
            action="privacy.exported",
            details={"registrations": len(registrations_of(participant))},
            created_at=utcnow(),
        )
    )


def _registration(registration: Registration) -> dict:
    event = registration.event
    return {
        "id": registration.id,
        "event": {
            "id": event.id,
            "title": event.title,
            "starts_at": _time(event.starts_at),
            "ends_at": _time(event.ends_at),
            "city": event.city.name,
            "data_controller": data_controller(event).name,
        },
        "status": registration.status.value,
        "full_name": registration.full_name,
        "email": registration.email,
        "institution": registration.institution,
        "position": registration.position,
        "category": registration.category.value,
        "city": registration.city,
        "needs": registration.needs,
        "language": registration.language,
        "consent": {
            "given_at": _time(registration.consent_at),
            "version": registration.consent_version,
        },
        "created_at": _time(registration.created_at),
        "cancelled_at": _time(registration.cancelled_at),
        "checked_in_at": _time(registration.checked_in_at),
    }


def _message(message: OutboxMessage) -> dict:
    return {
        "kind": message.kind.value,
        "registration_id": message.registration_id,
        "recipient": message.recipient,
        "language": message.language,
        "status": message.status.value,
        "created_at": _time(message.created_at),
        "sent_at": _time(message.sent_at),
    }


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- Erasure ---------------------------------------------------------------------


def given_up_by_erasure(held: list[Registration], *, now: datetime) -> list[Registration]:
    """The seats and places an erasure gives up first: those the person could still
    cancel (not cancelled already, at an event not under way, over or called off)."""
    return [r for r in held if registrations.cancel_open(r, now=now)]


@dataclass(frozen=True)
class Erased:
    #: Seats and places given up, through the seat operation.
    cancelled: int
    registrations: int
    messages: int
    #: Messages that were still waiting and are no longer sent.
    withdrawn: int


def erase(participant: Participant, *, now: datetime | None = None) -> Erased:
    """Erase everything held about the participant's address; commits.

    First, in one transaction, the messages still waiting for the person are withdrawn,
    and each seat or place at an event not yet started is given up through the seat
    operation (``registrations.services.cancel``): the waitlist moves as usual, and the
    cancellation emails are queued. Then, in a second one, every registration and the
    participant are anonymised (``retention.anonymise_participant``): the cancellations
    still go out, to the address they were queued for, and are scrubbed once sent. An
    erasure interrupted between the two is finished by the next attempt, or by the link
    still working until then.
    """
    now = now or utcnow()
    participant_id = participant.id
    held = registrations_of(participant)
    withdrawn = db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.registration_id.in_([r.id for r in held]),
            OutboxMessage.status == DeliveryStatus.QUEUED,
        )
    ).rowcount
    cancelled = 0
    # One event lock after another, in the order of their ids (registrations.services).
    for registration in sorted(given_up_by_erasure(held, now=now), key=lambda r: r.event_id):
        try:
            registrations.cancel(registration, now=now)
        except registrations.RegistrationError:
            continue  # it started meanwhile: anonymised as it is
        cancelled += 1
    db.session.commit()

    done = retention.anonymise_participant(participant_id, now=now)
    erased = Erased(
        cancelled=cancelled,
        registrations=done.registrations,
        messages=done.messages,
        withdrawn=withdrawn,
    )
    record(None, "privacy.erased", **asdict(erased))
    db.session.commit()
    return erased
