"""The coalition's seat rules, in the one seat operation (docs/coalition.md).

Home cities, city allocations until their release, same-city promotion, approval and
institution caps: each rule as the person and the organiser meet it. The rules under
a rush of processes are in test_coalition_concurrency.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import Event
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services
from registration.registrations.coalition import SeatPlan, institution_key
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import city, make_account, make_applicant, make_event

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
PENDING = RegistrationStatus.PENDING
REJECTED = RegistrationStatus.REJECTED


def register(event: Event, *, now=None, **applicant) -> Registration:
    registered = services.register(event.id, make_applicant(**applicant), now=now)
    return db.session.get(Registration, registered.registration.id)


def allocate(event: Event, release_in: timedelta | None = None, **seats: int) -> None:
    """Keep ``seats`` per city slug; released ``release_in`` from now (default: a week)."""
    release = utcnow() + (release_in or timedelta(days=7))
    allocations = {city(slug).id: count for slug, count in seats.items()}
    services.change_allocations(event, allocations, release_at=release)
    db.session.flush()


def kinds_for(registration: Registration) -> list[MessageKind]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.kind)
            .where(OutboxMessage.registration_id == registration.id)
            .order_by(OutboxMessage.id)
        )
    )


class TestHomeCity:
    def test_is_the_coalition_city_the_person_chose(self, ctx):
        event = make_event()
        registration = register(event, home_city="gdansk", city="")
        assert registration.home_city.slug == "gdansk"
        assert registration.city == "Gdańsk"  # named for them when they typed nothing

    def test_is_taken_from_the_city_typed_when_none_was_chosen(self, ctx):
        event = make_event()
        assert register(event, city=" lodz ").home_city.slug == "lodz"
        assert register(event, city="Kraków").home_city is None

    def test_another_city_keeps_the_name_typed(self, ctx):
        registration = register(make_event(), home_city="other", city="Opole")
        assert registration.home_city is None
        assert registration.city == "Opole"

    def test_an_unknown_city_is_refused(self, ctx):
        with pytest.raises(services.UnknownHomeCity):
            register(make_event(), home_city="krakow", city="Kraków")


class TestSeatPlan:
    """The arithmetic alone: 2 seats kept for city 1, 1 for city 2, 2 in common."""

    def plan(self, **confirmed) -> SeatPlan:
        counts = {int(key[1:]) if key != "other" else None: n for key, n in confirmed.items()}
        return SeatPlan(5, {1: 2, 2: 1}, counts)

    def test_a_city_takes_its_own_seats_then_the_common_pool(self):
        plan = self.plan(c1=2)
        assert plan.allocation_left(1) == 0
        assert plan.common_left == 2
        assert plan.seat_free_for(1)

    def test_overflow_of_one_city_fills_the_common_pool_for_everyone(self):
        plan = self.plan(c1=4)
        assert plan.common_left == 0
        assert not plan.seat_free_for(1)
        assert not plan.seat_free_for(None)
        assert plan.seat_free_for(2)  # its own seat is still kept

    def test_waiting_people_are_chosen_in_order_where_a_seat_is_free_for_them(self):
        plan = self.plan(c1=4)
        assert plan.choose([(10, 1), (11, None), (12, 2), (13, 2)]) == [12]


class TestCityAllocations:
    def test_a_city_registrant_takes_a_kept_seat_when_the_common_pool_is_full(self, ctx):
        event = make_event(capacity=3)
        allocate(event, gdansk=1, lodz=1)
        assert register(event, city="Kraków").status == CONFIRMED  # the one common seat
        assert register(event, city="Opole").status == WAITLISTED
        assert register(event, city="Gdańsk").status == CONFIRMED

    def test_nobody_takes_another_citys_kept_seat_before_the_release(self, ctx):
        event = make_event(capacity=2)
        allocate(event, gdansk=1, lodz=1)
        assert register(event, city="Gdańsk").status == CONFIRMED
        second_from_gdansk = register(event, city="Gdańsk")
        assert second_from_gdansk.status == WAITLISTED  # Łódź's seat is still free
        assert services.allocation_state(event, now=utcnow()).shares[1].left == 1

    def test_the_release_gives_unused_kept_seats_to_the_waitlist_in_order(self, ctx):
        event = make_event(capacity=3)
        allocate(event, gdansk=1, lodz=1, release_in=timedelta(days=2))
        register(event, city="Kraków")  # the common seat
        first = register(event, city="Opole")
        second = register(event, city="Gdańsk")  # takes Gdańsk's seat
        third = register(event, city="Opole")
        assert (first.status, second.status, third.status) == (WAITLISTED, CONFIRMED, WAITLISTED)
        db.session.commit()
        assert services.release_due_allocations(now=utcnow() + timedelta(days=1)) == []
        released = services.release_due_allocations(now=utcnow() + timedelta(days=3))
        assert released == [event.id]
        db.session.refresh(first)
        db.session.refresh(third)
        assert (first.status, third.status) == (CONFIRMED, WAITLISTED)  # one seat was free
        assert first.promoted_at is not None
        assert kinds_for(first) == [MessageKind.WAITLISTED, MessageKind.PROMOTED]
        # Once: a second run finds nothing to release.
        assert services.release_due_allocations(now=utcnow() + timedelta(days=4)) == []
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "event.allocations_released")
        ).all()
        assert len(entries) == 1

    def test_a_registration_after_the_release_time_releases_first(self, ctx):
        event = make_event(capacity=2)
        allocate(event, gdansk=1, release_in=timedelta(hours=1))
        register(event, city="Kraków")
        waiting = register(event, city="Opole")
        later = utcnow() + timedelta(hours=2)
        newcomer = register(event, city="Opole", now=later)
        db.session.refresh(waiting)
        assert waiting.status == CONFIRMED  # the freed seat went to the line, not the newcomer
        assert newcomer.status == WAITLISTED
        assert db.session.get(Event, event.id).allocations_released_at == later

    def test_a_seat_freed_inside_an_allocation_goes_to_that_citys_first_in_line(self, ctx):
        event = make_event(capacity=2)
        allocate(event, gdansk=1)
        register(event, city="Kraków")
        from_gdansk = register(event, city="Gdańsk")
        outsider = register(event, city="Opole")
        gdansk_waiting = register(event, city="Gdańsk")
        services.cancel(from_gdansk)
        db.session.refresh(outsider)
        db.session.refresh(gdansk_waiting)
        assert (outsider.status, gdansk_waiting.status) == (WAITLISTED, CONFIRMED)

    def test_a_freed_kept_seat_stays_kept_when_nobody_from_the_city_waits(self, ctx):
        event = make_event(capacity=2)
        allocate(event, gdansk=1)
        register(event, city="Kraków")
        from_gdansk = register(event, city="Gdańsk")
        outsider = register(event, city="Opole")
        services.cancel(from_gdansk)
        db.session.refresh(outsider)
        assert outsider.status == WAITLISTED
        assert register(event, city="Gdańsk").status == CONFIRMED

    def test_allocations_cannot_exceed_the_capacity(self, ctx):
        event = make_event(capacity=3)
        with pytest.raises(services.AllocationsTooLarge):
            allocate(event, gdansk=2, lodz=2)

    def test_the_capacity_cannot_drop_below_the_allocations_while_they_hold(self, ctx):
        event = make_event(capacity=4)
        allocate(event, gdansk=2, lodz=2)
        with pytest.raises(services.AllocationsTooLarge):
            services.change_capacity(event, 3)

    def test_fewer_kept_seats_go_to_the_people_waiting(self, ctx):
        event = make_event(capacity=2)
        allocate(event, gdansk=1)
        register(event, city="Kraków")
        outsider = register(event, city="Opole")
        allocate(event)  # none kept any more
        db.session.refresh(outsider)
        assert outsider.status == CONFIRMED

    def test_released_allocations_cannot_be_changed(self, ctx):
        event = make_event(capacity=4)
        allocate(event, gdansk=1, release_in=timedelta(hours=1))
        db.session.commit()
        services.release_due_allocations(now=utcnow() + timedelta(hours=2))
        with pytest.raises(services.AllocationsReleased):
            allocate(event, gdansk=2)


class TestApproval:
    def test_a_request_holds_no_seat(self, ctx):
        event = make_event(capacity=1, approval=True)
        first, second = register(event), register(event)
        assert (first.status, second.status) == (PENDING, PENDING)
        assert services.availability([event.id])[event.id].confirmed == 0
        assert kinds_for(first) == [MessageKind.PENDING]

    def test_approving_gives_a_seat_then_a_place_in_line(self, ctx):
        event = make_event(capacity=1, approval=True)
        organiser = make_account(password=None)
        first, second = register(event), register(event)
        services.approve(first, account=organiser)
        services.approve(second, account=organiser)
        assert (first.status, second.status) == (CONFIRMED, WAITLISTED)
        assert kinds_for(first)[-1] == MessageKind.CONFIRMED
        assert kinds_for(second)[-1] == MessageKind.WAITLISTED
        assert second.waitlisted_at is not None
        assert first.waitlisted_at is None

    def test_approving_follows_the_city_allocations(self, ctx):
        event = make_event(capacity=2, approval=True)
        allocate(event, gdansk=1)
        organiser = make_account(password=None)
        outsiders = [register(event, city="Opole") for _ in range(2)]
        for request in outsiders:
            services.approve(request, account=organiser)
        assert [each.status for each in outsiders] == [CONFIRMED, WAITLISTED]

    def test_without_a_waitlist_a_request_with_no_seat_stays_pending(self, ctx):
        event = make_event(capacity=1, approval=True, waitlist=False)
        organiser = make_account(password=None)
        first, second = register(event), register(event)
        services.approve(first, account=organiser)
        with pytest.raises(services.NoSeatFree):
            services.approve(second, account=organiser)
        assert second.status == PENDING

    def test_rejecting_frees_nothing_and_tells_the_person(self, ctx):
        event = make_event(capacity=1, approval=True)
        organiser = make_account(password=None)
        request = register(event)
        services.reject(request, account=organiser)
        assert request.status == REJECTED
        assert kinds_for(request)[-1] == MessageKind.REJECTED
        with pytest.raises(services.NotPending):
            services.approve(request, account=organiser)

    def test_only_a_pending_request_is_decided(self, ctx):
        event = make_event(capacity=1)
        organiser = make_account(password=None)
        with pytest.raises(services.NotPending):
            services.reject(register(event), account=organiser)

    def test_a_person_may_withdraw_a_request(self, ctx):
        event = make_event(capacity=1, approval=True)
        request = register(event)
        services.cancel(request)
        assert request.status == RegistrationStatus.CANCELLED

    def test_one_request_per_address(self, ctx):
        event = make_event(capacity=1, approval=True)
        register(event, email="ala@example.org")
        with pytest.raises(services.AlreadyRegistered):
            register(event, email="ALA@example.org ")

    def test_deciding_several_at_once_says_what_each_got(self, ctx):
        event = make_event(capacity=1, approval=True)
        organiser = make_account(password=None)
        requests = [register(event) for _ in range(3)]
        outcome = services.decide(
            event, [each.id for each in requests], services.approve, account=organiser
        )
        assert (outcome.confirmed, outcome.waitlisted, outcome.refused) == (1, 2, [])
        again = services.decide(event, [requests[0].id], services.reject, account=organiser)
        assert again.rejected == 0
        assert len(again.refused) == 1


class TestInstitutionCap:
    def test_names_are_compared_without_case_spacing_or_punctuation(self):
        assert institution_key(" Muzeum  Narodowe w Gdańsku.") == institution_key(
            "„MUZEUM NARODOWE W GDAŃSKU”"
        )
        assert institution_key("Muzeum Narodowe w Gdańsku") != institution_key("Muzeum Gdańska")

    def test_the_next_person_from_a_full_institution_is_refused(self, ctx):
        event = make_event(capacity=10, institution_cap=2)
        register(event, institution="Teatr Nowy")
        register(event, institution="teatr  nowy")
        with pytest.raises(services.InstitutionCapReached):
            register(event, institution="TEATR NOWY.")
        assert register(event, institution="Teatr Stary").status == CONFIRMED

    def test_a_cancellation_makes_room_again(self, ctx):
        event = make_event(capacity=10, institution_cap=1)
        first = register(event, institution="Teatr Nowy")
        services.cancel(first)
        assert register(event, institution="Teatr Nowy").status == CONFIRMED

    def test_a_repeat_registration_is_answered_as_such(self, ctx):
        event = make_event(capacity=10, institution_cap=1)
        register(event, email="ala@example.org", institution="Teatr Nowy")
        with pytest.raises(services.AlreadyRegistered):
            register(event, email="ala@example.org", institution="Teatr Nowy")


class TestOrganisersHand:
    def test_adding_a_person_at_an_event_with_approval_approves_them(self, ctx):
        event = make_event(capacity=1, approval=True)
        added = services.add_by_hand(event, make_applicant(), account=make_account(password=None))
        assert added.status == CONFIRMED

    def test_the_institution_cap_holds_for_organisers_too(self, ctx):
        event = make_event(capacity=5, institution_cap=1)
        organiser = make_account(password=None)
        services.add_by_hand(event, make_applicant(institution="Teatr"), account=organiser)
        with pytest.raises(services.InstitutionCapReached):
            services.add_by_hand(event, make_applicant(institution="TEATR"), account=organiser)
