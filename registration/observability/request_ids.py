"""The request id: one short token that ties a request's log line, the emails it queued
and the mail worker's lines about them together.

An incoming ``X-Request-ID`` (from a reverse proxy or a client) is kept when it is sane:
at most ``MAX_LENGTH`` characters of ``[A-Za-z0-9-]``, so that nothing odd reaches a
log line or an email header. Otherwise a new one is made. Either way it is returned in
the answer's ``X-Request-ID`` header.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
MAX_LENGTH = 64
_SANE = re.compile(rf"[A-Za-z0-9-]{{1,{MAX_LENGTH}}}")


def sane(candidate: str | None) -> bool:
    """Whether an incoming request id may be used as it is."""
    return candidate is not None and _SANE.fullmatch(candidate) is not None


def new_request_id() -> str:
    """32 hex digits: unique enough to find one request among years of logs."""
    return secrets.token_hex(16)


def current_request_id() -> str | None:
    """The id of the request being handled, or ``None`` outside a request (the worker,
    a command)."""
    if not has_request_context():
        return None
    return g.get("request_id")


def init_app(app: Flask) -> None:
    @app.before_request
    def take_request_id() -> None:
        incoming = request.headers.get(HEADER)
        g.request_id = incoming if sane(incoming) else new_request_id()

    @app.after_request
    def return_request_id(response: Response) -> Response:
        request_id = current_request_id()
        if request_id:
            response.headers[HEADER] = request_id
        return response
