"""A registration at an event whose organisers decide on each one (SPEC section 10), as
its person sees it: the manage page says the request waits, and offers to withdraw it; a
rejection says so and holds nothing; the personal calendar lists neither, since neither
is a seat or a place in line."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from registration.extensions import db
from registration.registrations import services
from registration.registrations.models import Registration, RegistrationStatus
from tests.factories import make_account, make_event, make_registration

CONTACT = "rada@example.org"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


@pytest.fixture
def requests(app) -> dict:
    """Ola's request waits; Jan's was not accepted. Ola also holds a seat at a seminar."""
    with app.app_context():
        council = make_event(title="Rada programowa", approval=True, contact_email=CONTACT)
        seminar = make_event(title="Seminarium bez akceptacji")
        ola = make_registration(council, email="ola@example.org")
        jan = make_registration(council, email="jan@example.org")
        make_registration(seminar, email="ola@example.org")
        services.reject(jan, account=make_account(password=None))
        db.session.commit()
        return {
            "ola": ola.token,
            "ola_id": ola.id,
            "jan": jan.token,
            "feed": ola.participant.feed_token,
            "council": council.id,
            "seminar": seminar.id,
        }


class TestAPendingRequest:
    @pytest.mark.parametrize(
        ("language", "said"),
        [
            (
                "pl",
                (
                    "<title>Twoje zgłoszenie czeka na decyzję organizatorów · Koalicja Miast",
                    "Do czasu ich decyzji nie masz zarezerwowanego miejsca.",
                    "Gdy tylko podejmą decyzję, napiszemy na adres ola@example.org.",
                    "Wycofaj moje zgłoszenie",
                ),
            ),
            (
                "en",
                (
                    "<title>Your request waits for the organisers' decision · Koalicja Miast",
                    "Until they do, you do not hold a seat.",
                    "We will email you at ola@example.org as soon as they decide.",
                    "Withdraw my request",
                ),
            ),
        ],
    )
    def test_says_it_waits_for_the_organisers_and_offers_to_withdraw(
        self, client, requests, language, said
    ):
        response = client.get(f"/r/{requests['ola']}?lang={language}")
        assert response.status_code == 200
        html = text(response.text).replace("&#39;", "'")
        for sentence in said:
            assert sentence in html
        # No seat: no ticket, no calendar, no online link, no waitlist.
        assert "ticket.svg" not in html
        assert "calendar.google.com" not in html
        assert "panel--pending" in html

    def test_withdrawing_asks_first_then_cancels_the_request(self, app, client, requests):
        asked = text(client.get(f"/r/{requests['ola']}/cancel").text)
        assert "Na pewno wycofać zgłoszenie?" in asked
        assert "Organizatorzy nie będą już rozpatrywać Twojego zgłoszenia." in asked
        assert "Tak, wycofuję zgłoszenie" in asked
        assert "Nie, zostawiam moje zgłoszenie" in asked
        assert "lista rezerwow" not in asked.lower()
        token = re.search(r'name="csrf_token" value="([^"]+)"', asked)
        data = {"csrf_token": token.group(1)} if token else {}
        response = client.post(f"/r/{requests['ola']}/cancel", data=data)
        assert response.status_code == 303
        with app.app_context():
            registration = db.session.get(Registration, requests["ola_id"])
            assert registration.status == RegistrationStatus.CANCELLED


class TestARejection:
    @pytest.mark.parametrize(
        ("language", "said"),
        [
            (
                "pl",
                (
                    "<title>Organizatorzy nie mogli przyjąć Twojego zgłoszenia · Koalicja Miast",
                    "Nie masz miejsca na tym wydarzeniu i nic nie jest dla Ciebie zarezerwowane.",
                    "Masz pytania o tę decyzję? Napisz do organizatorów na "
                    f'<a href="mailto:{CONTACT}">{CONTACT}</a>.',
                ),
            ),
            (
                "en",
                (
                    "<title>The organisers could not accept your registration · Koalicja Miast",
                    "You have no seat at this event, and nothing is held for you.",
                    "Questions about the decision? Write to the organisers at "
                    f'<a href="mailto:{CONTACT}">{CONTACT}</a>.',
                ),
            ),
        ],
    )
    def test_says_so_and_offers_nothing_to_cancel(self, client, requests, language, said):
        response = client.get(f"/r/{requests['jan']}?lang={language}")
        assert response.status_code == 200
        html = text(response.text)
        for sentence in said:
            assert sentence in html
        assert f"/r/{requests['jan']}/cancel" not in html
        assert f"/r/{requests['jan']}/edit" not in html
        assert "ticket.svg" not in html

    def test_its_cancel_page_leads_back_to_the_registration(self, client, requests):
        response = client.get(f"/r/{requests['jan']}/cancel")
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/r/{requests['jan']}")


def test_the_personal_calendar_lists_seats_and_places_not_requests(client, requests):
    response = client.get(f"/calendar/personal/{requests['feed']}.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    titles = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert titles == ["Seminarium bez akceptacji"]
