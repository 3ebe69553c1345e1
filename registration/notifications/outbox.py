"""Queue a message in the current transaction; delivery happens elsewhere, later."""

from __future__ import annotations

from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration


def enqueue(
    kind: MessageKind, registration: Registration, *, language: str | None = None, **context
) -> OutboxMessage:
    """Record that ``registration``'s person must hear about ``kind``.

    Written in the caller's transaction: if the change is rolled back, so is the
    message, and if it commits, the message cannot be lost.

    :param language: the person's language, when the caller knows it already
    """
    message = OutboxMessage(
        kind=kind,
        registration=registration,
        recipient=registration.email,
        language=language or registration.participant.language,
        context=context,
    )
    db.session.add(message)
    return message
