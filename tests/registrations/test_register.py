"""The one operation that takes a seat: `services.register`, and its siblings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services
from registration.registrations.models import Participant, Registration, RegistrationStatus
from tests.factories import make_applicant, make_event, make_registration

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED


def messages(kind: MessageKind | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


class TestTakingASeat:
    def test_confirms_while_seats_are_left(self, ctx):
        event = make_event(capacity=2)
        first, second = make_registration(event), make_registration(event)
        assert [first.status, second.status] == [CONFIRMED, CONFIRMED]
        assert services.availability([event.id])[event.id].seats_left == 0

    def test_full_event_puts_next_person_on_waitlist(self, ctx):
        event = make_event(capacity=1)
        make_registration(event)
        second, third = make_registration(event), make_registration(event)
        assert [second.status, third.status] == [WAITLISTED, WAITLISTED]
        assert services.waitlist_position(second) == 1
        assert services.waitlist_position(third) == 2

    def test_full_event_without_waitlist_rejects(self, ctx):
        event = make_event(capacity=1, waitlist=False)
        make_registration(event)
        with pytest.raises(services.EventFull):
            make_registration(event)
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1

    def test_zero_capacity_with_waitlist_only_queues(self, ctx):
        event = make_event(capacity=0)
        assert make_registration(event).status == WAITLISTED

    def test_records_consent_time_and_text_version(self, ctx):
        now = utcnow()
        registration = make_registration(make_event(), now=now)
        assert registration.consent_at == now
        assert registration.consent_version == services.CONSENT_VERSION

    def test_refuses_without_consent(self, ctx):
        event = make_event()
        with pytest.raises(services.ConsentMissing):
            services.register(event.id, make_applicant(consent=False))
        assert messages() == []

    def test_reports_the_place_in_line_that_the_line_shows(self, ctx):
        event = make_event(capacity=1)
        first = services.register(event.id, make_applicant())
        second = services.register(event.id, make_applicant())
        third = services.register(event.id, make_applicant())
        assert [first.waitlist_position, second.waitlist_position, third.waitlist_position] == [
            None,
            1,
            2,
        ]
        assert services.waitlist_position(third.registration) == 2

    def test_answers_with_what_was_stored_without_loading_it(self, ctx):
        """The page and the API answer from what ``register`` returns: the stored row's
        id, status and manage token, valid after the commit without another query."""
        event = make_event(title="Wizyta studyjna w Gdańsku")
        registered = services.register(event.id, make_applicant(email=" Ala@Example.org "))
        db.session.commit()
        stored = db.session.get(Registration, registered.registration.id)
        assert registered.registration == services.NewRegistration(
            stored.id, event.id, CONFIRMED, stored.token
        )
        assert stored.event.title == "Wizyta studyjna w Gdańsku"
        assert stored.participant.email == stored.email == "ala@example.org"
        assert stored.needs is None

    def test_a_rolled_back_registration_leaves_nothing_behind(self, ctx):
        """Its row, participant and message are gone, and on SQLite the next
        registration gets its id."""
        event = make_event(capacity=5)
        db.session.commit()
        gone = services.register(event.id, make_applicant()).registration
        db.session.rollback()
        assert db.session.get(Registration, gone.id) is None
        assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == 0
        assert messages() == []
        again = make_registration(event)
        db.session.commit()
        assert db.session.scalars(sa.select(Registration.id)).all() == [again.id]

    @pytest.mark.parametrize("status", [EventStatus.DRAFT, None])
    def test_a_draft_or_unknown_event_is_not_found(self, ctx, status):
        event_id = make_event(status=status).id if status else 987654
        with pytest.raises(services.EventNotFound):
            services.register(event_id, make_applicant())
        assert db.session.scalars(sa.select(Registration)).all() == []
        assert db.session.scalars(sa.select(Participant)).all() == []

    def test_manage_token_is_long_random_and_url_safe(self, ctx):
        event = make_event()
        tokens = {make_registration(event).token for _ in range(5)}
        assert len(tokens) == 5
        for token in tokens:
            assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 bits


class TestOnePersonOneSeat:
    def test_repeat_registration_with_another_spelling_takes_no_second_seat(self, ctx):
        event = make_event(capacity=5)
        first = make_registration(event, email="Ala.Kot@Example.org")
        with pytest.raises(services.AlreadyRegistered):
            make_registration(event, email="  ala.kot@example.ORG ")
        assert services.availability([event.id])[event.id].confirmed == 1
        reminder = messages(MessageKind.ALREADY_REGISTERED)
        assert [message.registration_id for message in reminder] == [first.id]
        assert reminder[0].recipient == "ala.kot@example.org"

    def test_repeats_mail_the_manage_link_once_per_quiet_period(self, ctx):
        """Typing someone's address again and again must not flood their inbox."""
        event = make_event()
        make_registration(event, email="ola@example.org")
        now = utcnow()
        for minutes in (0, 10, 50):
            with pytest.raises(services.AlreadyRegistered):
                make_registration(
                    event, email="ola@example.org", now=now + timedelta(minutes=minutes)
                )
        assert len(messages(MessageKind.ALREADY_REGISTERED)) == 1

    def test_at_a_full_event_without_waitlist_a_holder_hears_what_anybody_hears(self, ctx):
        """The answer must not tell a stranger who holds a seat (invariant 6); the holder
        gets their manage link by email instead."""
        event = make_event(capacity=1, waitlist=False)
        holder = make_registration(event, email="ola@example.org")
        with pytest.raises(services.EventFull) as for_the_holder:
            make_registration(event, email="ola@example.org")
        with pytest.raises(services.EventFull) as for_anybody:
            make_registration(event, email="ela@example.org")
        assert type(for_the_holder.value) is type(for_anybody.value)
        assert str(for_the_holder.value) == str(for_anybody.value)
        reminder = messages(MessageKind.ALREADY_REGISTERED)
        assert [message.registration_id for message in reminder] == [holder.id]
        assert db.session.scalars(sa.select(Registration.id)).all() == [holder.id]

    def test_a_registration_in_someones_name_keeps_their_other_registrations_as_they_are(self, ctx):
        """Anybody may register anybody's address; that changes nothing stored for the
        person's other registrations: their name, their emails' language, their feed."""
        first_event, second_event = make_event(), make_event()
        own = make_registration(first_event, email="ola@example.org", name="Ola", language="pl")
        feed_token = own.participant.feed_token
        other = make_registration(
            second_event, email="ola@example.org", name="Ktoś Inny", language="en"
        )
        db.session.commit()
        db.session.expire_all()
        participant = db.session.get(Participant, own.participant_id)
        assert (participant.name, participant.language) == ("Ola", "pl")
        assert participant.feed_token == feed_token
        assert db.session.get(Registration, own.id).language == "pl"
        # The new registration's own emails go in the language it was made in.
        assert db.session.get(Registration, other.id).language == "en"
        assert messages(MessageKind.CONFIRMED)[-1].language == "en"

    def test_a_repeat_with_another_name_changes_nothing_stored(self, ctx):
        """Typing someone's address must not rename them or change their language."""
        event = make_event()
        make_registration(event, email="ola@example.org", name="Ola Kowalska", language="pl")
        with pytest.raises(services.AlreadyRegistered):
            make_registration(event, email="ola@example.org", name="Ktoś Inny", language="en")
        (participant,) = db.session.scalars(sa.select(Participant)).all()
        assert (participant.name, participant.language) == ("Ola Kowalska", "pl")
        assert len(db.session.scalars(sa.select(Registration)).all()) == 1

    def test_a_repeat_refused_while_a_seat_waits_for_the_first_in_line_changes_nothing(self, ctx):
        """A refusal writes nothing: handing the free seat on is left to a registration
        that takes effect (or to an organiser)."""
        event = make_event(capacity=1)
        make_registration(event, email="ola@example.org")
        waiting = make_registration(event, email="ela@example.org")
        db.session.execute(  # a capacity edited in the database: a seat nobody handed out
            sa.update(Event).where(Event.id == event.id).values(capacity=2)
        )
        with pytest.raises(services.AlreadyRegistered):
            make_registration(event, email="ela@example.org")
        db.session.refresh(waiting)
        assert waiting.status == WAITLISTED
        assert [m.kind for m in messages() if m.registration_id == waiting.id] == [
            MessageKind.WAITLISTED,
            MessageKind.ALREADY_REGISTERED,
        ]

    def test_a_waitlisted_person_cannot_queue_twice(self, ctx):
        event = make_event(capacity=0)
        make_registration(event, email="ola@example.org")
        with pytest.raises(services.AlreadyRegistered):
            make_registration(event, email="ola@example.org")

    def test_after_cancelling_the_same_person_may_register_again(self, ctx):
        event = make_event(capacity=1)
        first = make_registration(event, email="ola@example.org")
        services.cancel(first)
        again = make_registration(event, email="ola@example.org")
        assert again.status == CONFIRMED
        assert again.participant_id == first.participant_id

    def test_one_participant_per_address_as_first_registered(self, ctx):
        make_registration(make_event(), email="Jan@example.org", name="Jan", language="pl")
        make_registration(make_event(), email="jan@example.org", name="Jan Nowak", language="en")
        participants = db.session.scalars(sa.select(Participant)).all()
        assert len(participants) == 1
        assert (participants[0].name, participants[0].language) == ("Jan", "pl")
        assert len(participants[0].feed_token) >= 43


class TestRegistrationWindow:
    @pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.CANCELLED])
    def test_only_published_events_take_registrations(self, ctx, status):
        with pytest.raises(services.RegistrationClosed):
            make_registration(make_event(status=status))

    def test_not_before_registration_opens(self, ctx):
        event = make_event(registration_opens_at=utcnow() + timedelta(days=1))
        with pytest.raises(services.RegistrationClosed):
            make_registration(event)

    def test_not_after_registration_closes(self, ctx):
        event = make_event(registration_closes_at=utcnow() - timedelta(minutes=1))
        with pytest.raises(services.RegistrationClosed):
            make_registration(event)

    def test_not_once_the_event_has_started(self, ctx):
        event = make_event(starts_at=utcnow() - timedelta(minutes=5))
        with pytest.raises(services.RegistrationClosed):
            make_registration(event)

    def test_open_inside_the_window(self, ctx):
        now = utcnow()
        event = make_event(
            registration_opens_at=now - timedelta(days=1),
            registration_closes_at=now + timedelta(days=1),
        )
        assert make_registration(event, now=now).status == CONFIRMED


class TestCancelling:
    def test_freed_seat_goes_to_the_earliest_waitlisted(self, ctx):
        event = make_event(capacity=1)
        holder = make_registration(event)
        first_in_line, second_in_line = make_registration(event), make_registration(event)
        services.cancel(holder)
        assert holder.status == CANCELLED
        assert holder.cancelled_at is not None
        assert first_in_line.status == CONFIRMED
        assert second_in_line.status == WAITLISTED
        assert services.waitlist_position(second_in_line) == 1  # the line closed up

    def test_cancelling_twice_changes_nothing_and_tells_nobody_twice(self, ctx):
        event = make_event(capacity=1)
        holder = make_registration(event)
        make_registration(event)
        services.cancel(holder)
        cancelled_at = holder.cancelled_at
        services.cancel(holder)
        assert holder.cancelled_at == cancelled_at
        assert len(messages(MessageKind.CANCELLED)) == 1
        assert len(messages(MessageKind.PROMOTED)) == 1

    def test_leaving_the_waitlist_promotes_nobody(self, ctx):
        event = make_event(capacity=1)
        make_registration(event)
        waiting, behind = make_registration(event), make_registration(event)
        services.cancel(waiting)
        assert behind.status == WAITLISTED
        assert services.waitlist_position(behind) == 1
        assert messages(MessageKind.PROMOTED) == []

    def test_no_cancelling_once_the_event_has_started(self, ctx):
        event = make_event(starts_at=utcnow() + timedelta(hours=1))
        registration = make_registration(event)
        with pytest.raises(services.CancellationClosed):
            services.cancel(registration, now=utcnow() + timedelta(hours=2))
        assert registration.status == CONFIRMED


class TestCapacityChanges:
    def test_more_seats_promote_from_the_waitlist_in_order(self, ctx):
        event = make_event(capacity=1)
        make_registration(event)
        waiting = [make_registration(event) for _ in range(3)]
        promoted = services.change_capacity(event, 3)
        assert promoted == waiting[:2]
        assert [r.status for r in waiting] == [CONFIRMED, CONFIRMED, WAITLISTED]

    def test_capacity_never_drops_below_confirmed_seats(self, ctx):
        event = make_event(capacity=2)
        make_registration(event)
        make_registration(event)
        with pytest.raises(services.CapacityBelowConfirmed):
            services.change_capacity(event, 1)
        assert event.capacity == 2

    def test_a_seat_freed_behind_our_back_goes_to_the_line_not_the_newcomer(self, ctx):
        """FCFS even when capacity was raised outside the service (e.g. by SQL)."""
        event = make_event(capacity=1)
        make_registration(event)
        waiting = make_registration(event)
        db.session.execute(
            sa.update(type(event)).where(type(event).id == event.id).values(capacity=2)
        )
        newcomer = make_registration(event)
        db.session.refresh(waiting)
        assert waiting.status == CONFIRMED
        assert newcomer.status == WAITLISTED


class TestWhatPeopleAreTold:
    def test_each_change_queues_one_message_for_the_right_person(self, ctx):
        event = make_event(capacity=1)
        holder = make_registration(event, email="holder@example.org")
        waiting = make_registration(event, email="waiting@example.org", language="en")
        services.cancel(holder)
        assert [(m.kind, m.recipient, m.language) for m in messages()] == [
            (MessageKind.CONFIRMED, "holder@example.org", "pl"),
            (MessageKind.WAITLISTED, "waiting@example.org", "en"),
            (MessageKind.CANCELLED, "holder@example.org", "pl"),
            (MessageKind.PROMOTED, "waiting@example.org", "en"),
        ]
        assert messages(MessageKind.WAITLISTED)[0].context == {"position": 1}
        assert waiting.status == CONFIRMED

    def test_a_rejected_registration_leaves_no_message(self, ctx):
        event = make_event(capacity=0, waitlist=False)
        with pytest.raises(services.EventFull):
            make_registration(event)
        assert messages() == []
