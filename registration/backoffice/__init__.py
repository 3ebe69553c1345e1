"""The organiser back office under /organiser: pages only, the rules live in the domain."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/organiser")

from registration.backoffice import (  # noqa: E402, F401  (routes)
    accounts,
    attendees,
    audit,
    auth,
    certificates,
    check_in,
    dashboard,
    events,
    imports,
    messages,
    reports,
)
