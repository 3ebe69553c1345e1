"""Importing attendees in the browser: the upload form (with its errors, and with a file
over the size limit), the preview and the result pass ``check_page`` (axe-core at zero
violations, no sideways scrolling, nothing logged) in Polish and English at 1280 and 390
pixels. The preview's table is wide: it scrolls inside its own region, which the keyboard
reaches, never the page.
"""

from __future__ import annotations

import pytest

from registration.extensions import db
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.browser

ORGANISER = "organiser.import@example.org"

#: Polish letters, a row with errors, a repeated address, a very long institution.
FILE = (
    "Imię i nazwisko;Adres e-mail;Instytucja;Kategoria;Miasto;Język\r\n"
    "Zażółć Gęślą Jaźń;zazolc@example.org;Muzeum Sztuki w Łodzi;"
    "Pracownik instytucji kultury;Łódź;pl\r\n"
    ";nie-adres;Urząd Miejski;Astronauta;Gdańsk;de\r\n"
    "Jan Kowalski;zazolc@example.org;Urząd;Inne;Kraków;en\r\n"
    "Maria Wiśniewska-Brzęczyszczykiewicz;maria.bardzo.dluga.nazwa@example.org;"
    + "Centrum Kultury i Sztuki im. Bardzo Długiego Patrona " * 3
    + ";NGO;Wrocław;\r\n"
).encode("utf-8-sig")


@pytest.fixture(scope="module")
def organiser(site) -> str:
    with site.app.app_context():
        make_account(ORGANISER, city_slug="wroclaw")
        db.session.commit()
    return ORGANISER


def sign_in(page, email: str) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def upload(page, event_id: int, tmp_path) -> None:
    page.goto(f"/organiser/events/{event_id}/import")
    path = tmp_path / "uczestnicy.csv"
    path.write_bytes(FILE)
    page.locator("#file").set_input_files(str(path))
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


@pytest.fixture
def signed_in_page(visitor, organiser):
    page = visitor.page
    sign_in(page, organiser)
    page.goto(f"/?lang={visitor.language}")  # the language sticks, as a visitor's choice does
    return page


def test_the_upload_form_and_its_errors(visitor, check_page, site, signed_in_page):
    page = signed_in_page
    event_id = site.event(title="Seminarium: import", capacity=1)
    page.goto(f"/organiser/events/{event_id}/import")
    assert page.locator("#send_emails").is_checked()
    check_page(page, "import-upload")

    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()

    assert page.locator("[aria-invalid=true]").count() == 2
    check_page(page, "import-upload-errors")


def test_a_file_over_the_limit(visitor, check_page, site, signed_in_page, tmp_path):
    page = signed_in_page
    event_id = site.event(title="Seminarium: za duży plik")
    page.goto(f"/organiser/events/{event_id}/import")
    path = tmp_path / "za-duzy.csv"
    path.write_bytes(FILE * 2000)
    page.locator("#file").set_input_files(str(path))
    page.locator("#consent").check()

    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()

    assert page.locator("#file[aria-invalid=true]").count() == 1
    check_page(page, "import-upload-too-large")


def test_the_preview_and_the_result(visitor, check_page, site, signed_in_page, tmp_path):
    page = signed_in_page
    event_id = site.event(title="Wizyta studyjna: Łódź – żywa kultura", capacity=1)

    upload(page, event_id, tmp_path)

    assert "/import/" in page.url
    assert page.locator(".import-table tbody tr").count() == 4
    assert page.locator(".table-scroll[role=region][tabindex='0']").count() == 1
    check_page(page, "import-preview")

    with page.expect_navigation():
        page.locator("form.import-confirm button[type=submit]").click()

    summary = page.locator(".import-summary").inner_text()
    assert summary == visitor.says(
        "%(confirmed)s, %(waitlisted)s, %(skipped)s.",
        confirmed=visitor.says_plural("%(num)d confirmed", "%(num)d confirmed", 1),
        waitlisted=visitor.says_plural("%(num)d on the waitlist", "%(num)d on the waitlist", 1),
        skipped=visitor.says_plural("%(num)d skipped", "%(num)d skipped", 2),
    )
    check_page(page, "import-result")
