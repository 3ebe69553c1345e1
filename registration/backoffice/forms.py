"""Back-office forms: the shape of what organisers send; the rules are the services'."""

from __future__ import annotations

from datetime import datetime

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FieldList,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from registration.accounts.models import Account
from registration.data_controller import controllers
from registration.events.models import City, Event, EventLanguage
from registration.events.services import (
    ALLOCATIONS,
    EVENT_FIELDS,
    MAX_CAPACITY,
    cities_for,
    coalition_cities,
)
from registration.fields import ONE_LINE_KINDS, Kind
from registration.forms import Form, WarsawDateTimeField, strip
from registration.labels import EVENT_TYPES, LANGUAGES

#: Everything but the status, which has buttons of its own (publish, cancel).
_FIELDS = tuple(name for name in EVENT_FIELDS if name != "status")
_TIMESTAMPS = tuple(name for name in _FIELDS if EVENT_FIELDS[name].kind == Kind.TIMESTAMP)
#: Texts left empty are empty, not missing.
_OPTIONAL_TEXTS = (
    "summary",
    "description",
    "audience",
    "cost",
    "programme",
    "practical_information",
)


def _city_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _controller_choices(cities) -> list[SelectChoice]:
    """The controllers an account's events may name: its cities' bodies, then the
    coordinator; first, the default, which follows the event's city."""
    configured = controllers()
    choices = [SelectChoice("", _l("The city's own, or else the coordinator"))]
    for city in cities:
        for controller in configured.choices_for(city)[:-1]:
            choices.append(SelectChoice(controller.key, f"{controller.name} ({city.name})"))
    coordinator = configured.coordinator
    choices.append(
        SelectChoice(coordinator.key, _l("%(name)s (coordinator)", name=coordinator.name))
    )
    return choices


def _warsaw_time(label) -> WarsawDateTimeField:
    # Left empty it is None, and the service says whether it may be.
    return WarsawDateTimeField(label, validators=[Optional()])


class EventForm(Form):
    """An event as the organiser types it; ``event_fields()`` hands it to ``events.services``.

    The form only reads the input: choices, dates and numbers. Whether the event
    may be so (required fields, lengths, ranges, the order of times) is checked
    by ``events.services`` alone, for this form and the API alike; its messages
    appear next to the fields here. The inputs are marked required and given
    their lengths from the same rules.
    """

    type = SelectField(
        _l("Type"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(code, label) for code, label in EVENT_TYPES.items()],
        validate_choice=False,  # validate_type says it in our words
        validators=[Optional()],
    )
    title = StringField(_l("Title"), filters=[strip])
    summary = StringField(_l("Summary (optional)"), filters=[strip])
    description = TextAreaField(
        _l("Description (optional)"), filters=[strip], render_kw={"rows": 18}
    )
    language = SelectField(
        _l("Language of the event"),
        choices=[SelectChoice(code, label) for code, label in LANGUAGES.items()],
        validate_choice=False,  # the service names the languages it takes
        validators=[Optional()],
    )
    audience = StringField(_l("Who may take part (optional)"), filters=[strip])
    cost = StringField(_l("Cost (optional)"), filters=[strip])
    programme = TextAreaField(
        _l("Programme (optional)"), filters=[strip], render_kw={"rows": 10, "spellcheck": "false"}
    )
    practical_information = TextAreaField(
        _l("Practical information (optional)"), filters=[strip], render_kw={"rows": 6}
    )
    city = SelectField(
        _l("City"),
        coerce=_city_id,
        validate_choice=False,  # validate_city: only the cities this account may use
        validators=[Optional()],
    )
    venue = StringField(_l("Venue name"), filters=[strip])
    address = StringField(_l("Address"), filters=[strip])
    online_url = URLField(_l("Link for online participation (optional)"), filters=[strip])
    starts_at = _warsaw_time(_l("Starts"))
    ends_at = _warsaw_time(_l("Ends"))
    capacity = IntegerField(
        _l("Number of seats"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a whole number."),
        render_kw={"inputmode": "numeric"},
    )
    waitlist = BooleanField(_l("Keep a waitlist when every seat is taken"))
    approval = BooleanField(_l("Approve each registration: until then it holds no seat"))
    institution_cap = IntegerField(
        _l("Most people from one institution (optional)"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a whole number."),
        render_kw={"inputmode": "numeric"},
    )
    #: Seats kept per coalition city, one input each in ``coalition_cities`` order.
    allocations = FieldList(
        IntegerField(
            validators=[
                Optional(),
                NumberRange(0, MAX_CAPACITY, _l("Enter a whole number of seats, 0 or more.")),
            ],
            invalid_value_message=_l("Enter a whole number."),
            render_kw={"inputmode": "numeric"},
        )
    )
    allocation_release_at = _warsaw_time(_l("When the allocations are released (optional)"))
    registration_opens_at = _warsaw_time(_l("Registration opens (optional)"))
    registration_closes_at = _warsaw_time(_l("Registration closes (optional)"))
    contact_email = EmailField(
        _l("Contact email address"), filters=[strip], render_kw={"autocomplete": "email"}
    )
    certificate_hours = IntegerField(
        _l("Hours on the certificates of attendance (optional)"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a whole number."),
        render_kw={"inputmode": "numeric"},
    )
    data_controller = SelectField(
        _l("Controller of the participants' personal data"),
        validate_choice=False,  # the service checks it against the event's city
        validators=[Optional()],
    )

    def __init__(self, *args, account: Account, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The inputs say what the service will check (``events.services.EVENT_FIELDS``).
        for name in _FIELDS:
            rule = EVENT_FIELDS[name]
            if rule.required:
                self[name].flags.required = True
            if rule.kind in ONE_LINE_KINDS:
                self[name].flags.maxlength = rule.max_length
            if rule.minimum is not None:
                self[name].flags.min = rule.minimum
        self._cities = {city.id: city for city in cities_for(account)}
        choices = [SelectChoice(city.id, city.name) for city in self._cities.values()]
        if len(choices) != 1:
            choices.insert(0, SelectChoice("", _l("Choose…")))
        self.city.choices = choices
        self.data_controller.choices = _controller_choices(self._cities.values())
        self._coalition = coalition_cities()
        while len(self.allocations) < len(self._coalition):
            self.allocations.append_entry()
        for city, entry in self.allocation_inputs():
            entry.label.text = city.name

    @classmethod
    def for_new_event(cls, account: Account) -> EventForm:
        """An empty form with sensible defaults: the organiser's city and address, a waitlist."""
        return cls(
            account=account,
            data={
                "city": account.city_id,
                "contact_email": account.email,
                "waitlist": True,
                "language": EventLanguage.POLISH.value,
            },
        )

    @classmethod
    def for_event(cls, event: Event, account: Account) -> EventForm:
        """The form filled in with the event as it is."""
        data = {name: getattr(event, name) for name in _FIELDS}
        kept = {allocation.city_id: allocation.seats for allocation in event.allocations}
        data[ALLOCATIONS] = [kept.get(city.id) for city in coalition_cities()]
        data.update(
            type=event.type.value,
            city=event.city_id,
            online_url=event.online_url or "",
            language=str(event.language),
        )
        return cls(account=account, data=data)

    def validate_type(self, field: SelectField) -> None:
        if field.data not in EVENT_TYPES:
            raise ValidationError(_l("Choose one of the options."))

    def validate_allocations(self, field: FieldList) -> None:
        # The inputs are read by their place in the list (WTForms numbers them afresh),
        # so a request must send every city's, as the page does.
        sent = self._allocations_sent()
        if sent and sent != {f"{field.name}-{index}" for index in range(len(self._coalition))}:
            # Plain text, not lazy: the page tells the list's own messages from its
            # inputs' (lists of messages) by their being strings.
            raise ValidationError(gettext("Enter the seats kept for every city (0 for none)."))

    def validate_city(self, field: SelectField) -> None:
        if field.data not in self._cities:
            raise ValidationError(_l("Choose one of the options."))

    def event_fields(self, event: Event | None = None) -> dict:
        """What the organiser typed, for ``create_event`` or ``update_event``.

        :param event: the event being edited: a time shown to the minute and sent
            back unchanged keeps its seconds, so that saving moves nothing.
        """
        values = {name: self[name].data for name in _FIELDS}
        values["type"] = values["type"] or None
        values["city"] = self._cities.get(self.city.data)
        for name in _OPTIONAL_TEXTS:
            values[name] = values[name] or ""
        if not values["language"]:
            del values["language"]  # not sent: the event's as it is, Polish for a new one
        for name in _TIMESTAMPS:
            old = getattr(event, name) if event is not None else None
            if old is not None and values[name] == _to_the_minute(old):
                values[name] = old
        if event is not None and event.allocations_released_at is not None:
            del values["allocation_release_at"]  # history now: shown, not sent
        elif self._allocations_sent():  # none sent: left as they are
            values[ALLOCATIONS] = {
                city.slug: entry.data or 0 for city, entry in self.allocation_inputs()
            }
        return values

    def _allocations_sent(self) -> set[str]:
        return {key for key in request.form if key.startswith(f"{self.allocations.name}-")}

    def allocation_inputs(self) -> list[tuple[City, Field]]:
        """Each coalition city with its input, in the list's order."""
        return list(zip(self._coalition, self.allocations, strict=False))

    def show_error(self, field: str | None, message) -> None:
        """Put a message from the service next to its field (or above the form)."""
        if field in self._fields and field != "csrf_token":
            self[field].errors = [*self[field].errors, message]
        else:
            self.form_errors.append(message)


def _to_the_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
