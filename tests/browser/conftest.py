"""Fixtures for the page tests in headless Chromium (see ``tests/support/browser.py``).

One live server with the demo programme serves every test in this folder, and
one Chromium, to stay fast: the tests share them, so a test that changes data
leaves the demo as it found it (it registers and cancels again). Each test
gets a page with no cookies, whose log records every request the page makes
and every error it writes to the console.

The journeys (``test_journey_*.py``) walk one visitor through the site: each
module has a live server of its own on an empty database, with a real SMTP
server for its mail, and each test makes the events it needs. A test that asks
for ``visitor`` runs four times: in Polish and in English, at 1280 and at 390
CSS pixels, in a fresh browser context with the site's CSP in force; it checks
every page and state it passes through with ``check_page``.

Set ``KOALICJA_SCREENSHOTS`` to a folder to keep screenshots of the pages the
tests look at.
"""

from __future__ import annotations

import email.message
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale, gettext, ngettext

from registration import create_app
from registration.demo.data import load_demo
from registration.events.models import Event
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.registrations import services as registrations
from tests.conftest import SmtpServer, app_config
from tests.factories import make_event, make_registration
from tests.support import browser
from tests.support.browser import (
    DESKTOP,
    HEIGHTS,
    PHONE,
    live_server,
)

VIEWPORT = {"width": 1280, "height": 720}


@pytest.fixture(scope="session")
def browser_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application on its own SQLite copy, with the demo events loaded."""
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "registration.sqlite3"
    shutil.copyfile(sqlite_template, database)
    app = create_app(
        {
            "REGISTRATION_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        load_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def server_url(browser_app: Flask) -> Iterator[str]:
    with live_server(browser_app) as url:
        # Links in pages and feeds are built from BASE_URL, never from the Host header.
        browser_app.config["BASE_URL"] = url
        yield url


@dataclass
class Recorded:
    """What a page did: every URL it requested and every console error it logged."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Tab:
    """A browser context with one page, kept for the session and reset for each test."""

    context: object
    page: object
    recorded: Recorded

    def reset(self):
        """Forget cookies and what was recorded; back to a desktop-sized window."""
        self.context.clear_cookies()
        self.page.set_viewport_size(VIEWPORT)
        self.recorded.requests.clear()
        self.recorded.errors.clear()
        return self.page


def _open_tab(chromium, server_url: str, **context_options) -> Tab:
    context = chromium.new_context(
        base_url=server_url,
        locale="pl-PL",
        timezone_id="Europe/Warsaw",
        viewport=VIEWPORT,
        **context_options,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    recorded = Recorded()
    page.on("request", lambda request: recorded.requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            recorded.errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: recorded.errors.append(f"page error: {error}"))
    return Tab(context, page, recorded)


# Opening a context and a page costs Chromium about half a second, so each kind
# of tab is opened once and reset before every test that uses it.
@pytest.fixture(scope="session")
def _tab_without_javascript(chromium, server_url: str) -> Iterator[Tab]:
    tab = _open_tab(chromium, server_url, java_script_enabled=False)
    yield tab
    tab.context.close()


@pytest.fixture(scope="session")
def _tab_with_javascript(chromium, server_url: str) -> Iterator[Tab]:
    tab = _open_tab(chromium, server_url)
    yield tab
    tab.context.close()


@pytest.fixture(scope="session")
def _tab_for_axe(chromium, server_url: str) -> Iterator[Tab]:
    tab = _open_tab(chromium, server_url, bypass_csp=True)
    yield tab
    tab.context.close()


@pytest.fixture
def page_and_log(_tab_without_javascript: Tab):
    """A page with JavaScript off, as a visitor without it sees the site; and its log."""
    return _tab_without_javascript.reset(), _tab_without_javascript.recorded


@pytest.fixture
def scripted_page_and_log(_tab_with_javascript: Tab):
    """A page with JavaScript on and the site's own CSP in force; and its log."""
    return _tab_with_javascript.reset(), _tab_with_javascript.recorded


@pytest.fixture
def axe_page(_tab_for_axe: Tab):
    """A page that axe-core can be injected into: CSP is bypassed for this context only."""
    return _tab_for_axe.reset()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot when KOALICJA_SCREENSHOTS names a folder."""
    folder = os.environ.get("KOALICJA_SCREENSHOTS")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take


# --- Journeys ----------------------------------------------------------------

#: The browser's language for each of the site's, so the site picks it as it would for a visitor.
LOCALES = {"pl": "pl-PL", "en": "en-GB"}
VISITS = [(language, width) for language in LOCALES for width in (DESKTOP, PHONE)]


@dataclass
class Site:
    """One test module's application, served live on an empty database, and its mail server.

    What other people do (someone else registers, cancels) and the mail worker's
    delivery go through the same domain operations as the service's own.
    """

    app: Flask
    url: str
    smtp: SmtpServer

    def event(self, **fields) -> int:
        """A published event two weeks ahead (``tests.factories.make_event``); its id."""
        with self.app.app_context():
            event = make_event(**fields)
            db.session.commit()
            return event.id

    def someone_registers(self, event_id: int, **applicant) -> str:
        """Another person takes a seat or a place in line; returns their manage token."""
        with self.app.app_context():
            registration = make_registration(db.session.get(Event, event_id), **applicant)
            db.session.commit()
            return registration.token

    def someone_cancels(self, token: str) -> None:
        with self.app.app_context():
            registrations.cancel(registrations.find_by_token(token))
            db.session.commit()

    def deliver_mail(self) -> None:
        """What the mail worker does: send every message that is due, through SMTP, batch
        after batch until none is left."""
        with self.app.app_context():
            while (report := deliver_due()).handled:
                assert report.failed == report.retrying == 0, report.errors

    def mail_to(self, address: str) -> list[email.message.EmailMessage]:
        return self.smtp.messages_to(address)


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """This module's live server on its own empty database, sending mail to a real SMTP server.

    The SMTP server is ``tests.conftest.SmtpServer``, the one behind the ``smtp``
    fixture, kept for the module: Flask-Mail reads its port when the app is made.
    """
    folder = tmp_path_factory.mktemp("journey")
    database = folder / "registration.sqlite3"
    shutil.copyfile(sqlite_template, database)
    smtp = SmtpServer()
    smtp.start()
    app = create_app(
        app_config(
            f"sqlite:///{database}",
            WTF_CSRF_ENABLED=True,  # as in production: the forms carry their tokens
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp.port,
        ),
        instance_path=str(folder / "instance"),
    )
    try:
        with live_server(app) as url:
            # Links in pages, feeds and emails are built from BASE_URL: make them lead here.
            app.config["BASE_URL"] = url
            yield Site(app, url, smtp)
    finally:
        smtp.stop()
        with app.app_context():
            db.engine.dispose()


@dataclass
class Visitor:
    """A person at the site in one language and at one width, with a page of their own."""

    page: object
    language: str
    width: int
    recorded: Recorded
    app: Flask

    @property
    def name(self) -> str:
        """``pl-1280``, ``en-390``…: tells the four visits apart in addresses and file names."""
        return f"{self.language}-{self.width}"

    def address(self, who: str) -> str:
        """An email address of this visit's own, so that its mail is told apart."""
        return f"{who}.{self.name}@example.org"

    def says(self, message: str, **variables) -> str:
        """``message`` (an English source string) as the site says it in this visit's language."""
        with self.app.app_context(), force_locale(self.language):
            return gettext(message, **variables)

    def says_plural(self, singular: str, plural: str, num: int) -> str:
        """``Visitor.says`` for a message whose words depend on a number (``ngettext``)."""
        with self.app.app_context(), force_locale(self.language):
            return ngettext(singular, plural, num)


@pytest.fixture(params=VISITS, ids=[f"{language}-{width}" for language, width in VISITS])
def visitor(request: pytest.FixtureRequest, chromium, site: Site) -> Iterator[Visitor]:
    """A new browser context (no cookies, JavaScript on, the site's CSP in force)."""
    language, width = request.param
    context = chromium.new_context(
        base_url=site.url,
        locale=LOCALES[language],
        timezone_id="Europe/Warsaw",
        viewport={"width": width, "height": HEIGHTS[width]},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    recorded = Recorded()
    page.on("request", lambda request: recorded.requests.append(request.url))
    page.on("console", lambda message: _record_console_error(recorded, page, message))
    page.on("pageerror", lambda error: recorded.errors.append(f"page error: {error}"))
    yield Visitor(page, language, width, recorded, site.app)
    context.close()


def _record_console_error(recorded: Recorded, page, message) -> None:
    # A page answered with 422 (a form with errors) or 404 is reported as a failed
    # load of the document itself: that status is the page's meaning, not a fault.
    if message.type != "error":
        return
    if message.text.startswith("Failed to load resource") and message.location.get("url") in (
        page.url,
        "",
    ):
        return
    recorded.errors.append(f"console: {message.text} ({message.location.get('url')})")


@pytest.fixture
def check_page(visitor: Visitor):
    """``check_page(page, name)``: the checks of ``tests.support.browser.check_page``.

    With ``KOALICJA_SCREENSHOTS`` set, each checked page is also saved there as
    ``<name>-<language>-<width>.png``.
    """
    folder = os.environ.get("KOALICJA_SCREENSHOTS")

    def check(page, name: str) -> None:
        shot = Path(folder) / f"{name}-{visitor.name}.png" if folder else None
        errors = list(visitor.recorded.errors)
        visitor.recorded.errors.clear()  # each error is reported once, with the page it is on
        browser.check_page(page, f"{name} ({visitor.name})", errors=errors, screenshot=shot)

    return check
