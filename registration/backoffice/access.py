"""Who may open which back-office page: the rule is ``Account.can_manage``."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from registration.accounts import services
from registration.accounts.models import Account
from registration.events.models import Event
from registration.extensions import db, login
from registration.registrations.models import Registration


@login.user_loader
def load_account(session_secret: str) -> Account | None:
    """The account signed in with the browser's session; Flask-Login keeps the session's
    secret where it would keep a user id (``Account.get_session_secret``)."""
    return services.account_for_session(session_secret)


def current_account() -> Account:
    return current_user._get_current_object()


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
