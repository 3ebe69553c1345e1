"""The secrets in links and cookies: manage tokens, check-in codes, feed addresses,
sessions and API tokens are all made, and recognised, the same way."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from flask import current_app
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_secret() -> str:
    """256 random bits, URL-safe: a token nobody can guess."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the database keeps of a secret it must recognise (API tokens, sessions, an
    import's preview): SHA-256, so that a copy of the database opens nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(text: object) -> bool:
    """Whether ``text`` could be a secret of ours; only those reach the database
    (PostgreSQL would reject, for one, a NUL byte in a forged one)."""
    return isinstance(text, str) and _SHAPE.fullmatch(text) is not None


def timed_serializer(salt: str, *, now: datetime | None = None) -> URLSafeTimedSerializer:
    """The signer of the expiring links sent by email (a person's data, an account's
    password), keyed with the app's secret and ``salt``, one per kind of link.

    :param now: the time the link is made at, rather than the clock's (tests look
        ahead, and an email composed later makes its link then)
    """
    return URLSafeTimedSerializer(
        current_app.secret_key, salt=salt, signer=_SignerAt, signer_kwargs={"now": now}
    )


class _SignerAt(TimestampSigner):
    """itsdangerous's timestamp signer, on the time given rather than the clock's."""

    def __init__(self, *args, now: datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        return int(self.now.timestamp()) if self.now else super().get_timestamp()
