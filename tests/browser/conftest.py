"""Fixtures for the page tests in headless Chromium (see ``tests/support/browser.py``).

One live server with the demo programme serves every test in this folder, and
one Chromium, to stay fast: the tests share them, so a test that changes data
leaves the demo as it found it (it registers and cancels again). Each test
gets a page with no cookies, whose log records every request the page makes
and every error it writes to the console.

Set ``KOALICJA_SCREENSHOTS`` to a folder to keep screenshots of the pages the
tests look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import sync_playwright

from registration import create_app
from registration.demo.data import load_demo
from registration.extensions import db
from tests.support.browser import AXE_SCRIPT, CHROMIUM, CHROMIUM_ARGS, live_server

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


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: `make test` runs `npm ci`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


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
