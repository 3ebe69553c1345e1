"""The event rules' refusals (``events.services`` raises them; names importable there)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registration.domain_errors import DomainError, InvalidInput
from registration.registrations import errors as seats


class EventError(DomainError):
    """An event operation said no; ``field`` names the input it is about, if one."""

    code = "invalid-event"
    status = 422
    title = _l("Event not saved")
    message = _l("The event could not be saved; check it and try again.")


class InvalidEvent(InvalidInput, EventError):
    """Input that breaks a rule; ``errors`` maps each field to its messages."""


class NotAllowed(EventError):
    """The account may not manage this event."""

    code = "forbidden"
    status = 403
    title = _l("Access denied")
    message = _l("You may not manage this event.")


class CityNotAllowed(NotAllowed):
    """An organiser tried to put an event into a city other than their own."""

    field = "city"
    message = _l("You may create and edit events only in your own city.")


class CapacityBelowConfirmed(seats.CapacityBelowConfirmed, EventError):
    """Fewer seats than confirmed registrations: the seat rule, said about the field."""

    field = "capacity"
