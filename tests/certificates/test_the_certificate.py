"""The certificate itself (docs/certificates.md): a PDF that reads back with the person's
name as written, the event, where and when, the days they were there, the hours of a
one-day event, the organiser, and the code with its verification address; in the
language of the registration."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale

from registration.certificates import document, services
from registration.extensions import db
from registration.i18n import WARSAW
from tests.certificates.conftest import (
    FRIDAY,
    THURSDAY,
    WEDNESDAY,
    attendee,
    study_visit,
    text_of,
)
from tests.factories import make_event

POLISH_NAME = "Zażółć Gęślą Jaźń-Brzęczyszczykiewicz"


def certificate_text(registration) -> str:
    holder = services.Holder(
        registration, services.issue(registration), services.days_attended(registration)
    )
    [page] = text_of(document.one(holder))
    return page


def test_a_polish_certificate_names_the_person_event_place_dates_and_days(visit):
    anna = attendee(visit, [WEDNESDAY, FRIDAY], name=POLISH_NAME, language="pl")
    text = certificate_text(anna)

    assert "Zaświadczenie o udziale" in text
    assert POLISH_NAME in text  # the font is embedded: every letter as written
    assert "„Wizyta studyjna: Łódź – żywa kultura”" in text
    assert "Wrocław, Wrocławski Dom Literatury · 10–12 marca 2027" in text
    assert "Obecność: 10 marca 2027, 12 marca 2027" in text
    assert "Organizator Strefa Kultury Wrocław" in text


def test_consecutive_days_read_as_a_range(visit):
    anna = attendee(visit, [WEDNESDAY, THURSDAY, FRIDAY])
    assert "Obecność: 10–12 marca 2027" in certificate_text(anna)


def test_an_english_registration_gets_an_english_certificate(visit):
    ben = attendee(visit, [THURSDAY], name="Benjamin Smith", language="en")
    text = certificate_text(ben)

    assert "Certificate of attendance" in text
    assert "This is to certify that Benjamin Smith took part in the event" in text
    assert "10–12 March 2027" in text
    assert "Present on: 11 March 2027" in text
    assert "Organiser Strefa Kultury Wrocław" in text


def test_the_code_and_the_address_that_confirms_it_are_printed(visit):
    anna = attendee(visit, [WEDNESDAY])
    code = services.issue(anna).code
    text = certificate_text(anna)

    assert code in text
    assert f"https://koalicja.example.org/certificates/{code}" in text


def test_a_one_day_event_states_its_hours_and_a_longer_one_does_not(ctx):
    seminar = make_event(starts_at=datetime(2027, 4, 14, 10, 0, tzinfo=WARSAW), hours=6.5)
    cara = attendee(seminar, [date(2027, 4, 14)], language="pl")
    dan = attendee(seminar, [date(2027, 4, 14)], language="en")
    visit = study_visit()
    eve = attendee(visit, [WEDNESDAY])

    assert "Liczba godzin: 6,5" in certificate_text(cara)
    assert "Hours: 6.5" in certificate_text(dan)
    assert "godzin" not in certificate_text(eve)


def test_a_code_is_fixed_at_first_issue(visit):
    anna = attendee(visit, [WEDNESDAY])
    first = services.issue(anna)
    db.session.commit()
    assert services.issue(anna).code == first.code
    assert first.code in certificate_text(anna)


def test_a_code_is_twelve_unambiguous_characters_in_three_groups():
    codes = {services.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        groups = code.split("-")
        assert [len(group) for group in groups] == [4, 4, 4]
        assert not set("".join(groups)) & set("ILOU")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN"),
        ("abcd efgh jkmn", "ABCD-EFGH-JKMN"),
        (" abcdefghjkmn ", "ABCD-EFGH-JKMN"),
        ("0O1I-L000-1111", "0011-1000-1111"),  # a letter typed for the digit it looks like
        ("ABCD–EFGH—JKMN", "ABCD-EFGH-JKMN"),  # dashes a word processor made
    ],
)
def test_a_code_is_read_as_people_type_it(typed, read):
    assert services.normalised_code(typed) == read


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCD-EFGH-JKM",
        "ABCD-EFGH-JKMNP",
        "ABCD-EFGH-JKMU",
        "ąbcd-efgh-jkmn",
        "A\x00" * 6,
        "A" * 5000,
        None,
        12,
    ],
)
def test_anything_else_is_no_code(typed):
    assert services.normalised_code(typed) is None


def test_the_organisers_file_has_a_page_per_person_checked_in_by_surname(visit):
    attendee(visit, [WEDNESDAY], name="Zofia Zielińska")
    attendee(visit, [THURSDAY], name="Adam Łukasiewicz")
    attendee(visit, [], name="Nina Nieobecna")  # registered, never checked in
    db.session.commit()

    pages = text_of(document.pdf(services.holders(visit), event=visit))

    assert len(pages) == 2
    assert "Adam Łukasiewicz" in pages[0]
    assert "Zofia Zielińska" in pages[1]
    assert not any("Nieobecna" in page for page in pages)


def test_with_nobody_checked_in_the_file_says_so(visit):
    with force_locale("pl"):
        [page] = text_of(document.pdf([], event=visit))
    assert "Nikt nie został jeszcze odnotowany na tym wydarzeniu." in page


@pytest.mark.parametrize(
    ("first", "last", "pl", "en"),
    [
        (date(2027, 3, 10), date(2027, 3, 10), "10 marca 2027", "10 March 2027"),
        (date(2027, 3, 10), date(2027, 3, 12), "10–12 marca 2027", "10–12 March 2027"),
        (
            date(2027, 3, 30),
            date(2027, 4, 2),
            "30 marca – 2 kwietnia 2027",
            "30 March – 2 April 2027",
        ),
        (
            date(2027, 12, 30),
            date(2028, 1, 2),
            "30 grudnia 2027 – 2 stycznia 2028",
            "30 December 2027 – 2 January 2028",
        ),
    ],
)
def test_dates_are_written_as_each_language_writes_a_range(app, first, last, pl, en):
    with app.app_context():
        with force_locale("pl"):
            assert document.days_range(first, last) == pl
        with force_locale("en"):
            assert document.days_range(first, last) == en


def test_an_event_ending_at_midnight_ends_the_day_before(ctx):
    starts = datetime(2027, 3, 10, 18, 0, tzinfo=WARSAW)
    evening = make_event(starts_at=starts, ends_at=starts + timedelta(hours=6))
    with force_locale("pl"):
        assert document.date_range(evening) == "10 marca 2027"
