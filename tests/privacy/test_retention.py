"""Retention: ``RETENTION_DAYS`` after an event ends, its registrations' personal data are
anonymised, in every table, and what reports count stays (docs/privacy.md, "Retention")."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.accounts.models import AuditEntry
from registration.accounts.services import record
from registration.database import utcnow
from registration.events.models import City
from registration.extensions import db
from registration.i18n import fold
from registration.notifications.delivery import deliver_due
from registration.notifications.models import DeliveryStatus, MessageKind, OutboxMessage
from registration.privacy.retention import anonymise_due, home_city
from registration.registrations import services
from registration.registrations.models import Participant, Registration, RegistrationStatus
from tests.factories import make_account, make_event, make_registration

#: What Anna typed, every piece of which must be gone; she registered only for the old event.
ANNA = {
    "name": "Anna Niepowtarzalna-Kowalska",
    "email": "anna.niepowtarzalna@example.org",
    "institution": "Instytut Jedyny w Swoim Rodzaju",
    "position": "Kierowniczka Działu Osobliwości",
    "needs": "Dieta bezglutenowa, pętla indukcyjna dla niedosłyszących",
    "city": "gdańsk ",
}
#: Ben's city is no known city: it goes too.
BEN = {
    "name": "Ben Jedynak",
    "email": "ben.jedynak@example.org",
    "institution": "Fundacja Przykładowa Jedynaka",
    "position": None,
    "needs": None,
    "city": "Wólka Jedynacka",
}
#: Cara registered for the old event and for one that ended lately: she stays a participant.
CARA = {"name": "Cara Świeża", "email": "cara.swieza@example.org", "city": "ŁÓDŹ"}


def needles(person: dict) -> list[str]:
    """Every piece of what the person typed, as it could be stored or quoted; their city
    only if it is no known city's name (which stays, see ``home_city``)."""
    pieces = [value.strip() for key, value in person.items() if value and key != "city"]
    known = {fold(name) for name in db.session.scalars(sa.select(City.name))}
    if fold(person["city"]) not in known:
        pieces.append(person["city"])
    return [*pieces, person["email"].split("@")[0]]


def every_value() -> list[tuple[str, str, str]]:
    """Every value of every column of every table in the database, as text:
    (table, column, value). Read from the database itself, not from the models."""
    found = []
    connection = db.session.connection()  # the test's own: on SQLite it may hold the lock
    inspector = sa.inspect(connection)
    for name in inspector.get_table_names():
        table = sa.Table(name, sa.MetaData(), autoload_with=db.session.connection())
        for row in db.session.execute(sa.select(table)).mappings():
            for column, value in row.items():
                if value is not None:
                    found.append((name, column, str(value)))
    return found


def holding(person: dict) -> list[tuple[str, str, str]]:
    """Where any piece of the person's data is still stored, case and all."""
    pieces = [piece.casefold() for piece in needles(person)]
    return [
        (table, column, value)
        for table, column, value in every_value()
        if any(piece in value.casefold() for piece in pieces)
    ]


def report_counts(event_id: int) -> Counter:
    """What reports count: registrations by status, category, home city and attendance."""
    return Counter(
        (r.status.value, r.category.value, r.city, r.checked_in_at is not None)
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.event_id == event_id)
        )
    )


def table_rows() -> dict[str, list[tuple]]:
    found = {}
    for name in sa.inspect(db.session.connection()).get_table_names():
        table = sa.Table(name, sa.MetaData(), autoload_with=db.session.connection())
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        found[name] = [tuple(row) for row in rows]
    return found


@pytest.fixture
def old_event(mail_app, smtp):
    """An event that ended RETENTION_DAYS and a day ago, with all that happened around it:
    Anna registered, was moved to the waitlist by hand and back, checked in, written to,
    and her address refused one message; Ben cancelled; Cara came too. An audit entry
    quotes Anna's name (an action that would record more than the present ones do)."""
    with mail_app.app_context():
        days = mail_app.config["RETENTION_DAYS"]
        starts_at = utcnow() - timedelta(days=days + 1, hours=5)
        before = starts_at - timedelta(days=7)
        event = make_event(title="Seminarium sprzed lat", starts_at=starts_at, capacity=2)
        organiser = make_account()
        anna = make_registration(event, **ANNA, now=before)
        ben = make_registration(event, **BEN, now=before)
        cara = make_registration(event, **CARA, now=before)  # waitlisted: two seats
        services.move_to_waitlist(anna, account=organiser, now=before)
        services.cancel(ben, now=before)  # Anna takes Ben's seat again
        services.message_attendees(
            event,
            subject="Sala 2",
            body="Czekamy na Annę Niepowtarzalną-Kowalską.",
            recipients="active",
            account=organiser,
        )
        record(organiser, "registration.note", registration=anna, name=ANNA["name"])
        db.session.commit()
        smtp.refuse(CARA["email"])
        deliver_due()
        services.check_in(anna, account=organiser, now=starts_at + timedelta(minutes=5))
        db.session.commit()
        return {
            "id": event.id,
            "anna": anna.id,
            "ben": ben.id,
            "cara": cara.id,
            "tokens": [anna.token, cara.token],
            "code": anna.check_in_code,
            "feed": anna.participant.feed_token,
        }


@pytest.fixture
def recent_event(mail_app):
    """An event that ended a day short of RETENTION_DAYS ago; Cara was there too."""
    with mail_app.app_context():
        days = mail_app.config["RETENTION_DAYS"]
        starts_at = utcnow() - timedelta(days=days - 1, hours=5)
        event = make_event(title="Seminarium niedawne", starts_at=starts_at)
        cara = make_registration(event, **CARA, now=starts_at - timedelta(days=1))
        db.session.commit()
        return {"id": event.id, "cara": cara.id}


def test_nothing_of_the_people_is_left_in_any_table(mail_app, old_event):
    with mail_app.app_context():
        # The scan finds them before.
        assert holding(ANNA)
        assert holding(BEN)
        assert holding(CARA)
        anonymise_due()
        assert holding(ANNA) == []
        assert holding(BEN) == []
        assert holding(CARA) == []


def test_what_reports_count_stays(mail_app, old_event):
    with mail_app.app_context():
        before = report_counts(old_event["id"])
        anonymise_due()
        after = report_counts(old_event["id"])
    # Status, category and attendance as they were; the home city a known one's name.
    assert before == Counter(
        {
            ("confirmed", "culture_staff", "gdańsk", True): 1,
            ("cancelled", "culture_staff", "Wólka Jedynacka", False): 1,
            ("confirmed", "culture_staff", "ŁÓDŹ", False): 1,
        }
    )
    assert after == Counter(
        {
            ("confirmed", "culture_staff", "Gdańsk", True): 1,
            ("cancelled", "culture_staff", "", False): 1,
            ("confirmed", "culture_staff", "Łódź", False): 1,
        }
    )


def test_dates_and_the_event_stay(mail_app, old_event):
    with mail_app.app_context():
        anna = db.session.get(Registration, old_event["anna"])
        kept = (anna.event_id, anna.created_at, anna.consent_at, anna.checked_in_at)
        anonymise_due()
        db.session.expire_all()
        anna = db.session.get(Registration, old_event["anna"])
        assert (anna.event_id, anna.created_at, anna.consent_at, anna.checked_in_at) == kept
        assert anna.anonymised_at is not None


def test_a_second_run_changes_nothing(mail_app, old_event, recent_event):
    with mail_app.app_context():
        first = anonymise_due()
        assert (first.registrations, first.participants) == (3, 2)  # Cara stays a participant
        rows = table_rows()
        second = anonymise_due()
        assert (second.registrations, second.participants, second.messages) == (0, 0, 0)
        again = table_rows()
    assert {k: v for k, v in again.items() if k != "audit_entry"} == {
        k: v for k, v in rows.items() if k != "audit_entry"
    }
    assert again["audit_entry"][:-1] == rows["audit_entry"]  # one more entry: the run's


def test_events_ended_less_than_retention_days_ago_are_untouched(mail_app, old_event, recent_event):
    with mail_app.app_context():
        cara = db.session.get(Registration, recent_event["cara"])
        kept = db.session.execute(
            sa.select(Registration.__table__).where(Registration.id == cara.id)
        ).one()
        participant = cara.participant_id
        anonymise_due()
        assert (
            db.session.execute(
                sa.select(Registration.__table__).where(Registration.id == cara.id)
            ).one()
            == kept
        )
        # Her participant keeps her recent registration, and no longer the old one.
        person = db.session.get(Participant, participant)
        assert (person.email, person.anonymised_at) == (CARA["email"], None)
        assert db.session.scalars(
            sa.select(Registration.id).where(Registration.participant_id == participant)
        ).all() == [cara.id]


def test_old_links_tickets_and_feeds_lead_nowhere(mail_app, old_event):
    client = mail_app.test_client()
    with mail_app.app_context():
        anonymise_due()
    for token in old_event["tokens"]:
        assert client.get(f"/r/{token}").status_code == 404
    assert client.get(f"/calendar/personal/{old_event['feed']}.ics").status_code == 404
    with mail_app.app_context():
        assert services.find_by_check_in_code(old_event["code"]) is None
        # Nor do the fresh secrets that replaced them.
        anna = db.session.get(Registration, old_event["anna"])
        assert services.find_by_token(anna.token) is None
        assert services.find_by_check_in_code(anna.check_in_code) is None


def test_a_message_still_waiting_is_delivered_then_scrubbed(mail_app, smtp, old_event):
    """One queued before the run (say, a retry) still reaches the person; once sent it
    keeps no address."""
    received = len(smtp.messages_to(ANNA["email"]))
    with mail_app.app_context():
        anna = db.session.get(Registration, old_event["anna"])
        db.session.execute(
            sa.insert(OutboxMessage).values(
                kind=MessageKind.ORGANISER_MESSAGE,
                registration_id=anna.id,
                recipient=ANNA["email"],
                language="pl",
                context={"organiser_subject": "Spóźnione", "organiser_body": "Dla Anny."},
                message_key="a" * 32,
                status=DeliveryStatus.QUEUED,
                attempts=0,
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
        )
        db.session.commit()
        anonymise_due()
        waiting = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.status == DeliveryStatus.QUEUED)
        ).one()
        assert waiting.recipient == ANNA["email"]
        assert deliver_due().sent == 1
        assert holding(ANNA) == []
    assert len(smtp.messages_to(ANNA["email"])) == received + 1


def test_the_run_is_recorded_with_its_counts(mail_app, old_event):
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["privacy", "anonymise"])
    assert result.exit_code == 0, result.output
    days = mail_app.config["RETENTION_DAYS"]
    assert result.output.startswith(
        f"Anonymised 3 registrations and 3 participants of events that ended more than "
        f"{days} days ago;"
    )
    with mail_app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy.anonymised")
        ).one()
        assert entry.account_id is None
        assert entry.details["retention_days"] == days
        assert entry.details["registrations"] == 3
        assert entry.details["participants"] == 3
    again = runner.invoke(args=["privacy", "anonymise"])
    assert again.output.startswith("Anonymised 0 registrations and 0 participants")


def test_retention_days_is_the_configured_number(make_app):
    app = make_app(RETENTION_DAYS=30)
    with app.app_context():
        starts_at = utcnow() - timedelta(days=31)
        event = make_event(starts_at=starts_at)
        due = make_registration(event, now=starts_at - timedelta(days=1))
        recent = make_event(starts_at=utcnow() - timedelta(days=29))
        kept = make_registration(recent, now=recent.starts_at - timedelta(days=1))
        db.session.commit()
        assert anonymise_due().registrations == 1
        db.session.expire_all()
        assert db.session.get(Registration, due.id).anonymised_at is not None
        assert db.session.get(Registration, kept.id).anonymised_at is None


def test_a_person_registering_meanwhile_is_a_new_participant(mail_app, old_event):
    """Anna's old participant is anonymised; registering again makes her a new one."""
    with mail_app.app_context():
        anonymise_due()
        event = make_event()
        again = make_registration(event, **ANNA)
        db.session.commit()
        assert again.status == RegistrationStatus.CONFIRMED
        assert again.participant.email == ANNA["email"]
        assert again.participant.name == ANNA["name"]
        assert again.participant.anonymised_at is None


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("gdańsk ", "Gdańsk"),
        ("GDANSK", "Gdańsk"),
        ("  lodz", "Łódź"),
        ("Łódź", "Łódź"),
        ("Poznan", "Poznań"),
        ("Wólka Mała", ""),
        ("Gdańsk-Oliwa, ul. Polanki 12", ""),
        ("", ""),
    ],
)
def test_the_home_city_keeps_only_a_known_citys_name(typed, kept):
    cities = {fold(name): name for name in ("Gdańsk", "Łódź", "Poznań", "Wrocław")}
    assert home_city(typed, cities) == kept


def test_the_run_never_waits_for_an_events_seat_lock(mail_app, old_event, backend):
    """People registering hold the event row's lock (``lock_event``); a run touches only
    registration rows, so it goes on beside them (PostgreSQL has row locks to show it)."""
    if backend != "postgresql":
        pytest.skip("SQLite has one lock for the whole database, held only per batch")
    done = []

    def run() -> None:
        with mail_app.app_context():
            done.append(anonymise_due().registrations)

    with mail_app.app_context(), db.engine.connect() as seat_holder:
        seat_holder.execute(
            sa.text("SELECT id FROM event WHERE id = :id FOR UPDATE"), {"id": old_event["id"]}
        )
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(timeout=20)
        finished = not worker.is_alive()
        seat_holder.rollback()  # lets a run that waited go on, so that the test ends
        worker.join()
    assert finished, "the run waited for the event's lock"
    assert done == [3]
