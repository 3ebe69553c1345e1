"""Check-in at the door on a phone: the door page lists cards, one tap checks a person in,
the page says so with an undo, and the undo takes it back; a day the event does not take
place asks for a second tap; a multi-day visit shows each day. Every state passes
``check_page`` (axe at zero violations, no sideways scrolling) in Polish and English, at
1280 and 390 pixels.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from registration.database import utcnow
from registration.events.models import EventType
from registration.extensions import db
from registration.registrations.exports import attendees
from tests.factories import PASSWORD, make_account, make_event, make_registration

pytestmark = pytest.mark.browser

DOOR_KEEPER = "door.wroclaw@example.org"


@pytest.fixture(scope="module")
def door_keeper(site) -> str:
    with site.app.app_context():
        make_account(DOOR_KEEPER, city_slug="wroclaw")
        db.session.commit()
    return DOOR_KEEPER


def happening_now(site, title: str, *, days: int = 0, **fields) -> int:
    """An event going on now (``days`` more on either side), with three confirmed people
    who registered while it was ahead."""
    with site.app.app_context():
        event = make_event(title=title, capacity=10, **fields)
        for name, institution in [
            ("Anna Nowak", "Muzeum Współczesne Wrocław"),
            ("Łukasz Żółkiewski-Brzęczyszczykiewicz", "Centrum Kultury Zamek"),
            ("Zofia Ćwik", "Urząd Miejski Wrocławia"),
        ]:
            make_registration(event, name=name, institution=institution)
        now = utcnow()
        event.starts_at = now - timedelta(days=days, hours=1)
        event.ends_at = now + timedelta(days=days, hours=1)
        db.session.commit()
        return event.id


def sign_in(page, email: str) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def tap(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_one_tap_checks_in_and_undo_takes_it_back(visitor, check_page, site, door_keeper):
    page = visitor.page
    event_id = happening_now(site, f"Seminarium przy drzwiach {visitor.name}")
    sign_in(page, door_keeper)
    page.goto(f"/organiser/check-in?lang={visitor.language}")
    check_page(page, "check-in: today's events")
    tap(page, page.get_by_role("link", name=f"Seminarium przy drzwiach {visitor.name}"))
    assert page.url.endswith(f"/organiser/events/{event_id}/check-in")
    assert page.locator(".check-in-card").count() == 3
    check_page(page, "check-in: the door")

    page.locator("#q").fill("lukasz zolkiewski")
    tap(page, page.locator("form.check-in-search button[type=submit]"))
    card = page.locator(".check-in-card")
    assert card.count() == 1
    check_page(page, "check-in: the door, searched")

    tap(page, card.locator("button.check-in-button"))
    name = "Łukasz Żółkiewski-Brzęczyszczykiewicz"
    flash = page.locator(".flash--success")
    assert visitor.says("%(name)s is checked in.", name=name) in flash.inner_text()
    undo = page.locator(".check-in-card form.check-in-undo button")
    assert undo.inner_text() == visitor.says("Undo")
    assert page.locator(".attendee-counts dd").first.inner_text() == "1 / 3"
    check_page(page, "check-in: checked in, with undo")

    tap(page, undo)
    assert page.locator(".check-in-card button.check-in-button").count() == 1
    assert page.locator(".attendee-counts dd").first.inner_text() == "0 / 3"
    check_page(page, "check-in: undone")


def test_a_day_without_the_event_asks_for_a_second_tap(visitor, check_page, site, door_keeper):
    page = visitor.page
    with site.app.app_context():
        event = make_event(title=f"Seminarium za dwa tygodnie {visitor.name}")
        make_registration(event, name="Ewa Zielińska", institution="Teatr Polski")
        db.session.commit()
        event_id = event.id
    sign_in(page, door_keeper)
    page.goto(f"/organiser/events/{event_id}/check-in?lang={visitor.language}")
    check_page(page, "check-in: the door on another day")
    tap(page, page.locator(".check-in-card button.check-in-button"))
    assert page.get_by_role("heading", level=1).inner_text() == visitor.says(
        "Check in on another day?"
    )
    check_page(page, "check-in: confirm another day")
    tap(page, page.locator("main form.check-in-form button"))
    assert page.locator(".check-in-card form.check-in-undo").count() == 1


def test_the_ticket_opens_the_card_with_each_day_of_a_visit(visitor, check_page, site, door_keeper):
    page = visitor.page
    event_id = happening_now(
        site, f"Wizyta studyjna {visitor.name}", days=1, type=EventType.STUDY_VISIT
    )
    with site.app.app_context():
        code = next(r.check_in_code for r in attendees(event_id) if r.full_name == "Anna Nowak")
    sign_in(page, door_keeper)
    page.goto(f"/organiser/check-in/{code}?lang={visitor.language}")
    days = page.locator(".check-in-days li")
    assert days.count() == 3
    check_page(page, "check-in: the card of a visit")
    tap(page, page.locator("button.check-in-button"))
    assert page.locator(".check-in-days__day--present").count() == 1
    check_page(page, "check-in: the card, checked in today")
    tap(page, page.get_by_role("link", name=visitor.says("Everyone at the door of this event")))
    assert page.url.endswith(f"/organiser/events/{event_id}/check-in")
