"""Back-office fixtures: sign the test client in as an organiser or an admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from registration.accounts.models import Account
from registration.extensions import db
from tests.factories import PASSWORD, make_account


@pytest.fixture
def signed_in(app, client):
    """``signed_in(email, role="organiser", city_slug="wroclaw")`` → the account's id.

    Creates the account (password ``PASSWORD``) unless it exists, then signs
    ``client`` in through the login form, signing out whoever was signed in.
    """

    def sign_in(
        email: str = "organiser@example.org",
        *,
        role: str = "organiser",
        city_slug: str | None = "wroclaw",
    ) -> int:
        with app.app_context():
            account = db.session.scalar(sa.select(Account).where(Account.email == email))
            if account is None:
                account = make_account(email, role=role, city_slug=city_slug)
                db.session.commit()
            account_id = account.id
        client.post("/organiser/logout")
        response = client.post("/organiser/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 303, response.text
        return account_id

    return sign_in
