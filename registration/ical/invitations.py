"""Calendar invitations in emails (iMIP, RFC 6047): the seat as an entry in the person's calendar.

The invitation is the event's own VEVENT from ``feeds`` — the same UID and
SEQUENCE as every feed, so a client that has the event from a feed updates it
rather than showing it twice — plus what iTIP (RFC 5546) asks of a message:
``METHOD``, ``ORGANIZER`` (the event's contact address) and the one
``ATTENDEE`` it goes to, whose seat is taken (``PARTSTAT=ACCEPTED``), so no
reply is expected (``RSVP=FALSE``).

Who gets what: a confirmed seat (confirmation, promotion, a change of time or
place) gets ``REQUEST``; losing a seat (the person's cancellation, or the
event's) gets ``CANCEL``. A place on the waitlist gets nothing until it
becomes a seat, so a calendar never shows an event the person may not attend.

A ``REQUEST`` carries the seat's reminders, the day before and an hour before
(``feeds.reminders``), those whose moment is still to come when the message is
made: a calendar that takes the invitation rings for it.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, vCalAddress, vText

from registration.ical import feeds
from registration.notifications.messages import Invitation, one_line
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Registration, RegistrationStatus

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def for_message(message: OutboxMessage, *, base_url: str) -> Invitation | None:
    """The invitation an outbox message carries, or ``None``."""
    registration = message.registration
    method = _method(message, registration)
    if method is None:
        return None
    ics = invitation(registration, method=method, base_url=base_url, stamp=message.created_at)
    return Invitation(method=method, ics=ics)


def _method(message: OutboxMessage, registration: Registration) -> str | None:
    if message.kind in (MessageKind.CONFIRMED, MessageKind.PROMOTED):
        return REQUEST
    if message.kind == MessageKind.EVENT_CHANGED:
        return REQUEST if registration.status == RegistrationStatus.CONFIRMED else None
    if message.kind in (MessageKind.CANCELLED, MessageKind.WAITLISTED):
        # Only a seat was ever in the person's calendar, not a waitlist place; an
        # organiser moving someone from their seat to the waitlist withdraws it.
        return CANCEL if message.context.get("held_seat") else None
    if message.kind == MessageKind.EVENT_CANCELLED:
        return CANCEL if registration.status == RegistrationStatus.CONFIRMED else None
    return None


def invitation(registration: Registration, *, method: str, base_url: str, stamp: datetime) -> bytes:
    """iCalendar bytes with ``METHOD`` for one person's seat at one event."""
    event = registration.event
    component = feeds.vevent(
        event,
        base_url=base_url,
        # The event page, not the manage page: an entry in a calendar may be seen by others.
        url=feeds.link(base_url, "events.detail", event_id=event.id),
        status="CANCELLED" if method == CANCEL else None,
        online_url=registration.online_url,
        # A seat rings the day before and an hour before; a withdrawn one does not.
        reminders_after=stamp if method == REQUEST else None,
    )
    # In a message, DTSTAMP is when the message was made (RFC 5546, 2.1.5).
    component.pop("DTSTAMP")
    component.add("DTSTAMP", stamp)
    organizer = vCalAddress(f"mailto:{event.contact_email}")
    organizer.params["CN"] = vText("Koalicja Miast")
    component.add("ORGANIZER", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params.update(
        {
            "CN": vText(one_line(registration.full_name)),
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "ACCEPTED",
            "RSVP": "FALSE",
        }
    )
    component.add("ATTENDEE", attendee)
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", feeds.PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    calendar.add_component(feeds.vtimezone())
    calendar.add_component(component)
    return calendar.to_ical(sorted=False)
