"""Journeys with a keyboard alone: register for an event, cancel the registration, sign in to
the back office, check someone in. Nothing is clicked; the tests only press keys and type.

On every page the first Tab reaches the skip link, and following it puts the next Tab
inside the content. Every control that takes the focus shows it (an outline or a shadow
of at least 2 CSS pixels), and the focus moves forward through the page in the order the
controls come, never jumping back, so what a sighted keyboard user sees is what they get.
Walked in Polish and English at 1280 and 390 CSS pixels (``visitor``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from registration.extensions import db
from registration.registrations.models import Registration
from tests.browser.journeys import MANAGE_PATH, Person
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.browser

ORGANISER = "klawiatura@example.org"
#: How many Tab presses may lead to a control before the test calls it unreachable.
MOST_PRESSES = 80

#: What the focused element is, and how its focus shows: its outline, or else its shadow.
_FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" ? parseFloat(style.outlineWidth) : 0;
    const shadow = style.boxShadow !== "none";
    const box = element.getBoundingClientRect();
    const previous = window.__lastFocused;
    const forward = !previous || previous === element || !document.contains(previous)
        || Boolean(previous.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_FOLLOWING);
    window.__lastFocused = element;
    return {
        description: element.outerHTML.slice(0, 120),
        indicated: outline >= 2 || shadow,
        forward: forward,
        visible: box.width > 0 && box.height > 0,
    };
}"""


@pytest.fixture(scope="module")
def organiser(site) -> str:
    with site.app.app_context():
        make_account(ORGANISER, city_slug="wroclaw")
        db.session.commit()
    return ORGANISER


def press_tab(page) -> dict:
    """Tab once; what is focused now, and whether its focus shows and came forward."""
    page.keyboard.press("Tab")
    focused = page.evaluate(_FOCUSED)
    assert focused["indicated"], f"no visible focus on {focused['description']}"
    assert focused["visible"], f"focus on something not shown: {focused['description']}"
    assert focused["forward"], f"the focus jumped back to {focused['description']}"
    return focused


def tab_to(page, selector: str) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(MOST_PRESSES):
        press_tab(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{MOST_PRESSES} presses of Tab never reached {selector}")


def skip_to_content(page) -> None:
    """A page opens; its first Tab stop is the skip link, and Enter on it moves into main.

    A page reached from one whose skip link was followed keeps ``#content`` in its
    address (a redirect keeps the fragment): the browser starts there, in main, already.
    """
    positive = "[tabindex]:not([tabindex^='-']):not([tabindex='0'])"
    assert page.locator(positive).count() == 0, "a positive tabindex reorders the page"
    page.evaluate("() => { window.__lastFocused = null; }")
    if page.url.endswith("#content"):
        return
    press_tab(page)
    assert page.evaluate("document.activeElement.matches('a.skip-link')"), "skip link not first"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page, selector: str, value: str) -> None:
    """Move a focused ``<select>`` down its options with the arrow key until ``value``."""
    tab_to(page, selector)
    for _ in range(20):
        if page.locator(selector).input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{selector} has no option {value}")


def press_enter_and_wait(page, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def test_register_for_an_event_with_the_keyboard(site, visitor, check_page):
    event_id = site.event(title="Wizyta studyjna: klawiatura")
    person = Person(name="Olga Klawiszewska", email=visitor.address("olga"))
    page = visitor.page
    page.goto(f"/events/{event_id}")
    skip_to_content(page)

    form = "form:has(#consent)"
    type_into(page, f"{form} #name", person.name)
    type_into(page, f"{form} #email", person.email)
    type_into(page, f"{form} #institution", person.institution)
    type_into(page, f"{form} #position", person.position)
    choose(page, f"{form} #category", person.category)
    choose(page, f"{form} #home_city", person.home_city)
    type_into(page, f"{form} #city", person.city)
    tab_to(page, f"{form} #consent")
    page.keyboard.press("Space")
    expect(page.locator(f"{form} #consent")).to_be_checked()
    tab_to(page, f"{form} button[type=submit]")
    press_enter_and_wait(page)

    expect(page).to_have_url(MANAGE_PATH)
    expect(page.locator(".panel")).to_have_class("panel panel--confirmed")
    check_page(page, "keyboard: registered")


def test_cancel_a_registration_with_the_keyboard(site, visitor, check_page):
    event_id = site.event(title="Seminarium: klawiatura")
    token = site.someone_registers(event_id, email=visitor.address("adam"))
    page = visitor.page
    page.goto(f"/r/{token}")
    skip_to_content(page)

    tab_to(page, "main a[href$='/cancel']")
    press_enter_and_wait(page)
    skip_to_content(page)
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page)

    expect(page).to_have_url(MANAGE_PATH)
    expect(page.locator(".panel")).to_have_class("panel panel--cancelled")
    check_page(page, "keyboard: cancelled")


def sign_in_with_the_keyboard(page, email: str) -> None:
    page.goto("/organiser/login")
    skip_to_content(page)
    type_into(page, "#email", email)
    type_into(page, "#password", PASSWORD)
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page)


def test_sign_in_to_the_back_office_with_the_keyboard(site, visitor, check_page, organiser):
    page = visitor.page
    sign_in_with_the_keyboard(page, organiser)

    # The skip link put #content in the address; a redirect keeps it, as browsers do.
    expect(page).to_have_url(re.compile(rf"{re.escape(site.url)}/organiser/(#content)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Dashboard"))
    check_page(page, "keyboard: signed in")


def test_check_someone_in_with_the_keyboard(site, visitor, check_page, organiser):
    event_id = site.event(title="Spotkanie z ekspertami: klawiatura")
    token = site.someone_registers(event_id, name="Tomasz Drzwiczka")
    with site.app.app_context():
        code = db.session.scalars(
            db.select(Registration.check_in_code).where(Registration.token == token)
        ).one()
    page = visitor.page
    sign_in_with_the_keyboard(page, organiser)

    page.goto("/organiser/check-in")
    skip_to_content(page)
    type_into(page, "#code", code)
    press_enter_and_wait(page)  # the lookup form is sent by Enter in its field
    expect(page.get_by_role("heading", level=1)).to_have_text("Tomasz Drzwiczka")
    skip_to_content(page)
    tab_to(page, "form.check-in-form button[type=submit]")
    press_enter_and_wait(page)
    # The meeting is two weeks ahead: a check-in today takes a second, confirming press.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        visitor.says("Check in on another day?")
    )
    skip_to_content(page)
    tab_to(page, "form.check-in-form button[type=submit]")
    press_enter_and_wait(page)

    flash = page.locator(".flash--success")
    expect(flash).to_contain_text("Tomasz Drzwiczka")
    expect(page.locator("form.check-in-form")).to_have_count(0)
    check_page(page, "keyboard: checked in")


def test_every_tab_stop_shows_its_focus_from_top_to_bottom(site, visitor, organiser):
    """The whole of a page's tab order, header and footer included, shows where it is."""
    event_id = site.event(title="Seminarium: każdy przystanek")
    token = site.someone_registers(event_id, name="Irena Tabulator")
    page = visitor.page
    paths = ["/", f"/events/{event_id}", f"/r/{token}", "/accessibility", "/organiser/login"]
    for path in paths:
        page.goto(path)
        walk_the_whole_tab_order(page, path)
    sign_in_with_the_keyboard(page, organiser)
    for path in ["/organiser/", "/organiser/events", f"/organiser/events/{event_id}/attendees"]:
        page.goto(path)
        walk_the_whole_tab_order(page, path)


def walk_the_whole_tab_order(page, path: str) -> None:
    page.evaluate("() => { window.__lastFocused = null; }")
    first = press_tab(page)
    assert "skip-link" in first["description"], f"{path}: the skip link is not first"
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            return  # past the last control, the focus leaves the page
        focused = page.evaluate(_FOCUSED)
        if not focused["forward"] and "skip-link" in focused["description"]:
            return  # wrapped round to the top: the whole page was walked
        assert focused["forward"], f"{path}: the focus jumped back to {focused['description']}"
        assert focused["indicated"], f"{path}: no visible focus on {focused['description']}"
    raise AssertionError(f"{path}: the tab order never ended")
