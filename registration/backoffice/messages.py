"""Back office: messages to attendees, step by step, and single emails sent again.

Writing a message (``attendees.message_attendees``) leads to its preview: the email
as the recipients will get it and how many they are. From there the organiser sends
a test to themselves or confirms; the confirmation carries the same fields, checked
again, and the count that was shown, so that nobody is written to who was not
counted. No JavaScript is needed: the preview's buttons post its hidden fields.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange
from wtforms.widgets import HiddenInput

from registration.backoffice import bp
from registration.backoffice.access import (
    current_account,
    managed_event_or_abort,
    managed_registration_or_abort,
)
from registration.database import utcnow
from registration.events.models import Event
from registration.extensions import db, talisman
from registration.fields import REQUIRED
from registration.forms import Form, at_most, one_line, printable, strip
from registration.notifications import organiser_mail
from registration.notifications.messages import compose
from registration.notifications.models import MessageKind, OutboxMessage
from registration.registrations import queries, services

_BATCH_SHAPE = re.compile(r"[0-9a-f]{16}")


class MessageForm(Form):
    recipients = RadioField(
        _l("Send to"),
        choices=[
            SelectChoice("confirmed", _l("People with a confirmed seat")),
            SelectChoice("waitlisted", _l("People on the waitlist")),
            SelectChoice("active", _l("Both")),
            SelectChoice("checked_in", _l("Confirmed people who have checked in")),
            SelectChoice("not_checked_in", _l("Confirmed people who have not checked in")),
        ],
        default="confirmed",
        validators=[InputRequired(REQUIRED)],
    )
    subject = StringField(
        _l("Subject"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), at_most(150), one_line],
    )
    body = TextAreaField(
        _l("Message"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), at_most(5000), printable],
    )


@bp.route("/events/<int:event_id>/message", methods=["GET", "POST"])
@login_required
def message_attendees(event_id: int):
    """Write to the attendees; the message goes on to its preview (``messages``), and comes
    back here, posted, to be changed."""
    event = managed_event_or_abort(event_id)
    form = MessageForm()
    return _write_again(event, form, 422 if form.is_submitted() and not form.validate() else 200)


@bp.get("/events/<int:event_id>/message/<batch>")
@login_required
def message_progress(event_id: int, batch: str):
    """How far one send-out has got: queued, sent and failed messages."""
    event = managed_event_or_abort(event_id)
    if not _BATCH_SHAPE.fullmatch(batch):
        abort(404)
    send_out = queries.send_out(event.id, batch) or abort(404)
    return render_template(
        "backoffice/attendees/message_progress.html",
        event=event,
        send_out=send_out,
        failed=queries.failed_deliveries(event.id, batch),
    )


_MESSAGE_ID = re.compile(r"[0-9]{1,15}")
#: More people than any event holds: a count beyond it is no count we showed.
_MOST_RECIPIENTS = 1_000_000


class ConfirmForm(MessageForm):
    """The message as previewed, and how many people the preview said it goes to."""

    expected = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, _MOST_RECIPIENTS)]
    )


class ResendForm(Form):
    """Which email the organiser saw as the person's last one."""

    message = HiddenField(validators=[InputRequired()])
    q = HiddenField()


class _EmailStyles:
    """The ``style-src`` of a page that shows an email: our stylesheet, and the email's
    own inline styles, each allowed by its hash and no other (see ``_Policy``)."""

    def __iter__(self) -> Iterator[str]:
        yield "'self'"
        hashes = g.get("email_style_hashes")
        if hashes:
            yield "'unsafe-hashes'"  # style attributes, matched by hash only
            yield from hashes


class _Policy(Mapping):
    """The site's CSP, read when a response is made, with ``_EmailStyles`` for styles.

    The preview shows the email in a sandboxed ``srcdoc`` frame, which inherits the
    page's policy: without this the email would lose every style it is sent with.
    """

    def _sections(self) -> dict:
        return {**talisman.content_security_policy, "style-src": _EmailStyles()}

    def __getitem__(self, key: str):
        return self._sections()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections())

    def __len__(self) -> int:
        return len(self._sections())


class _StyleCollector(HTMLParser):
    """Every inline style of an HTML document: ``style`` attributes and ``<style>`` text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.styles: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.styles.update(value for name, value in attrs if name == "style" and value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.add(data)


def _allow_styles_of(html: str) -> None:
    """Let this response's CSP allow exactly the inline styles of ``html``."""
    collector = _StyleCollector()
    collector.feed(html)
    hashes = g.setdefault("email_style_hashes", set())
    for style in collector.styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        hashes.add(f"'sha256-{digest}'")


#: The views that may show a preview.
_SHOWS_EMAIL = talisman(content_security_policy=_Policy())


@bp.post("/events/<int:event_id>/message/preview")
@login_required
@_SHOWS_EMAIL
def message_preview(event_id: int):
    """The message as its recipients will get it, with their number, before anything is sent."""
    event = managed_event_or_abort(event_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _write_again(event, form, 422)
    return _preview(event, form)


@bp.post("/events/<int:event_id>/message/send")
@login_required
@_SHOWS_EMAIL
def message_send(event_id: int):
    """Queue the previewed message for everyone counted: one email each, through the outbox."""
    event = managed_event_or_abort(event_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _write_again(event, form, 422)
    try:
        batch = services.message_attendees(
            event,
            subject=form.subject.data,
            body=form.body.data,
            recipients=form.recipients.data,
            account=current_account(),
            expected=form.expected.data,
        )
    except services.RecipientsChanged as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _preview(event, form, status=error.status)
    except services.RegistrationError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _write_again(event, form, error.status)
    db.session.commit()
    flash(_("The message is queued for sending."), "success")
    return redirect(url_for(".message_progress", event_id=event_id, batch=batch), code=303)


@bp.post("/events/<int:event_id>/message/test")
@login_required
@_SHOWS_EMAIL
def message_test(event_id: int):
    """Send the previewed message to the signed-in organiser alone, marked as a test."""
    event = managed_event_or_abort(event_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _write_again(event, form, 422)
    account = current_account()
    organiser_mail.send_test(
        event,
        subject=form.subject.data,
        body=form.body.data,
        language=_language(),
        account=account,
    )
    db.session.commit()
    flash(
        _("A test is on its way to %(email)s. Nobody else gets it.", email=account.email),
        "success",
    )
    return _preview(event, form)


@bp.post("/registrations/<int:registration_id>/resend")
@login_required
def resend_message(registration_id: int):
    """Queue a copy of the person's last email (it failed, or they cannot find it)."""
    registration = managed_registration_or_abort(registration_id)
    name, event_id, anchor = registration.full_name, registration.event_id, registration.id
    form = ResendForm()
    if not form.validate_on_submit() or not _MESSAGE_ID.fullmatch(form.message.data):
        abort(400)
    message_id = int(form.message.data)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.registration_id != registration.id:
        abort(404)  # the email of somebody else, or of nobody
    try:
        organiser_mail.resend(registration, message_id, account=current_account())
    except services.RegistrationError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("A copy of the email to %(name)s is queued for sending.", name=name), "success")
    search = (form.q.data or "")[: queries.SEARCH_LIMIT] or None  # back to the same search
    target = url_for(".attendees", event_id=event_id, q=search)
    return redirect(f"{target}#registration-{anchor}", code=303)


def _preview(event: Event, form: MessageForm, *, status: int = 200):
    """The preview page: one rendering per language the recipients read, and their count."""
    people = services.message_recipients(event, form.recipients.data)
    if not people:
        flash(str(services.NoRecipients.message), "error")
        return _write_again(event, form, services.NoRecipients.status)
    languages = Counter(person.language for person in people)
    return (
        render_template(
            "backoffice/attendees/message_preview.html",
            event=event,
            form=form,
            count=len(people),
            previews=[
                (language, languages[language], _rendered(event, form, language))
                for language in sorted(languages, key=lambda code: (code != "pl", code))
            ],
        ),
        status,
    )


def _rendered(event: Event, form: MessageForm, language: str):
    """The email as a recipient reading ``language`` gets it, made up for a sample person."""
    sample = OutboxMessage(
        kind=MessageKind.ORGANISER_MESSAGE,
        recipient="",
        language=language,
        context={
            "event_id": event.id,
            "organiser_subject": form.subject.data,
            "organiser_body": form.body.data,
        },
        message_key="preview",
        created_at=utcnow(),
    )
    mail = compose(sample)
    _allow_styles_of(mail.html)
    return mail


def _write_again(event: Event, form: MessageForm, status: int):
    return (
        render_template(
            "backoffice/attendees/message.html",
            event=event,
            form=form,
            send_outs=queries.send_outs(event.id),
            counts=services.recipient_counts(event),
        ),
        status,
    )


def _language() -> str:
    """The organiser's language now, which their test is written in."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in ("pl", "en") else "pl"
