"""One hierarchy for every "no" the domain says: the rule's name, what people are
told, and the HTTP status that answers it.

Services raise these and never build answers. ``registration.errors`` turns any
of them that a view lets through, in one handler, into a problem document for
the API (RFC 9457: ``type`` from ``code``, ``title``, ``detail`` from
``message``, ``status``, and ``errors`` for invalid input) or into a page in the
visitor's language. A page that shows the refusal beside its form catches the
error instead and uses the same ``message`` and ``status``.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


class DomainError(Exception):
    """A rule said no; nothing was saved (unless the raiser says otherwise)."""

    #: The rule's name: the API's problem ``type`` ends in it, and clients rely on it.
    #: ``None``: the HTTP status says all there is (``about:blank``).
    code: str | None = "refused"
    #: The HTTP status that answers it.
    status: int = 409
    #: What kind of problem this is, in a few words: the same for every occurrence.
    title: LazyString | str = _l("Not possible")
    #: One sentence in the reader's language: what happened, and what to do.
    message: LazyString | str = _l("That could not be done; please try again.")
    #: The input field the message is about, if it is about one.
    field: str | None = None
    #: Headers the HTTP answer must carry.
    headers: Mapping[str, str] = {}

    def __init__(self, message: LazyString | str | None = None) -> None:
        super().__init__()
        if message is not None:
            self.message = message

    def __str__(self) -> str:
        return str(self.message)

    def field_errors(self) -> dict[str | None, list]:
        """The messages by the field they are about (``None``: the input as a whole)."""
        return {self.field: [self.message]}


class InvalidInput(DomainError):
    """Input that breaks a rule; ``errors`` maps each field to its messages."""

    code = "invalid-input"
    status = 422
    title = _l("Invalid input")
    message = _l(
        "Some fields are missing or invalid, so nothing was saved; correct them and try again."
    )

    def __init__(self, errors: Mapping[str, list]) -> None:
        super().__init__()
        self.errors = dict(errors)
        self.field = next(iter(self.errors), None)

    def field_errors(self) -> dict[str | None, list]:
        return dict(self.errors)
