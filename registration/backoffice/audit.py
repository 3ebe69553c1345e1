"""Back office: the audit log in words, filtered, a page at a time or as a download."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from registration.accounts import audit
from registration.backoffice import bp
from registration.backoffice.access import current_account, managed_event_or_abort
from registration.forms import day_argument
from registration.registrations import exports


@bp.get("/audit")
@login_required
def audit_log():
    """Who did what, newest first: admins read everything, an organiser their city's events."""
    filters, errors = _filters()
    account = current_account()
    found = audit.audit_page(account, filters, request.args.get("page", 1, type=int))
    return render_template(
        "backoffice/audit.html",
        page=found.pagination,
        entries=found.entries,
        filters=filters,
        errors=errors,
        events=audit.visible_events(account),
        actions=audit.action_choices(),
        arguments=_filter_arguments(filters),
    ), (400 if errors else 200)


@bp.get("/audit.csv")
@login_required
def audit_log_csv():
    """The filtered entries as CSV for Excel with Polish settings."""
    filters, errors = _filters()
    if errors:
        abort(400)
    header, rows = audit.export_rows(current_account(), filters)
    return _download(exports.table_csv(header, rows), exports.CSV_MIMETYPE, "audit-log.csv")


@bp.get("/audit.xlsx")
@login_required
def audit_log_xlsx():
    """The filtered entries as an Excel workbook."""
    filters, errors = _filters()
    if errors:
        abort(400)
    header, rows = audit.export_rows(current_account(), filters)
    widths = [width for _name, width in audit.EXPORT_COLUMNS]
    body = exports.table_xlsx(header, rows, widths=widths, title=_("Audit log"))
    return _download(body, exports.XLSX_MIMETYPE, "audit-log.xlsx")


def _filters() -> tuple[audit.Filters, dict[str, str]]:
    """The filters in the query string, and what is wrong with any of them.

    A wrong filter is left out (and said, with a 400); another city's event is refused
    as its own pages are (403), an unknown one is not found (404).
    """
    errors: dict[str, str] = {}
    event_id = None
    if request.args.get("event"):
        event_id = request.args.get("event", type=int)
        if event_id is None or not 0 < event_id < 2**31:
            errors["event"] = _("Choose an event from the list.")
            event_id = None
        else:
            managed_event_or_abort(event_id)
    action = request.args.get("action") or None
    if action is not None and action not in audit.KINDS:
        errors["action"] = _("Choose a kind of action from the list.")
        action = None
    person = " ".join(request.args.get("person", "").split()) or None
    if person is not None and len(person) > audit.SEARCH_LIMIT:
        errors["person"] = _("Type at most %(num)d characters.", num=audit.SEARCH_LIMIT)
        person = None
    since = day_argument("since", errors)
    until = day_argument("until", errors)
    if since and until and since > until:
        errors["until"] = _("The last day cannot come before the first.")
        until = None
    return audit.Filters(event_id, person, action, since, until), errors


def _filter_arguments(filters: audit.Filters) -> dict[str, str]:
    """The filters as query arguments, for the pages' links and the downloads."""
    arguments = {
        "event": filters.event_id,
        "person": filters.person,
        "action": filters.action,
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
    }
    return {name: str(value) for name, value in arguments.items() if value}


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
