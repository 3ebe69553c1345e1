"""Accounts: creating them, proving who one is, and recording what organisers do."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

# ``flask users create`` catches every refusal by this name.
from registration.accounts.errors import AccountError as AccountError
from registration.accounts.errors import (
    AddressTaken,
    CityRequired,
    ExpiryInThePast,
    LastAdmin,
    NotAnAddress,
    NoTokensForDoorStaff,
    NotYourself,
    PasswordTooShort,
    TokenNameRequired,
    TokenNameTooLong,
    TokenNotFound,
    WrongPassword,
)
from registration.accounts.links import Purpose
from registration.accounts.models import (
    MAX_ACCOUNT_NAME_LENGTH,
    MAX_TOKEN_NAME_LENGTH,
    Account,
    AccountSession,
    ApiToken,
    AuditEntry,
    Role,
)
from registration.database import reading_only, storable, utcnow, write_aside
from registration.email_addresses import MAX_EMAIL_LENGTH, is_email_address, normalise_email
from registration.events.models import City
from registration.extensions import db
from registration.i18n import WARSAW
from registration.notifications import outbox
from registration.notifications.models import MessageKind
from registration.tokens import digest, looks_like_secret, new_secret

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
    """Create an admin, organiser or door staff account.

    :raise NotAnAddress: ``email`` is not an email address
    :raise AddressTaken: an account has that address already
    :raise CityRequired: an organiser or door staff have no city
    :raise PasswordTooShort: the password is too short
    """
    email = normalise_email(email)
    if not is_email_address(email):
        raise NotAnAddress(email)
    if db.session.scalar(select(Account).where(Account.email == email)) is not None:
        raise AddressTaken(email)
    if role.has_city and city is None:
        raise CityRequired
    account = Account(email=email, role=role, city=city if role.has_city else None)
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
    return "account:" + digest(normalise_email(email))


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
            account_id=account.id, digest=digest(secret), created_at=now, last_seen_at=now
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
        select(AccountSession).where(AccountSession.digest == digest(secret))
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
        db.session.execute(delete(AccountSession).where(AccountSession.digest == digest(secret)))


def end_other_sessions(account: Account, *, keeping: str | None) -> int:
    """End every session of the account but the one with the secret ``keeping``."""
    query = delete(AccountSession).where(AccountSession.account_id == account.id)
    if keeping:
        query = query.where(AccountSession.digest != digest(keeping))
    return db.session.execute(query).rowcount


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


def reactivate(account: Account) -> None:
    """The account can sign in again, with its password; its old tokens stay revoked."""
    account.active = True


def deactivate_by(admin: Account, account: Account) -> Deactivated:
    """An admin deactivates an account in the back office (see ``deactivate``).

    :raise NotYourself: it is the admin's own account
    :raise LastAdmin: it is the last active admin
    """
    if account.id == admin.id:
        raise NotYourself(_l("You cannot deactivate your own account; ask another admin to do it."))
    if account.is_admin:
        _keep_an_admin(account)
    return deactivate(account)


def change_role(admin: Account, account: Account, *, role: Role, city: City | None) -> dict:
    """Give the account another role or city; returns what changed, for the audit log:
    ``{"role": [old, new], "city": [old slug, new slug]}`` (empty: nothing), and for door
    staff ``"tokens_revoked"``: door staff have no API, so their tokens stop working.

    An account that loses the admin role, or moves to another city, stays signed in:
    every page asks its rights afresh (``Account.can_manage``).

    :raise NotYourself: an admin would change their own role
    :raise CityRequired: an organiser or door staff without a city
    :raise LastAdmin: the last active admin would be demoted
    """
    if role.has_city and city is None:
        raise CityRequired
    city = city if role.has_city else None
    if account.id == admin.id and role != account.role:
        raise NotYourself(_l("You cannot change your own role; ask another admin to do it."))
    if account.is_admin and role != Role.ADMIN:
        _keep_an_admin(account)
    changes: dict = {}
    if role != account.role:
        changes["role"] = [account.role.value, role.value]
    old_city = account.city.slug if account.city else None
    new_city = city.slug if city else None
    if old_city != new_city:
        changes["city"] = [old_city, new_city]
    account.role = role
    account.city = city
    if role == Role.CHECK_IN:  # door staff have no API: what tokens they had stop working
        changes["tokens_revoked"] = revoke_api_tokens(account)
    return changes


def _keep_an_admin(leaving: Account) -> None:
    """Refuse to leave the service without an active admin to manage the accounts."""
    others = db.session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.role == Role.ADMIN, Account.active, Account.id != leaving.id)
    )
    if not others:
        raise LastAdmin


def all_accounts() -> list[Account]:
    """Every account, admins first, then by city and address."""
    return list(
        db.session.scalars(
            select(Account)
            .outerjoin(City, Account.city_id == City.id)
            .order_by(Account.role != Role.ADMIN, City.name, Account.email)
        )
    )


# --- Passwords ---------------------------------------------------------------------


def change_password(account: Account, *, current: str, new: str, keeping: str | None) -> None:
    """The account holder chooses a new password, proving the current one; every other
    browser signed in with the account is signed out.

    :param keeping: the secret of the session asking, which stays signed in
    :raise WrongPassword: ``current`` is not the password
    :raise PasswordTooShort: ``new`` is too short
    """
    try:
        _hasher.verify(account.password_hash or _DUMMY_HASH, current)
    except (VerificationError, InvalidHashError):
        raise WrongPassword from None
    if not account.password_hash:
        raise WrongPassword
    set_password(account, new)
    end_other_sessions(account, keeping=keeping)


def choose_password(account: Account, new: str) -> int:
    """Set the password chosen through an invitation or a reset link; that link, and
    every other one sent before, stops working (``links``), and every session of the
    account ends: whoever knew the old password is out. Returns the sessions ended.

    :raise PasswordTooShort: ``new`` is too short
    """
    set_password(account, new)
    return end_other_sessions(account, keeping=None)


def invite(
    admin: Account,
    email: str,
    *,
    role: Role,
    city: City | None,
    language: str,
    name: str | None = None,
) -> Account:
    """Create an account without a password and email it the link to choose one.

    :param language: the language of the email
    :param name: the person's name, as the audit log will call them
    :raise AccountError: as ``create_account``
    """
    account = create_account(email, role=role, city=city)
    account.name = " ".join(name.split())[:MAX_ACCOUNT_NAME_LENGTH] if name else None
    _send_link(account, MessageKind.ACCOUNT_INVITATION, language=language, invited_by=admin.id)
    return account


def send_password_reset(email: str, *, language: str) -> None:
    """Email the link to choose a new password to the address, if an active account has
    it. The caller answers the same whatever happens here; the questions asked of the
    database are the same too.

    An account that never chose a password (its invitation expired) gets one as well:
    a reset is how it chooses one.
    """
    address = normalise_email(email)
    account = (
        db.session.scalar(select(Account).where(Account.email == address, Account.active))
        if _could_be_stored(address)
        else None
    )
    if account is not None:
        _send_link(account, MessageKind.PASSWORD_RESET, language=language)


def _send_link(account: Account, kind: MessageKind, *, language: str, **context) -> None:
    """Queue the email with the link; the link itself is made when the email is composed
    (``links.link_key``), so that the outbox keeps no secret."""
    purpose = Purpose.INVITATION if kind == MessageKind.ACCOUNT_INVITATION else Purpose.RESET
    outbox.enqueue_for_account(
        kind,
        recipient=account.email,
        language=language,
        context={"account_id": account.id, "purpose": purpose.value, **context},
    )


# --- API tokens ---------------------------------------------------------------------


def token_expiry(day: date) -> datetime:
    """A token given ``day`` as its last works until that day ends in Warsaw."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=WARSAW).astimezone(UTC)


def create_api_token(
    account: Account, *, name: str, expires_on: date | None = None, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new named bearer token for the account, working through ``expires_on`` (or until
    revoked); returns the row and the token, which is never shown again.

    :raise NoTokensForDoorStaff: door staff have no API
    :raise TokenNameRequired, TokenNameTooLong: the name is empty or too long
    :raise ExpiryInThePast: ``expires_on`` has ended already
    """
    if account.is_check_in:
        raise NoTokensForDoorStaff
    name = " ".join(name.split())
    if not name or not storable(name):
        raise TokenNameRequired
    if len(name) > MAX_TOKEN_NAME_LENGTH:
        raise TokenNameTooLong(MAX_TOKEN_NAME_LENGTH)
    expires_at = token_expiry(expires_on) if expires_on is not None else None
    if expires_at is not None and expires_at <= (now or utcnow()):
        raise ExpiryInThePast
    token = new_secret()
    row = ApiToken(account=account, digest=digest(token), name=name, expires_at=expires_at)
    db.session.add(row)
    db.session.flush()
    return row, token


def api_tokens_of(account: Account) -> list[ApiToken]:
    """The account's tokens, newest first: live ones and those revoked or expired."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.account_id == account.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_api_token(account: Account, token_id: int) -> ApiToken:
    """One of the account's own tokens stops working. Revoking it again changes nothing.

    :raise TokenNotFound: the account has no token with this id
    """
    row = db.session.get(ApiToken, token_id)
    if row is None or row.account_id != account.id:
        raise TokenNotFound
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def revoke_api_tokens(account: Account) -> int:
    """Every API token of the account stops working (``flask users revoke-tokens``);
    returns how many were still valid."""
    return db.session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount


def issue_api_token(account: Account, *, name: str = "CLI") -> str:
    """A new bearer token for the account; only its digest is kept, so show it now."""
    return create_api_token(account, name=name)[1]


def account_for_api_token(token: str, *, now: datetime | None = None) -> Account | None:
    """The active account whose live (unrevoked, unexpired) token this is, or ``None``;
    notes the use in ``last_used_at`` (to the minute)."""
    if not looks_like_secret(token):
        return None
    now = now or utcnow()
    api_token = db.session.scalar(
        select(ApiToken).where(ApiToken.digest == digest(token), ApiToken.revoked_at.is_(None))
    )
    if api_token is None or not api_token.is_live(now) or not api_token.account.active:
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
