"""Back office: the door of an event, on a phone.

The door page lists an event's confirmed people as cards, searchable, each with
one big button; a tap checks the person in for today (``services.check_in``)
and an undo takes it back (``services.undo_check_in``). Every page works
without JavaScript: the buttons are forms, and each change redirects back.
The scanned ticket's card (``attendees.check_in_ticket``) is the same card.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from registration.backoffice import bp
from registration.backoffice.access import (
    current_account,
    managed_event_or_abort,
    managed_registration_or_abort,
)
from registration.backoffice.attendees import check_in_return_address
from registration.database import utcnow
from registration.extensions import db
from registration.registrations import queries, services


@bp.get("/events/<int:event_id>/check-in")
@login_required
def event_check_in(event_id: int):
    """The event's door: its confirmed people as cards, today's count, and a search."""
    event = managed_event_or_abort(event_id)
    door = queries.door_list(event, request.args.get("q", ""), services.warsaw_day(utcnow()))
    return render_template("backoffice/attendees/check_in_event.html", event=event, door=door)


@bp.post("/registrations/<int:registration_id>/check-in/undo")
@login_required
def undo_check_in(registration_id: int):
    """Take back today's check-in of a person (a tap on the wrong card)."""
    registration = managed_registration_or_abort(registration_id)
    name = registration.full_name
    target = check_in_return_address(registration, request.form.get("back") or "door")
    if services.undo_check_in(registration, account=current_account()):
        db.session.commit()
        flash(_("The check-in of %(name)s is undone.", name=name), "success")
    else:
        flash(_("%(name)s was not checked in today.", name=name), "warning")
    return redirect(target, code=303)


@bp.get("/registrations/<int:registration_id>/check-in")
@login_required
def registration_at_the_door(registration_id: int):
    """The person's card on the event's door page. The check-in itself is a POST; this is
    where a language link of the "another day?" page, answered to that POST, leads."""
    registration = managed_registration_or_abort(registration_id)
    target = url_for(".event_check_in", event_id=registration.event_id)
    return redirect(f"{target}#registration-{registration.id}", code=303)
