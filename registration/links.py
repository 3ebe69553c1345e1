"""Absolute links for emails, feeds and the API: from BASE_URL, never from a request's Host."""

from __future__ import annotations

from flask import current_app


def path_for(endpoint: str, **values: object) -> str:
    """The path of an endpoint, built without a request (workers and commands have none)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute_url(endpoint: str, **values: object) -> str:
    return current_app.config["BASE_URL"] + path_for(endpoint, **values)
