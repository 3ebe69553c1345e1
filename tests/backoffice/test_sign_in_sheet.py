"""The sign-in sheet: confirmed people by surname, in Polish order, with one signature
column per day of the event, printed on A4 (the print itself: tests/browser)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher

from registration.accounts import services as account_services
from registration.database import utcnow
from registration.extensions import db
from registration.privacy import own_data
from registration.registrations.queries import MAX_SIGNATURE_DAYS, signature_days
from tests.factories import make_event, make_registration

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Signing in is tested in tests/accounts; here argon2's cost would only slow every test."""
    monkeypatch.setattr(
        account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def names_on(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', html)


def day_headers(html: str) -> list[str]:
    return re.findall(r'<th scope="col" class="signature"><time datetime="([^"]+)">', html)


def warsaw(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


class TestOrder:
    def test_by_surname_in_polish_order_then_first_names(self, app, client, signed_in):
        with app.app_context():
            event = make_event(capacity=10)
            for name in (
                "Żaneta Zych",
                "Łukasz Lis",
                "Anna Łoś",
                "Zenon Abacki",
                "Lucyna Lis",
                "Adam Lis-Nowak",
                "Ćwirek",
                "Ewa Maria Lis",
            ):
                make_registration(event, name=name)
            db.session.commit()
            event_id = event.id
        signed_in()
        html = client.get(f"/organiser/events/{event_id}/sign-in-sheet?lang=en").text
        assert names_on(html) == [
            "Zenon Abacki",
            "Ćwirek",  # one word: the surname
            "Ewa Maria Lis",
            "Lucyna Lis",
            "Łukasz Lis",
            "Adam Lis-Nowak",
            "Anna Łoś",  # ł after l
            "Żaneta Zych",
        ]

    def test_only_confirmed_people(self, app, client, signed_in):
        with app.app_context():
            event = make_event(capacity=1)
            make_registration(event, name="Piotr Zając")
            make_registration(event, name="Adam Bąk")  # on the waitlist
            db.session.commit()
            event_id = event.id
        signed_in()
        html = client.get(f"/organiser/events/{event_id}/sign-in-sheet").text
        assert names_on(html) == ["Piotr Zając"]

    def test_anonymised_registrations_stay_in_place_last(self, app, client, signed_in):
        with app.app_context():
            started = utcnow() - timedelta(hours=1)
            event = make_event(starts_at=started, hours=5, capacity=5)
            before = started - timedelta(days=1)
            make_registration(event, name="Zofia Abacka", email="zofia@example.org", now=before)
            make_registration(event, name="Jan Zych", email="jan@example.org", now=before)
            erased = make_registration(event, name="Ala Nowak", email="ala@example.org", now=before)
            db.session.commit()
            own_data.erase(erased.participant)  # under way: the seat stays, the name goes
            event_id = event.id
        signed_in()
        html = client.get(f"/organiser/events/{event_id}/sign-in-sheet?lang=en").text
        assert names_on(html) == ["Zofia Abacka", "Jan Zych", "Anonymised"]
        assert "Ala" not in html


class TestDays:
    def test_a_one_day_event_has_one_signature_column(self, app, client, signed_in):
        with app.app_context():
            event = make_event(starts_at=warsaw(2030, 3, 12, 10), hours=6)
            make_registration(event, name="Anna Nowak")
            db.session.commit()
            event_id = event.id
        signed_in()
        html = client.get(f"/organiser/events/{event_id}/sign-in-sheet?lang=en").text
        assert day_headers(html) == []
        assert html.count('<th scope="col" class="signature">Signature</th>') == 1
        assert html.count('<td class="signature"></td>') == 1
        assert "sign-in-sheet--landscape" not in html

    def test_a_study_visit_has_a_column_per_day_headed_with_its_date(self, app, client, signed_in):
        with app.app_context():
            event = make_event(starts_at=warsaw(2030, 3, 12, 9), hours=2 * 24 + 8)
            make_registration(event, name="Anna Nowak")
            make_registration(event, name="Jan Kowalski")
            db.session.commit()
            event_id = event.id
        signed_in()
        english = client.get(f"/organiser/events/{event_id}/sign-in-sheet?lang=en").text
        assert day_headers(english) == ["2030-03-12", "2030-03-13", "2030-03-14"]
        assert "Tuesday 12 March</time>" in english
        assert "Thursday 14 March</time>" in english
        assert english.count('<td class="signature"></td>') == 2 * 3
        assert '<th scope="colgroup" colspan="3">Signature</th>' in english
        assert "sign-in-sheet--landscape" in english  # three days: landscape A4
        polish = client.get(f"/organiser/events/{event_id}/sign-in-sheet?lang=pl").text
        assert "wtorek, 12 marca</time>" in polish
        assert '<th scope="colgroup" colspan="3">Podpis</th>' in polish


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "days"),
    [
        (warsaw(2030, 3, 12, 10), warsaw(2030, 3, 12, 16), [date(2030, 3, 12)]),
        # An evening in Warsaw that is already the next day in UTC, or not yet.
        (warsaw(2030, 3, 12, 0, 30), warsaw(2030, 3, 12, 23, 30), [date(2030, 3, 12)]),
        # Overnight: two days to sign for.
        (warsaw(2030, 3, 12, 20), warsaw(2030, 3, 13, 2), [date(2030, 3, 12), date(2030, 3, 13)]),
        # Ending at midnight ends the day before.
        (warsaw(2030, 3, 12, 9), warsaw(2030, 3, 14, 0), [date(2030, 3, 12), date(2030, 3, 13)]),
        # Across the change to summer time (31 March 2030).
        (
            warsaw(2030, 3, 30, 9),
            warsaw(2030, 4, 1, 15),
            [date(2030, 3, 30), date(2030, 3, 31), date(2030, 4, 1)],
        ),
        # Longer than a sheet can hold: one column, to sign once.
        (warsaw(2030, 3, 1, 9), warsaw(2030, 3, 31, 15), [date(2030, 3, 1)]),
    ],
)
def test_signature_days(starts_at, ends_at, days):
    assert signature_days(starts_at.astimezone(ZoneInfo("UTC")), ends_at) == days


def test_the_longest_sheet_has_a_column_for_each_day():
    first = warsaw(2030, 3, 1, 9)
    last = first + timedelta(days=MAX_SIGNATURE_DAYS - 1, hours=6)
    assert len(signature_days(first, last)) == MAX_SIGNATURE_DAYS
    assert len(signature_days(first, last + timedelta(days=1))) == 1
