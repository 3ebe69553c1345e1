"""A breakdown as a bar chart: SVG drawn on the server by pygal, with a title and a
description inside, for the report page (as an image beside the table of the same
numbers) and for saving.

pygal's scripts (tooltips) are left out: ``js=[]`` drops the one it would fetch, and
the settings it writes for it inline are taken out here. The chart must say everything
without a script, and the back office runs none inline (CSP). Its styles live in a ``<style>``
element inside the SVG, which the page's CSP would refuse inline; shown through
``<img>``, the SVG is a document of its own, served with a policy that allows its own
styles and nothing else (``backoffice.reports.report_chart``).
"""

from __future__ import annotations

from xml.etree import ElementTree

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from registration.reports.queries import FIGURES, Row

#: The figures drawn, each with its colour: at least 4.5:1 against the white
#: background, and told apart by lightness as well as hue.
SERIES = {
    "registered": "#1d3f6e",
    "confirmed": "#3b73b9",
    "attended": "#166534",
    "cancelled": "#a11d1d",
}
#: Drawn this wide (the page scales it to its column); the letters are large enough to
#: read when a phone halves it.
WIDTH = 720
_BAR_HEIGHT = 13
_MARGINS = 130

_STYLE = Style(
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif',
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#555b63",
    colors=tuple(SERIES.values()),
    opacity="1",
    opacity_hover="1",
    legend_font_size=24,
    label_font_size=22,
    major_label_font_size=22,
    value_font_size=16,
    guide_stroke_color="#d4d8de",
    major_guide_stroke_color="#767d86",
)


def chart_svg(title: str, rows: list[Row]) -> bytes:
    """A horizontal bar chart of ``rows``: for each group, a bar per figure of
    ``SERIES``; its ``<title>`` is ``title`` (not drawn) and its ``<desc>`` every number
    in words."""
    chart = pygal.HorizontalBar(
        style=_STYLE,
        js=[],
        disable_xml_declaration=True,
        width=WIDTH,
        height=_MARGINS + max(len(rows), 1) * len(SERIES) * _BAR_HEIGHT * 2,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        truncate_label=-1,
        truncate_legend=-1,
        print_values=False,
        show_y_guides=False,
        margin=12,
        spacing=12,
        min_scale=2,
        max_scale=6,
        no_data_text=_("No registrations"),
    )
    # pygal draws the first group at the bottom (and a group's first bar at its top):
    # reversed, the groups read from the top down, in the table's order.
    ordered = list(reversed(rows))
    chart.x_labels = [row.label for row in ordered]
    for name in SERIES:
        chart.add(str(FIGURES[name]), [getattr(row.counts, name) for row in ordered])
    # Its title is not drawn: the page's heading above the chart says it.
    return _titled(chart.render_tree(), title, description(rows))


def description(rows: list[Row]) -> str:
    """Every number of the chart in sentences, for those who cannot see it."""
    if not rows:
        return _("No registrations match the filters.")
    return " ".join(
        _(
            "%(group)s: %(registered)d registered, %(confirmed)d confirmed, "
            "%(attended)d attended, %(cancelled)d cancelled.",
            group=row.label,
            registered=row.counts.registered,
            confirmed=row.counts.confirmed,
            attended=row.counts.attended,
            cancelled=row.counts.cancelled,
        )
        for row in rows
    )


def _titled(root: ElementTree.Element, title: str, description: str) -> bytes:
    """The SVG with ``<title>`` and ``<desc>`` first, named as an image by them, and
    without pygal's inline script."""
    for defs in root.iter("defs"):
        for script in defs.findall("script"):
            defs.remove(script)
    for position, (tag, text) in enumerate((("title", title), ("desc", description))):
        element = ElementTree.Element(tag)
        element.text = text
        root.insert(position, element)
    root.set("role", "img")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
