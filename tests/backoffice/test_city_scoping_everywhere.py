"""Every back-office address, found in the application's own URL map rather than listed by
hand: a page added later is covered the day it is added.

- A signed-out visitor is sent to sign in, except on the few pages meant for them.
- An organiser of another city who knows an event's id, a registration's id or a ticket's
  code is refused (403) on every page and action about it, and nothing changes.

A new address whose parameters this file cannot fill in fails here until it is taught
how: that is the point.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.routing import Rule

from registration.accounts.models import Account, ApiToken, AuditEntry
from registration.accounts.services import create_api_token
from registration.backoffice.access import CHECK_IN_ENDPOINTS
from registration.extensions import db
from registration.notifications.models import OutboxMessage
from registration.registrations.models import Registration
from tests.factories import make_account, make_event, make_registration

#: The back-office pages a signed-out visitor may open.
PUBLIC = {
    "backoffice.login",
    "backoffice.forgot_password",
    "backoffice.password_link_sent",
    "backoffice.reset_password",
    "backoffice.accept_invitation",
}
#: Addresses about the signed-in account itself, or about no event at all.
NOT_ABOUT_AN_EVENT = {
    "backoffice.dashboard",
    "backoffice.logout",
    "backoffice.own_account",
    "backoffice.change_password",
    "backoffice.create_token",
    "backoffice.event_list",
    "backoffice.new_event",
    "backoffice.audit_log",  # an organiser reads their own city's entries in it
    "backoffice.audit_log_csv",
    "backoffice.audit_log_xlsx",
    "backoffice.reports",  # an organiser counts their own city's events in it
    "backoffice.reports_csv",
    "backoffice.reports_xlsx",
    "backoffice.report_chart",
    "backoffice.check_in_lookup",
}
#: What each parameter is filled with, from the other city's event.
PARAMETERS = {
    "event_id": lambda target: target["event"],
    "registration_id": lambda target: target["registration"],
    "code": lambda target: target["code"],
    "batch": lambda target: "0123456789abcdef",
    "token": lambda target: "0" * 32,  # an import waiting for its confirmation
    "account_id": lambda target: target["account"],
    "token_id": lambda target: target["api_token"],
    "key": lambda target: "not-a-key",
    "breakdown": lambda target: "home_city",
}
#: Where another's thing is not found rather than forbidden: a token is only ever its
#: owner's, so there is no city to speak of.
NOT_FOUND_FOR_OTHERS = {"backoffice.revoke_token"}
#: What a POST sends: enough for every form, so that only the rights decide.
FORM = {
    "recipients": "confirmed",
    "subject": "Temat",
    "body": "Treść",
    "name": "Obca Osoba",
    "email": "obca@example.org",
    "consent": "y",
    "confirm": "y",
}


def back_office_rules(app) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("backoffice.")),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def requests(rule: Rule, target: dict) -> list[tuple[str, str]]:
    unknown = set(rule.arguments) - PARAMETERS.keys()
    assert not unknown, f"{rule.endpoint}: teach this test to fill in {unknown}"
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", str(PARAMETERS[name](target)))
        path = path.replace(f"<int:{name}>", str(PARAMETERS[name](target)))
    assert "<" not in path, path
    return [(method.lower(), path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


@pytest.fixture
def gdansk(app) -> dict:
    """Another city's event with a confirmed person and one in line."""
    with app.app_context():
        event = make_event(title="Seminarium w Gdańsku", city_slug="gdansk", capacity=1)
        holder = make_registration(event, name="Gdańska Osoba", email="gd@example.org")
        make_registration(event, name="Gdańska Kolejka", email="gd2@example.org")
        organiser = make_account("organiser.gdansk@example.org", city_slug="gdansk")
        token, _ = create_api_token(organiser, name="Gdańsk")
        db.session.commit()
        return {
            "event": event.id,
            "registration": holder.id,
            "code": holder.check_in_code,
            "account": organiser.id,
            "api_token": token.id,
        }


def state(app) -> tuple:
    """Everything a forbidden request could have changed."""
    with app.app_context():
        registrations = db.session.execute(
            sa.select(Registration.id, Registration.status, Registration.checked_in_at).order_by(
                Registration.id
            )
        ).all()
        messages = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
        accounts = db.session.execute(
            sa.select(Account.id, Account.role, Account.city_id, Account.active).order_by(
                Account.id
            )
        ).all()
        tokens = db.session.execute(sa.select(ApiToken.id, ApiToken.revoked_at)).all()
        return registrations, messages, accounts, tokens


def test_the_map_has_what_this_file_checks(app):
    """Not vacuous: the pages about one event or one person are found."""
    endpoints = {rule.endpoint for rule in back_office_rules(app)}
    assert {"backoffice.attendees", "backoffice.edit_event", "backoffice.check_in_ticket"} <= (
        endpoints
    )


def test_signed_out_visitors_are_sent_to_sign_in_everywhere(app, client, gdansk):
    before = state(app)
    for rule in back_office_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        for method, path in requests(rule, gdansk):
            response = getattr(client, method)(path, data=FORM if method == "post" else None)
            assert response.status_code in (302, 303), (method, path, response.status_code)
            assert response.headers["Location"].startswith("/organiser/login"), path
    assert state(app) == before


def test_another_citys_organiser_is_refused_everywhere_and_nothing_changes(
    app, client, signed_in, gdansk
):
    signed_in()  # an organiser of Wrocław
    before = state(app)
    checked = 0
    for rule in back_office_rules(app):
        if rule.endpoint in PUBLIC | NOT_ABOUT_AN_EVENT:
            continue
        for method, path in requests(rule, gdansk):
            response = getattr(client, method)(path, data=FORM if method == "post" else None)
            refused = 404 if rule.endpoint in NOT_FOUND_FOR_OTHERS else 403
            assert response.status_code == refused, (method, path, response.status_code)
            checked += 1
    assert checked >= 20
    assert state(app) == before
    with app.app_context():
        assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["account.login"]


def test_door_staff_reach_only_the_check_in_and_only_for_their_city(app, client, signed_in, gdansk):
    """Door staff of Wrocław: every page outside the check-in is refused, whatever it is
    about; the check-in pages of another city's event are refused too."""
    signed_in("door.wroclaw@example.org", role="check_in", city_slug="wroclaw")
    before = state(app)
    for rule in back_office_rules(app):
        if rule.endpoint in PUBLIC | {"backoffice.logout", "backoffice.dashboard"}:
            continue
        if rule.endpoint in CHECK_IN_ENDPOINTS and rule.endpoint in NOT_ABOUT_AN_EVENT:
            continue  # their own account, the list of today's events
        for method, path in requests(rule, gdansk):
            response = getattr(client, method)(path, data=FORM if method == "post" else None)
            assert response.status_code == 403, (method, path, response.status_code)
    assert state(app) == before
    dashboard = client.get("/organiser/")
    assert dashboard.status_code in (302, 303)
    assert dashboard.headers["Location"].endswith("/organiser/check-in")
