"""Journey: an organiser's season, in the browser, from the invitation to the audit log.

The coordinator's admin invites a city organiser by email; the organiser follows the
link from the email (through a real SMTP server), chooses a password, creates an event
typed with Polish dates, publishes it, imports 30 attendees from a spreadsheet into its
25 seats, moves it to another venue (and is told how many people were told), writes to
the attendees with a preview and a test sent to themselves, then checks people in at
the door: the first a fortnight early (a second tap), and once the day has come, with
one tap and an undo. The admin then reads it all in the audit log.

Every page and state on the way passes ``check_page`` (axe-core at zero WCAG 2.1 AA
violations, no sideways scrolling, nothing logged as an error), in Polish and English,
at 1280 and at 390 CSS pixels: the 390 runs are the organiser on a phone.
"""

from __future__ import annotations

import csv
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from registration.accounts.services import find_account
from registration.database import utcnow
from registration.events import services as events
from registration.events.models import Event
from registration.extensions import db
from registration.i18n import WARSAW
from registration.registrations.exports import header
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.browser

ADMIN = "season.admin@example.org"
SEATS = 25
PEOPLE = 30
NEW_PASSWORD = "Sezon-2027-Wroclaw!"


@pytest.fixture(scope="module")
def admin(site) -> str:
    with site.app.app_context():
        make_account(ADMIN, role="admin")
        db.session.commit()
    return ADMIN


def sign_in(page, email: str, password: str) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def sign_out(page) -> None:
    with page.expect_navigation():
        page.locator("nav.backoffice-nav form button[type=submit]").click()


def submit(page, form: str = "form.registration-form") -> None:
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").first.click()


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def spreadsheet(path, visitor, *, language: str) -> None:
    """30 people in the export's own columns and words (the headers of ``language``),
    with Polish letters, as an organiser would have them from last season's export."""
    from flask_babel import force_locale

    with visitor.app.app_context(), force_locale(language):
        columns = header()
    names = ["Zażółć Gęślą", "Łucja Źrebięcka", "Józef Ćwikliński", "Anna Nowak", "Piotr Żak"]
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(columns)
        for number in range(PEOPLE):
            row = dict.fromkeys(columns, "")
            row[columns[1]] = f"{names[number % len(names)]} {number + 1}"
            row[columns[2]] = visitor.address(f"uczestnik{number + 1}")
            row[columns[3]] = "Muzeum Sztuki w Łodzi"
            row[columns[5]] = "culture_staff"
            row[columns[6]] = "Łódź"
            row[columns[10]] = visitor.language
            writer.writerow([row[column] for column in columns])


def the_event(site, title: str) -> Event:
    return db.session.scalars(sa.select(Event).where(Event.title == title)).one()


def test_an_organisers_season(site, visitor, check_page, admin, tmp_path):
    page = visitor.page
    organiser = visitor.address("organizatorka")
    title = f"Wizyta studyjna: Muzeum Sztuki ({visitor.name})"

    # --- The admin invites an organiser --------------------------------------------
    sign_in(page, admin, PASSWORD)
    page.goto("/organiser/accounts/invite")
    check_page(page, "season-invite")
    page.locator("#name").fill("Anna Nowak")
    page.locator("#email").fill(organiser)
    page.locator("#role").select_option("organiser")
    page.locator("#city").select_option(label="Wrocław")
    submit(page)
    expect(page.locator(".flash--success")).to_contain_text(organiser)
    check_page(page, "season-invited")
    sign_out(page)

    # --- The organiser accepts the invitation from the email ----------------------
    site.deliver_mail()
    [invitation] = site.mail_to(organiser)
    link = re.search(r"https?://\S+/organiser/invitation/[\w.\-]+", invitation_text(invitation))
    assert link, invitation_text(invitation)
    page.goto(link.group(0))
    check_page(page, "season-choose-password")
    page.locator("#password").fill(NEW_PASSWORD)
    submit(page)
    check_page(page, "season-password-chosen")  # the sign-in page, saying so
    sign_in(page, organiser, NEW_PASSWORD)
    expect(page.locator("nav.backoffice-nav")).to_contain_text(organiser)
    check_page(page, "season-dashboard")
    # The link worked once.
    assert page.goto(link.group(0)).status in (404, 410)

    # --- An event, typed with Polish dates, published -----------------------------
    starts = (utcnow() + timedelta(days=14)).astimezone(WARSAW)
    page.goto("/organiser/events/new")
    page.locator("#type").select_option("study_visit")
    page.locator("#title").fill(title)
    page.locator("#summary").fill("Jak muzeum pracuje z publicznością miasta.")
    page.locator("#venue").fill("Muzeum Sztuki, ms1")
    page.locator("#address").fill("ul. Więckowskiego 36")
    page.locator("#starts_at").fill(starts.strftime("%d.%m.%Y 10:00"))
    page.locator("#ends_at").fill(starts.strftime("%d.%m.%Y 16:00"))
    page.locator("#capacity").fill(str(SEATS))
    submit(page, "form.event-form")
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.locator("#starts_at")).to_have_value(starts.strftime("%d.%m.%Y 10:00"))
    check_page(page, "season-event-saved")
    with page.expect_navigation():
        page.locator("form[action$='/publish'] button").click()
    check_page(page, "season-event-published")
    with site.app.app_context():
        event_id = the_event(site, title).id

    # --- 30 attendees imported into 25 seats --------------------------------------
    sheet = tmp_path / "uczestnicy.csv"
    spreadsheet(sheet, visitor, language=visitor.language)
    page.goto(f"/organiser/events/{event_id}/import")
    check_page(page, "season-import")
    page.locator("#file").set_input_files(str(sheet))
    page.locator("#consent").check()
    submit(page)
    expect(page.locator(".attendee-counts")).to_contain_text(str(SEATS))
    check_page(page, "season-import-preview")
    with page.expect_navigation():
        page.locator("form.import-confirm button[type=submit]").click()
    check_page(page, "season-import-done")
    with site.app.app_context():
        statuses = db.session.scalars(
            sa.select(Registration.status).where(Registration.event_id == event_id)
        ).all()
    assert statuses.count(RegistrationStatus.CONFIRMED) == SEATS
    assert statuses.count(RegistrationStatus.WAITLISTED) == PEOPLE - SEATS

    # --- The venue changes: everyone is told, and the organiser is told how many --
    page.goto(f"/organiser/events/{event_id}/edit")
    page.locator("#venue").fill("Muzeum Sztuki, ms2")
    page.locator("#address").fill("ul. Ogrodowa 19")
    submit(page, "form.event-form")
    expect(page.locator(".flash--success")).to_contain_text(str(PEOPLE))
    check_page(page, "season-event-moved")

    # --- A message, previewed, tested on oneself, then sent -----------------------
    page.goto(f"/organiser/events/{event_id}/message")
    check_page(page, "season-message")
    page.locator("#recipients-0").check()  # the people with a confirmed seat
    page.locator("#subject").fill("Plan wizyty i dojazd")
    page.locator("#body").fill(
        "Dzień dobry,\n\nspotykamy się o 9:45 przy wejściu od ul. Ogrodowej."
    )
    submit(page)
    expect(page.locator("h1")).to_have_text(visitor.says("Check the message"))
    expect(page.locator(".message-confirm button").first).to_contain_text(str(SEATS))
    check_page(page, "season-message-preview")
    with page.expect_navigation():
        page.locator(".message-confirm button.secondary").first.click()  # a test to me
    check_page(page, "season-message-test-sent")
    site.deliver_mail()
    [test] = site.mail_to(organiser)[1:]
    assert "Plan wizyty i dojazd" in test["Subject"]
    with page.expect_navigation():
        page.locator(".message-confirm button[type=submit]").first.click()
    check_page(page, "season-message-sent")
    site.deliver_mail()
    told = [visitor.address(f"uczestnik{number}") for number in range(1, PEOPLE + 1)]
    got_it = [a for a in told if any("Plan wizyty" in m["Subject"] for m in site.mail_to(a))]
    assert len(got_it) == SEATS

    # --- At the door: a fortnight early, then on the day --------------------------
    page.goto(f"/organiser/events/{event_id}/check-in")
    check_page(page, "season-door-early")
    first_card = page.locator(".check-in-card").first
    with page.expect_navigation():
        first_card.locator(".check-in-form button").click()
    check_page(page, "season-door-another-day")  # "the event is not today: sure?"
    with page.expect_navigation():
        page.locator("form.check-in-form button[type=submit]").click()  # the second tap
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.locator(".check-in-card--in")).to_have_count(1)

    with site.app.app_context():  # the day comes: the visit is moved to today
        event = db.session.get(Event, event_id)
        now = utcnow()
        events.update_event(
            event,
            {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=5)},
            account=find_account(ADMIN),
        )
        db.session.commit()
    response = page.goto(f"/organiser/events/{event_id}/check-in")
    assert response.status == 200, page.locator("main").inner_text()
    page.locator("#q").fill("zrebiecka")  # folded: Łucja Źrebięcka
    with page.expect_navigation():
        page.locator("form.check-in-search button[type=submit]").click()
    card = page.locator(".check-in-card").first
    expect(card).to_contain_text("Łucja Źrebięcka")
    with page.expect_navigation():
        card.locator(".check-in-form button").click()  # one tap
    expect(page.locator(".flash--success")).to_contain_text("Łucja Źrebięcka")
    check_page(page, "season-door-checked-in")
    with page.expect_navigation():
        page.locator(".check-in-card--in .check-in-undo button").first.click()
    check_page(page, "season-door-undone")
    sign_out(page)

    # --- The admin reads the season in the audit log ------------------------------
    sign_in(page, admin, PASSWORD)
    page.goto(f"/organiser/audit?event={event_id}")
    log = page.locator("main")
    expect(log).to_contain_text("Anna Nowak (Wrocław)")  # the organiser, by name
    expect(log).to_contain_text(title)
    check_page(page, "season-audit")


def invitation_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()
