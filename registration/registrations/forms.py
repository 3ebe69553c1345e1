"""The registration form: the shape of what a person sends, for the page and the API alike.

The form checks shape (present, long enough, an email address); the rules of
seats and windows are the service's.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from registration.forms import Form
from registration.labels import CATEGORIES
from registration.registrations.models import Category
from registration.registrations.services import Applicant

REQUIRED = _l("This field is required.")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]")


def _one_line(form: Form, field) -> None:
    """Names and addresses go into email headers and calendars: no line breaks there."""
    if field.data and (_CONTROL_CHARACTERS.search(field.data) or _LINE_BREAKS.search(field.data)):
        raise ValidationError(_l("Use a single line without special characters."))


def _printable(form: Form, field) -> None:
    if field.data and _CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(_l("Remove the special characters."))


def _too_long(limit: int):
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))


class RegistrationForm(Form):
    name = StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[DataRequired(REQUIRED), _too_long(200), _one_line],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            DataRequired(REQUIRED),
            _too_long(254),
            _one_line,
            Email(_l("Enter a valid email address, e.g. name@example.org.")),
        ],
        render_kw={"autocomplete": "email"},
    )
    institution = StringField(
        _l("Institution"),
        filters=[_strip],
        validators=[DataRequired(REQUIRED), _too_long(200), _one_line],
        render_kw={"autocomplete": "organization"},
    )
    position = StringField(
        _l("Position (optional)"),
        filters=[_strip],
        validators=[Optional(), _too_long(200), _one_line],
        render_kw={"autocomplete": "organization-title"},
    )
    category = SelectField(
        _l("You are"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(code, label) for code, label in CATEGORIES.items()],
        validate_choice=False,  # validate_category says it in our words
        validators=[InputRequired(REQUIRED)],
    )
    city = StringField(
        _l("City you work in"),
        filters=[_strip],
        validators=[DataRequired(REQUIRED), _too_long(100), _one_line],
        render_kw={"autocomplete": "address-level2"},
    )
    needs = TextAreaField(
        _l("Accessibility or dietary needs (optional)"),
        filters=[_strip],
        validators=[Optional(), _too_long(1000), _printable],
    )
    consent = BooleanField(
        _l(
            "I agree to the processing of my personal data by the Strefa Kultury Wrocław "
            "office for registration and for organising this event."
        ),
        validators=[DataRequired(_l("Registration needs your consent."))],
    )

    def validate_category(self, field: SelectField) -> None:
        if field.data not in Category._value2member_map_:
            raise ValidationError(_l("Choose one of the options."))

    def applicant(self, language: str) -> Applicant:
        """What the person told us, for ``services.register``."""
        return Applicant(
            name=self.name.data,
            email=self.email.data,
            institution=self.institution.data,
            position=self.position.data,
            category=Category(self.category.data),
            city=self.city.data,
            needs=self.needs.data,
            consent=bool(self.consent.data),
            language=language,
        )
