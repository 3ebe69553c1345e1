"""RFC 9457 problem responses."""

from __future__ import annotations

import json

from flask import Response, current_app

PROBLEM_BASE = "/problems/"


def problem_type(code: str) -> str:
    """The absolute URI that names a kind of problem, e.g. ``…/problems/event-full``."""
    return f"{current_app.config['BASE_URL']}{PROBLEM_BASE}{code}"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    body: dict = {
        "type": problem_type(code) if code else "about:blank",
        "title": str(title),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    if errors is not None:
        body["errors"] = {field: [str(m) for m in messages] for field, messages in errors.items()}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/problem+json",
    )
