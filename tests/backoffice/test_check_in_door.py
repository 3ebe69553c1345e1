"""Back office: the door of an event (docs/registrations.md, check-in at the door).

The door page lists an event's confirmed people as cards with one button each; a
tap checks a person in for today and the page offers an undo; a day the event does
not take place asks for a second tap; the scanned ticket opens the same card; the
check-in page lists the events of today and the next days. Only the event's city's
organisers (and admins) may open any of it, every change is a POST, and nothing typed
into the search breaks the page.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from registration.accounts import services as account_services
from registration.accounts.models import AuditEntry
from registration.database import utcnow
from registration.events.models import EventStatus, EventType
from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Attendance, Registration
from tests.factories import PASSWORD, make_account, make_event, make_registration

OTHER_DAY = {"confirm": "other-day"}


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Signing in is tested in tests/accounts; here argon2's cost would only slow every test."""
    monkeypatch.setattr(
        account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def event_now(city_slug: str = "wroclaw", *, days: int = 0, **fields) -> int:
    """An event going on now (``days`` more on either side), with two confirmed people, one
    in line and one cancelled, who registered while it was ahead. Commits; returns its id."""
    event = make_event(city_slug=city_slug, capacity=2, **fields)
    people = [
        make_registration(event, name=name, email=email, institution=institution)
        for name, email, institution in [
            ("Zofia Ćwik", "zofia@example.org", "Fundacja Łódź"),
            ("Adam Łoś", "adam@example.org", "Urząd Miejski"),
            ("Ewa Nowak", "ewa@example.org", "Teatr Polski"),
            ("Olga Was", "olga@example.org", "Dom Kultury"),
        ]
    ]
    services.cancel(people[3])
    now = utcnow()
    event.starts_at = now - timedelta(days=days, hours=1)
    event.ends_at = now + timedelta(days=days, hours=1)
    db.session.commit()
    return event.id


@pytest.fixture
def door(app) -> dict:
    """A Wrocław seminar going on now, and a Gdańsk one."""
    with app.app_context():
        event_id = event_now()
        gdansk = event_now("gdansk")
        people = {
            r.full_name: r
            for r in db.session.scalars(
                sa.select(Registration).where(Registration.event_id == event_id)
            )
        }
        return {
            "event": event_id,
            "gdansk": gdansk,
            "zofia": people["Zofia Ćwik"].id,
            "ewa": people["Ewa Nowak"].id,
            "olga": people["Olga Was"].id,
            "gdansk_person": db.session.scalar(
                sa.select(Registration.id)
                .where(Registration.event_id == gdansk, Registration.status == "confirmed")
                .limit(1)
            ),
            "zofia_code": people["Zofia Ćwik"].check_in_code,
        }


def days_of(app, registration_id: int) -> list:
    with app.app_context():
        return db.session.scalars(
            sa.select(Attendance.day).where(Attendance.registration_id == registration_id)
        ).all()


class TestTheDoorPage:
    def test_lists_the_confirmed_people_by_surname_with_todays_count(self, client, signed_in, door):
        signed_in()
        html = client.get(f"/organiser/events/{door['event']}/check-in?lang=en").text
        names = re.findall(r'class="check-in-card__name">([^<]+)<', html)
        assert names == ["Zofia Ćwik", "Adam Łoś"]  # Ewa waits in line, Olga cancelled
        assert re.search(r"Checked in today</dt><dd>0 / 2</dd>", html)
        assert html.count('class="check-in-button"') == 2
        assert "does not take place today" not in html

    @pytest.mark.parametrize("typed", ["lodz", "ŁÓDŹ", "  fundacja  ", "zofia@example"])
    def test_the_search_folds_case_and_polish_letters(self, client, signed_in, door, typed):
        signed_in()
        html = client.get(f"/organiser/events/{door['event']}/check-in", query_string={"q": typed})
        assert re.findall(r'class="check-in-card__name">([^<]+)<', html.text) == ["Zofia Ćwik"]

    @pytest.mark.parametrize(
        "typed",
        # As the browser sends them: long, a NUL, markup, SQL, bad UTF-8, the field twice.
        [
            "q=" + "x" * 100_000,
            "q=%00",
            "q=%3Cscript%3Ealert(1)%3C/script%3E",
            "q=%27%20OR%201=1%20--",
            "q=%ED%A0%80",
            "q=%FF",
            "q=a&q=b",
        ],
    )
    def test_anything_typed_into_the_search_is_simply_searched(
        self, client, signed_in, door, typed
    ):
        signed_in()
        response = client.get(f"/organiser/events/{door['event']}/check-in", query_string=typed)
        assert response.status_code == 200
        assert "<script>alert" not in response.text

    def test_the_search_is_kept_after_a_tap(self, client, signed_in, door):
        signed_in()
        response = client.post(
            f"/organiser/registrations/{door['zofia']}/check-in",
            data={"back": "door", "q": "zof"},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == (
            f"/organiser/events/{door['event']}/check-in?q=zof#registration-{door['zofia']}"
        )


class TestOneTap:
    def test_checks_in_for_today_and_the_page_says_so_with_an_undo(
        self, app, client, signed_in, door
    ):
        signed_in()
        response = client.post(
            f"/organiser/registrations/{door['zofia']}/check-in?lang=en", data={"back": "door"}
        )
        assert response.headers["Location"].endswith(f"#registration-{door['zofia']}")
        html = client.get(f"/organiser/events/{door['event']}/check-in?lang=en").text
        assert "Zofia Ćwik is checked in." in html
        assert re.search(r"Checked in today</dt><dd>1 / 2</dd>", html)
        assert "/check-in/undo" in html
        assert ">Undo</button>" in html
        assert len(days_of(app, door["zofia"])) == 1
        client.post(f"/organiser/registrations/{door['zofia']}/check-in", data={"back": "door"})
        assert len(days_of(app, door["zofia"])) == 1  # a double tap changes nothing

    def test_undo_takes_back_todays_check_in(self, app, client, signed_in, door):
        signed_in()
        client.post(f"/organiser/registrations/{door['zofia']}/check-in", data={"back": "door"})
        response = client.post(
            f"/organiser/registrations/{door['zofia']}/check-in/undo?lang=en",
            data={"back": "door", "q": "zof"},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == (
            f"/organiser/events/{door['event']}/check-in?q=zof#registration-{door['zofia']}"
        )
        html = client.get(f"/organiser/events/{door['event']}/check-in?lang=en").text
        assert "The check-in of Zofia Ćwik is undone." in html
        assert days_of(app, door["zofia"]) == []
        with app.app_context():
            assert db.session.get(Registration, door["zofia"]).checked_in_at is None
            actions = db.session.scalars(
                sa.select(AuditEntry.action).where(AuditEntry.action.like("registration.%"))
            ).all()
        assert actions == ["registration.check_in", "registration.check_in_undone"]

    def test_undo_without_a_check_in_says_so_and_changes_nothing(self, client, signed_in, door):
        signed_in()
        response = client.post(
            f"/organiser/registrations/{door['zofia']}/check-in/undo", follow_redirects=True
        )
        assert response.status_code == 200
        assert "Zofia Ćwik" in response.text

    def test_waitlisted_and_cancelled_people_are_refused(self, app, client, signed_in, door):
        signed_in()
        for who in ("ewa", "olga"):
            response = client.post(
                f"/organiser/registrations/{door[who]}/check-in",
                data={"back": "door", **OTHER_DAY},
                follow_redirects=True,
            )
            assert response.status_code == 200
            assert days_of(app, door[who]) == []

    @pytest.mark.parametrize("back", ["javascript:alert(1)", "//evil.example", "x" * 5000])
    def test_a_strange_way_back_leads_to_the_attendee_list(self, client, signed_in, door, back):
        signed_in()
        response = client.post(
            f"/organiser/registrations/{door['zofia']}/check-in", data={"back": back}
        )
        assert response.headers["Location"].startswith(
            f"/organiser/events/{door['event']}/attendees"
        )


class TestAnotherDay:
    @pytest.fixture
    def ahead(self, app) -> dict:
        with app.app_context():
            event = make_event(title="Seminarium za dwa tygodnie")
            person = make_registration(event, name="Anna Nowak")
            db.session.commit()
            return {"event": event.id, "person": person.id}

    def test_the_door_page_warns_and_a_tap_asks_for_a_second_one(
        self, app, client, signed_in, ahead
    ):
        signed_in()
        html = client.get(f"/organiser/events/{ahead['event']}/check-in?lang=en").text
        assert "The event does not take place today" in html
        first = client.post(
            f"/organiser/registrations/{ahead['person']}/check-in?lang=en",
            data={"back": "door", "q": "anna"},
        )
        assert first.status_code == 409
        assert "Check in on another day?" in first.text
        assert 'name="confirm" value="other-day"' in first.text
        assert 'name="back" value="door"' in first.text
        assert 'name="q" value="anna"' in first.text
        assert days_of(app, ahead["person"]) == []
        second = client.post(
            f"/organiser/registrations/{ahead['person']}/check-in",
            data={"back": "door", **OTHER_DAY},
        )
        assert second.status_code == 303
        assert len(days_of(app, ahead["person"])) == 1


class TestTheTicketsCard:
    def test_a_scanned_ticket_opens_the_card_with_each_day_and_a_way_to_the_door(
        self, app, client, signed_in
    ):
        with app.app_context():
            event_id = event_now(days=1, type=EventType.STUDY_VISIT)
            zofia = db.session.scalar(
                sa.select(Registration).where(Registration.full_name == "Zofia Ćwik")
            )
            code, zofia_id = zofia.check_in_code, zofia.id
        signed_in()
        html = client.get(f"/organiser/check-in/{code}?lang=en").text
        assert 'class="check-in-card' in html
        assert html.count('class="check-in-days__day') == 3
        assert f'href="/organiser/events/{event_id}/check-in"' in html
        response = client.post(f"/organiser/check-in/{code}")
        assert response.headers["Location"] == f"/organiser/check-in/{code}"
        html = client.get(f"/organiser/check-in/{code}?lang=en").text
        assert html.count("check-in-days__day--present") == 1
        assert 'name="back" value="card"' in html
        assert ">Undo</button>" in html
        undone = client.post(
            f"/organiser/registrations/{zofia_id}/check-in/undo", data={"back": "card"}
        )
        assert undone.headers["Location"] == f"/organiser/check-in/{code}"
        assert days_of(app, zofia_id) == []


class TestTheCheckInPage:
    def test_lists_the_citys_events_of_today_and_the_next_days(self, app, client, signed_in):
        with app.app_context():
            now = utcnow()
            today = make_event(title="Dziś we Wrocławiu", starts_at=now + timedelta(minutes=5))
            make_event(title="Pojutrze we Wrocławiu", starts_at=now + timedelta(days=2))
            make_event(title="Za tydzień we Wrocławiu", starts_at=now + timedelta(days=7))
            make_event(title="Dziś w Gdańsku", city_slug="gdansk", starts_at=now)
            make_event(title="Szkic", starts_at=now, status=EventStatus.DRAFT)
            db.session.commit()
            today_id = today.id
        signed_in()
        html = client.get("/organiser/check-in?lang=en").text
        titles = re.findall(r'class="check-in-events__link"[^>]*>([^<]+)<', html)
        assert titles == ["Dziś we Wrocławiu", "Pojutrze we Wrocławiu"]
        assert f'href="/organiser/events/{today_id}/check-in"' in html
        assert 'id="code"' in html
        signed_in("admin@example.org", role="admin", city_slug=None)
        html = client.get("/organiser/check-in").text
        assert "Dziś w Gdańsku" in html

    def test_without_events_it_says_so(self, client, signed_in):
        signed_in()
        html = client.get("/organiser/check-in?lang=en").text
        assert "None of your events takes place today" in html


# --- Who may open what ------------------------------------------------------------

PAGES = [
    ("get", "/organiser/events/{gdansk}/check-in"),
    ("get", "/organiser/registrations/{gdansk_person}/check-in"),
    ("get", "/organiser/events/{gdansk}/check-in?q=a"),
    ("post", "/organiser/registrations/{gdansk_person}/check-in"),
    ("post", "/organiser/registrations/{gdansk_person}/check-in/undo"),
]


def test_signed_out_visitors_are_sent_to_sign_in(client, door):
    for method, page in PAGES:
        response = getattr(client, method)(page.format(**door))
        assert response.status_code == 302, page
        assert response.headers["Location"].startswith("/organiser/login?next="), page


def test_another_citys_organiser_is_forbidden_and_nothing_changes(app, client, signed_in, door):
    signed_in()  # an organiser of Wrocław
    with app.app_context():
        gdansk = db.session.get(Registration, door["gdansk_person"])
        services.check_in(gdansk, account=None)
        db.session.commit()
        code = gdansk.check_in_code
    for method, page in [*PAGES, ("get", f"/organiser/check-in/{code}")]:
        response = getattr(client, method)(page.format(**door), data=OTHER_DAY)
        assert response.status_code == 403, page
    assert len(days_of(app, door["gdansk_person"])) == 1  # not undone
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert sorted(actions) == ["account.login", "registration.check_in"]


def test_an_admin_may_use_every_citys_door(client, signed_in, door):
    signed_in("admin@example.org", role="admin", city_slug=None)
    for method, page in PAGES:
        assert getattr(client, method)(page.format(**door)).status_code in (200, 303), page


def test_unknown_events_and_people_are_not_found(client, signed_in):
    signed_in()
    assert client.get("/organiser/events/999/check-in").status_code == 404
    assert client.post("/organiser/registrations/999/check-in/undo").status_code == 404
    assert client.get("/organiser/events/99999999999999999999/check-in").status_code == 404


def test_no_get_changes_anything(app, client, signed_in, door):
    signed_in()
    assert client.get(f"/organiser/registrations/{door['zofia']}/check-in/undo").status_code == 405
    shown = client.get(f"/organiser/registrations/{door['zofia']}/check-in?lang=en")
    assert shown.status_code == 303  # the language links of the "another day?" page
    assert shown.headers["Location"] == (
        f"/organiser/events/{door['event']}/check-in#registration-{door['zofia']}"
    )
    client.get(f"/organiser/events/{door['event']}/check-in?q=zofia")
    client.get(f"/organiser/check-in/{door['zofia_code']}")
    assert days_of(app, door["zofia"]) == []


def test_every_form_carries_a_csrf_token_and_none_works_without(make_app, door):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        make_account()
        db.session.commit()
    login = client.get("/organiser/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post(
        "/organiser/login",
        data={"email": "organiser@example.org", "password": PASSWORD, "csrf_token": token},
    )
    html = client.get(f"/organiser/events/{door['event']}/check-in").text
    forms = re.findall(r'<form method="post".*?</form>', html, flags=re.S)
    assert len(forms) == 3  # signing out, and a check-in for each confirmed person
    assert all('name="csrf_token"' in form for form in forms)
    zofia = door["zofia"]
    assert client.post(f"/organiser/registrations/{zofia}/check-in").status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert (
        client.post(
            f"/organiser/registrations/{zofia}/check-in", data={"csrf_token": token}
        ).status_code
        == 303
    )
    assert client.post(f"/organiser/registrations/{zofia}/check-in/undo").status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 1
