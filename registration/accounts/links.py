"""The links that let an account holder choose a password: the invitation to a new
account, and the reset of a forgotten password (docs/accounts.md).

A link is signed with the application's key under a salt of its own per purpose, so
neither opens the other, nor does any other signed link of the service. It names the
account and carries a fingerprint of the account's password hash as it was when the
link was made: choosing a password changes the hash, so a link works once. It works
for ``max_age`` of its purpose after it was made, which is when its email is composed.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime, timedelta

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from registration.accounts.models import Account
from registration.extensions import db
from registration.tokens import timed_serializer


class Purpose(enum.StrEnum):
    INVITATION = "invitation"
    RESET = "reset"

    @property
    def max_age(self) -> timedelta:
        """How long a link of this purpose works: an invitation waits for a week's
        leave; a reset is asked for by someone who is at the screen now."""
        return INVITATION_MAX_AGE if self == Purpose.INVITATION else RESET_MAX_AGE


INVITATION_MAX_AGE = timedelta(days=7)
RESET_MAX_AGE = timedelta(hours=1)


class LinkExpired(Exception):
    """The link was genuine, and is older than its purpose allows."""


class LinkInvalid(Exception):
    """The link was not made here, was altered, was used already, or its account is
    deactivated."""


def link_key(account: Account, purpose: Purpose, *, now: datetime | None = None) -> str:
    """The secret part of the link, made at ``now``."""
    return _serializer(purpose, now).dumps([account.id, _fingerprint(account)])


def account_for_key(key: str, purpose: Purpose, *, now: datetime | None = None) -> Account:
    """The account whose password the link lets one choose.

    :raise LinkExpired: a genuine link, too old
    :raise LinkInvalid: anything else that is not a live link
    """
    try:
        payload = _serializer(purpose, now).loads(key, max_age=purpose.max_age.total_seconds())
    except SignatureExpired:
        raise LinkExpired from None
    except (BadData, UnicodeError, ValueError):
        raise LinkInvalid from None
    match payload:
        case [int() as account_id, str() as fingerprint] if not isinstance(account_id, bool):
            pass
        case _:
            raise LinkInvalid
    account = db.session.get(Account, account_id)
    if account is None or not account.active or fingerprint != _fingerprint(account):
        raise LinkInvalid  # deactivated, or the password was chosen with it already
    return account


def _fingerprint(account: Account) -> str:
    """Changes whenever the password does; says nothing usable about the hash."""
    return hashlib.sha256((account.password_hash or "").encode()).hexdigest()[:16]


def _serializer(purpose: Purpose, now: datetime | None) -> URLSafeTimedSerializer:
    return timed_serializer(f"account-password-{purpose.value}", now=now)
