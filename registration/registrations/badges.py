"""Name badges: an A4 PDF of 90 × 55 mm cards, ten to a sheet, to print and cut.

The size is a business card's, the size of most badge holders. The cards touch,
so one cut separates two of them; short marks in the page's margin show where
each cut goes, because a printer's margin would hide lines drawn at the edge.

DejaVu Sans (``static/fonts``, its licence beside it) is embedded, only the
letters used, so Polish names print as written on any printer. A name gets the
largest size at which it fits on one line, or else on two; a longer one is cut
with an ellipsis at the smallest size rather than run past its card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from registration.events.models import Event
from registration.registrations.models import Registration

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"

PAGE_WIDTH, PAGE_HEIGHT = 210, 297  # A4, in millimetres
BADGE_WIDTH, BADGE_HEIGHT = 90, 55
COLUMNS, ROWS = 2, 5
LEFT = (PAGE_WIDTH - COLUMNS * BADGE_WIDTH) / 2
TOP = (PAGE_HEIGHT - ROWS * BADGE_HEIGHT) / 2
PADDING = 6
CUT_MARK = 6  # its length, ending 1 mm from the card
POINT = 25.4 / 72  # a point in millimetres


@dataclass(frozen=True)
class _Text:
    """How one text of the card is set: the (size in points, lines) to try, in order."""

    tries: Sequence[tuple[float, int]]
    bold: bool = False
    grey: bool = False


_TITLE = _Text(tries=[(7.5, 1), (6.5, 1)], grey=True)
# A name reads best on one line, down to 16 points; a longer one takes two, from 20.
_NAME = _Text(
    tries=[(size, 1) for size in (22, 20, 18, 16)]
    + [(size, 2) for size in (20, 18, 16, 14, 12, 11, 10)],
    bold=True,
)
_INSTITUTION = _Text(tries=[(10, 1), (10, 2), (9, 2), (8, 2)])
_CITY = _Text(tries=[(10, 1), (9, 1)], grey=True)


def pdf(event: Event, people: Sequence[Registration]) -> bytes:
    """The badges of ``people``, in their order, ``COLUMNS × ROWS`` to a page."""
    document = FPDF(unit="mm", format="A4")
    document.set_auto_page_break(False)
    document.set_margin(0)
    document.set_title(_("Name badges: %(title)s", title=event.title))
    document.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    document.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    document.set_line_width(0.2)
    per_page = COLUMNS * ROWS
    for index, person in enumerate(people):
        if index % per_page == 0:
            document.add_page()
            _cut_marks(document)
        row, column = divmod(index % per_page, COLUMNS)
        _badge(
            document,
            LEFT + column * BADGE_WIDTH,
            TOP + row * BADGE_HEIGHT,
            event=event,
            person=person,
        )
    if not people:
        document.add_page()
        document.set_font("DejaVu", size=12)
        document.set_xy(LEFT, TOP)
        document.multi_cell(
            COLUMNS * BADGE_WIDTH, 6, _("Nobody has a confirmed seat at this event yet.")
        )
    return bytes(document.output())


def _badge(document: FPDF, x: float, y: float, *, event: Event, person: Registration) -> None:
    width = BADGE_WIDTH - 2 * PADDING
    left = x + PADDING
    _write(document, left, y + 5, width, event.title, _TITLE)
    # The name sits a little above the middle, where the eye looks first.
    bottom = _write(document, left, y + 15, width, person.full_name, _NAME)
    _write(document, left, bottom + 2, width, person.institution, _INSTITUTION)
    _write(document, left, y + BADGE_HEIGHT - PADDING - 4, width, person.city, _CITY)


def _write(document: FPDF, x: float, y: float, width: float, text: str, style: _Text) -> float:
    """Set ``text`` centred from ``y`` at the largest size that fits; return where it ends."""
    document.set_font("DejaVu", "B" if style.bold else "")
    document.set_text_color(90 if style.grey else 0)
    for size, max_lines in style.tries:
        document.set_font_size(size)
        lines = _lines(document, width, text)
        if len(lines) <= max_lines:
            break
    else:
        lines = lines[:max_lines]
        lines[-1] = _shortened(document, width, lines[-1])
    height = document.font_size_pt * POINT * 1.2
    for number, line in enumerate(lines):
        document.set_xy(x, y + number * height)
        document.cell(width, height, line, align="C")
    return y + len(lines) * height


def _lines(document: FPDF, width: float, text: str) -> list[str]:
    """``text`` broken into lines of ``width`` at spaces (inside a word that is too long)."""
    return document.multi_cell(
        width, 5, " ".join(text.split()), dry_run=True, output=MethodReturnValue.LINES
    )


def _shortened(document: FPDF, width: float, line: str) -> str:
    """The last line that fits, cut with an ellipsis: there is more than the card holds."""
    while line and document.get_string_width(line + "…") > width:
        line = line[:-1]
    return line.rstrip() + "…"


def _cut_marks(document: FPDF) -> None:
    document.set_draw_color(120)
    right, bottom = LEFT + COLUMNS * BADGE_WIDTH, TOP + ROWS * BADGE_HEIGHT
    for column in range(COLUMNS + 1):
        x = LEFT + column * BADGE_WIDTH
        document.line(x, TOP - 1 - CUT_MARK, x, TOP - 1)
        document.line(x, bottom + 1, x, bottom + 1 + CUT_MARK)
    for row in range(ROWS + 1):
        y = TOP + row * BADGE_HEIGHT
        document.line(LEFT - 1 - CUT_MARK, y, LEFT - 1, y)
        document.line(right + 1, y, right + 1 + CUT_MARK, y)
