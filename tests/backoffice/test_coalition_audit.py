"""The coalition rules in the audit log, as organisers read it (SPEC section 10): the
organisers' decisions on requests, the system's release of the city allocations, and the
event's new settings when they change; and the names of the new statuses and emails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from registration import labels
from registration.accounts.services import record
from registration.events.models import CityAllocation, Event
from registration.extensions import db
from registration.notifications.models import MessageKind
from registration.registrations import services as registrations
from registration.registrations.models import Registration, RegistrationStatus
from tests.backoffice.test_audit_log import (
    ADMIN,
    WROCLAW_ORGANISER,
    account,
    page_of,
    phrases,
    sentences,
    sign_in_as,
)
from tests.factories import city, make_event, make_registration


@pytest.fixture
def council(app) -> dict:
    """A Wrocław event with approval: Zofia and Jan ask to take part."""
    with app.app_context():
        event = make_event(title="Rada programowa", approval=True, capacity=5)
        zofia = make_registration(event, name="Zofia Wiśniewska", email="zofia@example.org")
        jan = make_registration(event, name="Jan Kowalski", email="jan@example.org")
        db.session.commit()
        return {"event": event.id, "zofia": zofia.id, "jan": jan.id}


def test_an_approval_names_the_organiser_the_person_and_the_status(app, client, signed_in, council):
    sign_in_as(signed_in, WROCLAW_ORGANISER)
    with app.app_context():
        zofia = db.session.get(Registration, council["zofia"])
        registrations.approve(zofia, account=account(WROCLAW_ORGANISER))
        db.session.commit()
    english = page_of(client, "/organiser/audit?lang=en&action=registration.approve")
    assert sentences(english) == [
        "organiser@example.org (Wrocław) approved the registration of Zofia Wiśniewska"
        " — Rada programowa"
    ]
    assert phrases(english) == ["Status: Confirmed"]
    polish = page_of(client, "/organiser/audit?lang=pl&action=registration.approve")
    assert sentences(polish) == [
        "organiser@example.org (Wrocław) — zatwierdzono zgłoszenie: Zofia Wiśniewska"
        " — Rada programowa"
    ]
    assert polish.select_one(".audit-kind").get_text() == "Zatwierdzenie zgłoszenia"


def test_a_rejection_names_the_organiser_and_the_person(app, client, signed_in, council):
    sign_in_as(signed_in, WROCLAW_ORGANISER)
    with app.app_context():
        jan = db.session.get(Registration, council["jan"])
        registrations.reject(jan, account=account(WROCLAW_ORGANISER))
        db.session.commit()
    english = page_of(client, "/organiser/audit?lang=en&action=registration.reject")
    assert sentences(english) == [
        "organiser@example.org (Wrocław) rejected the registration of Jan Kowalski"
        " — Rada programowa"
    ]
    polish = page_of(client, "/organiser/audit?lang=pl&action=registration.reject")
    assert sentences(polish) == [
        "organiser@example.org (Wrocław) — odrzucono zgłoszenie: Jan Kowalski — Rada programowa"
    ]


def test_the_release_of_the_city_allocations_is_the_systems(app, client, signed_in):
    sign_in_as(signed_in, ADMIN)
    with app.app_context():
        event = make_event(
            title="Wizyta studyjna",
            allocations=[CityAllocation(city_id=city("gdansk").id, seats=2)],
            allocated_seats=2,
            allocation_release_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
        db.session.commit()
        assert registrations.release_due_allocations() == [event.id]
    english = page_of(client, "/organiser/audit?lang=en&action=event.allocations_released")
    assert sentences(english) == [
        "The system released the city allocations into the common pool — Wizyta studyjna"
    ]
    polish = page_of(client, "/organiser/audit?lang=pl&action=event.allocations_released")
    assert sentences(polish) == ["System — zwolniono pule miast do puli wspólnej — Wizyta studyjna"]


def test_the_events_coalition_settings_read_from_and_to(app, client, signed_in):
    sign_in_as(signed_in, ADMIN)
    with app.app_context():
        event = make_event(title="Wizyta studyjna")
        record(
            account(ADMIN),
            "event.update",
            event=db.session.get(Event, event.id),
            approval=[False, True],
            institution_cap=[None, 3],
            allocations=[{}, {"Wrocław": 4, "Gdańsk": 2}],
            allocation_release_at=[None, "2031-07-01T08:00:00+00:00"],
        )
        db.session.commit()
    english = phrases(page_of(client, "/organiser/audit?lang=en&action=event.update"))
    assert english == [
        "Approve each registration: no → yes",
        "Most people from one institution: — → 3",
        "Seats kept for the coalition's cities: — → Gdańsk 2, Wrocław 4",
        "When the allocations are released: — → 1 July 2031, 10:00",
    ]
    polish = phrases(page_of(client, "/organiser/audit?lang=pl&action=event.update"))
    assert polish == [
        "Zatwierdzanie każdego zgłoszenia: nie → tak",
        "Najwięcej osób z jednej instytucji: — → 3",
        "Miejsca dla miast koalicji: — → Gdańsk 2, Wrocław 4",
        "Termin zwolnienia pul: — → 1 lipca 2031, 10:00",
    ]


@pytest.mark.parametrize(
    ("names", "codes"),
    [(labels.REGISTRATION_STATUSES, RegistrationStatus), (labels.MESSAGE_KINDS, MessageKind)],
)
def test_every_status_and_kind_of_email_has_a_name_in_both_languages(ctx, names, codes):
    for code in codes:
        assert code.value in names, code
        with force_locale("pl"):
            polish = str(names[code.value])
        with force_locale("en"):
            english = str(names[code.value])
        assert polish != english, code
