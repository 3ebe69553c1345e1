"""One rule, one place: every consumer of a rule asks the same module.

An address accepted by one form and refused by another, a Warsaw defined twice
with a typo in one, a private helper borrowed across packages: each of these
once let two places drift apart. These tests keep them together.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from registration.accounts.models import Account
from registration.events import services as events
from registration.events.models import Event
from registration.extensions import db
from registration.i18n import WARSAW
from registration.registrations.models import Registration
from tests.factories import EVENT_BODY, PASSWORD, REGISTRATION_BODY, make_account, make_event

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


def event_fields(**overrides) -> dict:
    """An event as ``events.services.create_event`` takes it."""
    return {
        **EVENT_BODY,
        "starts_at": datetime(2030, 3, 10, 10, tzinfo=WARSAW),
        "ends_at": datetime(2030, 3, 10, 15, tzinfo=WARSAW),
        **overrides,
    }


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
        json={**REGISTRATION_BODY, "email": address},
    )
    assert (registered.status_code == 201) is valid, registered.get_json()

    with app.app_context():
        admin = db.session.merge(admin)
        try:
            events.create_event(event_fields(contact_email=address), account=admin)
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


# --- Limits: the columns say them, everything else reads them ---------------------

#: Fields of the event as organisers write them, and the column that keeps each.
EVENT_TEXT_COLUMNS = {
    name: Event.__table__.c[name]
    for name in (
        "title",
        "summary",
        "description",
        "audience",
        "cost",
        "programme",
        "practical_information",
        "venue",
        "address",
        "online_url",
    )
} | {"contact_email": Event.__table__.c.contact_email}
#: Texts of several lines: a textarea, which shows no maxlength.
EVENT_LONG_TEXTS = ("description", "programme", "practical_information")
#: Fields of the registration request, and the column that keeps each.
REGISTRATION_COLUMNS = {
    "name": Registration.__table__.c.full_name,
    "email": Registration.__table__.c.email,
    "institution": Registration.__table__.c.institution,
    "position": Registration.__table__.c.position,
    "city": Registration.__table__.c.city,
    "needs": Registration.__table__.c.needs,
}


def _length(column: sa.Column) -> int:
    """What the column holds: a ``String``'s length, a ``Text``'s from its ``info``."""
    return column.info.get("max_length") or column.type.length


def test_the_api_document_takes_its_limits_from_the_columns(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for kind in ("EventCreate", "EventChanges"):
        properties = schemas[kind]["properties"]
        for name, column in EVENT_TEXT_COLUMNS.items():
            assert properties[name]["maxLength"] == _length(column), (kind, name)
        capacity = properties["capacity"]
        assert (capacity["minimum"], capacity["maximum"]) == Event.__table__.c.capacity.info[
            "range"
        ]
    request = schemas["RegistrationRequest"]["properties"]
    for name, column in REGISTRATION_COLUMNS.items():
        assert request[name]["maxLength"] == _length(column), name


def _maxlengths(html: str) -> dict[str, int]:
    inputs = re.findall(r"<(?:input|textarea)\b[^>]*>", html)
    found = {}
    for tag in inputs:
        name, limit = re.search(r'name="(\w+)"', tag), re.search(r'maxlength="(\d+)"', tag)
        if name and limit:
            found[name.group(1)] = int(limit.group(1))
    return found


def test_the_forms_take_their_limits_from_the_columns(app, client):
    with app.app_context():
        event_id = make_event().id
        make_account()
        db.session.commit()
    registration_form = _maxlengths(client.get(f"/events/{event_id}").text)
    assert registration_form == {
        name: _length(column) for name, column in REGISTRATION_COLUMNS.items()
    }
    client.post("/organiser/login", data={"email": "organiser@example.org", "password": PASSWORD})
    event_form = client.get("/organiser/events/new").text
    one_line = {
        name: column for name, column in EVENT_TEXT_COLUMNS.items() if name not in EVENT_LONG_TEXTS
    }
    assert _maxlengths(event_form) == {name: _length(column) for name, column in one_line.items()}
    assert re.search(r'<input[^>]*\bmin="0"[^>]*name="capacity"', event_form)


def test_the_service_refuses_one_character_more_than_the_column_holds(app):
    """The validation reads the same columns as the forms and the document."""
    with app.app_context():
        admin = make_account("admin@example.org", role="admin", city_slug=None)
        for name, column in EVENT_TEXT_COLUMNS.items():
            if name in ("online_url", "contact_email", "programme"):
                continue  # an address, or a programme, of that length is refused for its shape
            fields = event_fields(**{name: "x" * (_length(column) + 1)})
            with pytest.raises(events.InvalidEvent) as refused:
                events.create_event(fields, account=admin)
            assert list(refused.value.errors) == [name]
            fields[name] = "x" * _length(column)
            events.create_event(fields, account=admin)
        db.session.rollback()


def test_views_build_no_queries():
    """Read queries live beside the services (``<package>/queries.py``); a view asks them.

    Fetching one row by its id (``db.session.get``) is not a query worth a name.
    """
    views = [
        *PACKAGE.glob("*/views.py"),
        *(PACKAGE / "backoffice").glob("*.py"),
        *(PACKAGE / "api").glob("*.py"),
    ]
    building = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in views
        if re.search(r"\bselect\(|session\.(scalars?|execute)\(|\.paginate\(", path.read_text())
    )
    assert building == []
