"""What a field may hold, said once for forms, services and the API alike.

Text that goes into email headers, calendars and CSV cells must be one line
without control characters; longer text (a description, someone's needs) may
have lines but no control characters either. The messages are the ones every
form and service shows, so that the same mistake reads the same everywhere.
Limits come from the models' columns (``max_length``, ``value_range``); a table
of ``Rule`` (``events.services.EVENT_FIELDS``) gives the validation, the forms
and the API's document one description of a thing's fields.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Column
from sqlalchemy.orm import InstrumentedAttribute

REQUIRED = _l("This field is required.")
NOT_TEXT = _l("Must be text.")
NOT_ONE_LINE = _l("Use a single line without special characters.")
NOT_PRINTABLE = _l("Remove the special characters.")
NOT_AN_EMAIL_ADDRESS = _l("Enter a valid email address, e.g. name@example.org.")
NOT_A_DATETIME = _l("Enter a date and time as day.month.year hour:minute, e.g. 10.03.2027 09:30.")
NOT_A_DATE = _l("Enter a date as day.month.year, e.g. 10.03.2027.")
DATETIME_WITHOUT_TIME = _l("Add the time after the date, e.g. 10.03.2027 09:30.")

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]")


def is_printable(text: str) -> bool:
    """Whether ``text`` has no control characters (line breaks and tabs are fine)."""
    return _CONTROL_CHARACTERS.search(text) is None


def is_one_line(text: str) -> bool:
    """Whether ``text`` is one line: printable, and no line break or tab either."""
    return is_printable(text) and _LINE_BREAKS.search(text) is None


def too_long(limit: int) -> LazyString:
    """The message for text longer than ``limit`` characters."""
    return _l("At most %(max)d characters.", max=limit)


# --- Limits: the models' columns are their one source ---------------------------
#
# ``String(200)`` is what the database keeps, so it is also what every form, the
# validation and the API document allow. A ``Text`` column has no length of its own;
# the project's limit for it, and an integer column's range, sit in the column's
# ``info`` beside it ("max_length", "range"), where migrations never look.


def max_length(attribute: InstrumentedAttribute) -> int:
    """The most characters a column holds: its ``String`` length, or ``info["max_length"]``."""
    column = _column(attribute)
    length = column.info.get("max_length", getattr(column.type, "length", None))
    if length is None:
        raise LookupError(f"{column} has no length: give it info={{'max_length': …}}")
    return length


def value_range(attribute: InstrumentedAttribute) -> tuple[int, int]:
    """The smallest and largest value an integer column takes (``info["range"]``)."""
    return _column(attribute).info["range"]


def _column(attribute: InstrumentedAttribute) -> Column:
    return attribute.property.columns[0]


class Kind(enum.StrEnum):
    """What a field holds, for the checks of its type and for the API's document."""

    #: One of a few codes.
    CHOICE = "choice"
    #: One line of text.
    LINE = "line"
    #: Text with paragraphs.
    TEXT = "text"
    #: The name of something that must exist (a city, by name or slug).
    LOOKUP = "lookup"
    EMAIL = "email"
    URL = "url"
    #: A timezone-aware moment.
    TIMESTAMP = "timestamp"
    INTEGER = "integer"
    BOOLEAN = "boolean"


#: Kinds held as one line of text: no line breaks, and the input shows their length.
ONE_LINE_KINDS = frozenset({Kind.LINE, Kind.EMAIL, Kind.URL})
#: Kinds given as text, whatever they become.
TEXT_KINDS = ONE_LINE_KINDS | {Kind.CHOICE, Kind.TEXT, Kind.LOOKUP}


@dataclass(frozen=True)
class Rule:
    """The shape of one field: what the validation checks and the API's document says."""

    kind: Kind
    #: Must be given when the thing is made (it has no default).
    required: bool = False
    #: May be null (``None``): "none", as opposed to empty.
    nullable: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    #: What the value means, for API clients (English, as the API's document is).
    description: str | None = None
