"""Accounts: creating them, proving who one is, and recording what organisers do."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from registration.accounts.models import Account, ApiToken, AuditEntry, Role
from registration.database import storable, utcnow
from registration.events.models import City
from registration.extensions import db
from registration.registrations.models import normalise_email

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown address as slow as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

MIN_PASSWORD_LENGTH = 12


class AccountError(Exception):
    """An account operation that cannot be done; the message says why."""


def create_account(
    email: str, *, role: Role, city: City | None = None, password: str | None = None
) -> Account:
    """Create an organiser or admin account.

    :raise AccountError: the address is taken, an organiser has no city, or the
        password is too short
    """
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address")
    if db.session.scalar(select(Account).where(Account.email == email)) is not None:
        raise AccountError(f"an account for {email} already exists")
    if role == Role.ORGANISER and city is None:
        raise AccountError("an organiser needs a city (--city)")
    account = Account(email=email, role=role, city=city if role == Role.ORGANISER else None)
    if password is not None:
        set_password(account, password)
    db.session.add(account)
    db.session.flush()
    return account


def set_password(account: Account, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    account.password_hash = _hasher.hash(password)


def authenticate(email: str, password: str) -> Account | None:
    """The active account with this address and password, or ``None``."""
    email = normalise_email(email)
    query = select(Account).where(Account.email == email)
    account = db.session.scalar(query) if storable(email) else None
    stored = account.password_hash if account and account.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or not account.password_hash or not account.active:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.last_login_at = utcnow()
    return account


def issue_api_token(account: Account) -> str:
    """A new bearer token for the account; only its digest is kept, so show it now."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(account=account, digest=_digest(token)))
    db.session.flush()
    return token


def account_for_api_token(token: str) -> Account | None:
    if not token or len(token) > 100:
        return None
    api_token = db.session.scalar(
        select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if api_token is None or not api_token.account.active:
        return None
    return api_token.account


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record(
    account: Account | None, action: str, *, event=None, registration=None, **details
) -> None:
    """Write an audit entry in the current transaction."""
    db.session.add(
        AuditEntry(
            account_id=account.id if account else None,
            action=action,
            event_id=event.id if event is not None else None,
            registration_id=registration.id if registration is not None else None,
            details=details,
        )
    )


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to after login, or ``None`` for anything else.

    No path of ours has a control character, and Werkzeug refuses a line break
    in the ``Location`` header (with a 500).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(character < " " or character == "\x7f" for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
