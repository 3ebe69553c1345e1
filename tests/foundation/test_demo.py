"""`flask demo load`: a living programme for newcomers, loaded once however often it runs."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.registrations.models import Registration, RegistrationStatus
from registration.registrations.services import availability


def test_demo_load_is_realistic(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Loaded" in result.output
    with app.app_context():
        events = db.session.scalars(sa.select(Event)).all()
        now = utcnow()
        assert {event.type.value for event in events} == {
            "study_visit",
            "seminar",
            "expert_meeting",
        }
        assert len({event.city.name for event in events}) == 7
        assert any(event.status == EventStatus.CANCELLED for event in events)
        assert any(event.ends_at < now for event in events)
        assert max(event.starts_at for event in events) - now > timedelta(days=60)
        seats = availability([event.id for event in events])
        full_with_waitlist = [
            e for e in events if seats[e.id].seats_left == 0 and seats[e.id].waitlisted
        ]
        nearly_full = [e for e in events if 0 < seats[e.id].seats_left <= 3]
        assert full_with_waitlist
        assert nearly_full
        assert all(seats[e.id].confirmed <= e.capacity for e in events)
        polish_names = ("Wizyta studyjna", "Seminarium problemowe", "Spotkanie z ekspertami")
        assert all(event.title.startswith(polish_names) for event in events)


def test_demo_load_twice_adds_nothing(app, runner):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        before = Counter(db.session.scalars(sa.select(Registration.status)).all())
        events_before = db.session.scalar(sa.select(sa.func.count(Event.id)))
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "already loaded" in result.output
    with app.app_context():
        assert Counter(db.session.scalars(sa.select(Registration.status)).all()) == before
        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == events_before
        assert before[RegistrationStatus.WAITLISTED] > 0
