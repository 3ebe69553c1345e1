"""A small season whose every figure is known, and the back office's sign-in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from registration.events.models import EventType
from registration.extensions import db
from registration.privacy.retention import anonymise_registrations
from registration.registrations.models import Category, Registration
from registration.registrations.services import cancel, check_in
from tests.backoffice.conftest import signed_in  # noqa: F401  (a fixture)
from tests.factories import make_event, make_registration

#: Before either event: registrations are open.
SIGN_UP = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
#: After both events: the confirmed who never came are no-shows.
AFTER = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def season(app) -> dict[str, int]:
    """Two past events, with every outcome a registration can have.

    Wrocław, a seminar on 10 March 2026 (2 seats): Wrocław's culture worker confirmed,
    then cancelled; Gdańsk's official confirmed and came; an NGO worker from Berlin
    waited and got the freed seat, but never came; Wrocław's "other" waited and gave up.

    Gdańsk, a study visit starting at 00:30 on 1 April 2026 in Warsaw (22:30 UTC the
    day before: the second quarter, in Warsaw's calendar), 1 seat: Gdańsk's culture
    worker confirmed and never came; Poznań's is still waiting.

    The seminar's registrations are then anonymised: the figures must not change.
    """
    with app.app_context():
        seminar = make_event(
            type=EventType.SEMINAR,
            city_slug="wroclaw",
            starts_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
            capacity=2,
        )
        visit = make_event(
            type=EventType.STUDY_VISIT,
            city_slug="gdansk",
            starts_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
            capacity=1,
        )

        def register(event, category, home_city, city):
            return make_registration(
                event, category=category, home_city=home_city, city=city, now=SIGN_UP
            )

        wroclaw = register(seminar, Category.CULTURE_STAFF, "wroclaw", "Wrocław")
        gdansk = register(seminar, Category.OFFICIAL, "gdansk", "Gdańsk")
        berlin = register(seminar, Category.NGO, "other", "Berlin")
        gave_up = register(seminar, Category.OTHER, "wroclaw", "Wrocław")
        cancel(wroclaw, now=SIGN_UP)  # Berlin's seat, from the waitlist
        cancel(gave_up, now=SIGN_UP)
        check_in(gdansk, account=None, now=datetime(2026, 3, 10, 9, 15, tzinfo=UTC))
        register(visit, Category.CULTURE_STAFF, "gdansk", "Gdańsk")
        register(visit, Category.CULTURE_STAFF, "poznan", "Poznań")
        db.session.commit()

        ids = list(
            db.session.scalars(select(Registration.id).where(Registration.event_id == seminar.id))
        )
        anonymise_registrations(ids, now=AFTER)
        db.session.commit()
        assert db.session.get(Registration, berlin.id).anonymised_at is not None
        return {"seminar": seminar.id, "visit": visit.id}
