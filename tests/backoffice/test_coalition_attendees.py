"""Back office and event page: the coalition's rules as organisers and visitors see them.

The attendee page shows every city's allocation, use and waiting line, and the
requests waiting for a decision, which organisers approve or reject one by one or
ticked together. The public event page shows each city's free seats while the
allocations hold, and the registration form asks for the home city.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from registration.accounts import services as account_services
from registration.database import utcnow
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import city, make_event, make_registration


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    monkeypatch.setattr(
        account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def visit(app) -> int:
    """A Wrocław study visit, 6 seats: 2 kept for Gdańsk, 1 for Łódź, 3 in common."""
    with app.app_context():
        event = make_event(title="Wizyta studyjna", capacity=6)
        services.change_allocations(
            event,
            {city("gdansk").id: 2, city("lodz").id: 1},
            release_at=utcnow() + timedelta(days=3),
        )
        make_registration(event, city="Gdańsk")
        for number in range(3):
            make_registration(event, city="Opole", email=f"opole{number}@example.org")
        make_registration(event, city="Kraków", email="waiting@example.org")
        db.session.commit()
        return event.id


@pytest.fixture
def requests(app) -> tuple[int, list[int]]:
    """An event with approval, one seat, and three requests."""
    with app.app_context():
        event = make_event(title="Seminarium z naborem", capacity=1, approval=True)
        people = [
            make_registration(event, name=f"Osoba {n}", email=f"osoba{n}@example.org")
            for n in range(3)
        ]
        db.session.commit()
        return event.id, [person.id for person in people]


def cells(page: str, city_name: str) -> list[str]:
    row = re.search(rf"<th scope=\"row\">{city_name}</th>(.*?)</tr>", page, re.S).group(1)
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)


class TestAttendeePage:
    def test_shows_every_citys_allocation_use_and_line(self, client, signed_in, visit):
        signed_in()
        page = client.get(f"/organiser/events/{visit}/attendees").text
        assert cells(page, "Gdańsk") == ["2", "1", "1", "0"]
        assert cells(page, "Łódź") == ["1", "0", "1", "0"]
        assert cells(page, "Pula wspólna")[0:1] == ["3"]

    def test_pending_requests_are_approved_one_by_one(self, app, client, signed_in, requests):
        event_id, ids = requests
        signed_in()
        page = client.get(f"/organiser/events/{event_id}/attendees").text
        assert "Czekają na Twoją decyzję (3)" in page
        response = client.post(
            f"/organiser/events/{event_id}/decisions", data={"decide": f"approve:{ids[1]}"}
        )
        assert response.status_code == 303
        with app.app_context():
            statuses = [db.session.get(Registration, each).status for each in ids]
        assert statuses == ["pending", "confirmed", "pending"]

    def test_ticked_requests_are_decided_together(self, app, client, signed_in, requests):
        event_id, ids = requests
        signed_in()
        client.post(
            f"/organiser/events/{event_id}/decisions",
            data={"decide": "approve", "registration": [str(ids[0]), str(ids[2])]},
        )
        client.post(
            f"/organiser/events/{event_id}/decisions",
            data={"decide": "reject", "registration": [str(ids[1])]},
        )
        with app.app_context():
            statuses = [db.session.get(Registration, each).status for each in ids]
        assert statuses == ["confirmed", "rejected", "waitlisted"]
        page = client.get(f"/organiser/events/{event_id}/attendees").text
        assert "Odrzucone (1)" in page

    def test_nothing_ticked_or_nonsense_decides_nothing(self, app, client, signed_in, requests):
        event_id, ids = requests
        signed_in()
        url = f"/organiser/events/{event_id}/decisions"
        answer = client.post(url, data={"decide": "approve"}, follow_redirects=True)
        assert "Najpierw zaznacz osoby" in answer.text
        assert client.post(url, data={"decide": "delete:1"}).status_code == 400
        client.post(url, data={"decide": "approve", "registration": ["x", "²", "9" * 40]})
        with app.app_context():
            assert {db.session.get(Registration, each).status for each in ids} == {"pending"}

    def test_another_events_people_are_not_decided_through_this_one(
        self, app, client, signed_in, requests, visit
    ):
        _event_id, ids = requests
        signed_in()
        client.post(f"/organiser/events/{visit}/decisions", data={"decide": f"approve:{ids[0]}"})
        with app.app_context():
            assert db.session.get(Registration, ids[0]).status == "pending"


class TestEventPage:
    def test_shows_each_citys_free_seats_while_allocations_hold(self, client, visit):
        page = client.get(f"/events/{visit}").text
        assert "Gdańsk</span>: 1 wolne miejsce" in page
        assert "Łódź</span>: 1 wolne miejsce" in page
        assert "Dla wszystkich: 0 wolnych miejsc" in page

    def test_the_form_asks_for_the_home_city(self, client, visit):
        page = client.get(f"/events/{visit}").text
        options = re.search(r'<select[^>]*name="home_city".*?</select>', page, re.S).group(0)
        assert re.findall(r'value="([^"]*)"', options) == [
            "",
            "gdansk",
            "katowice",
            "lublin",
            "lodz",
            "poznan",
            "szczecin",
            "wroclaw",
            "other",
        ]

    def test_choosing_no_city_is_an_error_beside_the_field(self, client, visit):
        form = {
            "name": "Ala Nowak",
            "email": "ala@example.org",
            "institution": "Teatr",
            "category": "culture_staff",
            "home_city": "",
            "city": "",
            "consent": "y",
        }
        response = client.post(f"/events/{visit}", data=form)
        assert response.status_code == 422
        assert "Wybierz miasto, dla którego pracujesz" in response.text
        response = client.post(f"/events/{visit}", data={**form, "home_city": "other"})
        assert response.status_code == 422
        assert "Wpisz miasto, w którym pracujesz" in response.text
        response = client.post(f"/events/{visit}", data={**form, "home_city": "lodz"})
        assert response.status_code == 303
