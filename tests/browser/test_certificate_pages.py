"""The certificate's pages pass ``check_page`` in Polish and English at 1280 and 390 pixels:
the manage page of a person checked in, with its download; the verification form, a
certificate confirmed, one whose data were anonymised, and an unknown code."""

from __future__ import annotations

import pytest

from registration.certificates import services
from registration.database import utcnow
from registration.extensions import db
from registration.privacy import retention
from tests.certificates.conftest import THURSDAY, WEDNESDAY, attendee, study_visit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def checked_in(site) -> dict:
    """Two people at a past visit, checked in; the second one's data since anonymised."""
    with site.app.app_context():
        visit = study_visit(title="Wizyta studyjna: Gdańsk – kultura w stoczni")
        anna = attendee(visit, [WEDNESDAY, THURSDAY], name="Anna Żółkiewska-Wiśniewska")
        gone = attendee(visit, [WEDNESDAY], name="Ktoś Usunięty")
        codes = {"code": services.issue(anna).code, "gone": services.issue(gone).code}
        db.session.commit()
        retention.anonymise_registrations([gone.id], now=utcnow())
        db.session.commit()
        return {"token": anna.token, **codes}


PAGES = {
    "certificate-manage": ("/r/{token}", 200),
    "certificate-verify": ("/certificates/verify", 200),
    "certificate-confirmed": ("/certificates/{code}", 200),
    "certificate-anonymised": ("/certificates/{gone}", 200),
    "certificate-unknown": ("/certificates/verify?code=nie-ma-takiego", 404),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_certificate_page_passes_the_page_checks(visitor, check_page, checked_in, name):
    path, status = PAGES[name]
    page = visitor.page
    page.goto(f"/?lang={visitor.language}")

    assert page.goto(path.format(**checked_in)).status == status
    assert page.locator("html").get_attribute("lang") == visitor.language
    check_page(page, name)


def test_the_manage_page_downloads_the_certificate(visitor, checked_in):
    page = visitor.page
    page.goto(f"/r/{checked_in['token']}?lang={visitor.language}")
    with page.expect_download() as download:
        page.get_by_role("link", name=visitor.says("Download the certificate (PDF)")).click()
    assert download.value.suggested_filename.endswith(f"-{checked_in['code']}.pdf")


def test_the_form_leads_to_the_certificate(visitor, checked_in):
    page = visitor.page
    page.goto(f"/certificates/verify?lang={visitor.language}")
    page.get_by_label(visitor.says("Verification code")).fill(checked_in["code"].lower())
    page.get_by_role("button", name=visitor.says("Check")).click()

    assert page.url.endswith(f"/certificates/{checked_in['code']}")
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .endswith(visitor.says("This certificate is genuine"))
    )
    assert "Anna Żółkiewska-Wiśniewska" in page.content()
