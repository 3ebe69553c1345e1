"""Signing in and out of the back office."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from registration.accounts import services
from registration.backoffice import bp
from registration.backoffice.access import current_account, home_url
from registration.extensions import db, limiter
from registration.forms import Form

#: Sign-in attempts per client address.
LOGIN_LIMIT = "10 per minute;50 per hour"
#: Sign-in attempts per account, from whatever addresses: a guesser with many addresses
#: is slowed down too. The limit is the same whether or not the account exists, so its
#: answer tells nothing. Every attempt counts, right passwords too: only a count taken
#: as the attempt begins is one that parallel attempts cannot overtake. The price: a
#: stranger who spends the hour's attempts keeps the account's owner out for that hour
#: (README, "Security notes").
ACCOUNT_LOGIN_LIMIT = "10 per hour"


class LoginForm(Form):
    email = EmailField(
        _l("Email address"), validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


def _named_account() -> str:
    return services.sign_in_key(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_LOGIN_LIMIT, methods=["POST"], key_func=_named_account)
def login():
    """Sign in with email and password; go on to the page that asked, if it is ours."""
    form = LoginForm()
    if form.validate_on_submit():
        account = services.authenticate(form.email.data, form.password.data)
        if account is not None:
            # Looked up only now that the password is checked: on SQLite a writing
            # request's first query takes the write lock.
            signed_in = current_account().session_secret if current_user.is_authenticated else None
            services.start_session(account, replacing=signed_in)
            login_user(account)
            services.record(account, "account.login")
            db.session.commit()
            target = services.safe_next(request.args.get("next"))
            return redirect(target or home_url(account), code=303)
        flash(_("Wrong email address or password."), "error")
        return render_template("backoffice/login.html", form=form), 401
    return render_template("backoffice/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with a CSRF token, so no link can sign anyone out); the session
    ends on the server, so a copy of the cookie stops working too."""
    services.end_session(current_account().session_secret)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("backoffice.login"), code=303)
