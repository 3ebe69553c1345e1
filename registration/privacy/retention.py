"""Retention: the personal data of registrations are anonymised ``RETENTION_DAYS`` after
their event ends (docs/privacy.md, "Retention"), and at once when a person erases theirs.

Anonymised means that nothing identifies the person any more, in any table:

- the registration's name, address, institution (and its folded key), position and needs
  are replaced, and its city as typed becomes the name of a known city it matches, else
  empty; its manage
  token and check-in code become fresh secrets that no link or ticket carries;
- the registration is moved to one shared participant, ``ANONYMOUS_ADDRESS``, so that
  no participant row links it to an address; a participant left without registrations
  is anonymised too (address, name, a fresh feed token);
- its messages that have been sent or have failed lose their recipient, their
  ``last_error`` (which may quote the address) and their context but for the keys in
  ``KEPT_CONTEXT``; a message still queued keeps its recipient until it is delivered,
  and is scrubbed then (``scrub_delivered``, in the worker's "sent" transaction), or
  by the next run if it fails for good;
- the audit entries about it keep only the details in ``KEPT_AUDIT_DETAILS``.

What reports count stays: event, status, category, home city, check-in, and the dates.

Concurrency. Work goes in batches of ``BATCH_SIZE`` rows, each its own short
transaction. A batch locks only the rows it changes, never an event row: the seat
counts' triggers fire on a change of status or event, which anonymising never makes.
On PostgreSQL a batch takes its rows ``FOR UPDATE SKIP LOCKED``, so that two runs at
once (several mail workers) take different rows; on SQLite each batch holds the
database's write lock for its few statements. Every step picks only rows not yet
done, so a run repeated, or interrupted and run again, changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, exists, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registration.accounts.models import AuditEntry
from registration.accounts.services import record
from registration.database import utcnow
from registration.events.models import City, Event
from registration.extensions import db
from registration.i18n import fold
from registration.notifications.models import DeliveryStatus, OutboxMessage
from registration.registrations.models import Participant, Registration
from registration.tokens import new_secret

#: Rows changed per transaction: each batch is over in milliseconds.
BATCH_SIZE = 200
#: The domain of every address that replaces a person's; ``.invalid`` never resolves
#: (RFC 2606), so no message can reach anybody there.
ANONYMISED_DOMAIN = "anonymised.invalid"
#: The one participant every anonymised registration belongs to.
ANONYMOUS_ADDRESS = f"anonymous@{ANONYMISED_DOMAIN}"
#: What a message's context keeps: nothing said by or about a person. The batch of an
#: organiser's send-out (its progress is counted by it), a waitlist position, whether a
#: seat was held.
KEPT_CONTEXT = frozenset({"batch", "position", "held_seat"})
#: What an audit entry about an anonymised registration keeps of its details: the
#: values the actions on registrations record that say nothing about the person. An
#: action that records more (a name, an address) needs nothing here: it is dropped.
KEPT_AUDIT_DETAILS = frozenset({"consent", "status", "seat_given_to"})


@dataclass
class Anonymised:
    """What a run changed, by kind of row."""

    registrations: int = 0
    participants: int = 0
    messages: int = 0
    audit_entries: int = 0

    def __iadd__(self, other: Anonymised) -> Anonymised:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)
        return self

    @property
    def anything(self) -> bool:
        return any(asdict(self).values())


def retention() -> timedelta:
    return timedelta(days=current_app.config["RETENTION_DAYS"])


def anonymise_due(
    now: datetime | None = None, *, always_record: bool = True, batch_size: int = BATCH_SIZE
) -> Anonymised:
    """Anonymise the registrations of events that ended more than ``RETENTION_DAYS`` ago,
    then what they leave behind; commit batch by batch.

    One audit entry (``privacy.anonymised``, no account) says what the run changed.

    :param always_record: write the audit entry even when nothing was due (the command
        does; the mail worker's frequent checks record only runs that changed something)
    """
    now = now or utcnow()
    cutoff = now - retention()
    done = Anonymised()
    while ids := _take(
        select(Registration.id)
        .join(Event, Event.id == Registration.event_id)
        .where(Event.ends_at < cutoff, Registration.anonymised_at.is_(None)),
        Registration,
        batch_size,
    ):
        done += anonymise_registrations(ids, now=now)
        db.session.commit()
    done += _sweep(now=now, batch_size=batch_size)
    if done.anything or always_record:
        record(
            None,
            "privacy.anonymised",
            retention_days=current_app.config["RETENTION_DAYS"],
            **asdict(done),
        )
    db.session.commit()
    return done


def anonymise_participant(participant_id: int, *, now: datetime | None = None) -> Anonymised:
    """Anonymise every registration of one participant, and the participant (erasure).

    Runs in the caller's transaction, which it does not commit.
    """
    now = now or utcnow()
    db.session.execute(
        select(Participant.id).where(Participant.id == participant_id).with_for_update()
    )
    ids = list(
        db.session.scalars(
            select(Registration.id)
            .where(
                Registration.participant_id == participant_id,
                Registration.anonymised_at.is_(None),
            )
            .order_by(Registration.id)
            .with_for_update()
        )
    )
    done = anonymise_registrations(ids, now=now)
    done.participants += _anonymise_participants([participant_id], now=now)
    return done


def anonymise_registrations(ids: list[int], *, now: datetime) -> Anonymised:
    """Replace the personal data of these registrations (taken for update by the caller),
    and scrub their messages and audit entries; in the caller's transaction."""
    if not ids:
        return Anonymised()
    cities = _known_cities()
    anonymous = _anonymous_participant(now)
    rows = db.session.execute(
        select(Registration.id, Registration.city).where(Registration.id.in_(ids))
    ).all()
    db.session.execute(
        update(Registration),
        [
            {
                "id": registration_id,
                "full_name": "",
                "email": anonymised_address(registration_id),
                "institution": "",
                "institution_key": None,
                "position": None,
                "needs": None,
                "city": home_city(city, cities),
                "participant_id": anonymous,
                "token": new_secret(),
                "check_in_code": new_secret(),
                "anonymised_at": now,
            }
            for registration_id, city in rows
        ],
    )
    done = Anonymised(registrations=len(rows))
    done.messages = _scrub_messages(Registration.id.in_(ids))
    done.audit_entries = _scrub_audit_entries(ids)
    # Objects of these rows in the session (an erasure's) would show the old values.
    db.session.expire_all()
    return done


def scrub_delivered(message_id: int) -> None:
    """Scrub a message just recorded as sent if its registration was anonymised while it
    waited (say, the cancellation an erasure queued); in the caller's transaction."""
    _scrub_messages(OutboxMessage.id == message_id)


def anonymised_address(registration_id: int) -> str:
    """The address that replaces a registration's: unique, as the index of active
    registrations per event and address requires, and normalised, as a CHECK does."""
    return f"anonymised-{registration_id}@{ANONYMISED_DOMAIN}"


def home_city(typed: str, cities: dict[str, str]) -> str:
    """What an anonymised registration keeps of the city typed: the name of the known
    city it spells, whatever the case, spaces and diacritics ("gdansk " → "Gdańsk"), or
    nothing, since a town or a street typed there may point to the person.

    :param cities: known cities' names by their ``i18n.fold``
    """
    return cities.get(fold(typed), "")


def _known_cities() -> dict[str, str]:
    return {fold(name): name for name in db.session.scalars(select(City.name))}


def _take(query, entity, batch_size: int) -> list[int]:
    """The ids of up to ``batch_size`` rows of the query, locked for this transaction and
    skipped if another run holds them (PostgreSQL; SQLite holds the write lock)."""
    return list(
        db.session.scalars(
            query.order_by(entity.id).limit(batch_size).with_for_update(skip_locked=True, of=entity)
        )
    )


def _sweep(*, now: datetime, batch_size: int) -> Anonymised:
    """What anonymised registrations leave behind: participants without a registration
    any more, and messages sent or failed since their registration was anonymised."""
    done = Anonymised()
    has_registration = exists().where(Registration.participant_id == Participant.id)
    while ids := _take(
        select(Participant.id).where(Participant.anonymised_at.is_(None), ~has_registration),
        Participant,
        batch_size,
    ):
        done.participants += _anonymise_participants(ids, now=now)
        db.session.commit()
    while scrubbed := _scrub_messages(true(), limit=batch_size):
        done.messages += scrubbed
        db.session.commit()
    return done


def _anonymise_participants(ids: Iterable[int], *, now: datetime) -> int:
    """Replace the address, name and feed token of participants without registrations."""
    rows = [
        {
            "id": participant_id,
            "email": f"anonymised-participant-{participant_id}@{ANONYMISED_DOMAIN}",
            "name": "",
            "feed_token": new_secret(),
            "anonymised_at": now,
        }
        for participant_id in ids
    ]
    if rows:
        db.session.execute(update(Participant), rows)
    return len(rows)


def _anonymous_participant(now: datetime) -> int:
    """The id of the participant of every anonymised registration, created the first time.

    An upsert that changes nothing when the row exists, so that two runs at once create
    one; it is anonymised from the start, and nothing ever sends to its address.
    """
    dialect_insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        dialect_insert(Participant)
        .values(
            email=ANONYMOUS_ADDRESS,
            name="",
            language="pl",
            feed_token=new_secret(),
            created_at=now,
            anonymised_at=now,
        )
        .on_conflict_do_nothing(index_elements=["email"])
    )
    return db.session.scalar(select(Participant.id).where(Participant.email == ANONYMOUS_ADDRESS))


def _scrub_messages(which: ColumnElement[bool], *, limit: int | None = None) -> int:
    """Scrub the messages picked by ``which`` that are sent or failed, belong to an
    anonymised registration and still carry a recipient other than its address."""
    query = (
        select(OutboxMessage.id, OutboxMessage.context, Registration.email)
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .where(
            which,
            OutboxMessage.status != DeliveryStatus.QUEUED,
            Registration.anonymised_at.is_not(None),
            OutboxMessage.recipient != Registration.email,
        )
        .order_by(OutboxMessage.id)
    )
    if limit is not None:
        query = query.limit(limit).with_for_update(skip_locked=True, of=OutboxMessage)
    rows = db.session.execute(query).all()
    if rows:
        db.session.execute(
            update(OutboxMessage),
            [
                {
                    "id": message_id,
                    "recipient": address,
                    "context": {k: v for k, v in (context or {}).items() if k in KEPT_CONTEXT},
                    "last_error": None,
                }
                for message_id, context, address in rows
            ],
        )
    return len(rows)


def _scrub_audit_entries(registration_ids: list[int]) -> int:
    """Keep only ``KEPT_AUDIT_DETAILS`` in the entries about these registrations."""
    entries = db.session.execute(
        select(AuditEntry.id, AuditEntry.details).where(
            AuditEntry.registration_id.in_(registration_ids)
        )
    ).all()
    changed = [
        {"id": entry_id, "details": {k: v for k, v in details.items() if k in KEPT_AUDIT_DETAILS}}
        for entry_id, details in entries
        if details and details.keys() - KEPT_AUDIT_DETAILS
    ]
    if changed:
        db.session.execute(update(AuditEntry), changed)
    return len(changed)
