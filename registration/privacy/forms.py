"""The one question of the data-link form on /privacy: which address to send the link to."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms.validators import DataRequired

from registration.forms import EmailAddress, Form, fits, strip
from registration.registrations.models import Participant


class DataRequestForm(Form):
    #: Its own id: the form sits on /privacy beside other content.
    email = EmailField(
        _l("Email address"),
        id="data-request-email",
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the email address you registered with")),
            fits(Participant.email, _l("Email address must be %(max)d characters or fewer")),
            EmailAddress(
                _l("Enter an email address in the correct format, like jan.kowalski@example.org")
            ),
        ],
        render_kw={"autocomplete": "email"},
    )
