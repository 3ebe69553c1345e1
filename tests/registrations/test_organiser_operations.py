"""What organisers do by hand goes through the same seat rules as everyone else.

No overbooking by hand, the waitlist stays first come first served, every
person hears about their change through the outbox, and the audit log says
which organiser did it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import Event, EventStatus
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.registrations import queries, services
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_account, make_applicant, make_event, make_registration

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED


@pytest.fixture
def organiser(ctx):
    return make_account(password=None)  # no hashing: these tests never sign in


def kinds_for(registration: Registration) -> list[MessageKind]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.kind)
            .where(OutboxMessage.registration_id == registration.id)
            .order_by(OutboxMessage.id)
        )
    )


def audit() -> list[tuple[str, int | None]]:
    return [
        (entry.action, entry.registration_id)
        for entry in db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action != "account.login")
            .order_by(AuditEntry.id)
        )
    ]


def confirmed_count(event: Event) -> int:
    return services.availability([event.id])[event.id].confirmed


def free_a_seat_behind_the_services_back(event: Event) -> None:
    """A capacity edited in the database: a free seat that nobody has handed out yet."""
    db.session.execute(
        sa.update(Event).where(Event.id == event.id).values(capacity=Event.capacity + 1)
    )


class TestAddingByHand:
    def test_gives_a_free_seat_queues_the_confirmation_and_records_who(self, ctx, organiser):
        event = make_event(capacity=2)
        registration = services.add_by_hand(
            event, make_applicant(email=" Ala@Example.org "), account=organiser
        )
        assert registration.status == CONFIRMED
        assert registration.email == "ala@example.org"
        assert registration.consent_version == services.CONSENT_VERSION
        assert kinds_for(registration) == [MessageKind.CONFIRMED]
        entry = db.session.scalars(sa.select(AuditEntry)).one()
        assert (entry.action, entry.account_id) == ("registration.add_by_hand", organiser.id)
        assert entry.details["consent"] == "given to the organiser"

    def test_works_outside_the_registration_window_even_at_the_door(self, ctx, organiser):
        """Latecomers can be added after registration closed, and while the event runs."""
        now = utcnow()
        closed = make_event(registration_closes_at=now - timedelta(hours=1))
        running = make_event(starts_at=now - timedelta(hours=1), hours=3)
        for event in (closed, running):
            with pytest.raises(services.RegistrationClosed):
                make_registration(event)
            assert services.add_by_hand(event, make_applicant(), account=organiser).is_active

    @pytest.mark.parametrize("kind", ["draft", "cancelled", "ended"])
    def test_refuses_events_that_are_not_running(self, ctx, organiser, kind):
        if kind == "ended":
            event = make_event(starts_at=utcnow() - timedelta(hours=5), hours=2)
        else:
            event = make_event(status=EventStatus(kind))
        with pytest.raises(services.SeatsClosed):
            services.add_by_hand(event, make_applicant(), account=organiser)
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0

    def test_full_event_puts_the_person_at_the_end_of_the_waitlist(self, ctx, organiser):
        event = make_event(capacity=1)
        make_registration(event)
        first_in_line = make_registration(event)
        added = services.add_by_hand(event, make_applicant(), account=organiser)
        assert added.status == WAITLISTED
        assert services.waitlist_position(first_in_line) == 1
        assert services.waitlist_position(added) == 2
        message = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.registration_id == added.id)
        ).one()
        assert (message.kind, message.context) == (MessageKind.WAITLISTED, {"position": 2})

    def test_full_event_without_waitlist_refuses_and_never_overbooks(self, ctx, organiser):
        event = make_event(capacity=1, waitlist=False)
        make_registration(event)
        with pytest.raises(services.EventFull):
            services.add_by_hand(event, make_applicant(), account=organiser)
        assert confirmed_count(event) == 1
        assert audit() == []

    def test_a_free_seat_goes_to_the_first_in_line_not_to_the_newcomer(self, ctx, organiser):
        event = make_event(capacity=1)
        make_registration(event)
        waiting = make_registration(event)
        free_a_seat_behind_the_services_back(event)
        added = services.add_by_hand(event, make_applicant(), account=organiser)
        assert (waiting.status, added.status) == (CONFIRMED, WAITLISTED)
        assert kinds_for(waiting) == [MessageKind.WAITLISTED, MessageKind.PROMOTED]

    def test_an_address_already_on_the_list_is_refused_and_nobody_is_emailed(self, ctx, organiser):
        event = make_event()
        existing = make_registration(event, email="ala@example.org")
        with pytest.raises(services.AlreadyRegistered):
            services.add_by_hand(event, make_applicant(email="ALA@example.org"), account=organiser)
        assert kinds_for(existing) == [MessageKind.CONFIRMED]

    def test_at_a_full_event_without_waitlist_an_address_on_the_list_is_said_so(
        self, ctx, organiser
    ):
        event = make_event(capacity=1, waitlist=False)
        make_registration(event, email="ala@example.org")
        with pytest.raises(services.AlreadyOnList):
            services.add_by_hand(event, make_applicant(email="ala@example.org"), account=organiser)
        with pytest.raises(services.EventFull):
            services.add_by_hand(event, make_applicant(email="ola@example.org"), account=organiser)

    def test_needs_the_recorded_consent(self, ctx, organiser):
        with pytest.raises(services.ConsentMissing):
            services.add_by_hand(make_event(), make_applicant(consent=False), account=organiser)


class TestConfirmingFromTheWaitlist:
    def test_a_full_event_refuses_and_nobody_changes(self, ctx, organiser):
        event = make_event(capacity=1)
        make_registration(event)
        waiting = make_registration(event)
        with pytest.raises(services.NoSeatFree):
            services.confirm_from_waitlist(waiting, account=organiser)
        assert isinstance(services.NoSeatFree(), services.EventFull)
        assert waiting.status == WAITLISTED
        assert confirmed_count(event) == 1

    def test_a_free_seat_goes_to_the_first_in_line_even_when_another_is_chosen(
        self, ctx, organiser
    ):
        """First come, first served: the organiser cannot let the second in line jump ahead."""
        event = make_event(capacity=1)
        make_registration(event)
        first, second = make_registration(event), make_registration(event)
        free_a_seat_behind_the_services_back(event)
        with pytest.raises(services.NoSeatFree):
            services.confirm_from_waitlist(second, account=organiser)
        assert (first.status, second.status) == (CONFIRMED, WAITLISTED)
        assert confirmed_count(event) == 2 == db.session.get(Event, event.id).capacity

    def test_confirms_when_the_persons_turn_has_come(self, ctx, organiser):
        event = make_event(capacity=1)
        make_registration(event)
        waiting = make_registration(event)
        free_a_seat_behind_the_services_back(event)
        assert services.confirm_from_waitlist(waiting, account=organiser).status == CONFIRMED
        assert kinds_for(waiting) == [MessageKind.WAITLISTED, MessageKind.PROMOTED]
        assert audit() == [("registration.confirm_from_waitlist", waiting.id)]

    def test_someone_confirmed_meanwhile_is_left_alone(self, ctx, organiser):
        registration = make_registration(make_event())
        assert services.confirm_from_waitlist(registration, account=organiser).status == CONFIRMED
        assert audit() == []

    def test_a_cancelled_registration_cannot_be_confirmed(self, ctx, organiser):
        registration = make_registration(make_event(capacity=0))
        services.cancel(registration)
        with pytest.raises(services.NotWaitlisted):
            services.confirm_from_waitlist(registration, account=organiser)


class TestMovingToTheWaitlist:
    def test_the_seat_goes_to_the_first_in_line_and_the_person_keeps_their_arrival_place(
        self, ctx, organiser
    ):
        event = make_event(capacity=2)
        early, holder = make_registration(event), make_registration(event)
        first, second = make_registration(event), make_registration(event)
        services.move_to_waitlist(holder, account=organiser)
        assert [r.status for r in (early, holder, first, second)] == [
            CONFIRMED,
            WAITLISTED,
            CONFIRMED,
            WAITLISTED,
        ]
        assert confirmed_count(event) == 2
        # The line is ordered by arrival: the moved person came before `second`.
        assert services.waitlist_position(holder) == 1
        assert services.waitlist_position(second) == 2
        assert kinds_for(first) == [MessageKind.WAITLISTED, MessageKind.PROMOTED]
        moved = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.registration_id == holder.id)
            .order_by(OutboxMessage.id)
        ).all()
        assert [(m.kind, m.context) for m in moved] == [
            (MessageKind.CONFIRMED, {}),
            (MessageKind.WAITLISTED, {"position": 1, "held_seat": True}),
        ]
        assert audit() == [("registration.move_to_waitlist", holder.id)]

    def test_with_nobody_waiting_the_move_is_refused(self, ctx, organiser):
        """The freed seat would go straight back to the same person."""
        event = make_event(capacity=2)
        holder = make_registration(event)
        with pytest.raises(services.NobodyWaiting):
            services.move_to_waitlist(holder, account=organiser)
        assert holder.status == CONFIRMED

    def test_a_checked_in_person_keeps_their_seat(self, ctx, organiser):
        event = make_event(capacity=1)
        holder = make_registration(event)
        make_registration(event)
        services.check_in(holder, account=organiser, other_day=True)
        with pytest.raises(services.AlreadyCheckedIn):
            services.move_to_waitlist(holder, account=organiser)

    def test_cancelled_registrations_cannot_be_moved(self, ctx, organiser):
        registration = make_registration(make_event())
        services.cancel(registration)
        with pytest.raises(services.NotConfirmed):
            services.move_to_waitlist(registration, account=organiser)


class TestCancellingOnBehalf:
    def test_cancels_promotes_the_first_in_line_and_tells_both(self, ctx, organiser):
        event = make_event(capacity=1)
        holder = make_registration(event)
        first, second = make_registration(event), make_registration(event)
        services.cancel_on_behalf(holder, account=organiser)
        services.cancel_on_behalf(holder, account=organiser)  # a second click changes nothing
        assert [r.status for r in (holder, first, second)] == [CANCELLED, CONFIRMED, WAITLISTED]
        assert kinds_for(holder) == [MessageKind.CONFIRMED, MessageKind.CANCELLED]
        assert kinds_for(first)[-1] == MessageKind.PROMOTED
        assert audit() == [("registration.cancel_on_behalf", holder.id)]

    def test_not_after_the_event_has_started(self, ctx, organiser):
        event = make_event()
        registration = make_registration(event)
        with pytest.raises(services.CancellationClosed):
            services.cancel_on_behalf(
                registration, account=organiser, now=event.starts_at + timedelta(minutes=1)
            )


class TestCheckingIn:
    def test_checks_in_a_confirmed_person_once(self, ctx, organiser):
        registration = make_registration(make_event())
        at = utcnow()
        services.check_in(registration, account=organiser, now=at, other_day=True)
        services.check_in(
            registration, account=organiser, now=at + timedelta(minutes=5), other_day=True
        )
        assert registration.checked_in_at == at
        assert audit() == [("registration.check_in", registration.id)]

    def test_only_confirmed_people_can_be_checked_in(self, ctx, organiser):
        event = make_event(capacity=1)
        make_registration(event)
        waiting, cancelled = make_registration(event), make_registration(event)
        services.cancel(cancelled)
        for registration in (waiting, cancelled):
            with pytest.raises(services.CheckInRefused):
                services.check_in(registration, account=organiser)
            assert registration.checked_in_at is None


class TestMessages:
    def test_queues_one_message_per_recipient_with_one_batch_key(self, ctx, organiser):
        event = make_event(capacity=2)
        confirmed = [make_registration(event), make_registration(event)]
        waiting = make_registration(event)
        services.cancel(make_registration(event))
        batch = services.message_attendees(
            event, subject="Zmiana sali", body="Sala 2.", recipients="confirmed", account=organiser
        )
        messages = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ORGANISER_MESSAGE)
        ).all()
        assert sorted(m.registration_id for m in messages) == sorted(r.id for r in confirmed)
        assert {m.context["batch"] for m in messages} == {batch}
        assert messages[0].context["organiser_subject"] == "Zmiana sali"
        both = services.message_attendees(
            event, subject="Hej", body="…", recipients="active", account=organiser
        )
        progress = queries.send_out_progress(event.id)
        assert progress == {
            batch: {"queued": 2, "sent": 0, "failed": 0},
            both: {"queued": 3, "sent": 0, "failed": 0},
        }
        assert (
            waiting.id
            in db.session.scalars(
                sa.select(OutboxMessage.registration_id).where(
                    OutboxMessage.context["batch"].as_string() == both
                )
            ).all()
        )

    def test_nobody_with_that_status_is_refused(self, ctx, organiser):
        event = make_event()
        make_registration(event)
        with pytest.raises(services.NoRecipients):
            services.message_attendees(
                event, subject="S", body="B", recipients="waitlisted", account=organiser
            )


def test_each_recipient_gets_the_message_alone_with_hostile_text_escaped(mail_app, smtp):
    with mail_app.app_context():
        organiser = make_account()
        event = make_event(capacity=5)
        make_registration(event, email="anna@example.org", language="en")
        make_registration(event, email="ben@example.org", language="en")
        batch = services.message_attendees(
            event,
            subject="Room change",
            body='We meet in room <b>2</b>.\n\n<script>alert("x")</script>',
            recipients="confirmed",
            account=organiser,
        )
        db.session.commit()
        deliver_due()
        assert queries.send_out_progress(event.id, batch)[batch]["sent"] == 2
    notes = [m for m in smtp.received if m["Subject"].startswith("Room change · ")]
    assert sorted(m["X-Envelope-To"] for m in notes) == ["anna@example.org", "ben@example.org"]
    for message in notes:
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "Room change" in text
        assert "We meet in room <b>2</b>." in text
        assert "&lt;script&gt;" in html
        assert "<script>" not in html
        other = {"anna@example.org", "ben@example.org"} - {message["X-Envelope-To"]}
        assert other.pop() not in message.as_string()


def test_migration_0005_admits_organiser_messages_and_goes_back(ctx):
    """Going down removes organiser messages, which the old constraint would refuse."""
    event = make_event()
    make_registration(event)
    services.message_attendees(
        event, subject="S", body="B", recipients="confirmed", account=make_account(password=None)
    )
    db.session.commit()
    downgrade(revision="0004_accounts")
    kinds = db.session.scalars(sa.select(OutboxMessage.kind)).all()
    assert kinds == [MessageKind.CONFIRMED]
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(OutboxMessage).values(kind=MessageKind.ORGANISER_MESSAGE.value)
        )
    db.session.rollback()
    upgrade()
    db.session.execute(sa.update(OutboxMessage).values(kind=MessageKind.ORGANISER_MESSAGE.value))
    db.session.commit()
    assert db.session.scalars(sa.select(OutboxMessage.status)).all() == [DeliveryStatus.QUEUED]
