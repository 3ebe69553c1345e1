"""Absolute links for emails, feeds and the API: from BASE_URL, never from a request's Host."""

from __future__ import annotations

import re

from flask import current_app


def path_for(endpoint: str, **values: object) -> str:
    """The path of an endpoint, built without a request (workers and commands have none)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute_url(endpoint: str, **values: object) -> str:
    return current_app.config["BASE_URL"] + path_for(endpoint, **values)


def tel_uri(phone: str) -> str:
    """A phone number as typed ("+48 71 000 00 00") as a ``tel:`` URI: digits and a
    leading plus only."""
    return "tel:" + re.sub(r"[^\d+]", "", phone)
