"""Who may open which back-office page: the rule is ``Account.can_manage``, and door
staff reach only ``CHECK_IN_ENDPOINTS``."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from registration.accounts import services
from registration.accounts.models import Account
from registration.backoffice import bp
from registration.events.models import Event
from registration.extensions import db, login
from registration.registrations.models import Registration

#: Every back-office endpoint a door staff account (``Role.CHECK_IN``) may reach: signing
#: in and out, its own password, and finding people and checking them in. Within these,
#: ``Account.can_manage`` keeps them to their city's events, as it keeps organisers.
CHECK_IN_ENDPOINTS = frozenset(
    {
        "backoffice.login",
        "backoffice.logout",
        "backoffice.own_account",
        "backoffice.change_password",
        "backoffice.forgot_password",
        "backoffice.password_link_sent",
        "backoffice.reset_password",
        "backoffice.accept_invitation",
        "backoffice.check_in_lookup",
        "backoffice.check_in_ticket",
        "backoffice.check_in_by_ticket",
        "backoffice.check_in_registration",
        "backoffice.event_check_in",
        "backoffice.undo_check_in",
        "backoffice.registration_at_the_door",
    }
)
#: Where door staff start: the dashboard and signing in lead there.
DOOR_STAFF_HOME = "backoffice.check_in_lookup"


@login.user_loader
def load_account(session_secret: str) -> Account | None:
    """The account signed in with the browser's session; Flask-Login keeps the session's
    secret where it would keep a user id (``Account.get_session_secret``)."""
    return services.account_for_session(session_secret)


def current_account() -> Account:
    return current_user._get_current_object()


@bp.before_request
def keep_door_staff_at_the_door():
    """The one place that keeps door staff to the door: every other page is 403."""
    if not current_user.is_authenticated or not current_account().is_check_in:
        return None
    if request.endpoint == "backoffice.dashboard":
        return redirect(url_for(DOOR_STAFF_HOME), code=303)
    if request.endpoint not in CHECK_IN_ENDPOINTS:
        abort(403)
    return None


def home_url(account: Account) -> str:
    """Where the account starts after signing in."""
    return url_for(DOOR_STAFF_HOME if account.is_check_in else "backoffice.dashboard")


def admin_or_abort() -> Account:
    """The signed-in account, if it is an admin's; 403 otherwise."""
    account = current_account()
    if not account.is_admin:
        abort(403)
    return account


def managed_event_or_abort(event_id: int) -> Event:
    """The event, if the signed-in organiser may manage it: 404 if none, 403 if not theirs."""
    event = db.session.get(Event, event_id) or abort(404)
    if not current_account().can_manage(event):
        abort(403)
    return event


def managed_registration_or_abort(registration_id: int) -> Registration:
    """The registration, if the signed-in organiser may manage its event: 404 if none,
    403 if not theirs."""
    registration = db.session.get(Registration, registration_id) or abort(404)
    if not current_account().can_manage(registration.event):
        abort(403)
    return registration
