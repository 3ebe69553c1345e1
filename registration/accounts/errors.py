"""Why an account cannot be made or changed as asked (``accounts.services`` raises them).

The back office shows them beside the form or as a message; the command line prints
them in English.
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
    field = "email"

    def __init__(self, email: str) -> None:
        super().__init__(
            _l("“%(email)s” is not an email address; check how it is spelt.", email=email)
        )


class AddressTaken(AccountError):
    field = "email"
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
    field = "city"
    message = _l("An organiser or door staff account needs a city; choose one.")


class PasswordTooShort(AccountError):
    field = "password"

    def __init__(self, minimum: int) -> None:
        super().__init__(
            _l(
                "The password must have at least %(min)d characters; choose a longer one.",
                min=minimum,
            )
        )


class WrongPassword(AccountError):
    field = "current_password"
    code = "wrong-password"
    status = 422
    message = _l("The current password is not right; type it again.")


class NotYourself(AccountError):
    """An admin would lock themselves out: another admin must do it."""

    code = "own-account"
    status = 409


class LastAdmin(AccountError):
    code = "last-admin"
    status = 409
    message = _l("This is the last active admin account; make another account an admin first.")


class NoTokensForDoorStaff(AccountError):
    code = "no-tokens-for-door-staff"
    status = 403
    message = _l("Door staff accounts cannot have API tokens.")


class TokenNameRequired(AccountError):
    field = "name"
    message = _l("Give the token a name that says what it is for.")


class TokenNameTooLong(AccountError):
    field = "name"

    def __init__(self, maximum: int) -> None:
        super().__init__(
            _l("The name can have at most %(max)d characters; shorten it.", max=maximum)
        )


class ExpiryInThePast(AccountError):
    field = "expires_on"
    message = _l("The expiry date must be in the future; choose a later date.")


class TokenNotFound(AccountError):
    code = "not-found"
    status = 404
    message = _l("There is no such token among yours.")
