"""A report's numbers as one table, for the CSV and XLSX downloads: the same rows the
page shows, written by the attendee list's table writers (``registrations.exports``)."""

from __future__ import annotations

from flask_babel import gettext as _

from registration.registrations.exports import table_csv, table_xlsx
from registration.reports.queries import BREAKDOWNS, FIGURES, Report

#: Widths of the columns in characters: the breakdown, the group, then each figure.
_WIDTHS = [20, 28, *(14 for _figure in FIGURES)]


def header() -> list[str]:
    return [_("Breakdown"), _("Group"), *(str(label) for label in FIGURES.values())]


def rows(report: Report) -> list[list[str | int]]:
    """The totals first, then each breakdown's groups in the page's order."""
    found = [[_("All"), _("All registrations"), *_values(report.totals)]]
    for name, label in BREAKDOWNS.items():
        for row in report.breakdowns[name]:
            found.append([str(label), row.label, *_values(row.counts)])
    return found


def _values(counts) -> list[int]:
    return [getattr(counts, name) for name in FIGURES]


def csv_bytes(report: Report) -> bytes:
    return table_csv(header(), rows(report))


def xlsx_bytes(report: Report) -> bytes:
    return table_xlsx(header(), rows(report), widths=_WIDTHS, title=_("Participation"))
