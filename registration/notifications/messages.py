"""One builder per message: subject and body live together, in the person's language.

A message is composed when it is delivered, from its outbox row: the row says
what happened and to whom; the templates under ``templates/emails/`` say it.
Every link is absolute from ``BASE_URL``; nothing comes from a request.
"""

from __future__ import annotations

import email.charset
import io
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from urllib.parse import urlsplit

import segno
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message

from registration.data_controller import data_controller
from registration.database import utcnow
from registration.events.models import Event
from registration.extensions import db
from registration.i18n import event_period, period
from registration.ical.feeds import subscription
from registration.links import absolute_url
from registration.notifications.models import ACCOUNT_KINDS, MessageKind, OutboxMessage
from registration.privacy.own_data import DATA_LINK_MAX_AGE, data_link_key
from registration.registrations.models import Participant, Registration, RegistrationStatus
from registration.registrations.services import feed_replacement_key

# Header values come from people (names, event titles): a line break would start
# a new header, so every run of control characters becomes one space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


@dataclass(frozen=True)
class Invitation:
    """A calendar invitation to attach: iCalendar bytes and their METHOD."""

    method: str
    ics: bytes


def _subject(kind: MessageKind, title: str, context: dict) -> str:
    if kind == MessageKind.ORGANISER_MESSAGE:
        return f"{context['organiser_subject']} · {title}"  # the organiser's words, then the event
    subjects = {
        MessageKind.CONFIRMED: _("Registration confirmed: %(title)s", title=title),
        MessageKind.WAITLISTED: _("You are on the waitlist: %(title)s", title=title),
        MessageKind.PROMOTED: _("A seat is yours: %(title)s", title=title),
        MessageKind.CANCELLED: _("Registration cancelled: %(title)s", title=title),
        MessageKind.ALREADY_REGISTERED: _("You are already registered: %(title)s", title=title),
        MessageKind.EVENT_CHANGED: _("Event changed: %(title)s", title=title),
        MessageKind.EVENT_CANCELLED: _("Event cancelled: %(title)s", title=title),
        MessageKind.REMINDER: _("Tomorrow: %(title)s", title=title),
        MessageKind.FEED_REPLACED: _("A new address for your personal calendar"),
        MessageKind.MANAGE_LINK: _("The link to your registration: %(title)s", title=title),
        MessageKind.DATA_LINK: _("The link to your data"),
        MessageKind.ACCOUNT_INVITATION: _("Your account in the Koalicja Miast back office"),
        MessageKind.PASSWORD_RESET: _("Choose a new password for the Koalicja Miast back office"),
        MessageKind.PENDING: _("Your request is in: %(title)s", title=title),
        MessageKind.REJECTED: _("Registration not accepted: %(title)s", title=title),
        MessageKind.CERTIFICATE: _("Your certificate of attendance: %(title)s", title=title),
    }
    return subjects[kind]


#: Kinds whose email carries the ticket's QR code, while the registration holds a seat.
TICKET_KINDS = (MessageKind.CONFIRMED, MessageKind.PROMOTED, MessageKind.REMINDER)
#: Plain-text lines are wrapped here, as mail programs expect (RFC 5322 asks for 78 at most).
TEXT_WIDTH = 72
#: The longest line SMTP carries (RFC 5321, 4.5.3.1.6); servers refuse a message with a longer one.
MAX_LINE_OCTETS = 998
_QUOTED_PRINTABLE = email.charset.Charset("utf-8")
_QUOTED_PRINTABLE.body_encoding = email.charset.QP


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML part shows as ``cid:<content_id>``, sent inside the message."""

    content_id: str
    png: bytes
    filename: str


@dataclass(frozen=True)
class Change:
    """One detail of an event as it was and as it is, for the change email."""

    label: str
    before: str
    after: str


class OutboxMail(Message):
    """A Flask-Mail message with four repairs.

    The calendar part says its METHOD, as Outlook requires. The Subject is
    RFC 2047-encoded with room for its header name: Flask-Mail encodes without
    it, so the SMTP policy refolds the line and, in doing so, drops the space
    between two encoded words ("Łódź – żywa" would arrive as "Łódź –żywa").
    And inline images (the ticket's QR code) travel with the HTML part in a
    ``multipart/related``, where mail programs look for a ``cid:`` reference;
    Flask-Mail would add them as attachments beside the text instead. Last, a
    part with a line too long for SMTP (a long link, an organiser's paragraph)
    goes quoted-printable instead of as 8-bit text, which servers would refuse.
    """

    calendar_method: str | None = None
    inline_images: tuple[InlineImage, ...] = ()

    def _message(self):
        mime = super()._message()
        # The modern API encodes a display name safely (Flask-Mail's has the same folding flaw).
        del mime["To"]
        mime["To"] = [
            Address(display_name=name, addr_spec=address) for name, address in self.recipients
        ]
        if self.subject and not self.subject.isascii():
            # Stored as already-folded text (compat32), so the SMTP policy leaves it alone.
            smtp_policy, mime.policy = mime.policy, compat32
            mime.replace_header(
                "Subject", Header(self.subject, "utf-8", header_name="Subject").encode()
            )
            mime.policy = smtp_policy
        for part in mime.walk():
            if part.get_content_type() == "text/calendar" and self.calendar_method:
                part.set_param("method", self.calendar_method)
        if self.inline_images:
            self._relate_images(mime)
        return mime

    def _mimetext(self, text: str | None, subtype: str = "plain"):
        if not text or max(len(line.encode()) for line in text.splitlines()) <= MAX_LINE_OCTETS:
            return super()._mimetext(text, subtype)
        part = MIMENonMultipart("text", subtype)
        part.set_payload(text, _QUOTED_PRINTABLE)
        return part

    def _relate_images(self, mime) -> None:
        """Put the HTML part and its images together in a ``multipart/related``."""
        for container in mime.walk():
            if container.get_content_type() != "multipart/alternative":
                continue
            parts = container.get_payload()
            for index, part in enumerate(parts):
                if part.get_content_type() != "text/html":
                    continue
                related = MIMEMultipart("related")
                related.attach(part)
                for image in self.inline_images:
                    picture = MIMEImage(image.png, "png")
                    picture.add_header("Content-ID", f"<{image.content_id}>")
                    picture.add_header("Content-Disposition", "inline", filename=image.filename)
                    related.attach(picture)
                parts[index] = related
                return


def message_id(message: OutboxMessage) -> str:
    """Fixed per outbox row, so a resend after a crash can be recognised as the same mail."""
    return f"<{message.message_key}@{_host()}>"


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname


def compose(message: OutboxMessage, invitation: Invitation | None = None) -> OutboxMail:
    """The email for one outbox row, in the language recorded on it.

    A row without a registration is an organiser's test of a message (``test`` and
    ``event_id`` in its context): it is composed for a made-up person of the event.
    """
    if message.kind in ACCOUNT_KINDS:
        return _compose_for_account(message)
    registration = message.registration or sample_registration(
        db.session.get(Event, message.context["event_id"]), message.language
    )
    event = registration.event
    with force_locale(message.language):
        ticket = _ticket(message, registration)
        certificate = _certificate(message, registration)
        context = {
            **_context(message, registration, event),
            "ticket_cid": ticket.content_id if ticket else None,
            # What the calendar part does, so that the text can say so.
            "invitation_method": invitation.method if invitation else None,
        }
        subject = one_line(_subject(message.kind, event.title, message.context))
        if message.context.get("test"):
            subject = f"{TEST_MARK} {subject}"
        text = plain_text(render_template(f"emails/{message.kind.value}.txt", **context))
        html = render_template(f"emails/{message.kind.value}.html", subject=subject, **context)
    mail = OutboxMail(
        subject=subject,
        recipients=[
            (
                "" if message.registration is None else one_line(registration.full_name),
                message.recipient,
            )
        ],
        body=text,
        html=html,
        reply_to=event.contact_email,
        date=message.created_at.timestamp(),
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    mail.msgId = message_id(message)
    if certificate is not None:
        mail.attach(certificate[0], "application/pdf", certificate[1])
    if ticket is not None:
        mail.inline_images = (ticket,)
    if invitation is not None:
        mail.calendar_method = invitation.method
        mail.alts["calendar"] = invitation.ics.decode("utf-8")
    return mail


def _compose_for_account(message: OutboxMessage) -> OutboxMail:
    """An email to a back-office account: the link to choose a password, made now, so
    that its time starts when the email goes (the outbox keeps no secret)."""
    # Imported here: accounts queue these messages through the outbox, which this serves.
    from registration.accounts import links
    from registration.accounts.models import Account

    account = db.session.get(Account, message.context["account_id"])
    purpose = links.Purpose(message.context["purpose"])
    endpoint = (
        "backoffice.accept_invitation"
        if purpose == links.Purpose.INVITATION
        else "backoffice.reset_password"
    )
    with force_locale(message.language):
        context = {
            "message": message,
            "account": account,
            "link_url": absolute_url(endpoint, key=links.link_key(account, purpose)),
            "link_hours": int(purpose.max_age.total_seconds() // 3600),
            "link_days": purpose.max_age.days,
            "forgot_url": absolute_url("backoffice.forgot_password"),
            "privacy_url": absolute_url("privacy.index"),
        }
        subject = one_line(_subject(message.kind, "", message.context))
        text = plain_text(render_template(f"emails/{message.kind.value}.txt", **context))
        html = render_template(f"emails/{message.kind.value}.html", subject=subject, **context)
    mail = OutboxMail(
        subject=subject,
        recipients=[("", message.recipient)],
        body=text,
        html=html,
        date=message.created_at.timestamp(),
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    mail.msgId = message_id(message)
    return mail


#: Before the subject of an organiser's test of a message, which went to them alone.
TEST_MARK = "[TEST]"

#: Where a made-up person's secrets stand: links with it lead to no registration.
SAMPLE_CODE = "example"


def sample_registration(event: Event, language: str) -> Registration:
    """A made-up confirmed person of ``event``, for previews and tests of a message.

    Never added to the session, so never saved; its links lead nowhere, so that a
    preview or a test shows nobody's manage link or personal calendar.
    """
    return Registration(
        id=0,
        event=event,
        event_id=event.id,
        participant=Participant(feed_token=SAMPLE_CODE),
        full_name=_("Sample Participant"),
        email="",
        status=RegistrationStatus.CONFIRMED,
        token=SAMPLE_CODE,
        check_in_code=SAMPLE_CODE,
        language=language,
    )


def _context(message: OutboxMessage, registration: Registration, event: Event) -> dict:
    """What the templates of every kind may use; the row's own context comes last."""
    participant = registration.participant
    # The person's own feed: its address travels only by email to them (invariant 6).
    feed_url = absolute_url("ical.personal_feed", token=participant.feed_token)
    return {
        "message": message,
        "registration": registration,
        "event": event,
        "participant": participant,
        "manage_url": absolute_url("registrations.manage", token=registration.token),
        "event_url": absolute_url("events.detail", event_id=event.id),
        "events_url": absolute_url("events.index"),
        "feed_url": feed_url,
        "feed": subscription(feed_url, _("Koalicja Miast: my registrations")),
        "replace_feed_url": absolute_url(
            "ical.replace_personal_feed", key=feed_replacement_key(registration)
        ),
        "registration_open": event.registration_open(utcnow()),
        "controller": data_controller(event),
        "privacy_url": absolute_url("privacy.index"),
        "changes": _changes(message, registration, event),
        "data_url": _data_url(message, participant),
        "data_link_minutes": int(DATA_LINK_MAX_AGE.total_seconds() // 60),
        # Erased, or past retention: the templates offer no link to it any more.
        "anonymised": registration.anonymised_at is not None,
        # For CANCELLED: the person withdrew a request that held neither seat nor place.
        "withdrew_request": False,
        **message.context,
    }


def _data_url(message: OutboxMessage, participant: Participant) -> str | None:
    """For DATA_LINK: the link to the person's data, made now, so that its hour starts
    when the email goes, not when it was asked for (the outbox keeps no secret)."""
    if message.kind != MessageKind.DATA_LINK:
        return None
    return absolute_url("own_data.show", key=data_link_key(participant))


def _ticket(message: OutboxMessage, registration: Registration) -> InlineImage | None:
    """The ticket's QR code as a PNG, for the kinds that hand out a ticket, while the seat
    holds (a message composed after a cancellation shows none)."""
    if message.kind not in TICKET_KINDS or registration.status != RegistrationStatus.CONFIRMED:
        return None
    # Imported here: the registration pages import the mail worker, which imports this module.
    from registration.registrations.views import checkin_url

    png = io.BytesIO()
    # The check-in address, never the manage link: a photo of a ticket must not let
    # anyone cancel it. Opaque black on white, so dark mode cannot make it unreadable.
    segno.make(checkin_url(registration), error="m").save(
        png, kind="png", scale=8, border=4, dark="#000000", light="#ffffff"
    )
    return InlineImage(
        content_id=f"ticket.{message.message_key}@{_host()}",
        png=png.getvalue(),
        filename=_("ticket") + ".png",
    )


def _certificate(message: OutboxMessage, registration: Registration) -> tuple[str, bytes] | None:
    """For CERTIFICATE: the PDF to attach, as (file name, bytes), made now from what is
    recorded; none once the person's data are gone (anonymised before it went)."""
    if message.kind != MessageKind.CERTIFICATE or message.registration is None:
        return None
    # Imported here: certificates build on registrations, which import the mail worker.
    from registration.certificates import document, services

    # Issued when the email was queued; composing only reads, and its transaction is
    # rolled back before the message goes (``delivery``).
    certificate = services.certificate_of(registration)
    if certificate is None or not services.may_download(registration):
        return None
    holder = services.Holder(registration, certificate, services.days_attended(registration))
    return document.filename(holder), document.one(holder)


def _changes(message: OutboxMessage, registration: Registration, event: Event) -> list[Change]:
    """For EVENT_CHANGED: each of time and place that moved, as it was and as it is now.

    The old values come with the message (``outbox.details_before``); a message queued
    before messages carried them simply lists nothing.
    """
    before = message.context.get("before") or {}
    if message.kind != MessageKind.EVENT_CHANGED or not before:
        return []
    changes = []
    if "starts_at" in before or "ends_at" in before:
        was = period(
            _moment(before.get("starts_at")) or event.starts_at,
            _moment(before.get("ends_at")) or event.ends_at,
        )
        changes.append(Change(_("When"), str(was), str(event_period(event))))
    if before.keys() & {"venue", "address", "city"}:
        was = _place(
            before.get("venue", event.venue),
            before.get("address", event.address),
            before.get("city", event.city.name),
        )
        now = _place(event.venue, event.address, event.city.name)
        changes.append(Change(_("Where"), was, now))
    if "online_url" in before and registration.is_active:  # the link is for registered people
        changes.append(
            Change(_("Online"), before["online_url"] or _("none"), event.online_url or _("none"))
        )
    return [change for change in changes if change.before != change.after]


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _place(venue: str, address: str, city: str) -> str:
    return ", ".join(part for part in (venue, address, city) if part)


def plain_text(text: str) -> str:
    """The text part as mail programs show it best: its prose in lines of at most
    ``TEXT_WIDTH`` characters, a long word (a link) whole on its line, and no runs of
    blank lines left by the templates. Indented lines (the facts of the event, what
    changed) stay whole, so that a date is never split."""
    lines = []
    for line in text.strip("\n").split("\n"):
        if line == "-- ":  # the signature's separator keeps its space
            lines.append(line)
        elif len(line) <= TEXT_WIDTH or line.startswith(" "):
            lines.append(line.rstrip())
        else:
            lines.extend(
                textwrap.wrap(line, TEXT_WIDTH, break_long_words=False, break_on_hyphens=False)
            )
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
