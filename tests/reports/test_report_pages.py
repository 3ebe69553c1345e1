"""The report in the back office: who may read which numbers, the filters, the downloads
and the charts, and hostile filters answered with a message, never a 500."""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

#: The season's figures (conftest), in the downloads' column order.
SEMINAR = [4, 2, 1, 1, 2, 2, 1, 0, 1]
VISIT = [2, 1, 0, 1, 0, 1, 0, 1, 0]
BOTH = [a + b for a, b in zip(SEMINAR, VISIT, strict=True)]


def total_registrations(response) -> str:
    page = BeautifulSoup(response.text, "html.parser")
    return page.select_one(".report-totals dd").get_text(strip=True)


def test_the_menu_leads_admins_and_organisers_to_the_reports(client, signed_in):
    signed_in("organiser@example.org")
    page = BeautifulSoup(client.get("/organiser/").text, "html.parser")
    assert page.select_one('nav a[href="/organiser/reports"]').get_text() == "Raporty"


def test_an_admin_reads_every_citys_events_and_may_choose_one(client, signed_in, season):
    signed_in("admin@example.org", role="admin", city_slug=None)
    response = client.get("/organiser/reports")
    assert response.status_code == 200
    assert total_registrations(response) == "6"
    assert total_registrations(client.get("/organiser/reports?city=gdansk")) == "2"


def test_an_organiser_reads_their_own_citys_events_only(client, signed_in, season):
    signed_in("gdansk@example.org", city_slug="gdansk")
    response = client.get("/organiser/reports")
    assert total_registrations(response) == "2"
    assert 'name="city"' not in response.text
    assert total_registrations(client.get("/organiser/reports?city=gdansk")) == "2"


@pytest.mark.parametrize(
    "path",
    ["/organiser/reports", "/organiser/reports.csv", "/organiser/reports/home_city.svg"],
)
def test_another_citys_numbers_are_refused_to_an_organiser(client, signed_in, season, path):
    signed_in("gdansk@example.org", city_slug="gdansk")
    assert client.get(path, query_string={"city": "wroclaw"}).status_code == 403


def test_door_staff_see_no_reports(client, signed_in, season):
    signed_in("door@example.org", role="check_in", city_slug="gdansk")
    assert client.get("/organiser/reports").status_code == 403
    assert client.get("/organiser/reports.xlsx").status_code == 403
    assert client.get("/organiser/reports/quarter.svg").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/organiser/reports").status_code == 302
    assert client.get("/organiser/reports/quarter.svg").status_code == 302


def test_the_period_filter_takes_polish_dates(client, signed_in, season):
    signed_in("admin@example.org", role="admin", city_slug=None)
    response = client.get("/organiser/reports?since=1.04.2026")
    assert total_registrations(response) == "2"
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#report-since")["value"] == "01.04.2026"
    # The downloads and the charts carry the same filters.
    assert page.select_one("a[href^='/organiser/reports.csv']")["href"].endswith("since=2026-04-01")
    assert "since=2026-04-01" in page.select_one(".report-chart img")["src"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "31.02.2026"}, "since", "Wpisz datę w formacie dzień.miesiąc.rok"),
        ({"until": "jutro"}, "until", "Wpisz datę w formacie dzień.miesiąc.rok"),
        ({"since": "2.04.2026", "until": "1.04.2026"}, "until", "nie może"),
        ({"city": "atlantyda"}, "city", "Wybierz miasto z listy."),
    ],
)
def test_a_wrong_filter_is_named_in_the_visitors_language(
    client, signed_in, season, query, field, message
):
    signed_in("admin@example.org", role="admin", city_slug=None)
    response = client.get("/organiser/reports", query_string=query)
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    assert message in page.select_one(f"#report-{field}-error").get_text()
    assert page.select_one(f"#report-{field}")["aria-invalid"] == "true"
    for download in ("/organiser/reports.csv", "/organiser/reports/category.svg"):
        assert client.get(download, query_string=query).status_code == 400


def test_the_csv_has_the_pages_numbers_for_excel_with_polish_settings(client, signed_in, season):
    signed_in("admin@example.org", role="admin", city_slug=None)
    response = client.get("/organiser/reports.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Zestawienie", "Grupa", "Zgłoszenia"]
    assert len(rows[0]) == 11
    by_group = {(row[0], row[1]): [int(value) for value in row[2:]] for row in rows[1:]}
    assert by_group[("Razem", "Wszystkie zgłoszenia")] == BOTH
    assert by_group[("Według rodzaju wydarzenia", "Seminarium problemowe")] == SEMINAR
    assert by_group[("Według kwartału", "II kw. 2026")] == VISIT
    assert by_group[("Według miasta uczestnika", "Inne miasto")] == [1, 1, 0, 1, 0, 1, 1, 0, 0]


def test_the_xlsx_has_the_same_numbers_as_numbers(client, signed_in, season):
    signed_in("admin@example.org", role="admin", city_slug=None)
    client.get("/organiser/reports?lang=en")
    response = client.get("/organiser/reports.xlsx", query_string={"city": "wroclaw"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Breakdown", "Group", "Registrations", "Confirmed")
    by_group = {(row[0], row[1]): list(row[2:]) for row in rows[1:]}
    assert by_group[("All", "All registrations")] == SEMINAR
    assert by_group[("By quarter", "2026 Q1")] == SEMINAR
    assert ("By quarter", "2026 Q2") not in by_group


def test_each_chart_is_an_svg_with_its_title_and_every_number_described(client, signed_in, season):
    signed_in("admin@example.org", role="admin", city_slug=None)
    response = client.get("/organiser/reports/home_city.svg?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(response.data)  # noqa: S314  (our own answer)
    namespace = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    assert svg.find(f"{namespace}title").text == "By home city"
    description = svg.find(f"{namespace}desc").text
    assert "Gdańsk: 2 registered, 2 confirmed, 1 attended, 0 cancelled." in description
    assert "Another city: 1 registered" in description
    assert svg.find(f".//{namespace}script") is None
    # Its own styles, nothing else: no script, nothing fetched.
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy


def test_an_unknown_chart_is_not_found(client, signed_in):
    signed_in("admin@example.org", role="admin", city_slug=None)
    assert client.get("/organiser/reports/salaries.svg").status_code == 404


def test_the_page_shows_each_breakdown_as_a_chart_and_a_table_of_the_same_numbers(
    client, signed_in, season
):
    signed_in("admin@example.org", role="admin", city_slug=None)
    page = BeautifulSoup(client.get("/organiser/reports?lang=en").text, "html.parser")
    sections = page.select("section.report")
    assert [section.h2.get_text() for section in sections] == [
        "By home city",
        "By category",
        "By event type",
        "By quarter",
    ]
    for section in sections:
        image = section.select_one(".report-chart img")
        assert "The numbers are in the table below." in image["alt"]
        assert section.select_one("table.report-table caption")
    quarter = sections[3].select("tbody tr")
    assert [row.th.get_text() for row in quarter] == ["2026 Q1", "2026 Q2"]
    assert [int(cell.get_text()) for cell in quarter[1].select("td")] == VISIT


def test_without_registrations_the_page_says_so(client, signed_in):
    signed_in("admin@example.org", role="admin", city_slug=None)
    response = client.get("/organiser/reports?lang=en")
    assert response.status_code == 200
    assert "No registrations match these filters." in response.text  # the quarters
    chart = client.get("/organiser/reports/quarter.svg?lang=en")
    assert chart.status_code == 200
    assert b"<desc>No registrations match the filters.</desc>" in chart.data
