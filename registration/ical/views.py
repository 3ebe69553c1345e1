"""Calendar feeds over HTTP (docs/calendars.md): cheap to ask again, 304 without rendering.

A subscribed calendar client asks for its feed every few minutes, for months,
and almost always already has the current version. So every view first asks
the database one aggregate question (``ical.queries``) about what the feed
would contain (how many events, which ones, when they last changed, and for
the personal feed the state of the person's registrations), makes the ``ETag`` and
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

import hashlib
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from werkzeug.http import http_date, is_resource_modified

from registration import labels
from registration.caching import lru_memo, ttl_memo
from registration.database import utcnow
from registration.events import services as events
from registration.events.models import City, Event, EventType
from registration.extensions import db, limiter
from registration.forms import Form
from registration.i18n import DEFAULT_LANGUAGE, current_language
from registration.ical import feeds, queries
from registration.registrations import services as registrations

bp = Blueprint("ical", __name__)

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
    """One participant's confirmed and waitlisted events, behind their secret feed token.

    In the participant's language, whatever the calendar app asks for (they rarely ask).
    """
    scope, version = _recent(("personal", token), lambda: _personal_state(token))

    def render() -> bytes:
        with force_locale(scope.language):
            return feeds.personal_calendar(
                queries.personal_registrations(scope), base_url=_base_url(), now=scope.now
            )

    return _answer(
        ("personal", scope.participant_id), version, render, private=True, language=scope.language
    )


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
    return render_template("ical/replace_personal_feed.html", form=form)


@bp.get("/calendar/personal/new-address-sent")
def personal_feed_replaced():
    """What the person sees once the old address is gone: the new one is in the mail."""
    return render_template("ical/replace_personal_feed.html", replaced=True)


@bp.app_context_processor
def calendar_links() -> dict:
    """Template helpers: ``calendar_links(event)`` and ``public_subscription(type, city)``."""
    return {"calendar_links": _calendar_links, "public_subscription": _public_subscription}


def _public_subscription(
    event_type: EventType | str | None = None, city: City | None = None
) -> feeds.Subscription:
    """The subscription links of the public feed, narrowed like the list's filters.

    On an English page the feed's address asks for English (``lang=en``), so that the
    calendar app shows the English name and texts; Polish, the default, needs nothing.
    A type that does not exist narrows nothing (its feed would be a 404).
    """
    if event_type not in EventType._value2member_map_:
        event_type = None
    arguments = {"type": event_type, "city": city.slug if city else None}
    if current_language() != DEFAULT_LANGUAGE:
        arguments["lang"] = current_language()
    url = feeds.link(_base_url(), "ical.public_feed", **{k: v for k, v in arguments.items() if v})
    return feeds.subscription(url, _public_name(event_type, city.name if city else None))


def _public_name(event_type: str | None, city_name: str | None) -> str:
    """The public feed's name: the same in the feed and in the links that subscribe to it."""
    type_label = labels.label(labels.EVENT_TYPES_PLURAL, event_type) if event_type else None
    return feeds.calendar_name(type_label=type_label, city_name=city_name)


def _calendar_links(event: Event) -> dict[str, str]:
    base_url = _base_url()
    return {
        "download": url_for("ical.event_file", event_id=event.id),
        "subscribe": feeds.webcal(feeds.link(base_url, "ical.public_feed")),
        "google": feeds.google_calendar_url(event, base_url=base_url),
    }


# --- Versions: what a feed would contain, in one cheap query (``ical.queries``) ----


def _public_state(
    event_type: str | None, city: str | None
) -> tuple[queries.PublicScope, queries.FeedVersion]:
    scope = _public_scope(event_type, city)
    return scope, queries.public_version(scope)


def _public_scope(event_type: str | None, city: str | None) -> queries.PublicScope:
    """The public feed's filters; an unknown type or city is a calendar that does not exist."""
    if event_type and event_type not in EventType._value2member_map_:
        abort(404)
    found: City | None = None
    if city:
        found = events.find_city(city)
        if found is None:
            abort(404)
    return queries.PublicScope(
        type=EventType(event_type) if event_type else None,
        city_id=found.id if found else None,
        city_name=found.name if found else None,
        since=utcnow() - queries.PAST,
    )


def _event_version(event_id: int) -> queries.FeedVersion:
    version = queries.event_version(event_id)
    if version is None:
        abort(404)
    return version


def _personal_state(token: str) -> tuple[queries.PersonalScope, queries.FeedVersion]:
    found = queries.participant(token) or abort(404)
    participant_id, language = found
    scope = queries.PersonalScope(participant_id=participant_id, language=language, now=utcnow())
    return scope, queries.personal_version(scope)


# --- Rendering -----------------------------------------------------------------


def _render_public(scope: queries.PublicScope) -> bytes:
    return feeds.public_calendar(
        queries.public_events(scope),
        base_url=_base_url(),
        name=_public_name(scope.type, scope.city_name),
    )


def _base_url() -> str:
    return current_app.config["BASE_URL"]


def _etag(key: tuple, version: queries.FeedVersion, language: str) -> str:
    """A strong ETag: the same bytes for the same tag, in every worker."""
    identity = (feeds.FORMAT_VERSION, _base_url(), language, key, version.facts)
    return hashlib.blake2b(repr(identity).encode(), digest_size=16).hexdigest()


def _answer(
    key: tuple,
    version: queries.FeedVersion,
    render: Callable[[], bytes],
    *,
    private: bool,
    download: str | None = None,
    language: str | None = None,
) -> Response:
    """The feed, or 304 when the client has this version; rendered at most once per version.

    :param language: the language ``render`` writes in; by default the request's
    """
    etag = _etag(key, version, language or str(get_locale()))
    last_modified = version.last_modified or _EPOCH
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return _validated(Response(status=304), etag, last_modified, private=private)
    cache = lru_memo(current_app, "ical_rendered_feeds", maxsize=RENDERED_FEEDS)
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
    versions = ttl_memo(current_app, "ical_versions", maxsize=REMEMBERED_VERSIONS, ttl=ttl)
    remembered = versions.get(key)
    if remembered is None:
        remembered = (compute(),)  # a tuple, so that a value of None is remembered too
        versions.put(key, remembered)
    return remembered[0]


@bp.record_once
def _configure_feed_memos(state) -> None:
    state.app.config.setdefault("ICAL_VERSION_TTL", 0 if state.app.testing else VERSION_TTL)
