"""One builder per message: subject and body live together, in the person's language.

A message is composed when it is delivered, from its outbox row: the row says
what happened and to whom; the templates under ``templates/emails/`` say it.
Every link is absolute from ``BASE_URL``; nothing comes from a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.policy import compat32
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message

from registration.links import absolute_url
from registration.notifications.models import MessageKind, OutboxMessage
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
    }
    return subjects[kind]


class OutboxMail(Message):
    """A Flask-Mail message with two repairs.

    The calendar part says its METHOD, as Outlook requires. And the Subject is
    RFC 2047-encoded with room for its header name: Flask-Mail encodes without
    it, so the SMTP policy refolds the line and, in doing so, drops the space
    between two encoded words ("Łódź – żywa" would arrive as "Łódź –żywa").
    """

    calendar_method: str | None = None

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
        return mime


def message_id(message: OutboxMessage) -> str:
    """Fixed per outbox row, so a resend after a crash can be recognised as the same mail."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname
    return f"<{message.message_key}@{host}>"


def compose(message: OutboxMessage, invitation: Invitation | None = None) -> OutboxMail:
    """The email for one outbox row, in the language recorded on it."""
    registration = message.registration
    event = registration.event
    context = {
        "message": message,
        "registration": registration,
        "event": event,
        "participant": registration.participant,
        "manage_url": absolute_url("registrations.manage", token=registration.token),
        "event_url": absolute_url("events.detail", event_id=event.id),
        # The person's own feed: its address travels only by email to them (invariant 6).
        "feed_url": absolute_url("ical.personal_feed", token=registration.participant.feed_token),
        "replace_feed_url": absolute_url(
            "ical.replace_personal_feed", key=feed_replacement_key(registration)
        ),
        **message.context,
    }
    with force_locale(message.language):
        subject = one_line(_subject(message.kind, event.title, message.context))
        text = render_template(f"emails/{message.kind.value}.txt", **context)
        html = render_template(f"emails/{message.kind.value}.html", subject=subject, **context)
    mail = OutboxMail(
        subject=subject,
        recipients=[(one_line(registration.full_name), message.recipient)],
        body=text,
        html=html,
        reply_to=event.contact_email,
        date=message.created_at.timestamp(),
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    mail.msgId = message_id(message)
    if invitation is not None:
        mail.calendar_method = invitation.method
        mail.alts["calendar"] = invitation.ics.decode("utf-8")
    return mail
