"""Importing attendees reads the export's own files back and adds people by the seat rules.

A file is the back office's CSV (semicolons, UTF-8 with BOM) or XLSX, or what a
person typed in Excel with the same column names, in Polish or English, also as
CSV with commas or in Windows-1250 from an older Polish Excel. Every row is checked
as the registration form checks it; then each goes through ``add_by_hand``, so a
full event waitlists, and each person gets their email unless the organiser said no.
"""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from registration.accounts.models import AuditEntry
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import OutboxMessage
from registration.registrations import exports, imports
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_account, make_event, make_registration

POLISH_HEADER = ["Imię i nazwisko", "Adres e-mail", "Instytucja", "Kategoria", "Miasto"]
ENGLISH_HEADER = ["Full name", "Email address", "Institution", "Category", "City"]


@pytest.fixture
def ctx(ctx):
    """The application's context, its messages in English, as these tests read them."""
    with force_locale("en"):
        yield ctx


def person(number: int, **overrides) -> list[str]:
    values = {
        "name": f"Zażółć Gęślą {number}",
        "email": f"osoba.{number}@example.org",
        "institution": "Muzeum Łódzkie",
        "category": "Pracownik instytucji kultury",
        "city": "Łódź",
    }
    values.update(overrides)
    return list(values.values())


def csv_file(header, *rows, delimiter=";", encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(header, *rows) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def names(rows) -> list[str]:
    return [row.values["name"] for row in rows]


# --- Reading ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        csv_file(POLISH_HEADER, person(1), person(2)),
        csv_file(POLISH_HEADER, person(1), person(2), encoding="utf-8"),
        csv_file(POLISH_HEADER, person(1), person(2), delimiter=","),
        csv_file(POLISH_HEADER, person(1), person(2), encoding="cp1250"),
        csv_file(ENGLISH_HEADER, person(1), person(2)),
        xlsx_file(POLISH_HEADER, person(1), person(2)),
    ],
    ids=["semicolons-bom", "no-bom", "commas", "cp1250", "english-header", "xlsx"],
)
def test_a_file_in_any_form_the_export_or_excel_writes_reads_with_polish_letters(ctx, data):
    rows = imports.read(data)

    assert names(rows) == ["Zażółć Gęślą 1", "Zażółć Gęślą 2"]
    assert rows[0].values["city"] == "Łódź"
    assert [row.number for row in rows] == [2, 3]


def test_headers_are_matched_without_regard_to_case_and_spaces_and_other_columns_are_ignored(ctx):
    header = ["  IMIĘ I   nazwisko ", "Status", "adres e-mail", "INSTYTUCJA", "kategoria", "miasto"]
    rows = imports.read(csv_file(header, ["Anna Nowak", "Potwierdzone", *person(1)[1:]]))

    assert rows[0].values["name"] == "Anna Nowak"
    assert "Status" not in rows[0].values


def test_row_numbers_are_the_spreadsheets_and_blank_rows_are_left_out(ctx):
    rows = imports.read(csv_file(POLISH_HEADER, person(1), ["", "", "", "", ""], person(2)))

    assert [row.number for row in rows] == [2, 4]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (csv_file(POLISH_HEADER), "only the column names"),
        (b"\x00\x01\x02binary\xff\xfe", "not a CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", ".xls"),
        (b"PK\x03\x04broken zip", "could not be read"),
        (csv_file(["Name", "Surname"], ["Anna", "Nowak"]), "Missing"),
        (b"Imie;Miasto\n\x81\x83\x88\x90\x98", "characters could not be read"),
        (csv_file(POLISH_HEADER, ["x" * 200_000, "a@example.org", "i", "Inne", "c"]), "not a CSV"),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "binary",
        "old-excel",
        "broken-xlsx",
        "foreign-columns",
        "foreign-encoding",
        "huge-cell",
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole_with_a_reason(ctx, data, says):
    with pytest.raises(imports.ImportFileError) as refused:
        imports.read(data)

    assert says in str(refused.value.message)


def test_a_file_with_more_than_the_limit_of_people_is_refused(ctx):
    rows = [person(number) for number in range(imports.MAX_ROWS + 1)]

    with pytest.raises(imports.ImportFileError, match="more than 1000"):
        imports.read(csv_file(POLISH_HEADER, *rows))


def test_an_xlsx_that_would_unpack_to_a_huge_file_is_refused(ctx):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * (imports.MAX_UNPACKED_BYTES + 1))

    with pytest.raises(imports.ImportFileError, match="too large"):
        imports.read(bomb.getvalue())


# --- Checking rows ----------------------------------------------------------------


def test_each_row_is_checked_by_the_forms_rules_and_skipped_with_its_errors(ctx):
    event = make_event(capacity=10)
    rows = imports.read(
        csv_file(
            POLISH_HEADER,
            person(1),
            person(2, name="", email="not an address"),
            person(3, institution="x" * 201),
            person(4, category="Astronauta"),
            person(5, category="official"),
            person(6, category="local government official"),
        )
    )

    checked = imports.preview(event, rows)

    errors = {row.number: row.errors for row in checked.rows}
    assert errors[2] == []
    assert "Enter your full name" in errors[3]
    assert any("correct format" in error for error in errors[3])
    assert any("200 characters" in error for error in errors[4])
    assert any("Unknown category “Astronauta”" in error for error in errors[5])
    assert errors[6] == errors[7] == []
    assert (checked.confirmed, checked.skipped) == (3, 3)


def test_a_language_other_than_polish_or_english_is_an_error(ctx):
    event = make_event()
    rows = imports.read(
        csv_file([*POLISH_HEADER, "Język"], [*person(1), "en"], [*person(2), "de"], person(3))
    )

    checked = imports.preview(event, rows)

    assert [row.errors != [] for row in checked.rows] == [False, True, False]
    assert checked.rows[0].applicant.language == "en"
    assert checked.rows[2].applicant.language == "pl"


def test_repeated_and_already_registered_addresses_are_skipped(ctx):
    event = make_event()
    make_registration(event, email="zapisana@example.org")
    rows = imports.read(
        csv_file(
            POLISH_HEADER,
            person(1),
            person(2, email="OSOBA.1@example.org"),
            person(3, email="Zapisana@Example.org"),
        )
    )

    checked = imports.preview(event, rows)

    assert checked.rows[0].errors == []
    assert checked.rows[1].errors == ["The same email address as row 2."]
    assert checked.rows[2].errors == ["Already registered for this event."]


def test_a_formula_in_an_xlsx_cell_is_an_error_never_a_value(ctx):
    event = make_event()
    rows = imports.read(xlsx_file(POLISH_HEADER, person(1, name='=HYPERLINK("http://x")')))

    checked = imports.preview(event, rows)

    assert "formula" in checked.rows[0].errors[0]


def test_a_formula_quoted_by_the_export_comes_back_as_the_text_it_was(ctx):
    event = make_event()
    rows = imports.read(csv_file(POLISH_HEADER, person(1, name="'=1+1 Nowak")))

    assert rows[0].values["name"] == "=1+1 Nowak"
    assert imports.preview(event, rows).rows[0].errors == []


# --- Importing --------------------------------------------------------------------


def test_the_exports_own_files_import_into_another_event_as_the_same_people(ctx):
    source = make_event(capacity=10)
    for number in range(3):
        make_registration(source, name=f"Łucja Żak {number}", position=None, language="en")
    target = make_event(capacity=10)
    organiser = make_account()
    db.session.commit()
    people = exports.attendees(source.id)

    for data in (exports.csv_bytes(people), exports.xlsx_bytes(people, title="x")):
        target = make_event(capacity=10)
        imports.run(target, imports.read(data), account=organiser, send_emails=False)

        imported = exports.attendees(target.id)
        assert [
            (r.full_name, r.email, r.institution, r.position, r.category, r.city, r.language)
            for r in imported
        ] == [
            (r.full_name, r.email, r.institution, r.position, r.category, r.city, r.language)
            for r in people
        ]


def test_thirty_people_for_twenty_seats_give_twenty_seats_and_ten_places_in_line(ctx):
    event = make_event(capacity=20, waitlist=True)
    organiser = make_account()
    rows = imports.read(csv_file(POLISH_HEADER, *(person(n) for n in range(30))))

    checked = imports.preview(event, rows)
    outcome = imports.run(event, rows, account=organiser, send_emails=True)

    assert (checked.confirmed, checked.waitlisted) == (20, 10)
    assert (outcome.confirmed, outcome.waitlisted, outcome.skipped) == (20, 10, 0)
    registrations = exports.attendees(event.id)
    assert [r.full_name for r in registrations] == [f"Zażółć Gęślą {n}" for n in range(30)]
    assert [r.status for r in registrations] == [RegistrationStatus.CONFIRMED] * 20 + [
        RegistrationStatus.WAITLISTED
    ] * 10


def test_without_a_waitlist_the_people_past_the_capacity_are_refused(ctx):
    event = make_event(capacity=2, waitlist=False)
    organiser = make_account()
    rows = imports.read(csv_file(POLISH_HEADER, *(person(n) for n in range(3))))

    assert imports.preview(event, rows).refused == 1
    outcome = imports.run(event, rows, account=organiser, send_emails=True)

    assert (outcome.confirmed, outcome.waitlisted) == (2, 0)
    assert outcome.refused == [(4, "This event is full and has no waitlist.")]


def test_free_seats_go_to_the_people_waiting_before_anybody_imported(ctx):
    event = make_event(capacity=1, waitlist=True)
    make_registration(event)
    waiting = make_registration(event)
    event.capacity = 2  # straight in the database: a seat free while somebody waits
    organiser = make_account()
    db.session.commit()
    rows = imports.read(csv_file(POLISH_HEADER, person(1)))

    assert imports.preview(event, rows).waitlisted == 1
    imports.run(event, rows, account=organiser, send_emails=False)

    db.session.refresh(waiting)
    assert waiting.status == RegistrationStatus.CONFIRMED


def test_an_address_registered_between_preview_and_import_is_refused_alone(ctx):
    event = make_event()
    organiser = make_account()
    rows = imports.read(csv_file(POLISH_HEADER, person(1), person(2)))
    make_registration(event, email="osoba.1@example.org")
    db.session.commit()

    outcome = imports.run(event, rows, account=organiser, send_emails=False)

    assert outcome.confirmed == 1
    assert outcome.skipped == 1  # checked again at import: already registered


def test_one_audit_entry_says_the_counts_without_personal_data(ctx):
    event = make_event(capacity=1)
    organiser = make_account()
    rows = imports.read(csv_file(POLISH_HEADER, person(1), person(2), person(3, email="x")))

    imports.run(event, rows, account=organiser, send_emails=False)

    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.import")
    )
    assert entry.details == {"confirmed": 1, "waitlisted": 1, "skipped": 1, "emails": "not sent"}
    assert "osoba" not in str(entry.details)
    per_person = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.add_by_hand")
    ).all()
    assert len(per_person) == 2


# --- Emails -----------------------------------------------------------------------


def test_each_imported_person_gets_their_email(mail_app, smtp):
    with mail_app.app_context():
        event = make_event(capacity=1)
        organiser = make_account()
        rows = imports.read(csv_file(POLISH_HEADER, person(1), person(2)))
        imports.run(event, rows, account=organiser, send_emails=True)
        deliver_due()

    assert len(smtp.messages_to("osoba.1@example.org")) == 1
    assert len(smtp.messages_to("osoba.2@example.org")) == 1


def test_with_emails_turned_off_nobody_imported_is_written_to(mail_app, smtp):
    with mail_app.app_context():
        event = make_event(capacity=1)
        organiser = make_account()
        rows = imports.read(csv_file(POLISH_HEADER, person(1), person(2)))
        imports.run(event, rows, account=organiser, send_emails=False)
        queued = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
        deliver_due()
        imported = db.session.scalar(sa.select(sa.func.count(Registration.id)))

    assert imported == 2
    assert queued == 0
    assert smtp.received == []


def test_people_after_many_blank_rows_of_an_xlsx_still_count_towards_the_limit(ctx):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(POLISH_HEADER)
    for number in range(imports.MAX_ROWS):
        sheet.append(person(number))
    sheet.cell(row=imports.MAX_ROWS + 50, column=1, value="Spóźniona Osoba")
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(imports.ImportFileError, match="more than 1000"):
        imports.read(buffer.getvalue())
