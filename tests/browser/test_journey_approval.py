"""Journey: an event whose organisers decide on each registration (SPEC section 10).

The visitor registers and reads that the request waits, holding no seat; the "request
received" email says the same. One organiser's decision declines it: the email says so
politely and names the contact address, and the manage page offers nothing more. A
second request is approved: its confirmation says so and brings the ticket. Every page
and email on the way is checked with ``check_page``, in Polish and English, at 1280 and
390 CSS pixels.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registration.extensions import db
from registration.registrations import services as registrations
from tests.browser.journeys import (
    Person,
    expect_result,
    expect_status,
    follow_manage_link,
    open_email,
    register,
)
from tests.factories import make_account

pytestmark = pytest.mark.browser

TITLE = "Rada programowa Koalicji: dobór uczestników"
CONTACT = "rada@example.org"


def decide(site, token: str, *, approve: bool) -> None:
    """An organiser approves or declines the request behind ``token``."""
    with site.app.app_context():
        registration = registrations.find_by_token(token)
        organiser = make_account(f"organiser.{token[:8]}@example.org", password=None)
        if approve:
            registrations.approve(registration, account=organiser)
        else:
            registrations.reject(registration, account=organiser)
        db.session.commit()


def token_of(page) -> str:
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_a_request_waits_then_is_declined(site, visitor, check_page):
    event_id = site.event(title=TITLE, approval=True, contact_email=CONTACT)
    person = Person(name="Łucja Żółkiewska", email=visitor.address("lucja"))
    page = visitor.page

    page.goto(f"/events/{event_id}")
    register(page, person)
    expect_result(visitor, "pending")
    expect(page.locator(".ticket, .add-to-calendar")).to_have_count(0)
    expect(page.locator(".cancel")).to_contain_text(visitor.says("Withdraw my request"))
    check_page(page, "manage-pending")
    token = token_of(page)
    # Withdrawing asks first; the visitor keeps the request this time.
    page.get_by_role("link", name=visitor.says("Withdraw my request")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        visitor.says("Withdraw your request?")
    )
    check_page(page, "cancel-pending")
    page.get_by_role("link", name=visitor.says("No, keep my request")).click()
    expect_status(page, "pending")

    site.deliver_mail()
    [received] = site.mail_to(person.email)
    open_email(page, received, language=visitor.language)
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Your request is in"))
    check_page(page, "email-pending")

    decide(site, token, approve=False)
    site.deliver_mail()
    _, declined = site.mail_to(person.email)
    open_email(page, declined, language=visitor.language)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        visitor.says("The organisers could not accept your registration")
    )
    expect(page.locator(f'a[href="mailto:{CONTACT}"]')).to_have_count(1)
    check_page(page, "email-rejected")
    follow_manage_link(page)
    expect_status(page, "rejected")
    expect(page.locator(".cancel")).to_have_count(0)
    check_page(page, "manage-rejected")


def test_an_approved_request_gets_its_seat_and_says_so(site, visitor, check_page):
    event_id = site.event(title=TITLE, approval=True, contact_email=CONTACT)
    person = Person(name="Jan Kowalski", email=visitor.address("jan"))
    page = visitor.page

    page.goto(f"/events/{event_id}")
    register(page, person)
    decide(site, token_of(page), approve=True)
    site.deliver_mail()
    _, approved = site.mail_to(person.email)
    open_email(page, approved, language=visitor.language)
    expect(page.locator("body")).to_contain_text(
        visitor.says("The organisers have approved your registration.")
    )
    expect(page.locator("img[alt]").first).to_be_visible()
    check_page(page, "email-approved")
    follow_manage_link(page)
    expect_status(page, "confirmed")
