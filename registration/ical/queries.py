"""What the calendar feeds read: which events a feed holds, and one cheap question
about the version of that content (see ``ical.views`` for why it is asked first).

Each version query is composed once (``functools.cache``) and run with bound
parameters: composing a statement costs more than SQLite takes to answer it, and
a subscribed calendar client asks every few minutes, for months.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, bindparam, case, func, select
from sqlalchemy.orm import aliased

from registration.events.models import Event, EventStatus, EventType
from registration.extensions import db
from registration.ical import feeds
from registration.registrations.models import (
    PLACE_STATUSES,
    Participant,
    Registration,
    RegistrationStatus,
)
from registration.tokens import looks_like_secret

#: The public and personal feeds keep events this long after they end.
PAST = timedelta(days=90)


@dataclass(frozen=True)
class FeedVersion:
    """What identifies a feed's content, and when it last changed."""

    #: Whatever identifies the feed's content; any change of the feed changes it.
    facts: tuple
    #: The latest change that could alter the feed (``None``: nothing ever did).
    last_modified: datetime | None


@dataclass(frozen=True)
class PublicScope:
    """The events of a public feed: published or cancelled, ended after ``since``,
    of one type and one city if asked."""

    type: EventType | None
    city_id: int | None
    city_name: str | None
    since: datetime

    def conditions(self) -> list[ColumnElement[bool]]:
        return _public_conditions(self.since, self.type, self.city_id)


def public_version(scope: PublicScope) -> FeedVersion:
    """The version of the public feed: its events' count, ids and latest change, and the
    latest change of any event (which also covers events that left it)."""
    parameters: dict[str, object] = {"since": scope.since}
    if scope.type is not None:
        parameters["type"] = scope.type
    if scope.city_id is not None:
        parameters["city_id"] = scope.city_id
    statement = _public_version_query(scope.type is not None, scope.city_id is not None)
    count, ids, newest, last_change = db.session.execute(statement, parameters).one()
    return FeedVersion((count, ids, newest), last_change)


def public_events(scope: PublicScope) -> list[Event]:
    """The events of the public feed, soonest first."""
    query = select(Event).where(*scope.conditions()).order_by(Event.starts_at, Event.id)
    return list(db.session.scalars(query))


def event_version(event_id: int) -> FeedVersion | None:
    """The version of one event's file, or ``None`` for a draft or an unknown event."""
    changed = db.session.scalar(_event_version_query(), {"event_id": event_id})
    if changed is None:
        return None
    return FeedVersion((changed,), changed)


@dataclass(frozen=True)
class PersonalScope:
    """The registrations of a personal feed: one participant's, for events that ended
    after ``since``; its texts in the participant's ``language``; its reminders those
    still to come at ``now``."""

    participant_id: int
    language: str
    now: datetime

    @property
    def since(self) -> datetime:
        return self.now - PAST


def participant(feed_token: str) -> tuple[int, str] | None:
    """The id and language of the participant whose personal feed has this secret token."""
    if not looks_like_secret(feed_token):
        return None
    found = db.session.execute(_participant_query(), {"token": feed_token}).one_or_none()
    return None if found is None else (found.id, found.language)


def personal_version(scope: PersonalScope) -> FeedVersion:
    """The version of a personal feed: which registrations it holds and which of them
    wait, which of their reminders have passed, its events' latest change, and the latest
    change of any registration to, or any change of, the events the person registered
    for (a promotion from the waitlist happens in the same transaction as a
    cancellation, a registration or a capacity change of that event)."""
    parameters = {
        "participant_id": scope.participant_id,
        "since": scope.since,
        **{f"reminded_{n}": scope.now + before for n, before in enumerate(feeds.REMINDERS)},
    }
    *contents, activity, last_change = db.session.execute(
        _personal_version_query(), parameters
    ).one()
    changes = [moment for moment in (activity, last_change) if moment is not None]
    return FeedVersion(tuple(contents), max(changes, default=None))


def personal_registrations(scope: PersonalScope) -> list[Registration]:
    """The person's confirmed and waitlisted registrations in the feed, by their event's start."""
    registrations = db.session.scalars(
        select(Registration).where(
            Registration.id.in_(
                select(Registration.id)
                .join(Event, Registration.event_id == Event.id)
                .where(*_personal_conditions(scope.participant_id, scope.since))
            )
        )
    )
    return sorted(registrations, key=lambda r: (r.event.starts_at, r.event.id))


def _public_conditions(
    since: object, event_type: object | None, city_id: object | None
) -> list[ColumnElement[bool]]:
    """Which events the public feed shows; values or bound parameters."""
    conditions = [
        Event.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)),
        Event.ends_at > since,
    ]
    if event_type is not None:
        conditions.append(Event.type == event_type)
    if city_id is not None:
        conditions.append(Event.city_id == city_id)
    return conditions


@functools.cache
def _public_version_query(by_type: bool, by_city: bool) -> Select:
    # Count and sum of ids change when an event joins or leaves the feed (one can
    # only join by being changed, which moves the newest change).
    anything = aliased(Event)
    conditions = _public_conditions(
        bindparam("since"),
        bindparam("type") if by_type else None,
        bindparam("city_id") if by_city else None,
    )
    return select(
        func.count(Event.id),
        func.coalesce(func.sum(Event.id), 0),
        func.max(Event.updated_at),
        select(func.max(anything.updated_at)).scalar_subquery(),
    ).where(*conditions)


@functools.cache
def _event_version_query() -> Select:
    return select(Event.updated_at).where(
        Event.id == bindparam("event_id"), Event.status != EventStatus.DRAFT
    )


@functools.cache
def _participant_query() -> Select:
    # An anonymised participant's feed lists nobody's registrations (docs/privacy.md).
    return select(Participant.id, Participant.language).where(
        Participant.feed_token == bindparam("token"), Participant.anonymised_at.is_(None)
    )


def _personal_conditions(participant_id: object, since: object) -> list[ColumnElement[bool]]:
    return [
        Registration.participant_id == participant_id,
        # A seat or a place in line: a request waiting for the organisers is no attendance.
        Registration.status.in_(PLACE_STATUSES),
        Event.status != EventStatus.DRAFT,
        Event.ends_at > since,
    ]


@functools.cache
def _personal_version_query() -> Select:
    participant_id = bindparam("participant_id")
    own = aliased(Registration)
    registered_for = select(own.event_id).where(own.participant_id == participant_id)
    anyone = aliased(Registration)
    registered_event = aliased(Event)
    waitlisted_ids = func.sum(
        case((Registration.status == RegistrationStatus.WAITLISTED, Registration.id), else_=0)
    )
    # A reminder leaves the feed once its moment passes: which of them have, per reminder.
    reminded_ids = [
        func.coalesce(
            func.sum(
                case((Event.starts_at <= bindparam(f"reminded_{n}"), Registration.id), else_=0)
            ),
            0,
        )
        for n in range(len(feeds.REMINDERS))
    ]
    return (
        select(
            func.count(Registration.id),
            func.coalesce(func.sum(Registration.id), 0),
            func.coalesce(waitlisted_ids, 0),
            *reminded_ids,
            func.max(Event.updated_at),
            # A cancelled_at is always later than the created_at beside it.
            select(func.max(func.coalesce(anyone.cancelled_at, anyone.created_at)))
            .where(anyone.event_id.in_(registered_for))
            .scalar_subquery(),
            select(func.max(registered_event.updated_at))
            .where(registered_event.id.in_(registered_for))
            .scalar_subquery(),
        )
        .select_from(Registration)
        .join(Event, Registration.event_id == Event.id)
        .where(*_personal_conditions(participant_id, bindparam("since")))
    )
