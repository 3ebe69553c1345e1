"""Journey: a person asks for the link to their data, reads it, and erases it.

The visitor holds the one seat of an event, somebody waits behind them. They ask
for the link (a mistake first, then their address), get the email through a real
SMTP server, open the page of their data, ask to erase it, confirm, and find the
link dead afterwards; the person waiting gets the seat. Every page and state on the
way is checked with ``check_page``, in Polish and English, at 1280 and 390 CSS pixels.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import open_email

pytestmark = pytest.mark.browser

TITLE = "Seminarium: dane o publiczności"


def test_a_person_sees_and_erases_their_data(site, visitor, check_page):
    event_id = site.event(title=TITLE, capacity=1)
    address = visitor.address("dane")
    waiting = visitor.address("waiting")
    site.someone_registers(event_id, email=address, name="Dana Własna", language=visitor.language)
    site.someone_registers(event_id, email=waiting, language=visitor.language)
    page = visitor.page

    page.goto("/privacy/data-link")
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Your data"))
    check_page(page, "data-request")

    page.get_by_label(visitor.says("Email address")).fill("dana-at-example.org")
    page.get_by_role("button", name=visitor.says("Send me the link")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page, "data-request-error")

    page.get_by_label(visitor.says("Email address")).fill(address)
    page.get_by_role("button", name=visitor.says("Send me the link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Check your email"))
    check_page(page, "data-link-sent")

    site.deliver_mail()
    [email] = [m for m in site.mail_to(address) if "/privacy/data/" in str(m)]
    open_email(page, email, language=visitor.language)
    check_page(page, "email-data-link")
    link = page.get_by_role("link", name=visitor.says("See your data"))
    data_url = link.get_attribute("href")
    assert re.fullmatch(re.escape(site.url) + r"/privacy/data/[\w.-]+", data_url)

    page.goto(data_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Your data"))
    expect(page.locator("main")).to_contain_text("Dana Własna")
    expect(page.locator("main")).to_contain_text(TITLE)
    check_page(page, "data")

    page.get_by_role("link", name=visitor.says("Erase my data")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Erase your data?"))
    expect(page.locator(".notice")).to_contain_text(TITLE)  # the seat to be given up
    check_page(page, "erase")

    page.get_by_role("button", name=visitor.says("Yes, erase my data")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.says("Your data are erased"))
    check_page(page, "erased")

    page.goto(data_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        visitor.says("This link does not work")
    )
    check_page(page, "data-link-dead")

    site.deliver_mail()
    assert len(site.mail_to(address)) == 3  # confirmed, the data link, the last: cancelled
    assert len(site.mail_to(waiting)) == 2  # waitlisted, then promoted
