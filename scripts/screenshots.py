"""Screenshots of the main pages and of three emails, for the README: ``make screenshots``.

Run from the checkout (``python -m scripts.screenshots``): it starts the
application in this process on a throw-away SQLite database with the demo
events (``flask demo load``), serves it on loopback, and drives Debian's
Chromium (``/usr/bin/chromium``) through Playwright, as the browser tests do.

- Pages, at 1280 and 390 CSS pixels: the event list, an event page, its form
  sent empty, the manage page of a confirmed and of a waitlisted registration,
  and a registration just cancelled. At 1280 the first screenful is kept, at
  390 the whole page, as a phone user scrolls it.
- The back office, signed in as an admin, at the same widths: the dashboard, the
  participation report, the attendee list of the two-day study visit (cards on a
  phone), its check-in at the door, and a message to its attendees in preview.
- Emails, at the same widths: a confirmation, a place on the waitlist and an
  event that moved, each composed from its outbox row exactly as the mail
  worker composes it (``registration.notifications.messages.compose``) and
  shown on a blank page, as a mail program shows it.
- A certificate of attendance, once: the PDF of a person checked in at the study
  visit, made as the manage page makes it and drawn by PDFium (``pypdfium2``).

The PNGs go to ``docs/screenshots/`` (or ``--out``), named ``<what>-<width>.png``
(``<what>-<width>-en.png`` in English; the certificate ``certificate.png``, a page
rather than a screen). Each is reduced to a palette of at most
128 colours, so that the set stays small in the repository.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pypdfium2
from flask import Flask
from flask_babel import force_locale
from flask_migrate import upgrade
from PIL import Image
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from registration import create_app
from registration.accounts.models import Role
from registration.accounts.services import create_account
from registration.certificates import document
from registration.certificates import services as certificates
from registration.demo.data import load_demo
from registration.events import services as events
from registration.events.models import Event
from registration.extensions import db
from registration.notifications.delivery import invitation_for
from registration.notifications.messages import compose
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services as registrations
from registration.registrations.models import Registration, RegistrationStatus
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, HEIGHTS, PHONE, live_server

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = PROJECT_ROOT / "docs" / "screenshots"
LOCALES = {"pl": "pl-PL", "en": "en-GB"}
COLOURS = 128
#: The site's address as the emails in the pictures show it (the live one changes every run).
SHOWN_BASE_URL = "https://rejestracja.example.pl"

#: A two-day study visit with few seats left: the richest event page of the demo.
EVENT_SLUG = "wizyta-studyjna-nowe-centrum-lodzi"
#: Full, with people on the waitlist.
FULL_EVENT_SLUG = "spotkanie-eksperckie-dostepnosc-gdansk"
#: Nobody registered: the screenshots register and cancel here.
EMPTY_EVENT_SLUG = "spotkanie-eksperckie-rezydencje-lublin"
#: Moved by an hour before any screenshot, for the "event changed" email.
MOVED_EVENT_SLUG = "seminarium-finansowanie-kultury-poznan"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=sorted(LOCALES), default="pl")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="folder for the PNGs")
    arguments = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium", file=sys.stderr)
        return 1
    arguments.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if arguments.language == "pl" else f"-{arguments.language}"
    written = []
    with demo_site() as (app, url), sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        for width in (DESKTOP, PHONE):
            context = chromium.new_context(
                base_url=url,
                locale=LOCALES[arguments.language],
                timezone_id="Europe/Warsaw",
                viewport={"width": width, "height": HEIGHTS[width]},
            )
            page = context.new_page()
            for name, show in _pages(app):
                show(page)
                path = arguments.out / f"{name}-{width}{suffix}.png"
                longest = BACK_OFFICE_LONGEST if name.startswith("organiser") else None
                full_page = width == PHONE or name in TALLER_ON_A_DESKTOP
                save(page, path, full_page=full_page, longest=longest)
                written.append(path)
            for name, kind in EMAILS:
                page.goto("about:blank")
                page.set_content(email_html(app, kind, arguments.language), wait_until="load")
                path = arguments.out / f"email-{name}-{width}{suffix}.png"
                save(page, path, full_page=True)
                written.append(path)
            context.close()
        chromium.close()
        path = arguments.out / f"certificate{suffix}.png"
        save_image(certificate_image(app, arguments.language), path)
        written.append(path)
    total = sum(path.stat().st_size for path in written)
    for path in written:
        print(f"{path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path}")
    print(f"{len(written)} screenshots, {total / 1024:.0f} KiB in all")
    return 0


@contextmanager
def demo_site() -> Iterator[tuple[Flask, str]]:
    """The application on a new SQLite database with the demo events, served on loopback."""
    with tempfile.TemporaryDirectory(prefix="koalicja-screenshots-") as folder:
        app = create_app(
            {
                "REGISTRATION_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/registration.sqlite3",
                "RATELIMIT_ENABLED": False,
            },
            instance_path=str(Path(folder) / "instance"),
        )
        with app.app_context():
            upgrade()
            load_demo()
            db.session.commit()
            _move_event(MOVED_EVENT_SLUG)
            _check_in_at_the_visit()
        try:
            with live_server(app) as url:
                app.config["BASE_URL"] = url  # links in pages and emails lead here
                yield app, url
        finally:
            with app.app_context():
                db.engine.dispose()


def _pages(app: Flask):
    """(name, how to show it) for each page, in an order that leaves the demo as it was."""
    event = _event_path(app, EVENT_SLUG)
    return [
        ("list", lambda page: page.goto("/")),
        ("event", lambda page: page.goto(event)),
        ("form-errors", lambda page: _send_empty_form(page, event)),
        ("manage-confirmed", lambda page: page.goto(_manage_path(app, "confirmed"))),
        ("manage-waitlisted", lambda page: page.goto(_manage_path(app, "waitlisted"))),
        ("manage-cancelled", lambda page: _register_and_cancel(page, app)),
        ("organiser-dashboard", _sign_in),
        ("organiser-reports", lambda page: page.goto("/organiser/reports")),
        ("organiser-attendees", lambda page: page.goto(f"/organiser{event}/attendees")),
        ("organiser-check-in", lambda page: page.goto(f"/organiser{event}/check-in")),
        ("organiser-message-preview", lambda page: _preview_a_message(page, event)),
    ]


#: How much of a back-office page a phone's picture keeps, from the top.
BACK_OFFICE_LONGEST = 2200
#: Pages whose first screenful on a desktop is all filters and totals: their picture
#: goes on down the page (as far as ``BACK_OFFICE_LONGEST``), to the first chart.
TALLER_ON_A_DESKTOP = {"organiser-reports"}
#: The back office's account in the pictures.
ADMIN = "koordynacja@example.org"
ADMIN_PASSWORD = "zrzuty-ekranu-" + "x" * 8


def _sign_in(page: Page) -> None:
    """Sign in as the coordinator's admin, which leads to the dashboard."""
    page.goto("/organiser/login")
    page.locator("#email").fill(ADMIN)
    page.locator("#password").fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def _preview_a_message(page: Page, event_path: str) -> None:
    page.goto(f"/organiser{event_path}/message")
    page.locator("#subject").fill("Dojazd i plan pierwszego dnia")
    page.locator("#body").fill(
        "Dzień dobry,\n\nspotykamy się o 9:30 przy wejściu głównym. "
        "Prosimy o wygodne obuwie: część programu to spacer po okolicy."
    )
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def _event_path(app: Flask, slug: str) -> str:
    with app.app_context():
        return f"/events/{db.session.scalars(select(Event.id).where(Event.slug == slug)).one()}"


def _manage_path(app: Flask, status: str) -> str:
    """The manage page of the first demo registration in ``status``, at an event with both."""
    slug = EVENT_SLUG if status == RegistrationStatus.CONFIRMED else FULL_EVENT_SLUG
    with app.app_context():
        token = db.session.scalars(
            select(Registration.token)
            .join(Event)
            .where(Event.slug == slug, Registration.status == RegistrationStatus(status))
            .order_by(Registration.id)
            .limit(1)
        ).one()
    return f"/r/{token}"


def _send_empty_form(page: Page, event_path: str) -> None:
    page.goto(event_path)
    with page.expect_navigation():
        page.locator("form:has(#consent) button[type=submit]").click()


def _register_and_cancel(page: Page, app: Flask) -> None:
    """Register a new person through the form, then cancel from the manage page (through
    its "Are you sure?" page)."""
    page.goto(_event_path(app, EMPTY_EVENT_SLUG))
    form = page.locator("form:has(#consent)")
    form.locator("#name").fill("Katarzyna Wiśniewska")
    form.locator("#email").fill(f"k.wisniewska.{page.viewport_size['width']}@example.org")
    form.locator("#institution").fill("Centrum Kultury w Lublinie")
    form.locator("#category").select_option("culture_staff")
    form.locator("#home_city").select_option("lublin")
    form.locator("#city").fill("Lublin")
    form.locator("#consent").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    with page.expect_navigation():
        page.locator("a[href$='/cancel']").click()  # "Are you sure?"
    with page.expect_navigation():
        page.locator("form[action$='/cancel'] button[type=submit]").click()


#: (file name, kind of message) for the emails shown.
EMAILS = [
    ("confirmed", MessageKind.CONFIRMED),
    ("waitlisted", MessageKind.WAITLISTED),
    ("event-changed", MessageKind.EVENT_CHANGED),
]


def email_html(app: Flask, kind: MessageKind, language: str) -> str:
    """The HTML part of the first outbox message of ``kind``, as the mail worker composes it."""
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).first()
        message.language = language  # composed in the language asked for; not saved
        served, app.config["BASE_URL"] = app.config["BASE_URL"], SHOWN_BASE_URL
        try:
            with force_locale(language):  # the invitation's texts too, as the worker does
                mail = compose(message, invitation_for(message))
            html = mail.html
            # A mail program shows the ticket from the message itself (``cid:``); a page
            # opened with set_content has no message around it, so the image goes inline.
            for image in mail.inline_images:
                data = base64.b64encode(image.png).decode("ascii")
                html = html.replace(f"cid:{image.content_id}", f"data:image/png;base64,{data}")
            return html
        finally:
            app.config["BASE_URL"] = served
            db.session.rollback()


def _move_event(slug: str) -> None:
    """An organiser moves the event by an hour, which tells everyone registered for it."""
    admin = create_account(ADMIN, role=Role.ADMIN, password=ADMIN_PASSWORD)
    event = db.session.scalars(select(Event).where(Event.slug == slug)).one()
    later = timedelta(hours=1)
    events.update_event(
        event,
        {"starts_at": event.starts_at + later, "ends_at": event.ends_at + later},
        account=admin,
    )
    db.session.commit()


def _check_in_at_the_visit() -> None:
    """The last confirmed person of the study visit is checked in, so that they have a
    certificate (the first one's manage page, in the pictures, stays as it was)."""
    person = db.session.scalars(
        select(Registration)
        .join(Event)
        .where(Event.slug == EVENT_SLUG, Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(Registration.id.desc())
        .limit(1)
    ).one()
    # The visit is weeks ahead in the demo: the organiser confirms the check-in anyway.
    registrations.check_in(person, account=None, now=person.event.starts_at, other_day=True)
    db.session.commit()


def certificate_image(app: Flask, language: str) -> Image.Image:
    """The certificate of the person checked in, in ``language``, drawn at 120 dpi."""
    with app.app_context():
        person = db.session.scalars(
            select(Registration).where(Registration.checked_in_at.is_not(None))
        ).first()
        person.language = language  # drawn in the language asked for; not saved
        served, app.config["BASE_URL"] = app.config["BASE_URL"], SHOWN_BASE_URL
        try:
            certificate = certificates.issue(person)
            # Dated as if the email after the visit had brought it: the demo's visit is ahead.
            certificate.issued_at = person.event.ends_at + timedelta(days=1)
            holder = certificates.Holder(person, certificate, certificates.days_attended(person))
            pdf = pypdfium2.PdfDocument(document.one(holder))
            return pdf[0].render(scale=120 / 72).to_pil()
        finally:
            app.config["BASE_URL"] = served
            db.session.rollback()


def save(page: Page, path: Path, *, full_page: bool, longest: int | None = None) -> None:
    """A PNG of the page, reduced to a palette: a tenth of the size, text still crisp.

    :param longest: the most pixels of a full page kept from the top (a list of people
        goes on for metres; the first of them show what the rest look like)
    """
    image = Image.open(io.BytesIO(page.screenshot(full_page=full_page)))
    if longest is not None and image.height > longest:
        image = image.crop((0, 0, image.width, longest))
    save_image(image, path)


def save_image(image: Image.Image, path: Path) -> None:
    """``image`` as a PNG reduced to a palette of ``COLOURS``."""
    reduced = image.convert("RGB").quantize(
        colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    reduced.save(path, optimize=True)


if __name__ == "__main__":
    sys.exit(main())
