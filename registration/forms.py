"""The base of every form in the project, and the checks their fields share."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import request
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.datastructures import MultiDict
from wtforms import Field
from wtforms.validators import Length, ValidationError
from wtforms.widgets import TextInput

from registration import fields
from registration.email_addresses import is_email_address
from registration.i18n import WARSAW


class Form(FlaskForm):
    """A form that reads the submitted form fields, and nothing else.

    Flask-WTF also hands a form ``request.files`` and a JSON body; none of ours
    takes either. A file part sent in a text field used to reach the validators as
    a ``FileStorage`` (and ``Length`` failed on it with a 500), a JSON body as
    whatever values it had. Read as form fields only, such a field is simply
    missing, and the usual "required" message says so.
    """

    class Meta:
        def wrap_formdata(self, form: FlaskForm, formdata: object) -> MultiDict | None:
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # the caller's own (the API passes its JSON so), or none
            # Otherwise Flask-WTF would read the request: its form fields only, then.
            return request.form if form.is_submitted() and request.form else None


def strip(value: str | None) -> str | None:
    """A filter: the text without the spaces around it."""
    return value.strip() if isinstance(value, str) else value


class _Check:
    """A field check whose message a form may word for its field ("Wpisz imię i nazwisko
    w jednym wierszu"); without one it says the project's general message."""

    default: LazyString

    def __init__(self, message: LazyString | str | None = None) -> None:
        self.message = message or self.default

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data and not self.accepts(field.data):
            raise ValidationError(self.message)

    def accepts(self, value: str) -> bool:
        raise NotImplementedError


class OneLine(_Check):
    """Names and addresses go into email headers and calendars: no line breaks there."""

    default = fields.NOT_ONE_LINE

    def accepts(self, value: str) -> bool:
        return fields.is_one_line(value)


class Printable(_Check):
    default = fields.NOT_PRINTABLE

    def accepts(self, value: str) -> bool:
        return fields.is_printable(value)


class EmailAddress(_Check):
    """The project's one address check (``registration.email_addresses``)."""

    default = fields.NOT_AN_EMAIL_ADDRESS

    def accepts(self, value: str) -> bool:
        return is_email_address(value)


one_line = OneLine()
printable = Printable()
email_address = EmailAddress()


def at_most(limit: int, message: LazyString | str | None = None) -> Length:
    """At most ``limit`` characters; the input says so too (``maxlength``).

    :param message: what to say instead of the general "At most … characters"
        (it may name ``%(max)d``)
    """
    return Length(max=limit, message=message or fields.too_long(limit))


def fits(column: InstrumentedAttribute, message: LazyString | str | None = None) -> Length:
    """No longer than ``column`` holds (``fields.max_length``)."""
    return at_most(fields.max_length(column), message)


#: How dates are shown in forms, whatever the browser's language: the way Polish offices
#: write them. A ``date`` or ``datetime-local`` input would show the browser's own order
#: instead (03/10/2027 in an English browser), which an organiser misreads. Slashes are
#: not read either: 03/04/2027 is a different day to an American.
SHOWN_DATE = "%d.%m.%Y"
SHOWN_DATETIME = "%d.%m.%Y %H:%M"
_POLISH_DATE = r"(?P<day>\d{1,2})\s*[.-]\s*(?P<month>\d{1,2})\s*[.-]\s*(?P<year>\d{4})"
#: ISO 8601, as date pickers of earlier versions and scripts send it.
_ISO_DATE = r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_POLISH_DATETIME = re.compile(
    _POLISH_DATE + r"(?:\s*(?:,|\s|r\.)\s*(?P<hour>\d{1,2})\s*[:.]\s*(?P<minute>\d{2}))?"
)
_ISO_DATETIME = re.compile(
    _ISO_DATE + r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)


def read_date(typed: str) -> date | None:
    """The day in ``10.03.2027`` (also ``10-03-2027``, ``10.3.2027``, ISO ``2027-03-10``),
    or ``None`` when the text is no such date."""
    typed = " ".join(typed.split())
    found = re.fullmatch(_POLISH_DATE, typed) or re.fullmatch(_ISO_DATE, typed)
    if found is None:
        return None
    try:
        return date(int(found["year"]), int(found["month"]), int(found["day"]))
    except ValueError:
        return None


def day_argument(name: str, errors: dict[str, str]) -> date | None:
    """The day in the query argument ``name`` (a filter's first or last day), or ``None``
    when it is empty; a day that does not read goes into ``errors`` under ``name``."""
    typed = request.args.get(name, "").strip()
    if not typed:
        return None
    day = read_date(typed)
    if day is None or not 2000 <= day.year <= 9998:
        errors[name] = str(fields.NOT_A_DATE)
        return None
    return day


class PolishDateField(Field):
    """A day typed as a Polish date (``10.03.2027``); ``data`` is a ``date`` or ``None``."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        kwargs.setdefault("render_kw", {}).update(
            {"autocomplete": "off", "spellcheck": "false", "size": 12}
        )
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime(SHOWN_DATE) if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list) -> None:
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            self.data = read_date(str(valuelist[0]))
            if self.data is None:
                raise ValueError(fields.NOT_A_DATE)


class WarsawDateTimeField(Field):
    """A date and time typed as a Polish date (``10.03.2027 09:30``) and read as Warsaw
    time; ``data`` is timezone-aware, or ``None`` when left empty.

    Also read: ``10.03.2027, 9.30``, ``10-03-2027 09:30`` and ISO ``2027-03-10T09:30``.
    A date without its time is refused rather than guessed at midnight.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, invalid_message=None, **kwargs) -> None:
        kwargs.setdefault("render_kw", {}).update(
            {"autocomplete": "off", "spellcheck": "false", "size": 18}
        )
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message or fields.NOT_A_DATETIME
        self.missing_time = False

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, datetime):
            return self.data.astimezone(WARSAW).strftime(SHOWN_DATETIME)
        return ""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        typed = " ".join(str(valuelist[0]).split())
        found = _POLISH_DATETIME.fullmatch(typed) or _ISO_DATETIME.fullmatch(typed)
        self.data = None
        if found is None:
            raise ValueError(self.invalid_message)
        if found["hour"] is None:
            raise ValueError(fields.DATETIME_WITHOUT_TIME)
        parts = found.groupdict()
        try:
            self.data = datetime(
                int(parts["year"]),
                int(parts["month"]),
                int(parts["day"]),
                int(parts["hour"]),
                int(parts["minute"]),
                int(parts.get("second") or 0),
                tzinfo=WARSAW,
            )
        except ValueError:
            raise ValueError(self.invalid_message) from None
