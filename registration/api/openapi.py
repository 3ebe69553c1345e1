"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json.

Checked by ``tests/api/test_openapi.py``: every route must be described here,
everything here must exist, and real responses must validate against these
schemas. What requests may hold is not written here but built from what the
validation checks: an event's fields from ``events.services.EVENT_FIELDS``
(``field_schema``), a registration from the ``RegistrationForm`` the API
validates with (``form_schema``); the limits in both are the models' columns.
"""

from __future__ import annotations

from flask import current_app
from wtforms import BooleanField, EmailField, SelectField

from registration.api.schemas import blank_registration_form
from registration.events.models import EventLanguage, EventStatus, EventType
from registration.events.services import FIRST_YEAR, LAST_YEAR, coalition_cities
from registration.fields import Kind, Rule
from registration.forms import Form
from registration.registrations.coalition import OTHER_CITY
from registration.registrations.models import ACTIVE_STATUSES, RegistrationStatus

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
TIMESTAMP = {"type": "string", "format": "date-time"}

EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "slug",
        "type",
        "title",
        "summary",
        "description",
        "language",
        "audience",
        "cost",
        "programme",
        "practical_information",
        "city",
        "venue",
        "address",
        "online_url",
        "starts_at",
        "ends_at",
        "capacity",
        "waitlist",
        "seats_left",
        "waitlist_length",
        "registration_opens_at",
        "registration_closes_at",
        "registration_open",
        "status",
        "contact_email",
        "data_controller",
        "approval",
        "institution_cap",
        "allocations",
        "allocation_release_at",
        "allocations_left",
        "common_seats_left",
        "certificate_hours",
        "url",
        "ical_url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "type": {"enum": list(EventType)},
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "description": {
            "type": "string",
            "description": "Markdown, shown as a safe subset: paragraphs, lists, links, bold and "
            "emphasis; never HTML. Plain text reads as paragraphs.",
        },
        "language": {
            "enum": list(EventLanguage),
            "description": "The language the event is held in; its texts are written in it.",
        },
        "audience": {"type": "string", "description": "Who may take part; empty: not stated."},
        "cost": {"type": "string", "description": "What taking part costs; empty: free."},
        "programme": {
            "type": "string",
            "description": "The programme by day and hour, one line each (see EventCreate).",
        },
        "practical_information": {
            "type": "string",
            "description": "Travel, accommodation, meals: Markdown, as the description.",
        },
        "city": {"type": "string", "description": "The city's name, e.g. Łódź."},
        "venue": {"type": "string"},
        "address": {"type": "string"},
        "online_url": {
            **NULLABLE_STRING,
            "description": "The meeting link of an online or hybrid event: only for registered "
            "people (their registration's event) and organisers; null in the public list and "
            "detail.",
        },
        "starts_at": TIMESTAMP,
        "ends_at": TIMESTAMP,
        "capacity": {"type": "integer", "minimum": 0},
        "waitlist": {"type": "boolean"},
        "seats_left": {"type": "integer", "minimum": 0},
        "waitlist_length": {"type": "integer", "minimum": 0},
        "registration_opens_at": NULLABLE_TIMESTAMP,
        "registration_closes_at": TIMESTAMP,
        "registration_open": {
            "type": "boolean",
            "description": "Whether registration is open now.",
        },
        "status": {"enum": list(EventStatus)},
        "contact_email": {"type": "string", "format": "email"},
        "data_controller": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", "name", "address", "email", "phone", "dpo_email"],
            "description": "Who controls the registrations' personal data (GDPR art. 13): "
            "name them beside the consent when registering people through the API.",
            "properties": {
                "key": {"type": "string", "description": "What organisers set to choose it."},
                "name": {"type": "string"},
                "address": {"type": "string", "description": "Postal address, on one line."},
                "email": {"type": "string", "format": "email"},
                "phone": NULLABLE_STRING,
                "dpo_email": {
                    "type": "string",
                    "format": "email",
                    "description": "The data protection officer's address.",
                },
            },
        },
        "approval": {
            "type": "boolean",
            "description": "Whether organisers approve each registration; until then it is "
            "`pending` and holds no seat.",
        },
        "institution_cap": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "At most this many active registrations per institution; null: "
            "no limit.",
        },
        "allocations": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 1},
            "description": "Seats kept for each coalition city (by slug) until "
            "`allocation_release_at`; empty: none.",
        },
        "allocation_release_at": {
            **NULLABLE_TIMESTAMP,
            "description": "When the unused allocated seats join the common pool and go to "
            "the waitlist in order; null when the event keeps no seats for cities.",
        },
        "allocations_left": {
            "type": ["object", "null"],
            "additionalProperties": {"type": "integer", "minimum": 0},
            "description": "While the allocations hold: free seats kept for each coalition "
            "city (by slug); else null.",
        },
        "common_seats_left": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "While the allocations hold: free seats open to anyone (the common "
            "pool); else null.",
        },
        "certificate_hours": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "The hours of training the certificates of attendance state; null: "
            "a one-day event's length, none for an event of several days.",
        },
        "url": {"type": "string", "format": "uri"},
        "ical_url": {"type": "string", "format": "uri"},
    },
}

_IN_YEARS = f"In the years {FIRST_YEAR}–{LAST_YEAR}."
_FORMATS = {Kind.EMAIL: "email", Kind.URL: "uri", Kind.TIMESTAMP: "date-time"}


def field_schema(rule: Rule) -> dict:
    """A field's JSON Schema, from the rule its validation checks."""
    if rule.kind == Kind.CHOICE:
        schema: dict = {"enum": [str(choice) for choice in rule.choices]}
    elif rule.kind == Kind.BOOLEAN:
        schema = {"type": "boolean"}
    elif rule.kind == Kind.INTEGER:
        schema = {"type": "integer", "minimum": rule.minimum, "maximum": rule.maximum}
    else:
        schema = {"type": "string"}
        if rule.kind in _FORMATS:
            schema["format"] = _FORMATS[rule.kind]
        if rule.kind == Kind.LINE and rule.required:
            schema["minLength"] = 1  # blank is missing
        if rule.max_length is not None:
            schema["maxLength"] = rule.max_length
    if rule.nullable:
        schema["type"] = [schema["type"], "null"]
    descriptions = [rule.description] if rule.description else []
    if rule.kind == Kind.TIMESTAMP:
        descriptions.append(_IN_YEARS)  # events.services.within_years
    if descriptions:
        schema["description"] = " ".join(descriptions)
    return schema


def form_schema(form: Form) -> dict:
    """The JSON object a form takes through the API, from its fields and validators: a
    checkbox the form requires is ``true``, a choice one of its values, anything else
    text within the field's ``maxlength``."""
    properties: dict[str, dict] = {}
    required = []
    for field in form:
        if isinstance(field, BooleanField):
            schema: dict = {"const": True} if field.flags.required else {"type": "boolean"}
        elif isinstance(field, SelectField):
            schema = {"enum": [choice.value for choice in field.choices if choice.value]}
        else:
            schema = {"type": "string"}
            if isinstance(field, EmailField):
                schema["format"] = "email"
            if field.flags.maxlength:
                schema["maxLength"] = field.flags.maxlength
        properties[field.name] = schema
        if field.flags.required:
            required.append(field.name)
    return {"type": "object", "required": required, "properties": properties}


def _registration_request() -> dict:
    schema = form_schema(blank_registration_form())
    schema["properties"]["home_city"] = {
        "enum": [*(city.slug for city in coalition_cities()), OTHER_CITY],
        "description": "The coalition city the person works for, or `other` (then `city` "
        "names it). City allocations and reports go by it. When absent, it is the coalition "
        "city that `city` names, if any.",
    }
    schema["properties"]["city"]["description"] = (
        "The city the person works in, as they write it; may be left out when `home_city` "
        "names a coalition city."
    )
    schema["required"].insert(schema["required"].index("category") + 1, "city")
    schema["properties"]["language"] = {
        "enum": list(current_app.config["LANGUAGES"]),
        "description": "Language of the emails; default from Accept-Language.",
    }
    return schema


WAITLIST_POSITION = {
    "type": ["integer", "null"],
    "minimum": 1,
    "description": "Current place in line: 1 is promoted next. Null unless waitlisted.",
}

REGISTRATION_CREATED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "status", "waitlist_position", "manage_url"],
    "properties": {
        "id": {"type": "integer"},
        "status": {
            "enum": list(ACTIVE_STATUSES),
            "description": "`pending` at an event with approval: no seat until an organiser "
            "approves.",
        },
        "waitlist_position": WAITLIST_POSITION,
        "manage_url": {"type": "string", "format": "uri"},
    },
}

REGISTRATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "status", "waitlist_position", "manage_url", "event"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"enum": list(RegistrationStatus)},
        "waitlist_position": WAITLIST_POSITION,
        "manage_url": {"type": "string", "format": "uri"},
        "event": {"$ref": "#/components/schemas/Event"},
    },
}

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "Names the problem: `about:blank`, or a URI ending in its code.",
        },
        "title": {"type": "string", "description": "The kind of problem, in a few words."},
        "status": {"type": "integer"},
        "detail": {
            "type": "string",
            "description": (
                "One sentence in the client's language (Accept-Language): what happened "
                "and what to do."
            ),
        },
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def problem_response(description: str) -> dict:
    """An OpenAPI response: a problem document, for the reason ``description`` gives."""
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The secret token of the registration's manage link.",
    "schema": {"type": "string"},
}
_RATE_LIMITED = problem_response("Too many requests from this address; retry later.")
UNAUTHORISED = problem_response("No valid organiser token (`Authorization: Bearer <token>`).")
NOT_JSON = problem_response("The body is not a JSON object.")
UNAVAILABLE = problem_response("The database is unavailable; nothing was saved. Retry later.")
#: Every request body; MAX_CONTENT_LENGTH in config.py.
TOO_LARGE = problem_response("The body is larger than 1 MB; nothing was saved.")


def openapi_document() -> dict:
    from registration.api import organiser_events, organiser_registrations

    organiser = [organiser_events, organiser_registrations]
    document = _public_document()
    for module in organiser:
        for path, operations in module.PATHS.items():
            document["paths"].setdefault(path, {}).update(operations)
        document["components"]["schemas"].update(module.SCHEMAS)
    if any(module.PATHS for module in organiser):
        document["components"]["securitySchemes"] = {
            "organiserToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `flask --app wsgi users token EMAIL`.",
            }
        }
    return document


def _public_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Koalicja Miast registration API",
            "version": "1.0.0",
            "description": (
                "Events of Koalicja Miast and registration for them. Timestamps are ISO 8601 "
                "with offset, in Europe/Warsaw. Errors are RFC 9457 problem documents."
            ),
        },
        "servers": [{"url": current_app.config["BASE_URL"] + "/api/v1"}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "responses": {"200": _json("The OpenAPI document.", {"type": "object"})},
                }
            },
            "/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Published events, upcoming by default, sorted by start.",
                    "parameters": [
                        {
                            "name": "type",
                            "in": "query",
                            "schema": {"enum": list(EventType)},
                        },
                        {
                            "name": "city",
                            "in": "query",
                            "description": "City name or slug.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "from",
                            "in": "query",
                            "description": f"Events starting on or after this date (Warsaw) or date-time, in the years {FIRST_YEAR}–{LAST_YEAR}.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "description": f"Events starting on or before this date (Warsaw), or before this date-time, in the years {FIRST_YEAR}–{LAST_YEAR}.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "past",
                            "in": "query",
                            "description": "1 adds past events.",
                            "schema": {"enum": ["0", "1"]},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            "The events.",
                            {
                                "type": "object",
                                "required": ["events"],
                                "properties": {
                                    "events": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Event"},
                                    }
                                },
                            },
                        ),
                        "422": problem_response(
                            "Invalid filter; `errors` names each parameter with its messages."
                        ),
                    },
                }
            },
            "/events/{event_id}": {
                "get": {
                    "operationId": "getEvent",
                    "summary": "One published or cancelled event.",
                    "parameters": [_EVENT_ID],
                    "responses": {
                        "200": _json("The event.", {"$ref": "#/components/schemas/Event"}),
                        "404": problem_response("No such event, or a draft."),
                    },
                }
            },
            "/events/{event_id}/registrations": {
                "post": {
                    "operationId": "register",
                    "summary": "Register for an event: a seat, or a place on the waitlist.",
                    "parameters": [_EVENT_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/RegistrationRequest"}
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            "Registered.", {"$ref": "#/components/schemas/RegistrationCreated"}
                        ),
                        "400": NOT_JSON,
                        "404": problem_response("No such event, or a draft."),
                        "409": problem_response(
                            "Not registered: `type` ends in /registration-closed, /event-full or "
                            "/already-registered (the manage link of the existing registration is "
                            "emailed to the address; nothing about it is revealed here). At a full "
                            "event without a waitlist every address gets /event-full, also one "
                            "that holds a seat (its manage link goes to it by email)."
                        ),
                        "413": TOO_LARGE,
                        "422": problem_response(
                            "Invalid input; `errors` maps each field to its messages."
                        ),
                        "429": _RATE_LIMITED,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/registrations/{token}": {
                "get": {
                    "operationId": "getRegistration",
                    "summary": "The registration behind a manage link.",
                    "parameters": [_TOKEN],
                    "responses": {
                        "200": _json(
                            "The registration.", {"$ref": "#/components/schemas/Registration"}
                        ),
                        "404": problem_response("Unknown token."),
                    },
                },
                "delete": {
                    "operationId": "cancelRegistration",
                    "summary": "Cancel; idempotent. The seat goes to the first person on the waitlist.",
                    "parameters": [_TOKEN],
                    "responses": {
                        "200": _json(
                            "Cancelled (now or before).",
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["status"],
                                "properties": {
                                    "status": {
                                        "enum": ["cancelled", "rejected"],
                                        "description": "A request the organisers rejected "
                                        "stays rejected: it held nothing to give up.",
                                    }
                                },
                            },
                        ),
                        "404": problem_response("Unknown token."),
                        "409": problem_response(
                            "The event has started; `type` ends in /cancellation-closed."
                        ),
                        "503": UNAVAILABLE,
                    },
                },
            },
        },
        "components": {
            "schemas": {
                "Event": EVENT,
                "RegistrationRequest": _registration_request(),
                "RegistrationCreated": REGISTRATION_CREATED,
                "Registration": REGISTRATION,
                "Problem": PROBLEM,
            }
        },
    }
