"""Why an account cannot be made as asked (``accounts.services`` raises them).

Today only ``flask users create`` meets them, and prints them in English.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registration.domain_errors import DomainError


class AccountError(DomainError):
    """An account operation that cannot be done; the message says why."""

    code = "invalid-account"
    status = 422
    title = _l("Account not saved")
    message = _l("The account could not be saved; check what you gave and try again.")


class NotAnAddress(AccountError):
    def __init__(self, email: str) -> None:
        super().__init__(
            _l("“%(email)s” is not an email address; check how it is spelt.", email=email)
        )


class AddressTaken(AccountError):
    code = "account-exists"
    status = 409

    def __init__(self, email: str) -> None:
        super().__init__(
            _l(
                "An account for %(email)s already exists; use it, or choose another address.",
                email=email,
            )
        )


class CityRequired(AccountError):
    message = _l("An organiser needs a city: give it with --city.")


class PasswordTooShort(AccountError):
    def __init__(self, minimum: int) -> None:
        super().__init__(
            _l(
                "The password must have at least %(min)d characters; choose a longer one.",
                min=minimum,
            )
        )
