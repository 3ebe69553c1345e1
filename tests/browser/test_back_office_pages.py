"""Every page of the organiser back office, in every state, passes ``check_page``: axe-core at
zero WCAG 2.1 A and AA violations, no reference to a missing element, no sideways
scrolling and nothing logged as an error, in Polish and English at 1280 and 390 pixels.

States: signing in (and a wrong password), the dashboard and the event list with events
and without, the event form new and edited, each with its errors, cancelling an event, the
attendee list empty, full and searched, adding a person by hand with errors, writing to
attendees with errors and after sending, check-in (lookup, an event's door and its search,
an unknown code, the card of a confirmed, a checked-in and a waitlisted person), the
sign-in sheet, the audit log, and the 403 and 404 pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from registration.extensions import db
from registration.registrations import services as registrations
from registration.registrations.models import RegistrationStatus
from tests.factories import PASSWORD, make_account, make_event, make_registration

pytestmark = pytest.mark.browser

ORGANISER = "organiser.wroclaw@example.org"
#: An organiser whose city has no events: the empty dashboard and list.
NEWCOMER = "organiser.szczecin@example.org"
ADMIN = "admin@example.org"


@dataclass(frozen=True)
class BackOffice:
    """The ids and codes the pages are reached by."""

    event: int
    empty_event: int
    other_citys_event: int
    confirmed_code: str
    checked_in_code: str
    waitlisted_code: str


@pytest.fixture(scope="module")
def back_office(site) -> BackOffice:
    """Three accounts and a Wrocław event with people in every state, made once per module."""
    with site.app.app_context():
        organiser = make_account(ORGANISER, city_slug="wroclaw")
        make_account(NEWCOMER, city_slug="szczecin")
        make_account(ADMIN, role="admin")
        event = make_event(title="Wizyta studyjna: Dom Literatury", capacity=3)
        people = [
            make_registration(event, name=name, needs=needs)
            for name, needs in [
                ("Ewa Zielińska", "Dieta wegetariańska"),
                ("Jan Kowalski", None),
                ("Maria Wiśniewska", "Pętla indukcyjna"),
                ("Piotr Nowak", None),
                ("Zofia Lewandowska", None),
            ]
        ]
        registrations.check_in(people[1], account=organiser, other_day=True)
        registrations.cancel(people[2])  # Piotr Nowak is promoted from the waitlist
        empty = make_event(title="Seminarium: bez zapisów")
        elsewhere = make_event(title="Spotkanie w Gdańsku", city_slug="gdansk")
        db.session.commit()
        by_status = {
            status: [p for p in people if p.status == status] for status in RegistrationStatus
        }
        return BackOffice(
            event=event.id,
            empty_event=empty.id,
            other_citys_event=elsewhere.id,
            confirmed_code=next(
                p.check_in_code
                for p in by_status[RegistrationStatus.CONFIRMED]
                if not p.checked_in_at
            ),
            checked_in_code=people[1].check_in_code,
            waitlisted_code=by_status[RegistrationStatus.WAITLISTED][0].check_in_code,
        )


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def submit(page, form: str = "form.registration-form") -> None:
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").last.click()


def _sign_in_page(page, ids):
    page.goto("/organiser/login")


def _wrong_password(page, ids):
    sign_in(page, ORGANISER, "not the password")
    assert page.locator(".flash--error, .error-summary, [aria-invalid=true]").count()


def _new_event_with_errors(page, ids):
    page.goto("/organiser/events/new")
    submit(page, "form.event-form")
    assert page.locator("[aria-invalid=true]").count()


def _edited_event_with_errors(page, ids):
    page.goto(f"/organiser/events/{ids.event}/edit")
    page.locator("#title").fill("")
    page.locator("#capacity").fill("-1")
    submit(page, "form.event-form")
    assert page.locator("[aria-invalid=true]").count()


def _added_by_hand_with_errors(page, ids):
    page.goto(f"/organiser/events/{ids.event}/attendees/new")
    submit(page)
    assert page.locator("[aria-invalid=true]").count()


def _message_with_errors(page, ids):
    page.goto(f"/organiser/events/{ids.event}/message")
    submit(page)
    assert page.locator("[aria-invalid=true]").count()


def _message_sent(page, ids):
    page.goto(f"/organiser/events/{ids.event}/message")
    page.locator("#subject").fill("Zmiana sali")
    page.locator("#body").fill("Spotykamy się w sali 2 na pierwszym piętrze.")
    submit(page)  # to the preview
    with page.expect_navigation():
        page.locator(".message-confirm__actions button").first.click()
    assert "/message/" in page.url
    assert "/preview" not in page.url


def _cancel_reason_too_long(page, ids):
    """A reason past the limit (as a client without ``maxlength`` sends it) cancels nothing."""
    page.goto(f"/organiser/events/{ids.event}/cancel")
    page.locator("#reason").evaluate("textarea => textarea.removeAttribute('maxlength')")
    page.locator("#reason").fill("x" * 1001)
    submit(page, "main form[action$='/cancel']")
    assert page.locator("#reason[aria-invalid=true]").count()


def _goto(path: str, status: int = 200):
    def visit(page, ids):
        response = page.goto(path.format(ids=ids))
        assert response.status == status, f"{path}: {response.status}"

    return visit


#: name → (who signs in, how the page is reached)
PAGES = {
    "sign-in": (None, _sign_in_page),
    "sign-in-wrong-password": (None, _wrong_password),
    "dashboard": (ORGANISER, _goto("/organiser/")),
    "dashboard-empty": (NEWCOMER, _goto("/organiser/")),
    "events": (ORGANISER, _goto("/organiser/events")),
    "events-empty": (NEWCOMER, _goto("/organiser/events")),
    "new-event": (ORGANISER, _goto("/organiser/events/new")),
    "new-event-errors": (ORGANISER, _new_event_with_errors),
    "edit-event": (ORGANISER, _goto("/organiser/events/{ids.event}/edit")),
    "edit-event-errors": (ORGANISER, _edited_event_with_errors),
    "cancel-event": (ORGANISER, _goto("/organiser/events/{ids.event}/cancel")),
    "cancel-event-errors": (ORGANISER, _cancel_reason_too_long),
    "attendees-empty": (ORGANISER, _goto("/organiser/events/{ids.empty_event}/attendees")),
    "attendees-full": (ORGANISER, _goto("/organiser/events/{ids.event}/attendees")),
    "attendees-searched": (ORGANISER, _goto("/organiser/events/{ids.event}/attendees?q=ewa")),
    "add-by-hand": (ORGANISER, _goto("/organiser/events/{ids.event}/attendees/new")),
    "add-by-hand-errors": (ORGANISER, _added_by_hand_with_errors),
    "message": (ORGANISER, _goto("/organiser/events/{ids.event}/message")),
    "message-errors": (ORGANISER, _message_with_errors),
    "message-sent": (ORGANISER, _message_sent),
    "check-in": (ORGANISER, _goto("/organiser/check-in")),
    "check-in-door": (ORGANISER, _goto("/organiser/events/{ids.event}/check-in")),
    "check-in-door-searched": (ORGANISER, _goto("/organiser/events/{ids.event}/check-in?q=ewa")),
    "check-in-unknown-code": (ORGANISER, _goto("/organiser/check-in?code=no-such-code", 404)),
    "check-in-card": (ORGANISER, _goto("/organiser/check-in/{ids.confirmed_code}")),
    "check-in-card-checked-in": (ORGANISER, _goto("/organiser/check-in/{ids.checked_in_code}")),
    "check-in-card-waitlisted": (ORGANISER, _goto("/organiser/check-in/{ids.waitlisted_code}")),
    "sign-in-sheet": (ORGANISER, _goto("/organiser/events/{ids.event}/sign-in-sheet")),
    "audit-log": (ADMIN, _goto("/organiser/audit")),
    "forbidden": (
        ORGANISER,
        _goto("/organiser/events/{ids.other_citys_event}/attendees", 403),
    ),
    "not-found": (ORGANISER, _goto("/organiser/events/999999/attendees", 404)),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_back_office_page_passes_the_page_checks(visitor, check_page, back_office, name):
    page = visitor.page
    account, reach = PAGES[name]
    if account:
        sign_in(page, account)
        assert "/login" not in page.url, f"{account} could not sign in"
    page.goto(f"/?lang={visitor.language}")  # the language sticks, as a visitor's choice does
    reach(page, back_office)

    assert page.locator("html").get_attribute("lang") == visitor.language
    check_page(page, f"back office: {name}")
