"""The public pages as a visitor sees them, in headless Chromium (docs/registrations.md, pages).

Every page works without JavaScript, meets WCAG 2.1 AA (checked with axe-core),
loads nothing from other hosts and logs no errors (a CSP violation is one).
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from registration.demo.data import DEMO_EVENTS
from registration.events.models import Event
from registration.extensions import db
from registration.registrations.models import Registration, RegistrationStatus
from tests.support.browser import broken_id_references, describe_violations, run_axe

pytestmark = pytest.mark.browser

UPCOMING = sorted(
    (demo for demo in DEMO_EVENTS if demo.days_from_now > 0 and not demo.cancelled),
    key=lambda demo: demo.days_from_now,
)
# Its description has several paragraphs, its registration is open, seats are few.
EVENT_SLUG = "wizyta-studyjna-nowe-centrum-lodzi"
# Full, with people on the waitlist.
FULL_EVENT_SLUG = "spotkanie-eksperckie-dostepnosc-gdansk"
# Nobody registered yet: the one event these tests register for.
EMPTY_EVENT_SLUG = "spotkanie-eksperckie-rezydencje-lublin"


def _event_path(app: Flask, slug: str) -> str:
    with app.app_context():
        event_id = db.session.scalars(select(Event.id).where(Event.slug == slug)).one()
    return f"/events/{event_id}"


def _manage_path(app: Flask, status: RegistrationStatus) -> str:
    """The manage page of a demo registration with ``status``, on the full event."""
    with app.app_context():
        token = db.session.scalars(
            select(Registration.token)
            .join(Event)
            .where(Event.slug == FULL_EVENT_SLUG, Registration.status == status)
            .limit(1)
        ).one()
    return f"/r/{token}"


def _registration(app: Flask, status: RegistrationStatus) -> Registration:
    """A demo registration with ``status`` on the full event (detached, read only)."""
    with app.app_context():
        registration = db.session.scalars(
            select(Registration)
            .join(Event)
            .where(Event.slug == FULL_EVENT_SLUG, Registration.status == status)
            .limit(1)
        ).one()
        db.session.expunge(registration)
        return registration


def _scanned_ticket_path(app: Flask) -> str:
    """Where the QR code of a demo ticket leads."""
    return f"/check-in/{_registration(app, RegistrationStatus.CONFIRMED).check_in_code}"


def _new_feed_address_path(app: Flask) -> str:
    """The page behind the "new calendar address" link of a demo person's emails."""
    from registration.registrations.services import feed_replacement_key

    registration = _registration(app, RegistrationStatus.CONFIRMED)
    with app.app_context():
        return f"/calendar/personal/new-address/{feed_replacement_key(registration)}"


def _card_titles(page) -> list[str]:
    return [title.strip() for title in page.locator(".event-card__title").all_inner_texts()]


def test_event_list_renders_in_polish(page_and_log, screenshot):
    page, _ = page_and_log
    page.goto("/")

    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.title() == "Nadchodzące wydarzenia · Koalicja Miast"
    assert page.get_by_role("heading", level=1).inner_text() == "Nadchodzące wydarzenia"
    assert page.get_by_role("button", name="Pokaż").is_visible()
    assert _card_titles(page) == [demo.title for demo in UPCOMING]
    assert page.locator(".result-count").inner_text() == f"{len(UPCOMING)} wydarzeń"
    screenshot(page, "list")
    # The stylesheet applies (CSP lets it through): the skip link shows only once focused.
    skip_link = page.get_by_role("link", name="Przejdź do treści")
    assert skip_link.bounding_box()["x"] < 0
    page.keyboard.press("Tab")
    assert skip_link.bounding_box()["x"] >= 0


def test_filter_form_works_without_javascript(page_and_log, server_url):
    page, _ = page_and_log
    page.goto("/")

    page.get_by_label("Miasto").select_option(label="Wrocław")
    page.get_by_role("button", name="Pokaż").click()
    page.wait_for_url(re.compile(r"[?&]city=wroclaw(&|$)"))

    expected = [demo.title for demo in UPCOMING if demo.city == "Wrocław"]
    assert len(expected) == 2
    assert _card_titles(page) == expected
    assert page.get_by_label("Miasto").input_value() == "wroclaw"
    page.get_by_role("link", name="Wyczyść filtry").click()
    page.wait_for_url(f"{server_url}/")
    assert len(_card_titles(page)) == len(UPCOMING)


def test_event_page_opens_from_the_list(page_and_log, screenshot):
    page, _ = page_and_log
    page.goto("/")
    title = next(demo.title for demo in UPCOMING if demo.slug == EVENT_SLUG)

    page.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(r"/events/\d+$"))

    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.get_by_role("heading", name="Zapisz się").is_visible()
    assert page.get_by_label("Adres e-mail").is_visible()
    screenshot(page, "event")


def test_language_switch_to_english_is_a_plain_link_and_sticks(page_and_log):
    page, _ = page_and_log
    page.goto("/")

    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"[?&]lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Upcoming events"

    page.get_by_role("link", name=UPCOMING[0].title).click()
    page.wait_for_url(re.compile(r"/events/\d+$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="All events").is_visible()


def test_registration_and_cancellation_work_without_javascript(page_and_log, browser_app):
    page, recorded = page_and_log
    page.goto(_event_path(browser_app, EMPTY_EVENT_SLUG))

    page.get_by_label("Imię i nazwisko").fill("Ewa Przeglądarka")
    page.get_by_label("Adres e-mail").fill("ewa.przegladarka@example.org")
    page.get_by_label("Instytucja").fill("Centrum Kultury")
    page.get_by_label("Jesteś").select_option(label="Urzędnik samorządowy")
    page.get_by_label("Miasto, dla którego pracujesz").select_option(label="Lublin")
    page.get_by_label("Miasto, w którym pracujesz").fill("Lublin")
    page.get_by_label(re.compile("^Wyrażam zgodę na przetwarzanie")).check()
    page.get_by_role("button", name="Zapisz się").click()
    page.wait_for_url(re.compile(r"/r/[\w-]+$"))

    # The heading is the one message: no flash repeats it.
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .endswith("Twoje miejsce jest potwierdzone")
    )
    assert page.locator(".flash").count() == 0
    assert page.get_by_role("img", name="Kod QR Twojego biletu").is_visible()
    assert any(url.endswith("/ticket.svg") for url in recorded.requests)

    manage_url = page.url
    with page.expect_navigation():
        page.get_by_role("link", name="Anuluj moje zgłoszenie").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Na pewno anulować zgłoszenie?"
    with page.expect_navigation():
        page.get_by_role("button", name="Tak, anuluj moje zgłoszenie").click()
    assert page.url == manage_url
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .endswith("Twoje zgłoszenie zostało anulowane")
    )
    assert page.get_by_role("link", name="Anuluj moje zgłoszenie").count() == 0


def test_ticket_qr_code_is_drawn(page_and_log, browser_app):
    page, _ = page_and_log
    page.goto(_manage_path(browser_app, RegistrationStatus.CONFIRMED))

    ticket = page.get_by_role("img", name="Kod QR Twojego biletu")
    # A broken image still shows its alt text; a drawn one has pixels. (Served on
    # its own, an SVG is drawn only when it declares xmlns="http://www.w3.org/2000/svg".)
    assert ticket.evaluate("image => image.complete && image.naturalWidth") > 0


def test_pages_load_nothing_from_other_hosts_and_log_no_errors(
    scripted_page_and_log, browser_app, server_url
):
    page, recorded = scripted_page_and_log
    paths = (
        "/",
        _event_path(browser_app, EVENT_SLUG),
        _manage_path(browser_app, RegistrationStatus.CONFIRMED),
        "/accessibility",
        "/?lang=en",
    )
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
    response = page.goto("/no-such-page")
    assert response.status == 404

    foreign = [
        url
        for url in recorded.requests
        if not url.startswith(f"{server_url}/") and not url.startswith("data:")
    ]
    assert foreign == []
    assert f"{server_url}/static/css/site.css" in recorded.requests
    # The 404 page's own status is reported as a failed load; nothing else may be.
    errors = [error for error in recorded.errors if "status of 404" not in error]
    assert errors == []


def test_pages_reflow_at_320_css_pixels(scripted_page_and_log, browser_app):
    """WCAG 1.4.10: no horizontal scrolling at 320 CSS pixels wide."""
    page, _ = scripted_page_and_log
    page.set_viewport_size({"width": 320, "height": 640})
    paths = (
        "/",
        _event_path(browser_app, EVENT_SLUG),
        _manage_path(browser_app, RegistrationStatus.CONFIRMED),
        _scanned_ticket_path(browser_app),
        _new_feed_address_path(browser_app),
        "/accessibility",
    )
    for path in paths:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width}px wide"


# The list, the event page and a full one are checked in every state, in both languages
# and at both widths, by tests/events/test_event_page_in_browser.py; the form with its
# errors and the manage page by the journeys (test_journey_*.py). These are the rest.
PAGES = [
    "scanned-ticket",
    "new-feed-address",
    "new-feed-address-sent",
    "accessibility",
    "not-found",
]


@pytest.mark.parametrize("which", PAGES)
def test_page_meets_wcag_21_aa(axe_page, browser_app, which):
    page = axe_page
    if which == "scanned-ticket":
        page.goto(_scanned_ticket_path(browser_app))
    elif which == "new-feed-address":
        page.goto(_new_feed_address_path(browser_app))
    elif which == "new-feed-address-sent":
        page.goto("/calendar/personal/new-address-sent")
    elif which == "accessibility":
        page.goto("/accessibility")
    else:
        assert page.goto("/no-such-page").status == 404

    violations = run_axe(page)
    assert violations == [], describe_violations(violations)
    broken = broken_id_references(page)
    assert broken == [], "references to missing elements:\n" + "\n".join(broken)
