"""The attendee list as rows, for the back office's CSV and XLSX and the API's CSV.

One row builder serves every export, so the files cannot disagree.

A spreadsheet opening a CSV runs its formulas: a name like
``=HYPERLINK("http://evil.example", "Click")`` would become a live link, and
``@SUM(…)`` or ``+1`` a calculation (OWASP "CSV injection"). Every CSV text cell
that begins with ``=``, ``+``, ``-``, ``@``, their full-width forms ``＝＋－＠``
(which spreadsheets with East Asian input read alike), a tab or a carriage return
is therefore written with a leading single quote, which spreadsheets show as
text; so is a cell where such a sign comes after invisible characters
(zero-width spaces and joiners, byte order marks, direction marks) or spaces,
which a check of the first character alone would miss and an importing program
may drop.

The CSV (the back office's and the API's are one file) is for Excel with Polish
regional settings, which splits columns at semicolons (the comma is the Polish
decimal sign) and reads a file as UTF-8 only when it starts with a byte order mark.

XLSX needs no quote: its cells are stored as typed strings, which no
spreadsheet evaluates, and a quote would show as part of the text.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from registration import labels
from registration.extensions import db
from registration.i18n import WARSAW
from registration.registrations.models import Registration, RegistrationStatus

CSV_MIMETYPE = "text/csv"
#: What Excel with Polish regional settings splits CSV columns at.
EXCEL_DELIMITER = ";"
#: What the API's CSV is split at: scripts read it, and a contract keeps its old form.
API_DELIMITER = ","
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Signs that make a spreadsheet read a cell as a formula, also after invisible characters.
_FORMULA_SIGNS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
#: First characters that some spreadsheets drop on import, reading what follows as a formula.
_CONTROL_STARTS = ("\t", "\r")

Value = str | int | datetime | None


def attendees(event_id: int) -> list[Registration]:
    """Every registration of the event, in order of arrival (participants loaded with them)."""
    return list(
        db.session.scalars(
            select(Registration).where(Registration.event_id == event_id).order_by(Registration.id)
        )
    )


def waitlist_positions(registrations: Iterable[Registration]) -> dict[int, int]:
    """Place in line of each waitlisted registration, counted in one pass.

    :param registrations: all registrations of one event, in order of arrival
    """
    positions: dict[int, int] = {}
    for registration in registrations:
        if registration.status == RegistrationStatus.WAITLISTED:
            positions[registration.id] = len(positions) + 1
    return positions


@dataclass(frozen=True)
class Column:
    header: str
    width: int  # in characters, for the spreadsheet


COLUMNS = (
    Column(_l("ID"), 8),
    Column(_l("Full name"), 28),
    Column(_l("Email address"), 32),
    Column(_l("Institution"), 32),
    Column(_l("Position"), 24),
    Column(_l("Category"), 26),
    Column(_l("City"), 16),
    Column(_l("Needs"), 32),
    Column(_l("Status"), 16),
    Column(_l("Place on the waitlist"), 12),
    Column(_l("Language"), 8),
    Column(_l("Registered at"), 18),
    Column(_l("Cancelled at"), 18),
    Column(_l("Checked in at"), 18),
    # Last, so that files and scripts made for the columns before it still read them.
    Column(_l("Home city"), 16),
)


def header() -> list[str]:
    return [str(column.header) for column in COLUMNS]


def rows(registrations: Sequence[Registration]) -> Iterator[list[Value]]:
    """One row per registration, with the values of ``COLUMNS``; times in Warsaw.

    :param registrations: all registrations of one event, in order of arrival
    """
    positions = waitlist_positions(registrations)
    for registration in registrations:
        yield [
            registration.id,
            registration.full_name,
            registration.email,
            registration.institution,
            registration.position,
            labels.label(labels.CATEGORIES, registration.category.value),
            registration.city,
            registration.needs,
            labels.label(labels.REGISTRATION_STATUSES, registration.status.value),
            positions.get(registration.id),
            registration.language,
            _warsaw(registration.created_at),
            _warsaw(registration.cancelled_at),
            _warsaw(registration.checked_in_at),
            registration.home_city.name if registration.home_city else _("outside the coalition"),
        ]


def neutralise(value: str) -> str:
    """Text that a spreadsheet shows as it is, never runs as a formula."""
    if value.startswith(_CONTROL_STARTS) or _skip_unseen(value).startswith(_FORMULA_SIGNS):
        return "'" + value
    return value


def _skip_unseen(value: str) -> str:
    """``value`` from its first visible character: without the leading white space and
    format characters (Unicode category Cf: U+200B–U+200F, U+202A–U+202E, U+2060–U+2064,
    U+FEFF, the soft hyphen and the like)."""
    for index, char in enumerate(value):
        if not (char.isspace() or unicodedata.category(char) == "Cf"):
            return value[index:]
    return ""


def csv_bytes(registrations: Sequence[Registration], *, delimiter: str = EXCEL_DELIMITER) -> bytes:
    """The attendee list as CSV: see ``table_csv``.

    :param delimiter: ``API_DELIMITER`` for the API, whose scripts have read commas since
        the first version
    """
    return table_csv(header(), rows(registrations), delimiter=delimiter)


def xlsx_bytes(registrations: Sequence[Registration], *, title: str) -> bytes:
    """The attendee list as an Excel workbook: see ``table_xlsx``."""
    widths = [column.width for column in COLUMNS]
    return table_xlsx(header(), rows(registrations), widths=widths, title=title)


def table_csv(
    header: Sequence[str], rows: Iterable[Sequence[Value]], *, delimiter: str = EXCEL_DELIMITER
) -> bytes:
    """A table as CSV: UTF-8 with BOM, CRLF lines, quoted as RFC 4180 says, and by
    default semicolons, for Excel with Polish settings; times as Warsaw wall-clock time
    (give them in Warsaw), text never a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_csv_cell(value) for value in header])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[Value]],
    *,
    widths: Sequence[int],
    title: str,
) -> bytes:
    """A table as an Excel workbook; text is always stored as text, never a formula,
    and shown exactly as it was written.

    :param widths: of the columns, in characters
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(title)
    sheet.append([_xlsx_cell(sheet, value) for value in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _warsaw(value: datetime | None) -> datetime | None:
    return value.astimezone(WARSAW) if value is not None else None


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def _xlsx_cell(sheet, value: Value) -> SheetCell | int | None:
    if isinstance(value, datetime):
        # Excel has no time zones: the Warsaw wall-clock time, shown as such.
        cell = SheetCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, str):
        # Characters XML cannot carry would make the whole file unreadable.
        cell = SheetCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        # Set after the value, which would have made "=1+1" a formula ("f"): a string
        # (openpyxl writes it inline), shown as written and never run, so no quote.
        cell.data_type = "s"
        return cell
    return value


def _sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = " ".join("".join(" " if char in "[]:*?/\\" else char for char in title).split())
    return cleaned[:31].strip(" '") or "Attendees"
