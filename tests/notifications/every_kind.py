"""One of each email, made the way the service makes them: by registering, cancelling,
changing and cancelling events, writing to attendees and replacing a calendar address."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from registration.accounts import services as accounts
from registration.accounts.models import Role
from registration.certificates.services import queue_certificate_emails
from registration.database import utcnow
from registration.events import services as events
from registration.events.models import EventType
from registration.extensions import db
from registration.notifications.models import MessageKind, OutboxMessage
from registration.notifications.reminders import queue_reminders
from registration.privacy import own_data
from registration.registrations import services
from registration.registrations.errors import AlreadyRegistered
from tests.factories import city, make_account, make_event, make_registration

WARSAW = ZoneInfo("Europe/Warsaw")
#: Where the study visit was before the organisers moved it.
OLD_VENUE = "Wrocławski Dom Literatury"
NEW_VENUE = "Centrum Historii Zajezdnia"
ORGANISER_SUBJECT = "Zmiana sali"
ORGANISER_BODY = "Spotykamy się w sali 2 na pierwszym piętrze.\n\nDo zobaczenia!"


def warsaw_day(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Warsaw some days from now (tests stay in the future)."""
    day = datetime.now(WARSAW).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW)


def queue_every_kind(language: str) -> dict[MessageKind, int]:
    """Queue one message of each kind, all in ``language``; commit; return their outbox ids
    (of the first message of each kind).

    - a seminar tomorrow: Cara registered days ago (confirmed), and gets the reminder;
    - a one-day study visit with one seat: Anna is confirmed, Ben waitlisted, Anna
      registers again (already registered), Ben asks for his lost link (manage link), then
      Anna cancels (cancelled), so Ben is promoted;
      the organisers move the visit to another day, over two days, and another venue
      (event changed), write to the attendees (organiser message), Ben replaces his
      calendar's address (feed replaced) and asks for the link to his data (data link);
    - an expert meeting that the organisers cancel: Dan's registration (event cancelled);
    - a seminar whose organisers decide on each registration: Eva's request waits
      (pending), Fay's is not accepted (rejected);
    - an admin invites a new organiser (account invitation), and the organiser who moved
      the visit has forgotten their password (password reset);
    - a seminar that ended yesterday: Ewa was checked in, and gets her certificate.
    """
    organiser = make_account(f"organiser-{language}@example.org", password=None)
    now = utcnow()
    seminar = make_event(
        title="Seminarium: dane o publiczności", starts_at=now + timedelta(hours=20)
    )
    make_registration(
        seminar,
        email=f"cara.{language}@example.org",
        language=language,
        now=now - timedelta(days=3),
    )
    visit = make_event(
        title="Wizyta studyjna: Łódź – żywa kultura",
        starts_at=warsaw_day(30, 9, 30),
        ends_at=warsaw_day(30, 17),
        capacity=1,
        venue=OLD_VENUE,
        address="Przejście Żelazne 1",
    )
    anna = make_registration(visit, email=f"anna.{language}@example.org", language=language)
    ben = make_registration(visit, email=f"ben.{language}@example.org", language=language)
    with pytest.raises(AlreadyRegistered):  # the manage link goes to Anna again
        make_registration(visit, email=anna.email, language=language)
    db.session.commit()
    services.send_manage_link(visit.id, ben.email)  # Ben lost his link and asks again
    services.cancel(anna)
    events.update_event(
        visit,
        {
            "starts_at": warsaw_day(31, 10),
            "ends_at": warsaw_day(32, 15),
            "venue": NEW_VENUE,
            "address": "ul. Grabiszyńska 184",
        },
        account=organiser,
    )
    services.message_attendees(
        visit,
        subject=ORGANISER_SUBJECT,
        body=ORGANISER_BODY,
        recipients="confirmed",
        account=organiser,
    )
    services.replace_personal_feed(ben, language=language)
    own_data.send_data_link(ben.email, language=language)  # Ben asks on /privacy for his data

    queue_reminders(now=now)

    meeting = make_event(
        title="Spotkanie z ekspertami: mecenat miejski", type=EventType.EXPERT_MEETING
    )
    make_registration(meeting, email=f"dan.{language}@example.org", language=language)
    events.cancel_event(meeting, organiser)
    council = make_event(title="Seminarium: rada programowa", approval=True)
    make_registration(council, email=f"eva.{language}@example.org", language=language)
    fay = make_registration(council, email=f"fay.{language}@example.org", language=language)
    services.reject(fay, account=organiser)
    admin = make_account(f"admin-{language}@example.org", role="admin", password=None)
    accounts.invite(
        admin, f"new.{language}@example.org", role=Role.ORGANISER, city=city(), language=language
    )
    accounts.send_password_reset(organiser.email, language=language)
    past = make_event(title="Seminarium: mecenat miejski", starts_at=warsaw_day(-1, 10), hours=5)
    ewa = make_registration(
        past, email=f"ewa.{language}@example.org", language=language, now=now - timedelta(days=9)
    )
    services.check_in(ewa, account=organiser, now=past.starts_at + timedelta(minutes=20))
    db.session.commit()
    queue_certificate_emails(now=now)

    first = {}
    for message_id, kind in db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.kind)
        .where(OutboxMessage.language == language)
        .order_by(OutboxMessage.id)
    ):
        first.setdefault(kind, message_id)
    return first
