"""Organiser accounts: created on the command line, signed in safely, scoped to a city."""

from __future__ import annotations

import os
import re
import secrets

import pytest
import sqlalchemy as sa

from registration.accounts.models import Account, ApiToken, AuditEntry
from registration.accounts.services import account_for_api_token, safe_next
from registration.extensions import db
from tests.factories import PASSWORD, make_account, make_event


def sign_in(client, email="organiser@example.org", password=PASSWORD, next_url=None):
    url = "/organiser/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


class TestCommandLine:
    def test_users_create_makes_an_organiser_of_a_city_with_a_hashed_password(self, app, runner):
        result = runner.invoke(
            args=[
                "users",
                "create",
                "Ola@Example.org",
                "--role",
                "organiser",
                "--city",
                "Łódź",
                "--password-stdin",
            ],
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
        assert "Created organiser ola@example.org for Łódź." in result.output
        with app.app_context():
            account = db.session.scalars(sa.select(Account)).one()
            assert account.city.slug == "lodz"
            assert account.password_hash.startswith("$argon2id$")
            assert PASSWORD not in account.password_hash

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["--role", "organiser"], "an organiser needs a city"),
            (["--role", "organiser", "--city", "Berlin"], "no city called 'Berlin'"),
            (["--role", "admin"], "at least 12 characters"),
        ],
    )
    def test_users_create_refuses_with_a_clear_message(self, runner, arguments, message):
        password = "short" if message.startswith("at least") else PASSWORD
        result = runner.invoke(
            args=["users", "create", "x@example.org", *arguments, "--password-stdin"],
            input=password + "\n",
        )
        assert result.exit_code != 0
        assert message in result.output

    def test_users_token_prints_a_token_that_is_stored_only_hashed(self, app, runner):
        with app.app_context():
            make_account()
            db.session.commit()
        result = runner.invoke(args=["users", "token", "organiser@example.org"])
        assert result.exit_code == 0
        token = result.output.strip()
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
        with app.app_context():
            assert token not in db.session.scalars(sa.select(ApiToken.digest)).one()
            assert account_for_api_token(token).email == "organiser@example.org"
            assert account_for_api_token(token[:-1] + "x") is None


class TestSigningIn:
    @pytest.fixture(autouse=True)
    def organiser(self, app):
        with app.app_context():
            make_account()
            db.session.commit()

    def test_back_office_pages_ask_for_sign_in_first(self, client):
        response = client.get("/organiser/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/organiser/login?next=")

    def test_right_password_signs_in_and_goes_to_the_dashboard(self, app, client):
        response = sign_in(client)
        assert (response.status_code, response.headers["Location"]) == (303, "/organiser/")
        assert "Upcoming events" in client.get("/organiser/?lang=en").text
        with app.app_context():
            assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["account.login"]

    def test_wrong_password_or_unknown_address_says_the_same(self, client):
        wrong = sign_in(client, password="not the password")
        unknown = sign_in(client, email="nobody@example.org")
        assert wrong.status_code == unknown.status_code == 401
        assert "Nieprawidłowy adres e-mail lub hasło." in wrong.text
        assert "Nieprawidłowy adres e-mail lub hasło." in unknown.text
        assert client.get("/organiser/").status_code == 302

    def test_next_goes_only_to_our_own_pages(self, client):
        assert sign_in(client, next_url="/organiser/?x=1").headers["Location"] == "/organiser/?x=1"
        client.post("/organiser/logout")
        for hostile in (
            "https://evil.example.com/",
            "//evil.example.com",
            "/\\evil.example.com",
            "javascript:alert(1)",
        ):
            response = sign_in(client, next_url=hostile)
            assert response.headers["Location"] == "/organiser/", hostile
            client.post("/organiser/logout")

    def test_sign_out_is_a_post(self, client):
        sign_in(client)
        assert client.get("/organiser/logout").status_code == 405
        assert client.post("/organiser/logout").status_code == 303
        assert client.get("/organiser/").status_code == 302

    def test_an_inactive_account_cannot_sign_in(self, app, client):
        with app.app_context():
            db.session.execute(sa.update(Account).values(active=False))
            db.session.commit()
        assert sign_in(client).status_code == 401


def test_sign_in_attempts_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [sign_in(client, password="guess").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_dashboard_shows_only_the_organisers_city(app, client):
    with app.app_context():
        make_account()
        make_event(title="Wrocławskie seminarium", city_slug="wroclaw")
        make_event(title="Gdańskie seminarium", city_slug="gdansk")
        db.session.commit()
    sign_in(client)
    html = client.get("/organiser/").text
    assert "Wrocławskie seminarium" in html
    assert "Gdańskie seminarium" not in html


def test_an_admin_sees_every_city(app, client):
    with app.app_context():
        make_account("admin@example.org", role="admin", city_slug=None)
        make_event(title="Wrocławskie seminarium", city_slug="wroclaw")
        make_event(title="Gdańskie seminarium", city_slug="gdansk")
        db.session.commit()
    sign_in(client, email="admin@example.org")
    html = client.get("/organiser/").text
    assert "Wrocławskie seminarium" in html
    assert "Gdańskie seminarium" in html


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/organiser/events/3", "/organiser/events/3"),
        ("//evil.example", None),
        ("https://evil.example", None),
        ("organiser", None),
        ("/\\evil", None),
        ("/organiser/\r\nSet-Cookie: session=stolen", None),
        ("/organiser/\x00", None),
        ("/organiser/events?q=Łódź", "/organiser/events?q=Łódź"),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
def test_rate_limits_are_shared_between_processes_through_redis(make_app):
    """With several gunicorn workers, each must see the others' attempts (SPEC section 3)."""
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"]}
    workers = [make_app(**settings).test_client(), make_app(**settings).test_client()]
    # Limits are counted per client address, and Redis outlives test runs: each run
    # comes from an address of its own (the benchmarking range; nothing is sent there).
    address = f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    for worker in workers:
        worker.environ_base["REMOTE_ADDR"] = address
    statuses = [sign_in(workers[n % 2], password="guess").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
