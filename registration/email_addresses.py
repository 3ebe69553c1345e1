"""Email addresses: the one check of what is an address, and the form it is kept in.

Every place that takes an address (the registration form and the API, an event's
contact address, accounts made by ``flask users create``) asks ``is_email_address``,
so that none of them accepts what another refuses. The check is email-validator's,
without asking DNS: an address is refused for its shape, never for a mail server
that happens to be down.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

#: The longest address a mail server takes (RFC 5321: a path of 256 octets, with <>).
MAX_EMAIL_LENGTH = 254


def is_email_address(text: str) -> bool:
    """Whether ``text`` is an address mail can be sent to (by its shape alone)."""
    return _validated(text) is not None


def normalise_email(email: str) -> str:
    """The form under which an address is unique: trimmed, in Unicode NFC, lower-cased,
    and its domain in ASCII.

    One mailbox has many spellings: "Zoë" with a composed "ë" or with "e" and a
    combining diaeresis; "exämple.pl" or its punycode "xn--exmple-cua.pl".
    email-validator brings both parts to one form (the local part to NFC, the
    domain through IDNA 2008 with UTS 46 to ASCII). An address it cannot read
    (no domain, a broken punycode label) must still not fail here: forms refuse
    those before, and anything else (a sign-in attempt, the command line) gets it
    trimmed, NFC-normalised and lower-cased, as addresses always were.

    Lower-cased, because the database checks that ``email = lower(trim(email))``.
    """
    address = unicodedata.normalize("NFC", email.strip())
    if len(address) <= MAX_EMAIL_LENGTH:  # a longer one is not worth a validator's time
        valid = _validated(address)
        if valid is not None:
            # Lower-casing can leave a character decomposed (a dotted capital I): NFC again.
            local_part = unicodedata.normalize("NFC", valid.local_part.lower())
            return f"{local_part}@{valid.ascii_domain}"
    return unicodedata.normalize("NFC", address.lower())


def _validated(text: str) -> ValidatedEmail | None:
    try:
        return validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
