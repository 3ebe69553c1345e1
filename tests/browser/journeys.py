"""Steps that several journeys take, written once: how a visitor fills in and sends the
registration form, reads what the manage page says, reads an email in the browser and
follows its manage link.

They find things by what stays put while the pages' words change (field ids,
which come from the form's field names; a form by where it posts); what a step
checks it says in the visitor's language (``Visitor.says``).

Emails are being reworked (layout, headline, button) while these journeys stand, so
what they check in one is what must stay true of every version: it goes to the right
person only, is written in their language, passes axe, fits the window, and every
link to a manage page leads to the one registration.
"""

from __future__ import annotations

import base64
import email.message
import re
from dataclasses import dataclass
from email.utils import getaddresses

from playwright.sync_api import expect

MANAGE_PATH = re.compile(r"/r/[\w-]+$")
#: What the manage page's heading says in each state: after registering or cancelling it
#: is the one message, with no flashed message repeating it.
HEADLINES = {
    "confirmed": "Your seat is confirmed",
    "waitlisted": "You are on the waitlist",
    "cancelled": "Your registration is cancelled",
    "pending": "Your request waits for the organisers' decision",
    "rejected": "The organisers could not accept your registration",
}


@dataclass(frozen=True)
class Person:
    """What a visitor types into the registration form."""

    name: str
    email: str
    institution: str = "Miejski Ośrodek Kultury"
    position: str = "Specjalistka ds. edukacji"
    category: str = "culture_staff"
    city: str = "Lublin"
    #: A coalition city's slug, or "other" (then ``city`` names the town).
    home_city: str = "lublin"


def registration_form(page):
    """The registration form on an event page: the one form that asks for consent."""
    return page.locator("form:has(#consent)")


def fill_registration_form(page, person: Person) -> None:
    """Fill in every field a registration needs, and give consent."""
    form = registration_form(page)
    form.locator("#name").fill(person.name)
    form.locator("#email").fill(person.email)
    form.locator("#institution").fill(person.institution)
    form.locator("#position").fill(person.position)
    form.locator("#category").select_option(person.category)
    form.locator("#home_city").select_option(person.home_city)
    form.locator("#city").fill(person.city)
    form.locator("#consent").check()


def submit(form) -> None:
    """Press the form's one submit button and wait for the answer to load."""
    page = form.page
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def send_registration_form(page) -> None:
    submit(registration_form(page))


def register(page, person: Person) -> None:
    """Fill in and send the form on the open event page; land on the manage page."""
    fill_registration_form(page, person)
    send_registration_form(page)
    expect(page).to_have_url(MANAGE_PATH)


def expect_status(page, status: str) -> None:
    """The manage page shows the registration in ``status`` (confirmed, waitlisted, cancelled)."""
    expect(page.locator(".panel")).to_have_class(re.compile(rf"\bpanel--{status}\b"))


def expect_result(visitor, status: str) -> None:
    """What the manage page says right after registering or cancelling: its heading names
    the state, once; no flashed message says it a second time."""
    page = visitor.page
    expect_status(page, status)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_accessible_name(visitor.says(HEADLINES[status]))
    expect(page.locator(".flash")).to_have_count(0)


def expect_flash(page, kind: str, message: str) -> None:
    """One flashed message of ``kind`` (success, warning, error) that says ``message``."""
    flash = page.locator(".flash")
    expect(flash).to_have_count(1)
    expect(flash).to_have_class(re.compile(rf"\bflash--{kind}\b"))
    expect(flash).to_contain_text(message)


def html_part(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def expect_addressed_to(
    message: email.message.EmailMessage, address: str, *, not_showing: tuple[str, ...] = ()
) -> None:
    """The email goes to that one person, and shows none of the ``not_showing`` addresses
    (other people's, who took part in the same journey)."""
    recipients = [
        found
        for header in ("To", "Cc", "Bcc")
        for _name, found in getaddresses(message.get_all(header, []))
    ]
    assert recipients == [address], recipients
    text = message.get_body(preferencelist=("plain",)).get_content() + html_part(message)
    shown = [other for other in not_showing if other in text]
    assert not shown, f"the email to {address} shows {shown}"


def _with_inline_images(message: email.message.EmailMessage) -> str:
    """The HTML part with each ``cid:`` reference replaced by the image it names, carried
    inside the message: what a mail program does before it draws the email."""
    html = html_part(message)
    for part in message.walk():
        content_id = part["Content-ID"]
        if content_id and not part.is_multipart():
            data = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
            source = f"data:{part.get_content_type()};base64,{data}"
            html = html.replace(f"cid:{content_id.strip('<>')}", source)
    return html


def open_email(page, message: email.message.EmailMessage, *, language: str) -> None:
    """Show the email in the browser tab, on a blank page as a mail program would; it is
    written in ``language``, the one the person registered in, and every image it shows
    comes from inside the message and is drawn.

    Not on top of a page of the site: its CSP would still govern the email's inline styles.
    """
    page.goto("about:blank")
    page.set_content(_with_inline_images(message), wait_until="load")
    expect(page.locator("html")).to_have_attribute("lang", language)
    undrawn = page.evaluate(
        """() => [...document.images]
            .filter((image) => !(image.complete && image.naturalWidth > 0))
            .map((image) => image.getAttribute("src").slice(0, 80))"""
    )
    assert undrawn == [], f"images not drawn: {undrawn}"


def follow_manage_link(page) -> None:
    """Follow the email's link to the manage page; every such link leads to the same one."""
    links = [
        link
        for link in page.locator("a[href]").all()
        if MANAGE_PATH.search(link.get_attribute("href"))
    ]
    assert links, "the email has no link to the manage page"
    assert len({link.get_attribute("href") for link in links}) == 1, "more than one manage page"
    with page.expect_navigation():
        links[0].click()
    expect(page).to_have_url(MANAGE_PATH)
