"""Organiser API: attendee lists, the CSV export and check-in (docs/api.md)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, abort, request

from registration.api.auth import current_api_account, managed_event_or_abort, organiser_required
from registration.api.openapi import (
    NULLABLE_STRING,
    NULLABLE_TIMESTAMP,
    UNAUTHORISED,
    problem_response,
)
from registration.api.schemas import timestamp
from registration.api.views import bp
from registration.extensions import db
from registration.registrations import exports, services
from registration.registrations.coalition import OTHER_CITY
from registration.registrations.models import Category, Registration, RegistrationStatus


@bp.get("/events/<int:event_id>/registrations")
@organiser_required
def list_registrations(event_id: int):
    """Every registration of the event, in order of arrival."""
    event = managed_event_or_abort(event_id)
    return {"registrations": registrations_json(exports.attendees(event.id))}


@bp.get("/events/<int:event_id>/registrations.csv")
@organiser_required
def registrations_csv(event_id: int):
    """The attendee list as CSV: the back office's rows, comma-separated for scripts."""
    event = managed_event_or_abort(event_id)
    body = exports.csv_bytes(exports.attendees(event.id), delimiter=exports.API_DELIMITER)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="attendees-{event.id}.csv"'
    return response


@bp.post("/registrations/<int:registration_id>/check-in")
@organiser_required
def check_in(registration_id: int):
    """Mark a confirmed person as arrived today; a repeated check-in keeps the first time.

    On a day the event does not take place, ``?other_day=true`` confirms it (else 409).
    """
    registration = db.session.get(Registration, registration_id) or abort(404)
    if not current_api_account().can_manage(registration.event):
        abort(403)
    services.check_in(
        registration,
        account=current_api_account(),
        other_day=request.args.get("other_day") == "true",
    )
    body = registrations_json([registration])[0]  # read before committing expires it
    db.session.commit()
    return body


@bp.post("/registrations/<int:registration_id>/approve")
@organiser_required
def approve(registration_id: int):
    """Accept a pending request: a seat by the rules, else a place on the waitlist."""
    return _decide(registration_id, services.approve)


@bp.post("/registrations/<int:registration_id>/reject")
@organiser_required
def reject(registration_id: int):
    """Decline a pending request; the person is told."""
    return _decide(registration_id, services.reject)


def _decide(registration_id: int, decision) -> dict:
    registration = db.session.get(Registration, registration_id) or abort(404)
    if not current_api_account().can_manage(registration.event):
        abort(403)
    decision(registration, account=current_api_account())
    body = registrations_json([registration])[0]  # read before committing expires it
    db.session.commit()
    return body


def registrations_json(registrations: Sequence[Registration]) -> list[dict]:
    """The organiser's view of registrations; places in line counted in one pass.

    :param registrations: all registrations of one event in order of arrival, or
        confirmed ones only (they have no place in line)
    """
    positions = exports.waitlist_positions(registrations)
    return [
        {
            "id": registration.id,
            "name": registration.full_name,
            "email": registration.email,
            "institution": registration.institution,
            "position": registration.position,
            "category": registration.category.value,
            "city": registration.city,
            "home_city": registration.home_city.slug if registration.home_city else OTHER_CITY,
            "needs": registration.needs,
            "status": registration.status.value,
            "waitlist_position": positions.get(registration.id),
            "language": registration.language,
            "created_at": timestamp(registration.created_at),
            "cancelled_at": timestamp(registration.cancelled_at),
            "checked_in_at": timestamp(registration.checked_in_at),
        }
        for registration in registrations
    ]


#: OpenAPI component schemas of this module.
SCHEMAS: dict = {
    "OrganiserRegistration": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "name",
            "email",
            "institution",
            "position",
            "category",
            "city",
            "home_city",
            "needs",
            "status",
            "waitlist_position",
            "language",
            "created_at",
            "cancelled_at",
            "checked_in_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "institution": {"type": "string"},
            "position": NULLABLE_STRING,
            "category": {"enum": list(Category)},
            "city": {"type": "string", "description": "Where the person works, as they wrote it."},
            "home_city": {
                "type": "string",
                "description": "The coalition city the person works for (its slug), or `other`.",
            },
            "needs": NULLABLE_STRING,
            "status": {"enum": list(RegistrationStatus)},
            "waitlist_position": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "Current place in line: 1 is promoted next. Null unless waitlisted.",
            },
            "language": {"enum": ["pl", "en"], "description": "Language of the person's emails."},
            "created_at": {"type": "string", "format": "date-time"},
            "cancelled_at": NULLABLE_TIMESTAMP,
            "checked_in_at": NULLABLE_TIMESTAMP,
        },
    },
}


_SECURITY = [{"organiserToken": []}]
_REGISTRATION_ID = {
    "name": "registration_id",
    "in": "path",
    "required": True,
    "description": "The registration's `id` (not its secret token).",
    "schema": {"type": "integer"},
}


def _decision(operation_id: str, summary: str, done: str) -> dict:
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "security": _SECURITY,
            "parameters": [_REGISTRATION_ID],
            "responses": {
                "200": {
                    "description": done,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/OrganiserRegistration"}
                        }
                    },
                },
                "401": UNAUTHORISED,
                "403": problem_response(
                    "The registration is for an event in a city the token's organiser "
                    "does not manage."
                ),
                "404": problem_response("No such registration."),
                "409": problem_response(
                    "The registration is not pending: `type` ends in /not-pending. Or (approve) "
                    "no seat is free for the person and the event has no waitlist: /event-full; "
                    "or the event is not published or has ended: /registration-closed."
                ),
            },
        }
    }


_FORBIDDEN = problem_response("The event is in a city the token's organiser does not manage.")
_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}

#: OpenAPI path items of this module, merged into the document by ``api/openapi.py``.
PATHS: dict = {
    "/events/{event_id}/registrations": {
        "get": {
            "operationId": "listRegistrations",
            "summary": "Every registration of the event, in order of arrival.",
            "security": _SECURITY,
            "parameters": [_EVENT_ID],
            "responses": {
                "200": {
                    "description": "The registrations.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["registrations"],
                                "properties": {
                                    "registrations": {
                                        "type": "array",
                                        "items": {
                                            "$ref": "#/components/schemas/OrganiserRegistration"
                                        },
                                    }
                                },
                            }
                        }
                    },
                },
                "401": UNAUTHORISED,
                "403": _FORBIDDEN,
                "404": problem_response("No such event."),
            },
        }
    },
    "/events/{event_id}/registrations.csv": {
        "get": {
            "operationId": "exportRegistrations",
            "summary": "The attendee list as CSV: the back office's rows, comma-separated.",
            "description": (
                "UTF-8 with a byte order mark, comma-separated (the back office's download "
                "uses semicolons, for Excel with Polish regional settings), CRLF line ends, a "
                "header row, one row per registration in order of arrival, times in "
                "Europe/Warsaw. Text cells that begin with `=`, `+`, `-`, `@`, a tab or a "
                "carriage return start with a single quote, so that spreadsheets never run "
                "them as formulas."
            ),
            "security": _SECURITY,
            "parameters": [_EVENT_ID],
            "responses": {
                "200": {
                    "description": "The CSV file.",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                "401": UNAUTHORISED,
                "403": _FORBIDDEN,
                "404": problem_response("No such event."),
            },
        }
    },
    "/registrations/{registration_id}/approve": _decision(
        "approveRegistration",
        "Approve a pending registration (events with approval).",
        "Approved: `status` is confirmed if a seat is free for the person by the event's "
        "rules (city allocations), else waitlisted. The person is emailed.",
    ),
    "/registrations/{registration_id}/reject": _decision(
        "rejectRegistration",
        "Reject a pending registration (events with approval).",
        "Rejected; the person is emailed. No seat was held, so none frees.",
    ),
    "/registrations/{registration_id}/check-in": {
        "post": {
            "operationId": "checkIn",
            "summary": (
                "Mark a confirmed person as arrived today; repeating it keeps the first time."
            ),
            "security": _SECURITY,
            "parameters": [
                {
                    "name": "registration_id",
                    "in": "path",
                    "required": True,
                    "description": "The registration's `id` (not its secret token).",
                    "schema": {"type": "integer"},
                },
                {
                    "name": "other_day",
                    "in": "query",
                    "required": False,
                    "description": (
                        "`true` confirms a check-in on a day the event does not take place "
                        "(in Warsaw); without it such a check-in answers 409."
                    ),
                    "schema": {"type": "string", "enum": ["true"]},
                },
            ],
            "responses": {
                "200": {
                    "description": "Checked in (today, or earlier today).",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/OrganiserRegistration"}
                        }
                    },
                },
                "401": UNAUTHORISED,
                "403": problem_response(
                    "The registration is for an event in a city the token's organiser "
                    "does not manage."
                ),
                "404": problem_response("No such registration."),
                "409": problem_response(
                    "The registration is not confirmed (waitlisted or cancelled): `type` ends "
                    "in /not-confirmed. Or the event does not take place today and "
                    "`other_day=true` was not given: `type` ends in /not-an-event-day."
                ),
            },
        }
    },
}
