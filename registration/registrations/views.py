"""Registration pages: the form on the event page, the manage page, the ticket, cancelling."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

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
    except services.RegistrationError as error:
        db.session.commit()  # AlreadyRegistered queued the manage link to the address.
        event = events.get_public_event(event_id) or abort(404)  # no form to show it beside
        flash(str(error.message), "error")
        return render_event_page(event, form, error.status)
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
    """The ticket's QR code: the check-in address, which organisers scan at the door."""
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


@bp.get("/check-in/<code>")
def scanned_ticket(code: str):
    """Where a scanned ticket leads: a signed-in organiser goes on to check the person in
    (the back office decides whether they may); anyone else sees what a ticket is for.

    The page is the same for every code, known or not, and shows nothing of the
    registration: the code is printed on a ticket that others may see.
    """
    if current_user.is_authenticated:
        return redirect(url_for("backoffice.check_in_ticket", code=code), code=303)
    return render_template("registrations/scanned_ticket.html", code=code)


def checkin_url(registration: Registration) -> str:
    """What the ticket's QR code says: the check-in address with the check-in code,
    never the manage token (a photo of a ticket must not let anyone cancel it)."""
    return absolute_url("registrations.scanned_ticket", code=registration.check_in_code)


def _registration_or_404(token: str) -> Registration:
    return services.find_by_token(token) or abort(404)


def _development_mail_folder() -> str | None:
    """Where a newcomer finds the emails when ``make run`` has no SMTP server to send to."""
    config = current_app.config
    if config["REGISTRATION_ENV"] == "development" and not config["MAIL_SERVER"]:
        return str(mail_folder())
    return None
