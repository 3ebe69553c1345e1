"""Accounts in the back office (docs/accounts.md): admins invite people and manage their
role, city and access; everyone changes their own password, resets a forgotten one by
email and keeps their own API tokens; door staff reach the door and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from registration.accounts import links, services
from registration.accounts.models import Account, ApiToken, AuditEntry, Role
from registration.backoffice.access import CHECK_IN_ENDPOINTS
from registration.database import utcnow
from registration.extensions import db
from registration.notifications.delivery import deliver_due
from registration.notifications.models import MessageKind, OutboxMessage
from tests.factories import PASSWORD, make_account, make_event, make_registration

NEW_PASSWORD = "a brand new passphrase"
ADMIN = "admin@example.org"
ORGANISER = "organiser@example.org"
DOOR = "door@example.org"


def account(app, email: str) -> Account:
    with app.app_context():
        found = services.find_account(email)
        db.session.expunge_all()
        return found


def audit(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            entry.details
            for entry in db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        ]


def outbox(app) -> list[tuple[MessageKind, str]]:
    with app.app_context():
        return [
            (message.kind, message.recipient)
            for message in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message, path: str) -> str:
    return re.search(rf"https://koalicja\.example\.org({path}/[\w.-]+)", text_of(message))[1]


def key_for(app, email: str, purpose: links.Purpose, **when) -> str:
    with app.app_context():
        return links.link_key(services.find_account(email), purpose, **when)


def page_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def flashes(client, url: str = "/organiser/account?lang=en") -> str:
    return page_of(client.get(url)).select_one(".flashes").get_text(" ", strip=True)


def api_status(app, token: str) -> int:
    """What the organiser API answers the token, asked for a Wrocław event's registrations."""
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    response = app.test_client().get(
        f"/api/v1/events/{event_id}/registrations", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/organiser/login", data={"email": email, "password": password})


# --- Who reaches which page -------------------------------------------------------------

ADMIN_PAGES = [
    ("get", "/organiser/accounts"),
    ("get", "/organiser/accounts/invite"),
    ("post", "/organiser/accounts/invite"),
    ("get", "/organiser/accounts/{id}"),
    ("post", "/organiser/accounts/{id}"),
    ("post", "/organiser/accounts/{id}/deactivate"),
    ("post", "/organiser/accounts/{id}/reactivate"),
]
OWN_PAGES = [
    ("get", "/organiser/account"),
    ("post", "/organiser/account/password"),
    ("post", "/organiser/account/tokens"),
    ("post", "/organiser/account/tokens/1/revoke"),
]


class TestScoping:
    @pytest.mark.parametrize(("method", "url"), ADMIN_PAGES + OWN_PAGES)
    def test_a_signed_out_visitor_is_sent_to_sign_in(self, app, client, method, url):
        with app.app_context():
            target = make_account().id
            db.session.commit()
        response = getattr(client, method)(url.format(id=target))
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/organiser/login")
        assert account(app, ORGANISER).role == Role.ORGANISER
        assert account(app, ORGANISER).active

    @pytest.mark.parametrize("role", ["organiser", "check_in"])
    @pytest.mark.parametrize(("method", "url"), ADMIN_PAGES)
    def test_only_admins_manage_accounts(self, app, client, signed_in, role, method, url):
        with app.app_context():
            target = make_account("other@example.org").id
            db.session.commit()
        signed_in(role=role)
        response = getattr(client, method)(
            url.format(id=target), data={"role": "admin", "email": "x@example.org"}
        )
        assert response.status_code == 403
        assert account(app, "other@example.org").role == Role.ORGANISER
        assert account(app, "other@example.org").active
        assert outbox(app) == []

    def test_the_organiser_has_no_accounts_entry_in_the_menu_but_their_own(self, client, signed_in):
        signed_in()
        nav = page_of(client.get("/organiser/?lang=en")).select_one("nav.backoffice-nav")
        entries = [a.get_text(strip=True) for a in nav.find_all("a")]
        assert "Accounts" not in entries
        assert "Your account" in entries

    def test_an_admin_has_both(self, client, signed_in):
        signed_in(ADMIN, role="admin", city_slug=None)
        nav = page_of(client.get("/organiser/?lang=en")).select_one("nav.backoffice-nav")
        entries = [a.get_text(strip=True) for a in nav.find_all("a")]
        assert {"Accounts", "Your account", "Audit log"} <= set(entries)

    def test_an_unknown_account_is_404(self, client, signed_in):
        signed_in(ADMIN, role="admin", city_slug=None)
        assert client.get("/organiser/accounts/999999").status_code == 404
        assert client.post("/organiser/accounts/999999/deactivate").status_code == 404
        assert client.get(f"/organiser/accounts/{10**30}").status_code == 404

    @pytest.mark.parametrize(
        "url",
        [
            "/organiser/accounts/1/deactivate",
            "/organiser/accounts/1/reactivate",
            "/organiser/account/password",
            "/organiser/account/tokens",
            "/organiser/account/tokens/1/revoke",
        ],
    )
    def test_no_get_changes_an_account_or_a_token(self, client, signed_in, url):
        signed_in(ADMIN, role="admin", city_slug=None)
        assert client.get(url).status_code == 405

    def test_every_change_needs_the_csrf_token(self, make_app):
        app = make_app(WTF_CSRF_ENABLED=True)
        client = app.test_client()
        with app.app_context():
            make_account(ADMIN, role="admin")
            target = make_account().id
            db.session.commit()
        login = client.get("/organiser/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
        client.post(
            "/organiser/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token}
        )
        for url in (
            f"/organiser/accounts/{target}/deactivate",
            f"/organiser/accounts/{target}",
            "/organiser/accounts/invite",
            "/organiser/account/password",
            "/organiser/account/tokens",
            "/organiser/account/tokens/1/revoke",
            "/organiser/password/forgot",
        ):
            assert client.post(url, data={"role": "admin", "name": "x"}).status_code == 400, url
        assert account(app, ORGANISER).active
        assert account(app, ORGANISER).role == Role.ORGANISER


class TestDoorStaff:
    @pytest.fixture
    def tickets(self, app) -> dict:
        """A ticket for a Wrocław event and one for a Gdańsk event."""
        with app.app_context():
            wroclaw = make_registration(make_event())
            gdansk = make_registration(make_event(city_slug="gdansk"), email="g@example.org")
            db.session.commit()
            return {
                "wroclaw": (wroclaw.id, wroclaw.check_in_code, wroclaw.event_id),
                "gdansk": (gdansk.id, gdansk.check_in_code, gdansk.event_id),
            }

    def test_signing_in_leads_to_the_check_in_page_and_so_does_the_dashboard(self, app, client):
        with app.app_context():
            make_account(DOOR, role="check_in")
            db.session.commit()
        assert sign_in(client, DOOR).headers["Location"] == "/organiser/check-in"
        response = client.get("/organiser/")
        assert response.status_code == 303
        assert response.headers["Location"] == "/organiser/check-in"

    def test_the_menu_offers_only_the_door_and_their_own_account(self, client, signed_in):
        signed_in(DOOR, role="check_in")
        nav = page_of(client.get("/organiser/check-in?lang=en")).select_one("nav.backoffice-nav")
        assert [a.get_text(strip=True) for a in nav.find_all("a")] == ["Check-in", "Your account"]

    def test_every_other_back_office_page_is_403(self, app, client, signed_in, tickets):
        """Every route of the back office, with made-up ids: only the allowlist answers."""
        signed_in(DOOR, role="check_in")
        registration_id, code, event_id = tickets["wroclaw"]
        values = {
            "event_id": event_id,
            "registration_id": registration_id,
            "account_id": 1,
            "token_id": 1,
            "code": code,
            "batch": "x",
            "key": "x",
            "token": "0" * 32,
            "breakdown": "home_city",
        }
        checked = 0
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("backoffice.") or rule.endpoint in CHECK_IN_ENDPOINTS:
                continue
            if rule.endpoint == "backoffice.dashboard":
                continue  # a redirect to the door, above
            url = rule.build({name: values[name] for name in rule.arguments})[1]
            for method in rule.methods & {"GET", "POST"}:
                response = client.open(url, method=method)
                assert response.status_code == 403, (rule.endpoint, method)
                checked += 1
        assert checked > 20
        with app.app_context():
            assert db.session.get(type(account(app, DOOR)), 1) is not None

    def test_they_check_people_in_at_their_citys_events(self, app, client, signed_in, tickets):
        signed_in(DOOR, role="check_in")
        _, code, _ = tickets["wroclaw"]
        assert client.get(f"/organiser/check-in?code={code}").status_code == 303
        assert client.get(f"/organiser/check-in/{code}").status_code == 200
        # The event is a fortnight away: checking in today asks for a second tap.
        assert client.post(f"/organiser/check-in/{code}").status_code == 409
        confirmed = client.post(f"/organiser/check-in/{code}", data={"confirm": "other-day"})
        assert confirmed.status_code == 303
        assert audit(app, "registration.check_in")

    def test_another_citys_door_staff_get_403_at_this_citys_door(
        self, app, client, signed_in, tickets
    ):
        signed_in(DOOR, role="check_in", city_slug="gdansk")
        registration_id, code, _ = tickets["wroclaw"]
        assert client.get(f"/organiser/check-in?code={code}").status_code == 403
        assert client.get(f"/organiser/check-in/{code}").status_code == 403
        assert client.post(f"/organiser/check-in/{code}").status_code == 403
        assert (
            client.post(f"/organiser/registrations/{registration_id}/check-in").status_code == 403
        )
        assert audit(app, "registration.check_in") == []

    def test_they_change_their_own_password_but_see_no_tokens(self, app, client, signed_in):
        signed_in(DOOR, role="check_in")
        page = page_of(client.get("/organiser/account?lang=en"))
        assert page.find("form", action="/organiser/account/password")
        assert not page.find("form", action="/organiser/account/tokens")
        response = client.post("/organiser/account/tokens", data={"name": "scanner"})
        assert response.status_code == 403
        with app.app_context():
            assert db.session.scalars(sa.select(ApiToken)).all() == []

    def test_the_organiser_api_refuses_them(self, app):
        with app.app_context():
            organiser = make_account()
            token = services.issue_api_token(organiser)
            organiser.role = Role.CHECK_IN  # as if the token had outlived the change
            db.session.commit()
        assert api_status(app, token) == 403


# --- Admins: the accounts -------------------------------------------------------------


class TestAccountsList:
    def test_it_shows_role_city_status_and_last_sign_in(self, app, client, signed_in):
        with app.app_context():
            make_account(DOOR, role="check_in", city_slug="lodz")
            gone = make_account("gone@example.org")
            gone.active = False
            db.session.commit()
        signed_in(ADMIN, role="admin", city_slug=None)
        page = page_of(client.get("/organiser/accounts?lang=en"))
        rows = {
            row.th.get_text(" ", strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
            for row in page.select("tbody tr")
        }
        assert rows[DOOR][:3] == ["Door staff (check-in)", "Łódź", "Active"]
        assert rows[DOOR][3] == "never"
        assert rows["gone@example.org"][2] == "Deactivated"
        assert rows[f"{ADMIN} (you)"][:2] == ["Admin", "—"]
        assert rows[f"{ADMIN} (you)"][3] != "never"

    def test_in_polish_too(self, client, signed_in):
        signed_in(ADMIN, role="admin", city_slug=None)
        page = page_of(client.get("/organiser/accounts?lang=pl"))
        assert page.h1.get_text(strip=True) == "Konta"


class TestInviting:
    def test_an_invitation_arrives_and_its_link_sets_the_password_once(
        self, mail_app, smtp, signed_in
    ):
        client = mail_app.test_client()
        with mail_app.app_context():
            admin = make_account(ADMIN, role="admin").id
            db.session.commit()
        sign_in(client, ADMIN)
        response = client.post(
            "/organiser/accounts/invite?lang=en",
            data={
                "name": " Nowa  Osoba ",
                "email": " New.Person@Example.org ",
                "role": "organiser",
                "city": "lublin",
            },
        )
        assert response.status_code == 303
        invited = account(mail_app, "new.person@example.org")
        assert (invited.role, invited.password_hash) == (Role.ORGANISER, None)
        assert invited.name == "Nowa Osoba"
        assert audit(mail_app, "account.invite") == [
            {"account_id": invited.id, "role": "organiser", "city": "lublin"}
        ]
        with mail_app.app_context():
            assert deliver_due().sent == 1
        [email] = smtp.messages_to("new.person@example.org")
        assert email["Subject"] == "Your account in the Koalicja Miast back office"
        assert "Lublin" in text_of(email)
        path = link_in(email, "/organiser/invitation")
        visitor = mail_app.test_client()
        form = visitor.get(path)
        assert form.status_code == 200
        assert form.headers["Cache-Control"] == "no-store"
        assert visitor.post(path, data={"password": "short"}).status_code == 422
        done = visitor.post(path, data={"password": NEW_PASSWORD})
        assert done.status_code == 303
        assert done.headers["Location"] == "/organiser/login"
        assert sign_in(visitor, "new.person@example.org", NEW_PASSWORD).status_code == 303
        assert visitor.get(path).status_code == 404  # used
        assert audit(mail_app, "account.invitation_accepted") == [{"account_id": invited.id}]
        assert admin != invited.id

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"email": "not an address", "role": "organiser", "city": "wroclaw"}, "email", None),
            ({"email": "a" * 100_000 + "@x.org", "role": "organiser"}, "email", None),
            (
                {"name": "A", "email": ADMIN, "role": "organiser", "city": "wroclaw"},
                "email",
                "already exists",
            ),
            (
                {"name": "A", "email": "x@example.org", "role": "organiser", "city": ""},
                "city",
                "needs a city",
            ),
            ({"name": "A", "email": "x@example.org", "role": "check_in"}, "city", "needs a city"),
            ({"email": "x@example.org", "role": "superuser", "city": "wroclaw"}, "role", None),
            ({"email": "x@example.org", "role": "organiser", "city": "atlantis"}, "city", None),
            ({"email": ["a@x.org", "b@x.org"], "role": ["superuser", "admin"]}, "role", None),
            ({"email": "x@example.org", "role": "organiser", "city": "wroclaw"}, "name", None),
            ({"name": "A\nB", "email": "x@example.org", "role": "admin"}, "name", None),
        ],
    )
    def test_what_cannot_be_an_account_is_said_beside_its_field(
        self, app, client, signed_in, data, field, message
    ):
        signed_in(ADMIN, role="admin", city_slug=None)
        response = client.post("/organiser/accounts/invite?lang=en", data=data)
        assert response.status_code in (409, 422)
        page = page_of(response)
        assert page.select_one(".error-summary")
        if field:
            error = page.select_one(f"#{field}-error")
            assert error
            if message:
                assert message in error.get_text()
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1
        assert outbox(app) == []


class TestEditing:
    def test_an_admin_changes_role_and_city_and_it_is_audited(self, app, client, signed_in):
        with app.app_context():
            target = make_account().id
            db.session.commit()
        signed_in(ADMIN, role="admin", city_slug=None)
        response = client.post(
            f"/organiser/accounts/{target}", data={"role": "check_in", "city": "szczecin"}
        )
        assert response.status_code == 303
        changed = account(app, ORGANISER)
        assert (changed.role, changed.city.slug) == (Role.CHECK_IN, "szczecin")
        assert audit(app, "account.update") == [
            {
                "account_id": target,
                "role": ["organiser", "check_in"],
                "city": ["wroclaw", "szczecin"],
                "tokens_revoked": 0,
            }
        ]

    def test_an_admin_cannot_demote_themselves(self, app, client, signed_in):
        me = signed_in(ADMIN, role="admin", city_slug=None)
        response = client.post(
            f"/organiser/accounts/{me}?lang=en", data={"role": "organiser", "city": "wroclaw"}
        )
        assert response.status_code == 409
        assert "cannot change your own role" in page_of(response).select_one(".error-summary").text
        assert account(app, ADMIN).role == Role.ADMIN

    def test_an_admin_cannot_deactivate_themselves(self, app, client, signed_in):
        me = signed_in(ADMIN, role="admin", city_slug=None)
        response = client.post(f"/organiser/accounts/{me}/deactivate")
        assert response.status_code == 303
        message = flashes(client, f"/organiser/accounts/{me}")
        assert "Nie możesz dezaktywować własnego konta" in message
        assert account(app, ADMIN).active
        assert audit(app, "account.deactivate") == []

    def test_deactivating_signs_the_account_out_at_once_and_reactivating_lets_it_back(
        self, app, client, signed_in
    ):
        with app.app_context():
            target = make_account().id
            token = services.issue_api_token(services.find_account(ORGANISER))
            db.session.commit()
        theirs = app.test_client()
        sign_in(theirs, ORGANISER)
        assert theirs.get("/organiser/").status_code == 200
        signed_in(ADMIN, role="admin", city_slug=None)
        assert client.post(f"/organiser/accounts/{target}/deactivate").status_code == 303
        assert theirs.get("/organiser/").status_code == 302  # to the sign-in page
        assert api_status(app, token) == 401
        assert sign_in(theirs, ORGANISER).status_code == 401
        assert audit(app, "account.deactivate") == [
            {"account_id": target, "sessions": 1, "tokens": 1}
        ]
        assert client.post(f"/organiser/accounts/{target}/reactivate").status_code == 303
        assert sign_in(theirs, ORGANISER).status_code == 303
        assert audit(app, "account.reactivate") == [{"account_id": target}]


# --- Everyone: their own account --------------------------------------------------------


class TestOwnPassword:
    def test_changing_it_needs_the_current_one(self, app, client, signed_in):
        signed_in()
        response = client.post(
            "/organiser/account/password?lang=en",
            data={"current_password": "wrong", "password": NEW_PASSWORD},
        )
        assert response.status_code == 422
        assert "not right" in page_of(response).select_one("#current_password-error").text
        assert audit(app, "account.password_changed") == []

    def test_a_changed_password_signs_other_browsers_out(self, app, client, signed_in):
        account_id = signed_in()
        other = app.test_client()
        sign_in(other, ORGANISER)
        response = client.post(
            "/organiser/account/password",
            data={"current_password": PASSWORD, "password": NEW_PASSWORD},
        )
        assert response.status_code == 303
        assert client.get("/organiser/account").status_code == 200
        assert other.get("/organiser/account").status_code == 302
        assert sign_in(other, ORGANISER, NEW_PASSWORD).status_code == 303
        assert audit(app, "account.password_changed") == [{"account_id": account_id}]

    def test_a_short_one_is_refused_beside_its_field(self, client, signed_in):
        signed_in()
        response = client.post(
            "/organiser/account/password?lang=en",
            data={"current_password": PASSWORD, "password": "short"},
        )
        assert response.status_code == 422
        assert "at least 12 characters" in page_of(response).select_one("#password-error").text


class TestOwnTokens:
    def test_a_new_token_is_shown_once_and_works(self, app, client, signed_in):
        signed_in()
        response = client.post(
            "/organiser/account/tokens?lang=en", data={"name": "Strona Lublina", "expires_on": ""}
        )
        assert response.status_code == 201
        assert response.headers["Cache-Control"] == "no-store"
        token = page_of(response).select_one("code.token-value").get_text()
        assert api_status(app, token) == 200
        again = client.get("/organiser/account?lang=en")
        assert token not in again.text
        row = page_of(again).select_one("tbody tr")
        assert row.th.get_text() == "Strona Lublina"
        assert row.find_all("td")[2].get_text(strip=True) != "never"  # just used
        [details] = audit(app, "token.create")
        assert token not in str(details)

    def test_an_expiry_date_is_kept_and_the_past_refused(self, app, client, signed_in):
        signed_in()
        ok = client.post(
            "/organiser/account/tokens", data={"name": "til 2031", "expires_on": "2031-06-30"}
        )
        assert ok.status_code == 201
        past = client.post(
            "/organiser/account/tokens?lang=en", data={"name": "old", "expires_on": "2001-01-01"}
        )
        assert past.status_code == 422
        assert "in the future" in page_of(past).select_one("#expires_on-error").text
        for hostile in ({"name": "x" * 5000}, {"name": "n", "expires_on": "31/12/2031"}, {}):
            assert client.post("/organiser/account/tokens", data=hostile).status_code == 422
        with app.app_context():
            assert db.session.scalars(sa.select(ApiToken.name)).all() == ["til 2031"]

    def test_a_token_is_revoked_by_its_owner_only(self, app, client, signed_in):
        with app.app_context():
            theirs = services.create_api_token(
                make_account("other@example.org", city_slug="gdansk"), name="theirs"
            )[0].id
            db.session.commit()
        signed_in()
        assert client.post(f"/organiser/account/tokens/{theirs}/revoke").status_code == 404
        assert client.post("/organiser/account/tokens/99999999/revoke").status_code == 404
        client.post("/organiser/account/tokens", data={"name": "mine"})
        with app.app_context():
            mine = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == "mine"))
        assert client.post(f"/organiser/account/tokens/{mine}/revoke").status_code == 303
        with app.app_context():
            assert db.session.get(ApiToken, mine).revoked_at is not None
            assert db.session.get(ApiToken, theirs).revoked_at is None
        assert audit(app, "token.revoke") == [{"token_id": mine}]


# --- A forgotten password ----------------------------------------------------------------


class TestForgottenPassword:
    def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(self, app):
        with app.app_context():
            make_account()
            db.session.commit()
        answers = []
        for address in (ORGANISER, "nobody@example.org"):
            client = app.test_client()
            asked = client.post("/organiser/password/forgot", data={"email": address})
            sent = client.get(asked.headers["Location"])
            answers.append(
                (
                    asked.status_code,
                    asked.headers["Location"],
                    sent.status_code,
                    sent.text.replace(address, "…"),
                )
            )
        assert answers[0] == answers[1]
        assert outbox(app) == [(MessageKind.PASSWORD_RESET, ORGANISER)]

    def test_the_link_arrives_works_once_and_signs_the_account_out(self, mail_app, smtp):
        with mail_app.app_context():
            make_account()
            db.session.commit()
        signed = mail_app.test_client()
        sign_in(signed, ORGANISER)
        client = mail_app.test_client()
        client.post("/organiser/password/forgot?lang=pl", data={"email": "Organiser@example.org"})
        with mail_app.app_context():
            deliver_due()
        [email] = smtp.messages_to(ORGANISER)
        assert email["Subject"] == "Ustaw nowe hasło do panelu organizatora Koalicji Miast"
        path = link_in(email, "/organiser/password/reset")
        assert client.get(path).status_code == 200
        assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 303
        assert signed.get("/organiser/").status_code == 302
        assert sign_in(client, ORGANISER, NEW_PASSWORD).status_code == 303
        assert client.post(path, data={"password": "another new passphrase"}).status_code == 404
        assert sign_in(mail_app.test_client(), ORGANISER, NEW_PASSWORD).status_code == 303
        assert len(audit(mail_app, "account.password_reset")) == 1

    def test_an_expired_link_is_410_and_offers_a_new_one(self, app, client):
        with app.app_context():
            make_account()
            db.session.commit()
        key = key_for(app, ORGANISER, links.Purpose.RESET, now=utcnow() - timedelta(hours=2))
        response = client.get(f"/organiser/password/reset/{key}?lang=en")
        assert response.status_code == 410
        page = page_of(response)
        assert page.h1.get_text() == "This link has expired"
        assert page.find("form", action="/organiser/password/forgot")
        assert (
            client.post(
                f"/organiser/password/reset/{key}", data={"password": NEW_PASSWORD}
            ).status_code
            == 410
        )

    @pytest.mark.parametrize(
        "tamper", [lambda k: k[:-2] + "xx", lambda k: "x" + k, lambda k: "%00"]
    )
    def test_a_tampered_link_is_404(self, app, client, tamper):
        with app.app_context():
            make_account()
            db.session.commit()
        key = tamper(key_for(app, ORGANISER, links.Purpose.RESET))
        assert client.get(f"/organiser/password/reset/{key}").status_code == 404
        assert (
            client.post(
                f"/organiser/password/reset/{key}", data={"password": NEW_PASSWORD}
            ).status_code
            == 404
        )

    def test_an_invitation_link_is_no_reset_link(self, app, client):
        with app.app_context():
            make_account()
            db.session.commit()
        key = key_for(app, ORGANISER, links.Purpose.INVITATION)
        assert client.get(f"/organiser/password/reset/{key}").status_code == 404
        assert client.get(f"/organiser/invitation/{key}").status_code == 200

    def test_asking_is_rate_limited_per_address_whoever_asks(self, make_app):
        app = make_app(RATELIMIT_ENABLED=True)
        statuses = []
        for number in range(7):
            client = app.test_client()
            response = client.post(
                "/organiser/password/forgot",
                data={"email": "nobody@example.org"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{number}"},
            )
            statuses.append(response.status_code)
        assert statuses == [303] * 5 + [429] * 2

    @pytest.mark.parametrize("email", ["", "x" * 100_000, "\x00@example.org", ["a", "b"]])
    def test_hostile_input_gets_an_answer_not_an_error(self, client, email):
        response = client.post("/organiser/password/forgot", data={"email": email})
        assert response.status_code in (303, 422)

    def test_the_sign_in_page_links_it(self, client):
        assert page_of(client.get("/organiser/login")).find("a", href="/organiser/password/forgot")
