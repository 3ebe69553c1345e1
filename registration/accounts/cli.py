"""``flask users create``, ``token``, ``deactivate`` and ``revoke-tokens``."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from registration.accounts import services
from registration.accounts.models import Account, Role
from registration.events.services import find_city
from registration.extensions import db

users_cli = AppGroup("users", help="Organiser accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--city", help="The city of an organiser or door staff (check_in), by name or slug.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(email: str, role: str, city: str | None, password_stdin: bool) -> None:
    """Create an admin, organiser or door staff (check_in) account."""
    city_row = None
    if city:
        city_row = find_city(city)
        if city_row is None:
            raise click.ClickException(f"no city called {city!r}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        account = services.create_account(email, role=Role(role), city=city_row, password=password)
    except services.AccountError as error:
        with force_locale("en"):  # the command line speaks English
            raise click.ClickException(str(error)) from None
    services.record(None, "account.create", email=account.email, role=role)
    db.session.commit()
    where = f" for {account.city.name}" if account.city else ""
    click.echo(f"Created {account.role.value} {account.email}{where}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="CLI", show_default=True, help="What the token is for.")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The last day the token works (YYYY-MM-DD, Warsaw time); by default, until revoked.",
)
def token(email: str, name: str, expires: datetime | None) -> None:
    """Print a new API bearer token for the account (shown only this once)."""
    account = _account(email)
    try:
        row, issued = services.create_api_token(
            account, name=name, expires_on=expires.date() if expires else None
        )
    except services.AccountError as error:
        with force_locale("en"):
            raise click.ClickException(str(error)) from None
    services.record(
        account,
        "token.create",
        token_id=row.id,
        expires_at=row.expires_at.isoformat() if row.expires_at else None,
    )
    db.session.commit()
    click.echo(issued)


@users_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """The account can no longer sign in; its sessions end and its API tokens stop working."""
    account = _account(email)
    done = services.deactivate(account)
    services.record(
        account, "account.deactivate", sessions=done.sessions_ended, tokens=done.tokens_revoked
    )
    db.session.commit()
    click.echo(
        f"Deactivated {account.email}: {_count(done.sessions_ended, 'session')} ended, "
        f"{_count(done.tokens_revoked, 'API token')} revoked."
    )


@users_cli.command("revoke-tokens")
@click.argument("email")
def revoke_tokens(email: str) -> None:
    """Every API token of the account stops working."""
    account = _account(email)
    revoked = services.revoke_api_tokens(account)
    services.record(account, "account.tokens_revoked", tokens=revoked)
    db.session.commit()
    click.echo(f"Revoked {_count(revoked, 'API token')} of {account.email}.")


def _account(email: str) -> Account:
    account = services.find_account(email)
    if account is None:
        raise click.ClickException(f"no account for {email.strip()}")
    return account


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
