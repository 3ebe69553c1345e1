"""Every page about accounts, in every state, passes ``check_page``: axe-core at zero WCAG
2.1 A and AA violations, no sideways scrolling and nothing logged as an error, in Polish
and English at 1280 and 390 pixels.

States: the list of accounts; inviting, empty and with errors; an account's page, active,
deactivated and one's own; one's own account with tokens, a new token shown once, and its
forms' errors; door staff's own account (no tokens); the forgotten-password form, its
errors and its answer; choosing a password from an invitation and a reset link, with an
error; and the pages for an expired and a broken link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from registration.accounts import links, services
from registration.accounts.models import Role
from registration.database import utcnow
from registration.extensions import db
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.browser

ADMIN = "admin@example.org"
ORGANISER = "organiser.wroclaw@example.org"
DOOR = "door.wroclaw@example.org"
GONE = "former.organiser@example.org"
INVITED = "invited.lublin@example.org"


@dataclass(frozen=True)
class Accounts:
    organiser: int
    gone: int
    admin: int


@pytest.fixture(scope="module")
def accounts(site) -> Accounts:
    """An admin, an organiser with API tokens, door staff, a deactivated organiser and an
    invited one, made once per module."""
    with site.app.app_context():
        admin = make_account(ADMIN, role="admin")
        organiser = make_account(ORGANISER)
        make_account(DOOR, role="check_in")
        gone = make_account(GONE, city_slug="gdansk")
        services.deactivate(gone)
        services.create_account(INVITED, role=Role.CHECK_IN, city=organiser.city)  # no password
        services.create_api_token(organiser, name="Strona miasta Wrocławia")
        old, _ = services.create_api_token(organiser, name="Stary skrypt eksportu")
        services.revoke_api_token(organiser, old.id)
        db.session.commit()
        return Accounts(organiser=organiser.id, gone=gone.id, admin=admin.id)


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()


def submit(page, form: str = "form.registration-form") -> None:
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").first.click()


def _goto(path: str, status: int = 200):
    def visit(page, ids, app):
        response = page.goto(path.format(ids=ids))
        assert response.status == status, f"{path}: {response.status}"

    return visit


def _invite_with_errors(page, ids, app):
    page.goto("/organiser/accounts/invite")
    page.locator("#email").fill("not an address")
    page.locator("#role").select_option("organiser")
    submit(page)
    assert page.locator("[aria-invalid=true]").count()


def _new_token(page, ids, app):
    page.goto("/organiser/account")
    page.locator("#name").fill("Skrypt raportów")
    page.locator("#expires_on").fill("2031-12-31")
    submit(page, "form[action$='/account/tokens']")
    assert page.locator("code.token-value").count() == 1


def _token_errors(page, ids, app):
    page.goto("/organiser/account")
    page.locator("#expires_on").fill("2001-01-01")
    submit(page, "form[action$='/account/tokens']")
    assert page.locator("[aria-invalid=true]").count()


def _password_errors(page, ids, app):
    page.goto("/organiser/account")
    page.locator("#current_password").fill("not the password")
    page.locator("#password").fill("short")
    submit(page, "form[action$='/account/password']")
    assert page.locator("[aria-invalid=true]").count()


def _forgot_errors(page, ids, app):
    page.goto("/organiser/password/forgot")
    submit(page)
    assert page.locator("[aria-invalid=true]").count()


def _forgot_sent(page, ids, app):
    page.goto("/organiser/password/forgot")
    page.locator("#email").fill("nobody@example.org")
    submit(page)
    assert page.url.endswith("/organiser/password/forgot/sent")


def _link(purpose: links.Purpose, *, expired: bool = False, error: bool = False):
    invitation = purpose == links.Purpose.INVITATION
    prefix = "/organiser/invitation/" if invitation else "/organiser/password/reset/"

    def visit(page, ids, app):
        with app.app_context():
            account = services.find_account(INVITED if invitation else ORGANISER)
            made = utcnow() - timedelta(days=8) if expired else None
            key = links.link_key(account, purpose, now=made)
        response = page.goto(prefix + key)
        assert response.status == (410 if expired else 200)
        if error:
            page.locator("#password").fill("short")
            submit(page)
            assert page.locator("[aria-invalid=true]").count()

    return visit


#: name → (who signs in, how the page is reached)
PAGES = {
    "accounts": (ADMIN, _goto("/organiser/accounts")),
    "invite": (ADMIN, _goto("/organiser/accounts/invite")),
    "invite-errors": (ADMIN, _invite_with_errors),
    "account-active": (ADMIN, _goto("/organiser/accounts/{ids.organiser}")),
    "account-deactivated": (ADMIN, _goto("/organiser/accounts/{ids.gone}")),
    "account-own": (ADMIN, _goto("/organiser/accounts/{ids.admin}")),
    "own-account": (ORGANISER, _goto("/organiser/account")),
    "own-account-new-token": (ORGANISER, _new_token),
    "own-account-token-errors": (ORGANISER, _token_errors),
    "own-account-password-errors": (ORGANISER, _password_errors),
    "own-account-door-staff": (DOOR, _goto("/organiser/account")),
    "forgot": (None, _goto("/organiser/password/forgot")),
    "forgot-errors": (None, _forgot_errors),
    "forgot-sent": (None, _forgot_sent),
    "invitation": (None, _link(links.Purpose.INVITATION)),
    "invitation-errors": (None, _link(links.Purpose.INVITATION, error=True)),
    "reset": (None, _link(links.Purpose.RESET)),
    "link-expired": (None, _link(links.Purpose.INVITATION, expired=True)),
    "link-broken": (None, _goto("/organiser/password/reset/broken-link", 404)),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_account_page_passes_the_page_checks(visitor, check_page, accounts, name):
    page = visitor.page
    account, reach = PAGES[name]
    if account:
        sign_in(page, account)
        assert "/login" not in page.url, f"{account} could not sign in"
    page.goto(f"/?lang={visitor.language}")  # the language sticks, as a visitor's choice does
    reach(page, accounts, visitor.app)

    assert page.locator("html").get_attribute("lang") == visitor.language
    check_page(page, f"accounts: {name}")
