"""Public event pages: the list and one event."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, session

from registration.accessibility import OMBUDSMAN_URL
from registration.accessibility import statement as accessibility_statement
from registration.caching import ttl_memo
from registration.data_controller import data_controller
from registration.database import utcnow
from registration.events import services
from registration.events.models import Event, EventType
from registration.events.services import coalition_cities
from registration.i18n import current_language
from registration.registrations.forms import RegistrationForm
from registration.registrations.services import allocation_state, availability

bp = Blueprint("events", __name__)

#: A page of the list stays quick to read and to render.
EVENTS_PER_PAGE = 20
#: Rendered list pages each worker keeps (per language and filters).
EVENT_LIST_PAGES = 64


@bp.get("/")
def index():
    """List upcoming published events, narrowed by type, city and month."""
    if session.get("_flashes"):
        return _render_index()[0]
    # The busiest page: each worker reuses what it rendered for the same
    # language and filters a moment ago. Seats left may then be a second old;
    # the registration itself always counts afresh under the lock.
    ttl = current_app.config["EVENT_LIST_CACHE_SECONDS"]
    if ttl <= 0:
        return _render_index()[0]
    asked = _asked()
    key = (current_language(), asked)
    cache = ttl_memo(current_app, "event_list_pages", maxsize=EVENT_LIST_PAGES, ttl=ttl)
    remembered = cache.get(key)
    if remembered is not None:
        return remembered
    page, shown = _render_index()
    # Only a list asked for exactly as its own links ask for it is kept: junk
    # arguments (or a city that does not exist) cannot fill the cache, and no
    # visitor gets links built from what somebody else typed.
    if shown == asked:
        cache.put(key, page)
    return page


def _asked() -> tuple[tuple[str, str], ...]:
    """The query, less the language (the cache key has it) and the empty filters the form sends."""
    return tuple(
        sorted(
            (name, value)
            for name, value in request.args.items(multi=True)
            if value and name != "lang"
        )
    )


def _render_index() -> tuple[str, tuple[tuple[str, str], ...]]:
    """The page, and the query that asks for exactly this list (as ``_asked`` gives it)."""
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
    arguments = _list_arguments(event_filter)
    page = render_template(
        "events/index.html",
        events=listing.events,
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        list_arguments=arguments,
        seats=availability([event.id for event in listing.events]),
        event_filter=event_filter,
        cities=services.all_cities(),
        months=services.upcoming_months(now=now),
        event_types=list(EventType),
    )
    shown = {**arguments, "page": str(listing.page)} if listing.page > 1 else arguments
    return page, tuple(sorted(shown.items()))


def _list_arguments(event_filter: services.EventFilter) -> dict[str, str]:
    """The filters as the filter form writes them: the only arguments the page's links carry."""
    arguments = {}
    if event_filter.type is not None:
        arguments["type"] = event_filter.type.value
    if event_filter.city is not None:
        arguments["city"] = event_filter.city.slug
    if event_filter.month is not None:
        arguments["month"] = event_filter.month.strftime("%Y-%m")
    return arguments


@bp.record_once
def _configure_list_cache(state) -> None:
    state.app.config.setdefault("EVENT_LIST_CACHE_SECONDS", 0 if state.app.testing else 1.0)


@bp.get("/events/<int:event_id>")
def detail(event_id: int):
    """Show one event: what, when, where, seats left, and the registration form."""
    event = services.get_public_event(event_id) or abort(404)
    return render_event_page(event, RegistrationForm())


def render_event_page(event: Event, form: RegistrationForm, status: int = 200):
    """The event page; the registration view shows it again with the form's errors."""
    seats, now = availability([event.id])[event.id], utcnow()
    controller = data_controller(event)
    form.name_the_controller(controller)
    form.offer_home_cities(coalition_cities())
    page = render_template(
        "events/detail.html",
        event=event,
        seats=seats,
        allocations=allocation_state(event, now=now),
        form=form,
        controller=controller,
        now=now,
    )
    return page, status


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement (deklaracja dostępności) that Polish public bodies must
    publish, in the structure of the official template (``registration.accessibility``)."""
    return render_template(
        "accessibility.html",
        statement=accessibility_statement(),
        ombudsman_url=OMBUDSMAN_URL,
        site_url=current_app.config["BASE_URL"] + "/",
    )
