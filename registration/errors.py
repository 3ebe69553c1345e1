"""Error pages in the visitor's language, and a calm answer when the database is away."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from registration.extensions import db
from registration.sessions import API_PATH_PREFIX

bp = Blueprint("errors", __name__)


def wants_problem_json() -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def error_page(template: str, status: int, **context) -> Response:
    """An error page that asks nothing of the database: the database may be what failed.

    ``render_template`` runs every context processor, and Flask-Login's loads
    the signed-in account, a query. With the database gone, that query failed
    again inside the error handler, and the visitor got the server's bare 500
    instead of this page. Error pages show nobody's account, so they are rendered
    from the template alone; what they use (``url_for``, ``request``, the
    translations, the language links) is in the Jinja globals.
    """
    page = current_app.jinja_env.get_template(template).render(**context)
    return current_app.make_response((page, status))


_PROBLEM_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    413: _l("Request too large"),
    415: _l("Unsupported media type"),
    429: _l("Too many requests"),
}
_PROBLEM_DETAILS = {
    413: _l("Nothing was saved: the body is larger than this API accepts. Send a smaller one."),
    429: _l("Please wait a moment and try again."),
}


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if wants_problem_json():
        from registration.api.problems import problem

        code = error.code or 500
        title = _PROBLEM_TITLES.get(code, error.name)
        detail = _PROBLEM_DETAILS.get(code)
        return problem(code, str(title), str(detail) if detail else None)
    return error_page("errors/error.html", error.code or 500, error=error)


@bp.app_errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """A form without its CSRF token: usually one left open too long, or cookies blocked."""
    title = _("The form has expired")
    detail = _(
        "Nothing was saved. Go back, reload the page and send the form again. "
        "If this keeps happening, allow cookies for this site."
    )
    return error_page("errors/unavailable.html", 400, title=title, detail=detail)


@bp.app_errorhandler(OperationalError)
def database_unavailable(error: OperationalError):
    """A database that restarted or is overloaded: nothing was saved, say so and retry."""
    current_app.logger.warning("database unavailable: %s", error)
    db.session.rollback()
    title = _("Service temporarily unavailable")
    detail = _("Nothing was saved. Please try again in a moment.")
    if wants_problem_json():
        from registration.api.problems import problem

        response = problem(503, title, detail)
    else:
        response = error_page("errors/unavailable.html", 503, title=title, detail=detail)
    response.headers["Retry-After"] = "5"
    return response
