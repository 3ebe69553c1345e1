"""Organisers see an anonymised registration as such: counted, but nobody's."""

from __future__ import annotations

from datetime import timedelta

from registration.database import utcnow
from registration.extensions import db
from registration.privacy.retention import anonymise_due
from tests.factories import make_event, make_registration


def test_the_list_and_the_sign_in_sheet_say_anonymised(app, client, signed_in):
    signed_in()
    with app.app_context():
        long_ago = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] + 30)
        event = make_event(starts_at=long_ago)
        make_registration(
            event, name="Zofia Nowak", email="zofia@example.org", now=long_ago - timedelta(days=1)
        )
        db.session.commit()
        event_id = event.id
        anonymise_due()
    for path in ("attendees", "sign-in-sheet"):
        page = client.get(f"/organiser/events/{event_id}/{path}?lang=en").text
        assert "Anonymised" in page, path
        assert "anonymised.invalid" not in page, path
        assert "Zofia" not in page, path
