"""Email addresses: the one check of what is an address, and the form it is kept in.

Every place that takes an address (the registration form and the API, an event's
contact address, accounts made by ``flask users create``) asks ``is_email_address``,
so that none of them accepts what another refuses. The check is email-validator's,
without asking DNS: an address is refused for its shape, never for a mail server
that happens to be down.
"""

from __future__ import annotations

import difflib
import functools
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


#: Where most people's mail is, in Poland and beyond. An address at one of these is taken
#: as typed; one a letter or two away from one of them probably has a typo.
COMMON_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "wp.pl",
    "o2.pl",
    "tlen.pl",
    "go2.pl",
    "onet.pl",
    "onet.eu",
    "op.pl",
    "vp.pl",
    "poczta.onet.pl",
    "poczta.onet.eu",
    "onet.com.pl",
    "interia.pl",
    "interia.eu",
    "poczta.fm",
    "gazeta.pl",
    "autograf.pl",
    "buziaczek.pl",
    "int.pl",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.net",
    "mail.com",
    "aol.com",
)

#: How alike a domain must be to a common one (``difflib``'s ratio) to suggest it:
#: "gmial.com", "gmail.con" and "wp.pll" are; "um.wroc.pl" is nothing like any.
_LIKENESS = 0.85


def suggest_correction(address: str) -> str | None:
    """The address with a common domain in place of one that looks like its typo
    ("anna@gmial.com" → "anna@gmail.com"), or ``None`` when nothing looks wrong.

    Only a suggestion, never a refusal: the person may well use "wup.pl".
    """
    local_part, at, domain = address.strip().rpartition("@")
    domain = domain.lower()
    if not at or not local_part or not domain or domain in COMMON_DOMAINS:
        return None
    likely = difflib.get_close_matches(domain, COMMON_DOMAINS, n=1, cutoff=_LIKENESS)
    return f"{local_part}@{likely[0]}" if likely else None


# A registration's address is checked by its form and again when the service normalises
# it: the second check of the same text is a lookup. The result is only ever read.
@functools.lru_cache(maxsize=128)
def _validated(text: str) -> ValidatedEmail | None:
    try:
        return validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
