"""Back office: participation reports, filtered by period and hosting city, as a page with
charts and tables, as CSV and XLSX, and each chart as SVG (docs/reports.md)."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from registration.backoffice import bp
from registration.backoffice.access import current_account
from registration.database import utcnow
from registration.events.services import all_cities, cities_for
from registration.extensions import talisman
from registration.forms import day_argument
from registration.registrations.exports import CSV_MIMETYPE, XLSX_MIMETYPE
from registration.reports import charts, exports, queries

#: The waitlist's figures under one heading of the table, each in a word or two there.
WAITLIST_FIGURES = {
    "joined_waitlist": _l("Joined"),
    "got_seat": _l("Got a seat"),
    "still_waiting": _l("Still waiting"),
    "left_line": _l("Left"),
}
#: The chart's SVG may use its own ``<style>``, and nothing else: no scripts, no
#: requests (an image runs no script anyway; this says so for a chart opened alone).
_CHART_POLICY = {"default-src": "'none'", "style-src": "'unsafe-inline'"}


@bp.get("/reports")
@login_required
def reports():
    """Participation by home city, category, event type and quarter."""
    filters, errors = _filters()
    account = current_account()
    report = queries.report(account, filters, now=utcnow())
    return render_template(
        "backoffice/reports/report.html",
        report=report,
        breakdowns=queries.BREAKDOWNS,
        figures=queries.FIGURES,
        people_figures=[name for name in queries.FIGURES if name not in WAITLIST_FIGURES],
        waitlist_figures=WAITLIST_FIGURES,
        filters=filters,
        errors=errors,
        cities=cities_for(account),
        arguments=_filter_arguments(filters),
    ), (400 if errors else 200)


@bp.get("/reports.csv")
@login_required
def reports_csv():
    """The report's numbers as CSV for Excel with Polish settings."""
    report = queries.report(current_account(), _valid_filters(), now=utcnow())
    return _download(exports.csv_bytes(report), CSV_MIMETYPE, "participation.csv")


@bp.get("/reports.xlsx")
@login_required
def reports_xlsx():
    """The report's numbers as an Excel workbook."""
    report = queries.report(current_account(), _valid_filters(), now=utcnow())
    return _download(exports.xlsx_bytes(report), XLSX_MIMETYPE, "participation.xlsx")


@bp.get("/reports/<breakdown>.svg")
@talisman(content_security_policy=_CHART_POLICY)
@login_required
def report_chart(breakdown: str):
    """One breakdown's chart, as the page shows it beside its table."""
    if breakdown not in queries.BREAKDOWNS:
        abort(404)
    rows = queries.breakdown(breakdown, current_account(), _valid_filters(), now=utcnow())
    svg = charts.chart_svg(str(queries.BREAKDOWNS[breakdown]), rows)
    return Response(svg, mimetype="image/svg+xml")


def _valid_filters() -> queries.Filters:
    filters, errors = _filters()
    if errors:
        abort(400)
    return filters


def _filters() -> tuple[queries.Filters, dict[str, str]]:
    """The filters in the query string, and what is wrong with any of them.

    A wrong filter is left out (and said, with a 400). An organiser's reports are of
    their own city's events whatever they ask; naming another city is refused (403), as
    that city's pages are.
    """
    errors: dict[str, str] = {}
    account = current_account()
    city_id = None
    slug = request.args.get("city", "").strip()
    if slug:
        city = next((city for city in all_cities() if city.slug == slug), None)
        if city is None:
            errors["city"] = _("Choose a city from the list.")
        elif not account.is_admin and city.id != account.city_id:
            abort(403)
        else:
            city_id = city.id
    since = day_argument("since", errors)
    until = day_argument("until", errors)
    if since and until and since > until:
        errors["until"] = _("The last day cannot come before the first.")
        until = None
    return queries.Filters(since=since, until=until, city_id=city_id), errors


def _filter_arguments(filters: queries.Filters) -> dict[str, str]:
    """The filters as query arguments, for the charts and the downloads."""
    city = request.args.get("city", "").strip() if filters.city_id is not None else None
    arguments = {
        "city": city,
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
    }
    return {name: value for name, value in arguments.items() if value}


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
