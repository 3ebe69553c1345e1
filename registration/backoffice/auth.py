"""Signing in and out of the back office."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from registration.accounts import services
from registration.backoffice import bp
from registration.extensions import db, limiter
from registration.forms import Form

LOGIN_LIMIT = "10 per minute;50 per hour"


class LoginForm(Form):
    email = EmailField(
        _l("Email address"), validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    """Sign in with email and password; go on to the page that asked, if it is ours."""
    form = LoginForm()
    if form.validate_on_submit():
        account = services.authenticate(form.email.data, form.password.data)
        if account is not None:
            login_user(account)
            services.record(account, "account.login")
            db.session.commit()
            target = services.safe_next(request.args.get("next"))
            return redirect(target or url_for("backoffice.dashboard"), code=303)
        flash(_("Wrong email address or password."), "error")
        return render_template("backoffice/login.html", form=form), 401
    return render_template("backoffice/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with a CSRF token, so no link can sign anyone out)."""
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("backoffice.login"), code=303)
