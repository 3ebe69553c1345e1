"""Back office: importing attendees from a spreadsheet, and their name badges.

Importing takes three steps, each a page: upload, preview, result. The upload
is read and its rows kept on the server (``imports.save``), and the browser is
sent to the preview, whose address names them by a random secret; they belong to
the event and the account that uploaded them, so another organiser's browser
finds nothing there. Confirming imports the rows the preview shows, checked
again, and the same address then shows what happened.
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField
from wtforms.validators import DataRequired

from registration import errors
from registration.backoffice import bp
from registration.backoffice.access import current_account, managed_event_or_abort
from registration.data_controller import DataController, data_controller
from registration.database import utcnow
from registration.events.models import Event
from registration.extensions import db
from registration.forms import Form
from registration.registrations import badges, imports, queries


class ImportForm(Form):
    file = FileField(
        _l("Spreadsheet (CSV or XLSX)"),
        validators=[FileRequired(_l("Choose the file to import."))],
        render_kw={"accept": ".csv,.xlsx,text/csv"},
    )
    send_emails = BooleanField(_l("Send each person their confirmation email"), default=True)
    consent = BooleanField(
        _l("The people in the file have agreed to the processing of their personal data."),
        validators=[DataRequired(_l("Confirm that the people have agreed first."))],
    )

    class Meta:
        def wrap_formdata(self, form: Form, formdata: object) -> MultiDict | None:
            # The one form that takes a file: its own field alone reads the uploaded files.
            if formdata is None or not form.is_submitted():
                return None
            data = MultiDict(request.form)
            data.setlist("file", request.files.getlist("file"))
            return data

    def name_the_controller(self, controller: DataController) -> None:
        self.consent.label.text = _l(
            "The people in the file have agreed that %(controller)s, the data controller, "
            "may process their personal data, including any needs they describe, to register "
            "them for this event and to organise it.",
            controller=controller.name,
        )


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@login_required
def import_attendees(event_id: int):
    """Upload a spreadsheet of people; on success, go to its preview."""
    event = managed_event_or_abort(event_id)
    form = ImportForm()
    form.name_the_controller(data_controller(event))
    seats_open = event.seats_open(utcnow())
    if seats_open and form.validate_on_submit():
        try:
            rows = imports.read(form.file.data.read())
        except imports.ImportFileError as error:
            form.file.errors.append(str(error.message))
        else:
            token = imports.save(
                event.id, current_account().id, rows, send_emails=form.send_emails.data
            )
            return redirect(url_for(".import_preview", event_id=event.id, token=token), code=303)
    status = 422 if form.is_submitted() else 200
    if not seats_open:
        status = 409 if form.is_submitted() else 200
    return render_template(
        "backoffice/attendees/import.html",
        event=event,
        form=form,
        seats_open=seats_open,
        max_rows=imports.MAX_ROWS,
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def file_too_large(error: RequestEntityTooLarge):
    """A file over the site's request limit: the upload form again, saying so.

    The body is refused while the CSRF check reads it, before the view and its
    sign-in check run, so they are done here; anything else gets the usual page.
    """
    event_id = (request.view_args or {}).get("event_id")
    if request.endpoint != "backoffice.import_attendees" or not current_user.is_authenticated:
        return errors.http_error(error)
    event = db.session.get(Event, event_id)
    if event is None or not current_account().can_manage(event):
        return errors.http_error(error)
    form = ImportForm(formdata=None)
    form.name_the_controller(data_controller(event))
    form.file.errors = [_("The file is larger than 1 MB. Split it into smaller files.")]
    page = render_template(
        "backoffice/attendees/import.html",
        event=event,
        form=form,
        seats_open=True,
        max_rows=imports.MAX_ROWS,
    )
    return page, 413


@bp.get("/events/<int:event_id>/import/<token>")
@login_required
def import_preview(event_id: int, token: str):
    """What the file would give, row by row; once imported, what it gave."""
    event = managed_event_or_abort(event_id)
    pending = _pending_or_abort(event, token)
    if pending.outcome is not None:
        return render_template(
            "backoffice/attendees/import_result.html",
            event=event,
            outcome=pending.outcome,
            summary=summary(pending.outcome),
        )
    return render_template(
        "backoffice/attendees/import_preview.html",
        event=event,
        token=token,
        send_emails=pending.send_emails,
        preview=imports.preview(event, pending.rows),
    )


@bp.post("/events/<int:event_id>/import/<token>")
@login_required
def confirm_import(event_id: int, token: str):
    """Import the rows of the preview that pass, each through the seat operation."""
    event = managed_event_or_abort(event_id)
    pending = _pending_or_abort(event, token)
    target = url_for(".import_preview", event_id=event.id, token=token)
    if pending.outcome is not None or not imports.claim(pending):
        return redirect(target, code=303)  # imported already (a second click)
    outcome = imports.run(
        event, pending.rows, account=current_account(), send_emails=pending.send_emails
    )
    imports.finish(pending, outcome)
    return redirect(target, code=303)


def summary(outcome: imports.Outcome) -> str:
    """What importing did in a line ("24 confirmed, 6 on the waitlist, 2 skipped")."""
    return _(
        "%(confirmed)s, %(waitlisted)s, %(skipped)s.",
        confirmed=ngettext("%(num)d confirmed", "%(num)d confirmed", outcome.confirmed),
        waitlisted=ngettext(
            "%(num)d on the waitlist", "%(num)d on the waitlist", outcome.waitlisted
        ),
        skipped=ngettext(
            "%(num)d skipped", "%(num)d skipped", outcome.skipped + len(outcome.refused)
        ),
    )


def _pending_or_abort(event: Event, token: str) -> imports.Pending:
    """The rows, if they are this organiser's for this event; 404 for anything else, as for
    any unknown address (the token is a secret)."""
    pending = imports.load(token, event_id=event.id, account_id=current_account().id)
    return pending or abort(404)


@bp.get("/events/<int:event_id>/badges.pdf")
@login_required
def name_badges(event_id: int):
    """An A4 sheet of name badges for the confirmed people, by surname, to print and cut."""
    event = managed_event_or_abort(event_id)
    people = [
        person for person in queries.sign_in_sheet(event).people if person.anonymised_at is None
    ]
    response = Response(badges.pdf(event, people), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="badges-{event.id}.pdf"'
    return response
