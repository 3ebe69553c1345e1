"""Public event pages: the list and one event."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, render_template, request, session

from registration.caching import LastUsed
from registration.database import utcnow
from registration.events import services
from registration.events.models import Event, EventType
from registration.i18n import current_language
from registration.registrations.forms import RegistrationForm
from registration.registrations.services import availability

bp = Blueprint("events", __name__)

#: A page of the list stays quick to read and to render.
EVENTS_PER_PAGE = 20
#: Rendered list pages each worker keeps (per language and filters).
EVENT_LIST_PAGES = 64


@bp.get("/")
def index():
    """List upcoming published events, narrowed by type, city and month."""
    # The busiest page: each worker reuses what it rendered for the same
    # language and filters a moment ago. Seats left may then be a second old;
    # the registration itself always counts afresh under the lock.
    if session.get("_flashes"):
        return _render_index()
    key = (current_language(), tuple(sorted(request.args.items(multi=True))))
    cache: LastUsed = current_app.extensions["event_list_pages"]
    remembered = cache.get(key)
    ttl = current_app.config["EVENT_LIST_CACHE_SECONDS"]
    if remembered is not None and time.monotonic() - remembered[0] < ttl:
        return remembered[1]
    page = _render_index()
    if ttl > 0:
        cache.put(key, (time.monotonic(), page))
    return page


def _render_index() -> str:
    now = utcnow()
    event_type = request.args.get("type")
    event_filter = services.EventFilter(
        type=EventType(event_type) if event_type in EventType._value2member_map_ else None,
        city=services.find_city(request.args.get("city")),
        month=services.parse_month(request.args.get("month")),
    )
    listing = services.published_events_page(
        event_filter, now=now, page=request.args.get("page", 1, type=int), per_page=EVENTS_PER_PAGE
    )
    return render_template(
        "events/index.html",
        events=listing.events,
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        seats=availability([event.id for event in listing.events]),
        event_filter=event_filter,
        cities=services.all_cities(),
        months=services.upcoming_months(now=now),
        event_types=list(EventType),
    )


@bp.record_once
def _keep_list_pages(state) -> None:
    state.app.extensions["event_list_pages"] = LastUsed(EVENT_LIST_PAGES)
    state.app.config.setdefault("EVENT_LIST_CACHE_SECONDS", 0 if state.app.testing else 1.0)


@bp.get("/events/<int:event_id>")
def detail(event_id: int):
    """Show one event: what, when, where, seats left, and the registration form."""
    event = services.get_public_event(event_id) or abort(404)
    return render_event_page(event, RegistrationForm())


def render_event_page(event: Event, form: RegistrationForm, status: int = 200):
    """The event page; the registration view shows it again with the form's errors."""
    seats = availability([event.id])[event.id]
    page = render_template("events/detail.html", event=event, seats=seats, form=form, now=utcnow())
    return page, status


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement that Polish public bodies must publish."""
    return render_template("accessibility.html")
