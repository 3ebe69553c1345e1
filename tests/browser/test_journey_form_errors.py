"""Journey: the registration form sent empty, then half right, then right.

The GOV.UK pattern: after a failed submit an error summary at the top lists each
problem once, in the order of the form, and each item leads to its field, where
the same message stands; what was typed stays typed. Walked in Polish and
English at 1280 and 390 CSS pixels, every state checked with ``check_page``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import (
    Person,
    expect_status,
    fill_registration_form,
    registration_form,
    send_registration_form,
)

pytestmark = pytest.mark.browser

#: With no city chosen from the list, the city typed may yet be needed or not: the list
#: is asked for first.
REQUIRED = ["name", "email", "institution", "category", "home_city", "consent"]


def _summary_targets(page) -> list[str]:
    """The ids the error summary's links lead to, in order."""
    links = page.locator(".error-summary a").all()
    return [link.get_attribute("href").removeprefix("#") for link in links]


def _send_empty_form(page, event_id: int) -> None:
    page.goto(f"/events/{event_id}")
    send_registration_form(page)
    expect(page.locator(".error-summary")).to_be_visible()


def test_errors_are_listed_linked_and_put_right(site, visitor, check_page):
    """Every problem is named once and leads to its field; fixing them all registers."""
    event_id = site.event(capacity=20)
    page = visitor.page

    _send_empty_form(page, event_id)
    check_page(page, "event-form-errors")
    invalid = [field.get_attribute("id") for field in page.locator("[aria-invalid=true]").all()]
    assert _summary_targets(page) == invalid
    assert set(REQUIRED) <= set(invalid)
    for link in page.locator(".error-summary a").all():
        target = link.get_attribute("href").removeprefix("#")
        # The message at the field is the one in the summary.
        expect(link).to_contain_text(page.locator(f"#{target}-error").inner_text())
        link.click()
        field = page.locator(f"#{target}")
        expect(field).to_be_focused()
        expect(field).to_be_in_viewport()

    person = Person(name="Ewa Nowak", email="ewa.nowak@", city="Gdańsk", home_city="gdansk")
    fill_registration_form(page, person)
    send_registration_form(page)
    assert _summary_targets(page) == ["email"]
    # What was typed is still there, the wrong address too, to correct rather than retype.
    expect(registration_form(page).locator("#name")).to_have_value(person.name)
    expect(registration_form(page).locator("#email")).to_have_value(person.email)
    check_page(page, "event-form-email-error")

    email = registration_form(page).locator("#email")
    page.locator(".error-summary a").click()
    expect(email).to_be_focused()
    email.fill(visitor.address("ewa"))
    registration_form(page).locator("#consent").check()
    send_registration_form(page)
    expect_status(page, "confirmed")
    check_page(page, "manage-after-errors")


def test_focus_moves_to_the_summary_after_a_failed_submit(site, visitor):
    """A screen reader user hears at once that something must be corrected."""
    page = visitor.page
    _send_empty_form(page, site.event())

    # autofocus acts once the page has loaded, a moment after the navigation ends.
    expect(page.locator(".error-summary")).to_be_focused()


def test_each_message_says_what_to_do_with_its_own_field(site, visitor):
    """ "Wpisz imię i nazwisko", not "To pole jest wymagane." five times over."""
    page = visitor.page
    _send_empty_form(page, site.event())

    messages = page.locator(".error-summary a").all_inner_texts()
    assert len(set(messages)) == len(messages), messages


def test_following_a_summary_link_shows_the_fields_label(site, visitor):
    """The field comes into view with its label above it, not cut off at the top."""
    page = visitor.page
    _send_empty_form(page, site.event())

    for link in page.locator(".error-summary a").all():
        target = link.get_attribute("href").removeprefix("#")
        link.click()
        expect(page.locator(f"#{target}")).to_be_focused()  # it has moved there
        label = page.locator(f"label[for='{target}']").bounding_box()
        assert label["y"] >= 0, f"the label of #{target} is above the window's top edge"


def test_hostile_input_is_refused_or_shown_as_typed_and_runs_nothing(site, visitor, check_page):
    """Markup in a name is text, never code; a value past its limit is an error, not a 500."""
    event_id = site.event(capacity=20)
    page = visitor.page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    name = """<img src=x onerror="alert('name')"> Zoë "O'Brien" & <b>co</b>"""
    person = Person(name=name, email=visitor.address("hostile"))

    page.goto(f"/events/{event_id}")
    fill_registration_form(page, person)
    institution = registration_form(page).locator("#institution")
    institution.evaluate("field => field.removeAttribute('maxlength')")  # as a script would
    institution.fill("Instytucja " * 500)
    send_registration_form(page)
    assert _summary_targets(page) == ["institution"]
    check_page(page, "event-form-too-long")

    institution.fill(person.institution)
    registration_form(page).locator("#consent").check()
    send_registration_form(page)
    expect_status(page, "confirmed")
    expect(page.get_by_text(name, exact=True)).to_be_visible()
    check_page(page, "manage-hostile-name")  # an injected handler would be a CSP error here
    assert dialogs == []


def test_a_mistyped_address_is_questioned_but_not_refused(site, visitor, check_page):
    """ "gmial.com" is most likely a slip: the form suggests the address meant, and the
    manage page asks again; but the address may be right, so nothing refuses it."""
    event_id = site.event(capacity=20)
    typed = f"ewa.{visitor.name}@gmial.com"
    meant = typed.replace("gmial.com", "gmail.com")
    page = visitor.page

    page.goto(f"/events/{event_id}")
    fill_registration_form(page, Person(name="Ewa Nowak", email=typed, institution=""))
    send_registration_form(page)
    assert _summary_targets(page) == ["institution"]
    suggestion = page.locator("#email-suggestion")
    expect(suggestion).to_contain_text(meant)
    expect(page.locator("#email")).to_have_attribute(
        "aria-describedby", re.compile(r"\bemail-suggestion\b")
    )
    check_page(page, "event-form-address-suggestion")

    registration_form(page).locator("#institution").fill("Miejski Ośrodek Kultury")
    registration_form(page).locator("#consent").check()
    send_registration_form(page)
    expect_status(page, "confirmed")
    notice = page.locator(".notice--warning")
    expect(notice).to_contain_text(
        visitor.says("Is your email address right? Did you mean %(address)s?", address=meant)
    )
    check_page(page, "manage-address-suggestion")
