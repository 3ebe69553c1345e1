"""The sign-in sheet of a study visit: a signature column per day, readable on a phone
(the table scrolls in its own region), and printed on A4, in landscape when it has
three days or more, with every column on the page."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from registration.extensions import db
from tests.browser.test_back_office_pages import sign_in
from tests.factories import make_account, make_event, make_registration

pytestmark = pytest.mark.browser

ORGANISER = "organiser.sheet@example.org"
WARSAW = ZoneInfo("Europe/Warsaw")
#: A4 in PDF points (1/72 inch).
A4_PORTRAIT = (595, 842)
A4_LANDSCAPE = (842, 595)
#: What is left of A4 in CSS pixels (96 per inch) inside the sheet's 12 mm margins.
PRINTABLE_WIDTH = {
    "portrait": round((210 - 24) / 25.4 * 96),
    "landscape": round((297 - 24) / 25.4 * 96),
}


@pytest.fixture(scope="module")
def sheets(site) -> dict[str, int]:
    """A one-day seminar and a four-day study visit with long names, by kind."""
    with site.app.app_context():
        make_account(ORGANISER, city_slug="wroclaw")
        seminar = make_event(
            title="Seminarium: publiczność", starts_at=datetime(2030, 3, 12, 10, tzinfo=WARSAW)
        )
        visit = make_event(
            title="Wizyta studyjna: Łódź – żywa kultura",
            starts_at=datetime(2030, 3, 12, 9, tzinfo=WARSAW),
            hours=3 * 24 + 8,
            capacity=30,
        )
        for number in range(12):
            for event in (seminar, visit):
                make_registration(
                    event,
                    name=f"Małgorzata Konstancja Brzęczyszczykiewicz-Żółkiewska {number}",
                    email=f"osoba{number}@example.org",
                    institution="Miejska Biblioteka Publiczna im. Stanisława Wyspiańskiego",
                )
        db.session.commit()
        return {"seminar": seminar.id, "visit": visit.id}


def test_the_sheet_of_a_study_visit_passes_the_page_checks(visitor, check_page, sheets):
    page = visitor.page
    sign_in(page, ORGANISER)
    response = page.goto(
        f"/organiser/events/{sheets['visit']}/sign-in-sheet?lang={visitor.language}"
    )
    assert response.status == 200
    assert page.locator("thead th.signature").count() == 4
    check_page(page, "back office: sign-in sheet of a study visit")


@pytest.mark.parametrize(
    ("kind", "size", "orientation"),
    [("seminar", A4_PORTRAIT, "portrait"), ("visit", A4_LANDSCAPE, "landscape")],
)
def test_prints_on_a4_with_every_column_on_the_page(
    chromium, site, sheets, kind, size, orientation
):
    context = chromium.new_context(base_url=site.url, locale="pl-PL", timezone_id="Europe/Warsaw")
    try:
        page = context.new_page()
        sign_in(page, ORGANISER)
        page.goto(f"/organiser/events/{sheets[kind]}/sign-in-sheet?lang=pl")
        pdf = page.pdf(prefer_css_page_size=True)
        sizes = {
            (round(float(width)), round(float(height)))
            for width, height in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        }
        assert sizes == {size}

        page.emulate_media(media="print")
        page.set_viewport_size({"width": PRINTABLE_WIDTH[orientation], "height": 700})
        table = page.locator(".sign-in-table")
        assert table.is_visible()
        assert page.locator(".site-header").is_hidden()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the sheet is {overflow}px wider than A4 {orientation}"
        right = table.evaluate("table => table.getBoundingClientRect().right")
        assert right <= PRINTABLE_WIDTH[orientation]
        columns = page.locator("thead tr").last.locator("th.signature")
        widths = [
            box["width"] for box in (columns.nth(i).bounding_box() for i in range(columns.count()))
        ]
        assert min(widths) >= 90, f"room to sign: {widths}"  # about 24 mm
    finally:
        context.close()
