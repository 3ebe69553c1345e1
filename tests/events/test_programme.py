"""An event's programme: typed as lines by organisers, checked line by line, shown by day.

The promise to organisers: a programme is typed the way it is written on paper,
and every line that cannot be read is named, with its number and what to do. To
participants: the programme of a study visit shows day by day, in 24-hour time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from registration.accounts.models import Role
from registration.database import utcnow
from registration.events import programme
from registration.events import services as events
from registration.events.models import EventStatus, EventType
from registration.extensions import db
from registration.i18n import WARSAW
from tests.factories import make_account, make_event

YEAR = utcnow().year + 1
FIRST, SECOND = date(YEAR, 3, 10), date(YEAR, 3, 11)

TWO_DAYS = f"""\
10.03.{YEAR}
09:30 Powitanie i kawa | Hol główny EC1
10:00–12:30 Spacer po Nowym Centrum Łodzi

{YEAR}-03-11
9.00 - 12.00 Warsztat: mieszkańcy współtworzą program
12:00—13:00 Obiad
"""


def _read(text: str, first: date = FIRST, last: date = SECOND) -> list[programme.Day]:
    return programme.days(text, first_day=first, last_day=last)


def _problems(text: str, first: date = FIRST, last: date = SECOND) -> list[int]:
    return [error.line for error in programme.check(text, first_day=first, last_day=last)]


def test_a_programme_reads_day_by_day_in_the_order_typed():
    days = _read(TWO_DAYS)
    assert [day.day for day in days] == [FIRST, SECOND]
    assert days[0].items == (
        programme.Item(FIRST, time(9, 30), None, "Powitanie i kawa", "Hol główny EC1"),
        programme.Item(FIRST, time(10, 0), time(12, 30), "Spacer po Nowym Centrum Łodzi"),
    )
    assert [(item.starts, item.ends, item.title) for item in days[1].items] == [
        (time(9, 0), time(12, 0), "Warsztat: mieszkańcy współtworzą program"),
        (time(12, 0), time(13, 0), "Obiad"),
    ]
    assert _problems(TWO_DAYS) == []


def test_a_one_day_event_needs_no_date_line():
    days = _read("10:00 Otwarcie\n11:00–12:00 Dyskusja", FIRST, FIRST)
    assert [(day.day, len(day.items)) for day in days] == [(FIRST, 2)]


def test_an_item_knows_its_moments_in_warsaw_time():
    item = _read(f"10.03.{YEAR}\n09:30–11:00 Spacer")[0].items[0]
    assert item.starts_at == datetime(YEAR, 3, 10, 9, 30, tzinfo=WARSAW)
    assert item.ends_at == datetime(YEAR, 3, 10, 11, 0, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("09:30 Kawa", [1]),  # several days, and no day given
        (f"10.03.{YEAR}\nKawa o wpół do dziesiątej", [2]),
        (f"10.03.{YEAR}\n25:00 Nocne zwiedzanie", [2]),
        (f"10.03.{YEAR}\n09:61 Kawa", [2]),
        (f"10.03.{YEAR}\n12:00–11:00 Wstecz", [2]),
        (f"10.03.{YEAR}\n12:00", [2]),
        (f"10.03.{YEAR}\n12:00 | tylko szczegóły", [2]),
        (f"31.02.{YEAR}\n09:00 Kawa", [1]),  # no such date; its items are not reported again
        (f"12.03.{YEAR}\n09:00 Kawa\n10:00 Spacer", [1]),  # not a day of the event
        (f"10.03.{YEAR}\n09:00 Kawa\n\n\nPrzerwa\n11.03.{YEAR}\n9:3 Coś", [5, 7]),
    ],
)
def test_every_line_that_does_not_read_is_named_by_its_number(text, lines):
    assert _problems(text) == lines


def test_messages_say_what_to_do_with_the_line(ctx):
    first_event_day = f"10.03.{YEAR}"
    messages = [
        str(error.describe())
        for error in programme.check(
            f"09:00 Kawa\n{first_event_day}\n25:00 Noc\n12:00–11:00 Wstecz\n12:00 | x\nPrzerwa"
            f"\n12.03.{YEAR}",
            first_day=FIRST,
            last_day=SECOND,
        )
    ]
    assert messages == [
        f"Wiersz 1: wydarzenie trwa kilka dni: podaj dzień w wierszu powyżej ({first_event_day}).",
        "Wiersz 3: zapisz godzinę tak: 09:30, od 00:00 do 23:59.",
        "Wiersz 4: koniec musi być później niż początek.",
        "Wiersz 5: po godzinie napisz, co się dzieje.",
        "Wiersz 6: zacznij od godziny (09:30 albo 10:00–12:00) i napisz, co się dzieje, albo "
        f"podaj dzień w osobnym wierszu ({first_event_day}).",
        f"Wiersz 7: 12.03.{YEAR} nie jest dniem wydarzenia ({first_event_day}–11.03.{YEAR}).",
    ]


def _fields(**overrides) -> dict:
    values = {
        "type": "study_visit",
        "title": "Wizyta studyjna: Łódź",
        "city": "lodz",
        "venue": "EC1 Łódź – Miasto Kultury",
        "address": "ul. Targowa 1/3",
        "starts_at": datetime(YEAR, 3, 10, 9, 30, tzinfo=WARSAW),
        "ends_at": datetime(YEAR, 3, 11, 17, 0, tzinfo=WARSAW),
        "capacity": 20,
        "contact_email": "koalicja.lodz@example.org",
    }
    return values | overrides


def test_the_service_refuses_a_programme_with_lines_it_cannot_read(ctx):
    admin = make_account("admin@example.org", role=Role.ADMIN.value, city_slug=None)
    with pytest.raises(events.InvalidEvent) as refused:
        events.create_event(_fields(programme="09:00 Kawa\n10.03.2099"), account=admin)
    assert list(refused.value.errors) == ["programme"]
    assert [str(message) for message in refused.value.errors["programme"]] == [
        f"Wiersz 1: wydarzenie trwa kilka dni: podaj dzień w wierszu powyżej (10.03.{YEAR}).",
        f"Wiersz 2: 10.03.2099 nie jest dniem wydarzenia (10.03.{YEAR}–11.03.{YEAR}).",
    ]
    event = events.create_event(_fields(programme=TWO_DAYS), account=admin)
    assert event.programme == TWO_DAYS.strip()


def test_a_long_list_of_problems_names_the_first_few_and_says_there_are_more(ctx):
    admin = make_account("admin@example.org", role=Role.ADMIN.value, city_slug=None)
    wrong = "\n".join(f"Punkt {number}" for number in range(1, 21))
    with pytest.raises(events.InvalidEvent) as refused:
        events.create_event(_fields(programme=wrong), account=admin)
    messages = [str(message) for message in refused.value.errors["programme"]]
    assert len(messages) == programme.MAX_REPORTED + 1
    assert [message.split(":")[0] for message in messages[:-1]] == [
        f"Wiersz {number}" for number in range(1, programme.MAX_REPORTED + 1)
    ]
    assert messages[-1].startswith("Kolejne wiersze też wymagają poprawek")


def test_moving_the_event_off_its_programme_days_is_refused_until_the_programme_moves(ctx):
    """A programme dated for days the event no longer has would mislead everybody."""
    admin = make_account("admin@example.org", role=Role.ADMIN.value, city_slug=None)
    event = events.create_event(_fields(programme=TWO_DAYS), account=admin)
    week = timedelta(days=7)
    with pytest.raises(events.InvalidEvent) as refused:
        events.update_event(
            event,
            {"starts_at": event.starts_at + week, "ends_at": event.ends_at + week},
            account=admin,
        )
    assert list(refused.value.errors) == ["programme"]
    moved = TWO_DAYS.replace(f"10.03.{YEAR}", f"17.03.{YEAR}").replace(
        f"{YEAR}-03-11", f"{YEAR}-03-18"
    )
    events.update_event(
        event,
        {"starts_at": event.starts_at + week, "ends_at": event.ends_at + week, "programme": moved},
        account=admin,
    )
    assert [day.day for day in programme.days_of(event)] == [FIRST + week, SECOND + week]


def test_the_limit_of_a_programme_is_its_column(ctx):
    admin = make_account("admin@example.org", role=Role.ADMIN.value, city_slug=None)
    limit = events.EVENT_FIELDS["programme"].max_length
    line = "09:00 " + "x" * 94 + "\n"  # 101 characters
    too_long = f"10.03.{YEAR}\n" + line * (limit // len(line) + 1)
    with pytest.raises(events.InvalidEvent) as refused:
        events.create_event(_fields(programme=too_long), account=admin)
    assert [str(m) for m in refused.value.errors["programme"]] == [
        "Skróć tekst do najwyżej 10\xa0000 znaków."
    ]


def test_the_event_page_shows_the_programme_by_day_in_24_hour_time(client, app):
    with app.app_context():
        event_id = make_event(
            type=EventType.STUDY_VISIT,
            starts_at=datetime(YEAR, 3, 10, 9, 30, tzinfo=WARSAW),
            ends_at=datetime(YEAR, 3, 11, 17, 0, tzinfo=WARSAW),
            programme=TWO_DAYS,
        ).id
        db.session.commit()
    polish = client.get(f"/events/{event_id}").text
    assert '<h2 id="programme-heading">Program</h2>' in polish
    assert f"10 marca {YEAR}</h3>" in polish
    english = client.get(f"/events/{event_id}?lang=en").text
    assert f"11 March {YEAR}</h3>" in english
    assert f'<time datetime="{YEAR}-03-10T10:00:00+01:00">10:00</time>' in english
    assert f'–<time datetime="{YEAR}-03-10T12:30:00+01:00">12:30</time>' in english
    assert "PM" not in english
    assert '<span class="programme__details" lang="pl">Hol główny EC1</span>' in english


def test_an_event_without_a_programme_shows_no_programme_section(client, app):
    with app.app_context():
        event_id = make_event(status=EventStatus.PUBLISHED).id
        db.session.commit()
    assert "programme-heading" not in client.get(f"/events/{event_id}").text
