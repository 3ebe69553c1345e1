"""A free seat belongs to the line first, also while city allocations hold.

Every operation that frees a seat promotes in the same transaction, so a registration
normally finds no seat owed to anybody waiting. When it does (a seat freed behind the
service's back, say an allocation raised in the database), the people waiting get it
before the newcomer. While allocations hold, a city's free kept seat is owed only to
somebody from that city; with nobody from it waiting, registering asks one indexed
question instead of reading the whole line (docs/concurrency.md, Performance).
"""

from __future__ import annotations

import sqlalchemy as sa

from registration.events.models import CityAllocation
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import city, make_event, make_registration

ELSEWHERE = "Kraków"


def event_keeping(seats_for_gdansk: int, seats_for_wroclaw: int = 0, *, capacity: int):
    event = make_event(capacity=capacity, waitlist=True)
    wanted = {city("gdansk").id: seats_for_gdansk, city("wroclaw").id: seats_for_wroclaw}
    services.change_allocations(event, wanted, release_at=None)
    return event


def statuses(people: list[Registration]) -> list[str]:
    for person in people:
        db.session.refresh(person)
    return [str(person.status) for person in people]


def test_a_kept_seat_freed_behind_the_services_back_goes_to_that_citys_first_in_line(ctx):
    event = event_keeping(1, capacity=2)
    seated = [make_registration(event, city="Gdańsk"), make_registration(event, city=ELSEWHERE)]
    waiting = [make_registration(event, city=ELSEWHERE), make_registration(event, city="Gdańsk")]
    assert statuses(seated + waiting) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    # Gdańsk keeps a second seat, and the event has one more, written straight to the
    # database: no promotion ran.
    db.session.execute(
        sa.update(CityAllocation)
        .where(CityAllocation.event_id == event.id)
        .values(seats=CityAllocation.seats + 1)
    )
    event.capacity = 3
    db.session.flush()

    newcomer = make_registration(event, city=ELSEWHERE)

    # The seat is Gdańsk's: the person from Gdańsk waiting gets it, ahead of the one from
    # elsewhere who came first, and ahead of the newcomer, who joins the line.
    assert statuses([*waiting, newcomer]) == ["waitlisted", "confirmed", "waitlisted"]
    assert waiting[1].promoted_at is not None


def test_a_kept_seat_with_nobody_from_its_city_waiting_stays_kept(ctx):
    event = event_keeping(1, seats_for_wroclaw=1, capacity=3)
    people = [make_registration(event, city=name) for name in ("Gdańsk", ELSEWHERE, "Gdańsk")]
    people += [make_registration(event, city=ELSEWHERE) for _ in range(3)]

    # Wrocław's seat is free all along; nobody from Wrocław comes, nobody else takes it.
    assert statuses(people) == ["confirmed", "confirmed"] + ["waitlisted"] * 4
    wroclaw = make_registration(event, city="Wrocław")
    assert statuses([wroclaw]) == ["confirmed"]
