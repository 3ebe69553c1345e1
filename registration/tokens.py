"""The secrets in links and cookies: manage tokens, check-in codes, feed addresses,
sessions and API tokens are all made, and recognised, the same way."""

from __future__ import annotations

import re
import secrets

_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_secret() -> str:
    """256 random bits, URL-safe: a token nobody can guess."""
    return secrets.token_urlsafe(32)


def looks_like_secret(text: object) -> bool:
    """Whether ``text`` could be a secret of ours; only those reach the database
    (PostgreSQL would reject, for one, a NUL byte in a forged one)."""
    return isinstance(text, str) and _SHAPE.fullmatch(text) is not None
