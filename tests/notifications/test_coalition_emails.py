"""The emails of an event whose organisers decide on each registration (SPEC section 10):
the request received, the decision either way, and a request withdrawn. Each arrives at a
real SMTP server (the ``smtp`` fixture), in Polish and in English."""

from __future__ import annotations

import email.message
import re
from email.header import decode_header, make_header

import pytest
from bs4 import BeautifulSoup

from registration.events.models import Event
from registration.extensions import db
from registration.links import absolute_url
from registration.notifications.delivery import deliver_due
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import make_account, make_event, make_registration

TITLE = "Seminarium: rada programowa"
CONTACT = "rada@example.org"
APPROVED = {
    "pl": "Organizatorzy zatwierdzili Twoje zgłoszenie.",
    "en": "The organisers have approved your registration.",
}
both_languages = pytest.mark.parametrize("language", ["pl", "en"])


def approval_event(**fields) -> Event:
    return make_event(
        title=TITLE,
        approval=True,
        contact_email=CONTACT,
        online_url="https://meet.example.org/rada",
        **fields,
    )


def deliver() -> None:
    """Commit what the test did, then send it, as the mail worker does."""
    db.session.commit()
    report = deliver_due()
    assert report.sent == report.handled, report.errors


def last_to(smtp, address: str) -> email.message.EmailMessage:
    return smtp.messages_to(address)[-1]


def subject(message: email.message.EmailMessage) -> str:
    return str(make_header(decode_header(message["Subject"])))


def text(message: email.message.EmailMessage) -> str:
    """The plain-text part with its lines joined, so a sentence is found whole."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    return " ".join(body.split())


def page(message: email.message.EmailMessage) -> BeautifulSoup:
    return BeautifulSoup(message.get_body(preferencelist=("html",)).get_content(), "html.parser")


def words(message: email.message.EmailMessage) -> str:
    """The HTML part's text as read: a link's text joined to the punctuation after it."""
    return re.sub(r" ([.,;:])", r"\1", " ".join(page(message).get_text(" ").split()))


def button(message: email.message.EmailMessage):
    [primary] = page(message).select("a.button")
    return primary


def attachments(message: email.message.EmailMessage) -> set[str]:
    """What travels beside the text: a ticket (image/png), an invitation (text/calendar)."""
    return {
        part.get_content_type()
        for part in message.walk()
        if part.get_content_type() in ("image/png", "text/calendar")
    }


def url_in(app, endpoint: str, **values) -> str:
    with app.app_context():
        return absolute_url(endpoint, **values)


class TestTheRequestReceived:
    @both_languages
    def test_says_the_organisers_decide_and_no_seat_is_held_yet(self, mail_app, smtp, language):
        with mail_app.app_context():
            registration = make_registration(
                approval_event(), email="ola@example.org", language=language
            )
            token = registration.token
            deliver()
        message = last_to(smtp, "ola@example.org")
        said = {
            "pl": (
                f"Otrzymaliśmy Twoje zgłoszenie: {TITLE}",
                "Otrzymaliśmy Twoje zgłoszenie",
                "organizatorzy decydują indywidualnie, więc Twoje zgłoszenie czeka teraz "
                "na ich decyzję. Do tego czasu nie masz zarezerwowanego miejsca.",
                "Napiszemy do Ciebie, gdy tylko podejmą decyzję.",
                "możesz wycofać swoje zgłoszenie na stronie zgłoszenia.",
            ),
            "en": (
                f"Your request is in: {TITLE}",
                "Your request is in",
                "The organisers decide on each registration for this event, so your request "
                "now waits for their decision. Until then you do not hold a seat.",
                "We will email you as soon as they decide.",
                "you can withdraw your request on your registration page.",
            ),
        }[language]
        assert subject(message) == said[0]
        assert page(message).find("h1").get_text(strip=True) == said[1]
        for sentence in said[2:]:
            assert sentence in text(message)
            assert sentence in words(message)
        assert button(message)["href"] == url_in(mail_app, "registrations.manage", token=token)

    def test_brings_no_ticket_no_invitation_and_no_online_link(self, mail_app, smtp):
        with mail_app.app_context():
            make_registration(approval_event(), email="ola@example.org", language="en")
            deliver()
        message = last_to(smtp, "ola@example.org")
        assert attachments(message) == set()
        assert "meet.example.org" not in message.as_string()

    def test_registering_again_while_waiting_says_the_request_waits(self, mail_app, smtp):
        with mail_app.app_context():
            event = approval_event()
            make_registration(event, email="ola@example.org", language="en")
            with pytest.raises(services.AlreadyRegistered):
                make_registration(event, email="ola@example.org", language="en")
            deliver()
        again = last_to(smtp, "ola@example.org")
        assert subject(again).startswith("You are already registered")
        assert "Your request waits for the organisers' decision." in text(again)


class TestTheDecision:
    @both_languages
    def test_a_rejection_is_polite_names_the_contact_and_holds_nothing(
        self, mail_app, smtp, language
    ):
        with mail_app.app_context():
            registration = make_registration(
                approval_event(), email="ola@example.org", language=language
            )
            services.reject(registration, account=make_account(password=None))
            deliver()
        message = last_to(smtp, "ola@example.org")
        said = {
            "pl": (
                f"Zgłoszenie nieprzyjęte: {TITLE}",
                "Organizatorzy nie mogli przyjąć Twojego zgłoszenia",
                "Organizatorzy rozpatrzyli Twoje zgłoszenie i – z przykrością to piszemy – "
                "nie mogli go przyjąć.",
                "Nie masz więc miejsca na tym wydarzeniu ani na liście rezerwowej; nic nie jest "
                "dla Ciebie zarezerwowane",
                f"Jeśli masz pytania o tę decyzję, napisz do organizatorów na {CONTACT}.",
                "Zobacz inne wydarzenia",
            ),
            "en": (
                f"Registration not accepted: {TITLE}",
                "The organisers could not accept your registration",
                "The organisers have considered your registration and, we are sorry to say, "
                "could not accept it.",
                "You therefore have no seat at this event and no place on its waitlist; "
                "nothing is held for you",
                f"If you have questions about the decision, write to the organisers at {CONTACT}.",
                "Browse other events",
            ),
        }[language]
        assert subject(message) == said[0]
        assert page(message).find("h1").get_text(strip=True) == said[1]
        for sentence in said[2:5]:
            assert sentence in text(message)
            assert sentence in words(message)
        assert page(message).find("a", href=f"mailto:{CONTACT}") is not None
        assert button(message).get_text(strip=True) == said[5]
        assert button(message)["href"] == url_in(mail_app, "events.index")
        assert message["Reply-To"] == CONTACT
        assert attachments(message) == set()
        assert "meet.example.org" not in message.as_string()

    @both_languages
    def test_an_approved_seat_says_so_and_brings_the_ticket_and_invitation(
        self, mail_app, smtp, language
    ):
        with mail_app.app_context():
            registration = make_registration(
                approval_event(), email="ola@example.org", language=language
            )
            services.approve(registration, account=make_account(password=None))
            deliver()
        message = last_to(smtp, "ola@example.org")
        assert subject(message).startswith(
            "Potwierdzenie rejestracji" if language == "pl" else "Registration confirmed"
        )
        assert APPROVED[language] in text(message)
        assert APPROVED[language] in words(message)
        assert attachments(message) == {"image/png", "text/calendar"}

    @both_languages
    def test_an_approval_onto_the_waitlist_says_so_with_the_place_in_line(
        self, mail_app, smtp, language
    ):
        organiser_email = f"organiser-{language}@example.org"
        with mail_app.app_context():
            event = approval_event(capacity=1)
            first = make_registration(event, email="first@example.org", language=language)
            second = make_registration(event, email="ola@example.org", language=language)
            organiser = make_account(organiser_email, password=None)
            services.approve(first, account=organiser)
            services.approve(second, account=organiser)
            deliver()
        message = last_to(smtp, "ola@example.org")
        assert APPROVED[language] in text(message)
        place = "1. miejsce w kolejce" if language == "pl" else "number 1 in line"
        assert place in page(message).find("h1").get_text()
        assert attachments(message) == set()

    def test_a_seat_taken_without_approval_says_nothing_of_it(self, mail_app, smtp):
        with mail_app.app_context():
            make_registration(make_event(), email="ola@example.org", language="en")
            deliver()
        message = last_to(smtp, "ola@example.org")
        assert "Your seat is confirmed" in text(message)
        assert APPROVED["en"] not in text(message)
        assert APPROVED["en"] not in words(message)


class TestARequestWithdrawn:
    @both_languages
    def test_says_the_request_was_withdrawn_not_a_seat_or_a_place_given_up(
        self, mail_app, smtp, language
    ):
        with mail_app.app_context():
            registration = make_registration(
                approval_event(), email="ola@example.org", language=language
            )
            db.session.commit()
            services.cancel(db.session.get(Registration, registration.id))
            deliver()
        message = last_to(smtp, "ola@example.org")
        withdrawn = {
            "pl": "Twoje zgłoszenie na to wydarzenie zostało wycofane, zanim organizatorzy "
            "je rozpatrzyli.",
            "en": "Your request for this event has been withdrawn before the organisers "
            "decided on it.",
        }[language]
        assert withdrawn in text(message)
        assert withdrawn in words(message)
        for seat_or_place in ("waitlist", "seat can now", "liście rezerwowej", "Twoje miejsce"):
            assert seat_or_place not in text(message)
        assert attachments(message) == set()
