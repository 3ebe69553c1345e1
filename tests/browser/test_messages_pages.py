"""The pages of writing to attendees and the attendee list, in the browser: writing (and
its errors), the preview (and after a test to oneself), the confirmation's progress, and
the list with each person's last email, pass ``check_page`` (axe-core at zero WCAG 2.1
A and AA violations, nothing logged, no sideways scrolling) in Polish and English at
1280 and 390 pixels. On a phone the attendee list is a column of cards.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.registrations import services as registrations
from tests.factories import PASSWORD, make_account, make_event, make_registration

pytestmark = pytest.mark.browser

ORGANISER = "organiser.messages@example.org"


@dataclass(frozen=True)
class Ids:
    event: int
    refused: int


@pytest.fixture(scope="module")
def ids(site) -> Ids:
    """A Wrocław event whose people's emails went, failed, or wait; one checked in."""
    with site.app.app_context():
        organiser = make_account(ORGANISER, city_slug="wroclaw")
        event = make_event(
            title="Wizyta studyjna: Dom Literatury i Muzeum Współczesne we Wrocławiu", capacity=3
        )
        people = [
            make_registration(
                event,
                name=name,
                email=email,
                institution="Miejska Biblioteka Publiczna im. Tadeusza Różewicza",
                needs=needs,
            )
            for name, email, needs in [
                ("Ewa Zielińska-Wiśniewska", "ewa.zielinska-wisniewska@example.org", "Pętla"),
                ("Maria Wiśniewska", "maria@example.org", None),
                ("Piotr Nowak", "piotr@example.org", None),
                ("Jan Kowalski", "jan@example.org", None),  # on the waitlist
            ]
        ]
        registrations.check_in(people[0], account=organiser, other_day=True)
        db.session.commit()
        site.smtp.refuse("jan@example.org", "550 5.1.1 No such mailbox here, really not")
        deliver_due()
        make_registration(event, name="Zofia Lewandowska", email="zofia@example.org")
        db.session.commit()
        return Ids(event=event.id, refused=people[3].id)


def sign_in(page) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(ORGANISER)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def write(page, ids: Ids) -> None:
    page.goto(f"/organiser/events/{ids.event}/message")
    page.locator("#recipients-1").check()  # the waitlist, where one address is refused
    page.locator("#subject").fill("Zmiana sali")
    page.locator("#body").fill("Dzień dobry,\n\nspotykamy się w sali 2 na pierwszym piętrze.")
    click(page, "form.registration-form button[type=submit]")


def test_writing_previewing_testing_and_sending(visitor, check_page, ids, site):
    page = visitor.page
    sign_in(page)
    page.goto(f"/?lang={visitor.language}")
    page.goto(f"/organiser/events/{ids.event}/message")
    check_page(page, "message: write")

    click(page, "form.registration-form button[type=submit]")
    assert page.locator("[aria-invalid=true]").count()
    check_page(page, "message: write with errors")

    write(page, ids)
    assert "/message/preview" in page.url
    assert page.get_by_text(
        visitor.says_plural(
            "You will send it to %(num)d person.", "You will send it to %(num)d people.", 2
        )
        % {"num": 2}
    ).count()
    # Chromium paints a frame of another origin (a sandbox is one) only once it is in view.
    page.locator(".message-preview__html").first.scroll_into_view_if_needed()
    check_page(page, "message: preview")

    click(page, "button[formaction$='/message/test']")
    assert page.locator(".flash--success").count()
    page.locator(".message-preview__html").first.scroll_into_view_if_needed()
    check_page(page, "message: preview after a test")

    click(page, "button[formaction$='/message/edit'], .message-confirm__actions button >> nth=2")
    assert page.locator("#subject").input_value() == "Zmiana sali"

    write(page, ids)
    click(page, ".message-confirm__actions button >> nth=0")
    assert "/message/" in page.url
    assert "/preview" not in page.url
    check_page(page, "message: progress")

    with site.app.app_context():
        deliver_due()
    page.reload()
    assert page.locator(".last-email__error").count()
    check_page(page, "message: progress with a failure")

    page.goto(f"/organiser/events/{ids.event}/message")
    assert page.locator(".send-outs li").count()
    check_page(page, "message: write, with a send-out before")


def test_the_attendee_list_with_last_emails(visitor, check_page, ids, site):
    with site.app.app_context():
        deliver_due()  # a copy asked for in an earlier visit is refused again
    page = visitor.page
    sign_in(page)
    page.goto(f"/?lang={visitor.language}")
    page.goto(f"/organiser/events/{ids.event}/attendees")
    assert page.locator(f"#registration-{ids.refused} .last-email__error").count()
    check_page(page, "attendees: last emails")
    if visitor.width <= 390:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the list is {width}px wide"
        # Each person is a card: the row is a block, its cells say what they hold.
        display = page.locator(f"#registration-{ids.refused}").evaluate(
            "row => getComputedStyle(row).display"
        )
        assert display == "block"

    click(page, f"#registration-{ids.refused} .last-email button")
    assert page.url.endswith(f"#registration-{ids.refused}")
    assert page.locator(".flash--success").count()
    check_page(page, "attendees: after a resend")
