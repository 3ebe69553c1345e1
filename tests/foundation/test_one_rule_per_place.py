"""One rule, one place: every consumer of a rule asks the same module.

An address accepted by one form and refused by another, a Warsaw defined twice
with a typo in one, a private helper borrowed across packages: each of these
once let two places drift apart. These tests keep them together.
"""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from registration.accounts.models import Account
from registration.events import services as events
from registration.extensions import db
from registration.i18n import WARSAW
from tests.factories import PASSWORD, make_account, make_event

PACKAGE = Path(__file__).resolve().parents[2] / "registration"

#: Addresses, and whether they are addresses.
ADDRESSES = [
    ("zofia@example.org", True),
    ("Zoë@Exämple.pl", True),
    ("nobody", False),
    ("a@b", False),
    ("biuro@example.org;", False),
    ("two@@example.org", False),
    ("@example.org", False),
]


@pytest.mark.parametrize(("address", "valid"), ADDRESSES)
def test_every_place_that_takes_an_address_agrees_on_what_one_is(
    app, client, runner, address, valid
):
    """The registration API, an event's contact address and ``users create`` give one verdict."""
    with app.app_context():
        event_id = make_event().id
        admin = make_account("admin@example.org", role="admin", city_slug=None)
        db.session.commit()
    registered = client.post(
        f"/api/v1/events/{event_id}/registrations",
        json={
            "name": "Zofia Wiśniewska",
            "email": address,
            "institution": "Miejski Dom Kultury",
            "category": "culture_staff",
            "city": "Łódź",
            "consent": True,
        },
    )
    assert (registered.status_code == 201) is valid, registered.get_json()

    with app.app_context():
        admin = db.session.merge(admin)
        fields = {
            "type": "seminar",
            "title": "Seminarium",
            "city": "wroclaw",
            "venue": "Wrocławski Dom Literatury",
            "address": "Przejście Żelazne 1",
            "starts_at": datetime(2030, 3, 10, 10, tzinfo=WARSAW),
            "ends_at": datetime(2030, 3, 10, 15, tzinfo=WARSAW),
            "capacity": 10,
            "contact_email": address,
        }
        try:
            events.create_event(fields, account=admin)
            accepted = True
        except events.InvalidEvent as refused:
            accepted = "contact_email" not in refused.errors
        db.session.rollback()
    assert accepted is valid

    created = runner.invoke(
        args=["users", "create", address, "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert (created.exit_code == 0) is valid, created.output
    with app.app_context():
        accounts = db.session.scalar(sa.select(sa.func.count(Account.id)))
    assert accounts == (2 if valid else 1)


def _python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_warsaw_is_named_once():
    """``registration.i18n.WARSAW`` is the time zone of every event and every time shown."""
    naming = [
        path.relative_to(PACKAGE).as_posix()
        for path in _python_files()
        if 'ZoneInfo("Europe/Warsaw")' in path.read_text()
    ]
    assert naming == ["i18n.py"]


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_no_module_imports_another_modules_private_names():
    """A helper two modules need is public, in one module; a private one stays at home."""
    tests = PACKAGE.parent / "tests"
    borrowed = {
        path.relative_to(PACKAGE.parent).as_posix(): names
        for path in [*_python_files(), *sorted(tests.rglob("*.py"))]
        if (names := _private_imports(path))
    }
    assert borrowed == {}
