"""The event page and the list in Debian's Chromium: axe-core finds nothing in any state, and
a phone shows the register button without scrolling.

The journeys through the pages are tests/browser's; these look at the states of the
event page itself (a programme, the waitlist, full, cancelled, past) and of the list
with its subscription links open, in both languages, at desktop and phone widths.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from registration import create_app
from registration.demo.data import load_demo
from registration.events.models import Event
from registration.extensions import db
from tests.support.browser import live_server, run_axe

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
#: Demo events, one in each state of the page.
STATES = {
    "programme": "wizyta-studyjna-nowe-centrum-lodzi",
    "waitlist": "spotkanie-eksperckie-dostepnosc-gdansk",
    "full": "wizyta-studyjna-stocznia-szczecin",
    "cancelled": "spotkanie-eksperckie-mlodziez-poznan",
    "past": "wizyta-studyjna-gdansk-stocznia-2026",
}


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A live server with the demo events; ``{"url": …, "events": {slug: id}}``."""
    folder = tmp_path_factory.mktemp("event-pages")
    shutil.copyfile(sqlite_template, folder / "registration.sqlite3")
    app: Flask = create_app(
        {
            "REGISTRATION_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'registration.sqlite3'}",
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        load_demo()
        db.session.commit()
        events = {row.slug: row.id for row in db.session.execute(sa.select(Event.slug, Event.id))}
    with live_server(app) as url:
        app.config["BASE_URL"] = url
        yield {"url": url, "events": events}
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(params=list(WIDTHS))
def page(request, chromium):
    context = chromium.new_context(viewport=WIDTHS[request.param], bypass_csp=True)
    yield context.new_page()
    context.close()


def _open_every_details(page) -> None:
    for details in page.locator("details").all():
        details.evaluate("element => { element.open = true; }")


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("state", list(STATES))
def test_every_state_of_the_event_page_passes_axe(site, page, state, language):
    event_id = site["events"][STATES[state]]
    page.goto(f"{site['url']}/events/{event_id}?lang={language}")
    _open_every_details(page)
    assert run_axe(page) == []


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("query", ["", "?type=study_visit&city=lodz"])
def test_the_list_with_its_subscription_links_open_passes_axe(site, page, query, language):
    separator = "&" if query else "?"
    page.goto(f"{site['url']}/{query}{separator}lang={language}")
    _open_every_details(page)
    assert page.locator(".subscribe-filtered .subscribe").is_visible()
    assert run_axe(page) == []


@pytest.mark.parametrize("state", ["programme", "waitlist"])
def test_the_register_button_shows_without_scrolling_and_leads_to_the_form(site, page, state):
    event_id = site["events"][STATES[state]]
    page.goto(f"{site['url']}/events/{event_id}")
    button = page.locator('a[href="#register"]')
    box = button.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= page.viewport_size["height"]
    button.click()
    page.wait_for_function("location.hash === '#register'")
    heading = page.locator("#register-heading").bounding_box()
    assert 0 <= heading["y"] < page.viewport_size["height"]
