"""Certificate pages: the participant's download behind the manage link, and the public
verification of a code, which shows nothing beyond the name and the event."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registration.certificates import document, services
from registration.extensions import db, limiter
from registration.registrations import services as registrations

bp = Blueprint("certificates", __name__)

#: Like the other public look-ups: plenty for a person checking a few papers, too few to
#: try codes (60 random bits) in any number that matters.
VERIFY_LIMIT = "20 per minute;200 per hour"


@bp.get("/r/<token>/certificate.pdf")
def download(token: str):
    """The participant's certificate, once they were checked in; the manage link's token
    alone opens it (404 for anything else, as for any unknown address)."""
    registration = registrations.find_by_token(token) or abort(404)
    if not services.may_download(registration):
        abort(404)
    holder = services.Holder(
        registration, services.issue(registration), services.days_attended(registration)
    )
    db.session.commit()  # the code is kept from the first copy on
    return pdf_response(document.one(holder), document.filename(holder))


@bp.get("/certificates/verify")
@limiter.limit(VERIFY_LIMIT)
def verify():
    """The form to check a code; a code given (``?code=``) leads to its certificate."""
    typed = request.args.get("code", "")
    if not typed.strip():
        return render_template("certificates/verify.html", typed="", error=None)
    code = services.normalised_code(typed)
    if code is None:
        return _unknown(
            typed,
            _(
                "This is not a certificate code: a code has twelve letters and digits, "
                "like ABCD-EFGH-JKMN."
            ),
        )
    return redirect(url_for(".verify_code", code=code), code=303)


@bp.get("/certificates/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify_code(code: str):
    """What a certificate with this code says: the name, the event, its dates and the days
    attended; no more (anyone holding the paper may look)."""
    certificate = services.find_by_code(code)
    if certificate is None:
        return _unknown(code, _("No certificate has this code. Check that it is typed as printed."))
    if certificate.code != code:  # typed in lower case, or with spaces: the one address
        return redirect(url_for(".verify_code", code=certificate.code), code=303)
    registration = certificate.registration
    return render_template(
        "certificates/certificate.html",
        certificate=certificate,
        registration=registration,
        event=registration.event,
        date_range=document.date_range(registration.event),
        days=document.days_attended_text(services.days_attended(registration)),
        anonymised=registration.anonymised_at is not None,
    )


def _unknown(typed: str, error: str):
    # What was typed goes back into the form, cut short: it may be anything at all.
    shown = typed[: services.MAX_TYPED]
    return render_template("certificates/verify.html", typed=shown, error=error), 404


def pdf_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
