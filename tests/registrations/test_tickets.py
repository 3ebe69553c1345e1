"""The ticket is not a key (docs/registrations.md, pages): its QR code carries a check-in code that
checks the person in for an organiser of the event, and does nothing for anyone else."""

from __future__ import annotations

import io

import pytest
import segno
import sqlalchemy as sa

from registration.extensions import db
from registration.registrations.models import Registration
from tests.factories import PASSWORD, make_account, make_event, make_registration

BASE_URL = "https://koalicja.example.org"


def qr_svg(content: str) -> bytes:
    """The SVG the service draws for ``content`` (the same call as the ticket view)."""
    svg = io.BytesIO()
    segno.make(content, error="m").save(
        svg, kind="svg", xmldecl=False, scale=6, dark="#000000", light="#ffffff", title="Bilet"
    )
    return svg.getvalue()


@pytest.fixture
def ticket(app) -> dict:
    with app.app_context():
        registration = make_registration(
            make_event(title="Seminarium w Gdańsku", city_slug="gdansk")
        )
        db.session.commit()
        return {
            "id": registration.id,
            "token": registration.token,
            "code": registration.check_in_code,
            "name": registration.full_name,
        }


def test_every_registration_has_its_own_check_in_code_apart_from_its_manage_token(ctx):
    event = make_event()
    people = [make_registration(event) for _ in range(5)]
    codes = {person.check_in_code for person in people}
    assert len(codes) == 5
    assert not codes & {person.token for person in people}
    assert all(len(code) >= 43 for code in codes)  # 256 random bits, as the manage token


def test_the_qr_code_carries_the_check_in_address_and_never_the_manage_token(client, ticket):
    svg = client.get(f"/r/{ticket['token']}/ticket.svg")
    assert svg.status_code == 200
    assert svg.data == qr_svg(f"{BASE_URL}/check-in/{ticket['code']}")


@pytest.mark.parametrize("code", ["known", "unknown", "manage token"])
def test_a_participant_who_scans_a_ticket_sees_what_it_is_for_and_nothing_more(
    client, ticket, code
):
    """Not a login form, not the registration: the same page for every code."""
    scanned = {
        "known": ticket["code"],
        "unknown": "x" * 43,
        "manage token": ticket["token"],
    }[code]
    response = client.get(f"/check-in/{scanned}?lang=en")
    assert response.status_code == 200
    assert "Show this code at the entrance." in response.text
    assert ticket["name"] not in response.text
    assert "Seminarium w Gdańsku" not in response.text
    if scanned != ticket["token"]:
        assert ticket["token"] not in response.text
    assert 'type="password"' not in response.text
    polish = client.get(f"/check-in/{scanned}?lang=pl").text
    assert "Pokaż ten kod przy wejściu." in polish


def sign_in_organiser(app, client, city_slug: str) -> None:
    with app.app_context():
        make_account(f"{city_slug}@example.org", city_slug=city_slug)
        db.session.commit()
    credentials = {"email": f"{city_slug}@example.org", "password": PASSWORD}
    assert client.post("/organiser/login", data=credentials).status_code == 303


def test_a_ticket_opens_the_check_in_card_for_an_organiser_of_the_event(app, client, ticket):
    sign_in_organiser(app, client, "gdansk")
    scanned = client.get(f"/check-in/{ticket['code']}")
    assert scanned.status_code == 303
    assert scanned.headers["Location"] == f"/organiser/check-in/{ticket['code']}"
    card = client.get(scanned.headers["Location"])
    assert ticket["name"] in card.text
    # The seminar is in two weeks: a check-in today takes the second tap.
    confirmed = client.post(scanned.headers["Location"], data={"confirm": "other-day"})
    assert confirmed.status_code == 303
    with app.app_context():
        assert db.session.get(Registration, ticket["id"]).checked_in_at is not None


def test_another_citys_organiser_cannot_check_the_ticket_in(app, client, ticket):
    sign_in_organiser(app, client, "wroclaw")
    card = client.get(f"/check-in/{ticket['code']}", follow_redirects=True)
    assert card.status_code == 403
    assert ticket["name"] not in card.text
    assert client.post(f"/organiser/check-in/{ticket['code']}").status_code == 403
    with app.app_context():
        assert db.session.get(Registration, ticket["id"]).checked_in_at is None


def test_the_check_in_code_neither_manages_nor_cancels(client, ticket):
    """A photo of a ticket lets nobody read or cancel the registration."""
    assert client.get(f"/r/{ticket['code']}").status_code == 404
    assert client.post(f"/r/{ticket['code']}/cancel").status_code == 404
    assert client.get(f"/api/v1/registrations/{ticket['code']}").status_code == 404
    assert client.delete(f"/api/v1/registrations/{ticket['code']}").status_code == 404


def test_the_migration_gives_existing_registrations_distinct_codes(app):
    """Registrations made before check-in codes existed get one each (migration 0007)."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        event = make_event()
        for _ in range(3):
            make_registration(event)
        db.session.commit()
        downgrade(revision="0006_seat_counts")
        upgrade()
        codes = db.session.scalars(sa.select(Registration.check_in_code)).all()
        tokens = db.session.scalars(sa.select(Registration.token)).all()
    assert len(set(codes)) == 3
    assert all(len(code) >= 43 for code in codes)
    assert not set(codes) & set(tokens)
