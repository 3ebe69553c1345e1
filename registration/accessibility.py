"""The deklaracja dostępności (docs/accessibility.md): what ``/accessibility`` states.

The page follows the Minister of Digital Affairs' technical conditions for the statement
(version 2.0 of 31 July 2024, under the act of 4 April 2019 on the digital accessibility
of public bodies' websites and mobile apps): its sections, their order and the ``a11y-*``
ids that software reads. The wording is the template's; what changes between operators
and over time (dates, status, what is not accessible, the contact person, the office) is
the ``[accessibility]`` table of ``ORGANISATION_FILE``, checked once when the app starts,
with development defaults for whatever the table leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

from registration.config import ConfigurationError
from registration.email_addresses import is_email_address
from registration.i18n import current_language
from registration.links import tel_uri

#: The status the statement declares, as the template words it: zgodna, częściowo
#: zgodna, niezgodna.
STATUSES = ("full", "partial", "none")
#: How the statement was prepared: the public body's own assessment, or a third party's.
ASSESSMENTS = ("self", "external")
#: Where a refused request may go next (the template links the Ombudsman's site).
OMBUDSMAN_URL = "https://bip.brpo.gov.pl/"
EXTENSION = "accessibility_statement"


@dataclass(frozen=True)
class Text:
    """One text as the operator wrote it in each of the site's languages."""

    pl: str
    en: str

    def __str__(self) -> str:
        return self.en if current_language() == "en" else self.pl

    def __html__(self) -> str:
        return str(Markup.escape(str(self)))


@dataclass(frozen=True)
class Barrier:
    """A part of the service that is not accessible, and how to get it another way."""

    content: Text
    alternative: Text | None = None


@dataclass(frozen=True)
class Exemption:
    """Content the act does not cover, with the provision (art. 3) that says so."""

    content: Text
    basis: Text


@dataclass(frozen=True)
class Contact:
    """Who handles remarks and requests about accessibility."""

    name: str
    email: str
    phone: str

    @property
    def phone_link(self) -> str:
        """The number as a ``tel:`` URI: digits and a leading plus only."""
        return tel_uri(self.phone)


@dataclass(frozen=True)
class MobileApp:
    name: str
    #: Where its own accessibility statement is.
    statement_url: str


@dataclass(frozen=True)
class Statement:
    """Everything the deklaracja says that is not the template's own wording."""

    #: The public body whose statement it is.
    entity: str
    published: date
    updated: date
    prepared: date
    reviewed: date | None
    status: str
    assessment: str
    auditor: str | None
    contact: Contact
    complaints_to: Text
    office_address: str
    architecture: Text
    communication: Text
    non_compliant: tuple[Barrier, ...] = ()
    exempt: tuple[Exemption, ...] = ()
    disproportionate: tuple[Barrier, ...] = ()
    #: The assessment of the disproportionate burden (``a11y-ocena``).
    burden_assessment_url: str | None = None
    mobile_apps: tuple[MobileApp, ...] = field(default=())

    @property
    def inaccessible(self) -> bool:
        return bool(self.non_compliant or self.exempt or self.disproportionate)


#: What a development installation states when ``ORGANISATION_FILE`` has no
#: ``[accessibility]`` table. The contact is a placeholder: production sets its own.
DEFAULTS: dict[str, Any] = {
    "entity": "Strefa Kultury Wrocław",
    "published": date(2026, 12, 1),
    "updated": date(2026, 12, 5),
    "prepared": date(2026, 12, 5),
    "status": "partial",
    "assessment": "self",
    "contact": {
        "name": "Koordynator ds. dostępności",
        "email": "dostepnosc@example.org",
        "phone": "+48 71 000 00 00",
    },
    "office_address": "ul. ks. Piotra Skargi 18a, 50-082 Wrocław",
    "complaints_to": {
        "pl": "Dyrektor Strefy Kultury Wrocław, ul. ks. Piotra Skargi 18a, 50-082 Wrocław",
        "en": "The Director of Strefa Kultury Wrocław, ul. ks. Piotra Skargi 18a, 50-082 Wrocław",
    },
    "architecture": {
        "pl": "Biuro koordynatora Koalicji Miast mieści się w siedzibie Strefy Kultury "
        "Wrocław. Jeśli potrzebujesz pomocy w dotarciu do biura albo wolisz spotkać się "
        "w innym, dostępnym dla Ciebie miejscu, napisz lub zadzwoń do osoby kontaktowej: "
        "umówimy się tak, jak Ci wygodnie.",
        "en": "The Koalicja Miast coordinator's office is at the Strefa Kultury Wrocław "
        "premises. If you need help getting to the office, or would rather meet somewhere "
        "else that is accessible to you, write to or call the contact person and we will "
        "arrange it as suits you.",
    },
    "communication": {
        "pl": "Z osobą kontaktową porozumiesz się e-mailem lub telefonicznie. Nie ma "
        "możliwości skorzystania z tłumacza polskiego języka migowego online; jeśli "
        "potrzebujesz tłumacza PJM na wydarzeniu, napisz o tym w formularzu zgłoszenia.",
        "en": "You can reach the contact person by email or by phone. A Polish Sign "
        "Language interpreter is not available online; if you need one at an event, say "
        "so in the registration form.",
    },
    "exempt": [
        {
            "content": {
                "pl": "Platformy spotkań online (np. wideokonferencje) i strony innych "
                "podmiotów, do których prowadzą linki w opisach wydarzeń.",
                "en": "Online meeting platforms (such as video conferences) and other "
                "bodies' websites that event descriptions link to.",
            },
            "basis": {
                "pl": "Treści pochodzące od stron trzecich, które nie są finansowane ani "
                "opracowane przez podmiot publiczny ani nie są pod jego kontrolą "
                "(art. 3 ust. 2 pkt 5 ustawy).",
                "en": "Third-party content that is neither funded nor developed by the "
                "public body nor under its control (art. 3(2)(5) of the act).",
            },
        }
    ],
}

#: The status and the lists that explain it, given together or not at all.
STATUS_KEYS = {"status", "non_compliant", "exempt", "disproportionate"}
_KEYS = {
    "entity",
    "published",
    "updated",
    "prepared",
    "reviewed",
    "status",
    "assessment",
    "auditor",
    "contact",
    "complaints_to",
    "office_address",
    "architecture",
    "communication",
    "non_compliant",
    "exempt",
    "disproportionate",
    "burden_assessment_url",
    "mobile_apps",
}


def configure(app: Flask) -> None:
    """Read ``[accessibility]`` from ``ORGANISATION_FILE`` into the app.

    :raise ConfigurationError: the table says something the statement cannot say
    """
    table = app.config.get("ORGANISATION", {}).get("accessibility", {})
    app.extensions[EXTENSION] = parse(table)


def statement() -> Statement:
    """The statement of the running app."""
    return current_app.extensions[EXTENSION]


def parse(table: Any) -> Statement:
    """The statement that ``table`` (the ``[accessibility]`` TOML table) describes,
    with ``DEFAULTS`` for what it leaves out.

    :raise ConfigurationError: naming the key and what is wrong with it
    """
    if not isinstance(table, dict):
        raise _error("", "must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise _error(unknown[0], f"is not a known key; the keys are {', '.join(sorted(_KEYS))}")
    values = {**DEFAULTS, **table}
    if STATUS_KEYS & set(table):
        # The status and its reasons are one statement: the defaults' exemption explains
        # the default status only.
        values = {**values, **{key: table.get(key, []) for key in STATUS_KEYS - {"status"}}}
        values["status"] = table.get("status")
    status = _choice(values, "status", STATUSES)
    assessment = _choice(values, "assessment", ASSESSMENTS)
    published = _date(values, "published")
    updated = _date(values, "updated")
    prepared = _date(values, "prepared")
    reviewed = _date(values, "reviewed") if values.get("reviewed") is not None else None
    if updated < published:
        raise _error("updated", "is before published: the site cannot change before it exists")
    if reviewed is not None and reviewed < prepared:
        raise _error("reviewed", "is before prepared: a statement is reviewed after it is made")
    auditor = values.get("auditor")
    if assessment == "external":
        auditor = _string(values, "auditor")
    elif auditor is not None:
        raise _error("auditor", 'names a third party, so assessment must be "external"')
    contact = _table(values, "contact")
    for key in contact:
        if key not in ("name", "email", "phone"):
            raise _error(f"contact.{key}", "is not a known key; the keys are name, email, phone")
    email = _string(contact, "email", "contact.email")
    if not is_email_address(email):
        raise _error("contact.email", f"must be an email address, not {email!r}")
    phone = _string(contact, "phone", "contact.phone")
    if not re.fullmatch(r"\+?[\d ()-]{6,}", phone):
        raise _error("contact.phone", f"must be a phone number, not {phone!r}")
    non_compliant = tuple(_barriers(values, "non_compliant"))
    exempt = tuple(_exemptions(values))
    disproportionate = tuple(_barriers(values, "disproportionate"))
    burden_url = values.get("burden_assessment_url")
    if disproportionate:
        burden_url = _url(values, "burden_assessment_url")
    elif burden_url is not None:
        raise _error("burden_assessment_url", "is given, but nothing is listed as disproportionate")
    if status == "full" and (non_compliant or exempt or disproportionate):
        raise _error(
            "status",
            'is "full", yet non_compliant, exempt or disproportionate lists something: '
            'a service with exceptions is "partial" or "none"',
        )
    if status != "full" and not (non_compliant or exempt or disproportionate):
        raise _error(
            "status",
            f'is "{status}": list what is not accessible, and why, in non_compliant, '
            "exempt or disproportionate",
        )
    apps = [_mobile_app(item, n) for n, item in enumerate(_list(values, "mobile_apps"))]
    return Statement(
        entity=_string(values, "entity"),
        published=published,
        updated=updated,
        prepared=prepared,
        reviewed=reviewed,
        status=status,
        assessment=assessment,
        auditor=auditor,
        contact=Contact(_string(contact, "name", "contact.name"), email, phone),
        complaints_to=_text(values, "complaints_to"),
        office_address=_string(values, "office_address"),
        architecture=_text(values, "architecture"),
        communication=_text(values, "communication"),
        non_compliant=non_compliant,
        exempt=exempt,
        disproportionate=disproportionate,
        burden_assessment_url=burden_url,
        mobile_apps=tuple(apps),
    )


def _error(key: str, problem: str) -> ConfigurationError:
    where = f"[accessibility] {key}" if key else "[accessibility]"
    return ConfigurationError(f"ORGANISATION_FILE: {where} {problem}")


def _string(values: dict, key: str, name: str | None = None) -> str:
    value = values.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _error(name or key, "must be a text that is not empty")
    return value.strip()


def _choice(values: dict, key: str, choices: tuple[str, ...]) -> str:
    value = values.get(key)
    if value not in choices:
        options = ", ".join(f'"{choice}"' for choice in choices)
        raise _error(key, f"must be one of {options}, not {value!r}")
    return value


def _date(values: dict, key: str) -> date:
    value = values.get(key)
    # A TOML local date (published = 2026-12-01) arrives as a date; a datetime is a date too.
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise _error(key, f"must be a TOML date such as 2026-12-01 (no quotes), not {value!r}")
    return value


def _url(values: dict, key: str, name: str | None = None) -> str:
    value = _string(values, key, name)
    if not re.fullmatch(r"https?://\S+", value):
        raise _error(name or key, f"must be an http(s) address, not {value!r}")
    return value


def _table(values: dict, key: str, name: str | None = None) -> dict:
    value = values.get(key)
    if not isinstance(value, dict):
        raise _error(name or key, "must be a table")
    return value


def _list(values: dict, key: str) -> list[dict]:
    value = values.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _error(key, f"must be a list of tables ([[accessibility.{key}]])")
    return value


def _text(values: dict, key: str, within: str = "") -> Text:
    """A text in both languages: ``{pl = "…", en = "…"}``."""
    name = f"{within}.{key}" if within else key
    table = _table(values, key, name)
    if set(table) != {"pl", "en"}:
        raise _error(name, 'must give the text in both languages: {pl = "…", en = "…"}')
    return Text(_string(table, "pl", f"{name}.pl"), _string(table, "en", f"{name}.en"))


def _mobile_app(item: dict, n: int) -> MobileApp:
    where = f"mobile_apps[{n}]"
    unknown = set(item) - {"name", "statement_url"}
    if unknown:
        raise _error(
            f"{where}.{sorted(unknown)[0]}", "is not a known key; use name and statement_url"
        )
    return MobileApp(
        _string(item, "name", f"{where}.name"),
        _url(item, "statement_url", f"{where}.statement_url"),
    )


def _exemptions(values: dict) -> list[Exemption]:
    exemptions = []
    for n, item in enumerate(_list(values, "exempt")):
        where = f"exempt[{n}]"
        unknown = set(item) - {"content", "basis"}
        if unknown:
            raise _error(
                f"{where}.{sorted(unknown)[0]}", "is not a known key; use content and basis"
            )
        exemptions.append(Exemption(_text(item, "content", where), _text(item, "basis", where)))
    return exemptions


def _barriers(values: dict, key: str) -> list[Barrier]:
    barriers = []
    for n, item in enumerate(_list(values, key)):
        where = f"{key}[{n}]"
        unknown = set(item) - {"content", "alternative"}
        if unknown:
            raise _error(
                f"{where}.{sorted(unknown)[0]}", "is not a known key; use content and alternative"
            )
        alternative = _text(item, "alternative", where) if "alternative" in item else None
        barriers.append(Barrier(_text(item, "content", where), alternative))
    return barriers
