"""JSON in and out: the Event object of docs/api.md, and request bodies as forms."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField

from registration.api.problems import NotJsonObject
from registration.data_controller import DataController, data_controller
from registration.domain_errors import InvalidInput
from registration.events.models import Event
from registration.fields import NOT_TEXT, TEXT_KINDS, Kind, Rule
from registration.forms import Form
from registration.i18n import WARSAW
from registration.links import absolute_url
from registration.registrations.forms import RegistrationForm
from registration.registrations.models import Registration
from registration.registrations.services import Availability, NewRegistration, allocation_state


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 with offset, in Warsaw time."""
    return value.astimezone(WARSAW).isoformat() if value is not None else None


def event_json(
    event: Event, seats: Availability, *, now: datetime, online_url: str | None = None
) -> dict:
    """The Event object.

    :param online_url: the meeting link of an online or hybrid event, for a reader who may
        have it (an organiser: ``event.online_url``; a registered person:
        ``Registration.online_url``); the public gets ``null``
    """
    return {
        "id": event.id,
        "slug": event.slug,
        "type": event.type.value,
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "language": str(event.language),
        "audience": event.audience,
        "cost": event.cost,
        "programme": event.programme,
        "practical_information": event.practical_information,
        "city": event.city.name,
        "venue": event.venue,
        "address": event.address,
        "online_url": online_url,
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
        "data_controller": _controller_json(data_controller(event)),
        "approval": event.approval,
        "institution_cap": event.institution_cap,
        "allocations": {allocation.city.slug: allocation.seats for allocation in event.allocations},
        "allocation_release_at": timestamp(event.allocations_release),
        **_allocations_left(event, now=now),
        "certificate_hours": event.certificate_hours,
        "url": absolute_url("events.detail", event_id=event.id),
        "ical_url": absolute_url("ical.event_file", event_id=event.id),
    }


def _allocations_left(event: Event, *, now: datetime) -> dict:
    """Seats left per coalition city and in the common pool while allocations hold."""
    state = allocation_state(event, now=now)
    if state is None or state.released:
        return {"allocations_left": None, "common_seats_left": None}
    return {
        "allocations_left": {share.city.slug: share.left for share in state.shares},
        "common_seats_left": state.common_left,
    }


def _controller_json(controller: DataController) -> dict:
    return {
        "key": controller.key,
        "name": controller.name,
        "address": controller.address,
        "email": controller.email,
        "phone": controller.phone or None,
        "dpo_email": controller.dpo_email,
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


def json_object(body: object) -> dict:
    """The request's JSON body, which must be an object.

    :raise NotJsonObject: no body, invalid JSON, or another kind of value
    """
    if not isinstance(body, dict):
        raise NotJsonObject
    return body


def registration_form(body: object) -> RegistrationForm:
    """A JSON body as the page's ``RegistrationForm``, validated.

    The API and the page validate with the same form, so they cannot disagree on
    what a valid registration is.

    :raise NotJsonObject: the body is not a JSON object
    :raise InvalidInput: a field is missing, of the wrong type, or breaks a rule
    """
    form = blank_registration_form()
    formdata, errors = _as_formdata(json_object(body), form)
    form.process(formdata)
    if not form.validate() or errors:
        raise InvalidInput({**form.errors, **errors})
    return form


def blank_registration_form() -> RegistrationForm:
    """The registration form with nothing in it: what its fields are and what they take."""
    return RegistrationForm(formdata=None, meta={"csrf": False})


def _as_formdata(body: dict, form: Form) -> tuple[MultiDict, dict[str, list[str]]]:
    """A JSON object as the form data a browser would send for ``form``, plus type errors:
    a checkbox is ``true`` or ``false`` in JSON, every other field text."""
    errors: dict[str, list[str]] = {}
    formdata = MultiDict()
    for field in form:
        value = body.get(field.name)
        if value is None:
            continue
        if isinstance(field, BooleanField):
            if value is True:
                formdata[field.name] = "y"
            elif not isinstance(value, bool):
                errors[field.name] = [_("Must be true.")]
        elif isinstance(value, str):
            formdata[field.name] = value
        else:
            errors[field.name] = [NOT_TEXT]
    return formdata, errors


def from_json(rule: Rule, value: object) -> object:
    """A JSON value as the services take it, by the kind of field it is for.

    :raise ValueError: the value has the wrong JSON type (its argument: the message)
    """
    if value is None and rule.nullable:
        return None
    if rule.kind in TEXT_KINDS:
        if not isinstance(value, str):
            raise ValueError(NOT_TEXT)
        return value
    if rule.kind == Kind.TIMESTAMP:
        return _timestamp(value)
    if rule.kind == Kind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_l("Enter a whole number."))
        return value
    if rule.kind == Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(_l("Must be true or false."))
        return value
    return value


def _timestamp(value: object) -> datetime:
    message = _l("Use a date and time with offset, e.g. 2027-03-10T10:00:00+01:00.")
    if not isinstance(value, str):
        raise ValueError(message)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(message) from None
    if moment.tzinfo is None:
        raise ValueError(message)
    return moment
