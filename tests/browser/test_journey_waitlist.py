"""Journey: a full event, a place on the waitlist, a seat freed, the promotion email.

The visitor finds every seat taken, joins the waitlist, and sees their place in
line; the waitlist email arrives. Then the person holding the seat cancels: the
visitor is promoted in that same transaction, the mail worker delivers the
promotion through a real SMTP server, and its manage link, followed in the
browser, shows the seat confirmed. Every page, state and email on the way is
checked with ``check_page``, in Polish and English, at 1280 and 390 CSS pixels.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from registration.events.models import EventType
from tests.browser.journeys import (
    Person,
    expect_status,
    follow_manage_link,
    open_email,
    register,
)

pytestmark = pytest.mark.browser

TITLE = "Spotkanie z ekspertami: dostępność wydarzeń kulturalnych"


def test_waitlisted_visitor_is_promoted_when_a_seat_frees(site, visitor, check_page):
    """From "all seats are taken" to a confirmed seat, told by email."""
    event_id = site.event(title=TITLE, type=EventType.EXPERT_MEETING, capacity=1, waitlist=True)
    holder = site.someone_registers(event_id, email=visitor.address("holder"))
    person = Person(name="Łucja Żółkiewska", email=visitor.address("lucja"))
    page = visitor.page

    page.goto(f"/events/{event_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(page, "event-full")

    register(page, person)
    expect(page.get_by_role("status")).to_contain_text(
        visitor.says("The event is full, so you are on the waitlist.")
    )
    expect_status(page, "waitlisted")
    expect(page.locator(".status")).to_contain_text(re.compile(r"\b1\b"))  # first in line
    expect(page.locator(".ticket")).to_have_count(0)  # no ticket without a seat
    check_page(page, "manage-waitlisted")
    manage_url = page.url

    site.deliver_mail()
    [waitlisted] = site.mail_to(person.email)
    open_email(page, waitlisted, language=visitor.language)
    check_page(page, "email-waitlisted")
    follow_manage_link(page)
    assert page.url == manage_url

    site.someone_cancels(holder)
    site.deliver_mail()
    waitlisted, promoted = site.mail_to(person.email)
    assert promoted["Subject"] != waitlisted["Subject"]
    open_email(page, promoted, language=visitor.language)
    check_page(page, "email-promoted")
    follow_manage_link(page)
    assert page.url == manage_url
    expect_status(page, "confirmed")
    expect(page.locator(".ticket img")).to_be_visible()
    check_page(page, "manage-promoted")


def test_full_event_without_waitlist_takes_no_registration(site, visitor, check_page):
    """The page says the event is full and offers no form that could only fail."""
    event_id = site.event(title=TITLE, type=EventType.EXPERT_MEETING, capacity=1, waitlist=False)
    site.someone_registers(event_id, email=visitor.address("holder"))
    page = visitor.page

    page.goto(f"/events/{event_id}")

    expect(page.locator("form:has(#consent)")).to_have_count(0)
    check_page(page, "event-full-no-waitlist")
