"""The certificate as an A4 landscape PDF: one page per person, each in that person's language.

Laid out like a paper a city's culture office hands out: a double frame, the title,
the name large in the middle, the event, where and when, the days the person was
there and the hours; at the foot the organiser (the event's data controller: the
body that organised it) and the verification code with its address, also as a QR
code, so that anyone handed the paper can check it.

DejaVu Sans (``static/fonts``) is embedded, only the letters used, as on the badges:
Polish names print as written. Texts that may be long (a name, a title) take the
largest size at which they fit, as on the badges.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

import segno
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from registration.certificates.services import Holder, hours
from registration.data_controller import data_controller
from registration.events.models import Event
from registration.i18n import current_language, local_date
from registration.labels import EVENT_TYPES, label
from registration.links import absolute_url
from registration.registrations.badges import FONTS
from registration.registrations.services import event_days

PAGE_WIDTH, PAGE_HEIGHT = 297, 210  # A4 landscape, in millimetres
MARGIN = 24  # from the page's edge to the text
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 30
POINT = 25.4 / 72
#: The site's dark blue (``static/css``), for the frame and the title.
BLUE = (29, 63, 110)
GREY = 85


def pdf(people: Sequence[Holder], *, event: Event) -> bytes:
    """One certificate per person, in their order; a page saying so if there is nobody."""
    document = FPDF(orientation="landscape", unit="mm", format="A4")
    document.set_auto_page_break(False)
    document.set_margin(0)
    document.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    document.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    document.set_title(_("Certificates of attendance: %(title)s", title=event.title))
    document.set_creator("Koalicja Miast")
    for holder in people:
        with force_locale(holder.registration.language):
            _page(document, holder)
    if not people:
        document.add_page()
        document.set_font("DejaVu", size=14)
        document.set_xy(MARGIN, MARGIN)
        document.multi_cell(TEXT_WIDTH, 8, _("Nobody has been checked in at this event yet."))
    return bytes(document.output())


def one(holder: Holder) -> bytes:
    """The certificate of one person, for their own download and their email."""
    return pdf([holder], event=holder.registration.event)


#: What the file is called when saved, in ASCII: a header carries it.
_FILE_NAMES = {"pl": "zaswiadczenie", "en": "certificate"}


def filename(holder: Holder) -> str:
    """The same for every copy of the person's certificate, in their language."""
    name = _FILE_NAMES.get(holder.registration.language, _FILE_NAMES["en"])
    return f"{name}-{holder.certificate.code}.pdf"


def _page(document: FPDF, holder: Holder) -> None:
    registration = holder.registration
    event = registration.event
    document.add_page()
    _frame(document)

    document.set_text_color(*BLUE)
    document.set_font("DejaVu", "B", 10)
    document.set_char_spacing(2)
    document.set_xy(MARGIN, 26)
    document.cell(TEXT_WIDTH, 6, "KOALICJA MIAST", align="C")
    document.set_char_spacing(0)
    document.set_font("DejaVu", "B", 30)
    document.set_xy(MARGIN, 38)
    document.cell(TEXT_WIDTH, 14, _("Certificate of attendance"), align="C")

    document.set_text_color(0)
    y = _centred(document, 66, _("This is to certify that"), sizes=[(12, 1)])
    y = _centred(document, y + 4, registration.full_name, sizes=_NAME, bold=True)
    y = _centred(document, y + 4, _("took part in the event"), sizes=[(12, 1)])
    y = _centred(document, y + 3, str(label(EVENT_TYPES, event.type)), sizes=[(11, 1)], grey=True)
    y = _centred(
        document,
        y + 1,
        f"„{event.title}”" if current_language() == "pl" else event.title,
        sizes=_TITLE,
        bold=True,
    )
    place = ", ".join(part for part in (event.city.name, event.venue) if part)
    y = _centred(document, y + 3, f"{place} · {date_range(event)}", sizes=_FACTS)
    y = _centred(document, y + 2, _attendance_line(holder), sizes=_FACTS)
    _foot(document, holder)


def _frame(document: FPDF) -> None:
    document.set_draw_color(*BLUE)
    document.set_line_width(1.2)
    document.rect(10, 10, PAGE_WIDTH - 20, PAGE_HEIGHT - 20)
    document.set_line_width(0.3)
    document.rect(13, 13, PAGE_WIDTH - 26, PAGE_HEIGHT - 26)


def _foot(document: FPDF, holder: Holder) -> None:
    """The organiser on the left; the code, its address and its QR code on the right."""
    registration, certificate = holder.registration, holder.certificate
    event = registration.event
    controller = data_controller(event)
    top = PAGE_HEIGHT - MARGIN - QR_SIZE
    document.set_draw_color(GREY)
    document.set_line_width(0.2)
    document.line(MARGIN, top - 5, PAGE_WIDTH - MARGIN, top - 5)

    column = 120
    _left(document, MARGIN, top, column, _("Organiser"), size=9, grey=True)
    y = _left(document, MARGIN, top + 5, column, controller.name, size=11, bold=True)
    y = _left(document, MARGIN, y + 0.5, column, controller.address, size=9)
    issued = local_date(certificate.issued_at, "d MMMM y")
    _left(document, MARGIN, y + 3, column, _("Issued on %(date)s", date=issued), size=9, grey=True)

    url = verification_url(certificate.code)
    qr_left = PAGE_WIDTH - MARGIN - QR_SIZE
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=8, border=0)
    document.image(png, x=qr_left, y=top, w=QR_SIZE, h=QR_SIZE)
    text_right = qr_left - 5
    width = 110
    x = text_right - width
    _left(document, x, top, width, _("Verification code"), size=9, grey=True, align="R")
    y = _left(document, x, top + 5, width, certificate.code, size=15, bold=True, align="R")
    y = _left(document, x, y + 2, width, _("Check it at:"), size=8, grey=True, align="R")
    _left(document, x, y, width, url, size=8, align="R")


def verification_url(code: str) -> str:
    return absolute_url("certificates.verify_code", code=code)


def date_range(event: Event) -> str:
    """The event's days as a date ("10 marca 2027"), or a range ("10–12 marca 2027",
    "30 marca – 2 kwietnia 2027"), in the current language, Warsaw time."""
    days = event_days(event.starts_at, event.ends_at)
    return days_range(days[0], days[-1])


def days_range(first: date, last: date) -> str:
    if first == last:
        return local_date(first, "d MMMM y")
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{local_date(last, 'd MMMM y')}"
    if first.year == last.year:
        return f"{local_date(first, 'd MMMM')} – {local_date(last, 'd MMMM y')}"
    return f"{local_date(first, 'd MMMM y')} – {local_date(last, 'd MMMM y')}"


def days_attended_text(days: Sequence[date]) -> str:
    """The days a person was there, consecutive ones as a range: "10–11 marca 2027"; a
    week's visit takes a line, not seven dates."""
    runs: list[list[date]] = []
    for day in days:
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(days_range(run[0], run[-1]) for run in runs)


def _attendance_line(holder: Holder) -> str:
    line = _("Present on: %(days)s", days=days_attended_text(holder.days))
    counted = hours(holder.registration.event)
    if counted is not None:
        line += " · " + _("Hours: %(hours)s", hours=format_decimal(counted, "0.#"))
    return line


# (size in points, most lines) to try in order: the largest that fits wins.
_NAME = [(size, 1) for size in (28, 26, 24, 22, 20, 18)] + [(18, 2), (16, 2), (14, 2)]
_TITLE = [(18, 1), (18, 2), (16, 2), (14, 2), (12, 3), (11, 3)]
_FACTS = [(12, 1), (11, 1), (11, 2), (10, 2), (9, 3)]


def _centred(
    document: FPDF,
    y: float,
    text: str,
    *,
    sizes: Sequence[tuple[float, int]],
    bold: bool = False,
    grey: bool = False,
) -> float:
    """Set ``text`` centred across the page from ``y``; return where it ends."""
    document.set_font("DejaVu", "B" if bold else "")
    document.set_text_color(GREY if grey else 0)
    text = " ".join(text.split())
    for size, most in sizes:
        document.set_font_size(size)
        lines = _lines(document, TEXT_WIDTH, text)
        if len(lines) <= most:
            break
    else:
        lines = lines[:most]
        lines[-1] = _shortened(document, TEXT_WIDTH, lines[-1])
    height = document.font_size_pt * POINT * 1.3
    for number, line in enumerate(lines):
        document.set_xy(MARGIN, y + number * height)
        document.cell(TEXT_WIDTH, height, line, align="C")
    return y + len(lines) * height


def _left(
    document: FPDF,
    x: float,
    y: float,
    width: float,
    text: str,
    *,
    size: float,
    bold: bool = False,
    grey: bool = False,
    align: str = "L",
) -> float:
    """Set ``text`` in a column at ``x``, broken into lines; return where it ends."""
    document.set_font("DejaVu", "B" if bold else "", size)
    document.set_text_color(GREY if grey else 0)
    height = size * POINT * 1.3
    document.set_xy(x, y)
    document.multi_cell(width, height, " ".join(text.split()), align=align)
    return document.get_y()


def _lines(document: FPDF, width: float, text: str) -> list[str]:
    return document.multi_cell(width, 5, text, dry_run=True, output=MethodReturnValue.LINES)


def _shortened(document: FPDF, width: float, line: str) -> str:
    while line and document.get_string_width(line + "…") > width:
        line = line[:-1]
    return line.rstrip() + "…"
