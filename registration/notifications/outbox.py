"""Queue a message in the current transaction; delivery happens elsewhere, later."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import insert

from registration.database import utcnow
from registration.extensions import db
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.observability.request_ids import current_request_id
from registration.registrations.models import Registration

# One plain INSERT, built once: messages are queued while the event's seat lock
# is held, where the unit of work's bookkeeping would cost several times the statement.
_INSERT_MESSAGE = insert(OutboxMessage.__table__)


def enqueue(
    kind: MessageKind, registration: Registration, *, language: str | None = None, **context
) -> None:
    """Record that ``registration``'s person must hear about ``kind``.

    Written in the caller's transaction: if the change is rolled back, so is the
    message, and if it commits, the message cannot be lost.

    :param language: the language of the email; by default the registration's
    """
    db.session.flush()  # a new registration needs its id; a changed one, its row written first
    db.session.connection().execute(
        _INSERT_MESSAGE,
        {
            "registration_id": registration.id,
            **queued_message(
                kind,
                recipient=registration.email,
                language=language or registration.language,
                context=context,
            ),
        },
    )


def enqueue_for_account(kind: MessageKind, *, recipient: str, language: str, context: dict) -> None:
    """Record an email to a back-office account (``ACCOUNT_KINDS``): about no registration,
    and written in the caller's transaction like every other."""
    db.session.connection().execute(
        _INSERT_MESSAGE,
        {
            "registration_id": None,
            **queued_message(kind, recipient=recipient, language=language, context=context),
        },
    )


def queued_message(kind: MessageKind, *, recipient: str, language: str, context: dict) -> dict:
    """The row of a message waiting for its first attempt, but for its id and registration,
    and the columns it leaves empty (claim, last error, time sent)."""
    now = utcnow()
    return {
        "kind": kind,
        "recipient": recipient,
        "language": language,
        "context": context,
        # Left part of the Message-ID, fixed now so that a resend carries the same one.
        "message_key": secrets.token_hex(16),
        "status": DeliveryStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        # So that the email and the worker's lines can be traced to the request.
        "request_id": current_request_id(),
    }


#: The event's details that an EVENT_CHANGED message remembers as they were.
REMEMBERED_DETAILS = ("starts_at", "ends_at", "venue", "address", "city", "online_url")


def details_before(changed: dict[str, tuple]) -> dict:
    """What an EVENT_CHANGED message keeps of the event before the change, as JSON.

    The message is composed later, from the event as it is then; only the old
    time and place are gone by that time, so the message carries them to say
    "was … now …". Times as ISO 8601, the city by name.

    :param changed: ``{field: (old, new)}`` of the change being told
    """
    before = {}
    for name in REMEMBERED_DETAILS:
        if name not in changed:
            continue
        old = changed[name][0]
        if isinstance(old, datetime):
            old = old.isoformat()
        elif name == "city":
            old = old.name
        before[name] = old
    return before
