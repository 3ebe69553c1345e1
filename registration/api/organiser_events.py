"""Organiser API: creating and changing events (docs/api.md, organiser endpoints).

The same three steps as the back-office pages: JSON in (types checked here),
``events.services`` for the rules, problem responses out.
"""

from __future__ import annotations

from flask import request

from registration.api import schemas
from registration.api.auth import current_api_account, managed_event_or_abort, organiser_required
from registration.api.openapi import (
    NOT_JSON,
    TOO_LARGE,
    UNAUTHORISED,
    UNAVAILABLE,
    field_schema,
    problem_response,
)
from registration.api.views import bp
from registration.database import utcnow
from registration.domain_errors import InvalidInput
from registration.events import services
from registration.events.models import Event
from registration.extensions import db
from registration.registrations.services import availability


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
        rule = services.EVENT_FIELDS.get(name)
        if rule is None:
            fields[name] = value  # the service names what cannot be set
            continue
        try:
            fields[name] = schemas.from_json(rule, value)
        except ValueError as error:
            errors[name] = [str(error.args[0])]
    if errors:
        raise InvalidInput(errors)
    return fields


def _event_json(event: Event) -> dict:
    seats = availability([event.id])[event.id]
    return schemas.event_json(event, seats, now=utcnow(), online_url=event.online_url)


# --- OpenAPI -------------------------------------------------------------------

#: What organisers may send: built from the rules ``events.services`` checks.
_WRITABLE = {name: field_schema(rule) for name, rule in services.EVENT_FIELDS.items()}
_WRITABLE[services.ALLOCATIONS] = {
    "type": ["object", "null"],
    "additionalProperties": {"type": "integer", "minimum": 0},
    "description": (
        "Seats kept for coalition cities until allocation_release_at, by city slug "
        '({"gdansk": 4, "lodz": 4}); 0 or leaving a city out keeps none; null or {} removes '
        "all. Together at most the capacity; unchangeable once released. Seats no longer "
        "kept go to the waitlist."
    ),
}

SCHEMAS: dict = {
    "EventCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, rule in services.EVENT_FIELDS.items() if rule.required],
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
