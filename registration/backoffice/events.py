"""Back office: events — list, create, edit, publish, cancel, duplicate."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import login_required

from registration.accounts.services import safe_next
from registration.backoffice import bp
from registration.backoffice.access import current_account, managed_event_or_abort
from registration.backoffice.forms import EventForm
from registration.database import utcnow
from registration.events import services
from registration.events.models import Event
from registration.events.queries import past_managed_events, upcoming_managed_events
from registration.extensions import db
from registration.registrations.services import availability


@bp.get("/events")
@login_required
def event_list():
    """The organiser's events, drafts included, with seats taken and waitlists; upcoming or past."""
    when = "past" if request.args.get("when") == "past" else "upcoming"
    listed = past_managed_events if when == "past" else upcoming_managed_events
    events = listed(current_account(), now=utcnow())
    return render_template(
        "backoffice/events/index.html",
        events=events,
        seats=availability([event.id for event in events]),
        when=when,
    )


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    """Create an event; it stays a draft until published."""
    account = current_account()
    if request.method == "GET":
        return _form_page(EventForm.for_new_event(account))
    form = EventForm(account=account)
    if not form.validate_on_submit():
        return _form_page(form, status=422)
    try:
        event = services.create_event(form.event_fields(), account=account)
    except services.EventError as error:
        return _rejected(form, error)
    db.session.commit()
    flash(_("The event is saved as a draft. Publish it when it is ready."), "success")
    return redirect(url_for(".edit_event", event_id=event.id), code=303)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id: int):
    """Change an event; people holding seats hear about a new time, place or status."""
    account = current_account()
    event = managed_event_or_abort(event_id)
    if request.method == "GET":
        return _form_page(EventForm.for_event(event, account), event=event)
    form = EventForm(account=account)
    if not form.validate_on_submit():
        return _form_page(form, event=event, status=422)
    try:
        update = services.update_event(event, form.event_fields(event), account=account)
    except services.EventError as error:
        return _rejected(form, error, event=event)
    db.session.commit()
    if update.told:
        flash(
            ngettext(
                "The changes are saved. We have told %(num)d person about the change.",
                "The changes are saved. We have told %(num)d people about the change.",
                update.told,
            ),
            "success",
        )
    else:
        flash(_("The changes are saved."), "success")
    return redirect(url_for(".edit_event", event_id=event_id), code=303)


@bp.post("/events/<int:event_id>/publish")
@login_required
def publish_event(event_id: int):
    """Publish a draft (or bring back a cancelled event)."""
    event = managed_event_or_abort(event_id)
    try:
        services.publish(event, current_account())
    except services.EventError as error:
        _flash_refusal(error)
    else:
        db.session.commit()
        flash(_("The event is published."), "success")
    return _back(event_id)


@bp.get("/events/<int:event_id>/cancel")
@login_required
def confirm_cancel_event(event_id: int):
    """Ask before cancelling: say who will be told, and offer to say why."""
    return _cancel_page(managed_event_or_abort(event_id))


@bp.post("/events/<int:event_id>/cancel")
@login_required
def cancel_event(event_id: int):
    """Cancel the event; everyone holding a seat or a place is emailed, with the reason given."""
    event = managed_event_or_abort(event_id)
    reason = request.form.get("reason", "")
    try:
        update = services.cancel_event(event, current_account(), reason=reason)
    except services.EventError as error:
        problems = error.field_errors()
        if "cancellation_reason" not in problems:
            _flash_refusal(error)
            return redirect(url_for(".edit_event", event_id=event_id), code=303)
        db.session.rollback()
        errors = [str(message) for message in problems["cancellation_reason"]]
        return _cancel_page(event, reason=reason, errors=errors), error.status
    db.session.commit()
    if update.told:
        flash(
            ngettext(
                "The event is cancelled. We are emailing %(num)d person about it.",
                "The event is cancelled. We are emailing %(num)d people about it.",
                update.told,
            ),
            "success",
        )
    else:
        flash(_("The event is cancelled. Nobody was registered, so nobody is emailed."), "success")
    return redirect(url_for(".edit_event", event_id=event_id), code=303)


def _cancel_page(event: Event, *, reason: str = "", errors: list[str] | None = None) -> str:
    return render_template(
        "backoffice/events/cancel.html",
        event=event,
        seats=availability([event.id])[event.id],
        reason=reason,
        reason_errors=errors or [],
        reason_limit=services.REASON_LIMIT,
        reason_limit_text=format_number(services.REASON_LIMIT),
    )


@bp.post("/events/<int:event_id>/duplicate")
@login_required
def duplicate_event(event_id: int):
    """Copy an event into a new draft, to be given new dates."""
    event = managed_event_or_abort(event_id)
    copy = services.duplicate_event(event, current_account())
    db.session.commit()
    flash(_("This is a copy, saved as a draft. Check the dates before publishing it."), "success")
    return redirect(url_for(".edit_event", event_id=copy.id), code=303)


def _form_page(form: EventForm, *, event: Event | None = None, status: int = 200):
    template = "backoffice/events/form.html"
    return render_template(template, form=form, event=event), status


def _rejected(form: EventForm, error: services.EventError, *, event: Event | None = None):
    """Show the service's objection next to the field it concerns; nothing was saved."""
    db.session.rollback()
    for field, messages in error.field_errors().items():
        for message in messages:
            form.show_error(field, str(message))
    return _form_page(form, event=event, status=error.status)


def _flash_refusal(error: services.EventError) -> None:
    """Say why a button did nothing (a button has no fields to show it beside)."""
    db.session.rollback()
    for messages in error.field_errors().values():
        for message in messages:
            flash(str(message), "error")


def _back(event_id: int):
    """To the page the button was on (the list or the event), else the event's page."""
    target = safe_next(request.form.get("next"))
    return redirect(target or url_for(".edit_event", event_id=event_id), code=303)
