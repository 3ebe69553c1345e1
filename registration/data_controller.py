"""Who is responsible for a registration's personal data (the RODO "administrator").

Every email names it in its footer. For now that is the coalition's coordinator,
from configuration (``DATA_CONTROLLER_*``, docs/configuration.md); when each city's
operator becomes the controller of its own events, only ``data_controller`` changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from registration.events.models import Event


@dataclass(frozen=True)
class DataController:
    name: str
    #: Postal address, on one line.
    address: str
    #: Where a person writes about their data.
    email: str


def data_controller(event: Event) -> DataController:
    """The controller of the personal data of ``event``'s registrations."""
    config = current_app.config
    return DataController(
        name=config["DATA_CONTROLLER_NAME"],
        address=config["DATA_CONTROLLER_ADDRESS"],
        email=config["DATA_CONTROLLER_EMAIL"],
    )
