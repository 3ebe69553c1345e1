"""Each email drawn by Chromium, as a mail program with a browser engine would (Apple
Mail, the Gmail and Outlook apps): on a phone it fits without sideways scrolling, the
ticket's QR code shows, dark mode really darkens it, and axe-core finds no WCAG 2.1 AA
failure, colour contrast included, in light or dark mode.

Set ``KOALICJA_EMAIL_SCREENSHOTS`` to a folder to keep a PNG of each one."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind
from tests.factories import make_event, make_registration
from tests.notifications.conftest import Email
from tests.support.browser import run_axe

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 390, 600


def standalone(email) -> str:
    """The HTML part with its inline images as data: URLs, as a mail program shows it."""
    html = email.html
    for part in email.message.walk():
        if part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_content()).decode()
            cid = part["Content-ID"].strip("<>")
            html = html.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return html


@contextmanager
def shown(chromium: Browser, email, *, width: int, scheme: str = "light") -> Iterator[Page]:
    """A page of ``width`` pixels in the colour scheme ``scheme`` that shows ``email``."""
    context = chromium.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.set_content(standalone(email), wait_until="load")
        yield page
        folder = os.environ.get("KOALICJA_EMAIL_SCREENSHOTS")
        if folder:
            name = f"{email.kind.value}.{email.language}.{width}.{scheme}.png"
            page.screenshot(path=str(Path(folder) / name), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("kind", list(MessageKind))
def test_each_email_fits_the_screen_and_shows_its_ticket(chromium, emails, kind, width):
    with shown(chromium, emails[kind], width=width) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for image in page.locator("img").all():
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
            assert image.bounding_box()["width"] == 200


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(MessageKind))
def test_each_email_passes_axe_in_light_and_dark_mode(chromium, emails, kind, scheme):
    """Colour contrast included: the dark colours are checked as much as the light ones."""
    with shown(chromium, emails[kind], width=PHONE, scheme=scheme) as page:
        card = page.locator(".card").first.evaluate(
            "cell => getComputedStyle(cell).backgroundColor"
        )
        assert card == ("rgb(29, 32, 36)" if scheme == "dark" else "rgb(255, 255, 255)")
        assert run_axe(page) == []


def test_words_longer_than_a_phone_is_wide_break_instead_of_widening_the_email(
    chromium, mail_app, smtp
):
    """Organisers type titles and addresses; one without spaces must not push the email
    past the screen (the same for a long name of an institution-made venue)."""
    long_word = "Międzynarodowe" * 12
    with mail_app.app_context():
        registration = make_registration(
            make_event(title=long_word, venue=long_word, address=long_word),
            email="ola@example.org",
        )
        db.session.commit()
        deliver_due()
        language = registration.language
    [message] = smtp.messages_to("ola@example.org")
    email = Email(
        kind=MessageKind.CONFIRMED,
        language=language,
        message=message,
        **dict.fromkeys(("full_name", "manage_url", "event_url", "checkin_url", "feed_url"), ""),
    )
    with shown(chromium, email, width=PHONE) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
