"""What a field may hold, said once for forms, services and the API alike.

Text that goes into email headers, calendars and CSV cells must be one line
without control characters; longer text (a description, someone's needs) may
have lines but no control characters either. The messages are the ones every
form and service shows, so that the same mistake reads the same everywhere.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

REQUIRED = _l("This field is required.")
NOT_ONE_LINE = _l("Use a single line without special characters.")
NOT_PRINTABLE = _l("Remove the special characters.")
NOT_AN_EMAIL_ADDRESS = _l("Enter a valid email address, e.g. name@example.org.")

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
