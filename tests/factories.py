"""Plain factory functions with keyword defaults (CTFd's ``gen_*``): no magic.

They flush and leave committing to the test, like the services they call.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from registration.database import utcnow
from registration.events.models import City, Event, EventStatus, EventType
from registration.extensions import db
from registration.registrations.models import Category, Registration
from registration.registrations.services import Applicant, register

_numbers = itertools.count(1)


def city(slug: str = "wroclaw") -> City:
    return db.session.scalars(select(City).where(City.slug == slug)).one()


def make_event(
    *,
    title: str = "Seminarium problemowe: dane o publiczności",
    type: EventType = EventType.SEMINAR,
    city_slug: str = "wroclaw",
    starts_at: datetime | None = None,
    hours: float = 3,
    capacity: int = 10,
    waitlist: bool = True,
    status: EventStatus = EventStatus.PUBLISHED,
    **fields,
) -> Event:
    starts_at = starts_at or utcnow() + timedelta(days=14)
    number = next(_numbers)
    event = Event(
        slug=fields.pop("slug", f"event-{number}"),
        type=type,
        title=title,
        summary=fields.pop("summary", "Krótki opis wydarzenia."),
        description=fields.pop("description", "Pierwszy akapit.\n\nDrugi akapit."),
        city=city(city_slug),
        venue=fields.pop("venue", "Wrocławski Dom Literatury"),
        address=fields.pop("address", "Przejście Żelazne 1"),
        starts_at=starts_at,
        ends_at=fields.pop("ends_at", starts_at + timedelta(hours=hours)),
        capacity=capacity,
        waitlist=waitlist,
        status=status,
        contact_email=fields.pop("contact_email", "koalicja@example.org"),
        **fields,
    )
    db.session.add(event)
    db.session.flush()
    return event


def make_applicant(**overrides) -> Applicant:
    number = next(_numbers)
    values = {
        "name": f"Zofia Wiśniewska {number}",
        "email": f"zofia.{number}@example.org",
        "institution": "Miejski Dom Kultury",
        "category": Category.CULTURE_STAFF,
        "city": "Łódź",
        "consent": True,
        "position": "Animatorka",
        "needs": None,
        "language": "pl",
    }
    values.update(overrides)
    return Applicant(**values)


def make_registration(event: Event, **overrides) -> Registration:
    """Register a new person through the one domain operation."""
    now = overrides.pop("now", None)
    registered = register(event.id, make_applicant(**overrides), now=now)
    return db.session.get(Registration, registered.registration.id)


PASSWORD = "correct horse battery staple"

#: A registration as the API takes it (docs/api.md).
REGISTRATION_BODY = {
    "name": "Zofia Wiśniewska",
    "email": "zofia@example.org",
    "institution": "Miejski Dom Kultury",
    "category": "culture_staff",
    "city": "Łódź",
    "consent": True,
}
#: A Wrocław event as the organiser API takes it.
EVENT_BODY = {
    "type": "seminar",
    "title": "Seminarium: publiczność instytucji kultury",
    "city": "wroclaw",
    "venue": "Wrocławski Dom Literatury",
    "address": "Przejście Żelazne 1",
    "starts_at": "2030-03-10T10:00:00+01:00",
    "ends_at": "2030-03-10T15:00:00+01:00",
    "capacity": 25,
    "contact_email": "koalicja@example.org",
}


def make_account(
    email: str = "organiser@example.org",
    *,
    role: str = "organiser",
    city_slug: str | None = "wroclaw",
    password: str = PASSWORD,
):
    """An organiser of one city (or an admin, with ``role="admin"``, or door staff, with
    ``role="check_in"``)."""
    from registration.accounts.models import Role
    from registration.accounts.services import create_account

    return create_account(
        email,
        role=Role(role),
        city=city(city_slug) if city_slug and role != "admin" else None,
        password=password,
    )


#: An organisation file's contents (``ORGANISATION_FILE``, as read): a coordinator and two
#: bodies of Gdańsk, one of Łódź. Build an app with ``make_app(ORGANISATION=ORGANISATION)``.
ORGANISATION = {
    "data_controller": [
        {
            "key": "strefa-kultury",
            "coordinator": True,
            "name": "Strefa Kultury Wrocław",
            "address": "ul. ks. Piotra Skargi 18a, 50-082 Wrocław",
            "email": "dane@strefa.example.org",
            "phone": "+48 71 000 00 00",
            "dpo_email": "iod@strefa.example.org",
        },
        {
            "key": "ikm",
            "city": "gdansk",
            "name": "Instytut Kultury Miejskiej",
            "address": "ul. Długa 35, 80-827 Gdańsk",
            "email": "dane@ikm.example.org",
            "dpo_email": "iod@ikm.example.org",
        },
        {
            "key": "um-gdansk",
            "city": "gdansk",
            "name": "Urząd Miejski w Gdańsku",
            "address": "ul. Nowe Ogrody 8/12, 80-803 Gdańsk",
            "email": "dane@gdansk.example.org",
            "dpo_email": "iod@gdansk.example.org",
        },
        {
            "key": "ldk",
            "city": "lodz",
            "name": "Łódzki Dom Kultury",
            "address": "ul. Traugutta 18, 90-113 Łódź",
            "email": "dane@ldk.example.org",
            "dpo_email": "iod@ldk.example.org",
        },
    ]
}
