"""The registration pages in Debian's Chromium, in every state, at a desktop's and a
phone's width, in Polish and English: axe-core finds no WCAG 2.1 AA violation, nothing
scrolls sideways, and after a failed submit the error summary has the focus and its
links show each field with its label."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from registration import create_app
from registration.extensions import db
from registration.registrations import services
from tests.factories import make_event, make_registration
from tests.support.browser import live_server, run_axe

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An open event, a full one with an empty waitlist, a full one with a person waiting
    (whose seat holder typed "gmial.com"), and a cancelled registration; served live."""
    folder = tmp_path_factory.mktemp("registration-pages")
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
        open_event = make_event(title="Wizyta studyjna: Łódź – miasto filmu", hours=30)
        full_empty = make_event(title="Seminarium o publiczności", capacity=1)
        full = make_event(title="Spotkanie z ekspertami", capacity=1)
        make_registration(full_empty)
        confirmed = make_registration(full, email="anna.nowak@gmial.com", needs="Wegetariańskie")
        waiting = make_registration(full)
        cancelled = make_registration(open_event)
        services.cancel(cancelled)
        db.session.commit()
        paths = {
            "open": f"/events/{open_event.id}",
            "full_empty": f"/events/{full_empty.id}",
            "full": f"/events/{full.id}",
            "confirmed": f"/r/{confirmed.token}",
            "waitlisted": f"/r/{waiting.token}",
            "cancelled": f"/r/{cancelled.token}",
        }
    with live_server(app) as url:
        app.config["BASE_URL"] = url
        yield {"url": url, **paths}
    with app.app_context():
        db.engine.dispose()


def submit(page) -> None:
    with page.expect_navigation():
        page.click("main form button[type=submit]")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_state_is_accessible_and_the_errors_lead_to_their_fields(
    site, chromium, language, width
):
    context = chromium.new_context(
        base_url=site["url"], viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    problems = {}

    def check(state: str) -> None:
        violations = run_axe(page)
        if violations:
            problems[state] = [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
        if page.evaluate("document.documentElement.scrollWidth") > width:
            problems[f"{state}: scrolls sideways"] = True

    page.goto(f"/?lang={language}")
    page.goto(site["open"])
    check("event page")
    submit(page)
    check("form with errors")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    page.click(".error-summary a >> nth=0")
    assert page.evaluate("document.activeElement.id") == "name"
    label_top = page.evaluate(
        "document.querySelector('label[for=name]').getBoundingClientRect().top"
    )
    assert 0 <= label_top < 200
    page.fill("#email", "ewa@wp.pll")
    submit(page)
    assert page.is_visible("#email-suggestion")
    check("form with a suggestion")

    for state in ("full_empty", "full", "confirmed", "waitlisted", "cancelled"):
        page.goto(site[state])
        check(state)
    page.goto(site["confirmed"] + "/edit")
    check("edit")
    page.fill("#name", "")
    submit(page)
    assert page.evaluate("document.activeElement.className") == "error-summary"
    check("edit with errors")
    for state in ("confirmed", "waitlisted"):
        page.goto(site[state] + "/cancel")
        check(f"cancel {state}")
    page.goto(site["open"] + "/lost-link")
    check("lost link")
    submit(page)
    check("lost link with errors")
    page.fill("#email", "kto.kolwiek@example.org")
    submit(page)
    check("lost link sent")
    context.close()
    assert problems == {}
