"""Back office: the attendee list, changes by hand, check-in at the door, messages.

Organisers see and change only their own city's people (admins every city's),
every change is a POST with a CSRF token, and no GET changes anything.
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
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import PASSWORD, make_account, make_event, make_registration

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED

FORM = {
    "name": "Łucja Żółkiewska",
    "email": "lucja@example.org",
    "institution": "Teatr Miejski",
    "position": "",
    "category": "culture_staff",
    "city": "Gdańsk",
    "needs": "",
    "language": "en",
    "consent": "y",
}


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Signing in is tested in tests/accounts; here argon2's cost would only slow every test."""
    monkeypatch.setattr(
        account_services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def wroclaw(app) -> dict:
    """A Wrocław seminar with two seats: two confirmed, two in line, one cancelled."""
    with app.app_context():
        event = make_event(title="Seminarium we Wrocławiu", capacity=2)
        people = [
            make_registration(
                event, name="Zofia Ćwik", email="zofia@example.org", institution="Muzeum Narodowe"
            ),
            make_registration(
                event, name="Adam Łoś", email="adam@example.org", institution="Urząd Miejski"
            ),
            make_registration(
                event, name="Ewa Nowak", email="ewa@example.org", institution="Fundacja Łódź"
            ),
            make_registration(
                event, name="Jan Kos", email="jan@example.org", institution="Teatr Polski"
            ),
            make_registration(
                event, name="Olga Was", email="olga@example.org", institution="Dom Kultury"
            ),
        ]
        services.cancel(people[4])
        db.session.commit()
        return {
            "event": event.id,
            "ids": [p.id for p in people],
            "tokens": [p.token for p in people],
            "codes": [p.check_in_code for p in people],
        }


@pytest.fixture
def gdansk(app) -> dict:
    """Another city's event, for the boundaries."""
    with app.app_context():
        event = make_event(title="Seminarium w Gdańsku", city_slug="gdansk", capacity=1)
        holder = make_registration(event, name="Gdańska Osoba", email="gd@example.org")
        make_registration(event, name="Gdańska Kolejka", email="gd2@example.org")
        db.session.commit()
        return {"event": event.id, "registration": holder.id, "token": holder.token}


def statuses(app, ids) -> list[RegistrationStatus]:
    with app.app_context():
        return [db.session.get(Registration, i).status for i in ids]


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


class TestTheList:
    def test_shows_each_section_with_places_in_line_and_counts(self, client, signed_in, wroclaw):
        signed_in()
        html = client.get(f"/organiser/events/{wroclaw['event']}/attendees?lang=en").text
        confirmed = section(html, "confirmed-heading")
        waitlist = section(html, "waitlist-heading")
        cancelled = section(html, "cancelled-heading")
        assert "Zofia Ćwik" in confirmed
        assert "Adam Łoś" in confirmed
        assert re.search(r"<td[^>]*>1</td>\s*<th scope=\"row\">Ewa Nowak", waitlist)
        assert re.search(r"<td[^>]*>2</td>\s*<th scope=\"row\">Jan Kos", waitlist)
        assert "Olga Was" in cancelled
        assert "Olga Was" not in confirmed + waitlist
        counts = re.sub(r"\s+", " ", html[html.index("attendee-counts") :][:600])
        assert "Seats taken</dt><dd>2 / 2</dd>" in counts
        assert "Seats left</dt><dd>0</dd>" in counts
        assert "Waitlist</dt><dd>2</dd>" in counts
        assert "Checked in</dt><dd>0 / 2</dd>" in counts

    def test_search_finds_by_name_email_or_institution(self, client, signed_in, wroclaw):
        signed_in()
        names = {"Zofia Ćwik", "Adam Łoś", "Ewa Nowak", "Jan Kos", "Olga Was"}
        for query, found in [
            ("zofia", {"Zofia Ćwik"}),
            ("ŁOŚ", {"Adam Łoś"}),
            ("los", {"Adam Łoś"}),  # no Polish keyboard at the door
            ("jan@example", {"Jan Kos"}),
            ("teatr", {"Jan Kos"}),
            ("lodz", {"Ewa Nowak"}),
            ("nikt", set()),
        ]:
            html = client.get(f"/organiser/events/{wroclaw['event']}/attendees?q={query}").text
            assert {name for name in names if f">{name}<" in html} == found, query

    def test_search_never_reaches_another_citys_people(self, client, signed_in, wroclaw, gdansk):
        signed_in()
        html = client.get(f"/organiser/events/{wroclaw['event']}/attendees?q=gda").text
        assert "Gdańska Osoba" not in html
        url = f"/organiser/events/{gdansk['event']}/attendees?q=gda"
        assert client.get(url).status_code == 403

    def test_every_action_is_a_post_form_with_a_csrf_token(self, client, signed_in, wroclaw):
        signed_in()
        html = client.get(f"/organiser/events/{wroclaw['event']}/attendees").text
        forms = re.findall(r"<form method=\"post\".*?</form>", html, re.S)
        assert len(forms) >= 6
        assert all('name="csrf_token"' in form for form in forms)


class TestChangesFromTheList:
    def test_check_in_marks_the_person_and_returns_to_the_list(
        self, app, client, signed_in, wroclaw
    ):
        signed_in()
        first = wroclaw["ids"][0]
        response = client.post(
            f"/organiser/registrations/{first}/check-in",
            # The seminar is in two weeks: checking in today is confirmed (test_check_in_door).
            data={"q": "zof", "confirm": "other-day"},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == (
            f"/organiser/events/{wroclaw['event']}/attendees?q=zof#registration-{first}"
        )
        html = client.get(response.headers["Location"]).text
        assert "Zofia Ćwik: obecność odnotowana." in html
        with app.app_context():
            assert db.session.get(Registration, first).checked_in_at is not None

    def test_moving_to_the_waitlist_gives_the_seat_to_the_first_in_line(
        self, app, client, signed_in, wroclaw
    ):
        signed_in()
        ids = wroclaw["ids"]
        response = client.post(f"/organiser/registrations/{ids[1]}/move-to-waitlist")
        assert response.status_code == 303
        assert statuses(app, ids[:4]) == [CONFIRMED, WAITLISTED, CONFIRMED, WAITLISTED]

    def test_confirming_from_a_full_event_is_refused_with_a_message(
        self, app, client, signed_in, wroclaw
    ):
        signed_in()
        client.get("/organiser/?lang=en")  # the language cookie, for the page after the redirect
        ewa = wroclaw["ids"][2]
        response = client.post(f"/organiser/registrations/{ewa}/confirm", follow_redirects=True)
        assert "No seat is free for this person." in response.text
        assert statuses(app, [ewa]) == [WAITLISTED]

    def test_cancelling_on_behalf_promotes_the_first_in_line(self, app, client, signed_in, wroclaw):
        signed_in()
        ids = wroclaw["ids"]
        assert client.post(f"/organiser/registrations/{ids[0]}/cancel").status_code == 303
        assert statuses(app, ids[:4]) == [CANCELLED, CONFIRMED, CONFIRMED, WAITLISTED]
        with app.app_context():
            actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert "registration.cancel_on_behalf" in actions

    def test_without_a_csrf_token_nothing_changes(self, make_app, wroclaw):
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
        first = wroclaw["ids"][0]
        assert client.post(f"/organiser/registrations/{first}/check-in").status_code == 400
        page = client.get(f"/organiser/events/{wroclaw['event']}/attendees").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            f"/organiser/registrations/{first}/check-in",
            data={"csrf_token": token, "confirm": "other-day"},
        )
        assert response.status_code == 303


class TestAddingByHand:
    def test_the_form_reuses_the_registration_fields_and_asks_for_consent(
        self, client, signed_in, wroclaw
    ):
        signed_in()
        html = client.get(f"/organiser/events/{wroclaw['event']}/attendees/new?lang=en").text
        for field in ("name", "email", "institution", "category", "city", "language", "consent"):
            assert f'id="{field}"' in html, field
        assert (
            "The person has agreed that Strefa Kultury Wrocław, the data controller, may process"
            in html
        )

    def test_adds_a_person_outside_the_window_and_emails_them(self, app, client, signed_in):
        with app.app_context():
            event = make_event(registration_closes_at=utcnow() - timedelta(days=1))
            db.session.commit()
            event_id = event.id
        signed_in()
        response = client.post(f"/organiser/events/{event_id}/attendees/new", data=FORM)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/organiser/events/{event_id}/attendees"
        with app.app_context():
            registration = db.session.scalars(sa.select(Registration)).one()
            assert (registration.full_name, registration.status) == ("Łucja Żółkiewska", CONFIRMED)
            assert registration.participant.language == "en"
            message = db.session.scalars(sa.select(OutboxMessage)).one()
            assert (message.kind, message.language) == (MessageKind.CONFIRMED, "en")

    def test_without_the_recorded_consent_nothing_is_saved(self, app, client, signed_in, wroclaw):
        signed_in()
        url = f"/organiser/events/{wroclaw['event']}/attendees/new"
        response = client.post(url, data={**FORM, "consent": ""})
        assert response.status_code == 422
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 5

    def test_a_full_event_without_waitlist_refuses(self, app, client, signed_in):
        with app.app_context():
            event = make_event(capacity=1, waitlist=False)
            make_registration(event)
            db.session.commit()
            event_id = event.id
        signed_in()
        response = client.post(f"/organiser/events/{event_id}/attendees/new?lang=en", data=FORM)
        assert response.status_code == 409
        assert "This event is full and has no waitlist." in response.text
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


class TestCheckInAtTheDoor:
    def test_the_scanned_address_shows_the_person_and_a_button_but_changes_nothing(
        self, app, client, signed_in, wroclaw
    ):
        signed_in()
        code = wroclaw["codes"][0]
        html = client.get(f"/organiser/check-in/{code}?lang=en").text
        assert "Zofia Ćwik" in html
        assert "Seminarium we Wrocławiu" in html
        assert re.search(
            r'<button type="submit" class="check-in-button"[^>]*>Check in</button>', html
        )
        with app.app_context():
            assert db.session.get(Registration, wroclaw["ids"][0]).checked_in_at is None

    def test_the_button_checks_in_and_a_second_press_changes_nothing(
        self, app, client, signed_in, wroclaw
    ):
        signed_in()
        code = wroclaw["codes"][0]
        ahead_of_the_day = {"confirm": "other-day"}  # the seminar is in two weeks
        assert client.post(f"/organiser/check-in/{code}", data=ahead_of_the_day).status_code == 303
        with app.app_context():
            first = db.session.get(Registration, wroclaw["ids"][0]).checked_in_at
        client.post(f"/organiser/check-in/{code}", data=ahead_of_the_day)
        html = client.get(f"/organiser/check-in/{code}?lang=en").text
        assert "Checked in at" in html
        assert "check-in-button" not in html
        with app.app_context():
            assert db.session.get(Registration, wroclaw["ids"][0]).checked_in_at == first

    def test_a_waitlisted_ticket_cannot_be_checked_in(self, app, client, signed_in, wroclaw):
        signed_in()
        code = wroclaw["codes"][2]
        assert "check-in-button" not in client.get(f"/organiser/check-in/{code}").text
        response = client.post(f"/organiser/check-in/{code}", follow_redirects=True)
        assert "check-in-button" not in response.text
        with app.app_context():
            assert db.session.get(Registration, wroclaw["ids"][2]).checked_in_at is None

    @pytest.mark.parametrize("form", ["code", "url", "url/", "url?x", "legacy ticket"])
    def test_a_typed_or_pasted_code_finds_the_ticket(self, client, signed_in, wroclaw, form):
        signed_in()
        code, token = wroclaw["codes"][0], wroclaw["tokens"][0]
        typed = {
            "code": f"  {code} ",
            "url": f"https://koalicja.example.org/check-in/{code}",
            "url/": f"https://koalicja.example.org/check-in/{code}/",
            "url?x": f"https://koalicja.example.org/check-in/{code}?utm=x#top",
            # Tickets printed before check-in codes carried the manage token.
            "legacy ticket": f"https://koalicja.example.org/organiser/check-in/{token}",
        }[form]
        response = client.get("/organiser/check-in", query_string={"code": typed})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/organiser/check-in/{code}"

    @pytest.mark.parametrize(
        "typed", ["http://[::1", "https://[", "?", "#", "/", "%00", "a" * 5000]
    )
    def test_anything_typed_that_is_no_code_is_simply_not_found(self, client, signed_in, typed):
        signed_in()
        response = client.get("/organiser/check-in", query_string={"code": typed})
        assert response.status_code == 404

    def test_an_unknown_code_says_so(self, client, signed_in):
        signed_in()
        assert client.get("/organiser/check-in").status_code == 200
        response = client.get("/organiser/check-in?code=nothing-like-a-ticket&lang=en")
        assert response.status_code == 404
        assert "No ticket has this code." in response.text


class TestMessages:
    # Writing, previewing and confirming: tests/backoffice/test_messages.py.
    def test_an_empty_message_is_refused(self, app, client, signed_in, wroclaw):
        signed_in()
        response = client.post(
            f"/organiser/events/{wroclaw['event']}/message",
            data={"recipients": "confirmed", "subject": "", "body": ""},
        )
        assert response.status_code == 422
        with app.app_context():
            assert not db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ORGANISER_MESSAGE)
            ).all()

    def test_an_unknown_send_out_is_not_found(self, client, signed_in, wroclaw):
        signed_in()
        base = f"/organiser/events/{wroclaw['event']}/message"
        assert client.get(f"{base}/0123456789abcdef").status_code == 404
        assert client.get(f"{base}/not-a-batch").status_code == 404


def test_sign_in_sheet_lists_confirmed_people_alphabetically(app, client, signed_in):
    with app.app_context():
        event = make_event(capacity=3)
        for name in ("Żaneta Zych", "Łukasz Lis", "Lucyna Lis", "Adam Bąk"):
            make_registration(event, name=name)
        db.session.commit()
        event_id = event.id
    signed_in()
    html = client.get(f"/organiser/events/{event_id}/sign-in-sheet?lang=en").text
    names = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert names == ["Lucyna Lis", "Łukasz Lis", "Żaneta Zych"]  # Adam is on the waitlist
    assert "Signature" in html


# --- Who may open what ------------------------------------------------------------

PAGES = [
    ("get", "/organiser/events/{event}/attendees"),
    ("get", "/organiser/events/{event}/attendees?q=a"),
    ("get", "/organiser/events/{event}/attendees/new"),
    ("post", "/organiser/events/{event}/attendees/new"),
    ("get", "/organiser/events/{event}/attendees.csv"),
    ("get", "/organiser/events/{event}/attendees.xlsx"),
    ("get", "/organiser/events/{event}/sign-in-sheet"),
    ("get", "/organiser/events/{event}/message"),
    ("post", "/organiser/events/{event}/message"),
    ("post", "/organiser/registrations/{registration}/check-in"),
    ("post", "/organiser/registrations/{registration}/confirm"),
    ("post", "/organiser/registrations/{registration}/move-to-waitlist"),
    ("post", "/organiser/registrations/{registration}/cancel"),
    ("get", "/organiser/check-in/{token}"),
    ("post", "/organiser/check-in/{token}"),
    ("get", "/organiser/check-in?code={token}"),
]


#: What the POSTs send: enough for every form, so that only the rights decide.
DATA = {
    **FORM,
    "recipients": "confirmed",
    "subject": "Temat",
    "body": "Treść",
    "confirm": "other-day",
}


def _visit(client, method: str, page: str, target: dict):
    return getattr(client, method)(page.format(**target), data=DATA if method == "post" else None)


def test_anonymous_visitors_are_sent_to_sign_in(client, gdansk):
    for method, page in PAGES:
        response = _visit(client, method, page, gdansk)
        assert response.status_code == 302, (method, page)
        assert response.headers["Location"].startswith("/organiser/login?next="), page


def test_another_citys_organiser_is_forbidden_and_nothing_changes(app, client, signed_in, gdansk):
    """Guessing ids or tokens of another city's registrations leads nowhere."""
    signed_in()  # an organiser of Wrocław
    for method, page in PAGES:
        assert _visit(client, method, page, gdansk).status_code == 403, (method, page)
    with app.app_context():
        holder = db.session.get(Registration, gdansk["registration"])
        assert (holder.status, holder.checked_in_at) == (CONFIRMED, None)
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 2
        kinds = db.session.scalars(sa.select(OutboxMessage.kind)).all()
        assert MessageKind.ORGANISER_MESSAGE not in kinds
        assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["account.login"]


def test_an_admin_may_open_every_citys_pages(client, signed_in, gdansk):
    signed_in("admin@example.org", role="admin", city_slug=None)
    for method, page in PAGES:
        assert _visit(client, method, page, gdansk).status_code in (200, 303), (method, page)


def test_unknown_ids_and_tokens_are_not_found(client, signed_in):
    signed_in()
    assert client.get("/organiser/events/999/attendees").status_code == 404
    assert client.post("/organiser/registrations/999/check-in").status_code == 404
    assert client.get("/organiser/check-in/" + "x" * 43).status_code == 404
