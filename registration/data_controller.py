"""Who is responsible for a registration's personal data (the RODO "administrator danych").

Each event names its controller: the organising city's culture operator, or the
coalition's coordinator. The operators describe themselves in ``ORGANISATION_FILE``
(docs/configuration.md, data controllers), one ``[[data_controller]]`` table each;
organisers choose among those of the event's city and the coordinator's. The
registration form's information clause, ``/privacy`` and every email's footer name
the controller through ``data_controller(event)``.

Without a coordinator in the file, the coordinator is the one of the
``DATA_CONTROLLER_*`` settings, so an installation that configures nothing still
names somebody real: the Strefa Kultury Wrocław office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app

from registration.config import ConfigurationError
from registration.email_addresses import is_email_address
from registration.events.models import City, Event

#: A key is kept on events (``event.data_controller``): short, and safe in a URL or a form.
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
_FIELDS = ("key", "name", "address", "email", "phone", "dpo_email", "city", "coordinator")
_EXTENSION = "data_controllers"


@dataclass(frozen=True)
class DataController:
    #: How events refer to it; never reused for another body.
    key: str
    name: str
    #: Postal address, on one line.
    address: str
    #: Where a person writes about their data.
    email: str
    #: Contact of the data protection officer (inspektor ochrony danych): an address.
    dpo_email: str
    phone: str = ""
    #: The slug of the city whose events it may control; None for the coordinator,
    #: who may control any city's.
    city: str | None = None

    @property
    def is_coordinator(self) -> bool:
        return self.city is None


@dataclass(frozen=True)
class Controllers:
    """Every configured controller: the coordinator first, then the cities' in file order."""

    coordinator: DataController
    of_cities: tuple[DataController, ...]

    def choices_for(self, city: City) -> list[DataController]:
        """Those an event in ``city`` may name: the city's own first, then the coordinator."""
        return [c for c in self.of_cities if c.city == city.slug] + [self.coordinator]

    def by_key(self, key: str) -> DataController | None:
        return next((c for c in self.all() if c.key == key), None)

    def all(self) -> list[DataController]:
        return [self.coordinator, *self.of_cities]


def init_app(app: Flask) -> None:
    """Read and check the ``[[data_controller]]`` tables once, when the app starts.

    :raise ConfigurationError: a table is incomplete, or two share a key
    """
    app.extensions[_EXTENSION] = _read(app.config)


def controllers() -> Controllers:
    return current_app.extensions[_EXTENSION]


def data_controller(event: Event) -> DataController:
    """The controller of the personal data of ``event``'s registrations: the one its
    organisers chose, else the city's first, else the coordinator. A key that is no longer
    configured for the event's city falls back the same way."""
    choices = controllers().choices_for(event.city)
    chosen = next((c for c in choices if c.key == event.data_controller), None)
    return chosen or choices[0]


def _read(config: dict) -> Controllers:
    tables = config.get("ORGANISATION", {}).get("data_controller", [])
    if not isinstance(tables, list):
        raise ConfigurationError(
            "ORGANISATION_FILE: data_controller must be a list of tables ([[data_controller]])"
        )
    read = [_controller(table, number) for number, table in enumerate(tables, start=1)]
    keys = [c.key for c in read]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ConfigurationError(
            f"ORGANISATION_FILE: data_controller keys must differ; repeated: {', '.join(repeated)}"
        )
    coordinators = [c for c in read if c.is_coordinator]
    if len(coordinators) > 1:
        raise ConfigurationError(
            "ORGANISATION_FILE: only one data_controller may be the coordinator"
        )
    coordinator = coordinators[0] if coordinators else _coordinator_from_settings(config)
    if not coordinators and coordinator.key in keys:
        raise ConfigurationError(
            f"ORGANISATION_FILE: the key {coordinator.key!r} is the coordinator's"
        )
    return Controllers(coordinator, tuple(c for c in read if not c.is_coordinator))


def _controller(table: object, number: int) -> DataController:
    where = f"ORGANISATION_FILE: data_controller number {number}"
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table")
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(f"{where} has unknown keys: {', '.join(unknown)}")
    coordinator = table.get("coordinator", False)
    if not isinstance(coordinator, bool):
        raise ConfigurationError(f"{where}: coordinator must be true or false")
    texts = {}
    for field in ("key", "name", "address", "email", "dpo_email", "phone", "city"):
        value = table.get(field, "")
        if not isinstance(value, str) or "\n" in value:
            raise ConfigurationError(f"{where}: {field} must be one line of text")
        texts[field] = value.strip()
    required = ["key", "name", "address", "email", "dpo_email"]
    if not coordinator:
        required.append("city")
    missing = [field for field in required if not texts[field]]
    if missing:
        raise ConfigurationError(f"{where} lacks {', '.join(missing)}")
    if coordinator and texts["city"]:
        raise ConfigurationError(f"{where}: the coordinator serves every city; remove city")
    if not _KEY.match(texts["key"]):
        raise ConfigurationError(
            f"{where}: key {texts['key']!r} must be lower-case letters, digits and hyphens"
        )
    for field in ("email", "dpo_email"):
        if not is_email_address(texts[field]):
            raise ConfigurationError(f"{where}: {field} {texts[field]!r} is not an email address")
    return DataController(
        key=texts["key"],
        name=texts["name"],
        address=texts["address"],
        email=texts["email"],
        dpo_email=texts["dpo_email"],
        phone=texts["phone"],
        city=None if coordinator else texts["city"],
    )


def _coordinator_from_settings(config: dict) -> DataController:
    return DataController(
        key="coordinator",
        name=config["DATA_CONTROLLER_NAME"],
        address=config["DATA_CONTROLLER_ADDRESS"],
        email=config["DATA_CONTROLLER_EMAIL"],
        dpo_email=config["DATA_CONTROLLER_EMAIL"],
    )
