"""Accounts in the back office: admins invite and manage accounts; everyone changes
their own password, resets a forgotten one by email, and keeps their API tokens
(docs/accounts.md). The rules live in ``accounts.services``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from registration.accounts import links, services
from registration.accounts.models import (
    MAX_ACCOUNT_NAME_LENGTH,
    MAX_TOKEN_NAME_LENGTH,
    Account,
    Role,
)
from registration.backoffice import bp
from registration.backoffice.access import admin_or_abort, current_account
from registration.database import utcnow
from registration.email_addresses import MAX_EMAIL_LENGTH
from registration.events.services import all_cities
from registration.extensions import db, limiter
from registration.forms import Form, PolishDateField, at_most, email_address, one_line, strip
from registration.i18n import current_language
from registration.labels import ROLES

#: Asking for a reset link sends an email: a person needs it once or twice.
RESET_LIMIT = "5 per minute;20 per hour"
#: Per address asked about, whether or not it has an account, so that the limit tells
#: nothing: nobody can fill an inbox with links.
ADDRESS_RESET_LIMIT = "5 per hour"
#: Forms that check or hash a password (slow on purpose): per client address.
PASSWORD_FORM_LIMIT = "10 per minute;50 per hour"  # noqa: S105  (a rate, not a password)
#: Where the forgotten-password form keeps the address typed, for the answer after the
#: redirect.
_RESET_ADDRESS = "password_reset_address"
_PASSWORD_HINT = _l("At least %(min)d characters.", min=services.MIN_PASSWORD_LENGTH)


def _city_choices() -> list[tuple[str, str]]:
    return [("", _("None (admins)"))] + [(city.slug, city.name) for city in all_cities()]


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(ROLES[role.value])) for role in Role]


class RoleForm(Form):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    city = SelectField(_l("City"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()
        self.city.choices = _city_choices()

    def chosen(self) -> tuple[Role, object]:
        """The role and the city (a ``City`` or ``None``) chosen."""
        cities = {city.slug: city for city in all_cities()}
        return Role(self.role.data), cities.get(self.city.data or "")


class InviteForm(RoleForm):
    name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[DataRequired(), at_most(MAX_ACCOUNT_NAME_LENGTH), one_line],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[DataRequired(), at_most(MAX_EMAIL_LENGTH), email_address],
        render_kw={"autocomplete": "off"},
    )


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), at_most(1000)],
        render_kw={"autocomplete": "new-password"},
    )


class ChoosePasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), at_most(1000)],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(Form):
    name = StringField(
        _l("Token name"),
        filters=[strip],
        validators=[DataRequired(), at_most(MAX_TOKEN_NAME_LENGTH)],
        render_kw={"autocomplete": "off"},
    )
    expires_on = PolishDateField(_l("Last day it works (optional)"), validators=[Optional()])


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[DataRequired(), at_most(MAX_EMAIL_LENGTH)],
        render_kw={"autocomplete": "username"},
    )


def _refused(form: Form, error: services.AccountError) -> None:
    """Show the service's objection beside its field; nothing was saved."""
    db.session.rollback()
    for field, messages in error.field_errors().items():
        target = getattr(form, field, None) if field else None
        if target is not None:
            target.errors = [*target.errors, *map(str, messages)]
        else:
            form.form_errors.extend(str(message) for message in messages)


def _account_or_abort(account_id: int) -> Account:
    return db.session.get(Account, account_id) or abort(404)


# --- Admins: every account ------------------------------------------------------------


@bp.get("/accounts")
@login_required
def accounts():
    """Every account: role, city, whether active, the last sign-in (admins only)."""
    admin_or_abort()
    return render_template("backoffice/accounts/index.html", accounts=services.all_accounts())


@bp.route("/accounts/invite", methods=["GET", "POST"])
@login_required
def invite_account():
    """Create an account and email it the link to choose a password."""
    admin = admin_or_abort()
    form = InviteForm()
    if form.validate_on_submit():
        role, city = form.chosen()
        try:
            account = services.invite(
                admin,
                form.email.data,
                role=role,
                city=city,
                language=current_language(),
                name=form.name.data,
            )
        except services.AccountError as error:
            _refused(form, error)
            return _invite_page(form, status=error.status)
        services.record(
            admin,
            "account.invite",
            account_id=account.id,
            role=role.value,
            city=city.slug if account.city else None,
        )
        db.session.commit()
        flash(
            _(
                "%(email)s is invited: the link to choose a password is on its way.",
                email=account.email,
            ),
            "success",
        )
        return redirect(url_for(".accounts"), code=303)
    return _invite_page(form, status=422 if form.errors else 200)


def _invite_page(form: InviteForm, *, status: int):
    return render_template("backoffice/accounts/invite.html", form=form), status


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@login_required
def edit_account(account_id: int):
    """Change an account's role and city; deactivate or reactivate it."""
    admin = admin_or_abort()
    account = _account_or_abort(account_id)
    form = RoleForm(
        data={"role": account.role.value, "city": account.city.slug if account.city else ""}
    )
    if form.validate_on_submit():
        role, city = form.chosen()
        try:
            changes = services.change_role(admin, account, role=role, city=city)
        except services.AccountError as error:
            _refused(form, error)
            return _edit_page(form, account, status=error.status)
        if changes:
            services.record(admin, "account.update", account_id=account.id, **changes)
        db.session.commit()
        flash(_("The account of %(email)s is saved.", email=account.email), "success")
        return redirect(url_for(".accounts"), code=303)
    return _edit_page(form, account, status=422 if form.errors else 200)


def _edit_page(form: RoleForm, account: Account, *, status: int):
    page = render_template("backoffice/accounts/edit.html", form=form, account=account)
    return page, status


@bp.post("/accounts/<int:account_id>/deactivate")
@login_required
def deactivate_account(account_id: int):
    """The account can no longer sign in: its sessions end and its tokens stop at once."""
    admin = admin_or_abort()
    account = _account_or_abort(account_id)
    try:
        done = services.deactivate_by(admin, account)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".edit_account", account_id=account_id), code=303)
    services.record(
        admin,
        "account.deactivate",
        account_id=account.id,
        sessions=done.sessions_ended,
        tokens=done.tokens_revoked,
    )
    db.session.commit()
    flash(_("%(email)s is deactivated and signed out everywhere.", email=account.email), "success")
    return redirect(url_for(".edit_account", account_id=account_id), code=303)


@bp.post("/accounts/<int:account_id>/reactivate")
@login_required
def reactivate_account(account_id: int):
    """The account can sign in again with its password."""
    admin = admin_or_abort()
    account = _account_or_abort(account_id)
    if not account.active:
        services.reactivate(account)
        services.record(admin, "account.reactivate", account_id=account.id)
        db.session.commit()
    flash(_("%(email)s can sign in again.", email=account.email), "success")
    return redirect(url_for(".edit_account", account_id=account_id), code=303)


# --- Everyone: one's own account --------------------------------------------------------


@bp.get("/account")
@login_required
def own_account():
    """Change one's password; see, create and revoke one's API tokens."""
    return _own_page(ChangePasswordForm(formdata=None), TokenForm(formdata=None))


def _own_page(password_form, token_form, *, new_token: str | None = None, status: int = 200):
    account = current_account()
    page = render_template(
        "backoffice/accounts/own.html",
        account=account,
        password_form=password_form,
        token_form=token_form,
        tokens=[] if account.is_check_in else services.api_tokens_of(account),
        new_token=new_token,
        password_hint=_PASSWORD_HINT,
        now=utcnow(),
    )
    # A new token is shown once: no cache may keep the page that shows it.
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/account/password")
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT)
def change_password():
    """A new password, proving the current one; other browsers are signed out."""
    account = current_account()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                account,
                current=form.current_password.data,
                new=form.password.data,
                keeping=account.session_secret,
            )
        except services.AccountError as error:
            _refused(form, error)
            return _own_page(form, TokenForm(formdata=None), status=error.status)
        services.record(account, "account.password_changed", account_id=account.id)
        db.session.commit()
        flash(_("Your password is changed. Other browsers were signed out."), "success")
        return redirect(url_for(".own_account"), code=303)
    return _own_page(form, TokenForm(formdata=None), status=422)


@bp.post("/account/tokens")
@login_required
def create_token():
    """A new API token, shown on the page that answers, and never again."""
    account = current_account()
    form = TokenForm()
    if form.validate_on_submit():
        try:
            row, token = services.create_api_token(
                account, name=form.name.data, expires_on=form.expires_on.data
            )
        except services.AccountError as error:
            _refused(form, error)
            return _own_page(ChangePasswordForm(formdata=None), form, status=error.status)
        services.record(
            account,
            "token.create",
            token_id=row.id,
            expires_at=row.expires_at.isoformat() if row.expires_at else None,
        )
        db.session.commit()
        return _own_page(
            ChangePasswordForm(formdata=None), TokenForm(formdata=None), new_token=token, status=201
        )
    return _own_page(ChangePasswordForm(formdata=None), form, status=422)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """One's own token stops working at once."""
    account = current_account()
    try:
        row = services.revoke_api_token(account, token_id)
    except services.TokenNotFound:
        abort(404)
    services.record(account, "token.revoke", token_id=row.id)
    db.session.commit()
    flash(_("The token “%(name)s” is revoked.", name=row.name), "success")
    return redirect(url_for(".own_account"), code=303)


# --- Links by email: a forgotten password, an invitation ---------------------------------


def _named_address() -> str:
    return "reset:" + services.sign_in_key(request.form.get("email", ""))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"])
@limiter.limit(ADDRESS_RESET_LIMIT, methods=["POST"], key_func=_named_address)
def forgot_password():
    """Email the link to choose a new password, if the address has an account; the
    answer is the same either way."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data, language=current_language())
        db.session.commit()
        session[_RESET_ADDRESS] = form.email.data
        return redirect(url_for(".password_link_sent"), code=303)
    page = render_template("backoffice/accounts/forgot.html", form=form)
    return page, 422 if form.errors else 200


@bp.get("/password/forgot/sent")
def password_link_sent():
    """The answer to a request: the same for every address."""
    address = session.get(_RESET_ADDRESS)
    if not isinstance(address, str):
        return redirect(url_for(".forgot_password"), code=303)
    minutes = int(links.RESET_MAX_AGE.total_seconds() // 60)
    return render_template("backoffice/accounts/link_sent.html", address=address, minutes=minutes)


@bp.route("/password/reset/<key>", methods=["GET", "POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
def reset_password(key: str):
    """Choose a new password with the link from the email."""
    return _choose_password(key, links.Purpose.RESET)


@bp.route("/invitation/<key>", methods=["GET", "POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
def accept_invitation(key: str):
    """Choose the first password of an invited account."""
    return _choose_password(key, links.Purpose.INVITATION)


def _choose_password(key: str, purpose: links.Purpose):
    account = links.account_for_key(key, purpose)
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            services.choose_password(account, form.password.data)
        except services.AccountError as error:
            _refused(form, error)
            return _choose_page(form, account, purpose, status=error.status)
        action = (
            "account.password_reset"
            if purpose == links.Purpose.RESET
            else "account.invitation_accepted"
        )
        services.record(account, action, account_id=account.id)
        db.session.commit()
        if current_user.is_authenticated and current_account().id == account.id:
            logout_user()  # its session has just ended with the others
        flash(_("Your password is set. Sign in with it."), "success")
        return redirect(url_for(".login"), code=303)
    return _choose_page(form, account, purpose, status=422 if form.errors else 200)


def _choose_page(form: ChoosePasswordForm, account: Account, purpose: links.Purpose, *, status):
    page = render_template(
        "backoffice/accounts/choose_password.html",
        form=form,
        account=account,
        invitation=purpose == links.Purpose.INVITATION,
        password_hint=_PASSWORD_HINT,
    )
    # The page's address holds the link's key: keep it out of caches and Referer headers.
    return page, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.errorhandler(links.LinkExpired)
def link_expired(error: links.LinkExpired):
    return _link_refused(expired=True), 410


@bp.errorhandler(links.LinkInvalid)
def link_invalid(error: links.LinkInvalid):
    """Altered, made up, used already, or its account deactivated: one answer for all."""
    return _link_refused(expired=False), 404


def _link_refused(*, expired: bool) -> str:
    return render_template(
        "backoffice/accounts/link_refused.html",
        expired=expired,
        form=ForgotPasswordForm(formdata=None),
    )
