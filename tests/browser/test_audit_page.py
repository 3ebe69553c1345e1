"""The audit log in Chromium: in Polish and English, at 1280 and 390 CSS pixels, axe finds
nothing, and no state of the page scrolls sideways: every kind of entry, long names and
titles, filters that find nothing, filters with mistakes, an organiser's narrower view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from registration.accounts.audit import KINDS
from registration.accounts.models import AuditEntry
from registration.accounts.services import record
from registration.events import services as events
from registration.extensions import db
from registration.registrations import services as registrations
from tests.browser.test_back_office_pages import sign_in
from tests.factories import make_account, make_event, make_registration

pytestmark = pytest.mark.browser

ADMIN = "koordynacja@example.org"
ORGANISER = "kultura.wroclaw-z-bardzo-dluga-nazwa-skrzynki@example.org"


@dataclass(frozen=True)
class Logged:
    event: int


@pytest.fixture(scope="module")
def logged(site) -> Logged:
    """One entry of every kind, and real ones from the services, on a long-titled event."""
    with site.app.app_context():
        organiser = make_account(ORGANISER, city_slug="wroclaw")
        admin = make_account(ADMIN, role="admin")
        event = make_event(
            title="Seminarium problemowe: publiczność instytucji kultury w dużych miastach "
            "i to, jak ją mierzyć bez ankiet papierowych",
            capacity=1,
        )
        first = make_registration(event, name="Zofia Wiśniewska-Konstantynopolitańczykiewicz")
        second = make_registration(event, name="Jan Kowalski")
        registrations.move_to_waitlist(first, account=organiser)
        registrations.check_in(second, account=organiser, other_day=True)
        events.update_event(event, {"capacity": 25, "venue": "Sala 2"}, account=admin)
        for action in KINDS:
            record(admin, action, event=event, registration=first, count=3)
        for _ in range(20):
            record(organiser, "registration.check_in", event=event, registration=second)
        record(None, "privacy.anonymised", registrations=12, messages=30, retention_days=30)
        record(organiser, "mail.bounced", address="x" * 120)
        elsewhere = make_event(title="Spotkanie w Gdańsku", city_slug="gdansk")
        record(admin, "event.publish", event=elsewhere)
        db.session.flush()
        db.session.execute(
            sa.update(AuditEntry).values(created_at=datetime(2026, 7, 1, 12, 3, tzinfo=UTC))
        )
        db.session.commit()
        return Logged(event=event.id)


def _goto(path: str, status: int = 200):
    def visit(page, ids: Logged):
        response = page.goto(path.format(ids=ids))
        assert response.status == status, f"{path}: {response.status}"

    return visit


def _second_page(page, ids: Logged):
    _goto("/organiser/audit?page=2")(page, ids)
    assert page.locator(".pagination a[rel=prev]").count() == 1


#: name → (who signs in, how the page is reached)
PAGES = {
    "audit-log": (ADMIN, _goto("/organiser/audit")),
    "audit-log-page-2": (ADMIN, _second_page),
    "audit-log-filtered": (
        ADMIN,
        _goto(
            "/organiser/audit?event={ids.event}&person=zofia&action=registration.move_to_waitlist"
        ),
    ),
    "audit-log-nothing-found": (ADMIN, _goto("/organiser/audit?person=nikt&since=2026-01-01")),
    "audit-log-mistakes": (ADMIN, _goto("/organiser/audit?since=2026-13-45&action=x", 400)),
    "audit-log-organiser": (ORGANISER, _goto("/organiser/audit")),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_audit_page_passes_the_page_checks(visitor, check_page, logged, name):
    page = visitor.page
    account, reach = PAGES[name]
    sign_in(page, account)
    assert "/login" not in page.url, f"{account} could not sign in"
    page.goto(f"/?lang={visitor.language}")  # the language sticks, as a visitor's choice does
    reach(page, logged)

    assert page.locator("html").get_attribute("lang") == visitor.language
    check_page(page, f"back office: {name}")


def test_the_filters_are_a_plain_form(visitor, logged):
    page = visitor.page
    sign_in(page, ADMIN)
    page.goto(f"/organiser/audit?lang={visitor.language}")
    page.locator("#audit-person").fill("kowalski")
    with page.expect_navigation():
        page.locator(".audit-filters button[type=submit]").click()
    assert "person=kowalski" in page.url
    assert page.locator(".audit-sentence").count() > 0
    for sentence in page.locator(".audit-sentence").all_inner_texts():
        assert "Jan Kowalski" in sentence
