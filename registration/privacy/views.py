"""The privacy page: the information clause of art. 13 GDPR for the whole service."""

from __future__ import annotations

from flask import Blueprint, render_template

from registration.data_controller import controllers
from registration.events.models import City
from registration.events.services import all_cities

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def index():
    """Who controls the participants' data, why it is held, for how long, and their rights."""
    configured = controllers()
    cities: dict[str, City] = {city.slug: city for city in all_cities()}
    of_cities = [
        (controller, cities[controller.city])
        for controller in configured.of_cities
        if controller.city in cities
    ]
    return render_template(
        "privacy/index.html", coordinator=configured.coordinator, of_cities=of_cities
    )
