"""Sessions live on the server: signing out or deactivating an account ends them, so a
copied cookie stops working with the original; the cookie itself is a ``__Host-`` cookie
in production. API tokens can be revoked from the command line (docs/commands.md)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registration.accounts.models import Account, AccountSession, ApiToken, AuditEntry
from registration.accounts.services import issue_api_token
from registration.database import utcnow
from registration.extensions import db
from tests.factories import PASSWORD, make_account, make_event

EMAIL = "organiser@example.org"


@pytest.fixture(autouse=True)
def event_id(app) -> int:
    """A Wrocław organiser (``EMAIL``, ``PASSWORD``) and an event of theirs."""
    with app.app_context():
        make_account(EMAIL)
        event = make_event()
        db.session.commit()
        return event.id


def sign_in(client, email: str = EMAIL) -> None:
    response = client.post("/organiser/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text


def copy_of(app, client, cookie_name: str = "session"):
    """Another browser with a copy of ``client``'s session cookie."""
    other = app.test_client()
    other.set_cookie(cookie_name, client.get_cookie(cookie_name).value)
    return other


def is_signed_in(client) -> bool:
    response = client.get("/organiser/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def sessions(app) -> list[AccountSession]:
    with app.app_context():
        return db.session.scalars(sa.select(AccountSession)).all()


def tokens_work(client, event_id: int, *tokens: str) -> list[bool]:
    return [
        client.get(
            f"/api/v1/events/{event_id}/registrations",
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
        == 200
        for token in tokens
    ]


class TestSigningOut:
    def test_a_copied_cookie_stops_working_when_the_original_signs_out(self, app, client):
        sign_in(client)
        thief = copy_of(app, client)
        assert is_signed_in(thief)
        assert client.post("/organiser/logout").status_code == 303
        assert not is_signed_in(client)
        response = thief.get("/organiser/events")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/organiser/login")
        assert sessions(app) == []

    def test_the_cookie_carries_a_secret_of_which_the_server_keeps_only_a_digest(self, app, client):
        sign_in(client)
        cookie = client.get_cookie("session").value
        secret = app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
        (stored,) = sessions(app)
        assert len(secret) >= 43  # 256 random bits
        assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in stored.digest

    def test_signing_in_again_ends_the_browsers_previous_session(self, app, client):
        sign_in(client)
        first = copy_of(app, client)
        sign_in(client)
        assert is_signed_in(client)
        assert not is_signed_in(first)
        assert len(sessions(app)) == 1

    def test_other_browsers_stay_signed_in(self, app, client):
        sign_in(client)
        laptop = app.test_client()
        sign_in(laptop)
        client.post("/organiser/logout")
        assert is_signed_in(laptop)

    def test_a_cookie_from_another_browser_is_still_refused(self, app, client):
        """Flask-Login's strong session protection: the same cookie from another
        browser (another User-Agent) signs nobody in."""
        sign_in(client)
        elsewhere = copy_of(app, client)
        elsewhere.environ_base["HTTP_USER_AGENT"] = "Another browser/1.0"
        assert not is_signed_in(elsewhere)

    def test_a_session_unused_for_twelve_hours_ends(self, app, client):
        sign_in(client)
        with app.app_context():
            db.session.execute(
                sa.update(AccountSession).values(last_seen_at=utcnow() - timedelta(hours=13))
            )
            db.session.commit()
        assert not is_signed_in(client)

    def test_using_a_session_notes_when_to_the_minute(self, app, client):
        sign_in(client)
        an_hour_ago = utcnow() - timedelta(hours=1)
        with app.app_context():
            db.session.execute(sa.update(AccountSession).values(last_seen_at=an_hour_ago))
            db.session.commit()
        assert is_signed_in(client)
        (used,) = sessions(app)
        assert used.last_seen_at > an_hour_ago
        assert is_signed_in(client)
        assert sessions(app)[0].last_seen_at == used.last_seen_at  # not again so soon

    def test_an_account_made_inactive_behind_our_back_is_signed_out(self, app, client):
        sign_in(client)
        with app.app_context():
            db.session.execute(sa.update(Account).values(active=False))
            db.session.commit()
        assert not is_signed_in(client)


class TestDeactivating:
    def test_ends_every_session_and_token_and_refuses_signing_in(
        self, app, client, runner, event_id
    ):
        sign_in(client)
        laptop = app.test_client()
        sign_in(laptop)
        with app.app_context():
            tokens = [issue_api_token(db.session.scalars(sa.select(Account)).one())]
            db.session.commit()
        result = runner.invoke(args=["users", "deactivate", " Organiser@Example.org"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == (
            "Deactivated organiser@example.org: 2 sessions ended, 1 API token revoked."
        )
        assert not is_signed_in(client)
        assert not is_signed_in(laptop)
        assert tokens_work(client, event_id, *tokens) == [False]
        response = client.post("/organiser/login", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 401
        with app.app_context():
            assert db.session.scalars(sa.select(AccountSession)).all() == []
            assert db.session.scalars(sa.select(AuditEntry.action)).all()[-1] == (
                "account.deactivate"
            )

    def test_twice_is_the_same_as_once(self, runner):
        runner.invoke(args=["users", "deactivate", EMAIL])
        result = runner.invoke(args=["users", "deactivate", EMAIL])
        assert result.exit_code == 0, result.output
        assert "0 sessions ended, 0 API tokens revoked" in result.output


class TestRevokingTokens:
    def test_stops_every_token_of_the_account_and_no_other(self, app, client, runner, event_id):
        with app.app_context():
            own = db.session.scalars(sa.select(Account)).one()
            other = make_account("admin@example.org", role="admin")
            tokens = [issue_api_token(own), issue_api_token(own), issue_api_token(other)]
            db.session.commit()
        sign_in(client)
        result = runner.invoke(args=["users", "revoke-tokens", EMAIL])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "Revoked 2 API tokens of organiser@example.org."
        assert tokens_work(client, event_id, *tokens) == [False, False, True]
        assert is_signed_in(client)  # signing in is another matter: see deactivate
        with app.app_context():
            revoked = db.session.scalars(sa.select(ApiToken.revoked_at).order_by(ApiToken.id))
            assert [when is not None for when in revoked] == [True, True, False]


@pytest.mark.parametrize("command", ["deactivate", "revoke-tokens"])
def test_an_unknown_address_is_a_clear_error(runner, command):
    result = runner.invoke(args=["users", command, "nobody@example.org"])
    assert result.exit_code != 0
    assert "no account for nobody@example.org" in result.output


class TestCookies:
    def test_production_uses_a_host_only_secure_session_cookie(self, make_app):
        app = make_app(REGISTRATION_ENV="production", SECRET_KEY="k" * 48)
        client = app.test_client()
        response = client.post("/organiser/login", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 303
        (cookie,) = response.headers.getlist("Set-Cookie")
        name, *attributes = [part.strip() for part in cookie.split(";")]
        assert name.startswith("__Host-session=")
        assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(attributes)
        assert not any(attribute.lower().startswith("domain") for attribute in attributes)
        assert is_signed_in(client)
        thief = copy_of(app, client, "__Host-session")
        client.post("/organiser/logout")
        assert not is_signed_in(thief)

    def test_development_keeps_a_plain_cookie_for_plain_http(self, make_app):
        app = make_app(REGISTRATION_ENV="development")
        response = app.test_client().post(
            "/organiser/login", data={"email": EMAIL, "password": PASSWORD}
        )
        (cookie,) = response.headers.getlist("Set-Cookie")
        assert cookie.startswith("session=")
        assert "Secure" not in cookie

    def test_the_language_cookie_is_secure_in_production_too(self, make_app):
        app = make_app(REGISTRATION_ENV="production", SECRET_KEY="k" * 48)
        (cookie,) = app.test_client().get("/?lang=en").headers.getlist("Set-Cookie")
        name, *attributes = [part.strip() for part in cookie.split(";")]
        assert name == "lang=en"
        assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(attributes)
