"""A person's own data, on the site: asking for the link (the form on /privacy), the page
it opens, the JSON download, and erasure, asked first (docs/privacy.md)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, redirect, render_template, session, url_for

from registration.database import utcnow
from registration.extensions import db, limiter
from registration.i18n import current_language
from registration.privacy import own_data
from registration.privacy.forms import DataRequestForm

bp = Blueprint("own_data", __name__)

#: Asking for the link sends an email: a person needs it once or twice.
DATA_LINK_LIMIT = "5 per minute;30 per hour"
#: Where the form keeps the address typed, for the answer after the redirect.
_DATA_LINK_ADDRESS = "data_link_address"


@bp.app_template_global()
def new_data_request_form() -> DataRequestForm:
    """The form of ``privacy/_data_request.html``, for a page that includes it as it is."""
    return DataRequestForm(formdata=None)


@bp.route("/privacy/data-link", methods=["GET", "POST"])
@limiter.limit(DATA_LINK_LIMIT, methods=["POST"])
def request_link():
    """Send the link to the address's data, if we hold any; answer the same either way."""
    form = DataRequestForm()
    if form.validate_on_submit():
        own_data.send_data_link(form.email.data, language=current_language())
        db.session.commit()
        session[_DATA_LINK_ADDRESS] = form.email.data
        return redirect(url_for(".link_sent"), code=303)
    page = render_template("privacy/data_request.html", data_request_form=form)
    return page, 422 if form.errors else 200


@bp.get("/privacy/data-link/sent")
def link_sent():
    """The answer to a request: the same for every address."""
    address = session.get(_DATA_LINK_ADDRESS)
    if not isinstance(address, str):
        return redirect(url_for(".request_link"), code=303)
    return render_template(
        "privacy/data_link_sent.html",
        address=address,
        quiet_minutes=_minutes(own_data.DATA_LINK_QUIET_PERIOD),
        valid_minutes=_minutes(own_data.DATA_LINK_MAX_AGE),
    )


@bp.get("/privacy/data/<key>")
def show(key: str):
    """What we hold about the address, with the download and the way to erase it."""
    participant = own_data.participant_for_key(key)
    return render_template(
        "privacy/data.html",
        key=key,
        participant=participant,
        registrations=own_data.registrations_of(participant),
        messages=own_data.messages_of(participant),
        now=utcnow(),
    )


@bp.get("/privacy/data/<key>/download")
def download(key: str):
    """Everything held about the address, as a JSON file."""
    participant = own_data.participant_for_key(key)
    body = json.dumps(own_data.export(participant), ensure_ascii=False, indent=2)
    own_data.record_export(participant)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="koalicja-miast-data.json"'},
    )


@bp.get("/privacy/data/<key>/erase")
def confirm_erase(key: str):
    """Ask before erasing: the page says what will happen; only its POST erases."""
    participant = own_data.participant_for_key(key)
    held = own_data.registrations_of(participant)
    return render_template(
        "privacy/erase.html",
        key=key,
        participant=participant,
        to_cancel=own_data.given_up_by_erasure(held, now=utcnow()),
    )


@bp.post("/privacy/data/<key>/erase")
@limiter.limit(DATA_LINK_LIMIT)
def erase(key: str):
    """Erase everything about the address; its link then opens nothing."""
    participant = own_data.participant_for_key(key)
    own_data.erase(participant)
    return redirect(url_for(".erased"), code=303)


@bp.get("/privacy/data/erased")
def erased():
    """Said after an erasure; the same page for anybody who opens it."""
    return render_template("privacy/erased.html")


@bp.errorhandler(own_data.LinkExpired)
def link_expired(error: own_data.LinkExpired):
    return _link_refused(expired=True), 410


@bp.errorhandler(own_data.LinkInvalid)
def link_invalid(error: own_data.LinkInvalid):
    """Altered, made up, or erased since: one answer for all."""
    return _link_refused(expired=False), 404


def _link_refused(*, expired: bool) -> str:
    """The page for a link that opens nothing, with the form to ask for a new one."""
    return render_template(
        "privacy/link_invalid.html", expired=expired, data_request_form=new_data_request_form()
    )


def _minutes(period) -> int:
    return int(period.total_seconds() // 60)
