"""Calendar feeds over HTTP (SPEC section 6): cheap to ask again, 304 without rendering.

A subscribed calendar client asks for its feed every few minutes, for months,
and almost always already has the current version. So every view first asks
the database one aggregate question about what the feed would contain (how
many events, which ones, when they last changed, and for the personal feed
the state of the person's registrations), makes the ``ETag`` and
``Last-Modified`` of that version from the answer, and answers ``304 Not
Modified`` to a client that holds it, before loading or rendering anything.

A full answer renders a version once per worker process: the same data always
gives the same bytes (``feeds`` takes DTSTAMP from the data, not the clock), so
the bytes are kept under their ETag in a small cache of the application.

And a worker asks that aggregate question about one feed at most once a second
(``ICAL_VERSION_TTL``): within that second it answers from the version it just
found. At the rate clients poll, most answers then cost no query at all, and a
feed shows a change at most a second late, which no calendar client notices
(they refresh every hour or so). Tests set it to 0, so they see every change.

``Last-Modified`` is for clients that only send ``If-Modified-Since`` (when a
request has ``If-None-Match``, that alone decides). It is the latest change
that could alter the feed, so it also covers events that left it: for the
public feed, the last change of any event; for the personal feed, the last
change of any event the person registered for and of any registration to
those events, since a promotion from the waitlist happens in the same
transaction as a cancellation, a registration or a capacity change of that
event. HTTP dates have whole seconds, so two versions within one second look
alike to such a client; the ETag does not have that gap.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from sqlalchemy import ColumnElement, Select, bindparam, case, func, select
from sqlalchemy.orm import aliased
from werkzeug.http import http_date, is_resource_modified

from registration import labels
from registration.caching import LastUsed
from registration.database import utcnow
from registration.events import services as events
from registration.events.models import City, Event, EventStatus, EventType
from registration.extensions import db, limiter
from registration.forms import Form
from registration.i18n import current_language
from registration.ical import feeds
from registration.registrations import services as registrations
from registration.registrations.models import (
    ACTIVE_STATUSES,
    Participant,
    Registration,
    RegistrationStatus,
    looks_like_secret,
)

bp = Blueprint("ical", __name__)

#: The public and personal feeds keep events this long after they end.
PAST = timedelta(days=90)
#: Feeds kept rendered per worker process, the most recently used.
RENDERED_FEEDS = 64
#: Seconds for which a worker answers from the version it last looked up, without
#: asking the database again (config ``ICAL_VERSION_TTL``; 0 when testing).
VERSION_TTL = 1.0
#: Versions remembered per worker process (each public filter, event and person is one).
REMEMBERED_VERSIONS = 4096
#: Each replacement sends an email: enough for a person, too few to flood their inbox.
FEED_REPLACEMENT_LIMIT = "5 per hour"
#: Last-Modified of a feed with nothing that ever changed in it.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_T = TypeVar("_T")


@bp.get("/calendar.ics")
def public_feed():
    """Every published event to come and of the last 90 days, by type and city, to subscribe to."""
    event_type, city = request.args.get("type"), request.args.get("city")
    scope, version = _recent(("public", event_type, city), lambda: _public_state(event_type, city))
    return _answer(
        ("public", scope.type, scope.city_id), version, lambda: _render_public(scope), private=False
    )


@bp.get("/events/<int:event_id>/calendar.ics")
def event_file(event_id: int):
    """One published or cancelled event as a file to download."""
    version = _recent(("event", event_id), lambda: _event_version(event_id))

    def render() -> bytes:
        event = db.session.get(Event, event_id)
        return feeds.event_calendar(event, base_url=_base_url())

    return _answer(
        ("event", event_id), version, render, private=False, download=f"event-{event_id}.ics"
    )


@bp.get("/calendar/personal/<token>.ics")
def personal_feed(token: str):
    """One participant's confirmed and waitlisted events, behind their secret feed token."""
    participant_id, since, version = _recent(("personal", token), lambda: _personal_state(token))

    def render() -> bytes:
        return feeds.personal_calendar(
            _personal_registrations(participant_id, since), base_url=_base_url()
        )

    return _answer(("personal", participant_id), version, render, private=True)


@bp.route("/calendar/personal/new-address/<key>", methods=["GET", "POST"])
@limiter.limit(FEED_REPLACEMENT_LIMIT, methods=["POST"])
def replace_personal_feed(key: str):
    """Replace the personal calendar's address; reached only from a link in the person's emails.

    The new address goes by email, never onto this page: whoever holds a forwarded
    link can end the old address, but cannot read the new one.
    """
    registration = registrations.find_by_feed_replacement_key(key) or abort(404)
    form = Form()  # nothing to fill in: the CSRF token alone
    if form.validate_on_submit():
        registrations.replace_personal_feed(registration, language=current_language())
        db.session.commit()
        # Not back to this address: its key is spent now that the feed has a new one.
        return redirect(url_for(".personal_feed_replaced"), code=303)
    response = make_response(render_template("ical/replace_personal_feed.html", form=form))
    response.headers["Cache-Control"] = "no-store"  # the key in the address is a secret
    return response


@bp.get("/calendar/personal/new-address-sent")
def personal_feed_replaced():
    """What the person sees once the old address is gone: the new one is in the mail."""
    return render_template("ical/replace_personal_feed.html", replaced=True)


@bp.app_context_processor
def calendar_links() -> dict:
    """Template helper: ``calendar_links(event)``."""
    return {"calendar_links": _calendar_links}


def _calendar_links(event: Event) -> dict[str, str]:
    base_url = _base_url()
    return {
        "download": url_for("ical.event_file", event_id=event.id),
        "subscribe": feeds.webcal(feeds.link(base_url, "ical.public_feed")),
        "google": feeds.google_calendar_url(event, base_url=base_url),
    }


# --- Versions: what a feed would contain, in one cheap query ----------------


@dataclass(frozen=True)
class _Version:
    #: Whatever identifies the feed's content; any change of the feed changes it.
    facts: tuple
    last_modified: datetime | None


@dataclass(frozen=True)
class _PublicScope:
    type: EventType | None
    city_id: int | None
    city_name: str | None
    since: datetime

    def conditions(self) -> list[ColumnElement[bool]]:
        return _public_conditions(self.since, self.type, self.city_id)


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


def _public_scope(event_type: str | None, city: str | None) -> _PublicScope:
    """The public feed's filters; an unknown type or city is a calendar that does not exist."""
    if event_type and event_type not in EventType._value2member_map_:
        abort(404)
    found: City | None = None
    if city:
        found = events.find_city(city)
        if found is None:
            abort(404)
    return _PublicScope(
        type=EventType(event_type) if event_type else None,
        city_id=found.id if found else None,
        city_name=found.name if found else None,
        since=utcnow() - PAST,
    )


def _public_state(event_type: str | None, city: str | None) -> tuple[_PublicScope, _Version]:
    scope = _public_scope(event_type, city)
    return scope, _public_version(scope)


def _public_version(scope: _PublicScope) -> _Version:
    parameters: dict[str, object] = {"since": scope.since}
    if scope.type is not None:
        parameters["type"] = scope.type
    if scope.city_id is not None:
        parameters["city_id"] = scope.city_id
    statement = _public_version_query(scope.type is not None, scope.city_id is not None)
    count, ids, newest, last_change = db.session.execute(statement, parameters).one()
    return _Version((count, ids, newest), last_change)


@functools.cache
def _public_version_query(by_type: bool, by_city: bool) -> Select:
    """Built once: composing a statement costs more than SQLite takes to answer it."""
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


def _event_version(event_id: int) -> _Version:
    changed = db.session.scalar(_event_version_query(), {"event_id": event_id})
    if changed is None:
        abort(404)
    return _Version((changed,), changed)


@functools.cache
def _event_version_query() -> Select:
    return select(Event.updated_at).where(
        Event.id == bindparam("event_id"), Event.status != EventStatus.DRAFT
    )


def _personal_state(token: str) -> tuple[int, datetime, _Version]:
    participant_id = _participant_id(token)
    if participant_id is None:
        abort(404)
    since = utcnow() - PAST
    return participant_id, since, _personal_version(participant_id, since)


def _participant_id(token: str) -> int | None:
    if not looks_like_secret(token):
        return None
    return db.session.scalar(_participant_query(), {"token": token})


@functools.cache
def _participant_query() -> Select:
    return select(Participant.id).where(Participant.feed_token == bindparam("token"))


def _personal_conditions(participant_id: object, since: object) -> list[ColumnElement[bool]]:
    return [
        Registration.participant_id == participant_id,
        Registration.status.in_(ACTIVE_STATUSES),
        Event.status != EventStatus.DRAFT,
        Event.ends_at > since,
    ]


def _personal_version(participant_id: int, since: datetime) -> _Version:
    count, ids, waitlisted, newest, activity, last_change = db.session.execute(
        _personal_version_query(), {"participant_id": participant_id, "since": since}
    ).one()
    changes = [moment for moment in (activity, last_change) if moment is not None]
    return _Version((count, ids, waitlisted, newest), max(changes, default=None))


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
    return (
        select(
            func.count(Registration.id),
            func.coalesce(func.sum(Registration.id), 0),
            func.coalesce(waitlisted_ids, 0),
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


# --- Rendering -----------------------------------------------------------------


def _render_public(scope: _PublicScope) -> bytes:
    found = db.session.scalars(
        select(Event).where(*scope.conditions()).order_by(Event.starts_at, Event.id)
    )
    type_label = labels.label(labels.EVENT_TYPES_PLURAL, scope.type) if scope.type else None
    return feeds.public_calendar(
        found,
        base_url=_base_url(),
        name=feeds.calendar_name(type_label=type_label, city_name=scope.city_name),
    )


def _personal_registrations(participant_id: int, since: datetime) -> list[Registration]:
    registrations = db.session.scalars(
        select(Registration).where(
            Registration.id.in_(
                select(Registration.id)
                .join(Event, Registration.event_id == Event.id)
                .where(*_personal_conditions(participant_id, since))
            )
        )
    )
    return sorted(registrations, key=lambda r: (r.event.starts_at, r.event.id))


def _base_url() -> str:
    return current_app.config["BASE_URL"]


def _etag(key: tuple, version: _Version) -> str:
    """A strong ETag: the same bytes for the same tag, in every worker."""
    identity = (feeds.FORMAT_VERSION, _base_url(), str(get_locale()), key, version.facts)
    return hashlib.blake2b(repr(identity).encode(), digest_size=16).hexdigest()


def _answer(
    key: tuple,
    version: _Version,
    render: Callable[[], bytes],
    *,
    private: bool,
    download: str | None = None,
) -> Response:
    """The feed, or 304 when the client has this version; rendered at most once per version."""
    etag = _etag(key, version)
    last_modified = version.last_modified or _EPOCH
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return _validated(Response(status=304), etag, last_modified, private=private)
    cache: LastUsed = current_app.extensions["ical_rendered_feeds"]
    body = cache.get(etag)
    if body is None:
        body = render()
        cache.put(etag, body)
    response = Response(body, content_type=feeds.MEDIA_TYPE)
    if download:
        response.headers.set("Content-Disposition", "attachment", filename=download)
    return _validated(response, etag, last_modified, private=private)


def _validated(
    response: Response, etag: str, last_modified: datetime, *, private: bool
) -> Response:
    # Plain header strings: this runs for every poll of every subscribed client.
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Last-Modified"] = http_date(last_modified)
    if private:
        # A secret URL: no shared cache keeps it, no search engine lists it. Clients
        # may keep a copy but must ask (cheaply) before using it.
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["X-Robots-Tag"] = "noindex"
    else:
        response.headers["Cache-Control"] = "public, no-cache"
    return response


def _recent(key: Hashable, compute: Callable[[], _T]) -> _T:
    """``compute()``, or what it gave for ``key`` less than ICAL_VERSION_TTL seconds ago."""
    ttl = current_app.config["ICAL_VERSION_TTL"]
    if ttl <= 0:
        return compute()
    versions: LastUsed = current_app.extensions["ical_versions"]
    now = time.monotonic()
    remembered = versions.get(key)
    if remembered is not None and now - remembered[0] < ttl:
        return remembered[1]
    value = compute()
    versions.put(key, (now, value))
    return value


@bp.record_once
def _keep_feeds_in_memory(state) -> None:
    # One of each per application: tests build many, each on its own database.
    state.app.extensions["ical_rendered_feeds"] = LastUsed(RENDERED_FEEDS)
    state.app.extensions["ical_versions"] = LastUsed(REMEMBERED_VERSIONS)
    state.app.config.setdefault("ICAL_VERSION_TTL", 0 if state.app.testing else VERSION_TTL)
