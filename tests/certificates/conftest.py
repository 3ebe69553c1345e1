"""Certificates' fixtures: people checked in at past events, and the back office's sign-in."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from registration.accounts.models import Account
from registration.events.models import Event, EventType
from registration.extensions import db
from registration.i18n import WARSAW
from registration.registrations import services
from registration.registrations.models import Registration
from tests.api.conftest import conforms  # noqa: F401  (a fixture)
from tests.backoffice.conftest import signed_in  # noqa: F401  (a fixture)
from tests.factories import make_account, make_event, make_registration

#: A three-day study visit, Wednesday 10 to Friday 12 March 2027, 9:00 to 17:00 in Warsaw.
VISIT_STARTS = datetime(2027, 3, 10, 9, 0, tzinfo=WARSAW)
WEDNESDAY, THURSDAY, FRIDAY = date(2027, 3, 10), date(2027, 3, 11), date(2027, 3, 12)


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    """A moment of ``day`` in Warsaw."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW)


def text_of(body: bytes) -> list[str]:
    """The text of each page, as a PDF reader extracts it, its runs of spaces made one."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(body)).pages]


def door(city_slug: str = "wroclaw") -> Account:
    """The account that checks people in (``make_account``'s organiser, made once)."""
    return db.session.scalar(
        db.select(Account).where(Account.email == f"door.{city_slug}@example.org")
    ) or make_account(f"door.{city_slug}@example.org", city_slug=city_slug)


def attendee(event: Event, days: list[date], **applicant) -> Registration:
    """A person registered a week before ``event`` and checked in on each of ``days``."""
    registration = make_registration(event, now=event.starts_at - timedelta(days=7), **applicant)
    for day in days:
        services.check_in(registration, account=door(event.city.slug), now=at(day))
    return registration


def study_visit(**fields) -> Event:
    """The three-day visit of ``VISIT_STARTS`` in Wrocław."""
    return make_event(
        **{
            "title": "Wizyta studyjna: Łódź – żywa kultura",
            "type": EventType.STUDY_VISIT,
            "starts_at": VISIT_STARTS,
            "ends_at": VISIT_STARTS + timedelta(days=2, hours=8),
            **fields,
        }
    )


@pytest.fixture
def visit(ctx) -> Event:
    return study_visit()
