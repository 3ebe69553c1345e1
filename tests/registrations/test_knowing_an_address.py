"""Invariant 6: knowing a person's email address gives nothing.

Anybody may register anybody's address: that is how registration works. So an
attacker who knows only Anna's address can always make a registration in her
name and read what its manage link shows. This is the whole attack the review
ran, step by step, as an attacker would run it against the pages and the API,
and what each step yields: nothing of Anna's other registrations, her calendar
or what she told us, and no change to any of it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import OutboxMessage
from registration.registrations.models import Participant, Registration, RegistrationStatus
from tests.factories import make_event

BASE_URL = "https://koalicja.example.org"
ANNA = "anna.kowalska@example.org"
ANNAS_FORM = {
    "name": "Anna Kowalska",
    "email": ANNA,
    "institution": "Muzeum Sztuki Nowoczesnej",
    "position": "Kuratorka",
    "category": "culture_staff",
    "city": "Łódź",
    "needs": "Cukrzyca: posiłki bez cukru, przerwa co dwie godziny",
    "consent": "y",
}


def in_annas_name(email: str = ANNA) -> dict:
    """What an attacker sends: Anna's address, everything else made up."""
    return {
        "name": "Ktoś Obcy",
        "email": email,
        "institution": "Nieistniejąca Fundacja",
        "category": "ngo",
        "city": "Gdzieś",
        "consent": True,
        "language": "en",
    }


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def links_on(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.found


@pytest.fixture
def annas_world(app, client):
    """Anna registered herself for a study visit, with her health needs, in Polish; she
    also holds the last seat of a full seminar without a waitlist. An open expert
    meeting is where the attacker will register her."""
    with app.app_context():
        visit = make_event(title="Wizyta studyjna w Łodzi", capacity=10)
        full = make_event(title="Seminarium bez listy rezerwowej", capacity=1, waitlist=False)
        meeting = make_event(title="Spotkanie z ekspertami", capacity=10)
        db.session.commit()
        ids = {"visit": visit.id, "full": full.id, "meeting": meeting.id}
    for event_id in (ids["visit"], ids["full"]):
        response = client.post(f"/events/{event_id}", data=ANNAS_FORM, headers={"Cookie": ""})
        assert response.status_code == 303
    with app.app_context():
        anna = db.session.scalar(sa.select(Participant).where(Participant.email == ANNA))
        visit_registration = db.session.scalar(
            sa.select(Registration).where(Registration.event_id == ids["visit"])
        )
        return {
            **ids,
            "feed_token": anna.feed_token,
            "manage_token": visit_registration.token,
            "check_in_code": visit_registration.check_in_code,
            "participant": (anna.name, anna.language, anna.feed_token),
        }


def test_an_attacker_who_knows_only_an_address_learns_and_changes_nothing(app, client, annas_world):
    attacker = app.test_client()  # no cookie, no mailbox: only Anna's address
    seen: list[str] = []

    # 1. Register Anna for the open meeting through the API: that works, and the
    #    attacker gets this new registration's manage link.
    made = attacker.post(
        f"/api/v1/events/{annas_world['meeting']}/registrations", json=in_annas_name()
    )
    assert made.status_code == 201
    seen.append(made.text)
    manage_url = made.json["manage_url"]
    token = manage_url.rsplit("/", 1)[1]

    # 2. Read everything that link opens, and every page and file it links to.
    manage_page = attacker.get(urlsplit(manage_url).path)
    assert manage_page.status_code == 200
    seen.append(manage_page.text)
    for link in links_on(manage_page.text):
        target = urlsplit(urljoin(manage_url, link))
        if target.scheme in ("http", "https") and target.netloc == urlsplit(BASE_URL).netloc:
            followed = attacker.get(target.path, query_string=target.query)
            assert followed.status_code in (200, 404), link
            seen.append(followed.get_data(as_text=True))
    seen.append(attacker.get(f"/api/v1/registrations/{token}").text)

    # 3. Register Anna for the visit she already holds a seat at, on the page and the API.
    again = attacker.post(
        f"/api/v1/events/{annas_world['visit']}/registrations", json=in_annas_name()
    )
    assert again.status_code == 409
    assert again.json["type"].endswith("/already-registered")
    seen.append(again.text)
    form = {**in_annas_name(), "consent": "y"}
    seen.append(attacker.post(f"/events/{annas_world['visit']}", data=form).text)

    # 4. At the full event without a waitlist, her address gets what any address gets.
    as_anna = attacker.post(
        f"/api/v1/events/{annas_world['full']}/registrations", json=in_annas_name()
    )
    as_nobody = attacker.post(
        f"/api/v1/events/{annas_world['full']}/registrations",
        json=in_annas_name("ktokolwiek@example.org"),
    )
    assert (as_anna.status_code, as_anna.json) == (as_nobody.status_code, as_nobody.json)
    assert as_anna.json["type"].endswith("/event-full")
    page_as_anna = attacker.post(f"/events/{annas_world['full']}", data=form)
    page_as_nobody = attacker.post(
        f"/events/{annas_world['full']}", data={**form, "email": "ktokolwiek@example.org"}
    )
    assert page_as_anna.status_code == page_as_nobody.status_code == 409
    assert page_as_anna.text.replace(ANNA, "ktokolwiek@example.org") == page_as_nobody.text

    # 5. Nothing the attacker saw holds Anna's calendar, her other registrations'
    #    secrets, or what she told us about herself.
    everything = "\n".join(seen)
    for secret in (
        annas_world["feed_token"],
        annas_world["manage_token"],
        annas_world["check_in_code"],
        ANNAS_FORM["needs"],
        ANNAS_FORM["institution"],
        ANNAS_FORM["position"],
        ANNAS_FORM["name"],
    ):
        assert secret not in everything, secret
    assert "/calendar/personal/" not in everything
    assert not re.search(r"/r/(?!" + re.escape(token) + r")[A-Za-z0-9_-]{20,}", everything)

    # 6. And nothing stored for Anna changed: her name, her emails' language, her feed,
    #    her registrations.
    with app.app_context():
        anna = db.session.scalar(sa.select(Participant).where(Participant.email == ANNA))
        assert (anna.name, anna.language, anna.feed_token) == annas_world["participant"]
        own = db.session.scalars(
            sa.select(Registration).where(Registration.event_id != annas_world["meeting"])
        ).all()
        assert {(r.full_name, r.language, r.status) for r in own} == {
            ("Anna Kowalska", "pl", RegistrationStatus.CONFIRMED)
        }
        assert {r.needs for r in own} == {ANNAS_FORM["needs"]}

    # 7. Her calendar still works, and lists the meeting made in her name as the
    #    public page of that event, not as a manage link the attacker could share.
    feed = client.get(f"/calendar/personal/{annas_world['feed_token']}.ics")
    assert feed.status_code == 200
    assert f"/events/{annas_world['meeting']}" in feed.text
    assert "/r/" not in feed.text


def test_everything_about_the_attack_is_told_to_the_address_alone(make_app, smtp, annas_world):
    """The emails that the attack set off went to Anna, and only to her: the new
    registration's confirmation, her manage links for the visit and the full seminar."""
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    attacker = app.test_client()
    attacker.post(f"/api/v1/events/{annas_world['meeting']}/registrations", json=in_annas_name())
    attacker.post(f"/api/v1/events/{annas_world['visit']}/registrations", json=in_annas_name())
    attacker.post(f"/api/v1/events/{annas_world['full']}/registrations", json=in_annas_name())
    with app.app_context():
        deliver_due()
        kinds = sorted(
            (message.kind.value, message.language)
            for message in db.session.scalars(sa.select(OutboxMessage))
        )
    assert {message["X-Envelope-To"] for message in smtp.received} == {ANNA}
    assert len(smtp.received) == 5
    # Her own two confirmations; the one made in her name, in the language it was made
    # in; and, in her own language, her manage link for each event she already held.
    assert kinds == [
        ("already_registered", "pl"),
        ("already_registered", "pl"),
        ("confirmed", "en"),
        ("confirmed", "pl"),
        ("confirmed", "pl"),
    ]
