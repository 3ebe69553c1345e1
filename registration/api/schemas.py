"""JSON in and out: the Event object of SPEC section 5, and request bodies as forms."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from registration.events.models import Event
from registration.links import absolute_url
from registration.registrations.models import Registration
from registration.registrations.services import Availability, NewRegistration

WARSAW = ZoneInfo("Europe/Warsaw")


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 with offset, in Warsaw time."""
    return value.astimezone(WARSAW).isoformat() if value is not None else None


def event_json(event: Event, seats: Availability, *, now: datetime) -> dict:
    return {
        "id": event.id,
        "slug": event.slug,
        "type": event.type.value,
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "city": event.city.name,
        "venue": event.venue,
        "address": event.address,
        "online_url": event.online_url,
        "starts_at": timestamp(event.starts_at),
        "ends_at": timestamp(event.ends_at),
        "capacity": event.capacity,
        "waitlist": event.waitlist,
        "seats_left": seats.seats_left,
        "waitlist_length": seats.waitlisted,
        "registration_opens_at": timestamp(event.registration_opens_at),
        "registration_closes_at": timestamp(event.registration_closes),
        "registration_open": event.registration_open(now),
        "status": event.status.value,
        "contact_email": event.contact_email,
        "url": absolute_url("events.detail", event_id=event.id),
        "ical_url": absolute_url("ical.event_file", event_id=event.id),
    }


def registration_json(
    registration: Registration | NewRegistration, waitlist_position: int | None
) -> dict:
    """What the holder of a manage link may see about their registration."""
    return {
        "id": registration.id,
        "status": registration.status.value,
        "waitlist_position": waitlist_position,
        "manage_url": absolute_url("registrations.manage", token=registration.token),
    }


#: Fields of a registration request, and whether JSON must give them as strings.
REGISTRATION_TEXT_FIELDS = ("name", "email", "institution", "position", "category", "city", "needs")


def registration_formdata(body: dict) -> tuple[MultiDict, dict[str, list[str]]]:
    """Turn a JSON body into form data for ``RegistrationForm``, plus type errors.

    The API and the page validate with the same form, so they cannot disagree on
    what a valid registration is.
    """
    errors: dict[str, list[str]] = {}
    formdata = MultiDict()
    for field in REGISTRATION_TEXT_FIELDS:
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[field] = [_("Must be text.")]
            continue
        formdata[field] = value
    consent = body.get("consent")
    if consent is True:
        formdata["consent"] = "y"
    elif consent is not None and not isinstance(consent, bool):
        errors["consent"] = [_("Must be true.")]
    return formdata, errors
