"""JSON API v1: the same three steps as the pages — parse, call the service, answer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _

from registration.api import schemas
from registration.api.openapi import openapi_document
from registration.database import utcnow
from registration.domain_errors import DomainError, InvalidInput
from registration.events import services as events
from registration.events.models import EventType
from registration.extensions import db, limiter
from registration.i18n import WARSAW, select_locale
from registration.registrations import services
from registration.registrations.views import REGISTRATION_LIMIT

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/events")
def list_events():
    """Published events, upcoming by default, soonest first."""
    errors: dict[str, list[str]] = {}
    event_type = request.args.get("type") or None
    if event_type is not None and event_type not in EventType._value2member_map_:
        errors["type"] = [_("Unknown event type.")]
    city = None
    if request.args.get("city"):
        city = events.find_city(request.args["city"])
        if city is None:
            errors["city"] = [_("Unknown city.")]
    starts_from = _parse_bound(request.args.get("from"), "from", errors)
    starts_to = _parse_bound(request.args.get("to"), "to", errors, end_of_day=True)
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    event_filter = events.EventFilter(
        type=EventType(event_type) if event_type else None,
        city=city,
        include_past=request.args.get("past") in ("1", "true"),
        starts_from=starts_from,
        starts_before=starts_to,
    )
    found = events.published_events(event_filter, now=now)
    seats = services.availability([event.id for event in found])
    return {"events": [schemas.event_json(event, seats[event.id], now=now) for event in found]}


@bp.get("/events/<int:event_id>")
def get_event(event_id: int):
    """One published (or cancelled) event."""
    event = events.get_public_event(event_id) or abort(404)
    seats = services.availability([event.id])[event.id]
    return schemas.event_json(event, seats, now=utcnow())


@bp.post("/events/<int:event_id>/registrations")
@limiter.limit(REGISTRATION_LIMIT)
def create_registration(event_id: int):
    """Register a person: a seat, a place on the waitlist, or a problem saying why not."""
    # Shape first, database second: on SQLite a writing request holds the
    # database's lock from its first query, so nobody waits while JSON is checked.
    body = request.get_json(silent=True)
    try:
        form = schemas.registration_form(body)
    except DomainError:
        events.get_public_event(event_id) or abort(404)  # no event: 404, whatever the body
        raise
    language = body.get("language")
    if language not in current_app.config["LANGUAGES"]:
        language = select_locale()
    try:
        registered = services.register(event_id, form.applicant(language))
    except services.RegistrationError:
        db.session.commit()  # AlreadyRegistered queued the manage link to the address.
        raise
    db.session.commit()
    # After the commit: the answer is built from what register returned, no query, no lock.
    return schemas.registration_json(registered.registration, registered.waitlist_position), 201


@bp.get("/registrations/<token>")
def get_registration(token: str):
    """The registration behind a manage link."""
    registration = services.find_by_token(token) or abort(404)
    seats = services.availability([registration.event_id])[registration.event_id]
    body = schemas.registration_json(registration, services.waitlist_position(registration))
    body["event"] = schemas.event_json(
        registration.event, seats, now=utcnow(), online_url=registration.online_url
    )
    return body


@bp.delete("/registrations/<token>")
def cancel_registration(token: str):
    """Cancel through the manage link; cancelling twice is the same as once."""
    registration = services.find_by_token(token) or abort(404)
    services.cancel(registration)
    db.session.commit()
    return {"status": registration.status.value}


def _parse_bound(
    value: str | None, name: str, errors: dict, *, end_of_day: bool = False
) -> datetime | None:
    """A date (a whole day in Warsaw) or a date-time with offset, within the events' years."""
    if not value:
        return None
    whole_day = len(value) == 10
    try:
        if whole_day:
            moment = datetime.combine(date.fromisoformat(value), time(), tzinfo=WARSAW)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        errors[name] = [_("Use a date (2027-03-01) or a date and time with offset.")]
        return None
    if not events.within_years(moment):
        errors[name] = [str(events.OUTSIDE_YEARS)]
        return None
    return moment + timedelta(days=1) if whole_day and end_of_day else moment
