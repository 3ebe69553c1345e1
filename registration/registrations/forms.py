"""The registration form: the shape of what a person sends, for the page and the API alike.

The form checks shape (present, not too long, an email address); the rules of
seats and windows are the service's. Each limit is the column's that keeps the value.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from registration.fields import REQUIRED
from registration.forms import Form, email_address, fits, one_line, printable, strip
from registration.labels import CATEGORIES
from registration.registrations.models import Category, Registration
from registration.registrations.services import Applicant


class RegistrationForm(Form):
    name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), fits(Registration.full_name), one_line],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[
            DataRequired(REQUIRED),
            fits(Registration.email),
            one_line,
            email_address,
        ],
        render_kw={"autocomplete": "email"},
    )
    institution = StringField(
        _l("Institution"),
        filters=[strip],
        validators=[
            DataRequired(REQUIRED),
            fits(Registration.institution),
            one_line,
        ],
        render_kw={"autocomplete": "organization"},
    )
    position = StringField(
        _l("Position (optional)"),
        filters=[strip],
        validators=[Optional(), fits(Registration.position), one_line],
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
        filters=[strip],
        validators=[DataRequired(REQUIRED), fits(Registration.city), one_line],
        render_kw={"autocomplete": "address-level2"},
    )
    needs = TextAreaField(
        _l("Accessibility or dietary needs (optional)"),
        filters=[strip],
        validators=[Optional(), fits(Registration.needs), printable],
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
