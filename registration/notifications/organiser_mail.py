"""What an organiser does with single emails: test a message on themselves, resend one.

Both queue a new outbox row, in the caller's transaction, and the delivery worker
sends it like any other; neither sends anything twice by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from registration.accounts.services import record
from registration.events.models import Event
from registration.extensions import db
from registration.notifications import outbox
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.registrations.errors import NothingToResend, ResendRefused
from registration.registrations.models import Registration
from registration.registrations.services import lock_event

if TYPE_CHECKING:
    from registration.accounts.models import Account

#: Kinds that go once per registration (a unique index says so): no copy of them.
ONCE_ONLY = (MessageKind.REMINDER, MessageKind.CERTIFICATE)
#: What a copy leaves out of the original's context: a resend belongs to no send-out,
#: so that the send-out's counts stay those of the people it went to.
_NOT_COPIED = ("batch", "test", "resend_of")


def send_test(event: Event, *, subject: str, body: str, language: str, account: Account) -> None:
    """Queue the organiser's message once, to the organiser's own address, marked as a test.

    It belongs to no registration and to no send-out (``compose`` makes up the person),
    so it is counted nowhere and shows no participant's links.
    """
    row = outbox.queued_message(
        MessageKind.ORGANISER_MESSAGE,
        recipient=account.email,
        language=language,
        context={
            "test": True,
            "event_id": event.id,
            "organiser_subject": subject,
            "organiser_body": body,
        },
    )
    db.session.execute(insert(OutboxMessage.__table__), {"registration_id": None, **row})
    record(account, "event.message_test", event=event, subject=subject)


def can_resend(kind: MessageKind, status: DeliveryStatus) -> bool:
    """Whether an email of this kind and state may be sent again (see ``resend``)."""
    return status != DeliveryStatus.QUEUED and kind not in ONCE_ONLY


def last_message(registration: Registration) -> OutboxMessage | None:
    """The newest email queued for the registration, whatever its state."""
    return db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.registration_id == registration.id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


def resend(registration: Registration, message_id: int, *, account: Account) -> OutboxMessage:
    """Queue a copy of the registration's last email, to the person's address now.

    Only the last email, and only once it is sent or failed: a copy is the new last
    email, so a second click (or a reload) on the same one queues nothing more.

    :param message_id: the email the organiser saw as the last one
    :return: the copy, queued
    :raise NothingToResend: that email is not the last one any more, or still waits
    :raise ResendRefused: the kind goes once only, or the registration is anonymised
    """
    lock_event(registration.event_id)  # two clicks at once: the second waits, then finds the copy
    original = last_message(registration)
    if original is None or original.id != message_id or original.status == DeliveryStatus.QUEUED:
        raise NothingToResend
    if original.kind in ONCE_ONLY or registration.anonymised_at is not None:
        raise ResendRefused
    context = {k: v for k, v in original.context.items() if k not in _NOT_COPIED}
    outbox.enqueue(
        original.kind,
        registration,
        language=original.language,
        resend_of=original.id,
        **context,
    )
    copy = last_message(registration)
    record(
        account,
        "message.resend",
        event=registration.event,
        registration=registration,
        message=original.id,
        copy=copy.id,
        kind=original.kind.value,
    )
    return copy
