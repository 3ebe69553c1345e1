"""Journey: a full event, a place on the waitlist, a seat freed, the promotion email.

The visitor finds every seat taken, joins the waitlist, and sees their place in
line; the waitlist email arrives. Then the person holding the seat cancels: the
visitor is promoted in that same transaction, the mail worker delivers the
promotion through a real SMTP server, and its manage link, followed in the
browser, shows the seat confirmed. Every page, state and email on the way is
checked with ``check_page``, in Polish and English, at 1280 and 390 CSS pixels.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registration.events.models import EventType
from tests.browser.journeys import (
    Person,
    expect_addressed_to,
    expect_result,
    expect_status,
    follow_manage_link,
    open_email,
    register,
    registration_form,
    submit,
)

pytestmark = pytest.mark.browser

TITLE = "Spotkanie z ekspertami: dostępność wydarzeń kulturalnych"


def test_waitlisted_visitor_is_promoted_when_a_seat_frees(site, visitor, check_page):
    """From "all seats are taken" to a confirmed seat, told by email."""
    event_id = site.event(title=TITLE, type=EventType.EXPERT_MEETING, capacity=1, waitlist=True)
    holder_address = visitor.address("holder")
    holder = site.someone_registers(event_id, email=holder_address)
    person = Person(name="Łucja Żółkiewska", email=visitor.address("lucja"))
    page = visitor.page

    page.goto(f"/events/{event_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(registration_form(page).locator("button[type=submit]")).to_have_text(
        visitor.says("Join the waitlist")
    )
    check_page(page, "event-full")

    register(page, person)
    expect_result(visitor, "waitlisted")
    place = visitor.says("Your place in line: %(position)d", position=1)
    expect(page.locator(".panel")).to_contain_text(place)
    # A ticket, or a calendar entry, would promise a seat that is not theirs yet.
    expect(page.locator(".ticket, .add-to-calendar")).to_have_count(0)
    check_page(page, "manage-waitlisted")
    manage_url = page.url

    site.deliver_mail()
    [waitlisted] = site.mail_to(person.email)
    expect_addressed_to(waitlisted, person.email, not_showing=(holder_address,))
    open_email(page, waitlisted, language=visitor.language)
    check_page(page, "email-waitlisted")
    follow_manage_link(page)
    assert page.url == manage_url

    site.someone_cancels(holder)
    site.deliver_mail()
    waitlisted, promoted = site.mail_to(person.email)
    assert promoted["Subject"] != waitlisted["Subject"]
    expect_addressed_to(promoted, person.email, not_showing=(holder_address,))
    open_email(page, promoted, language=visitor.language)
    check_page(page, "email-promoted")
    follow_manage_link(page)
    assert page.url == manage_url
    expect_status(page, "confirmed")
    expect(page.locator(".ticket img")).to_be_visible()
    expect(page.locator(".add-to-calendar")).to_be_visible()
    check_page(page, "manage-promoted")


def test_leaving_the_waitlist_moves_the_next_person_up(site, visitor, check_page):
    """Asked first, then out of the line; the person behind becomes first."""
    event_id = site.event(title=TITLE, type=EventType.EXPERT_MEETING, capacity=1, waitlist=True)
    site.someone_registers(event_id, email=visitor.address("holder"))
    first = site.someone_registers(event_id, email=visitor.address("first"))
    second = site.someone_registers(event_id, email=visitor.address("second"))
    page = visitor.page

    page.goto(f"/events/{event_id}")
    expect(page.locator(".register .notice--warning")).to_contain_text(
        visitor.says_plural(
            "%(num)d person is waiting already.", "%(num)d people are waiting already.", 2
        )
    )
    check_page(page, "event-full-people-waiting")

    page.goto(f"/r/{first}")
    with page.expect_navigation():
        page.locator("main a[href$='/cancel']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Leave the waitlist?"))
    check_page(page, "cancel-waitlisted")
    submit(page.locator("form[action$='/cancel']"))
    expect_result(visitor, "cancelled")
    check_page(page, "manage-left-the-waitlist")

    page.goto(f"/r/{second}")
    expect_status(page, "waitlisted")
    place = visitor.says("Your place in line: %(position)d", position=1)
    expect(page.locator(".panel")).to_contain_text(place)


def test_full_event_without_waitlist_takes_no_registration(site, visitor, check_page):
    """The page says the event is full and offers no form that could only fail."""
    event_id = site.event(title=TITLE, type=EventType.EXPERT_MEETING, capacity=1, waitlist=False)
    site.someone_registers(event_id, email=visitor.address("holder"))
    page = visitor.page

    page.goto(f"/events/{event_id}")

    expect(registration_form(page)).to_have_count(0)
    expect(page.locator("#register-heading ~ p").first).to_have_text(
        visitor.says("All seats are taken and this event has no waitlist.")
    )
    check_page(page, "event-full-no-waitlist")
