"""RFC 9457 problem documents: the API's answer to every refusal (``registration.errors``)."""

from __future__ import annotations

import json

from flask import Response, current_app
from flask_babel import lazy_gettext as _l

from registration.domain_errors import DomainError

PROBLEM_BASE = "/problems/"


def problem_type(code: str) -> str:
    """The absolute URI that names a kind of problem, e.g. ``…/problems/event-full``."""
    return f"{current_app.config['BASE_URL']}{PROBLEM_BASE}{code}"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    errors: dict[str, list] | None = None,
) -> Response:
    """The document: ``type`` (``about:blank`` without a code), ``title``, ``status``,
    ``detail``, and ``errors`` (each field's messages) for invalid input."""
    body: dict = {
        "type": problem_type(code) if code else "about:blank",
        "title": str(title),
        "status": status,
        "detail": str(detail),
    }
    if errors is not None:
        body["errors"] = {field: [str(m) for m in messages] for field, messages in errors.items()}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/problem+json",
    )


class NotJsonObject(DomainError):
    """A request body that is not a JSON object: no field of it can be read."""

    code = None  # the status says it all, as it always has
    status = 400
    title = _l("Bad request")
    message = _l("The body must be a JSON object.")


class Unauthenticated(DomainError):
    """An organiser endpoint without a valid ``Authorization: Bearer <token>``."""

    code = "unauthorized"
    status = 401
    title = _l("Authentication required")
    message = _l("Send a valid organiser API token.")
    headers = {"WWW-Authenticate": 'Bearer realm="organiser"'}
