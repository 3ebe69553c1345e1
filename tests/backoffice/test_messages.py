"""Back office: writing to attendees in steps (write, preview, test, confirm), and the
send-outs of an event with their delivery counts.

Nothing is sent before the organiser confirms the number they were shown; a test goes
to the organiser alone and counts nowhere; every step is a POST with a CSRF token.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.events.models import Event
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import PASSWORD, make_account, make_event, make_registration

ORGANISER = "organiser@example.org"


@pytest.fixture
def app(mail_app):
    """Every test here may deliver its mail, to the real SMTP server of ``smtp``."""
    return mail_app


@pytest.fixture
def event(app, smtp) -> dict:
    """A Wrocław event with three seats: two checked in, one not, two in line; their
    registration emails delivered already, so that the mail server starts empty."""
    with app.app_context():
        organiser = make_account("door@example.org", city_slug="wroclaw")
        event = make_event(title="Seminarium we Wrocławiu", capacity=3)
        people = [
            make_registration(event, name=name, email=f"{login}@example.org", language=language)
            for name, login, language in [
                ("Zofia Ćwik", "zofia", "pl"),
                ("Adam Łoś", "adam", "en"),
                ("Ewa Nowak", "ewa", "pl"),
                ("Jan Kos", "jan", "pl"),
                ("Olga Was", "olga", "pl"),
            ]
        ]
        services.check_in(people[0], account=organiser, other_day=True)
        services.check_in(people[1], account=organiser, other_day=True)
        db.session.commit()
        found = {"id": event.id, "people": [p.id for p in people]}
        deliver_due()
    smtp.received.clear()
    return found


@pytest.fixture
def gdansk(app) -> int:
    with app.app_context():
        event = make_event(title="Seminarium w Gdańsku", city_slug="gdansk")
        make_registration(event, email="gd@example.org")
        db.session.commit()
        return event.id


def message(recipients: str = "confirmed", **fields) -> dict:
    return {"recipients": recipients, "subject": "Plan dnia", "body": "Dzień dobry!", **fields}


def organiser_messages(app) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == MessageKind.ORGANISER_MESSAGE)
            .order_by(OutboxMessage.id)
        ).all()


def recipients_of(app) -> list[str]:
    return sorted(m.recipient for m in organiser_messages(app) if m.registration_id)


class TestChoosingRecipients:
    @pytest.mark.parametrize(
        ("group", "who"),
        [
            ("confirmed", ["adam", "ewa", "zofia"]),
            ("waitlisted", ["jan", "olga"]),
            ("active", ["adam", "ewa", "jan", "olga", "zofia"]),
            ("checked_in", ["adam", "zofia"]),
            ("not_checked_in", ["ewa"]),
        ],
    )
    def test_each_group_reaches_exactly_its_people(self, app, client, signed_in, event, group, who):
        signed_in()
        count = len(who)
        response = client.post(
            f"/organiser/events/{event['id']}/message/send", data=message(group, expected=count)
        )
        assert response.status_code == 303
        assert recipients_of(app) == [f"{login}@example.org" for login in who]

    def test_the_form_says_how_many_each_group_has(self, client, signed_in, event):
        signed_in()
        html = client.get(f"/organiser/events/{event['id']}/message?lang=en").text
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
        assert "Confirmed people who have checked in (2 people)" in text
        assert "Confirmed people who have not checked in (1 person)" in text
        assert "People on the waitlist (2 people)" in text

    def test_an_unknown_group_is_refused(self, app, client, signed_in, event):
        signed_in()
        for step in ("preview", "test", "send"):
            response = client.post(
                f"/organiser/events/{event['id']}/message/{step}",
                data=message("everyone", expected=5),
            )
            assert response.status_code == 422, step
        assert organiser_messages(app) == []


class TestPreview:
    def test_shows_the_email_as_sent_and_the_count_and_sends_nothing(
        self, app, client, signed_in, event
    ):
        signed_in()
        response = client.post(
            f"/organiser/events/{event['id']}/message/preview?lang=pl", data=message()
        )
        assert response.status_code == 200
        html = response.text
        assert "Wyślesz do 3 osób." in html
        assert "Wyślij do 3 osób" in html
        # One rendering per language the recipients read: two in Polish, one in English.
        assert "Po polsku, dla 2 osób" in html
        assert "Po angielsku, dla 1 osoby" in html
        assert "Plan dnia · Seminarium we Wrocławiu" in html
        assert 'sandbox srcdoc="&lt;!doctype html&gt;' in html
        assert "Dzień dobry!" in html
        assert 'name="expected" value="3"' in html
        assert organiser_messages(app) == []

    def test_shows_no_participants_secrets(self, app, client, signed_in, event):
        """The sample person's links lead nowhere: nobody's manage link or feed is shown."""
        signed_in()
        html = client.post(f"/organiser/events/{event['id']}/message/preview", data=message()).text
        with app.app_context():
            for registration_id in event["people"]:
                registration = db.session.get(Registration, registration_id)
                assert registration.token not in html
                assert registration.participant.feed_token not in html
                assert registration.email not in html

    def test_a_line_break_in_the_body_survives_the_hidden_field(
        self, app, client, signed_in, event
    ):
        signed_in()
        body = "Dzień dobry,\r\n\r\nplan w załączniku.\r\n„Cytat” <b>bez HTML</b> & więcej"
        html = client.post(
            f"/organiser/events/{event['id']}/message/preview", data=message(body=body)
        ).text
        hidden = re.search(r'name="body" value="([^"]*)"', html).group(1)
        assert "&lt;b&gt;" in hidden
        assert "\n" in hidden

    def test_nobody_in_the_group_is_said_before_anything_else(self, app, client, signed_in):
        signed_in()
        with app.app_context():
            empty = make_event(title="Pusto")
            db.session.commit()
            empty_id = empty.id
        response = client.post(
            f"/organiser/events/{empty_id}/message/preview?lang=en", data=message()
        )
        assert response.status_code == 409
        assert "no message was sent" in response.text

    @pytest.mark.parametrize(
        "fields",
        [
            {"subject": ""},
            {"body": ""},
            {"subject": "x" * 151},
            {"body": "x" * 5001},
            {"subject": "dwie\nlinie"},
            {"recipients": ""},
            {"recipients": "x" * 10_000},
        ],
    )
    def test_bad_input_goes_back_to_the_form(self, app, client, signed_in, event, fields):
        signed_in()
        response = client.post(
            f"/organiser/events/{event['id']}/message/preview", data={**message(), **fields}
        )
        assert response.status_code == 422
        assert "Write to attendees" in response.text or "Napisz" in response.text

    def test_changing_the_message_brings_the_form_back_filled(self, client, signed_in, event):
        signed_in()
        html = client.post(
            f"/organiser/events/{event['id']}/message", data=message(subject="Zmiana planu")
        ).text
        assert 'value="Zmiana planu"' in html
        assert "Dzień dobry!</textarea>" in html


class TestConfirming:
    def test_queues_one_email_each_and_leads_to_the_progress(self, app, client, signed_in, event):
        signed_in()
        response = client.post(
            f"/organiser/events/{event['id']}/message/send", data=message("waitlisted", expected=2)
        )
        assert response.status_code == 303
        batch = response.headers["Location"].rsplit("/", 1)[1]
        rows = organiser_messages(app)
        assert {r.context["batch"] for r in rows} == {batch}
        html = client.get(response.headers["Location"] + "?lang=en").text
        assert "Plan dnia" in html
        assert re.search(r"Waiting to be sent</dt><dd>2</dd>", html)

    def test_a_changed_count_sends_nothing_and_shows_the_new_one(
        self, app, client, signed_in, event
    ):
        signed_in()
        with app.app_context():  # someone joins the line after the preview
            make_registration(db.session.get(Event, event["id"]), email="new@example.org")
            db.session.commit()
        response = client.post(
            f"/organiser/events/{event['id']}/message/send?lang=pl",
            data=message("waitlisted", expected=2),
        )
        assert response.status_code == 409
        assert "Wyślesz do 3 osób." in response.text
        assert 'name="expected" value="3"' in response.text
        assert organiser_messages(app) == []

    @pytest.mark.parametrize("expected", ["", "abc", "-1", "0", "9" * 40, "3.5"])
    def test_a_missing_or_odd_count_is_refused(self, app, client, signed_in, event, expected):
        signed_in()
        response = client.post(
            f"/organiser/events/{event['id']}/message/send", data=message(expected=expected)
        )
        assert response.status_code == 422
        assert organiser_messages(app) == []

    def test_the_send_out_is_listed_with_author_time_and_counts(
        self, app, client, signed_in, event, smtp
    ):
        signed_in()
        sent = client.post(
            f"/organiser/events/{event['id']}/message/send", data=message("confirmed", expected=3)
        )
        smtp.refuse("ewa@example.org", "550 No such user")
        with app.app_context():
            deliver_due()
        html = client.get(f"/organiser/events/{event['id']}/message?lang=en").text
        listed = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html[html.index("Sent before") :]))
        assert "Plan dnia" in listed
        assert f"Sent by {ORGANISER} on" in listed
        assert "(Warsaw time) to 3 people." in listed
        assert "Sent: 2 · Waiting: 0 · Failed: 1" in listed
        # The send-out's page names who did not get it, and leads to their row on the list.
        progress = client.get(sent.headers["Location"] + "?lang=en").text
        ewa = event["people"][2]
        assert f'/attendees#registration-{ewa}">Ewa Nowak</a>' in progress
        assert "No such user" in progress


class TestTestEmail:
    def test_goes_to_the_organiser_alone_marked_and_counted_nowhere(
        self, app, client, signed_in, event, smtp
    ):
        signed_in()
        response = client.post(
            f"/organiser/events/{event['id']}/message/test?lang=en", data=message()
        )
        assert response.status_code == 200
        assert f"A test is on its way to {ORGANISER}." in response.text
        assert "You will send it to 3 people." in response.text  # still on the preview
        with app.app_context():
            report = deliver_due()
        assert report.sent == 1
        assert [m["To"] for m in smtp.received] == [ORGANISER]
        mail = smtp.received[0]
        assert str(mail["Subject"]).startswith("[TEST] Plan dnia")
        assert "Dzień dobry!" in mail.get_body(("plain",)).get_content()
        with app.app_context():
            tokens = [db.session.get(Registration, i).token for i in event["people"]]
        assert not any(token in mail.as_string() for token in tokens)
        # Not a send-out: the list of send-outs and the attendees' last emails stay empty.
        html = client.get(f"/organiser/events/{event['id']}/message?lang=en").text
        assert "Sent before" not in html
        with app.app_context():
            actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert "event.message_test" in actions
        assert "event.message" not in actions

    def test_is_written_in_the_organisers_language(self, app, client, signed_in, event, smtp):
        signed_in()
        client.post(f"/organiser/events/{event['id']}/message/test?lang=en", data=message())
        with app.app_context():
            deliver_due()
        assert (
            "A message from the organisers" in smtp.received[0].get_body(("plain",)).get_content()
        )


# --- Who may do what ----------------------------------------------------------------

STEPS = ["preview", "test", "send"]


def test_another_citys_organiser_is_forbidden_every_step(app, client, signed_in, gdansk):
    signed_in()  # an organiser of Wrocław
    for step in STEPS:
        response = client.post(
            f"/organiser/events/{gdansk}/message/{step}", data=message(expected=1)
        )
        assert response.status_code == 403, step
    assert organiser_messages(app) == []


def test_a_signed_out_visitor_is_sent_to_sign_in(app, client, gdansk):
    for step in STEPS:
        response = client.post(
            f"/organiser/events/{gdansk}/message/{step}", data=message(expected=1)
        )
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/organiser/login?next=")


def test_an_unknown_event_is_not_found(client, signed_in):
    signed_in()
    for step in STEPS:
        assert (
            client.post(f"/organiser/events/999/message/{step}", data=message()).status_code == 404
        )


def test_no_get_on_the_steps(client, signed_in, event):
    signed_in()
    for step in STEPS:
        assert client.get(f"/organiser/events/{event['id']}/message/{step}").status_code in (
            404,
            405,
        )


def test_every_step_needs_the_csrf_token(event_in_csrf_app):
    app, client, event_id = event_in_csrf_app
    for step in STEPS:
        response = client.post(
            f"/organiser/events/{event_id}/message/{step}", data=message(expected=1)
        )
        assert response.status_code == 400, step
    assert organiser_messages(app) == []


@pytest.fixture
def event_in_csrf_app(make_app):
    """An app with CSRF checks on, an event there, and a client signed in to it."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_account(ORGANISER, city_slug="wroclaw")
        event = make_event()
        make_registration(event)
        db.session.commit()
        event_id = event.id
    client = app.test_client()
    page = client.get("/organiser/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    client.post(
        "/organiser/login",
        data={"email": ORGANISER, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert client.get(f"/organiser/events/{event_id}/attendees").status_code == 200
    return app, client, event_id


def test_the_preview_allows_exactly_the_emails_own_styles(client, signed_in, event):
    """The email keeps its styles in the preview's frame; no other inline style is allowed,
    and no other page allows any."""
    signed_in()
    preview = client.post(f"/organiser/events/{event['id']}/message/preview", data=message())
    policy = preview.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    styles = next(part for part in policy.split("; ") if part.startswith("style-src"))
    assert styles.startswith("style-src 'self' 'unsafe-hashes' 'sha256-")
    assert "unsafe-inline" not in policy
    form = client.get(f"/organiser/events/{event['id']}/message")
    assert "unsafe-hashes" not in form.headers["Content-Security-Policy"]
