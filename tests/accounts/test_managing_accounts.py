"""Managing accounts (docs/accounts.md): roles and cities, deactivation, passwords and the
links that set them, named and expiring API tokens; in the domain and on the command line."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from registration.accounts import links, services
from registration.accounts.errors import (
    CityRequired,
    ExpiryInThePast,
    LastAdmin,
    NoTokensForDoorStaff,
    NotYourself,
    PasswordTooShort,
    TokenNameRequired,
    TokenNameTooLong,
    TokenNotFound,
    WrongPassword,
)
from registration.accounts.models import Account, AccountSession, ApiToken, AuditEntry, Role
from registration.database import utcnow
from registration.extensions import db
from registration.i18n import WARSAW
from registration.notifications.models import MessageKind, OutboxMessage
from tests.factories import PASSWORD, city, make_account

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def admin(ctx) -> Account:
    account = make_account("admin@example.org", role="admin")
    db.session.commit()
    return account


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


class TestDoorStaff:
    def test_door_staff_work_for_one_city_like_an_organiser(self, ctx):
        staff = make_account("door@example.org", role="check_in", city_slug="gdansk")
        assert staff.role == Role.CHECK_IN
        assert staff.is_check_in
        assert not staff.is_admin
        assert staff.city.slug == "gdansk"

    def test_door_staff_need_a_city(self, ctx):
        with pytest.raises(CityRequired):
            services.create_account("door@example.org", role=Role.CHECK_IN, city=None)

    def test_door_staff_cannot_have_api_tokens(self, ctx):
        staff = make_account("door@example.org", role="check_in")
        with pytest.raises(NoTokensForDoorStaff):
            services.create_api_token(staff, name="scanner")

    def test_an_organiser_made_door_staff_loses_the_tokens_they_had(self, admin):
        organiser = make_account()
        _, token = services.create_api_token(organiser, name="website")
        changes = services.change_role(admin, organiser, role=Role.CHECK_IN, city=city("wroclaw"))
        assert changes == {"role": ["organiser", "check_in"], "tokens_revoked": 1}
        assert services.account_for_api_token(token) is None


class TestRolesAndCities:
    def test_changes_are_returned_for_the_audit_log(self, admin):
        organiser = make_account()
        changes = services.change_role(admin, organiser, role=Role.ORGANISER, city=city("lodz"))
        assert changes == {"city": ["wroclaw", "lodz"]}
        assert organiser.city.slug == "lodz"

    def test_an_admin_has_no_city_whatever_was_chosen(self, admin):
        organiser = make_account()
        changes = services.change_role(admin, organiser, role=Role.ADMIN, city=city("lodz"))
        assert changes == {"role": ["organiser", "admin"], "city": ["wroclaw", None]}
        assert organiser.city is None

    def test_nothing_chosen_anew_is_no_change(self, admin):
        organiser = make_account()
        assert services.change_role(admin, organiser, role=Role.ORGANISER, city=city()) == {}

    def test_an_organiser_needs_a_city(self, admin):
        organiser = make_account()
        with pytest.raises(CityRequired):
            services.change_role(admin, organiser, role=Role.ORGANISER, city=None)

    def test_an_admin_cannot_demote_themselves(self, admin):
        with pytest.raises(NotYourself):
            services.change_role(admin, admin, role=Role.ORGANISER, city=city())
        assert admin.role == Role.ADMIN

    def test_the_last_active_admin_stays_an_admin(self, admin):
        """Another admin, deactivated, does not count: nobody could manage accounts."""
        other = make_account("other-admin@example.org", role="admin")
        services.deactivate(admin)
        with pytest.raises(LastAdmin):
            services.change_role(admin, other, role=Role.ORGANISER, city=city())


class TestDeactivation:
    def test_an_admin_cannot_deactivate_themselves(self, admin):
        with pytest.raises(NotYourself):
            services.deactivate_by(admin, admin)
        assert admin.active

    def test_the_last_active_admin_cannot_be_deactivated(self, admin):
        other = make_account("other-admin@example.org", role="admin")
        services.deactivate(admin)
        with pytest.raises(LastAdmin):
            services.deactivate_by(admin, other)

    def test_deactivating_ends_sessions_and_tokens_at_once(self, admin):
        organiser = make_account()
        secret = services.start_session(organiser)
        _, token = services.create_api_token(organiser, name="website")
        done = services.deactivate_by(admin, organiser)
        assert done == services.Deactivated(sessions_ended=1, tokens_revoked=1)
        assert services.account_for_session(secret) is None
        assert services.account_for_api_token(token) is None

    def test_a_reactivated_account_signs_in_again_but_its_tokens_stay_revoked(self, admin):
        organiser = make_account()
        _, token = services.create_api_token(organiser, name="website")
        services.deactivate_by(admin, organiser)
        db.session.commit()
        assert services.authenticate(organiser.email, PASSWORD) is None
        services.reactivate(organiser)
        db.session.commit()
        assert services.authenticate(organiser.email, PASSWORD) == organiser
        assert services.account_for_api_token(token) is None


class TestPasswords:
    def test_changing_needs_the_current_password(self, ctx):
        organiser = make_account()
        with pytest.raises(WrongPassword):
            services.change_password(organiser, current="wrong", new=NEW_PASSWORD, keeping=None)
        db.session.commit()
        assert services.authenticate(organiser.email, PASSWORD) is not None

    def test_a_new_password_is_long_enough(self, ctx):
        organiser = make_account()
        with pytest.raises(PasswordTooShort):
            services.change_password(organiser, current=PASSWORD, new="short", keeping=None)

    def test_changing_signs_out_every_other_browser(self, ctx):
        organiser = make_account()
        here = services.start_session(organiser)
        elsewhere = services.start_session(organiser)
        services.change_password(organiser, current=PASSWORD, new=NEW_PASSWORD, keeping=here)
        db.session.commit()
        assert services.account_for_session(here) == organiser
        assert services.account_for_session(elsewhere) is None
        assert services.authenticate(organiser.email, NEW_PASSWORD) == organiser

    def test_an_invited_account_has_no_password_to_prove(self, admin):
        invited = services.invite(
            admin, "new@example.org", role=Role.ORGANISER, city=city(), language="pl"
        )
        with pytest.raises(WrongPassword):
            services.change_password(invited, current="", new=NEW_PASSWORD, keeping=None)


class TestLinks:
    def test_an_invitation_queues_its_email_without_the_secret(self, admin):
        invited = services.invite(
            admin, " New@Example.org ", role=Role.CHECK_IN, city=city("lublin"), language="en"
        )
        assert invited.password_hash is None
        [message] = outbox()
        assert message.kind == MessageKind.ACCOUNT_INVITATION
        assert message.recipient == "new@example.org"
        assert message.registration_id is None
        assert message.language == "en"
        assert message.context == {
            "account_id": invited.id,
            "purpose": "invitation",
            "invited_by": admin.id,
        }

    def test_a_link_works_once(self, ctx):
        organiser = make_account()
        key = links.link_key(organiser, links.Purpose.RESET)
        assert links.account_for_key(key, links.Purpose.RESET) == organiser
        services.choose_password(organiser, NEW_PASSWORD)
        with pytest.raises(links.LinkInvalid):
            links.account_for_key(key, links.Purpose.RESET)

    def test_choosing_a_password_signs_the_account_out_everywhere(self, ctx):
        organiser = make_account()
        secret = services.start_session(organiser)
        assert services.choose_password(organiser, NEW_PASSWORD) == 1
        assert services.account_for_session(secret) is None

    @pytest.mark.parametrize(
        ("purpose", "works_for"),
        [(links.Purpose.RESET, timedelta(hours=1)), (links.Purpose.INVITATION, timedelta(days=7))],
    )
    def test_a_link_expires(self, ctx, purpose, works_for):
        organiser = make_account()
        made = utcnow()
        key = links.link_key(organiser, purpose, now=made)
        almost = made + works_for - timedelta(minutes=1)
        assert links.account_for_key(key, purpose, now=almost) == organiser
        with pytest.raises(links.LinkExpired):
            links.account_for_key(key, purpose, now=made + works_for + timedelta(seconds=2))

    def test_a_reset_link_is_no_invitation_and_the_reverse(self, ctx):
        organiser = make_account()
        reset = links.link_key(organiser, links.Purpose.RESET)
        invitation = links.link_key(organiser, links.Purpose.INVITATION)
        with pytest.raises(links.LinkInvalid):
            links.account_for_key(reset, links.Purpose.INVITATION)
        with pytest.raises(links.LinkInvalid):
            links.account_for_key(invitation, links.Purpose.RESET)

    @pytest.mark.parametrize("key", ["", "x", "a.b.c", "W10.abc.def", "%00" * 50, "é" * 5000])
    def test_made_up_keys_open_nothing(self, ctx, key):
        with pytest.raises(links.LinkInvalid):
            links.account_for_key(key, links.Purpose.RESET)

    @pytest.mark.parametrize("payload", [[1], ["1", "x"], [True, "x"], {"id": 1}, 1, None])
    def test_a_signed_payload_of_the_wrong_shape_opens_nothing(self, ctx, payload):
        signed = links._serializer(links.Purpose.RESET, None).dumps(payload)
        with pytest.raises(links.LinkInvalid):
            links.account_for_key(signed, links.Purpose.RESET)

    def test_a_deactivated_account_opens_no_link(self, admin):
        organiser = make_account()
        key = links.link_key(organiser, links.Purpose.RESET)
        services.deactivate_by(admin, organiser)
        with pytest.raises(links.LinkInvalid):
            links.account_for_key(key, links.Purpose.RESET)

    def test_a_reset_is_queued_only_for_an_active_account(self, admin):
        organiser = make_account()
        gone = make_account("gone@example.org")
        services.deactivate_by(admin, gone)
        for address in (" Organiser@Example.org", "gone@example.org", "nobody@example.org"):
            services.send_password_reset(address, language="pl")
        for hostile in ("", "\x00" * 10, "a" * 10_000):
            services.send_password_reset(hostile, language="pl")
        assert [(m.kind, m.recipient) for m in outbox()] == [
            (MessageKind.PASSWORD_RESET, organiser.email)
        ]


class TestApiTokens:
    def test_a_token_has_a_name_and_an_expiry_at_the_end_of_its_last_day_in_warsaw(self, ctx):
        organiser = make_account()
        row, token = services.create_api_token(
            organiser, name="  Gdańsk   website ", expires_on=date(2031, 3, 30)
        )
        assert row.name == "Gdańsk website"
        assert row.expires_at == datetime(2031, 3, 31, tzinfo=WARSAW)
        assert token not in (row.digest, row.name)

    def test_an_expired_token_is_refused_like_a_revoked_one(self, ctx):
        organiser = make_account()
        row, token = services.create_api_token(organiser, name="w", expires_on=date(2031, 1, 1))
        db.session.commit()
        assert services.account_for_api_token(token, now=row.expires_at - timedelta(seconds=1))
        assert services.account_for_api_token(token, now=row.expires_at) is None

    @pytest.mark.parametrize(
        ("name", "error"),
        [
            ("", TokenNameRequired),
            ("   ", TokenNameRequired),
            ("\x00", TokenNameRequired),
            ("x" * 101, TokenNameTooLong),
        ],
    )
    def test_a_token_needs_a_sensible_name(self, ctx, name, error):
        with pytest.raises(error):
            services.create_api_token(make_account(), name=name)

    def test_a_token_cannot_expire_in_the_past(self, ctx):
        with pytest.raises(ExpiryInThePast):
            services.create_api_token(
                make_account(), name="old", expires_on=utcnow().date() - timedelta(days=2)
            )

    def test_tokens_are_listed_newest_first_with_their_last_use(self, ctx):
        organiser = make_account()
        _, token = services.create_api_token(organiser, name="first")
        services.create_api_token(organiser, name="second")
        db.session.commit()
        services.account_for_api_token(token)
        db.session.commit()
        db.session.expire_all()
        listed = services.api_tokens_of(organiser)
        assert [row.name for row in listed] == ["second", "first"]
        assert listed[1].last_used_at is not None
        assert listed[0].last_used_at is None

    def test_one_revokes_only_a_token_of_ones_own(self, ctx):
        organiser = make_account()
        other = make_account("other@example.org", city_slug="gdansk")
        theirs, token = services.create_api_token(other, name="theirs")
        with pytest.raises(TokenNotFound):
            services.revoke_api_token(organiser, theirs.id)
        with pytest.raises(TokenNotFound):
            services.revoke_api_token(organiser, 10**9)
        assert services.account_for_api_token(token) == other
        services.revoke_api_token(other, theirs.id)
        revoked_at = theirs.revoked_at
        services.revoke_api_token(other, theirs.id)  # again: nothing changes
        assert theirs.revoked_at == revoked_at
        assert services.account_for_api_token(token) is None


class TestCommandLine:
    def test_token_takes_a_name_and_a_last_day(self, app, runner):
        with app.app_context():
            make_account()
            db.session.commit()
        result = runner.invoke(
            args=[
                *("users", "token", "organiser@example.org"),
                *("--name", "Lublin site", "--expires", "2031-12-31"),
            ]
        )
        assert result.exit_code == 0, result.output
        token = result.output.strip()
        with app.app_context():
            row = db.session.scalars(sa.select(ApiToken)).one()
            assert (row.name, row.expires_at) == (
                "Lublin site",
                datetime(2032, 1, 1, tzinfo=WARSAW),
            )
            assert services.account_for_api_token(token).email == "organiser@example.org"
            [entry] = db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "token.create")
            )
            assert entry.details == {"token_id": row.id, "expires_at": row.expires_at.isoformat()}

    def test_a_token_without_a_name_is_named_cli(self, app, runner):
        with app.app_context():
            make_account()
            db.session.commit()
        assert runner.invoke(args=["users", "token", "organiser@example.org"]).exit_code == 0
        with app.app_context():
            assert db.session.scalars(sa.select(ApiToken.name)).one() == "CLI"

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            (["--expires", "2020-01-01"], "The expiry date must be in the future"),
            (["--expires", "31.12.2031"], "Invalid value for '--expires'"),
            (["--name", ""], "Give the token a name"),
        ],
    )
    def test_token_refuses_in_english(self, app, runner, options, message):
        with app.app_context():
            make_account()
            db.session.commit()
        result = runner.invoke(args=["users", "token", "organiser@example.org", *options])
        assert result.exit_code != 0
        assert message in result.output
        with app.app_context():
            assert db.session.scalars(sa.select(ApiToken)).all() == []

    def test_door_staff_are_made_with_a_city_and_get_no_token(self, app, runner):
        result = runner.invoke(
            args=[
                *("users", "create", "door@example.org"),
                *("--role", "check_in", "--city", "Poznań", "--password-stdin"),
            ],
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
        assert "Created check_in door@example.org for Poznań." in result.output
        refused = runner.invoke(args=["users", "token", "door@example.org"])
        assert refused.exit_code != 0
        assert "Door staff accounts cannot have API tokens." in refused.output


class TestMigration:
    def test_existing_tokens_sessions_and_audit_authors_survive_the_upgrade(self, ctx):
        """SQLite copies the account table to admit the new role; what refers to it stays."""
        organiser = make_account()
        secret = services.start_session(organiser)
        _, token = services.create_api_token(organiser, name="website")
        services.record(organiser, "account.login")
        db.session.commit()
        account_id = organiser.id
        db.session.remove()
        downgrade(revision="0013_retention")
        upgrade()
        assert services.account_for_api_token(token).id == account_id
        assert services.account_for_session(secret).id == account_id
        assert db.session.scalars(sa.select(ApiToken.name)).one() == "CLI"
        assert db.session.scalars(sa.select(AuditEntry.account_id)).one() == account_id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountSession)) == 1

    def test_door_staff_accounts_are_refused_before_the_upgrade_and_admitted_after(self, ctx):
        downgrade(revision="0013_retention")
        wroclaw = city().id
        insert = sa.text(
            "INSERT INTO account (email, role, city_id, active, created_at) "
            "VALUES ('door@example.org', 'check_in', :city, true, CURRENT_TIMESTAMP)"
        )
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(insert, {"city": wroclaw})
        db.session.rollback()
        upgrade()
        db.session.execute(insert, {"city": wroclaw})
        db.session.commit()
