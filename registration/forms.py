"""The base of every form in the project, and the checks their fields share."""

from __future__ import annotations

from flask import request
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.datastructures import MultiDict
from wtforms import Field
from wtforms.validators import Length, ValidationError

from registration import fields
from registration.email_addresses import is_email_address


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
