"""Back office: attendee lists, manual changes, check-in, exports and messages.

Every page is for a signed-in organiser of the event's city (or an admin):
``managed_event_or_abort`` answers 404 for an unknown event and 403 for
another city's. Views only translate between forms and ``registrations.services``,
where the rules are; each change is committed once, then the browser is
redirected, so that reloading a page never repeats it.
"""

from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
)
from wtforms.validators import DataRequired

from registration import labels
from registration.backoffice import bp
from registration.backoffice.access import (
    current_account,
    managed_event_or_abort,
    managed_registration_or_abort,
)
from registration.data_controller import DataController, data_controller
from registration.database import utcnow
from registration.extensions import db
from registration.notifications import organiser_mail
from registration.registrations import exports, queries, services
from registration.registrations.forms import RegistrationForm
from registration.registrations.models import Registration, RegistrationStatus


class AddByHandForm(RegistrationForm):
    """The participant's form, filled in by an organiser on the person's behalf."""

    language = SelectField(
        _l("Language of the emails"),
        choices=[SelectChoice("pl", "Polski"), SelectChoice("en", "English")],
        default="pl",
    )
    # The person consents to the organiser (in person, by phone or by email) and
    # the organiser records it; the audit log keeps who did.
    consent = BooleanField(
        _l("The person has agreed to the processing of their personal data."),
        validators=[DataRequired(_l("Record the person's consent first."))],
    )

    def name_the_controller(self, controller: DataController) -> None:
        self.consent.label.text = _l(
            "The person has agreed that %(controller)s, the data controller, may process "
            "their personal data, including any needs they describe, to register them for "
            "this event and to organise it.",
            controller=controller.name,
        )


# --- The list -------------------------------------------------------------------


@bp.get("/events/<int:event_id>/attendees")
@login_required
def attendees(event_id: int):
    """The event's confirmed, waitlisted and cancelled people, with counts and actions."""
    event = managed_event_or_abort(event_id)
    listed = queries.attendee_list(event.id, request.args.get("q", ""))
    return render_template(
        "backoffice/attendees/list.html",
        event=event,
        query=listed.search,
        confirmed=listed.confirmed,
        waitlisted=listed.waitlisted,
        cancelled=listed.cancelled,
        pending=listed.pending,
        rejected=listed.rejected,
        allocations=services.allocation_state(event, now=utcnow()),
        positions=listed.positions,
        found=listed.found,
        seats=services.availability([event.id])[event.id],
        checked_in=listed.checked_in,
        last_emails=listed.last_emails,
        email_kinds=labels.MESSAGE_KINDS,
        can_resend=organiser_mail.can_resend,
        now=utcnow(),
    )


@bp.route("/events/<int:event_id>/attendees/new", methods=["GET", "POST"])
@login_required
def add_attendee(event_id: int):
    """Register a person by hand: a seat if one is free, else the waitlist, never more."""
    event = managed_event_or_abort(event_id)
    form = AddByHandForm()
    form.name_the_controller(data_controller(event))
    if form.validate_on_submit():
        try:
            registration = services.add_by_hand(
                event, form.applicant(form.language.data), account=current_account()
            )
        except services.RegistrationError as error:
            flash(str(error.message), "error")
            page = render_template("backoffice/attendees/new.html", event=event, form=form)
            return page, error.status
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        name, target = registration.full_name, url_for(".attendees", event_id=event_id)
        db.session.commit()
        if confirmed:
            flash(_("%(name)s has a confirmed seat.", name=name), "success")
        else:
            flash(_("%(name)s is on the waitlist.", name=name), "success")
        return redirect(target, code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("backoffice/attendees/new.html", event=event, form=form), status


# --- One person -----------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/check-in")
@login_required
def check_in_registration(registration_id: int):
    """Check in a confirmed person from the attendee list or the door page (``back``)."""
    return check_in_and_go_back(managed_registration_or_abort(registration_id))


@bp.post("/registrations/<int:registration_id>/confirm")
@login_required
def confirm_registration(registration_id: int):
    """Confirm a waitlisted person, if a seat is free and their turn has come."""
    registration = managed_registration_or_abort(registration_id)
    return _change(
        registration,
        services.confirm_from_waitlist,
        _("%(name)s has a confirmed seat."),
    )


@bp.post("/registrations/<int:registration_id>/move-to-waitlist")
@login_required
def move_registration_to_waitlist(registration_id: int):
    """Give a confirmed person's seat to the first in line; the person joins the line."""
    registration = managed_registration_or_abort(registration_id)
    return _change(
        registration,
        services.move_to_waitlist,
        _("%(name)s is on the waitlist; the seat went to the first person in line."),
    )


@bp.post("/registrations/<int:registration_id>/cancel")
@login_required
def cancel_registration(registration_id: int):
    """Cancel on the person's behalf; the seat goes to the first in line."""
    registration = managed_registration_or_abort(registration_id)
    return _change(
        registration,
        services.cancel_on_behalf,
        _("The registration of %(name)s is cancelled."),
    )


@bp.post("/events/<int:event_id>/decisions")
@login_required
def decide_requests(event_id: int):
    """Approve or reject pending requests: one (its row's button), or those ticked."""
    event = managed_event_or_abort(event_id)
    decision, _sep, one = request.form.get("decide", "").partition(":")
    operation = {"approve": services.approve, "reject": services.reject}.get(decision)
    if operation is None:
        abort(400)
    chosen = [one] if one else request.form.getlist("registration")
    ids = sorted(
        {int(value) for value in chosen if value.isascii() and value.isdigit() and len(value) < 12}
    )
    target = url_for(".attendees", event_id=event_id, q=request.form.get("q") or None)
    if not ids:
        flash(_("Tick the people to decide on first."), "error")
        return redirect(f"{target}#pending-heading", code=303)
    outcome = services.decide(event, ids, operation, account=current_account())
    db.session.commit()
    if decision == "approve":
        flash(
            _(
                "Approved: %(confirmed)d with a seat, %(waitlisted)d on the waitlist.",
                confirmed=outcome.confirmed,
                waitlisted=outcome.waitlisted,
            ),
            "success",
        )
    else:
        flash(
            ngettext("%(num)d request rejected.", "%(num)d requests rejected.", outcome.rejected),
            "success",
        )
    if outcome.refused:
        flash(
            ngettext(
                "%(num)d request could not be decided: %(reason)s",
                "%(num)d requests could not be decided: %(reason)s",
                len(outcome.refused),
                reason=outcome.refused[0],
            ),
            "error",
        )
    return redirect(f"{target}#pending-heading", code=303)


# --- Check-in at the door -------------------------------------------------------


@bp.get("/check-in")
@login_required
def check_in_lookup():
    """Today's events and the next days', to open their door page; and a ticket found by its
    code, typed or pasted (a whole scanned address will do)."""
    code = request.args.get("code", "").strip()
    if not code:
        return _lookup_page("")
    registration = _registration_on_ticket(_code_from(code))
    if registration is None:
        flash(_("No ticket has this code. Check it and try again."), "error")
        return _lookup_page(code), 404
    if not current_account().can_manage(registration.event):
        abort(403)
    return redirect(url_for(".check_in_ticket", code=registration.check_in_code), code=303)


@bp.get("/check-in/<code>")
@login_required
def check_in_ticket(code: str):
    """The page a scanned ticket opens: the person's check-in card, with its button and undo."""
    registration = _registration_by_code_or_abort(code)
    return render_template(
        "backoffice/attendees/check_in.html",
        registration=registration,
        event=registration.event,
        card=queries.check_in_card(registration, services.warsaw_day(utcnow())),
    )


@bp.post("/check-in/<code>")
@login_required
def check_in_by_ticket(code: str):
    """Check in the ticket's holder, and come back to their card."""
    return check_in_and_go_back(_registration_by_code_or_abort(code), back="card")


def check_in_and_go_back(registration: Registration, back: str | None = None):
    """Check a person in, then go back where the tap came from: the attendee list (the
    default), the event's door page (``door``) or the person's card (``card``).

    On a day the event does not take place, a page asks for a second tap first; the
    form's ``confirm`` field carries it.
    """
    back = back or request.form.get("back")
    # Read before committing: afterwards each attribute would be loaded again.
    name, target = registration.full_name, check_in_return_address(registration, back)
    try:
        services.check_in(
            registration,
            account=current_account(),
            other_day=request.form.get("confirm") == "other-day",
        )
    except services.NotAnEventDay as refusal:
        page = render_template(
            "backoffice/attendees/check_in_confirm.html",
            registration=registration,
            event=registration.event,
            message=refusal.message,
            back=back,
            query=request.form.get("q", "")[: queries.SEARCH_LIMIT],
            cancel_target=target,
        )
        return page, refusal.status
    except services.RegistrationError as error:
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is checked in.", name=name), "success")
    return redirect(target, code=303)


def check_in_return_address(registration: Registration, back: str | None) -> str:
    """Where a check-in or its undo leads: the page it was made on, at the person."""
    if back == "card":
        return url_for(".check_in_ticket", code=registration.check_in_code)
    query = request.form.get("q", "")[: queries.SEARCH_LIMIT] or None
    endpoint = ".event_check_in" if back == "door" else ".attendees"
    target = url_for(endpoint, event_id=registration.event_id, q=query)
    return f"{target}#registration-{registration.id}"


def _lookup_page(code: str) -> str:
    today = services.warsaw_day(utcnow())
    return render_template(
        "backoffice/attendees/check_in_lookup.html",
        code=code,
        events=queries.events_at_the_door(current_account(), today),
        today=today,
    )


# --- Exports --------------------------------------------------------------------


@bp.get("/events/<int:event_id>/attendees.csv")
@login_required
def attendees_csv(event_id: int):
    """The attendee list as CSV for Excel with Polish settings (semicolons, UTF-8 with BOM,
    formulas neutralised)."""
    event = managed_event_or_abort(event_id)
    body = exports.csv_bytes(exports.attendees(event.id))
    return _download(body, exports.CSV_MIMETYPE, f"attendees-{event.id}.csv")


@bp.get("/events/<int:event_id>/attendees.xlsx")
@login_required
def attendees_xlsx(event_id: int):
    """The attendee list as an Excel workbook."""
    event = managed_event_or_abort(event_id)
    body = exports.xlsx_bytes(exports.attendees(event.id), title=event.title)
    return _download(body, exports.XLSX_MIMETYPE, f"attendees-{event.id}.xlsx")


@bp.get("/events/<int:event_id>/sign-in-sheet")
@login_required
def sign_in_sheet(event_id: int):
    """A printable list of the confirmed people by surname, with room to sign each day."""
    event = managed_event_or_abort(event_id)
    sheet = queries.sign_in_sheet(event)
    return render_template("backoffice/attendees/sign_in_sheet.html", event=event, sheet=sheet)


# --- Helpers --------------------------------------------------------------------


def _registration_on_ticket(code: str) -> Registration | None:
    """The registration whose ticket shows ``code``.

    Tickets made before check-in codes existed carried the manage token; they are
    still read here, by organisers only, so that those printed tickets keep working.
    """
    return services.find_by_check_in_code(code) or services.find_by_token(code)


def _registration_by_code_or_abort(code: str) -> Registration:
    registration = _registration_on_ticket(code) or abort(404)
    if not current_account().can_manage(registration.event):
        abort(403)
    return registration


def _change(registration: Registration, operation, done: str):
    """Run one operation on a person from the list, commit, and go back to the list."""
    # Read before committing: afterwards each attribute would be loaded again.
    name, event_id, anchor = registration.full_name, registration.event_id, registration.id
    try:
        operation(registration, account=current_account())
    except services.RegistrationError as error:
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(done % {"name": name}, "success")
    target = url_for(".attendees", event_id=event_id, q=request.form.get("q") or None)
    return redirect(f"{target}#registration-{anchor}", code=303)


def _is_id(value: str) -> bool:
    """Whether a form value is a plain row id (not "²", not forty digits)."""
    return value.isascii() and value.isdigit() and len(value) < 12


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _code_from(typed: str) -> str:
    """The code in a typed code or a pasted check-in address: its last path segment.

    Split by hand rather than parsed as a URL: whatever was typed is not an error.
    """
    path = re.split(r"[?#]", typed.strip(), maxsplit=1)[0]
    return path.rstrip("/").rsplit("/", 1)[-1]
