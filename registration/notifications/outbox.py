"""Queue a message in the current transaction; delivery happens elsewhere, later."""

from __future__ import annotations

from sqlalchemy import insert

from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration

# One plain INSERT, built once: messages are queued while the event's seat lock
# is held, where the unit of work's bookkeeping would cost several times the
# statement. The columns' defaults (key, status, times) are filled in by Core.
_INSERT_MESSAGE = insert(OutboxMessage.__table__)


def enqueue(
    kind: MessageKind, registration: Registration, *, language: str | None = None, **context
) -> None:
    """Record that ``registration``'s person must hear about ``kind``.

    Written in the caller's transaction: if the change is rolled back, so is the
    message, and if it commits, the message cannot be lost.

    :param language: the person's language, when the caller knows it already
    """
    db.session.flush()  # a new registration needs its id; a changed one, its row written first
    db.session.execute(
        _INSERT_MESSAGE,
        {
            "kind": kind,
            "registration_id": registration.id,
            "recipient": registration.email,
            "language": language or registration.participant.language,
            "context": context,
        },
    )
