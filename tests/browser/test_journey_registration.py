"""Journey: a newcomer registers, is confirmed, corrects their details, cancels; and the
way back to a registration whose link is lost.

Walked in Chromium in Polish and English, at 1280 and 390 CSS pixels; every page
and state on the way meets WCAG 2.1 AA (axe-core), scrolls only up and down, and
logs no error (``check_page``). The emails are read in the browser too: each goes
to its person only, and its manage link leads back to the registration.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import (
    MANAGE_PATH,
    Person,
    expect_addressed_to,
    expect_flash,
    expect_result,
    expect_status,
    fill_registration_form,
    follow_manage_link,
    open_email,
    register,
    registration_form,
    send_registration_form,
    submit,
)
from tests.support.browser import PHONE, horizontal_overflow

pytestmark = pytest.mark.browser

TITLE = "Seminarium problemowe: jak liczyć publiczność instytucji kultury"
#: The language a person switches their emails to, on the manage page.
OTHER_LANGUAGE = {"pl": "en", "en": "pl"}


def _summary_targets(page) -> list[str]:
    """The ids the error summary's links lead to, in order."""
    links = page.locator(".error-summary a").all()
    return [link.get_attribute("href").removeprefix("#") for link in links]


def test_register_read_the_confirmation_correct_the_details_and_cancel(site, visitor, check_page):
    """From the list to a confirmed seat, its email and ticket, a correction, and back out."""
    event_id = site.event(title=TITLE, capacity=20)
    person = Person(name="Ewa Nowak-Jeziorańska", email=visitor.address("ewa"))
    page = visitor.page

    page.goto("/")
    check_page(page, "list")
    event_link = page.locator(f"a[href='/events/{event_id}']")
    expect(event_link).to_have_text(TITLE)
    event_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(page, "event")
    page.locator("a[href='#register']").click()  # the button at the top leads to the form
    expect(page).to_have_url(re.compile("#register$"))
    expect(registration_form(page)).to_be_in_viewport()

    register(page, person)
    expect_result(visitor, "confirmed")
    ticket = page.locator(".ticket img")
    expect(ticket).to_be_visible()
    assert ticket.evaluate("image => image.complete && image.naturalWidth") > 0
    check_page(page, "manage-confirmed")
    manage_url = page.url

    site.deliver_mail()
    [confirmation] = site.mail_to(person.email)
    expect_addressed_to(confirmation, person.email)
    open_email(page, confirmation, language=visitor.language)
    check_page(page, "email-confirmed")
    follow_manage_link(page)
    assert page.url == manage_url

    # The person corrects their details (not the address, which the registration belongs
    # to) and writes the emails' language in the other one.
    details = page.locator(".your-details")
    expect(details).to_contain_text(person.institution)
    with page.expect_navigation():
        details.locator("a[href$='/edit']").click()
    form = page.locator("form[action$='/edit']")
    expect(form.locator("#name")).to_have_value(person.name)  # what they gave, to correct
    expect(form.locator("#institution")).to_have_value(person.institution)
    expect(form.locator("#email")).to_have_count(0)
    check_page(page, "edit")

    form.locator("#name").fill(" ")
    submit(form)
    expect(page.locator(".error-summary")).to_be_focused()
    assert _summary_targets(page) == ["name"]
    check_page(page, "edit-errors")

    corrected = {"#name": "Ewa Nowak", "#institution": "Teatr Miejski w Lublinie"}
    corrected["#needs"] = "Posiłki wegetariańskie"
    for field, value in corrected.items():
        form.locator(field).fill(value)
    emails_in = OTHER_LANGUAGE[visitor.language]
    form.locator("#language").select_option(emails_in)
    submit(form)
    assert page.url == manage_url
    expect_flash(page, "success", visitor.says("Your details are saved."))
    expect_status(page, "confirmed")
    for value in [*corrected.values(), person.email]:
        expect(details.get_by_text(value, exact=True)).to_be_visible()
    check_page(page, "manage-details-saved")

    # Cancelling asks first; looking at the question changes nothing.
    cancel_link = page.locator("main a[href$='/cancel']")
    with page.expect_navigation():
        cancel_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        visitor.says("Cancel your registration?")
    )
    check_page(page, "cancel-confirmed")
    with page.expect_navigation():
        page.get_by_role("link", name=visitor.says("No, keep my registration")).click()
    assert page.url == manage_url
    expect_status(page, "confirmed")

    with page.expect_navigation():
        cancel_link.click()
    submit(page.locator("form[action$='/cancel']"))
    assert page.url == manage_url
    expect_result(visitor, "cancelled")
    expect(page.locator("main a[href$='/cancel'], main a[href$='/edit']")).to_have_count(0)
    check_page(page, "manage-cancelled")
    # Old tabs, or the addresses typed again, lead back here and change nothing.
    page.goto(f"{manage_url}/cancel")
    assert page.url == manage_url
    expect_result(visitor, "cancelled")
    page.goto(f"{manage_url}/edit")
    assert page.url == manage_url
    expect_flash(
        page,
        "error",
        visitor.says(
            "The details of this registration can no longer be changed: it is cancelled, "
            "or the event is over or cancelled."
        ),
    )
    check_page(page, "manage-cancelled-edit-refused")

    site.deliver_mail()
    _confirmation, cancellation = site.mail_to(person.email)
    expect_addressed_to(cancellation, person.email)
    open_email(page, cancellation, language=emails_in)
    check_page(page, "email-cancelled")

    # Changed their mind: the event is still open, and the manage page leads back to it.
    page.goto(manage_url)
    with page.expect_navigation():
        page.get_by_role("link", name=visitor.says("Register again")).click()
    expect(page).to_have_url(re.compile(rf"/events/{event_id}#register"))
    expect(registration_form(page)).to_be_in_viewport()


def test_registering_again_with_the_same_address_shows_nothing_and_mails_the_owner(
    site, visitor, check_page
):
    """Whoever types a registered address in again (its owner, or a stranger who knows it)
    sees no registration and takes no second seat; the manage link goes to the address."""
    event_id = site.event(title=TITLE, capacity=20)
    person = Person(name="Jan Kowalski", email=visitor.address("jan"))
    stranger = Person(name="Ktoś Obcy", email=person.email)
    page = visitor.page
    page.goto(f"/events/{event_id}")
    register(page, person)
    manage_url = page.url

    page.context.clear_cookies()  # another browser, as a stranger's would be
    page.goto(f"/events/{event_id}")
    fill_registration_form(page, stranger)
    send_registration_form(page)
    assert not MANAGE_PATH.search(page.url)
    expect_flash(  # no mistake of the visitor's: a warning, not an error
        page,
        "warning",
        visitor.says(
            "This email address is already registered for this event. "
            "We have sent the link to manage that registration to it."
        ),
    )
    expect(page.get_by_text(person.name)).to_have_count(0)
    check_page(page, "event-already-registered")

    site.deliver_mail()
    _confirmation, manage_link = site.mail_to(person.email)
    expect_addressed_to(manage_link, person.email)
    open_email(page, manage_link, language=visitor.language)
    check_page(page, "email-already-registered")
    follow_manage_link(page)
    assert page.url == manage_url
    expect(page.get_by_text(person.name, exact=True)).to_be_visible()  # the owner's, untouched
    expect(page.get_by_text(stranger.name)).to_have_count(0)


def test_correcting_the_details_takes_only_what_it_may(site, visitor, check_page):
    """What a script sends the edit form is held to the same rules as what a person types:
    an address slipped in is not taken (the registration stays its owner's), a value past
    its limit is an error and not a 500, markup is text."""
    event_id = site.event(title=TITLE, capacity=20)
    owner = visitor.address("owner")
    intruder = visitor.address("intruder")
    token = site.someone_registers(event_id, email=owner, language=visitor.language)
    page = visitor.page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    form = page.locator("form[action$='/edit']")

    def slip_an_address_in() -> None:
        form.evaluate(
            """(form, address) => {
                const field = document.createElement("input");
                field.name = "email";
                field.value = address;
                form.append(field);
            }""",
            intruder,
        )

    page.goto(f"/r/{token}/edit")
    institution = form.locator("#institution")
    institution.evaluate("field => field.removeAttribute('maxlength')")
    institution.fill("Instytucja " * 500)
    slip_an_address_in()
    submit(form)
    assert _summary_targets(page) == ["institution"]
    check_page(page, "edit-too-long")

    needs = """<script>alert("needs")</script> Dostęp dla wózka & <b>pętla indukcyjna</b>"""
    institution.fill("Teatr Miejski")
    form.locator("#needs").fill(needs)
    slip_an_address_in()
    submit(form)
    assert page.url == f"{site.url}/r/{token}"
    details = page.locator(".your-details")
    expect(details.get_by_text(needs, exact=True)).to_be_visible()
    expect(details).to_contain_text(owner)
    expect(page.get_by_text(intruder)).to_have_count(0)
    check_page(page, "manage-hostile-needs")
    assert dialogs == []


def test_a_lost_link_goes_to_the_address_only(site, visitor, check_page):
    """Asked for from the event page, the link goes by email to a registered address and
    leads to its registration; whoever asks, and for whatever address, reads the same
    answer, and nobody's inbox fills up."""
    event_id = site.event(title=TITLE, capacity=20)
    owner = visitor.address("lost")
    token = site.someone_registers(event_id, email=owner, language=visitor.language)
    site.deliver_mail()  # the confirmation, weeks ago
    page = visitor.page

    page.goto(f"/events/{event_id}")
    with page.expect_navigation():
        page.locator(".lost-link a").click()
    check_page(page, "lost-link")
    form = page.locator("form[action$='/lost-link']")
    submit(form)
    expect(page.locator(".error-summary")).to_be_focused()
    assert _summary_targets(page) == ["email"]
    check_page(page, "lost-link-errors")

    typed = owner.capitalize()  # as a phone's keyboard types it
    form.locator("#email").fill(typed)
    submit(form)
    expect(page).to_have_url(re.compile(rf"/events/{event_id}/lost-link/sent$"))
    check_page(page, "lost-link-sent")
    answer = page.locator("main").inner_text()
    assert typed in answer

    site.deliver_mail()
    _confirmation, manage_link = site.mail_to(owner)
    expect_addressed_to(manage_link, owner)
    open_email(page, manage_link, language=visitor.language)
    check_page(page, "email-manage-link")
    follow_manage_link(page)
    assert page.url == f"{site.url}/r/{token}"
    expect_status(page, "confirmed")

    # A stranger, in another browser, asks for the owner's address and for one that
    # holds nothing: the same answer each time; no new email, to either address.
    page.context.clear_cookies()
    nobody = visitor.address("nobody")
    for address in (owner, nobody):
        page.goto(f"/events/{event_id}/lost-link")
        form.locator("#email").fill(address)
        submit(form)
        assert page.locator("main").inner_text() == answer.replace(typed, address)
    check_page(page, "lost-link-sent-unknown")
    site.deliver_mail()
    assert len(site.mail_to(owner)) == 2
    assert site.mail_to(nobody) == []


@pytest.mark.parametrize(
    "visitor", [("pl", PHONE), ("en", PHONE)], ids=["pl-390", "en-390"], indirect=True
)
def test_confirmation_of_an_online_event_fits_a_phone(site, visitor):
    """A long meeting link wraps inside the email instead of widening it past the screen."""
    event_id = site.event(
        title=TITLE,
        online_url="https://us02web.zoom.us/j/81234567890?pwd=aBcDeFgHiJkLmNoPqRsTuVwXyZ123456",
    )
    person = Person(name="Ewa Nowak", email=visitor.address("online"))
    page = visitor.page
    page.goto(f"/events/{event_id}")
    register(page, person)

    site.deliver_mail()
    [confirmation] = site.mail_to(person.email)
    open_email(page, confirmation, language=visitor.language)

    assert horizontal_overflow(page) <= 0
