"""Attendee exports open in Excel with Polish letters intact and never run a formula.

Names and institutions come from the public: a registration called
``=HYPERLINK("http://evil.example","Kliknij")`` must reach the organiser's
spreadsheet as text (OWASP "CSV injection"). The CSV is for Excel with Polish
regional settings (semicolons, UTF-8 with BOM, CRLF); the XLSX holds typed text,
shown exactly as written.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from registration.accounts import services as account_services
from registration.extensions import db
from registration.registrations import services
from registration.registrations.exports import neutralise
from registration.registrations.models import Registration
from tests.factories import make_event, make_registration

WARSAW = ZoneInfo("Europe/Warsaw")
HOSTILE = {
    "full_name": '=HYPERLINK("http://evil.example","Kliknij")',
    "institution": "+1",
    "position": "-2",
    "city": "@SUM(A1:A9)",
    "needs": "\t=1+2",
}


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Signing in is tested in tests/accounts; here argon2's cost would only slow every test."""
    monkeypatch.setattr(
        account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def event_id(app) -> int:
    """Three people in order of arrival: a Polish name, a hostile one, one on the waitlist."""
    with app.app_context():
        event = make_event(title="Wizyta studyjna: Łódź – żywa kultura", capacity=2)
        make_registration(
            event,
            name="Zażółć Gęślą Jaźń",
            email="zazolc@example.org",
            institution="Muzeum Łódzkie",
            position=None,
            city="Łódź",
        )
        hostile = make_registration(event, email="evil@example.org")
        waiting = make_registration(event, name="Łucja Czekająca", email="lucja@example.org")
        services.check_in(hostile, account=None, other_day=True)
        # Straight into the database: exports must be safe whatever got stored.
        db.session.execute(
            sa.update(Registration).where(Registration.id == hostile.id).values(**HOSTILE)
        )
        assert waiting.status.value == "waitlisted"
        db.session.commit()
        return event.id


def read_csv(body: bytes) -> list[list[str]]:
    """The back office's CSV read as Excel with Polish regional settings reads it."""
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def read_xlsx(body: bytes):
    return openpyxl.load_workbook(io.BytesIO(body)).active


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+48 600 000 000", "'+48 600 000 000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        # Full-width signs: spreadsheets with East Asian input read them as formulas too.
        ("＝1+1", "'＝1+1"),
        ("＋48 600 000 000", "'＋48 600 000 000"),
        ("－2", "'－2"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        # Invisible characters in front hide the sign from a check of the first character.
        ("\u200b=1+1", "'\u200b=1+1"),
        ("\u200c+1", "'\u200c+1"),
        ("\u200d-2", "'\u200d-2"),
        ("\u2060@SUM(A1)", "'\u2060@SUM(A1)"),
        ("\ufeff=1+1", "'\ufeff=1+1"),
        ("\u200e\u202e\u00ad=1+1", "'\u200e\u202e\u00ad=1+1"),
        ("\u200b＝1+1", "'\u200b＝1+1"),
        # So do spaces and line breaks, which some programs trim on import.
        (" =1+1", "' =1+1"),
        ("\u00a0\u3000+1", "'\u00a0\u3000+1"),
        ("\n=1+1", "'\n=1+1"),
        ("Łódź", "Łódź"),
        ("\u200bŁódź", "\u200bŁódź"),
        (" Łódź", " Łódź"),
        ("a=b", "a=b"),
        ("a\u200b=b", "a\u200b=b"),
        ("\u200b", "\u200b"),
        ("", ""),
    ],
)
def test_neutralise(value, written):
    assert neutralise(value) == written


class TestCsv:
    def test_has_a_bom_a_header_and_every_registration_in_order_of_arrival(
        self, client, signed_in, event_id
    ):
        signed_in()
        response = client.get(f"/organiser/events/{event_id}/attendees.csv?lang=en")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="attendees-{event_id}.csv"'
        )
        assert response.headers["Cache-Control"] == "no-store"
        rows = read_csv(response.data)
        assert rows[0][:3] == ["ID", "Full name", "Email address"]
        assert all(len(row) == len(rows[0]) for row in rows)
        assert [row[2] for row in rows[1:]] == [
            "zazolc@example.org",
            "evil@example.org",
            "lucja@example.org",
        ]
        polish = rows[1]
        assert polish[1] == "Zażółć Gęślą Jaźń"
        assert polish[3] == "Muzeum Łódzkie"
        assert polish[6] == "Łódź"
        assert polish[8] == "Confirmed"
        assert rows[3][8:10] == ["On the waitlist", "1"]

    def test_opens_in_polish_excel_semicolons_utf8_with_bom_and_crlf(
        self, app, client, signed_in, event_id
    ):
        with app.app_context():
            db.session.execute(
                sa.update(Registration)
                .where(Registration.email == "zazolc@example.org")
                .values(position="Kierowniczka; działu")
            )
            db.session.commit()
        signed_in()
        body = client.get(f"/organiser/events/{event_id}/attendees.csv?lang=pl").data
        assert body.startswith(codecs.BOM_UTF8)
        text = body.decode("utf-8-sig")
        lines = text.split("\r\n")
        assert lines[-1] == ""  # every line ends with CRLF, and nothing else breaks a line
        assert lines[0].startswith("ID;Imię i nazwisko;")
        assert lines[1].startswith(f"{read_csv(body)[1][0]};Zażółć Gęślą Jaźń;zazolc@example.org;")
        assert ';"Kierowniczka; działu";' in lines[1]  # a semicolon in a cell is quoted
        assert "Łódź".encode() in body

    def test_hostile_cells_are_neutralised(self, client, signed_in, event_id):
        signed_in()
        rows = read_csv(client.get(f"/organiser/events/{event_id}/attendees.csv").data)
        hostile = rows[2]
        assert hostile[1] == '\'=HYPERLINK("http://evil.example","Kliknij")'
        assert hostile[3] == "'+1"
        assert hostile[4] == "'-2"
        assert hostile[6] == "'@SUM(A1:A9)"
        assert hostile[7] == "'\t=1+2"
        formula_starts = ("=", "+", "-", "@", "\t", "\r")
        assert not any(cell.startswith(formula_starts) for row in rows for cell in row)

    def test_full_width_and_invisibly_prefixed_formulas_are_neutralised(
        self, app, client, signed_in, event_id
    ):
        with app.app_context():
            db.session.execute(
                sa.update(Registration)
                .where(Registration.email == "evil@example.org")
                .values(
                    full_name='＝HYPERLINK("http://evil.example","Kliknij")',
                    institution="\u200b=1+1",
                    position="\ufeff@SUM(A1:A9)",
                )
            )
            db.session.commit()
        signed_in()
        csv_row = read_csv(client.get(f"/organiser/events/{event_id}/attendees.csv").data)[2]
        assert csv_row[1] == '\'＝HYPERLINK("http://evil.example","Kliknij")'
        assert csv_row[3] == "'\u200b=1+1"
        assert csv_row[4] == "'\ufeff@SUM(A1:A9)"
        sheet = read_xlsx(client.get(f"/organiser/events/{event_id}/attendees.xlsx").data)
        xlsx_row = list(next(sheet.iter_rows(min_row=3, max_row=3)))
        assert xlsx_row[1].value == '＝HYPERLINK("http://evil.example","Kliknij")'
        assert xlsx_row[3].value == "\u200b=1+1"
        assert xlsx_row[4].value == "\ufeff@SUM(A1:A9)"
        assert all(cell.data_type == "s" for cell in xlsx_row[1:5])

    def test_times_are_in_warsaw(self, app, client, signed_in, event_id):
        signed_in()
        rows = read_csv(client.get(f"/organiser/events/{event_id}/attendees.csv").data)
        with app.app_context():
            hostile = db.session.scalars(
                sa.select(Registration).where(Registration.email == "evil@example.org")
            ).one()
            checked_in_at = hostile.checked_in_at.astimezone(WARSAW)
        assert rows[2][13] == checked_in_at.strftime("%Y-%m-%d %H:%M")


class TestXlsx:
    def test_opens_with_polish_letters_and_text_that_never_runs(self, client, signed_in, event_id):
        signed_in()
        response = client.get(f"/organiser/events/{event_id}/attendees.xlsx")
        assert response.status_code == 200
        assert response.mimetype == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert response.headers["Cache-Control"] == "no-store"
        sheet = read_xlsx(response.data)
        rows = [list(row) for row in sheet.iter_rows()]
        assert sheet.title == "Wizyta studyjna Łódź – żywa kul"  # 31 characters, no colon
        assert rows[1][1].value == "Zażółć Gęślą Jaźń"
        hostile = {cell.column: cell for cell in rows[2]}
        # Shown exactly as written, no quote in front: typed text that never runs.
        assert hostile[2].value == '=HYPERLINK("http://evil.example","Kliknij")'
        assert hostile[4].value == "+1"
        assert hostile[5].value == "-2"
        assert hostile[7].value == "@SUM(A1:A9)"
        assert hostile[8].value == "\t=1+2"
        assert all(hostile[column].data_type == "s" for column in (2, 4, 5, 7, 8))
        assert all(cell.data_type != "f" for row in rows for cell in row)
        assert not any(
            isinstance(cell.value, str) and cell.value.startswith("'")
            for row in rows
            for cell in row
        )
        assert hostile[14].is_date  # checked in: a real date-time for Excel
        assert rows[3][9].value == 1  # place on the waitlist: a number

    def test_same_rows_as_the_csv_but_for_its_neutralising_quotes(
        self, client, signed_in, event_id
    ):
        signed_in()
        csv_rows = read_csv(client.get(f"/organiser/events/{event_id}/attendees.csv").data)
        sheet = read_xlsx(client.get(f"/organiser/events/{event_id}/attendees.xlsx").data)
        xlsx_rows = [
            [
                ""
                if value is None
                else value.strftime("%Y-%m-%d %H:%M")
                if hasattr(value, "strftime")
                else neutralise(value)
                if isinstance(value, str)
                else str(value)
                for value in row
            ]
            for row in sheet.iter_rows(values_only=True)
        ]
        assert xlsx_rows == csv_rows

    def test_a_formula_is_stored_as_a_string(self, app, client, signed_in, event_id):
        with app.app_context():
            db.session.execute(
                sa.update(Registration)
                .where(Registration.email == "evil@example.org")
                .values(full_name="=1+1")
            )
            db.session.commit()
        signed_in()
        body = client.get(f"/organiser/events/{event_id}/attendees.xlsx").data
        cell = read_xlsx(body)["B3"]
        assert (cell.value, cell.data_type) == ("=1+1", "s")
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            worksheet = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in worksheet
        assert "<f " not in worksheet
        assert '<c r="B3" t="inlineStr"><is><t>=1+1</t></is></c>' in worksheet


def test_exports_of_another_citys_event_are_forbidden(app, client, signed_in):
    with app.app_context():
        event = make_event(city_slug="gdansk")
        make_registration(event, name="Gdańska Osoba")
        db.session.commit()
        event_id = event.id
    signed_in()
    for export in ("attendees.csv", "attendees.xlsx", "sign-in-sheet"):
        response = client.get(f"/organiser/events/{event_id}/{export}")
        assert response.status_code == 403, export
        assert "Gdańska Osoba".encode() not in response.data
