"""Organiser accounts: created on the command line, signed in safely, scoped to a city."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from registration.accounts.models import Account, ApiToken, AuditEntry
from registration.accounts.services import account_for_api_token, issue_api_token, safe_next
from registration.database import utcnow
from registration.extensions import db
from tests.factories import PASSWORD, make_account, make_event, make_registration

GUESS = "not the password"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


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
            (["--role", "organiser"], "An organiser or door staff account needs a city"),
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

    def test_users_token_finds_the_account_by_any_spelling_of_its_address(self, app, runner):
        with app.app_context():
            make_account("Zoë@Exämple.pl")
            db.session.commit()
        result = runner.invoke(args=["users", "token", "zoe\u0308@xn--exmple-cua.pl"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            assert account_for_api_token(result.output.strip()).email == "zoë@xn--exmple-cua.pl"


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

    def test_any_spelling_of_the_address_signs_in(self, app, client):
        with app.app_context():
            make_account("Zoë@Exämple.pl")
            db.session.commit()
        assert sign_in(client, email="zoe\u0308@xn--exmple-cua.pl").status_code == 303

    def test_wrong_password_or_unknown_address_says_the_same(self, client):
        wrong = sign_in(client, password="not the password")
        unknown = sign_in(client, email="nobody@example.org")
        assert wrong.status_code == unknown.status_code == 401
        assert "Nieprawidłowy adres e-mail lub hasło." in wrong.text
        assert "Nieprawidłowy adres e-mail lub hasło." in unknown.text
        assert client.get("/organiser/").status_code == 302

    @pytest.mark.parametrize(
        "email", ["organiser\x00@example.org", "x" * 10_000 + "@example.org", "@", "  "]
    )
    def test_a_hostile_address_is_just_a_wrong_one(self, client, email):
        assert sign_in(client, email=email).status_code in (200, 401)  # never a 500

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


class TestThrottlingPerAccount:
    """Guessing one account's password from many addresses is slowed down as well: ten
    wrong passwords an hour per account, on top of the limit per address."""

    @pytest.fixture
    def attempt(self, make_app):
        """``attempt(address, email=..., password=...)``: a sign-in from that client address."""
        app = make_app(RATELIMIT_ENABLED=True)
        with app.app_context():
            make_account()
            db.session.commit()

        def from_address(address, email="organiser@example.org", password=GUESS):
            client = app.test_client()  # a browser of its own: attempts may run at once
            client.environ_base["REMOTE_ADDR"] = address
            return sign_in(client, email=email, password=password)

        return from_address

    def test_ten_wrong_passwords_from_ten_addresses_lock_the_account_for_a_while(self, attempt):
        statuses = [attempt(f"198.18.0.{n}").status_code for n in range(1, 12)]
        assert statuses == [401] * 10 + [429]
        # Now even the right password waits, from a fresh address, in any spelling.
        assert attempt("198.18.1.1", password=PASSWORD).status_code == 429
        assert attempt("198.18.1.2", email=" Organiser@EXAMPLE.org").status_code == 429
        # Other accounts are not held up, from the same addresses.
        assert attempt("198.18.0.1", email="someone@example.org").status_code == 401

    def test_an_account_that_does_not_exist_is_throttled_alike(self, attempt):
        """The answer must not tell whether an address has an account."""
        for n in range(1, 11):
            attempt(f"198.18.0.{n}")
            attempt(f"198.18.0.{n}", email="nobody@example.org")
        known = attempt("198.18.1.1")
        unknown = attempt("198.18.1.2", email="nobody@example.org")
        assert known.status_code == unknown.status_code == 429
        assert known.text == unknown.text

    def test_parallel_guesses_cannot_overtake_the_count(self, attempt, monkeypatch):
        """Twenty guesses at once, each from its own address, while argon2 takes its
        usual time: ten are checked, the rest wait, not one more."""
        from argon2 import PasswordHasher

        from registration.accounts import services

        monkeypatch.setattr(services, "_hasher", PasswordHasher())  # the real cost
        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(lambda n: attempt(f"198.18.2.{n}").status_code, range(20)))
        assert sorted(statuses) == [401] * 10 + [429] * 10


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
    """With several gunicorn workers, each must see the others' attempts (docs/configuration.md)."""
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"]}
    workers = [make_app(**settings).test_client(), make_app(**settings).test_client()]
    # Limits are counted per client address, and Redis outlives test runs: each run
    # comes from an address of its own (the benchmarking range; nothing is sent there).
    address = f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    for worker in workers:
        worker.environ_base["REMOTE_ADDR"] = address
    # Per account too: an address of this run's own, for the same reason.
    email = f"organiser-{secrets.token_hex(4)}@example.org"
    statuses = [
        sign_in(workers[n % 2], email=email, password="guess").status_code for n in range(11)
    ]
    assert statuses == [401] * 10 + [429]


class TestApiTokenUse:
    """``last_used_at`` tells an admin which tokens are alive, without making reads write."""

    @pytest.fixture
    def use_token(self, app):
        """``use_token()`` reads an attendee list with the organiser's token."""
        with app.app_context():
            token = issue_api_token(make_account())
            event = make_event()
            db.session.commit()
            path = f"/api/v1/events/{event.id}/registrations"
        client = app.test_client()

        def use() -> None:
            assert client.get(path, headers=bearer(token)).status_code == 200

        return use

    @staticmethod
    def last_used(app) -> datetime | None:
        with app.app_context():
            return db.session.scalars(sa.select(ApiToken.last_used_at)).one()

    @staticmethod
    def set_last_used(app, when: datetime) -> None:
        with app.app_context():
            db.session.execute(sa.update(ApiToken).values(last_used_at=when))
            db.session.commit()

    def test_a_token_notes_when_it_was_last_used_to_the_minute(self, app, use_token):
        assert self.last_used(app) is None
        before = utcnow()
        use_token()
        first = self.last_used(app)
        assert first is not None
        assert before <= first <= utcnow()
        half_a_minute_ago = utcnow() - timedelta(seconds=30)
        self.set_last_used(app, half_a_minute_ago)
        use_token()
        assert self.last_used(app) == half_a_minute_ago  # not written again so soon
        self.set_last_used(app, utcnow() - timedelta(minutes=2))
        use_token()
        assert self.last_used(app) >= before

    def test_a_writing_request_notes_the_use_with_its_own_changes(self, app, client):
        with app.app_context():
            token = issue_api_token(make_account())
            registration = make_registration(make_event())
            db.session.commit()
            registration_id = registration.id
        response = client.post(
            f"/api/v1/registrations/{registration_id}/check-in?other_day=true",
            headers=bearer(token),
        )
        assert response.status_code == 200
        assert self.last_used(app) is not None

    def test_noting_a_use_never_fails_a_read_that_a_writer_overtook(
        self, app, use_token, backend, database_url
    ):
        """SQLite: a GET reads in a deferred transaction; had another connection committed
        since its first read, a write inside it would fail at once with "database is
        locked". The note goes in a transaction of its own instead."""
        if backend != "sqlite":
            pytest.skip("a deferred read transaction is a SQLite matter")
        path = sa.make_url(database_url).database
        with app.app_context():
            engine = db.engine

        def overtake(connection, cursor, statement, parameters, context, executemany):
            if "FROM api_token" in statement:  # the request has begun reading
                with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
                    other.execute("UPDATE city SET name = name WHERE slug = 'wroclaw'")

        sa.event.listen(engine, "after_cursor_execute", overtake)
        try:
            use_token()
        finally:
            sa.event.remove(engine, "after_cursor_execute", overtake)
        assert self.last_used(app) is not None


def test_a_rate_limit_store_that_is_away_limits_in_memory_instead(make_app):
    """Redis restarting must not turn sign-ins (or registrations) into errors: each worker
    counts on its own meanwhile, and the limits still hold."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    client = app.test_client()
    statuses = [sign_in(client, password="guess").status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]
