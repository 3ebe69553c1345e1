"""Every refusal answered in one place: a problem document for the API, a page for the site.

Three kinds of refusal reach here: the domain's (``DomainError``: a rule said
no, and no view showed it beside its form), HTTP's (an unknown address, a
method, a body too large …), and a database that went away. Each becomes an
answer with a title and a one-sentence detail in the visitor's language: for
``/api/`` an RFC 9457 problem document, else a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadHost, HTTPException, NotFound, SecurityError

from registration.api.problems import Unauthenticated, problem
from registration.domain_errors import DomainError, InvalidInput
from registration.extensions import db
from registration.sessions import API_PATH_PREFIX

bp = Blueprint("errors", __name__)


def wants_problem_json() -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def error_page(template: str, status: int, /, **context) -> Response:
    """An error page that asks nothing of the database: the database may be what failed.

    ``render_template`` runs every context processor, and Flask-Login's loads
    the signed-in account, a query. With the database gone, that query failed
    again inside the error handler, and the visitor got the server's bare 500
    instead of this page. Error pages show nobody's account, so they are rendered
    from the template alone; what they use (``url_for``, ``request``, the
    translations, the language links) is in the Jinja globals.
    """
    if isinstance(request.routing_exception, BadHost | SecurityError):
        # A Host header that is no host name (Werkzeug answers 400) leaves the request
        # without URLs, and every page builds links. They are paths, never from the Host
        # header, so the page is built as for BASE_URL's host.
        environ = {**request.environ, "HTTP_HOST": urlsplit(current_app.config["BASE_URL"]).netloc}
        with current_app.request_context(environ):
            page = current_app.jinja_env.get_template(template).render(**context)
    else:
        page = current_app.jinja_env.get_template(template).render(**context)
    return current_app.make_response((page, status))


def answer(
    status: int,
    title: LazyString | str,
    detail: LazyString | str,
    *,
    code: str | None = None,
    errors: dict[str, list] | None = None,
    template: str = "errors/error.html",
) -> Response:
    """The one way a refusal is answered: a problem document under /api/, else a page."""
    if wants_problem_json():
        return problem(status, str(title), str(detail), code=code, errors=errors)
    return error_page(template, status, status=status, title=title, detail=detail)


@bp.app_errorhandler(DomainError)
def refused(error: DomainError) -> Response:
    """A rule's refusal that no view showed: nothing was saved, and the answer says why.

    A view that must keep something despite the refusal (a queued email) commits
    before letting the error through.
    """
    db.session.rollback()
    if error.status == 404:
        # Unknown, or not public: answered as any unknown address is, so nobody learns which.
        return http_error(NotFound())
    response = answer(
        error.status,
        error.title,
        error.message,
        code=error.code,
        errors=error.field_errors() if isinstance(error, InvalidInput) else None,
    )
    response.headers.update(error.headers)
    return response


@dataclass(frozen=True)
class _Explanation:
    """What an HTTP error says: to API clients, and (where it differs) on a page."""

    title: LazyString
    detail: LazyString
    page_title: LazyString | None = None
    page_detail: LazyString | None = None


_GO_BACK = _l("Please go back and try again.")
_SOMETHING_WRONG = _l("Something went wrong")
_HTTP_ERRORS = {
    400: _Explanation(
        _l("Bad request"),
        _l("The request could not be read; correct it and send it again."),
        page_detail=_GO_BACK,
    ),
    401: _Explanation(
        Unauthenticated.title,
        Unauthenticated.message,
        page_title=_SOMETHING_WRONG,
        page_detail=_GO_BACK,
    ),
    403: _Explanation(
        _l("Access denied"),
        _l("Only the organisers of the event's city and administrators may do this."),
        page_title=_l("You do not have access to this page"),
        page_detail=_l(
            "Each organiser sees and changes the events of their own city only; the other "
            "cities' events are for administrators. If you need access, ask an administrator."
        ),
    ),
    404: _Explanation(
        _l("Not found"),
        _l("There is nothing at this address, or it is not public; check the address."),
        page_title=_l("Page not found"),
        page_detail=_l("There is no such page, or it is not public."),
    ),
    405: _Explanation(
        _l("Method not allowed"),
        _l("This address does not take this method; the API's description lists those it does."),
        page_title=_SOMETHING_WRONG,
        page_detail=_GO_BACK,
    ),
    413: _Explanation(
        _l("Request too large"),
        _l("Nothing was saved: the body is larger than this API accepts. Send a smaller one."),
        page_detail=_l(
            "Nothing was saved: the form was larger than this site accepts. "
            "Shorten the longest text and send the form again."
        ),
    ),
    415: _Explanation(
        _l("Unsupported media type"),
        _l("Send the body as JSON, with the header Content-Type: application/json."),
        page_title=_SOMETHING_WRONG,
        page_detail=_GO_BACK,
    ),
    429: _Explanation(_l("Too many requests"), _l("Please wait a moment and try again.")),
}
_ANY_OTHER = _Explanation(
    _SOMETHING_WRONG,
    _l("The request could not be handled; please try again later."),
    page_detail=_GO_BACK,
)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    explanation = _HTTP_ERRORS.get(status, _ANY_OTHER)
    if wants_problem_json():
        return answer(status, explanation.title, explanation.detail)
    return answer(
        status,
        explanation.page_title or explanation.title,
        explanation.page_detail or explanation.detail,
    )


@bp.app_errorhandler(CSRFError)
def form_expired(error: CSRFError) -> Response:
    """A form without its CSRF token: usually one left open too long, or cookies blocked."""
    title = _("The form has expired")
    detail = _(
        "Nothing was saved. Go back, reload the page and send the form again. "
        "If this keeps happening, allow cookies for this site."
    )
    return answer(400, title, detail, template="errors/unavailable.html")


@bp.app_errorhandler(OperationalError)
def database_unavailable(error: OperationalError) -> Response:
    """A database that restarted or is overloaded: nothing was saved, say so and retry."""
    # The driver's first line only: the error's text also holds the statement's values,
    # names and addresses among them, which have no place in a log.
    reason = str(error.orig or error).strip().splitlines() or [""]
    current_app.logger.warning("database unavailable: %s", reason[0])
    db.session.rollback()
    title = _("Service temporarily unavailable")
    detail = _("Nothing was saved. Please try again in a moment.")
    response = answer(503, title, detail, template="errors/unavailable.html")
    response.headers["Retry-After"] = "5"
    return response
