"""The browser session: Flask's signed cookie, opened for the pages and never for the API."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

#: Every path of the JSON API begins so (``errors.wants_problem_json`` reads it too).
API_PATH_PREFIX = "/api/"


class PagesOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's own signed-cookie session, except for requests to the JSON API.

    The API keeps nothing in a session: organisers send a bearer token, and there
    is no form and no flashed message. Yet Flask opens the session of every request
    (a signing serializer built, the cookie's signature checked) and looks at it
    again to save it. An API request gets Flask's null session instead: it reads
    as empty, is never saved, and refuses a write with an error, so an API view
    that started keeping something in the session would fail its tests at once.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PATH_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)
