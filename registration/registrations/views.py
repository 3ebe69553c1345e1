"""Registration pages: the form on the event page, the manage page, the ticket, cancelling."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from registration.database import utcnow
from registration.events import services as events
from registration.events.views import render_event_page
from registration.extensions import db, limiter
from registration.i18n import current_language
from registration.links import absolute_url
from registration.notifications.delivery import mail_folder
from registration.registrations import services
from registration.registrations.forms import RegistrationForm
from registration.registrations.models import Registration, RegistrationStatus

bp = Blueprint("registrations", __name__)

#: Generous: a whole city hall may register from one address.
REGISTRATION_LIMIT = "30 per minute;300 per hour"


@bp.post("/events/<int:event_id>")
@limiter.limit(REGISTRATION_LIMIT)
def register(event_id: int):
    """Take a registration from the event page."""
    form = RegistrationForm()
    if not form.validate_on_submit():  # before any query: on SQLite the first takes the lock
        return render_event_page(events.get_public_event(event_id) or abort(404), form, 422)
    try:
        registration = services.register(event_id, form.applicant(current_language())).registration
    except services.EventNotFound:
        abort(404)
    except services.RegistrationError as error:
        db.session.commit()  # AlreadyRegistered queued the manage link to the address.
        flash(str(error.message), "error")
        return render_event_page(events.get_public_event(event_id), form, 409)
    confirmed, token = registration.status == RegistrationStatus.CONFIRMED, registration.token
    db.session.commit()
    if confirmed:
        flash(_("You are registered. Your seat is confirmed."), "success")
    else:
        flash(_("The event is full, so you are on the waitlist."), "success")
    return redirect(url_for(".manage", token=token), code=303)


@bp.get("/r/<token>")
def manage(token: str):
    """Show a registration to whoever holds its secret link: status, ticket, cancel button."""
    registration = _registration_or_404(token)
    return render_template(
        "registrations/manage.html",
        registration=registration,
        event=registration.event,
        waitlist_position=services.waitlist_position(registration),
        now=utcnow(),
        development_mail_folder=_development_mail_folder(),
    )


@bp.get("/r/<token>/ticket.svg")
def ticket(token: str):
    """The ticket's QR code; organisers scan it to check the person in."""
    registration = _registration_or_404(token)
    svg = io.BytesIO()  # a standalone file: svg_inline() would leave out the xmlns
    segno.make(checkin_url(registration), error="m").save(
        svg, kind="svg", xmldecl=False, scale=6, dark="#000000", light="#ffffff", title=_("Ticket")
    )
    return Response(svg.getvalue(), mimetype="image/svg+xml")


@bp.post("/r/<token>/cancel")
def cancel(token: str):
    """Cancel a registration; a repeated cancel changes nothing."""
    registration = _registration_or_404(token)
    try:
        services.cancel(registration)
    except services.RegistrationError as error:
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Your registration is cancelled."), "success")
    return redirect(url_for(".manage", token=token), code=303)


def checkin_url(registration: Registration) -> str:
    """Where an organiser's phone lands when it scans the ticket."""
    return absolute_url("backoffice.check_in_ticket", token=registration.token)


def _registration_or_404(token: str) -> Registration:
    return services.find_by_token(token) or abort(404)


def _development_mail_folder() -> str | None:
    """Where a newcomer finds the emails when ``make run`` has no SMTP server to send to."""
    config = current_app.config
    if config["REGISTRATION_ENV"] == "development" and not config["MAIL_SERVER"]:
        return str(mail_folder())
    return None
