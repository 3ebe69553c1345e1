"""The participation report in Chromium: in Polish and English, at 1280 and 390 CSS pixels,
axe finds nothing, no state of the page scrolls sideways, and each chart is an image that
loads under the site's CSP with its table beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registration.events.models import EventType
from registration.extensions import db
from registration.registrations import services as registrations
from registration.registrations.models import Category
from tests.browser.test_back_office_pages import sign_in
from tests.factories import make_account, make_event, make_registration

pytestmark = pytest.mark.browser

ADMIN = "koordynacja@example.org"
ORGANISER = "kultura.gdansk@example.org"
#: Home city, category and what became of each registration, in turn.
_PEOPLE = (
    ("wroclaw", Category.CULTURE_STAFF),
    ("gdansk", Category.OFFICIAL),
    ("lodz", Category.NGO),
    ("other", Category.OTHER),
    ("poznan", Category.CULTURE_STAFF),
    ("szczecin", Category.CULTURE_STAFF),
    ("lublin", Category.OFFICIAL),
)


@pytest.fixture(scope="module")
def season(site) -> None:
    """Six past events in three cities over three quarters, with attendance, no-shows,
    cancellations and a waitlist that moved."""
    with site.app.app_context():
        make_account(ORGANISER, city_slug="gdansk")
        make_account(ADMIN, role="admin")
        kinds = (EventType.STUDY_VISIT, EventType.SEMINAR, EventType.EXPERT_MEETING)
        cities = ("wroclaw", "gdansk", "lodz")
        for number in range(6):
            starts_at = datetime(2026, 2, 10, 9, tzinfo=UTC) + timedelta(days=45 * number)
            event = make_event(
                type=kinds[number % 3],
                city_slug=cities[number % 3],
                starts_at=starts_at,
                capacity=5 + number,
            )
            signed_up = starts_at - timedelta(days=20)
            people = []
            for index in range(8 + 2 * number):
                home_city, category = _PEOPLE[(index + number) % len(_PEOPLE)]
                people.append(
                    make_registration(event, home_city=home_city, category=category, now=signed_up)
                )
            for person in people[: 2 + number % 3]:
                registrations.cancel(person, now=signed_up)
            for person in people[4:9]:
                db.session.refresh(person)
                if person.status == "confirmed":
                    registrations.check_in(person, account=None, now=starts_at)
        db.session.commit()


def _goto(path: str, status: int = 200):
    def visit(page):
        response = page.goto(path)
        assert response.status == status, f"{path}: {response.status}"

    return visit


#: name → (who signs in, how the page is reached)
PAGES = {
    "reports": (ADMIN, _goto("/organiser/reports")),
    "reports-filtered": (ADMIN, _goto("/organiser/reports?city=gdansk&since=1.04.2026")),
    "reports-nothing-found": (ADMIN, _goto("/organiser/reports?since=1.01.2030")),
    "reports-mistakes": (ADMIN, _goto("/organiser/reports?since=31.02.2026&city=x", 400)),
    "reports-organiser": (ORGANISER, _goto("/organiser/reports")),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_report_page_passes_the_page_checks(visitor, check_page, season, name):
    page = visitor.page
    account, reach = PAGES[name]
    sign_in(page, account)
    assert "/login" not in page.url, f"{account} could not sign in"
    page.goto(f"/?lang={visitor.language}")  # the language sticks, as a visitor's choice does
    reach(page)

    assert page.locator("html").get_attribute("lang") == visitor.language
    check_page(page, f"back office: {name}")


def test_every_chart_loads_and_fits_its_column(visitor, season):
    page = visitor.page
    sign_in(page, ADMIN)
    page.goto(f"/organiser/reports?lang={visitor.language}")
    charts = page.locator(".report-chart img")
    assert charts.count() == 4
    for index in range(4):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        loaded = chart.evaluate("image => image.complete && image.naturalWidth")
        assert loaded, chart.get_attribute("src")
        box = chart.bounding_box()
        assert box["width"] <= visitor.page.viewport_size["width"]
