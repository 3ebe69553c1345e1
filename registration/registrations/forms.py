"""The registration form: the shape of what a person sends, for the page and the API alike.

The form checks shape (present, not too long, an email address); the rules of
seats and windows are the service's. Each limit is the column's that keeps the value.

Every message names its field and says what to do ("Enter your full name", not
"This field is required"), as the GOV.UK Design System's error messages do: the
error summary above the form lists them on their own, away from the labels.
Each field is made by one function, so that the registration form and the form
that corrects the details ask the same question and say the same when it fails.
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
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from registration.data_controller import DataController
from registration.events.models import City
from registration.forms import EmailAddress, Form, OneLine, Printable, fits, strip
from registration.labels import CATEGORIES
from registration.registrations.coalition import OTHER_CITY
from registration.registrations.models import Category, Registration
from registration.registrations.services import Applicant, Details

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")

#: The languages a person may get their emails in.
LANGUAGES = [SelectChoice("pl", "Polski"), SelectChoice("en", "English")]


def _full_name() -> StringField:
    return StringField(
        _l("Full name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your full name")),
            fits(Registration.full_name, _l("Full name must be %(max)d characters or fewer")),
            OneLine(_l("Enter your full name on one line, without special characters")),
        ],
        render_kw={"autocomplete": "name"},
    )


def _email_address(when_missing: str) -> EmailField:
    """The address field of the registration and lost-link forms: ``when_missing`` says
    what to enter there."""
    return EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[
            DataRequired(when_missing),
            fits(Registration.email, _l("Email address must be %(max)d characters or fewer")),
            EmailAddress(
                _l("Enter an email address in the correct format, like jan.kowalski@example.org")
            ),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _institution() -> StringField:
    return StringField(
        _l("Institution"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the name of your institution")),
            fits(
                Registration.institution,
                _l("The institution's name must be %(max)d characters or fewer"),
            ),
            OneLine(_l("Enter the institution's name on one line, without special characters")),
        ],
        render_kw={"autocomplete": "organization"},
    )


def _position() -> StringField:
    return StringField(
        _l("Position (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            fits(Registration.position, _l("Position must be %(max)d characters or fewer")),
            OneLine(_l("Enter your position on one line, without special characters")),
        ],
        render_kw={"autocomplete": "organization-title"},
    )


def _needs() -> TextAreaField:
    return TextAreaField(
        _l("Accessibility or dietary needs (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            fits(Registration.needs, _l("Describe your needs in %(max)d characters or fewer")),
            Printable(_l("Remove the special characters from your needs")),
        ],
    )


class RegistrationForm(Form):
    name = _full_name()
    email = _email_address(_l("Enter your email address, like jan.kowalski@example.org"))
    institution = _institution()
    position = _position()
    category = SelectField(
        _l("You are"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(code, label) for code, label in CATEGORIES.items()],
        validate_choice=False,  # validate_category says it in our words
        validators=[InputRequired(_l("Choose what describes you best"))],
    )
    #: A coalition city's slug or ``OTHER_CITY``; the choices come from ``offer_home_cities``.
    #: A client that does not send it (an older API client) is taken at its ``city``.
    home_city = SelectField(_l("City you work for"), choices=[], validate_choice=False)
    #: Required for another city; for a coalition city, its name is taken when left empty.
    city = StringField(
        _l("City you work in"),
        filters=[strip],
        validators=[
            fits(Registration.city, _l("City must be %(max)d characters or fewer")),
            OneLine(_l("Enter the city on one line, without special characters")),
        ],
        render_kw={"autocomplete": "address-level2"},
    )
    needs = _needs()
    #: Labelled with the event's controller by ``name_the_controller``.
    consent = BooleanField(
        _l("I agree to the processing of my personal data."),
        validators=[
            DataRequired(
                _l(
                    "Tick the box to agree to the processing of your data: "
                    "we cannot register you without it"
                )
            )
        ],
    )

    def validate_category(self, field: SelectField) -> None:
        if field.data not in Category._value2member_map_:
            raise ValidationError(_l("Choose what describes you best"))

    def validate_home_city(self, field: SelectField) -> None:
        # Whether the slug names a coalition city is the service's to say: validating
        # asks the database nothing (on SQLite the first query takes the write lock).
        if field.raw_data and not _SLUG.fullmatch(field.data or ""):
            raise ValidationError(_l("Choose the city you work for"))

    def validate_city(self, field: StringField) -> None:
        if not field.data and (not self.home_city.raw_data or self.home_city.data == OTHER_CITY):
            raise ValidationError(_l("Enter the city you work in"))

    def offer_home_cities(self, cities: list[City]) -> None:
        """The coalition's cities to choose from, then "another city"."""
        self.home_city.choices = [
            SelectChoice("", _l("Choose…")),
            *(SelectChoice(city.slug, city.name) for city in cities),
            SelectChoice(OTHER_CITY, _l("Another city")),
        ]

    def name_the_controller(self, controller: DataController) -> None:
        """Say whom the person consents to: the event's controller (the clause beside
        the box says who that is and why)."""
        self.consent.label.text = _l(
            "I agree that %(controller)s, the data controller, may process my personal data, "
            "including any needs I describe, to register me for this event and to organise it.",
            controller=controller.name,
        )

    def applicant(self, language: str) -> Applicant:
        """What the person told us, for ``services.register``."""
        return Applicant(
            name=self.name.data,
            email=self.email.data,
            institution=self.institution.data,
            position=self.position.data,
            category=Category(self.category.data),
            city=self.city.data or "",
            needs=self.needs.data,
            consent=bool(self.consent.data),
            language=language,
            home_city=self.home_city.data if self.home_city.raw_data else None,
        )


class DetailsForm(Form):
    """What a registered person may correct on their manage page; not the address,
    which is who the registration belongs to."""

    name = _full_name()
    institution = _institution()
    position = _position()
    needs = _needs()
    language = SelectField(
        _l("Language of the emails"),
        choices=LANGUAGES,
        validate_choice=False,  # validate_language says it in our words
    )

    @classmethod
    def for_registration(cls, registration: Registration) -> DetailsForm:
        """The form filled in with what the person gave (a submitted form reads the request)."""
        return cls(
            data={
                "name": registration.full_name,
                "institution": registration.institution,
                "position": registration.position or "",
                "needs": registration.needs or "",
                "language": registration.language,
            }
        )

    def validate_language(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in LANGUAGES}:
            raise ValidationError(_l("Choose the language of your emails"))

    def details(self) -> Details:
        """What the person corrected, for ``services.change_details``."""
        return Details(
            name=self.name.data,
            institution=self.institution.data,
            position=self.position.data,
            needs=self.needs.data,
            language=self.language.data,
        )


class LostLinkForm(Form):
    """The one question of the lost-link page: which address to send the link to."""

    email = _email_address(_l("Enter the email address you registered with"))
