"""The pages of the coalition's rules pass ``check_page`` (axe-core at zero WCAG 2.1 AA
violations, no sideways scrolling, nothing logged as an error) in Polish and English at
1280 and 390 pixels: the event page with each city's free seats and with approval, the
registration form's home city in its error state, the attendee page with the cities'
table and the requests to decide, the bulk decision with nothing ticked, and the event form with
the cities' inputs and their errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from registration.database import utcnow
from registration.extensions import db
from registration.registrations import services
from tests.browser.test_back_office_pages import sign_in, submit
from tests.factories import city, make_account, make_event, make_registration

pytestmark = pytest.mark.browser

ORGANISER = "organiser.coalition@example.org"


@dataclass(frozen=True)
class Events:
    visit: int
    approval: int


@pytest.fixture(scope="module")
def events(site) -> Events:
    """A study visit keeping seats for three cities, and a seminar with approval."""
    with site.app.app_context():
        organiser = make_account(ORGANISER, city_slug="wroclaw")
        visit = make_event(title="Wizyta studyjna: pule miast", capacity=8)
        services.change_allocations(
            visit,
            {city("gdansk").id: 2, city("lodz").id: 2, city("lublin").id: 1},
            release_at=utcnow() + timedelta(days=5),
        )
        for number, home in enumerate(["Gdańsk", "Gdańsk", "Gdańsk", "Kraków", "Opole", "Łódź"]):
            make_registration(visit, city=home, email=f"osoba{number}@example.org")
        seminar = make_event(title="Seminarium z naborem", capacity=2, approval=True)
        requests = [
            make_registration(seminar, name=name, email=f"zgloszenie{n}@example.org")
            for n, name in enumerate(["Ewa Zielińska", "Jan Kowalski", "Maria Wiśniewska"])
        ]
        services.approve(requests[0], account=organiser)
        services.reject(requests[1], account=organiser)
        db.session.commit()
        return Events(visit.id, seminar.id)


def _choose_no_home_city(page, ids):
    page.goto(f"/events/{ids.visit}")
    form = page.locator("form:has(#consent)")
    form.locator("#city").fill("")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#home_city[aria-invalid=true]")).to_be_visible()


def _decide_none_ticked(page, ids):
    """The bulk button with nothing ticked (deciding would use up the module's request)."""
    page.goto(f"/organiser/events/{ids.approval}/attendees")
    with page.expect_navigation():
        page.locator(".bulk-actions button[value=approve]").click()
    expect(page.locator(".flash--error")).to_be_visible()


def _allocations_beyond_the_capacity(page, ids):
    page.goto(f"/organiser/events/{ids.visit}/edit")
    page.locator("#allocations-0").fill("50")
    submit(page, "form.event-form")
    assert page.locator(".allocations .field-error").count()


def _goto(path: str):
    def visit(page, ids):
        assert page.goto(path.format(ids=ids)).status == 200

    return visit


#: name → (who signs in, how the page is reached)
PAGES = {
    "event-with-allocations": (None, _goto("/events/{ids.visit}")),
    "event-with-approval": (None, _goto("/events/{ids.approval}")),
    "form-without-home-city": (None, _choose_no_home_city),
    "attendees-allocations": (ORGANISER, _goto("/organiser/events/{ids.visit}/attendees")),
    "attendees-requests": (ORGANISER, _goto("/organiser/events/{ids.approval}/attendees")),
    "attendees-none-ticked": (ORGANISER, _decide_none_ticked),
    "edit-allocations": (ORGANISER, _goto("/organiser/events/{ids.visit}/edit")),
    "edit-allocations-errors": (ORGANISER, _allocations_beyond_the_capacity),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_coalition_page_passes_the_page_checks(visitor, check_page, events, name):
    page = visitor.page
    account, reach = PAGES[name]
    if account:
        sign_in(page, account)
    page.goto(f"/?lang={visitor.language}")
    reach(page, events)
    assert page.locator("html").get_attribute("lang") == visitor.language
    check_page(page, f"coalition: {name}")
