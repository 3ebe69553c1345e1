"""Organiser API: creating and changing events (SPEC section 5, organiser endpoints).

The same three steps as the back-office pages: JSON in (types checked here),
``events.services`` for the rules, problem responses out.
"""

from __future__ import annotations

from datetime import datetime

from flask import request
from flask_babel import lazy_gettext as _l

from registration.api import schemas
from registration.api.auth import current_api_account, managed_event_or_abort, organiser_required
from registration.api.openapi import (
    NOT_JSON,
    NULLABLE_TIMESTAMP,
    TOO_LARGE,
    UNAUTHORISED,
    UNAVAILABLE,
    problem_response,
)
from registration.api.views import bp
from registration.database import utcnow
from registration.domain_errors import InvalidInput
from registration.events import services
from registration.events.models import Event
from registration.extensions import db
from registration.registrations.services import availability

_TEXT = ("type", "title", "summary", "description", "city", "venue", "address", "status")
_TEXT_OR_NULL = ("online_url",)
_TIMESTAMPS = ("starts_at", "ends_at")
_TIMESTAMPS_OR_NULL = ("registration_opens_at", "registration_closes_at")


@bp.post("/events")
@organiser_required
def create_event():
    """Create an event; a draft unless the body gives another status."""
    event = services.create_event(_fields_from_body(), account=current_api_account())
    created = _event_json(event)  # before commit: no second transaction to read it back
    db.session.commit()
    return created, 201


@bp.patch("/events/<int:event_id>")
@organiser_required
def update_event(event_id: int):
    """Change any of an event's fields; people registered hear of a new time, place or status."""
    event = managed_event_or_abort(event_id)
    services.update_event(event, _fields_from_body(), account=current_api_account())
    changed = _event_json(event)
    db.session.commit()
    return changed


def _fields_from_body() -> dict:
    """The body's fields as Python values.

    :raise NotJsonObject: the body is not a JSON object
    :raise InvalidInput: a value has the wrong JSON type
    """
    body = schemas.json_object(request.get_json(silent=True))
    fields: dict = {}
    errors: dict[str, list[str]] = {}
    for name, value in body.items():
        try:
            fields[name] = _from_json(name, value)
        except ValueError as error:
            errors[name] = [str(error.args[0])]
    if errors:
        raise InvalidInput(errors)
    return fields


def _from_json(name: str, value):
    """One JSON value as the service takes it. Unknown names pass: the service names them.

    :raise ValueError: with the message for the person who sent it
    """
    nullable = name in _TEXT_OR_NULL or name in _TIMESTAMPS_OR_NULL
    if value is None and nullable:
        return None
    if name in _TEXT or name in _TEXT_OR_NULL or name == "contact_email":
        if not isinstance(value, str):
            raise ValueError(_l("Must be text."))
        return value
    if name in _TIMESTAMPS or name in _TIMESTAMPS_OR_NULL:
        return _timestamp(value)
    if name == "capacity":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_l("Enter a whole number."))
        return value
    if name == "waitlist":
        if not isinstance(value, bool):
            raise ValueError(_l("Must be true or false."))
        return value
    return value


def _timestamp(value) -> datetime:
    message = _l("Use a date and time with offset, e.g. 2027-03-10T10:00:00+01:00.")
    if not isinstance(value, str):
        raise ValueError(message)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(message) from None
    if moment.tzinfo is None:
        raise ValueError(message)
    return moment


def _event_json(event: Event) -> dict:
    seats = availability([event.id])[event.id]
    return schemas.event_json(event, seats, now=utcnow())


# --- OpenAPI -------------------------------------------------------------------

_IN_YEARS = f"In the years {services.FIRST_YEAR}–{services.LAST_YEAR}."
_WRITABLE = {
    "type": {"enum": ["study_visit", "seminar", "expert_meeting"]},
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "summary": {"type": "string", "maxLength": 500},
    "description": {
        "type": "string",
        "maxLength": services.DESCRIPTION_LIMIT,
        "description": "Plain text; blank lines separate paragraphs.",
    },
    "city": {
        "type": "string",
        "description": "The city's name (Łódź) or slug (lodz); an organiser's own only.",
    },
    "venue": {"type": "string", "minLength": 1, "maxLength": 200},
    "address": {"type": "string", "minLength": 1, "maxLength": 300},
    "online_url": {
        "type": ["string", "null"],
        "format": "uri",
        "maxLength": 500,
        "description": "An http(s) address, or null for none.",
    },
    "starts_at": {
        "type": "string",
        "format": "date-time",
        "description": f"With offset. {_IN_YEARS}",
    },
    "ends_at": {
        "type": "string",
        "format": "date-time",
        "description": f"After the start. {_IN_YEARS}",
    },
    "capacity": {
        "type": "integer",
        "minimum": 0,
        "maximum": services.MAX_CAPACITY,
        "description": (
            "Seats that can be confirmed; never below the confirmed registrations. "
            "Added seats go to the waitlist in order of registration."
        ),
    },
    "waitlist": {"type": "boolean"},
    "registration_opens_at": {
        **NULLABLE_TIMESTAMP,
        "description": f"Null: open as soon as the event is published. {_IN_YEARS}",
    },
    "registration_closes_at": {
        **NULLABLE_TIMESTAMP,
        "description": f"Null: open until the event starts. After the opening. {_IN_YEARS}",
    },
    "status": {
        "enum": ["draft", "published", "cancelled"],
        "description": "A published or cancelled event cannot become a draft again.",
    },
    "contact_email": {"type": "string", "format": "email", "maxLength": 254},
}

SCHEMAS: dict = {
    "EventCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "type",
            "title",
            "city",
            "venue",
            "address",
            "starts_at",
            "ends_at",
            "capacity",
            "contact_email",
        ],
        "properties": _WRITABLE,
    },
    "EventChanges": {
        "type": "object",
        "additionalProperties": False,
        "description": "Any of the writable fields; those left out stay as they are.",
        "properties": _WRITABLE,
    },
}


def _event_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}},
    }


def _body(schema: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


_SECURITY = [{"organiserToken": []}]
_INVALID = problem_response(
    "Invalid input, e.g. the end before the start or an unknown city; `errors` maps "
    "each field to its messages."
)

#: OpenAPI path items of this module, merged into the document by ``api/openapi.py``.
PATHS: dict = {
    "/events": {
        "post": {
            "operationId": "createEvent",
            "summary": "Create an event (organisers); a draft unless `status` says otherwise.",
            "security": _SECURITY,
            "requestBody": _body("EventCreate"),
            "responses": {
                "201": _event_response("Created."),
                "400": NOT_JSON,
                "401": UNAUTHORISED,
                "403": problem_response("An organiser named a city other than their own."),
                "413": TOO_LARGE,
                "422": _INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
    "/events/{event_id}": {
        "patch": {
            "operationId": "updateEvent",
            "summary": (
                "Change an event (organisers). A new time, place or status raises the "
                "iCalendar SEQUENCE and emails everyone holding a seat or a place; a new "
                "capacity confirms people from the waitlist in order."
            ),
            "security": _SECURITY,
            "parameters": [
                {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "requestBody": _body("EventChanges"),
            "responses": {
                "200": _event_response("The event as it now is."),
                "400": NOT_JSON,
                "401": UNAUTHORISED,
                "403": problem_response(
                    "The event, or the city it would move to, is not the organiser's."
                ),
                "404": problem_response("No such event."),
                "409": problem_response(
                    "Capacity below the confirmed registrations; `type` ends in "
                    "/capacity-below-confirmed."
                ),
                "413": TOO_LARGE,
                "422": _INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
