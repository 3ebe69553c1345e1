"""Registration pages: the form on the event page, the manage page, correcting the
details, the ticket, cancelling (asked first), and the manage link sent again."""

from __future__ import annotations

import io

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from registration.certificates import services as certificates
from registration.database import utcnow
from registration.email_addresses import suggest_correction
from registration.events import services as events
from registration.events.views import render_event_page
from registration.extensions import db, limiter
from registration.i18n import current_language
from registration.links import absolute_url
from registration.notifications.delivery import mail_folder
from registration.registrations import services
from registration.registrations.forms import DetailsForm, LostLinkForm, RegistrationForm
from registration.registrations.models import Registration

bp = Blueprint("registrations", __name__)

#: Generous: a whole city hall may register from one address.
REGISTRATION_LIMIT = "30 per minute;300 per hour"
#: Asking for a manage link sends an email: a person needs it once or twice.
LOST_LINK_LIMIT = "5 per minute;30 per hour"
#: Where the lost-link page keeps the address typed, for the answer after the redirect.
_LOST_LINK_ADDRESS = "lost_link_address"


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
        # Already registered is no mistake of the visitor's: the owner of the address has
        # a registration and its link, by email. Everything else (full, closed) is an error.
        category = "warning" if isinstance(error, services.AlreadyRegistered) else "error"
        flash(str(error.message), category)
        return render_event_page(event, form, error.status)
    token = registration.token
    db.session.commit()
    # No flashed message: the manage page's first words say what happened, once.
    return redirect(url_for(".manage", token=token), code=303)


@bp.get("/r/<token>")
def manage(token: str):
    """Show a registration to whoever holds its secret link: status, what happens next,
    the details given, ticket, calendar, and the ways to change or cancel it."""
    registration = _registration_or_404(token)
    event, now = registration.event, utcnow()
    return render_template(
        "registrations/manage.html",
        registration=registration,
        event=event,
        waitlist_position=services.waitlist_position(registration),
        waitlist_moves_until=services.waitlist_moves_until(event),
        details_open=services.details_open(registration, now=now),
        cancel_open=services.cancel_open(registration, now=now),
        suggested_address=suggest_correction(registration.email),
        certificate_ready=certificates.may_download(registration),
        now=now,
        development_mail_folder=_development_mail_folder(),
    )


@bp.route("/r/<token>/edit", methods=["GET", "POST"])
@limiter.limit(REGISTRATION_LIMIT, methods=["POST"])
def edit(token: str):
    """Correct the details of a registration: name, institution, position, needs, language."""
    registration = _registration_or_404(token)
    if not services.details_open(registration, now=utcnow()):
        flash(str(services.DetailsClosed.message), "error")
        return redirect(url_for(".manage", token=token), code=303)
    if request.method == "GET":
        form = DetailsForm.for_registration(registration)
    else:
        form = DetailsForm()
        if form.validate_on_submit():
            try:
                services.change_details(registration, form.details())
            except services.RegistrationError as error:
                flash(str(error.message), "error")
            else:
                db.session.commit()
                flash(_("Your details are saved."), "success")
            return redirect(url_for(".manage", token=token), code=303)
    page = render_template(
        "registrations/edit.html", registration=registration, event=registration.event, form=form
    )
    return page, 422 if form.errors else 200


@bp.get("/r/<token>/ticket.svg")
def ticket(token: str):
    """The ticket's QR code: the check-in address, which organisers scan at the door."""
    registration = _registration_or_404(token)
    svg = io.BytesIO()  # a standalone file: svg_inline() would leave out the xmlns
    segno.make(checkin_url(registration), error="m").save(
        svg, kind="svg", xmldecl=False, scale=6, dark="#000000", light="#ffffff", title=_("Ticket")
    )
    return Response(svg.getvalue(), mimetype="image/svg+xml")


@bp.get("/r/<token>/cancel")
def confirm_cancel(token: str):
    """Ask before cancelling: the page shows what would be given up; only its POST cancels."""
    registration = _registration_or_404(token)
    if not registration.is_active:
        return redirect(url_for(".manage", token=token), code=303)
    return render_template(
        "registrations/cancel.html",
        registration=registration,
        event=registration.event,
        now=utcnow(),
    )


@bp.post("/r/<token>/cancel")
def cancel(token: str):
    """Cancel a registration; a repeated cancel changes nothing."""
    registration = _registration_or_404(token)
    try:
        services.cancel(registration)
    except services.RegistrationError as error:
        flash(str(error.message), "error")
    else:
        db.session.commit()  # the manage page's heading says it is cancelled: no second message
    return redirect(url_for(".manage", token=token), code=303)


@bp.route("/events/<int:event_id>/lost-link", methods=["GET", "POST"])
@limiter.limit(LOST_LINK_LIMIT, methods=["POST"])
def lost_link(event_id: int):
    """Send the manage link again to an address registered for the event.

    Every valid request gets the same answer, whether or not the address is
    registered (``services.send_manage_link``): only the address's owner learns it.
    """
    event = events.get_public_event(event_id) or abort(404)
    form = LostLinkForm()
    if form.validate_on_submit():
        services.send_manage_link(event.id, form.email.data)
        db.session.commit()
        session[_LOST_LINK_ADDRESS] = form.email.data
        return redirect(url_for(".lost_link_sent", event_id=event.id), code=303)
    page = render_template("registrations/lost_link.html", event=event, form=form)
    return page, 422 if form.errors else 200


@bp.get("/events/<int:event_id>/lost-link/sent")
def lost_link_sent(event_id: int):
    """The answer to a lost-link request: the same for every address."""
    event = events.get_public_event(event_id) or abort(404)
    address = session.get(_LOST_LINK_ADDRESS)
    if not isinstance(address, str):
        return redirect(url_for(".lost_link", event_id=event.id), code=303)
    return render_template(
        "registrations/lost_link_sent.html",
        event=event,
        address=address,
        quiet_minutes=int(services.LOST_LINK_QUIET_PERIOD.total_seconds() // 60),
    )


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


@bp.app_template_global()
def address_suggestion(address: object) -> str | None:
    """The address as it was probably meant ("anna@gmial.com" → "anna@gmail.com"), if it
    looks mistyped; for the form that comes back with errors."""
    return suggest_correction(address) if isinstance(address, str) else None


def _registration_or_404(token: str) -> Registration:
    return services.find_by_token(token) or abort(404)


def _development_mail_folder() -> str | None:
    """Where a newcomer finds the emails when ``make run`` has no SMTP server to send to."""
    config = current_app.config
    if config["REGISTRATION_ENV"] == "development" and not config["MAIL_SERVER"]:
        return str(mail_folder())
    return None
