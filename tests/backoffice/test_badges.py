"""Name badges: an A4 PDF, ten cards to a sheet, for the confirmed people by surname.

Polish letters print as written (the font is embedded), a long name shrinks or is
cut but never leaves its card, and people whose data is anonymised have no badge.
"""

from __future__ import annotations

import io

import pytest
from argon2 import PasswordHasher
from pypdf import PdfReader

from registration.accounts import services as account_services
from registration.database import utcnow
from registration.extensions import db
from registration.privacy import retention
from registration.registrations import badges, queries, services
from tests.factories import make_event, make_registration

LONG_NAME = "Maria Konstancja Wiśniewska-Brzęczyszczykiewicz"


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Signing in is tested in tests/accounts; here argon2's cost would only slow every test."""
    monkeypatch.setattr(
        account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def text_of(body: bytes) -> list[str]:
    """The text of each page, as a PDF reader extracts it."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


@pytest.fixture
def event_id(app) -> int:
    """A Łódź visit: three confirmed (one anonymised), one waitlisted, one cancelled."""
    with app.app_context():
        event = make_event(title="Wizyta studyjna: Łódź – żywa kultura", capacity=3)
        make_registration(event, name="Zażółć Gęślą Jaźń", city="Łódź", institution="Muzeum Sztuki")
        make_registration(event, name=LONG_NAME, city="Szczebrzeszyn")
        gone = make_registration(event, name="Anonimowy Uczestnik", email="gone@example.org")
        make_registration(event, name="Waldemar Czekający")
        cancelled = make_registration(event, name="Celina Odwołana")
        services.cancel(cancelled)
        retention.anonymise_registrations([gone.id], now=utcnow())
        db.session.commit()
        return event.id


def test_the_badges_of_the_confirmed_people_are_a_pdf_to_print(client, signed_in, event_id):
    signed_in()
    response = client.get(f"/organiser/events/{event_id}/badges.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "badges-" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    width, height = (float(side) * 25.4 / 72 for side in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (210, 297)  # A4
    text = text_of(response.data)[0]
    assert "Zażółć Gęślą Jaźń" in text
    assert "Łódź" in text
    assert "Muzeum Sztuki" in text
    assert "Wizyta studyjna" in text


def test_a_long_name_is_kept_whole_on_two_lines(client, signed_in, event_id):
    signed_in()
    text = text_of(client.get(f"/organiser/events/{event_id}/badges.pdf").data)[0]

    assert "Maria Konstancja" in text
    assert "Wiśniewska-Brzęczyszczykiewicz" in text


def test_anonymised_waitlisted_and_cancelled_people_have_no_badge(client, signed_in, event_id):
    signed_in()
    text = text_of(client.get(f"/organiser/events/{event_id}/badges.pdf").data)[0]

    assert text.count("Wizyta studyjna") == 2  # each badge names the event: two badges
    assert "Anonim" not in text
    assert "Czekający" not in text
    assert "Odwołana" not in text


def test_people_are_in_order_of_surname_ten_to_a_page(ctx):
    event = make_event(capacity=25)
    for number, surname in enumerate(["Żak", "Łoś", "Lis", "Abacki"] + ["Nowak"] * 8):
        make_registration(event, name=f"Jan {surname}", email=f"jan.{number}@example.org")
    pages = text_of(badges.pdf(event, confirmed(event)))

    assert len(pages) == 2
    first = pages[0]
    assert first.index("Abacki") < first.index("Lis") < first.index("Łoś")
    assert "Żak" in pages[1]


def confirmed(event):
    return queries.sign_in_sheet(event).people


def test_a_name_that_fits_nowhere_is_cut_within_its_card(ctx):
    event = make_event()
    endless = "Bartłomiej" + "przybyszewski" * 14  # one word of 192 letters; 200 is the most
    make_registration(event, name=endless, institution="Instytut " * 22)

    (page,) = text_of(badges.pdf(event, confirmed(event)))

    assert "…" in page
    assert endless not in page.replace("\n", "")


def test_an_event_with_nobody_confirmed_gives_a_page_that_says_so(ctx):
    event = make_event()

    (page,) = text_of(badges.pdf(event, []))

    assert "Nikt" in page or "Nobody" in page
