"""The public pages no journey walks through pass ``check_page`` in Polish and English at
1280 and 390 pixels: the accessibility statement (also with every optional section shown),
the privacy page, a scanned ticket seen by someone who is not signed in, the pages behind
the "new calendar address" link, and the 404 page.
"""

from __future__ import annotations

import pytest

from registration import accessibility
from registration.extensions import db
from registration.registrations.models import Registration
from registration.registrations.services import feed_replacement_key
from tests.accessibility.test_statement import OPERATOR

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ticket(site) -> dict:
    """A confirmed registration's check-in code and "new calendar address" key."""
    event_id = site.event(title="Seminarium: dostępność wydarzeń")
    token = site.someone_registers(event_id, name="Helena Kwiatkowska")
    with site.app.app_context():
        registration = db.session.scalars(
            db.select(Registration).where(Registration.token == token)
        ).one()
        return {"code": registration.check_in_code, "key": feed_replacement_key(registration)}


@pytest.fixture
def operators_statement(site):
    """For one test, the statement of ``tests.accessibility.test_statement.OPERATOR``: every
    optional section (non-compliances, exemptions, the burden, an auditor, a review, apps)."""
    default = site.app.extensions[accessibility.EXTENSION]
    site.app.extensions[accessibility.EXTENSION] = accessibility.parse(OPERATOR)
    yield
    site.app.extensions[accessibility.EXTENSION] = default


PAGES = {
    "accessibility": ("/accessibility", 200),
    "privacy": ("/privacy", 200),
    "scanned-ticket": ("/check-in/{code}", 200),
    "new-feed-address": ("/calendar/personal/new-address/{key}", 200),
    "new-feed-address-sent": ("/calendar/personal/new-address-sent", 200),
    "not-found": ("/no-such-page", 404),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_public_page_passes_the_page_checks(visitor, check_page, ticket, name):
    path, status = PAGES[name]
    page = visitor.page
    page.goto(f"/?lang={visitor.language}")

    assert page.goto(path.format(**ticket)).status == status
    assert page.locator("html").get_attribute("lang") == visitor.language
    check_page(page, name)


def test_statement_with_every_section_passes_the_page_checks(
    visitor, check_page, operators_statement
):
    page = visitor.page
    page.goto(f"/accessibility?lang={visitor.language}")

    assert page.locator("#a11y-ocena").count() == 1
    assert page.locator("#a11y-audytor").count() == 1
    check_page(page, "accessibility-every-section")
