"""The seat rules' refusals (``registrations.services`` raises them; names importable there).

Each ``code`` is part of the API: clients read the problem ``type`` that ends in it
(``/registration-closed``, ``/event-full``, ``/already-registered`` …). Subclasses
that refine a message for organisers keep their parent's code and title.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registration.domain_errors import DomainError


class RegistrationError(DomainError):
    """A seat rule said no."""

    code = "registration-error"
    #: A conflict with the event as it is now (its window, its seats, the list).
    status = 409
    title = _l("Registration not possible")
    message = _l("The registration could not be completed; please try again.")


class RegistrationClosed(RegistrationError):
    code = "registration-closed"
    title = _l("Registration closed")
    message = _l("Registration for this event is closed.")


class EventNotFound(RegistrationClosed):
    """No such event, or a draft: nobody may register, and the public may not learn which,
    so it is answered as any unknown address is (``registration.errors``)."""

    code = "not-found"
    status = 404
    title = _l("Not found")


class EventFull(RegistrationError):
    code = "event-full"
    title = _l("Event full")
    message = _l("This event is full and has no waitlist.")


class AlreadyRegistered(RegistrationError):
    """The address already holds a seat or a place; its manage link went to that address."""

    code = "already-registered"
    title = _l("Already registered")
    message = _l(
        "This email address is already registered for this event. "
        "We have sent the link to manage that registration to it."
    )


class ConsentMissing(RegistrationError):
    code = "consent-required"
    status = 422
    title = _l("Consent required")
    message = _l("Registration needs your consent to the processing of your data.")


class CancellationClosed(RegistrationError):
    code = "cancellation-closed"
    title = _l("Cancellation closed")
    message = _l("This event has already started; the registration can no longer be cancelled.")


class DetailsClosed(RegistrationError):
    code = "details-closed"
    title = _l("Details cannot be changed")
    message = _l(
        "The details of this registration can no longer be changed: it is cancelled, "
        "or the event is over or cancelled."
    )


class CapacityBelowConfirmed(RegistrationError):
    code = "capacity-below-confirmed"
    title = _l("Too few seats")
    message = _l("Capacity cannot be lower than the number of confirmed seats.")


# --- Refusals of the organiser's hand (see the comment above ``services.add_by_hand``)


class SeatsClosed(RegistrationClosed):
    message = _l("Seats can be changed only for a published event that has not ended.")


class AlreadyOnList(AlreadyRegistered):
    """An organiser adds an address that is already on the list; nobody is emailed."""

    message = _l("This email address already has a seat or a place on the waitlist of this event.")


class NoSeatFree(EventFull):
    message = _l(
        "No seat is free for this person. Seats go to the waitlist in order of "
        "registration; raise the capacity to confirm more people."
    )


class NotWaitlisted(RegistrationError):
    code = "not-waitlisted"
    title = _l("Not on the waitlist")
    message = _l("Only a person on the waitlist can be confirmed from it.")


class NotConfirmed(RegistrationError):
    code = "not-confirmed"
    title = _l("No confirmed seat")
    message = _l("Only a person with a confirmed seat can be moved to the waitlist.")


class CheckInRefused(NotConfirmed):
    message = _l("Only a person with a confirmed seat can be checked in.")


class NotAnEventDay(RegistrationError):
    """A check-in on a day the event does not take place: likely the wrong event, or a
    mistaken tap; the organiser confirms it to go ahead (``services.check_in``)."""

    code = "not-an-event-day"
    title = _l("Not a day of the event")
    message = _l(
        "The event does not take place today. Check the person in only if you are sure "
        "they are here for it."
    )


class NobodyWaiting(RegistrationError):
    code = "nobody-waiting"
    title = _l("Nobody waiting")
    message = _l("Nobody is on the waitlist, so the seat would go straight back to this person.")


class AlreadyCheckedIn(RegistrationError):
    code = "already-checked-in"
    title = _l("Already checked in")
    message = _l("This person has already checked in; their seat cannot be given away.")


class NoRecipients(RegistrationError):
    code = "no-recipients"
    title = _l("No recipients")
    message = _l("Nobody on the list has that status, so no message was sent.")


class RecipientsChanged(RegistrationError):
    """The list changed between the preview and the confirmation: the count shown was wrong."""

    code = "recipients-changed"
    title = _l("Recipients changed")
    message = _l(
        "The number of recipients has changed since the preview. "
        "Check the new number and confirm again."
    )

    def __init__(self, count: int) -> None:
        super().__init__()
        #: How many people the message would go to now.
        self.count = count


class NothingToResend(RegistrationError):
    code = "nothing-to-resend"
    title = _l("Nothing to resend")
    message = _l(
        "This email is no longer the person's last one, or it is still waiting to be sent, "
        "so no copy was queued."
    )


class ResendRefused(RegistrationError):
    code = "resend-refused"
    title = _l("Cannot be resent")
    message = _l(
        "This email cannot be sent again: the reminder and the certificate go once only, "
        "and an anonymised registration has no address."
    )


class InstitutionCapReached(RegistrationError):
    """The event takes at most ``institution_cap`` people from one institution."""

    code = "institution-cap-reached"
    title = _l("Institution limit reached")
    message = _l(
        "The organisers take a limited number of people from each institution, and your "
        "institution has already reached it for this event. If you think that is a mistake, "
        "please write to the organisers."
    )


class UnknownHomeCity(RegistrationError):
    code = "unknown-home-city"
    status = 422
    title = _l("Unknown city")
    message = _l("Choose one of the coalition's cities, or another city.")


class NotPending(RegistrationError):
    """Only a request that waits for a decision can be approved or rejected."""

    code = "not-pending"
    title = _l("Nothing to decide")
    message = _l("This registration is not waiting for approval.")


class AllocationsTooLarge(RegistrationError):
    code = "allocations-too-large"
    status = 422
    title = _l("Too many seats allocated")
    message = _l("The cities' allocations together cannot exceed the event's capacity.")


class AllocationsReleased(RegistrationError):
    code = "allocations-released"
    title = _l("Allocations already released")
    message = _l(
        "The cities' allocations have already been released into the common pool "
        "and can no longer be changed."
    )
