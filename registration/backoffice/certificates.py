"""Back office: the certificates of attendance of an event, all in one PDF to print."""

from __future__ import annotations

from flask_login import login_required

from registration.accounts.services import record
from registration.backoffice import bp
from registration.backoffice.access import current_account, managed_event_or_abort
from registration.certificates import document, services
from registration.certificates.views import pdf_response
from registration.extensions import db


@bp.get("/events/<int:event_id>/certificates.pdf")
@login_required
def event_certificates(event_id: int):
    """A certificate for each person checked in, by surname, one to a page, each in the
    person's language; those not yet issued are issued now, with their codes."""
    event = managed_event_or_abort(event_id)
    people = services.holders(event)
    # Personal data leave the service in a file: the audit log says who took them.
    record(current_account(), "certificates.download", event=event, count=len(people))
    db.session.commit()
    return pdf_response(document.pdf(people, event=event), f"certificates-{event.id}.pdf")
