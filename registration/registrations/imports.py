"""Attendees from a spreadsheet: the back office's own export read back, checked, then added.

An organiser uploads a CSV or XLSX with the columns the attendee export writes
(in Polish or English; other columns, such as the status or the times, are
ignored). ``read`` turns the file into rows, or refuses the whole file with one
clear reason; ``preview`` checks every row with the registration form's own
rules and says what would happen; ``run`` adds the rows that pass, each through
``services.add_by_hand`` in its own short transaction, so that capacity and the
waitlist hold exactly as when the organiser adds people one by one, and people
registering on the public page meanwhile wait for one row, never for the file.

Between the preview and the confirmation the rows wait in the database
(``pending_imports.PendingImport``), named by a random secret, bound to the event
and the account, emptied once imported and kept at most ``KEPT_FOR``; so the
upload and the confirmation may reach different application hosts. The browser
holds only the name, so nothing it sends back can change what is imported, and
the confirmation checks every row again.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl import load_workbook
from sqlalchemy import delete, select, update
from werkzeug.datastructures import MultiDict
from wtforms import SelectField

from registration import labels
from registration.accounts.services import record
from registration.database import utcnow
from registration.email_addresses import normalise_email
from registration.events.models import Event
from registration.extensions import db
from registration.registrations import services
from registration.registrations.forms import LANGUAGES, RegistrationForm
from registration.registrations.models import (
    ACTIVE_STATUSES,
    Category,
    Registration,
    RegistrationStatus,
)
from registration.registrations.pending_imports import PendingImport
from registration.tokens import digest

#: The most people one file may add; a larger list is split into several files.
MAX_ROWS = 1000
#: What an XLSX may unpack to: its parts are compressed, and a small file can hide a huge one.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
#: How long rows wait on the server for the organiser to confirm them.
KEPT_FOR = timedelta(hours=1)

#: The columns read, by the export's header (``exports.COLUMNS``), in both languages.
FIELDS = {
    "name": _l("Full name"),
    "email": _l("Email address"),
    "institution": _l("Institution"),
    "position": _l("Position"),
    "category": _l("Category"),
    "city": _l("City"),
    "needs": _l("Needs"),
    "language": _l("Language"),
}
#: Without these a file cannot give anybody a registration.
REQUIRED_FIELDS = ("name", "email", "institution", "category", "city")

_XLSX_START = b"PK\x03\x04"
_OLD_EXCEL_START = b"\xd0\xcf\x11\xe0"
_FORMULA_SIGNS = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r")
_TOKEN_SHAPE = re.compile(r"[0-9a-f]{32}")


class ImportFileError(Exception):
    """The file as a whole cannot be read; ``message`` says why, in the organiser's words."""

    def __init__(self, message: LazyString | str) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class SheetRow:
    """One person's row as read: its number in the spreadsheet (the header is row 1)."""

    number: int
    values: dict[str, str]
    #: Whether a cell of the row held a formula, whose value the import cannot know.
    formula: bool = False


@dataclass
class PreviewRow:
    number: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    #: ``"confirmed"``, ``"waitlisted"`` or ``"refused"`` (full, no waitlist); ``None``: skipped.
    outcome: str | None = None
    applicant: services.Applicant | None = None


@dataclass
class Preview:
    rows: list[PreviewRow]

    def count(self, outcome: str | None) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def confirmed(self) -> int:
        return self.count("confirmed")

    @property
    def waitlisted(self) -> int:
        return self.count("waitlisted")

    @property
    def refused(self) -> int:
        return self.count("refused")

    @property
    def skipped(self) -> int:
        return self.count(None)


@dataclass
class Outcome:
    """What importing did; ``refused`` lists the row numbers the seat operation turned
    down at the time, with its reason."""

    confirmed: int = 0
    waitlisted: int = 0
    skipped: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


# --- Reading a file ---------------------------------------------------------------


def read(data: bytes) -> list[SheetRow]:
    """The people in an uploaded CSV or XLSX, blank rows left out.

    :raise ImportFileError: the file is empty, not a CSV or XLSX, in an unknown
        encoding, without the columns needed, or longer than ``MAX_ROWS``
    """
    if not data.strip():
        raise ImportFileError(_l("The file is empty."))
    if data.startswith(_XLSX_START):
        table = _xlsx_table(data)
    elif data.startswith(_OLD_EXCEL_START):
        raise ImportFileError(
            _l("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again.")
        )
    else:
        table = _csv_table(_decode(data))
    return _rows(table)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else Windows-1250 of older Polish Excel."""
    if b"\x00" in data:
        raise ImportFileError(_l("This is not a CSV or XLSX file."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250")
    except UnicodeDecodeError:
        raise ImportFileError(
            _l("The file's characters could not be read. Save it as CSV UTF-8 and try again.")
        ) from None


def _csv_table(text: str) -> Iterable[Sequence[object]]:
    first_line = text.split("\n", 1)[0]
    # Excel with Polish settings splits at semicolons; others (and the API) at commas.
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:  # a cell past csv's limit (128 KiB), or a stray NUL
        raise ImportFileError(_l("This is not a CSV or XLSX file.")) from None


def _xlsx_table(data: bytes) -> Iterator[Sequence[object]]:
    """The first worksheet's rows, formulas as written (``=…``), never calculated.

    Read as they are needed: ``_rows`` stops at the first person past ``MAX_ROWS``,
    however many rows, blank ones too, the sheet claims to have.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(part.file_size for part in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportFileError(_l("The spreadsheet is too large."))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        for row in workbook.worksheets[0].iter_rows(max_col=64):
            yield [_xlsx_value(cell) for cell in row]
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises anything from KeyError to XML errors on a bad file
        message = _l("The spreadsheet could not be read. Is it an XLSX file?")
        raise ImportFileError(message) from None


def _xlsx_value(cell) -> object:
    if getattr(cell, "data_type", None) == "f":
        return _Formula(str(cell.value))
    return cell.value


class _Formula(str):
    """A cell holding a formula: its value is whatever a spreadsheet would calculate,
    which the import does not do."""


def _rows(table: Iterable[Sequence[object]]) -> list[SheetRow]:
    lines = iter(table)
    header = next(lines, None)
    if header is None:
        raise ImportFileError(_l("The file is empty."))
    columns = _columns(header)
    missing = [field for field in REQUIRED_FIELDS if field not in columns]
    if missing:
        names = ", ".join(str(FIELDS[field]) for field in missing)
        raise ImportFileError(
            _l(
                "The first row must name the columns, as the attendee export does. "
                "Missing: %(columns)s.",
                columns=names,
            )
        )
    rows = []
    for number, line in enumerate(lines, start=2):
        if not any(_text(value) for value in line):
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(
                _l(
                    "The file has more than %(max)d people. Split it into smaller files.",
                    max=MAX_ROWS,
                )
            )
        values = {
            name: _text(line[index]) if index < len(line) else "" for name, index in columns.items()
        }
        formula = any(isinstance(value, _Formula) for value in values.values())
        rows.append(SheetRow(number, {name: str(value) for name, value in values.items()}, formula))
    if not rows:
        raise ImportFileError(_l("The file has no people in it, only the column names."))
    return rows


def _columns(header: Sequence[object]) -> dict[str, int]:
    """Which column holds which field: the first column named as the export names it."""
    known = _known_headers()
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        name = known.get(_folded(_text(title)))
        if name is not None and name not in columns:
            columns[name] = index
    return columns


def _known_headers() -> dict[str, str]:
    headers = {}
    for language in ("pl", "en"):
        with force_locale(language):
            headers.update({_folded(str(title)): name for name, title in FIELDS.items()})
    return headers


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, _Formula):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    text = str(value)
    # The export writes a quote before a formula sign so that spreadsheets show it as text.
    if text.startswith("'") and text[1:].lstrip().startswith(_FORMULA_SIGNS):
        return text[1:]
    return text


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


# --- Checking the rows ------------------------------------------------------------


class _RowForm(RegistrationForm):
    """The registration form's fields and checks, for one row of a file."""

    consent = None  # the organiser states it for the whole file
    language = SelectField(choices=LANGUAGES, validate_choice=False)


def _categories() -> dict[str, str]:
    """A category by its code or its label in either language, as the export writes it."""
    names = {_folded(code): code for code in labels.CATEGORIES}
    for language in ("pl", "en"):
        with force_locale(language):
            names.update({_folded(str(text)): code for code, text in labels.CATEGORIES.items()})
    return names


def preview(event: Event, rows: Sequence[SheetRow]) -> Preview:
    """Each row checked as the registration form checks it, and what adding it would give
    with the seats as they are now: a seat, a place on the waitlist, or nothing.

    A row is skipped when it has an error, repeats an address of an earlier row, or has
    an address that already holds a seat or a place at the event.
    """
    categories = _categories()
    registered = _registered_addresses(event.id, [row.values.get("email", "") for row in rows])
    seen: dict[str, int] = {}
    checked = []
    for row in rows:
        item = PreviewRow(row.number, row.values, _errors(row, categories))
        address = normalise_email(row.values.get("email", ""))
        if not item.errors and address in seen:
            item.errors.append(str(_l("The same email address as row %(row)d.", row=seen[address])))
        elif not item.errors and address in registered:
            item.errors.append(str(_l("Already registered for this event.")))
        if not item.errors:
            seen[address] = row.number
            item.applicant = _applicant(row.values, categories)
        checked.append(item)
    free = services.availability([event.id])[event.id].seats_for_newcomers
    for item in checked:
        if item.applicant is None:
            continue
        if free:
            item.outcome, free = "confirmed", free - 1
        else:
            item.outcome = "waitlisted" if event.waitlist else "refused"
    return Preview(checked)


def _errors(row: SheetRow, categories: dict[str, str]) -> list[str]:
    if row.formula:
        return [str(_l("A cell holds a formula. Type its value instead."))]
    values = row.values
    data = {**values, "category": categories.get(_folded(values.get("category", "")), "")}
    data["language"] = values.get("language", "").strip().lower() or "pl"
    form = _RowForm(formdata=MultiDict(data), meta={"csrf": False})
    form.validate()
    errors = [
        str(message)
        for name, messages in form.errors.items()
        # An unknown category is said below in words that fit a file, not a list to choose from.
        if name != "category" or not values.get("category", "").strip()
        for message in messages
    ]
    if not data["category"] and values.get("category", "").strip():
        errors.append(
            str(
                _l(
                    "Unknown category “%(category)s”. Use one of: %(categories)s.",
                    category=values["category"][:50],
                    categories=", ".join(str(label) for label in labels.CATEGORIES.values()),
                )
            )
        )
    if data["language"] not in {choice.value for choice in LANGUAGES}:
        errors.append(str(_l("The language must be pl or en.")))
    return errors


def _applicant(values: dict[str, str], categories: dict[str, str]) -> services.Applicant:
    return services.Applicant(
        name=values["name"].strip(),
        email=values["email"].strip(),
        institution=values["institution"].strip(),
        position=values.get("position", "").strip() or None,
        category=Category(categories[_folded(values["category"])]),
        city=values["city"].strip(),
        needs=values.get("needs", "").strip() or None,
        consent=True,
        language=values.get("language", "").strip().lower() or "pl",
    )


def _registered_addresses(event_id: int, emails: Iterable[str]) -> set[str]:
    addresses = {normalise_email(email) for email in emails if email}
    if not addresses:
        return set()
    return set(
        db.session.scalars(
            select(Registration.email).where(
                Registration.event_id == event_id,
                Registration.status.in_(ACTIVE_STATUSES),
                Registration.email.in_(addresses),
            )
        )
    )


# --- Importing --------------------------------------------------------------------


def run(event: Event, rows: Sequence[SheetRow], *, account, send_emails: bool) -> Outcome:
    """Add every row that passes ``preview``, in the file's order, and record the import.

    Each row is its own transaction: ``add_by_hand`` holds the event's seat lock until
    the commit, and a person registering on the public page at the same moment should
    wait for one row, not for a thousand. A row the seat operation refuses (the address
    registered meanwhile, the event full without a waitlist) is rolled back alone and
    reported. The audit log gets the usual entry per person, and one for the import
    with its counts only.
    """
    event_id = event.id
    checked = preview(event, rows)
    outcome = Outcome(skipped=checked.skipped)
    for row in checked.rows:
        if row.applicant is None:
            continue
        try:
            registration = services.add_by_hand(
                db.session.get(Event, event_id), row.applicant, account=account, notify=send_emails
            )
        except services.RegistrationError as error:
            db.session.rollback()
            outcome.refused.append((row.number, str(error.message)))
            continue
        if registration.status == RegistrationStatus.CONFIRMED:
            outcome.confirmed += 1
        else:
            outcome.waitlisted += 1
        db.session.commit()
    record(
        account,
        "registration.import",
        event=db.session.get(Event, event_id),
        confirmed=outcome.confirmed,
        waitlisted=outcome.waitlisted,
        skipped=outcome.skipped + len(outcome.refused),
        emails="sent" if send_emails else "not sent",
    )
    db.session.commit()
    return outcome


# --- Rows waiting for the organiser's confirmation --------------------------------


@dataclass
class Pending:
    """An uploaded file's rows waiting on the server, or, once imported, its outcome."""

    token: str
    event_id: int
    account_id: int
    send_emails: bool
    rows: list[SheetRow]
    outcome: Outcome | None = None


def save(event_id: int, account_id: int, rows: list[SheetRow], *, send_emails: bool) -> str:
    """Keep the rows for the confirmation; return the secret that names them."""
    forget_expired()
    token = secrets.token_hex(16)
    db.session.add(
        PendingImport(
            token_digest=digest(token),
            event_id=event_id,
            account_id=account_id,
            send_emails=send_emails,
            rows=[[row.number, row.values, row.formula] for row in rows],
            kept_since=utcnow(),
        )
    )
    db.session.commit()
    return token


def load(token: str, *, event_id: int, account_id: int) -> Pending | None:
    """The rows or outcome named ``token``, if they belong to this event and account and
    have not expired. Rows being imported right now are not found until their outcome is
    kept, as a second confirmation must not see them."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    stored = db.session.scalar(
        select(PendingImport).where(
            PendingImport.token_digest == digest(token),
            PendingImport.event_id == event_id,
            PendingImport.account_id == account_id,
            PendingImport.kept_since > utcnow() - KEPT_FOR,
        )
    )
    if stored is None or (stored.claimed_at is not None and stored.outcome is None):
        return None
    outcome = stored.outcome
    return Pending(
        token,
        event_id,
        account_id,
        stored.send_emails,
        [SheetRow(*row) for row in stored.rows],
        Outcome(**{**outcome, "refused": [tuple(item) for item in outcome["refused"]]})
        if outcome
        else None,
    )


def claim(pending: Pending) -> bool:
    """Take the rows for importing, once: a second click on "Import" finds them gone,
    whichever application host it reaches (one UPDATE decides)."""
    taken = db.session.execute(
        update(PendingImport)
        .where(
            PendingImport.token_digest == digest(pending.token),
            PendingImport.claimed_at.is_(None),
        )
        .values(claimed_at=utcnow())
    )
    db.session.commit()
    return taken.rowcount == 1


def finish(pending: Pending, outcome: Outcome) -> None:
    """Keep the outcome alone (no personal data: row numbers and reasons) for its page."""
    db.session.execute(
        update(PendingImport)
        .where(PendingImport.token_digest == digest(pending.token))
        .values(rows=[], outcome=dict(outcome.__dict__), kept_since=utcnow())
    )
    db.session.commit()


def forget_expired(now: datetime | None = None) -> None:
    """Remove rows nobody confirmed in time (and outcomes nobody looked at)."""
    now = now or utcnow()
    db.session.execute(delete(PendingImport).where(PendingImport.kept_since <= now - KEPT_FOR))
