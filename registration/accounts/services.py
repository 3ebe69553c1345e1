"""Accounts: creating them, proving who one is, and recording what organisers do."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

# ``flask users create`` catches every refusal by this name.
from registration.accounts.errors import AccountError as AccountError
from registration.accounts.errors import AddressTaken, CityRequired, NotAnAddress, PasswordTooShort
from registration.accounts.models import Account, AccountSession, ApiToken, AuditEntry, Role
from registration.database import reading_only, storable, utcnow, write_aside
from registration.email_addresses import MAX_EMAIL_LENGTH, is_email_address, normalise_email
from registration.events.models import City
from registration.extensions import db
from registration.tokens import looks_like_secret, new_secret

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown address as slow as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

MIN_PASSWORD_LENGTH = 12
#: How far behind ``ApiToken.last_used_at`` and ``AccountSession.last_seen_at`` may be.
#: Writing them on every request would make every read a writer; once a minute at most
#: is enough to tell a live token, or a session that is still in use.
LAST_USE_PRECISION = timedelta(minutes=1)
#: A session unused for this long ends: a browser left signed in on a shared computer,
#: or closed without signing out.
SESSION_IDLE_LIMIT = timedelta(hours=12)


def create_account(
    email: str, *, role: Role, city: City | None = None, password: str | None = None
) -> Account:
    """Create an organiser or admin account.

    :raise NotAnAddress: ``email`` is not an email address
    :raise AddressTaken: an account has that address already
    :raise CityRequired: an organiser has no city
    :raise PasswordTooShort: the password is too short
    """
    email = normalise_email(email)
    if not is_email_address(email):
        raise NotAnAddress(email)
    if db.session.scalar(select(Account).where(Account.email == email)) is not None:
        raise AddressTaken(email)
    if role == Role.ORGANISER and city is None:
        raise CityRequired
    account = Account(email=email, role=role, city=city if role == Role.ORGANISER else None)
    if password is not None:
        set_password(account, password)
    db.session.add(account)
    db.session.flush()
    return account


def find_account(email: str) -> Account | None:
    """The account with this address, however it is spelt."""
    return db.session.scalar(select(Account).where(Account.email == normalise_email(email)))


def set_password(account: Account, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(MIN_PASSWORD_LENGTH)
    account.password_hash = _hasher.hash(password)


def authenticate(email: str, password: str, *, now: datetime | None = None) -> Account | None:
    """The active account with this address and password, or ``None``; notes the sign-in
    (and a stronger hash, when the hasher's cost has risen) in the session.

    argon2 is slow on purpose, and on SQLite a writing request holds the database's one
    write lock from its first query until it ends: hashing inside it would keep every
    registration waiting, ten failed sign-ins ten times as long. So the account is read
    on a connection of its own, given back before the password is checked; only a right
    password begins the session's (writing) transaction, which then needs no hashing.
    """
    address = normalise_email(email)
    found = None
    if _could_be_stored(address):
        with reading_only(), db.engine.connect() as connection:
            found = connection.execute(
                select(Account.id, Account.password_hash, Account.active).where(
                    Account.email == address
                )
            ).first()
    stored = found.password_hash if found and found.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if found is None or not found.password_hash or not found.active:
        return None
    stronger = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None
    account = db.session.get(Account, found.id)
    if account is None or not account.active or account.password_hash != stored:
        return None  # deactivated, or given a new password, while this one was checked
    if stronger is not None:
        account.password_hash = stronger
    account.last_login_at = now or utcnow()
    return account


def sign_in_key(email: str) -> str:
    """What sign-in attempts naming this address are counted under, whether or not it has
    an account: the normalised address, hashed, so that the rate limiter's storage (Redis,
    with several workers) keeps no addresses."""
    return "account:" + _digest(normalise_email(email))


def _could_be_stored(address: str) -> bool:
    """Whether an account could have this address: a NUL byte, for one, would make
    PostgreSQL refuse the query itself."""
    return 0 < len(address) <= MAX_EMAIL_LENGTH and storable(address)


def start_session(account: Account, *, replacing: str | None = None) -> str:
    """Open a server-side session for the account, before ``login_user(account)``; the
    secret returned is what the session cookie will carry (``get_session_secret``), and
    only its SHA-256 digest is stored.

    :param replacing: the secret of the session the browser had, which ends
    """
    now = utcnow()
    if replacing:
        end_session(replacing)
    # Sessions nobody signed out of are no use to anyone once idle: they go now.
    db.session.execute(
        delete(AccountSession).where(
            AccountSession.account_id == account.id,
            AccountSession.last_seen_at <= now - SESSION_IDLE_LIMIT,
        )
    )
    secret = new_secret()
    db.session.add(
        AccountSession(
            account_id=account.id, digest=_digest(secret), created_at=now, last_seen_at=now
        )
    )
    account.session_secret = secret
    return secret


def account_for_session(secret: str, *, now: datetime | None = None) -> Account | None:
    """The account signed in with this session secret, while its session lasts (not
    ended, not idle for ``SESSION_IDLE_LIMIT``) and the account is active; notes the use
    in ``last_seen_at`` (to the minute)."""
    if not isinstance(secret, str) or not looks_like_secret(secret):
        return None  # a cookie from before sessions were kept held an account id
    session = db.session.scalar(
        select(AccountSession).where(AccountSession.digest == _digest(secret))
    )
    if session is None or not session.account.active:
        return None
    now = now or utcnow()
    last_seen = session.last_seen_at or session.created_at
    if last_seen <= now - SESSION_IDLE_LIMIT:
        return None
    _note_use(AccountSession, AccountSession.last_seen_at, session.id, session.last_seen_at, now)
    account = session.account
    account.session_secret = secret
    return account


def end_session(secret: str | None) -> None:
    """Sign the session with this secret out, wherever its cookie is."""
    if secret:
        db.session.execute(delete(AccountSession).where(AccountSession.digest == _digest(secret)))


class Deactivated(NamedTuple):
    sessions_ended: int
    tokens_revoked: int


def deactivate(account: Account) -> Deactivated:
    """The account can no longer sign in, its sessions end and its API tokens stop
    working (``flask users deactivate``). Doing it again changes nothing."""
    account.active = False
    ended = db.session.execute(
        delete(AccountSession).where(AccountSession.account_id == account.id)
    ).rowcount
    return Deactivated(ended, revoke_api_tokens(account))


def revoke_api_tokens(account: Account) -> int:
    """Every API token of the account stops working (``flask users revoke-tokens``);
    returns how many were still valid."""
    return db.session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount


def issue_api_token(account: Account) -> str:
    """A new bearer token for the account; only its digest is kept, so show it now."""
    token = new_secret()
    db.session.add(ApiToken(account=account, digest=_digest(token)))
    db.session.flush()
    return token


def account_for_api_token(token: str, *, now: datetime | None = None) -> Account | None:
    """The active account whose unrevoked token this is, or ``None``; notes the use in
    ``last_used_at`` (to the minute)."""
    if not looks_like_secret(token):
        return None
    api_token = db.session.scalar(
        select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if api_token is None or not api_token.account.active:
        return None
    _note_use(ApiToken, ApiToken.last_used_at, api_token.id, api_token.last_used_at, now)
    return api_token.account


def _note_use(
    model: type[db.Model],
    column: InstrumentedAttribute[datetime | None],
    row_id: int,
    last: datetime | None,
    now: datetime | None,
) -> None:
    """Set ``column`` of the row to now, unless it says a time less than a minute ago."""
    now = now or utcnow()
    due = now - LAST_USE_PRECISION
    if last is not None and last > due:
        return
    write_aside(
        update(model)
        # Two requests at once: the second finds the first's time and writes nothing.
        .where(model.id == row_id, or_(column.is_(None), column <= due))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )


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
