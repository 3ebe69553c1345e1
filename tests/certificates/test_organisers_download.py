"""Organisers download every certificate of their event as one PDF, a page per person
checked in; another city's organiser gets 403, and the audit log says who took them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.extensions import db
from tests.certificates.conftest import FRIDAY, WEDNESDAY, attendee, study_visit, text_of


@pytest.fixture
def event_id(app) -> int:
    """A Wrocław visit: two people checked in, one who never came."""
    with app.app_context():
        visit = study_visit()
        attendee(visit, [WEDNESDAY], name="Zofia Zielińska")
        attendee(visit, [WEDNESDAY, FRIDAY], name="Adam Łukasiewicz", language="en")
        attendee(visit, [], name="Nina Nieobecna")
        db.session.commit()
        return visit.id


def test_one_pdf_with_a_page_per_person_checked_in_each_in_their_language(
    client, signed_in, event_id
):
    signed_in()
    response = client.get(f"/organiser/events/{event_id}/certificates.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="certificates-{event_id}.pdf"' in response.headers["Content-Disposition"]
    adam, zofia = text_of(response.data)
    assert "Certificate of attendance" in adam
    assert "Adam Łukasiewicz" in adam
    assert "Present on: 10 March 2027, 12 March 2027" in adam
    assert "Zaświadczenie o udziale" in zofia
    assert "Zofia Zielińska" in zofia


def test_the_attendee_list_links_the_file_once_somebody_was_checked_in(
    app, client, signed_in, event_id
):
    signed_in()
    link = f'href="/organiser/events/{event_id}/certificates.pdf"'
    assert link in client.get(f"/organiser/events/{event_id}/attendees").text
    with app.app_context():
        nobody_yet = study_visit().id
        db.session.commit()
    assert "certificates.pdf" not in client.get(f"/organiser/events/{nobody_yet}/attendees").text


def test_the_download_is_recorded_in_the_audit_log(app, client, signed_in, event_id):
    signed_in()
    client.get(f"/organiser/events/{event_id}/certificates.pdf")
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "certificates.download")
        ).one()
        assert entry.event_id == event_id
        assert entry.details == {"count": 2}


def test_another_citys_organiser_gets_403(client, signed_in, event_id):
    signed_in("gdansk@example.org", city_slug="gdansk")
    response = client.get(f"/organiser/events/{event_id}/certificates.pdf")
    assert response.status_code == 403
    assert response.mimetype == "text/html"


def test_door_staff_and_strangers_get_nothing(client, signed_in, event_id):
    assert client.get(f"/organiser/events/{event_id}/certificates.pdf").status_code == 302
    signed_in("door@example.org", role="check_in")
    assert client.get(f"/organiser/events/{event_id}/certificates.pdf").status_code == 403


def test_an_admin_may_download_any_citys(client, signed_in, event_id):
    signed_in("admin@example.org", role="admin", city_slug=None)
    assert client.get(f"/organiser/events/{event_id}/certificates.pdf").status_code == 200


def test_an_unknown_event_is_404(client, signed_in):
    signed_in()
    assert client.get("/organiser/events/99999/certificates.pdf").status_code == 404
