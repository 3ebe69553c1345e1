"""Bearer tokens for the organiser endpoints: 401 without a valid one, 403 outside one's city."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, request

from registration.accounts.models import Account
from registration.accounts.services import account_for_api_token
from registration.api.problems import Unauthenticated
from registration.events.models import Event
from registration.extensions import db


def organiser_required(view):
    """Let the view run only for a valid ``Authorization: Bearer <token>``; ``g.account`` is set."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        account = account_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            raise Unauthenticated
        if account.is_check_in:  # door staff have no API (and no tokens to use one)
            abort(403)
        g.account = account
        return view(*args, **kwargs)

    return wrapper


def current_api_account() -> Account:
    return g.account


def managed_event_or_abort(event_id: int) -> Event:
    """The event, if the token's account may manage it: 404 if none, 403 if not theirs."""
    event = db.session.get(Event, event_id) or abort(404)
    if not current_api_account().can_manage(event):
        abort(403)
    return event
