"""The personal calendar's address belongs to the person's mailbox (docs/calendars.md):
it arrives only by email, and every email lets the person replace it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations.models import Participant
from tests.factories import make_event, make_registration

BASE_URL = "https://koalicja.example.org"
REPLACE_LINK = re.compile(re.escape(BASE_URL) + r"(/calendar/personal/new-address/[^\s\"<]+)")
FEED_LINK = re.compile(re.escape(BASE_URL) + r"/calendar/personal/([A-Za-z0-9_-]+)\.ics")


def bodies(message) -> str:
    return "\n".join(
        message.get_body(preferencelist=(kind,)).get_content() for kind in ("plain", "html")
    )


@pytest.fixture
def anna(mail_app, smtp) -> dict:
    """Anna's confirmation has arrived; it carries her feed and the link to replace it."""
    with mail_app.app_context():
        registration = make_registration(make_event(), email="anna@example.org", name="Anna")
        db.session.commit()
        deliver_due()
        feed_token = registration.participant.feed_token
    (confirmation,) = smtp.messages_to("anna@example.org")
    text = bodies(confirmation)
    return {
        "feed_token": feed_token,
        "manage_token": registration.token,
        "replace_path": REPLACE_LINK.search(text).group(1),
        "email": text,
    }


def test_every_email_carries_the_feed_address_and_a_way_to_replace_it(anna):
    assert f"{BASE_URL}/calendar/personal/{anna['feed_token']}.ics" in anna["email"]
    assert anna["email"].count(anna["replace_path"]) == 2  # the text part and the HTML part


def test_opening_the_link_changes_nothing(mail_app, anna):
    """Mail scanners open every link in an email: only the button replaces the address."""
    client = mail_app.test_client()
    page = client.get(anna["replace_path"] + "?lang=en")
    assert page.status_code == 200
    assert "Replace the address" in page.text
    assert anna["feed_token"] not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get(f"/calendar/personal/{anna['feed_token']}.ics").status_code == 200


def test_replacing_ends_the_old_address_and_mails_the_new_one(mail_app, smtp, anna):
    client = mail_app.test_client()
    done = client.post(anna["replace_path"] + "?lang=en", follow_redirects=True)
    assert done.status_code == 200
    assert "Done: the old address no longer works." in done.text
    assert ".ics" not in done.text  # the new address goes by email only
    assert client.get(f"/calendar/personal/{anna['feed_token']}.ics").status_code == 404

    with mail_app.app_context():
        new_token = db.session.scalar(
            sa.select(Participant.feed_token).where(Participant.email == "anna@example.org")
        )
        (row,) = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.FEED_REPLACED)
        ).all()
        assert (row.recipient, row.language) == ("anna@example.org", "en")
        deliver_due()
    assert new_token != anna["feed_token"]
    assert client.get(f"/calendar/personal/{new_token}.ics").status_code == 200
    announcement = smtp.messages_to("anna@example.org")[-1]
    assert announcement["Subject"] == "A new address for your personal calendar"
    assert set(FEED_LINK.findall(bodies(announcement))) == {new_token}
    # The links sent with the old address are spent; the new email brings a new one.
    assert client.get(anna["replace_path"]).status_code == 404
    assert client.post(anna["replace_path"]).status_code == 404
    new_link = REPLACE_LINK.search(bodies(announcement)).group(1)
    assert client.post(new_link).status_code == 303


def test_replacing_changes_nothing_else_stored_for_the_person(mail_app, anna):
    """The link may have been forwarded: using it changes the address, nothing else."""
    with mail_app.app_context():
        before = db.session.execute(
            sa.select(Participant.name, Participant.language).where(
                Participant.email == "anna@example.org"
            )
        ).one()
    mail_app.test_client().post(anna["replace_path"] + "?lang=en")
    with mail_app.app_context():
        after = db.session.execute(
            sa.select(Participant.name, Participant.language).where(
                Participant.email == "anna@example.org"
            )
        ).one()
    assert after == before


def test_replacing_needs_the_pages_own_form(make_app, mail_app, smtp, anna):
    """A page elsewhere cannot post the button for the person (CSRF)."""
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        WTF_CSRF_ENABLED=True,
        SECRET_KEY=mail_app.secret_key,  # the key that signed the link in her email
    )
    client = app.test_client()
    refused = client.post(anna["replace_path"])
    assert refused.status_code == 400
    assert client.get(f"/calendar/personal/{anna['feed_token']}.ics").status_code == 200
    page = client.get(anna["replace_path"])
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    assert client.post(anna["replace_path"], data={"csrf_token": token}).status_code == 303
    assert client.get(f"/calendar/personal/{anna['feed_token']}.ics").status_code == 404


@pytest.mark.parametrize(
    "forged",
    [
        "manage token",
        "feed token",
        "altered",
        "another key",
        "nonsense",
        "integer as text",
        "no fingerprint",
        "wrong fingerprint",
    ],
)
def test_only_a_link_from_the_persons_email_can_replace_the_address(make_app, anna, forged):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    key = anna["replace_path"].rsplit("/", 1)[1]
    with app.app_context():
        from itsdangerous import URLSafeSerializer

        salt = "personal-feed-replacement"
        other_signer = URLSafeSerializer("a different secret key", salt=salt)
        ours = URLSafeSerializer(app.secret_key, salt=salt)
        path = {
            "manage token": anna["manage_token"],
            "feed token": anna["feed_token"],
            "altered": key[:-2] + ("AA" if not key.endswith("AA") else "BB"),
            "another key": other_signer.dumps([1, "0" * 16]),
            "nonsense": "%00%0d%0a..",
            "integer as text": ours.dumps(["1", "0" * 16]),
            "no fingerprint": ours.dumps(1),
            "wrong fingerprint": ours.dumps([1, "0" * 16]),
        }[forged]
    client = app.test_client()
    assert client.get(f"/calendar/personal/new-address/{path}").status_code == 404
    assert client.post(f"/calendar/personal/new-address/{path}").status_code == 404
    assert client.get(f"/calendar/personal/{anna['feed_token']}.ics").status_code == 200
