"""What each email says (docs/emails.md): a headline that states the status, one button
to what the person can do next, the ticket, what changed, and a footer that says who
holds the data and why the email came. Every kind, in Polish and in English, as a
real SMTP server received it (the ``emails`` fixture)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from bs4 import BeautifulSoup
from flask_babel import force_locale
from PIL import Image

from registration.database import utcnow
from registration.events import services as events
from registration.extensions import db
from registration.i18n import period
from registration.links import absolute_url
from registration.notifications import outbox
from registration.notifications.delivery import deliver_due
from registration.notifications.models import ACCOUNT_KINDS, MessageKind
from registration.registrations import services
from registration.registrations.models import Registration
from tests.factories import make_account, make_event, make_registration
from tests.notifications.every_kind import NEW_VENUE, OLD_VENUE, warsaw_day

K = MessageKind
HEADLINES = {
    K.CONFIRMED: ("Twoje miejsce jest potwierdzone", "Your seat is confirmed"),
    K.WAITLISTED: (
        "Jesteś na liście rezerwowej: 1. miejsce w kolejce",
        "You are on the waitlist: number 1 in line",
    ),
    K.PROMOTED: ("Dobra wiadomość: masz miejsce", "Good news: a seat is yours"),
    K.CANCELLED: ("Twoje zgłoszenie zostało anulowane", "Your registration is cancelled"),
    K.ALREADY_REGISTERED: ("Masz już zgłoszenie na to wydarzenie", "You are already registered"),
    K.MANAGE_LINK: ("Link do Twojego zgłoszenia", "The link to your registration"),
    K.EVENT_CHANGED: ("Zmienił się termin lub miejsce", "The time or place has changed"),
    K.EVENT_CANCELLED: ("Wydarzenie zostało odwołane", "The event is cancelled"),
    K.REMINDER: ("Do zobaczenia jutro", "See you tomorrow"),
    K.ORGANISER_MESSAGE: ("Wiadomość od organizatorów", "A message from the organisers"),
    K.FEED_REPLACED: (
        "Twój osobisty kalendarz ma nowy adres",
        "Your personal calendar has a new address",
    ),
    K.DATA_LINK: ("Link do Twoich danych", "The link to your data"),
    K.ACCOUNT_INVITATION: (
        "Witamy w panelu organizatora Koalicji Miast",
        "Welcome to the Koalicja Miast back office",
    ),
    K.PASSWORD_RESET: ("Ustaw nowe hasło", "Choose a new password"),
    K.PENDING: ("Otrzymaliśmy Twoje zgłoszenie", "Your request is in"),
    K.REJECTED: (
        "Organizatorzy nie mogli przyjąć Twojego zgłoszenia",
        "The organisers could not accept your registration",
    ),
    K.CERTIFICATE: ("Twoje zaświadczenie o udziale", "Your certificate of attendance"),
}
VIEW = ("Zobacz swoje zgłoszenie", "View your registration")
OTHER_EVENTS = ("Zobacz inne wydarzenia", "Browse other events")
#: The one button of each kind: where it leads ("manage", "event", "events", "feed"), its label.
BUTTONS = {
    K.CONFIRMED: ("manage", VIEW),
    K.WAITLISTED: ("manage", ("Zobacz swoje miejsce w kolejce", "View your place in line")),
    K.PROMOTED: ("manage", VIEW),
    K.CANCELLED: ("event", ("Zapisz się ponownie", "Register again")),
    K.ALREADY_REGISTERED: ("manage", VIEW),
    K.MANAGE_LINK: ("manage", VIEW),
    K.EVENT_CHANGED: ("manage", VIEW),
    K.EVENT_CANCELLED: ("events", OTHER_EVENTS),
    K.REMINDER: ("manage", ("Zobacz swój bilet", "View your ticket")),
    K.ORGANISER_MESSAGE: ("manage", VIEW),
    K.FEED_REPLACED: ("feed", ("Dodaj go do aplikacji kalendarza", "Add it to your calendar app")),
    K.DATA_LINK: ("data", ("Zobacz swoje dane", "See your data")),
    K.ACCOUNT_INVITATION: ("invitation", ("Ustaw swoje hasło", "Choose your password")),
    K.PASSWORD_RESET: ("reset", ("Ustaw nowe hasło", "Choose a new password")),
    K.PENDING: ("manage", VIEW),
    K.REJECTED: ("events", OTHER_EVENTS),
    K.CERTIFICATE: ("manage", VIEW),
}
#: The links made when the email is composed, by where their path begins.
COMPOSED_LINKS = {
    "data": "/privacy/data/",
    "invitation": "/organiser/invitation/",
    "reset": "/organiser/password/reset/",
}
NEW_FEED_ADDRESS = (
    "Nowy adres do dodania w aplikacji kalendarza",
    "The new address, to add to your calendar app",
)
#: The kinds that hand out a ticket: the person has a seat.
TICKET_KINDS = {K.CONFIRMED, K.PROMOTED, K.REMINDER}
#: The organisers greet and sign their own messages: a second greeting would repeat them.
OWN_GREETING = {K.ORGANISER_MESSAGE}
CONTROLLER = ("Strefa Kultury Wrocław", "ul. ks. Piotra Skargi 18a, 50-082 Wrocław")


def say(emails, texts: tuple[str, str]) -> str:
    """The Polish or the English of ``texts``, as the emails' language asks."""
    return texts[0] if emails.language == "pl" else texts[1]


def button_target(emails, kind: MessageKind) -> str:
    email = emails[kind]
    where = BUTTONS[kind][0]
    if where == "feed":
        return email.feed_url.replace("https://", "webcal://", 1)
    if where == "events":
        return absolute_url_in(emails, "events.index")
    if where in COMPOSED_LINKS:  # made when the email was composed: the one link there
        prefix = absolute_url_in(emails, "events.index").rstrip("/") + COMPOSED_LINKS[where]
        [url] = {line for line in email.text.split("\n") if line.startswith(prefix)}
        return url
    return {"manage": email.manage_url, "event": email.event_url}[where]


def calendar_method(message) -> str | None:
    """The METHOD of the message's calendar part (REQUEST, CANCEL), or None without one."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return parts[0].get_param("method") if parts else None


def absolute_url_in(emails, endpoint: str, **values) -> str:
    with emails.app.app_context():
        return absolute_url(endpoint, **values)


@pytest.mark.parametrize("kind", list(MessageKind))
def test_each_kind_states_its_status_in_one_headline(emails, kind):
    """The first thing a person reads says what happened to their registration."""
    page = emails[kind].page
    [headline] = page.find_all("h1")
    assert headline.get_text(strip=True) == say(emails, HEADLINES[kind])
    first_line = 0 if kind in OWN_GREETING else 2  # after the greeting
    assert say(emails, HEADLINES[kind]) in emails[kind].text.split("\n")[first_line]


@pytest.mark.parametrize("kind", list(MessageKind))
def test_each_kind_has_one_primary_button_to_what_comes_next(emails, kind):
    email = emails[kind]
    buttons = email.page.select("a.button")
    assert len(buttons) == 1
    assert buttons[0]["href"] == button_target(emails, kind)
    assert buttons[0].get_text(strip=True) == say(emails, BUTTONS[kind][1])
    # A table cell of the button's colour draws it where a link's own style is ignored.
    assert buttons[0].find_parent("td")["bgcolor"]
    label, target = say(emails, BUTTONS[kind][1]), button_target(emails, kind)
    if kind == K.FEED_REPLACED:  # a webcal:// link does nothing in most plain-text readers
        label, target = say(emails, NEW_FEED_ADDRESS), email.feed_url
    lines = email.text.split("\n")
    assert lines[lines.index(label + ":") + 1] == target


@pytest.mark.parametrize("kind", sorted(set(MessageKind) - OWN_GREETING))
def test_the_greeting_names_nobody_and_the_team_signs(emails, kind):
    """ "Dzień dobry," reads right whoever registered; a name in the nominative does not."""
    email = emails[kind]
    greeting = "Dzień dobry," if emails.language == "pl" else "Hello,"
    assert email.text.startswith(greeting + "\n\n")
    assert greeting in email.page.get_text()
    if kind not in ACCOUNT_KINDS:  # an account has no name to leave out
        assert email.full_name not in email.text
        assert email.full_name not in email.html
    team = say(
        emails,
        ("Pozdrawiamy serdecznie\nZespół Koalicji Miast", "Kind regards,\nThe Koalicja Miast team"),
    )
    assert team in email.text


#: About the person's calendar, or all their data: not about one registration.
NOT_ABOUT_ONE_REGISTRATION = {K.FEED_REPLACED, K.DATA_LINK, *ACCOUNT_KINDS}
PRIVACY_URL = "https://koalicja.example.org/privacy"


@pytest.mark.parametrize("kind", sorted(set(MessageKind) - {K.DATA_LINK, *ACCOUNT_KINDS}))
def test_the_footer_says_who_holds_the_data_and_why_the_email_came(emails, kind):
    email = emails[kind]
    why = say(
        emails,
        (
            "Otrzymujesz tę wiadomość, ponieważ zarejestrowano ten adres na wydarzenie",
            "You are receiving this email because this address was registered for the event",
        ),
    )
    for part in (" ".join(email.text.split()), " ".join(email.page.get_text().split())):
        assert why in part
        assert all(detail in part for detail in CONTROLLER)
        assert "iod@strefakultury.pl" in part
    assert email.page.find("a", href="mailto:iod@strefakultury.pl")


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_email_links_the_privacy_information(emails, kind):
    email = emails[kind]
    assert PRIVACY_URL in email.text.split("\n")
    assert email.page.find("a", href=PRIVACY_URL)


def test_the_data_link_says_why_it_came_and_where_each_controller_is_named(emails):
    """It is about an address, not one event: no event's controller speaks for all."""
    email = emails[K.DATA_LINK]
    why = say(
        emails,
        (
            "ponieważ ktoś poprosił na stronie o prywatności",
            "because someone asked, on the privacy page",
        ),
    )
    for part in (" ".join(email.text.split()), " ".join(email.page.get_text().split())):
        assert why in part
        assert not any(detail in part for detail in CONTROLLER)


@pytest.mark.parametrize("kind", sorted(set(MessageKind) - NOT_ABOUT_ONE_REGISTRATION))
def test_every_email_about_a_registration_links_its_event_and_its_manage_page(emails, kind):
    email = emails[kind]
    lines = email.text.split("\n")
    assert email.event_url in lines
    assert email.manage_url in lines
    assert email.page.find("a", href=email.event_url)
    assert email.page.find("a", href=email.manage_url)


@pytest.mark.parametrize("kind", sorted(set(MessageKind) - {K.DATA_LINK, *ACCOUNT_KINDS}))
def test_the_personal_calendar_is_offered_for_google_outlook_apple_and_by_address(emails, kind):
    email = emails[kind]
    links = [a["href"] for a in email.page.find_all("a")]
    assert email.feed_url in links
    assert email.feed_url.replace("https://", "webcal://", 1) in links
    assert any(
        link.startswith("https://calendar.google.com/calendar/r?cid=webcal") for link in links
    )
    assert any(link.startswith("https://outlook.live.com/calendar/0/addfromweb?") for link in links)
    assert any(
        link.startswith("https://outlook.office.com/calendar/0/addfromweb?") for link in links
    )
    assert email.feed_url in email.text.split("\n")


@pytest.mark.parametrize("kind", sorted(TICKET_KINDS))
def test_a_seat_comes_with_the_ticket_as_an_inline_qr_code_of_the_check_in_address(emails, kind):
    """The QR code opens the check-in page for an organiser; it never carries the manage
    link, which would let anyone with a photo of the ticket cancel it."""
    email = emails[kind]
    related = next(p for p in email.message.walk() if p.get_content_type() == "multipart/related")
    html, image = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"
    [img] = email.page.find_all("img")
    assert img["src"] == "cid:" + image["Content-ID"].strip("<>")
    assert img["alt"] == say(emails, ("Kod QR Twojego biletu", "QR code of your ticket"))
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert code.text == email.checkin_url
    assert email.manage_url.rsplit("/", 1)[1] not in code.text


@pytest.mark.parametrize("kind", sorted(set(MessageKind) - TICKET_KINDS))
def test_no_other_kind_carries_a_ticket(emails, kind):
    email = emails[kind]
    assert not [p for p in email.message.walk() if p.get_content_maintype() == "image"]
    assert not email.page.find_all("img")


@pytest.mark.parametrize("kind", [K.CONFIRMED, K.PROMOTED])
def test_a_new_seat_says_its_calendar_invitation_is_attached(emails, kind):
    email = emails[kind]
    attached = say(
        emails,
        (
            "W załączniku jest zaproszenie do kalendarza",
            "A calendar invitation is attached",
        ),
    )
    assert attached in email.text
    assert attached in email.html
    assert calendar_method(email.message) == "REQUEST"


def test_the_waitlist_email_gives_the_place_in_line_and_what_happens_next(emails):
    text = " ".join(emails[K.WAITLISTED].text.split())
    assert say(emails, ("Nie masz jeszcze miejsca.", "You do not have a seat yet.")) in text
    assert (
        say(
            emails,
            (
                "Jeśli przed rozpoczęciem wydarzenia zwolni się miejsce, dostanie je pierwsza "
                "osoba w kolejce. Gdy przyjdzie Twoja kolej, od razu do Ciebie napiszemy",
                "When a seat becomes free before the event starts, it goes to the first person "
                "in line. When your turn comes, we will email you straight away",
            ),
        )
        in text
    )
    assert calendar_method(emails[K.WAITLISTED].message) is None


def test_the_change_email_says_what_was_and_what_is(emails):
    """The visit moved from one day to two later days, and to another venue."""
    email = emails[K.EVENT_CHANGED]
    with emails.app.app_context(), force_locale(emails.language):
        when = (
            str(period(warsaw_day(30, 9, 30), warsaw_day(30, 17))),
            str(period(warsaw_day(31, 10), warsaw_day(32, 15))),
        )
    where = (
        f"{OLD_VENUE}, Przejście Żelazne 1, Wrocław",
        f"{NEW_VENUE}, ul. Grabiszyńska 184, Wrocław",
    )
    was, now = say(emails, ("Było:", "Was:")), say(emails, ("Teraz:", "Now:"))
    lines = email.text.split("\n")
    page = " ".join(email.page.get_text(" ").split())
    for old, new in (when, where):
        assert f"    {was} {old}" in lines
        assert f"    {now} {new}" in lines
        assert f"{was} {old}" in page
        assert f"{now} {new}" in page
    assert calendar_method(email.message) == "REQUEST"


def test_a_cancellation_offers_to_register_again_and_other_events(emails):
    email = emails[K.CANCELLED]
    events_url = absolute_url_in(emails, "events.index")
    assert email.page.find("a", href=events_url, string=say(emails, OTHER_EVENTS))
    assert events_url in email.text.split("\n")
    assert calendar_method(email.message) == "CANCEL"


def test_the_event_cancelled_email_says_so_plainly(emails):
    email = emails[K.EVENT_CANCELLED]
    plainly = say(
        emails,
        (
            "Przykro nam: organizatorzy odwołali to wydarzenie, więc się nie odbędzie.",
            "We are sorry: the organisers have cancelled this event, and it will not take place.",
        ),
    )
    assert plainly in " ".join(email.text.split())
    assert plainly in " ".join(email.page.get_text().split())
    assert calendar_method(email.message) == "CANCEL"


def test_the_organisers_words_come_whole(emails):
    email = emails[K.ORGANISER_MESSAGE]
    assert "Spotykamy się w sali 2 na pierwszym piętrze." in email.text
    assert email.page.find("p", string="Zmiana sali")


def test_the_organisers_words_are_not_wrapped_in_a_second_greeting(emails):
    email = emails[K.ORGANISER_MESSAGE]
    headline = say(emails, HEADLINES[K.ORGANISER_MESSAGE])
    assert email.text.startswith(f"{headline}: Zmiana sali\n\nSpotykamy się w sali 2")
    for greeting in ("Dzień dobry,", "Hello,", "Pozdrawiamy serdecznie", "Kind regards,"):
        assert greeting not in email.text
        assert greeting not in email.page.get_text()


def test_an_organisers_own_greeting_and_signature_appear_once(mail_app, smtp):
    body = "Dzień dobry,\n\nzmieniamy salę na 2.\n\nPozdrawiam\nAnna Nowak"
    with mail_app.app_context():
        event = make_event()
        make_registration(event, email="ola@example.org", language="pl")
        services.message_attendees(
            event,
            subject="Zmiana sali",
            body=body,
            recipients="confirmed",
            account=make_account(password=None),
        )
        db.session.commit()
        deliver_due()
    message = received(smtp, "ola@example.org")[-1]
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Wiadomość od organizatorów: Zmiana sali\n\n" + body + "\n")
    assert text.count("Dzień dobry,") == 1
    assert "Pozdrawiamy serdecznie" not in text
    page = BeautifulSoup(message.get_body(preferencelist=("html",)).get_content(), "html.parser")
    paragraphs = [p.get_text(" ", strip=True) for p in page.find_all("p")]
    assert paragraphs.count("Dzień dobry,") == 1
    assert "Pozdrawiam Anna Nowak" in paragraphs
    assert "Pozdrawiamy serdecznie" not in page.get_text()


# --- States that the one story above does not reach -----------------------------------


def received(smtp, address: str) -> list:
    return smtp.messages_to(address)


def html_text(message) -> str:
    html = message.get_body(preferencelist=("html",)).get_content()
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def test_a_cancellation_after_registration_closed_offers_other_events_only(mail_app, smtp):
    now = utcnow()
    with mail_app.app_context():
        event = make_event(registration_closes_at=now - timedelta(hours=1))
        registration = make_registration(
            event, email="ola@example.org", language="en", now=now - timedelta(days=1)
        )
        db.session.commit()
        services.cancel(registration)
        db.session.commit()
        deliver_due()
    cancellation = received(smtp, "ola@example.org")[-1]
    page = BeautifulSoup(
        cancellation.get_body(preferencelist=("html",)).get_content(), "html.parser"
    )
    [button] = page.select("a.button")
    assert button["href"] == absolute_url_for(mail_app, "events.index")
    assert button.get_text(strip=True) == "Browse other events"
    assert "Register again" not in page.get_text()


def absolute_url_for(app, endpoint: str, **values) -> str:
    with app.app_context():
        return absolute_url(endpoint, **values)


def test_someone_moved_from_a_seat_to_the_waitlist_is_told_so(mail_app, smtp):
    with mail_app.app_context():
        event = make_event(capacity=1)
        seated = make_registration(event, email="ola@example.org", language="en")
        make_registration(event, email="piotr@example.org", language="en")
        db.session.commit()
        services.move_to_waitlist(seated, account=make_account(password=None))
        db.session.commit()
        deliver_due()
    moved = received(smtp, "ola@example.org")[-1]
    text = html_text(moved)
    assert "The organisers have moved your registration from a seat to the waitlist" in text
    assert "removes the event from your calendar" in text
    assert "All seats at this event are taken" not in text


def test_an_event_published_again_says_it_will_take_place_after_all(mail_app, smtp):
    with mail_app.app_context():
        organiser = make_account(password=None)
        event = make_event()
        make_registration(event, email="ola@example.org", language="pl")
        events.cancel_event(event, organiser)
        events.publish(event, organiser)
        db.session.commit()
        deliver_due()
    subjects = [m["Subject"] for m in received(smtp, "ola@example.org")]
    assert subjects[-1].startswith("Zmiana w wydarzeniu")
    assert "Wydarzenie jednak się odbędzie" in html_text(received(smtp, "ola@example.org")[-1])


def test_a_change_queued_before_messages_kept_the_old_details_still_reads_well(mail_app, smtp):
    """Rows queued by the previous version carry only the names of the changed fields."""
    with mail_app.app_context():
        registration = make_registration(make_event(), email="ola@example.org", language="en")
        outbox.enqueue(K.EVENT_CHANGED, registration, changed=["venue"])
        db.session.commit()
        assert deliver_due().failed == 0
    change = received(smtp, "ola@example.org")[-1]
    assert "The organisers have changed the details of the event." in html_text(change)
    assert "What has changed" not in html_text(change)


def test_an_organisers_reason_for_cancelling_is_shown_escaped(mail_app, smtp):
    """The hook for a later version of the back office: a ``reason`` in the context."""
    with mail_app.app_context():
        registration = make_registration(make_event(), email="ola@example.org", language="en")
        outbox.enqueue(K.EVENT_CANCELLED, registration, reason="The hall <b>flooded</b>.")
        db.session.commit()
        deliver_due()
    cancelled = received(smtp, "ola@example.org")[-1]
    html = cancelled.get_body(preferencelist=("html",)).get_content()
    assert "The hall &lt;b&gt;flooded&lt;/b&gt;." in html
    assert "The hall <b>flooded</b>." in cancelled.get_body(preferencelist=("plain",)).get_content()


def test_the_reason_given_when_cancelling_is_in_both_parts_as_typed(mail_app, smtp):
    reason = "Sala została zalana.\n\nSpotkamy się w maju – <b>zapraszamy</b>!"
    with mail_app.app_context():
        event = make_event()
        make_registration(event, email="ola@example.org", language="pl")
        events.cancel_event(event, make_account(password=None), reason=reason)
        db.session.commit()
        deliver_due()
    cancelled = received(smtp, "ola@example.org")[-1]
    text = cancelled.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Wyjaśnienie organizatorów:\n" + reason + "\n" in text
    page = BeautifulSoup(cancelled.get_body(preferencelist=("html",)).get_content(), "html.parser")
    paragraphs = [p.get_text() for p in page.find_all("p")]
    assert "Sala została zalana." in paragraphs
    assert "Spotkamy się w maju – <b>zapraszamy</b>!" in paragraphs
    assert page.find("b") is None


def test_a_confirmation_sent_after_the_seat_was_given_up_carries_no_ticket(mail_app, smtp):
    """A message is composed when it is sent: a ticket for a cancelled seat would mislead."""
    with mail_app.app_context():
        registration = make_registration(make_event(), email="ola@example.org")
        db.session.commit()
        services.cancel(registration)
        db.session.commit()
        deliver_due()
        assert db.session.scalar(sa.select(Registration.status)) == "cancelled"
    confirmation = received(smtp, "ola@example.org")[0]
    assert not [p for p in confirmation.walk() if p.get_content_maintype() == "image"]


def test_a_hostile_event_title_stays_text(mail_app, smtp):
    with mail_app.app_context():
        make_registration(
            make_event(title='Seminarium <img src="https://evil.example/x.png">'),
            email="ola@example.org",
        )
        db.session.commit()
        deliver_due()
    [confirmation] = received(smtp, "ola@example.org")
    html = confirmation.get_body(preferencelist=("html",)).get_content()
    assert "&lt;img" in html
    assert '<img src="https://evil' not in html


def test_an_installation_names_its_own_data_controller(make_app, smtp, monkeypatch):
    """The controller comes from the environment (docs/configuration.md, data controller)."""
    monkeypatch.setenv("DATA_CONTROLLER_NAME", "Instytut Kultury Miejskiej")
    monkeypatch.setenv("DATA_CONTROLLER_ADDRESS", "ul. Długa 35, 80-827 Gdańsk")
    monkeypatch.setenv("DATA_CONTROLLER_EMAIL", "iod@ikm.example.pl")
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        make_registration(make_event(city_slug="gdansk"), email="ola@example.org", language="en")
        db.session.commit()
        deliver_due()
    [confirmation] = received(smtp, "ola@example.org")
    text = " ".join(confirmation.get_body(preferencelist=("plain",)).get_content().split())
    assert (
        "The controller of your personal data is Instytut Kultury Miejskiej, ul. Długa 35, "
        "80-827 Gdańsk (iod@ikm.example.pl)." in text
    )
    assert "Strefa Kultury" not in text + html_text(confirmation)


def test_the_certificate_comes_as_a_pdf_in_the_persons_language(emails):
    [attachment] = list(emails[K.CERTIFICATE].message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().startswith(say(emails, ("zaswiadczenie-", "certificate-")))
    assert attachment.get_content().startswith(b"%PDF-")
