"""One address, however it is spelt: a person is known by their address after Unicode NFC
and IDNA normalisation, so typing it another way never takes a second seat (invariant 3)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from registration.email_addresses import normalise_email
from registration.extensions import db
from registration.registrations.models import Participant, Registration
from tests.factories import make_event

#: One mailbox, three spellings: capitals and a composed "ë" with a Unicode domain;
#: "e" plus a combining diaeresis (U+0308), as some keyboards and PDFs produce it;
#: the domain in its ASCII (punycode) form, as some mail programs show it.
ZOE = ("Zoë@Exämple.pl", "zoe\u0308@exämple.pl", "zoë@xn--exmple-cua.pl")


@pytest.mark.parametrize("spelling", ZOE)
def test_every_spelling_of_an_address_normalises_to_one_form(spelling):
    assert normalise_email(spelling) == "zoë@xn--exmple-cua.pl"


@pytest.mark.parametrize(
    ("address", "normalised"),
    [
        ("  Ala.Kot@Example.ORG ", "ala.kot@example.org"),
        ("ola@ｅｘａｍｐｌｅ.org", "ola@example.org"),  # full-width letters (UTS 46)
        ("Jan@Łódź.pl", "jan@xn--d-uga0v4h.pl"),
    ],
)
def test_addresses_are_trimmed_lower_cased_and_their_domain_made_ascii(address, normalised):
    assert normalise_email(address) == normalised


@pytest.mark.parametrize(
    "address",
    [
        "ZOË@xn--zz.pl",  # a broken punycode label
        "Zoë@exämple..pl",
        "Zoë@",
        "@Exämple.pl",
        "Zoë",
        "",
        "a@[127.0.0.1]",
        "Admin@LocalHost",
        "x" * 300 + "@example.org",
        "a\x00b@example.org",
    ],
)
def test_an_address_that_cannot_be_read_is_still_normalised_and_never_raises(address):
    """Forms refuse such addresses; whatever else hands one in (the command line, a
    sign-in attempt) gets it trimmed, NFC-normalised and lower-cased."""
    normalised = normalise_email(address)
    assert normalised == normalised.strip().lower()
    assert normalised == normalise_email(normalised)


def test_three_spellings_of_one_address_register_one_person_for_one_seat(app, client):
    with app.app_context():
        event = make_event(capacity=5)
        db.session.commit()
        event_id = event.id
    statuses = [
        client.post(
            f"/api/v1/events/{event_id}/registrations",
            json={
                "name": "Zoë Nowak",
                "email": spelling,
                "institution": "Teatr Miejski",
                "category": "culture_staff",
                "city": "Gdańsk",
                "consent": True,
            },
        ).status_code
        for spelling in ZOE
    ]
    assert statuses == [201, 409, 409]
    with app.app_context():
        assert db.session.scalars(sa.select(Participant.email)).all() == ["zoë@xn--exmple-cua.pl"]
        assert db.session.scalars(sa.select(Registration.email)).all() == ["zoë@xn--exmple-cua.pl"]


def test_addresses_stored_under_the_old_rule_are_brought_to_the_new_one(app):
    """Migration 0008: one mailbox stored in two spellings becomes one participant; where
    that would give one mailbox two seats at an event, nothing is decided for the people."""
    from flask_migrate import downgrade, upgrade

    from registration.accounts.models import Account
    from tests.factories import make_account, make_registration

    old_spelling = "zoe\u0308@exämple.pl"  # decomposed ë, Unicode domain: as stored before
    new_spelling = "zoë@xn--exmple-cua.pl"
    with app.app_context():
        first, second, both = make_event(), make_event(), make_event()
        at_first = make_registration(first, email=new_spelling)
        at_both = make_registration(both, email=new_spelling)
        account = make_account("kasia@przykład.pl")
        db.session.flush()
        # What the old rule stored for that mailbox and that account:
        for table, row_id in (
            ("participant", at_first.participant_id),
            ("registration", at_first.id),
            ("registration", at_both.id),
        ):
            db.session.execute(
                sa.text(f"UPDATE {table} SET email = :email WHERE id = :id"),
                {"email": old_spelling, "id": row_id},
            )
        db.session.execute(
            sa.text("UPDATE account SET email = 'kasia@przykład.pl' WHERE id = :id"),
            {"id": account.id},
        )
        db.session.commit()
        # ... and what the new rule let in beside it: a second participant, a second seat.
        at_second = make_registration(second, email=new_spelling)
        twin_at_both = make_registration(both, email=new_spelling)
        db.session.commit()
        assert len(db.session.scalars(sa.select(Participant)).all()) == 2
        ids = [at_first.id, at_second.id, twin_at_both.id]
        kept = at_both.id
        db.session.commit()

        downgrade(revision="0007_separate_secrets")
        upgrade()
        db.session.expire_all()

        participants = db.session.scalars(sa.select(Participant)).all()
        assert [p.email for p in participants] == [new_spelling]
        registrations = {r.id: r for r in db.session.scalars(sa.select(Registration))}
        for registration_id in ids:
            assert registrations[registration_id].email == new_spelling
        assert {r.participant_id for r in registrations.values()} == {participants[0].id}
        assert registrations[kept].email == old_spelling  # two seats: for an organiser to see
        assert db.session.get(Account, account.id).email == normalise_email("kasia@przykład.pl")
        assert db.session.get(Account, account.id).email.isascii()
